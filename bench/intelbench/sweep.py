"""``--full``'s sweep: espeak-ng's speed, word gap, voice and pitch on the sentences, then speed, digit pause
and the silence after the intro on the OTP codes; each stage keeps the best of the one before.

Each line shows the figure on set A and set B apart and together: a setting that wins on one set only is
noise in the sample, not a better voice.
"""

from __future__ import annotations

from dataclasses import replace

from bench.intelbench.corpus import CODE_SETS, codes, sentences
from bench.intelbench.runs import Bench, OtpShape, Voice

SPEEDS = (100, 110, 120, 130, 140, 150, 160)
GAPS = (0, 2, 4, 8)
VOICES = ("vi", "vi-vn-x-central", "vi-vn-x-south")
PITCHES = (35, 50, 65)
OTP_SPEEDS = (100, 120, 130, 150)  # word gap and pitch left out: a digit clip is one word
PAUSES = (400, 600, 800, 1000)
INTRO_GAPS = (600, 1000, 1500)


def _wer_line(bench: Bench, voice: Voice, texts: dict[str, list[str]]) -> float:
    synth = bench.synth(voice)
    figures = {name: bench.sentences(synth, t).tally for name, t in texts.items()}
    edits = sum(t.word_edits for t in figures.values())
    said = sum(t.words_said for t in figures.values())
    parts = "  ".join(f"{name} {t.wer:.3f}" for name, t in figures.items())
    print(f"  {voice.label():42} WER {parts}  all {edits / said:.3f}", flush=True)
    return edits / said


def _otp_line(bench: Bench, voice: Voice, shape: OtpShape, code_sets: dict[str, list[str]]) -> float:
    synth = bench.synth(voice)
    make = bench.otp_reader(synth, shape)
    outcomes = {name: bench.otps(make, c, shape.repeat) for name, c in code_sets.items()}
    figures = {name: o.tally for name, o in outcomes.items()}
    squeezed = [o.squeezed for o in outcomes.values()]
    sq = sum(t.digits_hit for t in squeezed) / max(1, sum(t.digits_said for t in squeezed))
    hit = sum(t.digits_hit for t in figures.values())
    said = sum(t.digits_said for t in figures.values())
    first = sum(t.first_hit for t in figures.values()) / sum(t.first_said for t in figures.values())
    zeros = sum(t.zero_hit for t in figures.values()), sum(t.zero_said for t in figures.values())
    sixes = [t.per_digit.get("6", [0, 0]) for t in figures.values()]
    exact = sum(t.codes_right for t in figures.values()), sum(t.codes for t in figures.values())
    parts = "  ".join(f"{name} {t.digit_accuracy:.1%}" for name, t in figures.items())
    print(
        f"  {voice.speed} wpm, {shape.label():40} digits {parts}  all {hit / said:.1%}"
        f"  first {first:.0%}  không {zeros[0]}/{zeros[1]}  sáu {sum(s[0] for s in sixes)}/{sum(s[1] for s in sixes)}"
        f"  codes {exact[0]}/{exact[1]}  squeezed {sq:.1%}",
        flush=True,
    )
    return hit / said


def run(bench: Bench, n_codes: int) -> tuple[Voice, Voice, OtpShape]:
    """The sweep; returns (best sentence voice, best OTP voice, best OTP shape)."""
    texts = {"A": sentences("A"), "B": sentences("B")}
    code_sets = {name: codes(n_codes, CODE_SETS[name]) for name in ("A", "B")}  # C is held out
    print("\nSweep 1: sentences, espeak-ng speed (vi, gap 0)")
    best = min((Voice(speed=s) for s in SPEEDS), key=lambda v: _wer_line(bench, v, texts))
    print(f"Sweep 2: sentences, word gap at {best.speed} wpm")
    best = min((replace(best, gap=g) for g in GAPS), key=lambda v: _wer_line(bench, v, texts))
    print("Sweep 3: sentences, voice variant and pitch")
    candidates = [replace(best, voice=v) for v in VOICES] + [replace(best, pitch=p) for p in PITCHES]
    best = min(candidates, key=lambda v: _wer_line(bench, v, texts))
    print(f"  best for sentences: {best.label()}")
    print("Sweep 4: OTP, espeak-ng speed of the clips (pause 600, after intro = pause)")
    shape = OtpShape()
    otp_voice = max((Voice(best.voice, s) for s in OTP_SPEEDS), key=lambda v: _otp_line(bench, v, shape, code_sets))
    print(f"Sweep 5: OTP, pause between digits at {otp_voice.speed} wpm")
    shape = max((OtpShape(pause_ms=p) for p in PAUSES), key=lambda s: _otp_line(bench, otp_voice, s, code_sets))
    print("Sweep 6: OTP, silence after the intro")
    shape = max(
        (replace(shape, intro_gap_ms=g) for g in INTRO_GAPS),
        key=lambda s: _otp_line(bench, otp_voice, s, code_sets),
    )
    print(f"  best for OTP: {otp_voice.label()}, {shape.label()}")
    held_out(bench, n_codes, [Voice(), best], [(Voice(), OtpShape()), (otp_voice, shape)])
    return best, otp_voice, shape


SECOND_PASS = (  # issue 20's second pass on the OTP: clip speed x grouping (a "." ending is the same audio)
    (150, OtpShape(group_size=1)),  # before
    (130, OtpShape(group_size=1)),  # the first pass's default
    (150, OtpShape(group_size=2)),
    (150, OtpShape(group_size=3)),
    (130, OtpShape(group_size=3)),
    (150, OtpShape(group_size=3, joiner=", ")),
    (130, OtpShape(group_size=3, joiner=", ")),
    (150, OtpShape(pause_ms=800, group_size=3)),
    (130, OtpShape(group_size=2, joiner=", ")),
    (130, OtpShape(pause_ms=800, group_size=3, joiner=", ")),
)


def otp_second_pass(bench: Bench, n_codes: int, sets: tuple[str, ...] = ("A", "B"), rows: slice = slice(None)) -> None:
    """The OTP's reading: digit by digit or in groups synthesised in one breath (words joined by a space or a
    comma), at the clips' speed; pause between groups. One line per setting."""
    code_sets = {name: codes(n_codes, CODE_SETS[name]) for name in sets}
    print(f"OTP second pass (sets {'+'.join(sets)}): clip speed, groups, joiner")
    for speed, shape in SECOND_PASS[rows]:
        _otp_line(bench, Voice(speed=speed), shape, code_sets)


def held_out(bench: Bench, n_codes: int, voices: list[Voice], otp: list[tuple[Voice, OtpShape]]) -> None:
    """The choice checked on set C, which chose nothing: the settings before against the best."""
    print("Check on the held-out set C (sentences and codes that chose nothing)")
    for voice in voices:
        _wer_line(bench, voice, {"C": sentences("C")})
    for voice, shape in otp:
        _otp_line(bench, voice, shape, {"C": codes(n_codes, CODE_SETS["C"])})
