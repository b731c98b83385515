"""WAV reading and writing, mono mix-down, resampling, peak normalisation.

WAV files go through the standard library's ``wave``; resampling is libsoxr (``soxr``, its
"HQ" preset), the rest numpy. Measured on 22,050 Hz tones (bench/tts_audio.py): flat within
0.01 dB up to 3.6 kHz at 8 kHz and 7.2 kHz at 16 kHz; aliases of tones above the new Nyquist
frequency, and every spur, at the 16-bit noise floor (about -100 dB).

PCM here is ``bytes`` of signed 16-bit samples in the machine's byte order (little-endian
on every machine autocall runs on, so a WAV's data bytes as they are); ``wave``
converts at the file boundary. "Mono PCM" is one channel of such samples.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt
import soxr

Pause = Callable[[], object] | None  # called between chunks of work (tts.synth: yield to the gevent loop)
Signal = npt.NDArray[np.float32]

FULL_SCALE = 32767
_CHUNK = 32768  # samples per step: about 0.3 ms of work, so a ``pause`` comes often enough for the hub


# --------------------------------------------------------------------------- WAV files


def _parse_wav(data: bytes) -> tuple[bytes, int, int, int]:
    """(PCM bytes, rate, channels, sample width in bytes) of an integer-PCM WAV file's bytes."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    # espeak-ng's --stdout (and other streaming writers) leave placeholder sizes in the header. wave
    # reads no further than the RIFF size and the data chunk's size, whichever ends first: setting
    # the RIFF size to the bytes present makes it read the data actually there, however it is declared.
    fixed = bytearray(data)
    fixed[4:8] = min(len(data) - 8, 0xFFFFFFFF).to_bytes(4, "little")
    _extensible_as_pcm(fixed)
    try:
        with wave.open(io.BytesIO(fixed)) as w:
            rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
            pcm = w.readframes(w.getnframes())
    except wave.Error as exc:
        raise ValueError(_wave_error(str(exc))) from None
    except EOFError:  # wave's word for a fmt chunk cut short
        raise ValueError("truncated fmt chunk") from None
    if rate < 1:
        raise ValueError(f"bad WAV format: {channels} channels at {rate} Hz")
    frame = channels * width
    return pcm[: len(pcm) - len(pcm) % frame], rate, channels, width  # a torn last frame is dropped


_EXTENSIBLE = 0xFFFE
_PCM_GUID_TAIL = bytes.fromhex("000000001000800000aa00389b71")  # KSDATAFORMAT_SUBTYPE_PCM after its 2-byte tag


def _extensible_as_pcm(data: bytearray) -> None:
    """WAVE_FORMAT_EXTENSIBLE holding integer PCM (what cloud TTS and sox write for some layouts) is
    PCM: ``wave`` reads it only from Python 3.12, so its fmt tag is rewritten to plain PCM (1) here."""
    at = 12
    while at + 8 <= len(data):
        size = int.from_bytes(data[at + 4 : at + 8], "little")
        if data[at : at + 4] == b"fmt ":
            body = data[at + 8 : at + 8 + size]
            tag = int.from_bytes(body[0:2], "little")
            if tag == _EXTENSIBLE and len(body) >= 40 and body[24:26] == b"\x01\x00" and body[26:40] == _PCM_GUID_TAIL:
                data[at + 8 : at + 10] = (1).to_bytes(2, "little")
            return
        at += 8 + size + (size & 1)


def _wave_error(message: str) -> str:
    if message == "fmt chunk and/or data chunk missing":
        return "no fmt chunk or no data chunk"
    found = re.fullmatch(r"unknown format: (\d+)", message)
    if found:
        return f"unsupported WAV encoding (format tag {int(found.group(1)):#x}); need integer PCM"
    return message


def read_wav(data: bytes) -> tuple[bytes, int, int]:
    """(16-bit PCM, sample rate, channels) of a 16-bit PCM WAV file's bytes.

    The data actually present is taken, whatever the header's sizes say (streaming
    headers). Raises ``ValueError`` for anything else (not RIFF/WAVE, no fmt or data
    chunk, not integer PCM, not 16-bit).
    """
    pcm, rate, channels, width = _parse_wav(data)
    if width != 2:
        raise ValueError(f"unsupported WAV sample width: {8 * width} bits; need 16")
    return pcm, rate, channels


def wav_info(path: Path) -> tuple[int, int, int, float, float]:
    """(rate, channels, sample width in bytes, seconds, peak as a fraction of full scale) of a PCM WAV file."""
    pcm, rate, channels, width = _parse_wav(Path(path).read_bytes())
    seconds = len(pcm) / (rate * channels * width)
    top = peak(pcm) / FULL_SCALE if width == 2 else float("nan")
    return rate, channels, width, seconds, top


def _write(f: BinaryIO, pcm: bytes, rate: int, channels: int) -> None:
    with wave.open(f, "wb") as w:  # a canonical 44-byte header, sizes written before the data
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm[: len(pcm) - len(pcm) % (2 * channels)])


def wav_bytes(pcm: bytes, rate: int, channels: int = 1) -> bytes:
    """A 16-bit PCM WAV file (44-byte header) holding ``pcm``."""
    buf = io.BytesIO()
    _write(buf, pcm, rate, channels)
    return buf.getvalue()


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
            _write(f, pcm, rate, 1)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# --------------------------------------------------------------------------- samples


