"""Spoken messages through a real FreeSWITCH (issue 20): a voice OTP assembled from a recorded prompt set
uploaded through ``/v3/prompt-set``, and a TTS message whose vendor voice is down, spoken by espeak-ng.

What FreeSWITCH itself says it did, heard on its Event Socket beside autocall (``FsWatch``): the
call was answered, ``playback`` opened the very file autocall rendered (``PLAYBACK_START`` /
``PLAYBACK_STOP`` with its ``Playback-File-Path``), read it to the end (``Playback-Status: done``,
``Application-Response: FILE PLAYED``, ``playback_samples`` = every sample of the file), then our
dialplan hung up (NORMAL_CLEARING, ``send_bye``). The far end (``0978…``) records what it hears
(``record_session``, read side only): that recording is the file, waveform for waveform over G.711. And
autocall's CDR says who spoke (``tts_voice``).
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tests.prompt_fixtures import FREQ, names, tone
from tests.realfs.autocall_serve import AutocallServe
from tests.realfs.campaigns import Campaign, Results, start_campaign
from tests.realfs.fsconfig import free_port
from tests.realfs.fsharness import RealFreeSwitch
from tests.realfs.fswatch import FsWatch
from tts.audio import read_wav, wav_bytes
from tts.prompt_keys import REQUIRED

RECORDER = "0978000001"  # answers after 1 s, records what it hears, stays 30 s: our BYE ends the message
OTP = "4829"
EVENTS = "CHANNEL_ANSWER PLAYBACK_START PLAYBACK_STOP CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP_COMPLETE RECORD_STOP"
PACKET, SEARCH, LOUD_RMS = 160, 1600, 300.0  # 20 ms at 8 kHz; 10 packets either side; not silence
LATE_START = 5  # packets the far end may miss before its record_session listens (1 seen)
SETTLED_S = 90.0  # generous: a few seconds of message on a loaded 2-core box


def upload_prompt_set(autocall: AutocallServe) -> str:
    """Every required prompt, each a tone of its own frequency (8 kHz mono 16-bit), through the HTTP API."""
    created = autocall.api("POST", "/v3/prompt-set", {"prompt_set_name": "realfs tones"})
    uuid = created["prompt_set_uuid"]
    answer: dict = {}
    for key in REQUIRED:
        wav = wav_bytes(tone(FREQ[key], 8000, 0.25), 8000)
        answer = autocall.api("PUT", f"/v3/prompt-set/{uuid}/prompt/{key}", wav, "audio/wav")
    assert answer["complete"] is True, answer
    return uuid


def played(watch: FsWatch, results: Results, campaign: Campaign, number: str) -> tuple[Path, dict[str, str]]:
    """Wait for the campaign to settle; check on FreeSWITCH's events that the call was answered and its
    message file played to the end; the file and the leg's CHANNEL_HANGUP_COMPLETE."""
    results.wait_settled(timeout=SETTLED_S)
    call = campaign.calls[number]
    hangup = watch.wait(
        lambda e: e["Event-Name"] == "CHANNEL_HANGUP_COMPLETE" and e["Unique-ID"] == call, 10, f"hangup of {call}"
    )
    assert watch.first("CHANNEL_ANSWER", call) is not None, "the far end answered"
    file = hangup["variable_autocall_file"]
    start = watch.first("PLAYBACK_START", call)
    stop = watch.first("PLAYBACK_STOP", call)
    assert start is not None and start["Playback-File-Path"] == file, start
    assert stop is not None and (stop["Playback-File-Path"], stop["Playback-Status"]) == (file, "done"), stop
    (app,) = watch.where(
        lambda e: (
            e["Event-Name"] == "CHANNEL_EXECUTE_COMPLETE"
            and e["Unique-ID"] == call
            and e.get("Application") == "playback"
        )
    )
    assert (app["Application-Data"], app["Application-Response"]) == (file, "FILE PLAYED"), app
    pcm, rate, channels = read_wav(Path(file).read_bytes())
    assert (rate, channels) == (8000, 1)
    # FreeSWITCH read every sample of the file (the far end stays 30 s: nothing cut it short)
    assert int(hangup["variable_playback_samples"]) == len(pcm) // 2, hangup.get("variable_playback_samples")
    assert (hangup["Hangup-Cause"], hangup["variable_sip_hangup_disposition"]) == ("NORMAL_CLEARING", "send_bye")
    print(
        f"\nFreeSWITCH played {file}: {hangup['variable_playback_samples']} samples "
        f"({hangup['variable_playback_ms']} ms), {stop['Playback-Status']}, {app['Application-Response']}"
    )
    return Path(file), hangup


def heard(watch: FsWatch, number: str) -> Path:
    """The far end's recording of what it heard on the call to ``number`` (closed: RECORD_STOP)."""
    stop = watch.wait(
        lambda e: e["Event-Name"] == "RECORD_STOP" and f"{number[1:]}-" in e.get("Record-File-Path", ""),
        15,
        f"the far end's recording of {number}",
    )
    return Path(stop["Record-File-Path"])


