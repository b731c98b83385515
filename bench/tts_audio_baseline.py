# Baseline for bench/tts_audio.py ONLY -- not used by autocall.
# A verbatim copy of tts/audio.py as it was at commit e0d5a8f (before issue 16 replaced it with
# soxr + numpy + the standard library's wave): the hand-written big-integer resampler and RIFF parser.
# Kept so the bench can time the old path against the new one in the same run.
"""WAV parsing, channel mixing, resampling, peak normalisation and atomic WAV writing.

Pure standard library (no ``audioop``: it is gone in Python 3.13; no numpy, no sox).
All PCM here is signed 16-bit little-endian; "mono PCM" is ``bytes`` of such samples.

Resampling (``resample``/``convert``) is a band-limited polyphase resampler whose
per-sample arithmetic runs inside CPython's C big-integer code, not in a Python loop:

1. **Low-pass FIR as one big-integer multiplication.** The samples (offset to
   unsigned) are packed into 32-bit lanes of one Python ``int`` and multiplied
   by an ``int`` holding the integer taps in 32-bit lanes: lane *i* of the
   product is exactly ``sum_k c[k] * x[i-k]`` (a convolution is a polynomial
   product). The filter is a Kaiser-windowed sinc (60 dB stop band, cut-off at
   the lower rate's Nyquist frequency, transition +-15 % around it, 69 taps for
   22,050 -> 8,000 Hz). When the kept band is over a fifth of the source rate
   (22,050 -> 16,000 Hz, or any upsampling) the filter runs at twice the source
   rate, as two polyphase branches (two multiplications), so step 2 always
   interpolates an oversampled signal. Blocks of 16,384 samples bound each C
   call (1-2 ms).
2. **Cubic (Catmull-Rom) interpolation** at the exact output instants
   ``j * src / dst``. The instants repeat with a period of ``up`` outputs
   (160 for 22,050 -> 8,000 Hz), and the outputs of one phase read the filtered
   lanes at a fixed stride: each phase is one strided ``memoryview`` gather per
   tap and four big-integer multiply-adds (64-bit lanes). The result lands
   byte-aligned in each lane, so the 16-bit output is cut out with byte slices;
   a byte comparison detects a sample out of range (only then does a slow
   clipping path run).

Tone tests (22,050 Hz source): to 8 kHz, within 0.1 dB up to 3.4 kHz, aliases
of 4.6 kHz and up below -70 dB, interpolation spurs -71 dB at 1 kHz and -38 dB
at 3.4 kHz (below G.711's own noise); to 16 kHz, -0.2 dB at 7 kHz, spurs
-80 dB at 1 kHz and -37 dB at 7 kHz, aliases of 9 kHz and up below -41 dB.
Speed on the seed sentence (7.65 s of speech at 150 wpm): about 24 ms to 8 kHz
and 35 ms to 16 kHz (a per-sample Python windowed-sinc loop: about 90 ms).

``convert`` fuses resampling with peak normalisation (the gain is folded into
the interpolation weights, measured from the filtered signal), so the audio is
rounded to 16 bits once and espeak-ng's near-full-scale peaks never clip.
"""

from __future__ import annotations

import contextlib
import math
import os
import struct
import sys
import tempfile
from array import array
from collections.abc import Callable
from functools import cache, lru_cache
from itertools import repeat
from operator import add, rshift
from pathlib import Path

Pause = Callable[[], object] | None  # called between chunks of work (tts.synth: yield to the gevent loop)

FULL_SCALE = 32767
WAV_HEADER_BYTES = 44

_FLIP = bytes(b ^ 0x80 for b in range(256))  # flips the sign bit of a 16-bit sample's high byte
_COEF_BITS = 14  # filter taps are integers scaled by 2**14 (each polyphase branch sums to exactly that)
_WEIGHT_BITS = 32 - _COEF_BITS  # interpolation weights: so that the output lands at bit 32 of a 64-bit lane
_LANE_BIAS = 1 << 31  # added to every 32-bit FIR lane so signed lane values pack as unsigned bytes
_FIELD_OFFSET = 0x408000  # output field (bits 32..55): value + this; bytes 4-5 then hold offset-binary int16
_BLOCK = 16384  # samples per big-integer operation (1-2 ms of C each)
_PHASE_WORK = 32768  # gathered lanes between two pauses in the interpolation loop
_STOPBAND_DB = 60.0
_TRANSITION = 0.30  # transition band width as a fraction of the lower rate's Nyquist frequency


