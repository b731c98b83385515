"""VBot's codes for an outcome (seed 003): the autocall-history ``status`` and the call-history ``disposition``.

Both start from the classifier's :class:`~dialer.outcomes.classify.Outcome`, report key first, so
VBot's figures add up like autocall's report; docs/outcomes.md's "VBot table" is generated from
them (``python -m dialer.outcomes.table --vbot``).
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

from dialer.domain.enums import RecallStatus, ReportKey
from dialer.outcomes.cause_rules import CAUSE_RULES
from dialer.outcomes.classify import Outcome

__all__ = ["NEVER_SENT", "Disposition", "VBotStatus", "vbot_disposition", "vbot_status"]

R = RecallStatus
K = ReportKey

# VBot "undetermined error": causes that carry no information.
_UNDETERMINED = frozenset({"NONE", "NORMAL_UNSPECIFIED", "INTERWORKING"})


class VBotStatus(IntEnum):
    """VBot autocall-history ``status`` (seed 003)."""

    ANSWER = 200
    NO_ANSWER = 2
    BUSY = 3
    CANCEL = 4
    SYSTEM_ERROR = 100  # "Lỗi hệ thống"
    UNKNOWN_NUMBER = 101  # "Số điện thoại không xác định"
    NO_HOTLINE_FOR_NETWORK = 102  # "Không tìm thấy hotline cho thuộc nhà mạng của số điện thoại"
    UNDETERMINED_ERROR = 104  # "Lỗi không xác định"
    NETWORK_NOT_SUPPORTED = 106  # "Không hỗ trợ nhà mạng của số điện thoại"
    # 103 (account out of money) and 105 (VBot package expired) describe VBot's own
    # billing; autocall has no such state and never sends them.


def vbot_status(outcome: Outcome) -> int:
    """VBot's autocall-history status code for an outcome (seed 003).

    The report key decides first, so VBot's figures add up like autocall's report;
    a ``failed`` one is refined by cause. An engine that cannot route a number at
    all should record cause INVALID_GATEWAY (no gateway for its network → 102) or
    NO_ROUTE_TRANSIT_NET (the carrier does not serve that network → 106).
    """
    key = outcome.report_key
    if key is K.ANSWERED:
        return VBotStatus.ANSWER  # voicemail and short calls too: the call was answered and billed
    if key in (K.NO_ANSWER, K.NOT_AVAILABLE):
        return VBotStatus.NO_ANSWER  # VBot has no "unreachable" code; nobody answered
    if key is K.BUSY:
        return VBotStatus.BUSY  # busy, and refusals by the callee (603, 607)
    if key is K.CANCEL:
        return VBotStatus.CANCEL
    if outcome.recall_status is R.INVALID_NUMBER:
        return VBotStatus.UNKNOWN_NUMBER
    if outcome.cause == "INVALID_GATEWAY":
        return VBotStatus.NO_HOTLINE_FOR_NETWORK
    if outcome.cause == "NO_ROUTE_TRANSIT_NET":
        return VBotStatus.NETWORK_NOT_SUPPORTED
    if outcome.recall_status is R.CONGESTION or outcome.cause in _UNDETERMINED or outcome.cause not in CAUSE_RULES:
        return VBotStatus.UNDETERMINED_ERROR
    return VBotStatus.SYSTEM_ERROR


class Disposition(StrEnum):
    """VBot call-history ``disposition`` (seed 003), Asterisk's DIALSTATUS vocabulary."""

    ANSWER = "ANSWER"  # "Nghe máy"
    BUSY = "BUSY"  # "Người nhận bận"
    NOANSWER = "NOANSWER"  # "Người nhận không trả lời"
    CANCEL = "CANCEL"  # "Người gọi hủy cuộc gọi"
    CONGESTION = "CONGESTION"
    CHANUNAVAIL = "CHANUNAVAIL"
    NORMAL_CLEARING = "NORMAL_CLEARING"  # "Lỗi cuộc gọi": a call error
    # Never sent by autocall: inbound / call-centre agent states, Asterisk privacy-manager results,
    # a bad Dial() argument list, and the catch-all "more states".
    MORE = "MORE"
    MISSCALL = "MISSCALL"
    SOMEONEANSWERED = "SOMEONEANSWERED"
    LOGOUT = "LOGOUT"
    INCALL = "INCALL"
    DONTCALL = "DONTCALL"
    TORTURE = "TORTURE"
    INVALIDARGS = "INVALIDARGS"


NEVER_SENT = frozenset(
    {
        Disposition.MORE,
        Disposition.MISSCALL,
        Disposition.SOMEONEANSWERED,
        Disposition.LOGOUT,
        Disposition.INCALL,
        Disposition.DONTCALL,
        Disposition.TORTURE,
        Disposition.INVALIDARGS,
    }
)
# Failed attempts where no channel to the callee could be had: the number, the
# network's refusal, or no route/hotline for the number's network (Asterisk's
# CHANUNAVAIL, its DIALSTATUS for a dial that got no channel).
_NO_CHANNEL_CAUSES = frozenset({"INVALID_GATEWAY", "NO_ROUTE_TRANSIT_NET"})


def vbot_disposition(outcome: Outcome) -> Disposition:
    """VBot's call-history ``disposition`` for an outcome (seed 003).

    Like :func:`vbot_status`, the report key decides first, so the two VBot
    bodies and autocall's report agree; unlike it, ``not_available`` keeps its
    own value (CHANUNAVAIL: the handset could not be reached) because the
    disposition vocabulary has one. A ``failed`` attempt is refined: network
    congestion → CONGESTION; an invalid number, a network refusal of the call
    (phone-block) or no route/hotline for the number's network → CHANUNAVAIL;
    anything else (our system, configuration, protocol, unknown) → NORMAL_CLEARING,
    which VBot documents as "call error".
    """
    key = outcome.report_key
    if key is K.ANSWERED:
        return Disposition.ANSWER  # voicemail and short calls too, as status 200
    if key is K.NO_ANSWER:
        return Disposition.NOANSWER
    if key is K.NOT_AVAILABLE:
        return Disposition.CHANUNAVAIL
    if key is K.BUSY:
        return Disposition.BUSY  # refusals by the callee (603, 607) too, as Asterisk reports a 603
    if key is K.CANCEL:
        return Disposition.CANCEL
    if outcome.recall_status is R.CONGESTION:
        return Disposition.CONGESTION
    if outcome.recall_status in (R.INVALID_NUMBER, R.PHONE_BLOCK) or outcome.cause in _NO_CHANNEL_CAUSES:
        return Disposition.CHANUNAVAIL
    return Disposition.NORMAL_CLEARING
