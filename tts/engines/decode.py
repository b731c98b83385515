"""A vendor's audio answer, whatever its container, as mono 16-bit PCM and its rate.

Vendors answer with a WAV (Azure, Google's LINEAR16, Viettel's option 2, FPT's
``format: wav``) or an MP3 (FPT's and Vbee's default, Viettel's option 3, Zalo's
``encode_type`` 1), and a few ignore the format asked for, so the container is
sniffed from the bytes rather than trusted from a header:

- ``RIFF….WAVE``: :func:`tts.audio.read_wav` (integer PCM, any rate, stereo mixed down);
- ``ID3`` or an MPEG audio frame sync (``0xFFE…``): decoded with ``miniaudio``
  (dr_mp3 compiled into the wheel: no system library, no ffmpeg; MIT);
- anything else (JSON, HTML, an empty body, a truncated file) is a
  :class:`~tts.engines.base.SynthesisError` naming the vendor and what came back.

The synthesizer resamples to 8/16 kHz afterwards (``tts.audio.convert``).
"""

from __future__ import annotations

from tts.audio import read_wav, to_mono
from tts.engines.base import SynthesisError


def sniff(body: bytes) -> str:
    """``"wav"``, ``"mp3"`` or ``""`` (neither) from the first bytes of ``body``."""
    if body[:4] == b"RIFF" and body[8:12] == b"WAVE":
        return "wav"
    if body[:3] == b"ID3" or (len(body) > 1 and body[0] == 0xFF and body[1] & 0xE0 == 0xE0):
        return "mp3"
    return ""


def _snippet(body: bytes, limit: int = 80) -> str:
    text = body[:limit].decode("utf-8", "replace").strip()
    return text or "(empty body)"


def decode_mp3(body: bytes) -> tuple[bytes, int]:
    """(mono PCM, rate) of an MP3 file's bytes; ``ValueError`` if it holds no decodable audio."""
    import miniaudio  # imported here: only a server whose vendor answers MP3 pays for it

    try:
        decoded = miniaudio.mp3_read_s16(body)
    except miniaudio.DecodeError as exc:
        raise ValueError(f"not a decodable MP3: {exc}") from None
    pcm = decoded.samples.tobytes()
    if not pcm or decoded.sample_rate <= 0:
        raise ValueError("an MP3 with no audio frames")
    return to_mono(pcm, decoded.nchannels), decoded.sample_rate


def decode_audio(body: bytes, source: str) -> tuple[bytes, int]:
    """(mono PCM, rate) of a WAV or MP3 answer. ``source`` names the vendor in the error."""
    kind = sniff(body)
    try:
        if kind == "wav":
            pcm, rate, channels = read_wav(body)
            return to_mono(pcm, channels), rate
        if kind == "mp3":
            return decode_mp3(body)
    except ValueError as exc:
        raise SynthesisError(f"{source} returned unusable {kind.upper()} audio ({exc}, {len(body)} bytes)") from None
    raise SynthesisError(f"{source} returned no WAV or MP3 audio ({len(body)} bytes: {_snippet(body)})")