# --------------------------------------------------------------------------- WAV parsing


def _parse_wav(data: bytes) -> tuple[bytes, int, int, int]:
    """(pcm bytes, rate, channels, bits per sample) of a PCM WAV, walking its RIFF chunks.

    The ``data`` chunk's declared size is trusted only up to the bytes actually
    present: espeak-ng's ``--stdout`` writes a streaming header whose sizes are
    huge placeholders.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    fmt: tuple[int, int, int, int] | None = None
    pcm: bytes | None = None
    pos = 12
    while pos + 8 <= len(data):
        chunk_id = data[pos : pos + 4]
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        body = pos + 8
        if chunk_id == b"fmt ":
            if size < 16 or body + 16 > len(data):
                raise ValueError("truncated fmt chunk")
            tag, channels, rate, _byte_rate, _align, bits = struct.unpack_from("<HHIIHH", data, body)
            if tag == 0xFFFE and size >= 40 and body + 26 <= len(data):  # WAVE_FORMAT_EXTENSIBLE
                tag = int.from_bytes(data[body + 24 : body + 26], "little")
            fmt = (tag, channels, rate, bits)
        elif chunk_id == b"data" and pcm is None:
            pcm = data[body : min(body + size, len(data))]
        pos = body + size + (size & 1)
    if fmt is None:
        raise ValueError("no fmt chunk")
    if pcm is None:
        raise ValueError("no data chunk")
    tag, channels, rate, bits = fmt
    if tag != 1:
        raise ValueError(f"unsupported WAV encoding (format tag {tag:#x}); need integer PCM")
    if channels < 1 or rate < 1:
        raise ValueError(f"bad WAV format: {channels} channels at {rate} Hz")
    frame = channels * ((bits + 7) // 8)
    return pcm[: len(pcm) - len(pcm) % frame], rate, channels, bits


def read_wav(data: bytes) -> tuple[bytes, int, int]:
    """(16-bit little-endian PCM, sample rate, channels) of a 16-bit PCM WAV file's bytes.

    Raises ``ValueError`` for anything else (not RIFF/WAVE, no data, not 16-bit PCM).
    """
    pcm, rate, channels, bits = _parse_wav(data)
    if bits != 16:
        raise ValueError(f"unsupported WAV sample width: {bits} bits; need 16")
    return pcm, rate, channels


def _samples(pcm: bytes) -> array:
    a = array("h")
    a.frombytes(pcm[: len(pcm) & ~1])
    if sys.byteorder == "big":
        a.byteswap()
    return a


def _pcm(a: array) -> bytes:
    if sys.byteorder == "big":
        a = array("h", a)
        a.byteswap()
    return a.tobytes()


def peak(pcm: bytes, pause: Pause = None) -> int:
    """Largest absolute sample value of 16-bit PCM (0 for silence or no samples)."""
    top = 0
    end = len(pcm) & ~1
    for start in range(0, end, 2 * _BLOCK):
        if start and pause:
            pause()
        block = pcm[start : min(start + 2 * _BLOCK, end)]
        biased = bytearray(block)
        biased[1::2] = block[1::2].translate(_FLIP)  # offset binary: unsigned, same order
        lo, hi = _extremes(biased, 2)
        top = max(top, hi - 32768, 32768 - lo)
    return top


def to_mono(pcm: bytes, channels: int) -> bytes:
    """Mix interleaved 16-bit PCM of ``channels`` channels down to mono (the mean of the channels)."""
    if channels == 1:
        return pcm
    if channels < 1:
        raise ValueError(f"bad channel count {channels}")
    a = _samples(pcm)
    a = a[: len(a) - len(a) % channels]
    if channels == 2:
        mixed = map(rshift, map(add, a[0::2], a[1::2]), repeat(1))
    else:
        total: object = a[0::channels]
        for c in range(1, channels):
            total = map(add, total, a[c::channels])
        mixed = (s // channels for s in total)  # type: ignore[attr-defined]
    return _pcm(array("h", mixed))


# --------------------------------------------------------------------------- resampling


def _bessel_i0(x: float) -> float:
    total = term = 1.0
    k = 1
    while term > 1e-12 * total:
        term *= (x / (2 * k)) ** 2
        total += term
        k += 1
    return total


class _Plan:
    """Everything about a (src, dst) rate pair that does not depend on the audio."""

    def __init__(self, src: int, dst: int) -> None:
        # Cubic interpolation is accurate only on an oversampled signal: when the
        # band kept is under a fifth of the source rate (22,050 -> 8,000 Hz) the
        # source rate itself is enough; otherwise the filter also interpolates 2x.
        self.over = 1 if 5 * min(src, dst) <= 2 * src else 2
        g = math.gcd(self.over * src, dst)
        self.up, self.down = dst // g, self.over * src // g  # output j sits at filtered lane j*down/up
        fs = float(self.over * src)
        nyquist = min(src, dst) / 2.0
        transition = _TRANSITION * nyquist / fs  # cycles per filtered-rate sample
        ntaps = math.ceil((_STOPBAND_DB - 7.95) / (2.285 * 2 * math.pi * transition)) + 1
        ntaps = min(max(ntaps, 15), 1023) | 1  # odd: a whole-sample group delay
        beta = (
            0.1102 * (_STOPBAND_DB - 8.7)
            if _STOPBAND_DB > 50
            else 0.5842 * (_STOPBAND_DB - 21) ** 0.4 + 0.07886 * (_STOPBAND_DB - 21)
        )
        half = ntaps // 2
        cutoff = nyquist / fs
        proto = []
        for k in range(-half, half + 1):
            s = 2 * cutoff if k == 0 else math.sin(2 * math.pi * cutoff * k) / (math.pi * k)
            r = k / (half + 1)
            proto.append(s * _bessel_i0(beta * math.sqrt(1.0 - r * r)))
        branches = []
        for branch in (proto[e :: self.over] for e in range(self.over)):
            total = sum(branch)
            taps = [round(v / total * (1 << _COEF_BITS)) for v in branch]
            taps[len(taps) // 2] += (1 << _COEF_BITS) - sum(taps)  # each branch has DC gain exactly 1
            pos = sum(v for v in taps if v > 0)
            neg = -sum(v for v in taps if v < 0)
            if max(pos, neg) * 65535 >= _LANE_BIAS:  # pragma: no cover - design-time guarantee
                raise AssertionError("filter taps overflow a 32-bit lane")
            branches.append(taps)
        self.ntaps = ntaps
        self.branch_taps = len(branches[0])  # the longest branch; shorter ones get a zero tap at the end
        self.packed = tuple(sum(c << (32 * k) for k, c in enumerate(taps)) for taps in branches)
        self.delay = half  # group delay in filtered-rate samples
        # a filtered lane u holds y * 2**COEF_BITS + lane_dc, y the filtered sample in sample units
        self.lane_dc = _LANE_BIAS + 32768 * (1 << _COEF_BITS)
        self.pad = self.branch_taps + 4  # zero samples each side of the audio
        self.phases = []
        for p in range(self.up):
            f = (p * self.down % self.up) / self.up
            f2, f3 = f * f, f * f * f
            weights = ((-f3 + 2 * f2 - f) / 2, (3 * f3 - 5 * f2 + 2) / 2, (-3 * f3 + 4 * f2 + f) / 2, (f3 - f2) / 2)
            self.phases.append((p * self.down // self.up, weights))


@lru_cache(maxsize=16)
def _plan(src: int, dst: int) -> _Plan:
    return _Plan(src, dst)


def _filtered(pcm: bytes, plan: _Plan, pause: Pause = None) -> bytearray:
    """The low-passed signal (at ``over`` times the source rate) as little-endian unsigned 32-bit lanes.

    Lane ``r`` is the filtered signal at source time ``(r - delay) / over - pad``;
    it holds ``y * 2**COEF_BITS + lane_dc`` (see ``_Plan``).
    """
    kp = plan.branch_taps
    xp = bytes(2 * (plan.pad + kp - 1)) + pcm + bytes(2 * plan.pad)  # (kp - 1) more zeros: each block's history
    n = len(xp) // 2 - (kp - 1)  # lanes per branch
    out = bytearray(4 * plan.over * n)
    for q0 in range(0, n, _BLOCK):
        if q0 and pause:
            pause()
        count = min(_BLOCK, n - q0)
        block = xp[2 * q0 : 2 * (q0 + count + kp - 1)]
        lanes = len(block) // 2
        buf = bytearray(4 * lanes)
        buf[0::4] = block[0::2]
        buf[1::4] = block[1::2].translate(_FLIP)  # x + 32768: unsigned, so packing needs no borrows
        x = int.from_bytes(buf, "little")
        total = lanes + kp - 1
        bias = int.from_bytes(b"\0\0\0\x80" * total, "little")
        stride = 4 * plan.over
        seg = bytearray(stride * count)
        for branch, packed in enumerate(plan.packed):
            lane_bytes = (x * packed + bias).to_bytes(4 * total, "little")[4 * (kp - 1) : 4 * (kp - 1 + count)]
            if plan.over == 1:
                seg = lane_bytes
            else:
                for i in range(4):
                    seg[4 * branch + i :: stride] = lane_bytes[i::4]
        out[stride * q0 : stride * (q0 + count)] = seg
    return out


@cache
def _at_least(v: int) -> bytes:
    """``bytes.translate`` table: 1 where the byte is >= v, else 0."""
    return bytes(int(b >= v) for b in range(256))


@cache
def _equal(v: int) -> bytes:
    """``bytes.translate`` table: 0xFF where the byte equals v, else 0."""
    return bytes(0xFF if b == v else 0 for b in range(256))


def _max_byte(b: bytes) -> int:
    lo, hi = 0, 255  # the largest v such that some byte >= v
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if 1 in b.translate(_at_least(mid)) else (lo, mid - 1)
    return lo


def _min_byte(b: bytes) -> int:
    lo, hi = 0, 255  # the smallest v such that some byte <= v (not every byte >= v + 1)
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if 0 in b.translate(_at_least(mid + 1)) else (mid + 1, hi)
    return lo


def _extremes(z: bytes | bytearray, width: int) -> tuple[int, int]:
    """Bounds (lo <= min, hi >= max) of the unsigned little-endian ``width``-byte lanes of ``z``.

    Exact in the top two bytes of a lane (so exact for 2-byte lanes), computed
    without an ``int`` per lane: binary searches over ``bytes.translate`` for
    the extreme top byte, then a big-integer AND masks the second bytes of the
    lanes that share it.
    """
    top = bytes(z[width - 1 :: width])
    n = len(top)
    if n == 0:
        return 0, 0
    second = int.from_bytes(z[width - 2 :: width], "little")
    hi_top = _max_byte(top)
    mask = int.from_bytes(top.translate(_equal(hi_top)), "little")
    hi_second = _max_byte((second & mask).to_bytes(n, "little"))
    lo_top = _min_byte(top)
    mask = int.from_bytes(top.translate(_equal(lo_top)), "little")
    lo_second = _min_byte(((second & mask) | (((1 << (8 * n)) - 1) ^ mask)).to_bytes(n, "little"))
    shift = 8 * (width - 2)
    return (lo_top << 8 | lo_second) << shift, ((hi_top << 8 | hi_second) << shift) | ((1 << shift) - 1)


def _resample(
    pcm: bytes, src: int, dst: int, gain: float | None, peak_dbfs: float, max_gain_db: float, pause: Pause
) -> bytes:
    n = len(pcm) // 2
    n_out = (n * dst + src // 2) // src
    if n_out == 0:
        return b""
    plan = _plan(src, dst)
    z = _filtered(pcm[: 2 * n], plan, pause)
    if gain is None:  # normalise: the peak of the filtered signal sets the gain
        top = 0
        for start in range(0, len(z), 4 * _BLOCK):
            if pause:
                pause()
            lo, hi = _extremes(z[start : start + 4 * _BLOCK], 4)
            top = max(top, hi - plan.lane_dc, plan.lane_dc - lo)
        gain = _gain(top / (1 << _COEF_BITS), peak_dbfs, max_gain_db)
    lanes_view = memoryview(z).cast("I")  # native order, but .tobytes() keeps each lane's little-endian bytes
    out = bytearray(2 * n_out)
    base = plan.over * plan.pad + plan.delay
    scale = gain * (1 << _WEIGHT_BITS)
    work = 0
    for p, (b_p, weights) in enumerate(plan.phases):
        cnt = len(range(p, n_out, plan.up))
        if cnt == 0:
            continue
        work += 4 * cnt
        if work > _PHASE_WORK and pause:
            pause()
            work = 0
        acc = 0
        total_weight = 0
        for t, w in zip((-1, 0, 1, 2), weights, strict=True):
            v = round(w * scale)
            if v == 0:
                continue
            r0 = base + b_p + t
            gathered = lanes_view[r0 : r0 + plan.down * (cnt - 1) + 1 : plan.down].tobytes()
            wide = bytearray(8 * cnt)
            for i in range(4):
                wide[i::8] = gathered[i::4]
            acc += v * int.from_bytes(wide, "little")
            total_weight += v
        # lane = sum v*u = (sum v*y) * 2**COEF_BITS + V*lane_dc; make bits 32.. hold round(out) + FIELD_OFFSET
        const = (_FIELD_OFFSET << 32) + (1 << 31) - total_weight * plan.lane_dc
        acc += const * int.from_bytes((b"\x01" + bytes(7)) * cnt, "little")
        raw = acc.to_bytes(8 * cnt, "little")
        hi_field = bytes([_FIELD_OFFSET >> 16 & 0xFF]) * cnt
        if raw[6::8] == hi_field and raw[7::8] == bytes(cnt):
            out[2 * p :: 2 * plan.up] = raw[4::8]
            out[2 * p + 1 :: 2 * plan.up] = raw[5::8].translate(_FLIP)
        else:  # some sample out of the 16-bit range: clip (rare: normalised output has headroom)
            fields = [int.from_bytes(raw[8 * i + 4 : 8 * i + 8], "little") - _FIELD_OFFSET for i in range(cnt)]
            clipped = _pcm(array("h", (min(max(v, -32768), 32767) for v in fields)))
            out[2 * p :: 2 * plan.up] = clipped[0::2]
            out[2 * p + 1 :: 2 * plan.up] = clipped[1::2]
    return bytes(out)


def _gain(top: float, peak_dbfs: float, max_gain_db: float) -> float:
    if top <= 0:
        return 1.0
    target = FULL_SCALE * 10.0 ** (peak_dbfs / 20.0)
    return min(target / top, 10.0 ** (max_gain_db / 20.0))


def resample(pcm: bytes, src_rate: int, dst_rate: int, *, pause: Pause = None) -> bytes:
    """Band-limited resampling of mono 16-bit PCM from ``src_rate`` to ``dst_rate`` Hz.

    Output length is ``round(len * dst / src)`` samples; samples beyond the
    16-bit range (filter overshoot on near-full-scale input) are clipped.
    ``pause`` is called between chunks of a few ms of work.
    """
    if src_rate <= 0 or dst_rate <= 0:
        raise ValueError(f"bad sample rates {src_rate} -> {dst_rate}")
    if src_rate == dst_rate:
        return pcm[: len(pcm) & ~1]
    return _resample(pcm, src_rate, dst_rate, 1.0, 0.0, 0.0, pause)


def normalize(pcm: bytes, peak_dbfs: float = -1.0, max_gain_db: float = 20.0, *, pause: Pause = None) -> bytes:
    """Scale 16-bit PCM so its peak is ``peak_dbfs`` dB below full scale (32767).

    Gain is capped at ``max_gain_db`` (near-silence is not blown up to full
    scale); silence is returned unchanged.
    """
    pcm = pcm[: len(pcm) & ~1]
    top = peak(pcm, pause)
    if top == 0:
        return pcm
    gain = _gain(top, peak_dbfs, max_gain_db)
    out = []
    for start in range(0, len(pcm), 2 * _BLOCK):
        if pause:
            pause()
        out.append(_scale(pcm[start : start + 2 * _BLOCK], gain))
    return b"".join(out)


def _scale(pcm: bytes, gain: float) -> bytes:
    """``round(sample * gain)`` for every sample, clipped to 16 bits, as one big-integer multiplication.

    Samples (offset to unsigned) sit in 64-bit lanes; one multiplication by the
    gain in 16.16 fixed point scales them all, and the rounded result lands in
    bytes 2-3 of each lane, offset-binary (see ``_resample`` for the trick).
    """
    n = len(pcm) // 2
    if n == 0:
        return b""
    g = round(gain * 65536)
    buf = bytearray(8 * n)
    buf[0::8] = pcm[0::2]
    buf[1::8] = pcm[1::2].translate(_FLIP)
    offset = (1 << 31) + 0x8000  # the field (bits 16..63) holds value + offset: 0x8000xxxx when in range
    const = (offset << 16) + (1 << 15) - 32768 * g
    lanes = int.from_bytes(buf, "little") * g + const * int.from_bytes((b"\x01" + bytes(7)) * n, "little")
    raw = lanes.to_bytes(8 * n, "little")
    if raw[4::8] == bytes(n) and raw[5::8] == b"\x80" * n and raw[6::8] == bytes(n) and raw[7::8] == bytes(n):
        out = bytearray(2 * n)
        out[0::2] = raw[2::8]
        out[1::2] = raw[3::8].translate(_FLIP)
        return bytes(out)
    fields = (int.from_bytes(raw[8 * i + 2 : 8 * i + 8], "little") - offset for i in range(n))
    return _pcm(array("h", (min(max(v, -32768), 32767) for v in fields)))


def convert(
    pcm: bytes,
    src_rate: int,
    dst_rate: int,
    peak_dbfs: float | None = -1.0,
    max_gain_db: float = 20.0,
    *,
    pause: Pause = None,
) -> bytes:
    """``normalize(resample(pcm, src_rate, dst_rate), peak_dbfs)`` rounded once (no intermediate clipping).

    ``peak_dbfs=None`` only resamples. ``pause`` is called between chunks of a few ms of work.
    """
    if src_rate <= 0 or dst_rate <= 0:
        raise ValueError(f"bad sample rates {src_rate} -> {dst_rate}")
    if src_rate == dst_rate:
        pcm = pcm[: len(pcm) & ~1]
        return pcm if peak_dbfs is None else normalize(pcm, peak_dbfs, max_gain_db, pause=pause)
    if peak_dbfs is None:
        return _resample(pcm, src_rate, dst_rate, 1.0, 0.0, 0.0, pause)
    return _resample(pcm, src_rate, dst_rate, None, peak_dbfs, max_gain_db, pause)


# --------------------------------------------------------------------------- writing


def wav_bytes(pcm: bytes, rate: int, channels: int = 1) -> bytes:
    """A canonical 44-byte-header 16-bit PCM WAV file holding ``pcm``."""
    pcm = pcm[: len(pcm) & ~1]
    align = 2 * channels
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + len(pcm),
        b"WAVE",
        b"fmt ",
        16,
        1,
        channels,
        rate,
        rate * align,
        align,
        16,
        b"data",
        len(pcm),
    )
    return header + pcm


def write_wav(path: Path, pcm: bytes, rate: int) -> None:
    """Write mono 16-bit PCM as a WAV file atomically, mode 0644.

    The bytes go to a temporary file in the same directory, which then replaces
    ``path`` (``os.replace``): a reader (FreeSWITCH) sees no file or the whole
    file, never a partial one. Mode 0644 because FreeSWITCH may run as another
    user. Not fsync'd (see docs/tts-synthesis.md: the cache discards short files).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(wav_bytes(pcm, rate))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def wav_info(path: Path) -> tuple[int, int, int, float, float]:
    """(rate, channels, sample width in bytes, seconds, peak as a fraction of full scale) of a PCM WAV file."""
    pcm, rate, channels, bits = _parse_wav(Path(path).read_bytes())
    width = (bits + 7) // 8
    seconds = len(pcm) / (rate * channels * width)
    top = peak(pcm) / FULL_SCALE if width == 2 else float("nan")
    return rate, channels, width, seconds, top
