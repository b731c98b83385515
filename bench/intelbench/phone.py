"""The phone path: 8 kHz audio through G.711 μ-law (encode, decode) or plain 16-bit PCM, then up to 16 kHz.

G.711 μ-law in numpy: Sun's reference g711.c on 14-bit samples (bias 0x21, clip 8,159),
the algorithm of CPython's deprecated ``audioop.lin2ulaw``/``ulaw2lin`` and bit-identical
to them on every 16-bit value: ``ulaw_decode(ulaw_encode(x))`` is what a callee's handset gets from an
8 kHz PCMU leg. No packet loss, jitter or line noise (see the bench's "leaves out").
"""

from __future__ import annotations

import numpy as np
import soxr

BIAS = 0x84  # the 16-bit decoder's bias (0x21 << 2)
BIAS14, CLIP14 = 0x21, 8159  # the encoder's, on 14-bit samples
CODECS = ("pcmu", "l16")  # G.711 μ-law; plain 16-bit PCM at 8 kHz (the codec's ceiling)


def ulaw_encode(pcm: np.ndarray) -> np.ndarray:
    """int16 samples -> μ-law bytes (uint8)."""
    x = pcm.astype(np.int32) >> 2  # 14 bits, arithmetic shift (as g711.c)
    mask = np.where(x < 0, 0x7F, 0xFF)
    mag = np.minimum(np.abs(x), CLIP14) + BIAS14  # 0x21..0x2000
    segment = np.floor(np.log2(mag)).astype(np.int32) - 5  # 0..8; 8: at the clip (g711.c's 0x7F)
    code = np.where(segment >= 8, 0x7F, (segment << 4) | ((mag >> (segment + 1)) & 0x0F))
    return (code ^ mask).astype(np.uint8)


def ulaw_decode(code: np.ndarray) -> np.ndarray:
    """μ-law bytes (uint8) -> int16 samples."""
    u = ~code.astype(np.int32) & 0xFF
    sign, exponent, mantissa = u & 0x80, (u >> 4) & 0x07, u & 0x0F
    mag = (((mantissa << 3) + BIAS) << exponent) - BIAS
    return np.where(sign != 0, -mag, mag).astype(np.int16)


def through(pcm8k: np.ndarray, codec: str) -> np.ndarray:
    """8 kHz int16 samples as the far end hears them over ``codec`` ("pcmu" or "l16")."""
    if codec == "pcmu":
        return ulaw_decode(ulaw_encode(pcm8k))
    if codec == "l16":
        return pcm8k.astype(np.int16)
    raise ValueError(f"codec must be one of {CODECS}, got {codec!r}")


def to_recogniser(pcm8k: np.ndarray, rate: int = 16000) -> np.ndarray:
    """8 kHz int16 -> ``rate`` int16 (libsoxr HQ), what the recogniser was trained on."""
    if rate == 8000:
        return pcm8k.astype(np.int16)
    up = soxr.resample(pcm8k.astype(np.float32), 8000, rate, quality="HQ")
    return np.clip(np.rint(up), -32768, 32767).astype(np.int16)


def squeeze_silences(pcm: np.ndarray, rate: int, keep_ms: int = 150, floor: int = 200) -> np.ndarray:
    """``pcm`` with every run of near-silence (|sample| < ``floor``) longer than ``keep_ms`` cut to ``keep_ms``.

    Not part of the phone path: the bench's second view of an OTP. The recogniser cuts audio into utterances
    at silences and misses many a word alone (espeak-ng's "sáu" and "không" alone come back empty), so with
    the silences squeezed the digit figure measures the digit clips themselves, whatever the pause.
    """
    keep = rate * keep_ms // 1000
    quiet = np.abs(pcm.astype(np.int32)) < floor
    edges = np.flatnonzero(np.diff(np.concatenate([[0], quiet.astype(np.int8), [0]])))
    mask = np.ones(len(pcm), dtype=bool)
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if end - start > keep:
            mask[start + keep : end] = False
    return pcm[mask]
