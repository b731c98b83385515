"""autocall's own causes: what an attempt ended with when FreeSWITCH gave no hangup cause for it.

They sit beside FreeSWITCH's causes in a CDR's ``hangup_cause``; the
``AUTOCALL_`` prefix keeps them apart (docs/engine.md, "Crashes").
"""

from __future__ import annotations

# The call ended while no autocall engine listened, and neither its hangup nor its CDR came:
# counted as an attempt (it may have rung).
LOST = "AUTOCALL_LOST"
# The call's FreeSWITCH died (it came back as a new process): recalled, not counted.
SWITCH_LOST = "AUTOCALL_SWITCH_LOST"
# FreeSWITCH had neither a channel nor a CDR for the call after the wait, while it delivers CDRs:
# the originate never ran, nobody rang. The lead is dialled again; no attempt is counted.
NOT_RUN = "AUTOCALL_NOT_RUN"
# The lead's sealed numbers and fields cannot be opened (enable_encrypt, a key this engine does not
# have): failed at once, never originated.
UNREADABLE = "AUTOCALL_UNREADABLE"
# The campaign's message could not be made for the call (a TTS error, a missing audio file).
NO_MESSAGE = "AUTOCALL_NO_MESSAGE"
# Not a cause: the originate never reached FreeSWITCH (the connection was down, FreeSWITCH refused
# the command, the campaign was held meanwhile). Nothing is recorded; the lead is dialled again.
NOT_SENT = "not-sent"
