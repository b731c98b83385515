"""Taking in FreeSWITCH's CDRs (mod_json_cdr posts, or files of its spool directory).

Each CDR is checked (the shared secret), read (dialer/esl/json_cdr.py) and,
for one of autocall's calls still in flight, kept as its leg's hangup
(dialer/store/switch_cdrs.py): the engine that settles the call takes its
result from it. A CDR of a call already recorded changes nothing. One of a
call recorded as never run (no channel, no CDR after the wait) contradicts
that record: it is logged as an error, because the lead was dialled again.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from typing import Any

from dialer.esl.json_cdr import BadCdr, SwitchCdr, decode_body, read
from dialer.outcomes.own_causes import NOT_RUN
from dialer.service.context import Services
from dialer.service.errors import ServiceError
from dialer.store.switch_cdrs import SwitchCdrs

log = logging.getLogger("autocall.cdrs")


class CdrsOff(ServiceError):
    status = 403


class BadCredentials(ServiceError):
    status = 401


def authorized(secret: str, authorization: str) -> bool:
    """HTTP Basic (mod_json_cdr's ``cred`` = ``user:password``): the password must be the secret."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic" or not secret:
        return False
    try:
        _, _, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(password.encode(), secret.encode())


def accept_post(svc: Services, raw: bytes, content_type: str, authorization: str) -> dict[str, Any]:
    if not svc.cdr_secret:
        raise CdrsOff("FreeSWITCH CDRs are not taken in here: AUTOCALL_CDR_SECRET is not set")
    if not authorized(svc.cdr_secret, authorization):
        raise BadCredentials("wrong or missing credentials (mod_json_cdr's cred: freeswitch:<AUTOCALL_CDR_SECRET>)")
    try:
        cdr = read(decode_body(raw, content_type))
    except BadCdr as exc:
        raise ServiceError(f"not a FreeSWITCH JSON CDR: {exc}") from None
    return {"kept": take(svc, [cdr])}


def take(svc: Services, cdrs: list[SwitchCdr]) -> int:
    """Keep the CDRs of calls in flight; note the CDR barriers that came."""
    ours = [c for c in cdrs if c.ours]
    kept, causes = SwitchCdrs(svc.store).keep(
        [(c.campaign, c.call, c.leg, c.hangup) for c in ours], [c.leg for c in cdrs if c.probe]
    )
    if kept < len(ours):  # some came for calls already recorded: one recorded as never run is a contradiction
        for cdr, cause in zip(ours, causes, strict=True):
            if cause == NOT_RUN:
                log.error(
                    "a CDR came for a call recorded as never run: the lead was dialled again",
                    extra={
                        "campaign": cdr.campaign,
                        "call": cdr.call,
                        "leg": cdr.leg,
                        "cause": cdr.hangup.get("Hangup-Cause"),
                    },
                )
    return kept
