"""The one error type of speech synthesis, in a module of its own.

``tts.engines`` (every engine raises it) and ``tts.decode`` (a vendor's audio that
cannot be decoded) both need it, and the vendor engines decode with ``tts.decode``:
defined here, below both, it keeps them free of an import cycle.
``tts.engines.base`` re-exports it, so ``from tts.engines import SynthesisError`` still works.
"""

from __future__ import annotations


class SynthesisError(Exception):
    """Speech could not be produced: engine missing, failed, timed out, or returned no usable audio.

    Every engine raises only this (with a message saying what went wrong), so a
    caller catches one type.
    """
