"""The offline Vietnamese recogniser (PyPI ``viet-asr``, module ``vietasr``: its model is inside the wheel).

``vietasr.Pipeline.preset("transcribe").transcribe(int16_array, sample_rate=16000).text``;
loaded once per process (a 70 MB model). :func:`load` returns None with the reason when the
package is absent, so the bench prints why it skips.
"""

from __future__ import annotations

import resource

import numpy as np

QUIET = 3  # vietasr_set_log_level: only warnings and errors (its INFO lines flood stderr)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)  # all threads of this process: onnxruntime's too
    return r.ru_utime + r.ru_stime


class Recogniser:
    def __init__(self, pipeline) -> None:
        self.pipeline = pipeline
        self.calls = 0
        self.cpu_s = 0.0
        self.audio_s = 0.0

    def transcribe(self, pcm: np.ndarray, rate: int) -> str:
        start = _cpu()
        text = self.pipeline.transcribe(pcm, sample_rate=rate).text
        self.cpu_s += _cpu() - start
        self.calls += 1
        self.audio_s += len(pcm) / rate
        return str(text or "")


def load() -> tuple[Recogniser | None, str]:
    """(the recogniser, its version) or (None, why not)."""
    try:
        import vietasr
        from vietasr.ffi import native
    except ImportError as exc:
        return None, (
            f"viet-asr is not installed ({exc}); install the extra: pip install -e '.[asr]' "
            "(CPython 3.11 only, a 56 MB wheel with its model inside)"
        )
    try:
        native.lib.vietasr_set_log_level(QUIET)
    except AttributeError:
        pass
    version = getattr(vietasr, "__version__", "?")
    return Recogniser(vietasr.Pipeline.preset("transcribe")), f"viet-asr {version}, preset 'transcribe'"
