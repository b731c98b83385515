"""Recording ESL client: a plain TCP socket, no ESL library.

(batch 3: batch 2's tools/esl_rec.py plus EslRec.note() and originate(tag=...).)

Every byte received is appended, unchanged, to <base>.esl; every byte sent is
appended to <base>.cmd (each command ends with "\\n\\n"). <base>.timeline.tsv
gets one line per frame received or command sent: seconds since the
connection was opened, wall-clock epoch, direction, byte offset in .esl/.cmd,
and a one-line summary. Frames are split by Content-Length, never by lines.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse


class Frame:
    def __init__(self, t: float, off: int, headers: dict, body: bytes):
        self.t = t
        self.off = off
        self.headers = headers
        self.body = body
        self.ctype = headers.get("Content-Type", "")
        self.ev: dict | None = None
        if self.ctype == "text/event-plain":
            self.ev = parse_plain(body)
        elif self.ctype == "text/event-json":
            self.ev = json.loads(body.decode())

    @property
    def name(self) -> str:
        return (self.ev or {}).get("Event-Name", "")

    def summary(self) -> str:
        if self.ev is not None:
            e = self.ev
            parts = [e.get("Event-Name", "?")]
            if e.get("Event-Subclass"):
                parts.append(e["Event-Subclass"])
            for k in ("Channel-State", "Channel-Call-State", "Unique-ID", "Hangup-Cause", "Job-UUID",
                      "Session-Count", "Session-Per-Sec", "Session-Per-Sec-Last", "Session-Per-Sec-Max",
                      "Max-Sessions", "API-Command", "API-Command-Argument", "Event-Info", "Core-UUID"):
                if k in e and (k != "Core-UUID" or e.get("Event-Name") in ("HEARTBEAT", "SHUTDOWN", "SHUTDOWN_REQUESTED")):
                    v = e[k]
                    parts.append(f"{k}={v[:60]}")
            if e.get("Event-Name") == "BACKGROUND_JOB":
                parts.append("body=" + repr(e.get("_body", ""))[:80])
            return " ".join(parts)
        if self.ctype == "command/reply":
            return f"command/reply {self.headers.get('Reply-Text', '')!r} Job-UUID={self.headers.get('Job-UUID', '')}"
        return f"{self.ctype} {self.body[:120]!r}"


def parse_plain(body: bytes) -> dict:
    text = body.decode(errors="replace")
    head, sep, rest = text.partition("\n\n")
    ev: dict = {}
    for line in head.split("\n"):
        if ": " in line:
            k, v = line.split(": ", 1)
            ev[k] = urllib.parse.unquote(v)
    if sep and "Content-Length" in ev:
        ev["_body"] = rest
    return ev


class EslRec:
    def __init__(self, base: str, password: str = "ClueCon", host: str = "127.0.0.1", port: int = 8021,
                 t0: float | None = None, connect_timeout: float = 5.0):
        self.base = base
        self.s = socket.create_connection((host, port), timeout=connect_timeout)
        self.s.settimeout(None)
        self.t_open = time.time()
        self.t0 = t0 if t0 is not None else self.t_open
        self.esl = open(base + ".esl", "wb", buffering=0)
        self.cmdf = open(base + ".cmd", "wb", buffering=0)
        self.tl = open(base + ".timeline.tsv", "w", buffering=1)
        self.tl.write("t_rel\tepoch\tdir\toffset\tsummary\n")
        self.rx_off = 0
        self.tx_off = 0
        self.frames: list[Frame] = []
        self.cv = threading.Condition()
        self.lock = threading.Lock()
        self.closed_at: float | None = None
        self.close_reason = ""
        self._closing = False  # set by close(): the EOF that follows is ours
        self._buf = b""
        self._th = threading.Thread(target=self._rx, daemon=True)
        self._th.start()
        self.wait(lambda f: f.ctype == "auth/request", timeout=5)
        self.command(f"auth {password}")

    def _log(self, t: float, d: str, off: int, text: str) -> None:
        self.tl.write(f"{t - self.t0:.3f}\t{t:.3f}\t{d}\t{off}\t{text}\n")

    def _rx(self) -> None:
        while True:
            try:
                data = self.s.recv(262144)
            except OSError as exc:
                data = b""
                self.close_reason = repr(exc)
            t = time.time()
            if not data:
                with self.cv:
                    self.closed_at = t
                    if self._closing:
                        self._log(t, "CLOSE", self.rx_off, "socket closed by the recording client (end of recording)")
                    else:
                        self._log(t, "EOF", self.rx_off, "socket closed by peer " + self.close_reason
                                  + (f" (unparsed tail {len(self._buf)} bytes)" if self._buf else ""))
                    self.cv.notify_all()
                return
            self.esl.write(data)
            base_off = self.rx_off - len(self._buf)
            self.rx_off += len(data)
            self._buf += data
            new = []
            while True:
                i = self._buf.find(b"\n\n")
                if i < 0:
                    break
                headers = {}
                for line in self._buf[:i].decode(errors="replace").split("\n"):
                    if ": " in line:
                        k, v = line.split(": ", 1)
                        headers[k] = v
                n = int(headers.get("Content-Length", 0))
                if len(self._buf) < i + 2 + n:
                    break
                body = self._buf[i + 2:i + 2 + n]
                new.append(Frame(t, base_off, headers, body))
                base_off += i + 2 + n
                self._buf = self._buf[i + 2 + n:]
            with self.cv:
                for f in new:
                    self.frames.append(f)
                    self._log(t, "RX", f.off, f.summary())
                self.cv.notify_all()

    # -- sending ---------------------------------------------------------------
    def send(self, cmd: str) -> float:
        data = (cmd + "\n\n").encode()
        with self.lock:
            t = time.time()
            with self.cv:  # logged before the bytes leave, so a reply can never precede its command
                self._log(t, "TX", self.tx_off, cmd.replace("\n", " \\n ")[:300])
            try:
                self.s.sendall(data)
            except OSError as exc:
                self._log(t, "TXERR", self.tx_off, f"{exc!r} while sending {cmd.splitlines()[0][:150]}")
                raise
            self.cmdf.write(data)
            self.tx_off += len(data)
        return t

    def wait(self, pred, timeout: float = 10.0, start: int = 0) -> Frame | None:
        end = time.time() + timeout
        i = start
        with self.cv:
            while True:
                while i < len(self.frames):
                    if pred(self.frames[i]):
                        return self.frames[i]
                    i += 1
                if self.closed_at is not None:
                    return None
                left = end - time.time()
                if left <= 0:
                    return None
                self.cv.wait(left)

    def count(self, pred) -> int:
        with self.cv:
            return sum(1 for f in self.frames if pred(f))

    def command(self, cmd: str, timeout: float = 10.0) -> Frame | None:
        n = len(self.frames)
        self.send(cmd)
        return self.wait(lambda f: f.ctype == "command/reply", timeout, start=n)

    def api(self, cmd: str, timeout: float = 30.0) -> str | None:
        with self.cv:
            k = sum(1 for f in self.frames if f.ctype == "api/response")
        self.send("api " + cmd)
        seen = [0]

        def pred(f):
            if f.ctype == "api/response":
                seen[0] += 1
                return seen[0] > k
            return False
        f = self.wait(pred, timeout)
        return f.body.decode(errors="replace") if f else None

    def job(self, job_uuid: str, timeout: float = 60.0) -> Frame | None:
        return self.wait(lambda f: f.name == "BACKGROUND_JOB" and f.ev.get("Job-UUID") == job_uuid, timeout)

    def events(self, name: str | None = None) -> list[Frame]:
        with self.cv:
            return [f for f in self.frames if f.ev is not None and (name is None or f.name == name)]

    def wait_closed(self, timeout: float) -> bool:
        with self.cv:
            end = time.time() + timeout
            while self.closed_at is None and time.time() < end:
                self.cv.wait(max(0.01, end - time.time()))
            return self.closed_at is not None

    def note(self, text: str) -> None:
        """A NOTE line in the timeline: something the recording did outside this socket."""
        with self.cv:
            self._log(time.time(), "NOTE", self.tx_off, text)

    def close(self) -> None:
        self._closing = self.closed_at is None
        try:
            self.s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.s.close()
        self._th.join(2)
        self.esl.close()
        self.cmdf.close()
        self.tl.close()


def originate(leg_uuid: str, number: str, *, gw: str = "autocall-viettel", timeout: int = 20,
              file: str = "silence_stream://3000", dest: str = "autocall XML autocall",
              cid: str = "0900000000", extra: str = "", tag: str = "caps3") -> str:
    """The argument autocall builds (dialer/routing/dialstring.py), with test values."""
    g = (f"{{originate_timeout={timeout},ignore_early_media=true,autocall_campaign={tag}-campaign,"
         f"autocall_lead={tag}-lead-{leg_uuid[:8]},autocall_call={tag}-call-{leg_uuid[:8]},autocall_file={file},"
         f"autocall_avmd=false{extra}}}")
    return f"{g}[origination_uuid={leg_uuid},origination_caller_id_number={cid}]sofia/gateway/{gw}/{number} {dest}"
