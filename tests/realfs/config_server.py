"""A tiny stand-in for autocall's ``POST /freeswitch/config`` (mod_xml_curl) and ``/freeswitch/cdr``.

Serves mod_callcenter queues: a POST whose ``key_value`` is ``callcenter.conf`` and whose ``CC-Queue`` names a
queue in ``queues`` gets that queue's ``callcenter.conf``; every other configuration lookup gets FreeSWITCH's
"not found" document (FreeSWITCH then reads its files). Checks HTTP Basic ``freeswitch:<secret>`` (401
otherwise). Every request is kept in ``requests`` (method, path, headers, raw body, the form's fields in
order, the reply). ``/freeswitch/cdr`` answers 200 and keeps the CDR (mod_json_cdr's POST, JSON body).

Used by tests/realfs/test_realfs_callcenter.py and batch 5's recording (tests/captures/batch5/tools/record_batch5.py).
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import quoteattr

NOT_FOUND = (
    '<document type="freeswitch/xml">\n  <section name="result">\n    <result status="not found"/>\n'
    "  </section>\n</document>\n"
)


def queue_document(name: str, params: dict[str, str]) -> str:
    """callcenter.conf holding one queue, as mod_xml_curl must answer a ``CC-Queue`` lookup."""
    lines = "".join(f"          <param name={quoteattr(k)} value={quoteattr(v)}/>\n" for k, v in params.items())
    return (
        '<document type="freeswitch/xml">\n  <section name="configuration">\n'
        '    <configuration name="callcenter.conf" description="autocall queues">\n      <queues>\n'
        f"        <queue name={quoteattr(name)}>\n{lines}        </queue>\n"
        "      </queues>\n    </configuration>\n  </section>\n</document>\n"
    )


class ConfigServer:
    def __init__(self, secret: str, host: str = "127.0.0.1", port: int = 0):
        self.secret = secret
        self.queues: dict[str, dict[str, str]] = {}
        self.requests: list[dict] = []
        self.cdrs: list[dict] = []
        self.status_override: int | None = None  # answer every config POST with this status (e.g. 500)
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # http.server's name
                t = time.time()
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                auth_ok = (
                    self.headers.get("Authorization", "")
                    == "Basic " + base64.b64encode(f"freeswitch:{server.secret}".encode()).decode()
                )
                path = urllib.parse.urlsplit(self.path).path
                if path == "/freeswitch/cdr":
                    status, reply = (200, b"") if auth_ok else (401, b"")
                    if auth_ok:
                        with server.lock:
                            server.cdrs.append({"t": t, "query": self.path, "cdr": json.loads(body or b"{}")})
                    self._reply(status, reply, "text/plain")
                    return
                fields = urllib.parse.parse_qsl(body.decode(), keep_blank_values=True)
                form = dict(fields)
                if not auth_ok:
                    status, reply = 401, ""
                elif server.status_override is not None:
                    status, reply = server.status_override, "error\n"
                elif path == "/freeswitch/config" and form.get("key_value") == "callcenter.conf":
                    queue = server.queues.get(form.get("CC-Queue", ""))
                    status = 200
                    reply = queue_document(form["CC-Queue"], queue) if queue is not None else NOT_FOUND
                else:
                    status, reply = (200, NOT_FOUND) if path == "/freeswitch/config" else (404, "")
                with server.lock:
                    server.requests.append(
                        {
                            "t": t,
                            "method": self.command,
                            "path": self.path,
                            "headers": list(self.headers.items()),
                            "body": body.decode(errors="replace"),
                            "fields": fields,
                            "status": status,
                            "reply": reply,
                        }
                    )
                self._reply(status, reply.encode(), "text/xml")

            def _reply(self, status: int, data: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://{host}:{self.port}/freeswitch/config"
        self.cdr_url = f"http://{host}:{self.port}/freeswitch/cdr"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> ConfigServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def queue_lookups(self, queue: str | None = None) -> list[dict]:
        with self.lock:
            found = [(r, dict(r["fields"]).get("CC-Queue")) for r in self.requests]
        return [r for r, name in found if name and queue in (None, name)]