def packets_heard(sent: Path, received: Path) -> tuple[int, int]:
    """(how many of the loud 20 ms packets of ``sent`` (after its first ``LATE_START``) are in ``received``,
    how many there are). A packet is in it when some stretch of the recording within ``SEARCH`` samples of
    where it was sent has the same waveform (normalised cross-correlation above 0.99; G.711 alone keeps it
    above 0.999). Searched near each packet, not at one lag for the whole file: the far end's recording
    starts a packet late and once skipped a packet (in a silence between two digits, on this loaded box)."""
    x = np.frombuffer(read_wav(sent.read_bytes())[0], dtype=np.int16).astype(np.float64)
    y = np.frombuffer(read_wav(received.read_bytes())[0], dtype=np.int16).astype(np.float64)
    energy = np.concatenate([[0.0], np.cumsum(y * y)])
    loud = found = 0
    for start in range(LATE_START * PACKET, len(x) - PACKET + 1, PACKET):
        packet = x[start : start + PACKET]
        if np.sqrt(np.mean(packet * packet)) < LOUD_RMS:
            continue
        loud += 1
        lo, hi = max(0, start - SEARCH), min(len(y), start + PACKET + SEARCH)
        if hi - lo < PACKET:
            continue
        dots = np.correlate(y[lo:hi], packet, "valid")
        norms = np.sqrt(np.maximum(energy[lo + PACKET : hi + 1] - energy[lo : hi - PACKET + 1], 1e-9))
        found += bool(np.max(dots / (norms * np.linalg.norm(packet))) > 0.99)
    return found, loud


def assert_heard(sent: Path, recording: Path) -> None:
    """The far end heard ``sent`` itself: at least 98 % of its loud packets, waveform for waveform (a lost
    RTP packet is not a failure of autocall's)."""
    found, loud = packets_heard(sent, recording)
    print(f"the far end heard {found} of the {loud} loud 20 ms packets of the message")
    assert loud > 0 and found >= 0.98 * loud, (found, loud)


def assert_logged_only_the_playback(fs: RealFreeSwitch, file: Path) -> None:
    """FreeSWITCH's log names the file once, in the EXECUTE line of ``playback``: no ``Error Opening File``
    (mod_sndfile) or ``Invalid file format`` (switch_core_file.c) line names it."""
    lines = [line for line in fs.log_text().splitlines() if str(file) in line]
    assert len(lines) == 1 and f"EXECUTE [depth=0] sofia/external/{RECORDER} playback({file})" in lines[0], lines


def test_a_voice_otp_from_an_uploaded_prompt_set_is_played_by_freeswitch_and_its_cdr_says_prompts(
    realfs, autocall_factory, store
):
    autocall = autocall_factory(realfs.esl_url + "?name=fs1", env={"AUTOCALL_TTS_ENGINE": "espeak"})
    prompt_set = upload_prompt_set(autocall)
    with FsWatch(realfs, EVENTS) as watch:
        campaign = start_campaign(
            autocall,
            [RECORDER],
            template={"prompt_set_uuid": prompt_set, "otp_repeat": 2},
            param={"otp": OTP},
            type_autocall="autocall_voice_otp",
            call_timeout=15,
        )
        results = Results(store, campaign)
        file, _hangup = played(watch, results, campaign, RECORDER)
        recording = heard(watch, RECORDER)

    # the file FreeSWITCH played is the code read twice from the recordings, nothing synthesised, and the
    # far end heard exactly that
    digits = list(OTP)
    assert names(file) == names(recording) == ["otp-intro", *digits, "otp-again", *digits]
    assert_heard(file, recording)
    (cdr,) = results.cdrs(autocall)
    assert (cdr["recall_status"], cdr["tts_voice"], cdr["tts_engine"]) == ("answered", "prompts", "prompts"), cdr
    assert_logged_only_the_playback(realfs, file)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed: no fallback voice")
def test_a_tts_message_whose_http_voice_is_refused_falls_back_to_espeak_and_freeswitch_plays_it(
    realfs, autocall_factory, store, tmp_path
):
    dead = f"http://127.0.0.1:{free_port()}/tts"  # nothing listens: the connection is refused
    voices = tmp_path / "voices.toml"
    voices.write_text(
        textwrap.dedent(f"""\
            default = "vendor"

            [voice.vendor]
            engine = "http"
            url = "{dead}"
            timeout = 5
            fallback = "espeak"
            """)
    )
    autocall = autocall_factory(
        realfs.esl_url + "?name=fs1", env={"AUTOCALL_TTS_ENGINE": "espeak", "AUTOCALL_TTS_VOICES": str(voices)}
    )
    with FsWatch(realfs, EVENTS) as watch:
        campaign = start_campaign(
            autocall,
            [RECORDER],
            template={"text": "Xin chào {{ ten }}, đây là cuộc gọi thử.", "voice": "vendor"},
            param={"ten": "Lan"},
            type_autocall="autocall_voice_tts",
            call_timeout=15,
        )
        results = Results(store, campaign)
        file, _hangup = played(watch, results, campaign, RECORDER)
        recording = heard(watch, RECORDER)

    assert_heard(file, recording)  # espeak-ng's speech, sample for sample (G.711 aside)
    (cdr,) = results.cdrs(autocall)
    assert (cdr["recall_status"], cdr["tts_voice"], cdr["tts_engine"]) == ("answered", "espeak", "espeak"), cdr
    assert autocall.metric("autocall_tts_fallbacks_total", voice="vendor", spoken_by="espeak") == 1.0
    assert_logged_only_the_playback(realfs, file)
