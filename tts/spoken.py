"""A rendered message: the WAV's path, which also says which voices spoke it (for the CDR).

``Spoken`` *is* a path (a ``PosixPath``), so everything that takes the path a
renderer returns (FreeSWITCH's ``autocall_file``, a WAV reader, a test) keeps
working unchanged; ``voices`` and ``engines`` name who spoke it, in the order
heard (an OTP assembled while a vendor failed may mix two). A plain ``Path``
(a renderer that does not say) reads as spoken by nobody named.
"""

from __future__ import annotations

from pathlib import Path, PosixPath


class Spoken(PosixPath):
    voices: tuple[str, ...] = ()
    engines: tuple[str, ...] = ()

    @classmethod
    def of(cls, path: Path, voices: tuple[str, ...], engines: tuple[str, ...]) -> Spoken:
        spoken = cls(path)
        spoken.voices, spoken.engines = voices, engines
        return spoken


def unique(names: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """``names`` in first-heard order, each once."""
    return tuple(dict.fromkeys(names))
