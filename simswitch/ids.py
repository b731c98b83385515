"""UUID text, as ``str(uuid.UUID(int=n, version=4))`` writes it, without building UUID objects.

Every call takes several (an application's Application-UUID, the SIP Call-ID, uuids FreeSWITCH
makes up); ``uuid.UUID`` validates and wraps each, several times the cost of the text itself.
"""

from __future__ import annotations

import random

_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_SET = (0x8000 << 48) | (4 << 76)


def uuid4_text(n: int) -> str:
    """``str(uuid.UUID(int=n, version=4))`` for a 128-bit ``n``."""
    h = "%032x" % ((n & _CLEAR) | _SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# Unseeded (so --seed's choices are not shifted) and not cryptographic: these uuids only have
# to be unique, and os.urandom is a system call per uuid.
_RANDOM = random.Random()


def random_uuid() -> str:
    """A random version-4 uuid, as ``str(uuid.uuid4())`` writes one."""
    return uuid4_text(_RANDOM.getrandbits(128))
