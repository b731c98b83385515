"""How the bench prints: what it leaves out, the machine's load, one row per engine/setting."""

from __future__ import annotations

import os

from bench.intelbench.runs import Outcome

LEAVES_OUT = """\
What this bench leaves out (read no figure for more than it is):
  - no real phone network: no packet loss, jitter, line noise, echo or AGC; the phone path is
    resample to 8 kHz, G.711 mu-law encode + decode (or plain 16-bit PCM), and libsoxr back up to 16 kHz;
  - one codec family only (G.711 mu-law; A-law, G.729, AMR, Opus are not tried);
  - one recogniser (viet-asr 0.1.0.dev11), itself imperfect: its errors are in every figure, and a person
    hears differently (a listening test is the real measure); its ceiling on natural speech is not measured:
    no natural Vietnamese voice installs offline (issue 20), so no better source was run;
  - a small sample: 6-12 sentences (about 28 words each) and 8-20 codes per row;
  - vendor engines (FPT, Viettel, Vbee, Zalo, Google, Azure) unless --voices names them: they need their
    credentials and the network;
  - the OTP is read once per code in the figures (repeat 1): the second reading after "xin nhắc lại"
    has the same shape (silence after the phrase, then the digits);
  - what the OTP's silences do for a listener: the digit clips are the same files whatever the pause, so a
    pause or intro-gap figure measures how the recogniser cuts the audio into utterances (a digit alone
    between silences is recognised worse than digits run together), not whether a callee can write the
    code down; the sweep prints them, the defaults do not follow them (docs/tts-synthesis.md).
Digit accuracy: digit words (and variants: lăm/nhăm 5, tư 4, linh/lẻ 0, mốt 1, bẩy 7) and numerals in the
transcript, aligned with the digits said (minimum edits); a digit counts when aligned with itself.
"first" = the first digit after the intro; "không" = the zeros said."""

HEADER = (
    f"{'engine / setting':46} {'path':6} {'WER':>6} {'digits':>7} {'codes':>6} {'first':>6} {'không':>6}"
    f" {'squeezed':>8} {'synth ms':>9} {'asr x':>6}"
)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"nproc {os.cpu_count()}, load average {one:.2f} (1 min) {five:.2f} (5 min)"


def _pct(num: int, den: int) -> str:
    return f"{num / den:6.0%}" if den else f"{'-':>6}"


def row(label: str, path: str, sentences: Outcome | None, otps: Outcome | None, asr_ratio: float | None) -> str:
    s = sentences.tally if sentences else None
    o = otps.tally if otps else None
    wer = f"{s.wer:6.2f}" if s and s.wer is not None else f"{'-':>6}"
    digits = f"{o.digit_accuracy:7.1%}" if o and o.digit_accuracy is not None else f"{'-':>7}"
    codes = _pct(o.codes_right, o.codes) if o else f"{'-':>6}"
    first = _pct(o.first_hit, o.first_said) if o else f"{'-':>6}"
    zero = _pct(o.zero_hit, o.zero_said) if o else f"{'-':>6}"
    q = otps.squeezed if otps else None
    squeezed = f"{q.digit_accuracy:8.1%}" if q and q.digit_accuracy is not None else f"{'-':>8}"
    items = sum(x.items for x in (sentences, otps) if x)
    cpu = sum(x.synth_cpu_s for x in (sentences, otps) if x)
    synth = f"{cpu / items * 1000:9.1f}" if items else f"{'-':>9}"
    ratio = f"{asr_ratio:6.2f}" if asr_ratio is not None else f"{'-':>6}"
    line = f"{label[:46]:46} {path:6} {wer} {digits} {codes} {first} {zero} {squeezed} {synth} {ratio}"
    if not o:
        return line
    line += f"\n{'':8}per digit (recognised/said): {o.digits_line()}"
    return line + (f"\n{'':8}squeezed, per digit:         {q.digits_line()}" if q and q.digits_said else "")


FOOTER = """\
WER: word edits / words said over the sentences (lower is better). digits: OTP digits recognised in
position / digits said. squeezed: the same with the OTP's silences cut to 150 ms before the recogniser
(what the digit clips themselves are worth to it, whatever the pause). codes: codes heard exactly (no
digit missing or extra). synth ms: CPU-ms per item to make its audio (this process + espeak-ng), cold cache.
asr x: the recogniser's CPU-s per second of audio."""
