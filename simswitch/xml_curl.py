"""mod_xml_curl: FreeSWITCH asks an HTTP server for XML configuration (mod_xml_curl.c, 1.10.12).

A binding (``xml_curl.conf.xml``: ``gateway-url`` with the sections it serves, ``gateway-credentials``,
``timeout``) is asked before the files, for every ``switch_xml_locate`` of its sections: ``POST <url>``
with ``Content-Type: application/x-www-form-urlencoded`` and ``User-Agent: freeswitch-xml/1.0``, the
body ``hostname=<switchname>&section=<s>&tag_name=<t>&key_name=<k>&key_value=<v>`` then each header of
the request's parameters event as ``name=<url-encoded value>`` (switch_event_build_param_string): all of
them, or only those ``enable-post-var`` names (freeswitch-conf's binding posts ``CC-Queue`` alone). Only
a 200 is an answer; a document whose ``<section name="result"><result status="not found"/>`` says
so, an error status, a timeout or an unreachable server make FreeSWITCH fall back to its files.
"""

from __future__ import annotations

import base64
import http.client
import logging
import re
import ssl
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urlsplit

import gevent

from dialer.esl.protocol import url_encode

log = logging.getLogger("autocall.simswitch")
USER_AGENT = "freeswitch-xml/1.0"
_GLOBAL = re.compile(r"\$\$\{([^}]+)\}")


@dataclass
class XmlCurlBinding:
    """One ``<binding>``: where to POST, for which sections, with what credentials, which parameters."""

    url: str
    sections: str = "configuration"  # gateway-url's ``bindings`` attribute ("": every section)
    cred: str = ""  # "user:pass", HTTP Basic (auth-scheme basic, the module's default)
    timeout: float = 0.0  # seconds (CURLOPT_TIMEOUT); 0: none
    disable100continue: bool = True  # the module's default: no "Expect: 100-continue"
    post_vars: tuple[str, ...] = ()  # enable-post-var: only these parameters are posted (none named: all)

    def serves(self, section: str) -> bool:
        """switch_xml_parse_section_string: the section's name appears in ``bindings``."""
        return not self.sections or section.lower() in self.sections.lower()

    @classmethod
    def from_xml(cls, text: str, variables: dict[str, str]) -> list[XmlCurlBinding]:
        """The bindings of an xml_curl.conf.xml (``$${name}`` from ``variables``, as the pre-processor does)."""
        text = _GLOBAL.sub(lambda m: variables.get(m.group(1), ""), text)
        out = []
        for binding in ET.fromstring(text).iter("binding"):
            url, sections, cred, timeout, no_expect, post = "", "", "", 0.0, True, []
            for p in binding.iter("param"):
                name, value = (p.get("name") or "").lower(), p.get("value") or ""
                if name == "gateway-url":
                    url, sections = value, p.get("bindings") or ""
                elif name == "gateway-credentials":
                    cred = value
                elif name == "timeout" and value.strip().isdigit():
                    timeout = float(int(value))
                elif name == "disable-100-continue" and value.strip().lower() not in _TRUE:
                    no_expect = False
                elif name == "enable-post-var" and value:
                    post.append(value)
            if url:
                out.append(cls(url, sections, cred, timeout, no_expect, tuple(post)))
        return out


_TRUE = ("yes", "on", "true", "t", "enabled", "active", "allow", "1")


def post_body(
    hostname: str, section: str, tag_name: str, key_name: str, key_value: str, params: list[tuple[str, str]]
) -> str:
    """What the binding POSTs: the fixed fields as they are, the parameters URL-encoded."""
    basic = f"hostname={hostname}&section={section}&tag_name={tag_name}&key_name={key_name}&key_value={key_value}"
    return "&".join([basic, *(f"{name}={url_encode(value)}" for name, value in params)])


class XmlCurl:
    """The loaded module: its bindings, asked in order. ``requests`` keeps every body POSTed (tests)."""

    def __init__(self, bindings: list[XmlCurlBinding]) -> None:
        self.bindings = bindings
        self.requests: list[tuple[str, str]] = []  # (url, body)

    def fetch(
        self, hostname: str, section: str, tag_name: str, key_name: str, key_value: str, params: list[tuple[str, str]]
    ) -> bytes | None:
        """The first binding's answer that is a document and not "not found" (blocks this greenlet)."""
        for binding in self.bindings:
            if not binding.serves(section):
                continue
            posted = [(k, v) for k, v in params if not binding.post_vars or k in binding.post_vars]
            body = post_body(hostname, section, tag_name, key_name, key_value, posted)
            self.requests.append((binding.url, body))
            answer = _post(binding, body.encode())
            if answer is not None and not _not_found(answer):
                return answer
        return None


def _not_found(text: bytes) -> bool:
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return True  # "Error Parsing Result!": as if the binding had nothing
    for section in root.iter("section"):
        if (section.get("name") or "").lower() == "result":
            result = section.find("result")
            return result is not None and (result.get("status") or "").lower() == "not found"
    return False


def _post(binding: XmlCurlBinding, body: bytes) -> bytes | None:
    """One POST as libcurl sends it; the body of a 200, else None."""
    parts = urlsplit(binding.url)
    if parts.scheme == "https":  # the module turns verification off for https
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, context=ssl._create_unverified_context()
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port or 80)
    target = binding.url[len(f"{parts.scheme}://{parts.netloc}") :] or "/"
    try:
        with gevent.Timeout(binding.timeout or None):
            conn.putrequest("POST", target, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", parts.netloc.rpartition("@")[2])
            if binding.cred:
                conn.putheader("Authorization", "Basic " + base64.b64encode(binding.cred.encode()).decode())
            conn.putheader("User-Agent", USER_AGENT)
            conn.putheader("Accept", "*/*")
            conn.putheader("Content-Length", str(len(body)))  # before the module's own header (batch5)
            conn.putheader("Content-Type", "application/x-www-form-urlencoded")
            if len(body) > 1024 and not binding.disable100continue:
                conn.putheader("Expect", "100-continue")  # libcurl 7.88 asks so for bodies over 1 KiB
            conn.endheaders(body)
            response = conn.getresponse()
            data = response.read()
            return data if response.status == 200 else None
    except (OSError, http.client.HTTPException, gevent.Timeout) as exc:
        log.warning("xml_curl %s: %s", binding.url, exc)
        return None
    finally:
        conn.close()
