"""Closed vocabularies of the domain, spelled as the seed APIs spell them."""

from __future__ import annotations

from enum import StrEnum


class Network(StrEnum):
    """A lead's network, detected from its number prefix (a routing heuristic)."""

    VIETTEL = "viettel"
    MOBI = "mobi"
    VINA = "vina"
    TEL = "tel"  # fixed lines, 02x
    OFFNET = "offnet"  # every other network


class RecallStatus(StrEnum):
    """Exactly one per finished attempt; ``recall_status`` lists which ones recall."""

    ANSWERED = "answered"
    BUSY = "busy"
    FAILED = "failed"
    NO_ANSWERED = "no-answered"  # the seed's spelling
    NOT_AVAILABLE = "not-available"
    VOICEMAIL = "voicemail"
    INVALID_NUMBER = "invalid-number"
    PHONE_BLOCK = "phone-block"
    CONGESTION = "congestion"
    # autocall: cancelled on our side while ringing (the report's ``cancel``). Not in the seeds' list,
    # where such a call was ``failed``: a campaign whose recall_status names failed recalls it too.
    CANCEL = "cancel"
    # autocall: an autodialer call a human answered that no agent took (mod_callcenter's queue wait ran out,
    # or the callee hung up waiting): docs/outcomes.md, "Autodialer calls". Its report key is ``answered``.
    ABANDONED = "abandoned"


class ReportKey(StrEnum):
    """The ``status`` keys of ``/v1/autocall/report``."""

    ANSWERED = "answered"
    BUSY = "busy"
    NOT_AVAILABLE = "not_available"
    NO_ANSWER = "no_answer"
    CANCEL = "cancel"
    FAILED = "failed"


class CampaignStatus(StrEnum):
    STOP = "stop"
    START = "start"
    PAUSE = "pause"


class ModeCall(StrEnum):
    DIRECT = "direct"
    SERIAL = "serial"
    PARALLEL = "parralel"  # the seed's spelling; "parallel" is accepted on input


class TypeAutocall(StrEnum):
    AUDIO = "autocall_audio"
    VOICE_TTS = "autocall_voice_tts"
    VOICE_OTP = "autocall_voice_otp"


class CampaignType(StrEnum):
    AUTODIALER = "autodialer"
    AUTOCALL = "autocall"
    INBOUND = "inbound"
    MANUAL = "manual"


class ScheduleRecall(StrEnum):
    MINUTE = "minute"
    AFTER = "after"


class PriorityRecall(StrEnum):
    NORMAL = "normal"
    RECALL = "recall"