def _samples(pcm: bytes) -> npt.NDArray[np.int16]:
    return np.frombuffer(pcm, dtype=np.int16, count=len(pcm) // 2)


def _signal(pcm: bytes) -> Signal:
    return _samples(pcm).astype(np.float32)


def _steps(n: int, pause: Pause) -> Iterator[slice]:
    """Slices of ``_CHUNK`` samples covering ``n``, with ``pause()`` between two of them."""
    for start in range(0, n, _CHUNK):
        if start and pause:
            pause()
        yield slice(start, start + _CHUNK)


def peak(pcm: bytes) -> int:
    """Largest absolute sample value of 16-bit PCM (0 for silence or no samples)."""
    return int(np.abs(_samples(pcm).astype(np.int32)).max(initial=0))


def to_mono(pcm: bytes, channels: int) -> bytes:
    """Mix interleaved 16-bit PCM of ``channels`` channels down to mono (the mean of the channels, floored)."""
    if channels == 1:
        return pcm
    if channels < 1:
        raise ValueError(f"bad channel count {channels}")
    a = _samples(pcm)
    frames = a[: len(a) - len(a) % channels].reshape(-1, channels)
    return (frames.sum(axis=1, dtype=np.int32) // channels).astype(np.int16).tobytes()


def _scaled(x: Signal, peak_dbfs: float | None, max_gain_db: float, pause: Pause) -> bytes:
    """``x`` times the gain that puts its peak at ``peak_dbfs`` (1 for None), rounded and clipped to 16 bits."""
    gain = 1.0
    top = float(np.abs(x).max(initial=0))
    if peak_dbfs is not None and top > 0:
        gain = min(FULL_SCALE * 10.0 ** (peak_dbfs / 20.0) / top, 10.0 ** (max_gain_db / 20.0))
    out = np.empty(len(x), dtype=np.int16)
    for s in _steps(len(x), pause):
        out[s] = np.clip(np.rint(x[s] * gain), -32768, 32767)
    return out.tobytes()


def _resample(x: Signal, src_rate: int, dst_rate: int, pause: Pause) -> Signal:
    """libsoxr in steps (its output does not depend on how the input is cut): ``round(len * dst / src)`` samples."""
    stream = soxr.ResampleStream(src_rate, dst_rate, 1, dtype="float32", quality="HQ")
    parts = [stream.resample_chunk(x[s], last=s.stop >= len(x)) for s in _steps(len(x), pause)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def convert(
    pcm: bytes,
    src_rate: int,
    dst_rate: int,
    peak_dbfs: float | None = -1.0,
    max_gain_db: float = 20.0,
    *,
    pause: Pause = None,
) -> bytes:
    """Mono 16-bit PCM resampled to ``dst_rate`` and scaled so its peak is ``peak_dbfs`` dB below full scale.

    The signal stays in floating point until the end, so it is rounded to 16 bits once and
    the gain is measured on the resampled signal (espeak-ng's near-full-scale peaks grow a
    few percent through the low-pass filter and would clip otherwise). The gain is capped at
    ``max_gain_db`` (near-silence is not blown up); silence stays silence. ``peak_dbfs=None``
    only resamples (then samples beyond 16 bits are clipped). ``pause`` is called between
    chunks of well under a millisecond of work.
    """
    if src_rate <= 0 or dst_rate <= 0:
        raise ValueError(f"bad sample rates {src_rate} -> {dst_rate}")
    x = _signal(pcm)
    if src_rate != dst_rate:
        x = _resample(x, src_rate, dst_rate, pause)
    return _scaled(x, peak_dbfs, max_gain_db, pause)


def resample(pcm: bytes, src_rate: int, dst_rate: int, *, pause: Pause = None) -> bytes:
    """Band-limited resampling of mono 16-bit PCM (``round(len * dst / src)`` samples out; overshoot clipped)."""
    return convert(pcm, src_rate, dst_rate, None, pause=pause)


def normalize(pcm: bytes, peak_dbfs: float = -1.0, max_gain_db: float = 20.0, *, pause: Pause = None) -> bytes:
    """Scale 16-bit PCM so its peak is ``peak_dbfs`` dB below full scale (32767), gain capped at ``max_gain_db``."""
    return _scaled(_signal(pcm), peak_dbfs, max_gain_db, pause)


def trim_silence(pcm: bytes, rate: int, floor_db: float = -40.0, lead_ms: int = 20, tail_ms: int = 40) -> bytes:
    """Mono 16-bit PCM without its leading and trailing silence.

    Silence is a 10 ms frame whose RMS is more than ``-floor_db`` dB below the loudest
    frame's (so the cut follows the clip's own level, whatever the recording gain). A
    margin of ``lead_ms`` before the first loud frame and ``tail_ms`` after the last is
    kept: soft onsets (s, x, th) and the decay of final nasals (năm, mươi) sit in it.
    A clip with no loud frame (digital silence) is returned as it is.
    """
    x = _signal(pcm)
    frame = max(1, rate // 100)
    n = len(x) // frame
    if n == 0:
        return pcm
    energy = np.sqrt(np.mean(np.square(x[: n * frame].reshape(n, frame)), axis=1))
    top = float(energy.max())
    if top <= 0:
        return pcm
    loud = np.flatnonzero(energy >= top * 10.0 ** (floor_db / 20.0))
    start = max(0, int(loud[0]) * frame - rate * lead_ms // 1000)
    stop = min(len(x), (int(loud[-1]) + 1) * frame + rate * tail_ms // 1000)
    return pcm[2 * start : 2 * stop]
