"""FreeSWITCH's own requests: ``POST /freeswitch/cdr`` (mod_json_cdr) and ``POST /freeswitch/config``
(mod_xml_curl).

``POST /freeswitch/cdr``: FreeSWITCH's own CDR of each channel, posted by mod_json_cdr.

freeswitch-conf/autoload_configs/json_cdr.conf.xml points mod_json_cdr here
(``<url>?uuid=<channel uuid>``). It authenticates with HTTP Basic
(``cred`` = ``freeswitch:<secret>``), not the API's bearer token: the secret
is ``AUTOCALL_CDR_SECRET``. Any 2xx tells mod_json_cdr the CDR is delivered;
anything else makes it retry (``retries`` x ``delay``), then write the CDR to
its error directory (``autocall cdr-spool`` delivers those).

``POST /freeswitch/config``: mod_xml_curl's questions for the ``configuration`` section, with the
same credentials; autocall answers the ``callcenter.conf`` of an autodialer campaign's queue, and
"not found" to everything else (dialer/service/callcenter_queues.py).
"""

from __future__ import annotations

from typing import Any

from dialer.api.routes import Call, Dialect, Reply, Routes
from dialer.service import callcenter_queues, switch_cdrs

FREESWITCH = Routes(Dialect())
CHALLENGE = {"WWW-Authenticate": 'Basic realm="autocall-cdr"'}


@FREESWITCH.route(
    "POST",
    "/freeswitch/cdr",
    "FreeSWITCH's CDR of one channel (mod_json_cdr; HTTP Basic auth)",
    public=True,
    raw_body=True,
    body_types=("application/json", "application/x-www-form-urlencoded"),
    errors=(400, 401, 403),
    tag="freeswitch",
)
def cdr(call: Call) -> dict[str, Any] | Reply:
    """Keep the CDR of one of autocall's calls still in flight: the result of a call whose hangup no
    engine heard (docs/engine.md, "Results from FreeSWITCH's CDRs"). ``kept`` is 0 for a call
    already recorded (its engine heard the hangup), and for a channel autocall did not originate."""
    try:
        return switch_cdrs.accept_post(
            call.services, call.raw, call.content_type, call.headers.get("authorization", "")
        )
    except switch_cdrs.BadCredentials as exc:
        return Reply(body=FREESWITCH.dialect.error(401, exc.message), status=401, headers=CHALLENGE)


@FREESWITCH.route(
    "POST",
    "/freeswitch/config",
    "FreeSWITCH's configuration of an autodialer campaign's mod_callcenter queue (mod_xml_curl; HTTP Basic auth)",
    public=True,
    raw_body=True,
    body_types=("application/x-www-form-urlencoded",),
    response_type="text/xml",
    errors=(401, 403),
    tag="freeswitch",
)
def config(call: Call) -> Reply:
    """A FreeSWITCH XML document: ``callcenter.conf`` with the one queue asked (``CC-Queue``) when it
    is an autodialer campaign's, else the "not found" result, so FreeSWITCH reads its own files."""
    try:
        xml = callcenter_queues.answer(call.services, call.raw, call.headers.get("authorization", ""))
    except switch_cdrs.BadCredentials as exc:
        return Reply(body=FREESWITCH.dialect.error(401, exc.message), status=401, headers=CHALLENGE)
    return Reply(body=xml, content_type="text/xml; charset=utf-8")


def routes() -> list:
    return FREESWITCH.table
