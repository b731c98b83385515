"""Intelligibility of autocall's speech through the phone path, scored by an offline Vietnamese recogniser.

    .venv/bin/python bench/tts_intelligibility.py [--quick | --full]

Reminder sentences (rendered by tts.template.render: amounts, dates, digit strings read by our
rules) and voice OTP codes (tts.otp.OtpReader) are synthesised per engine/setting, passed through
the phone path (8 kHz, G.711 mu-law encode + decode, or plain PCM; libsoxr back to 16 kHz) and
transcribed by viet-asr (PyPI, the model inside its wheel: the ``asr`` extra). Prints per row
the word error rate on the sentences, OTP digit accuracy, the first digit after the intro, the
zeros ("không"), CPU per item and the recogniser's CPU per second of audio. Rows: the settings
before issue 20's tuning (espeak-ng 150 wpm, 600 ms digit pause) against today's defaults, on
mu-law and plain PCM (``--full``: the wideband path too, 16 kHz and no codec), and a stand-in recorded
prompt set (tts.prompt_keys.REQUIRED, each word synthesised alone and trimmed).

``--voices FILE [--voice NAME]``: also a row per voice of a voices file (docs/tts.md), each alone, no
fallback: a vendor's (with its key, over the network) is the nearest thing to the recogniser's ceiling.

Default: 12 sentences and 20 codes (a few minutes on a quiet 2-core box); ``--quick``: 6 and 8;
``--full``: the default rows, then the sweep that chose the defaults (bench/intelbench/sweep.py;
tens of minutes); ``--otp-pass AB`` (or ``C``): only the OTP second pass's rows (digit by digit or in
groups, clip speed) on those code sets. Skips, saying why, without viet-asr or espeak-ng. What it
leaves out is printed first.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.intelbench import asr, report, standins, sweep, voicefile  # noqa: E402
from bench.intelbench.corpus import CODE_SETS, codes, sentences  # noqa: E402
from bench.intelbench.runs import Bench, OtpShape, Voice  # noqa: E402
from tts.engines.base import SynthesisError  # noqa: E402
from tts.engines.espeak import EspeakEngine, available  # noqa: E402
from tts.otp import OtpReader  # noqa: E402
from tts.renderer import TtsRenderer  # noqa: E402
from tts.synth import Synthesizer  # noqa: E402
from tts.voices import VoicesError  # noqa: E402

BEFORE_VOICE = Voice(speed=150, gap=0)  # issue 20's start
BEFORE_OTP = OtpShape(pause_ms=600, intro_gap_ms=600, group_size=1)  # digit by digit


def today() -> tuple[Voice, OtpShape]:
    """The defaults as the code has them now: EspeakEngine() and OtpReader()."""
    engine = EspeakEngine()
    reader = OtpReader.__init__.__kwdefaults__ or {}
    pause = reader.get("pause_ms", 600)
    gap = reader.get("intro_gap_ms")
    shape = OtpShape(pause, gap or pause, group_size=reader.get("group_size", 1), joiner=reader.get("joiner"))
    return Voice(engine.voice, engine.speed_wpm, getattr(engine, "word_gap", 0)), shape


def prompt_set_row(bench: Bench, voice: Voice, code_list: list[str]) -> None:
    directory = standins.build(bench.synth(Voice(voice.voice, 100, 0)), bench.root / "prompt-set")
    renderer = TtsRenderer(bench.synth(voice))

    def make(code: str) -> Path:
        return renderer.render_otp(code, 1, "", prompts=directory)  # type: ignore[call-arg]

    try:
        make(code_list[0])
    except TypeError:
        print("prompt set row skipped: tts prompt sets not on this branch")
        return
    out = bench.otps(make, code_list, 1)
    print(report.row("prompt set: espeak-ng words, 100 wpm, trimmed", "pcmu", None, out, None))


def main(root: Path) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="6 sentences, 8 codes, mu-law only")
    size.add_argument("--full", action="store_true", help="the default rows, then the sweep that chose the defaults")
    parser.add_argument("--voices", help="a voices file (docs/tts.md): also score its --voice (vendors: key, network)")
    parser.add_argument(
        "--voice", action="append", default=[], help="a voice of --voices (repeatable; default: its default)"
    )
    parser.add_argument("--otp-pass", help="only the OTP second pass's rows, on these code sets (e.g. AB or C)")
    args = parser.parse_args()
    print(report.LEAVES_OUT)
    if not available():
        print("\nSKIPPED: espeak-ng is not installed (Debian package espeak-ng)")
        return
    recogniser, about = asr.load()
    if recogniser is None:
        print(f"\nSKIPPED: {about}")
        return
    print(f"\nRecogniser: {about}. Machine: {report.load()}")
    if args.otp_pass:
        sweep.otp_second_pass(Bench(recogniser, root), 10, tuple(args.otp_pass))
        print(f"Machine at the end: {report.load()}")
        return
    texts = sentences("A") if args.quick else sentences("A") + sentences("B")
    code_list = codes(8, CODE_SETS["A"]) if args.quick else codes(10, CODE_SETS["A"]) + codes(10, CODE_SETS["B"])
    print(f"{len(texts)} sentences, {len(code_list)} codes (4-6 digits)\n")
    bench = Bench(recogniser, root)
    now_voice, now_otp = today()
    started = time.monotonic()
    print(report.HEADER)

    def line(label: str, voice: Voice | Synthesizer, shape: OtpShape, codec: str = "pcmu", rate: int = 8000) -> None:
        before_cpu, before_audio = recogniser.cpu_s, recogniser.audio_s
        synth = bench.synth(voice, rate) if isinstance(voice, Voice) else voice
        name = f"{label}: {voice.label()}" if isinstance(voice, Voice) else label
        try:
            s = bench.sentences(synth, texts, codec)
            o = bench.otps(bench.otp_reader(synth, shape), code_list, shape.repeat, codec)
        except SynthesisError as exc:  # a vendor's outage, key or quota: the row says so, the bench goes on
            print(f"{name[:46]:46} failed: {exc}", flush=True)
            return
        ratio = (recogniser.cpu_s - before_cpu) / max(recogniser.audio_s - before_audio, 1e-9)
        print(report.row(name, codec if rate == 8000 else "16k", s, o, ratio), flush=True)

    line("before", BEFORE_VOICE, BEFORE_OTP)
    line("now", now_voice, now_otp)
    if not args.quick:
        line("now", now_voice, now_otp, "l16")
    if args.full:
        line("before", BEFORE_VOICE, BEFORE_OTP, "l16")
        line("now, wideband", now_voice, now_otp, rate=16000)
    if args.voices:
        try:
            for label, synth in voicefile.synths(args.voices, args.voice, root):
                line(label, synth, now_otp)
        except VoicesError as exc:
            print(f"voices file rows skipped: {exc}")
    else:
        print("vendor voices: not run (--voices FILE [--voice NAME]: each needs its key and the network)")
    prompt_set_row(bench, now_voice, code_list)
    print(f"  OTP now: {now_otp.label()}; before: {BEFORE_OTP.label()}")
    print(report.FOOTER)
    print(
        f"\n{time.monotonic() - started:.0f} s wall; recogniser {recogniser.calls} calls, {recogniser.cpu_s:.0f} CPU-s"
    )
    if args.full:
        sweep.run(bench, 10)
    print(f"Machine at the end: {report.load()}")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="autocall-intelligibility-") as tmp:
        main(Path(tmp))
