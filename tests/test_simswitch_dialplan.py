"""The autocall dialplan: freeswitch-conf/dialplan/autocall.xml, run by the simulator."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import wave
import xml.etree.ElementTree as ET

import gevent
import pytest

from simswitch import Scenario, load_scenario
from simswitch.dialplan_xml import (
    AUTOCALL_DIALPLAN,
    AUTODIALER_DIALPLAN,
    NO_ROUTE,
    DialplanApp,
    expand_variables,
    load_dialplan_xml,
    route,
)
from tests.conftest import free_port
from tests.eslclient import RawClient, connect_to_process
from tests.fidelity import assert_span

CALL = "00000000-0000-4000-8000-00000000d001"
AVMD = {"field": "${autocall_avmd}", "expression": "^false$", "anti": True}
EXTEN = {"field": "destination_number", "expression": "^autocall$"}
SHIPPED = [
    DialplanApp(app="sched_hangup", data="+600 ALLOTTED_TIMEOUT", **EXTEN),
    DialplanApp(app="answer", **EXTEN),
    DialplanApp(app="avmd_start", **AVMD),
    DialplanApp(app="playback", data="${autocall_file}", **EXTEN),
    DialplanApp(
        app="play_and_get_digits",
        data="1 1 1 $1 # silence_stream://250 silence_stream://250 autocall_dtmf ^[0-9*]$ $1",
        field="${autocall_dtmf_ms}",
        expression="^([1-9][0-9]{2,4})$",
    ),
    DialplanApp(app="avmd_stop", **AVMD),
    DialplanApp(app="hangup", data="NORMAL_CLEARING", **EXTEN),
]
AUTODIALER = load_dialplan_xml(str(AUTODIALER_DIALPLAN))["autodialer"]  # the autodialer context as shipped


def engine_originate(
    client: RawClient, wav: str, uuid: str = CALL, dest: str = "autocall XML autocall", extra: str = ""
) -> None:
    """The originate the dialer engine sends, byte for byte (``extra``: more {} variables)."""
    client.command(
        f"bgapi originate {{originate_timeout=30,ignore_early_media=true,{extra}"
        "autocall_campaign=00000000-0000-4000-8000-0000000000c1,autocall_lead=00000000-0000-4000-8000-0000000000a1,"
        f"autocall_call={uuid},autocall_file={wav}}}"
        f"[origination_uuid={uuid},origination_caller_id_number=02812345678]sofia/gateway/gw1/0914000000 {dest}"
    )


def login(server, events: str = "ALL") -> RawClient:
    client = RawClient(*server.address)
    client.login("ClueCon")
    client.command(f"event plain {events}")
    return client


def write_wav(path, seconds: float, rate: int = 8000) -> str:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(rate * seconds))
    return str(path)


def answering(**extra) -> Scenario:
    # hangup local: the callee never hangs up, the dialplan ends the call.
    return Scenario.model_validate({"rules": [{"match": ".", "answer": {"hangup": "local", **extra}}]})


def executed(client: RawClient) -> list[tuple[str, str]]:
    return [(e.get("Application"), e.get("Application-Data")) for e in client.events() if e.name == "CHANNEL_EXECUTE"]


# -- the file ----------------------------------------------------------------------


def test_the_loader_parses_the_shipped_file():
    assert load_dialplan_xml(AUTOCALL_DIALPLAN) == {"autocall": SHIPPED}


def test_the_shipped_extension_matches_the_engines_destination():
    context = ET.parse(AUTOCALL_DIALPLAN).getroot().find("context[@name='autocall']")
    condition = context.find("extension/condition")
    assert condition.get("field") == "destination_number"
    assert re.search(condition.get("expression"), "autocall")


def test_the_loader_keeps_each_contexts_first_extension(tmp_path):
    path = tmp_path / "d.xml"
    path.write_text("""<include>
      <context name="a">
        <extension name="one">
          <condition field="destination_number" expression="^1$"><action application="answer"/></condition>
          <condition><action application="sleep" data="500"/><anti-action application="log" data="x"/></condition>
        </extension>
        <extension name="two"><condition><action application="park"/></condition></extension>
      </context>
      <context name="b"/>
    </include>""")
    assert load_dialplan_xml(path) == {
        "a": [
            DialplanApp(app="answer", field="destination_number", expression="^1$"),
            DialplanApp(app="sleep", data="500"),
        ]
    }


def test_an_extension_whose_destination_does_not_match_finds_no_route():
    """``nosuchext XML autocall`` on a real switch (batch2 "no-context"): NO_ROUTE_DESTINATION."""
    apps = load_dialplan_xml(AUTOCALL_DIALPLAN)["autocall"]
    assert route(apps, {"destination_number": "nosuchext"}.get) == [(NO_ROUTE, "")]
    assert route(apps, {"destination_number": "autocall"}.get)[0] == ("sched_hangup", "+600 ALLOTTED_TIMEOUT")


def test_every_scenario_gets_the_autocall_context_unless_it_has_its_own(tmp_path):
    assert Scenario().dialplan["autocall"] == SHIPPED
    plain = tmp_path / "s.yaml"
    plain.write_text('rules:\n  - match: "^1"\n    sip: 486\n')
    assert load_scenario(plain).dialplan["autocall"] == SHIPPED
    own = tmp_path / "own.yaml"
    own.write_text("dialplan:\n  autocall:\n    - {app: park}\n")
    assert load_scenario(own).dialplan == {"autocall": [DialplanApp(app="park")], "autodialer": AUTODIALER}


def test_variables_expand_like_freeswitch():
    values = {"a": "1", "file": "/m.wav"}
    assert expand_variables("x${a}y${file}z${nope}", values.get) == "x1y/m.wav" + "z"
    assert expand_variables("no variables", values.get) == "no variables"


# -- the simulator running it ------------------------------------------------------------


def test_an_engine_call_runs_the_shipped_dialplan_for_the_wavs_length(simswitch, tmp_path):
    wav = write_wav(tmp_path / "msg.wav", 3.0)
    scale = 0.05
    client = login(simswitch(answering(), time_scale=scale))
    started = time.monotonic()
    engine_originate(client, wav)
    hc = client.wait_event("CHANNEL_HANGUP_COMPLETE")
    wall = time.monotonic() - started
    # An application run without data has no Application-Data header (batch2 captures).
    assert executed(client) == [
        ("sched_hangup", "+600 ALLOTTED_TIMEOUT"),
        ("answer", None),
        ("avmd_start", None),
        ("playback", wav),
        ("avmd_stop", None),
        ("hangup", "NORMAL_CLEARING"),
    ]
    start = client.wait_event("PLAYBACK_START")
    assert start.get("Playback-File-Path") == wav
    assert start.get("variable_current_application_data") == wav
    assert hc.get("Hangup-Cause") == "NORMAL_CLEARING"
    assert hc.get("variable_autocall_file") == wav
    # 3 s of audio: 3 simulated seconds of billsec, 3 * time_scale of wall time.
    assert_span(hc, "bill", 3)
    assert wall >= 3 * scale
    assert client.wait_event("BACKGROUND_JOB").body == f"+OK {CALL}\n"


def test_a_file_the_simulator_cannot_read_plays_for_playback_seconds(simswitch, tmp_path):
    scen = answering()
    scen.playback_seconds = 2
    client = login(simswitch(scen))
    missing = str(tmp_path / "missing.wav")
    engine_originate(client, missing)
    hc = client.wait_event("CHANNEL_HANGUP_COMPLETE")
    assert ("playback", missing) in executed(client)
    assert_span(hc, "bill", 2)


def test_app_data_expands_channel_variables_and_unknown_ones_to_nothing(simswitch, tmp_path):
    scen = Scenario.model_validate(
        {
            "rules": [{"match": ".", "answer": {"hangup": "local"}}],
            "dialplan": {
                "t": [
                    {"app": "set", "data": "greeting=hello"},
                    {
                        "app": "log",
                        "data": "${greeting}|${autocall_file}|${origination_caller_id_number}"
                        "|${nope}|${destination_number}|${uuid}",
                    },
                    {"app": "hangup", "data": "${hangup_cause_to_use}"},
                ]
            },
        }
    )
    client = login(simswitch(scen))
    engine_originate(client, "/audio/m.wav", dest="t XML t")
    hc = client.wait_event("CHANNEL_HANGUP_COMPLETE")
    assert executed(client)[1:] == [("log", f"hello|/audio/m.wav|02812345678||t|{CALL}"), ("hangup", "")]
    assert hc.get("Hangup-Cause") == "NORMAL_CLEARING"  # hangup with no cause: NORMAL_CLEARING


def test_an_answering_machine_beeps_during_the_message(simswitch, tmp_path):
    wav = write_wav(tmp_path / "msg.wav", 3.0)
    client = login(simswitch(answering(beep=True)), "CHANNEL_EXECUTE CHANNEL_HANGUP_COMPLETE CUSTOM avmd::beep")
    engine_originate(client, wav)
    client.wait_event("CHANNEL_HANGUP_COMPLETE")
    names = [e.name if e.name != "CHANNEL_EXECUTE" else e.get("Application") for e in client.events()]
    assert names.index("playback") < names.index("CUSTOM") < names.index("avmd_stop")


def test_no_beep_once_avmd_is_stopped(simswitch, tmp_path):
    wav = write_wav(tmp_path / "msg.wav", 3.0)
    scen = answering(beep=True)
    scen.dialplan["autocall"] = [
        DialplanApp(app="avmd_start"),
        DialplanApp(app="avmd_stop"),
        DialplanApp(app="playback", data="${autocall_file}"),
    ]
    client = login(simswitch(scen), "CHANNEL_HANGUP_COMPLETE CUSTOM avmd::beep")
    engine_originate(client, wav)
    client.wait_event("CHANNEL_HANGUP_COMPLETE")
    assert [e.name for e in client.events()] == ["CHANNEL_HANGUP_COMPLETE"]


# -- autocall simswitch --dialplan --------------------------------------------------------


def test_the_cli_runs_a_dialplan_file(tmp_path):
    dialplan = tmp_path / "mine.xml"
    dialplan.write_text(
        '<include><context name="autocall"><extension name="x"><condition>'
        '<action application="hangup" data="CALL_REJECTED"/>'
        "</condition></extension></context></include>"
    )
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dialer.cli",
            "simswitch",
            "--listen",
            f"127.0.0.1:{port}",
            "--password",
            "ClueCon",
            "--time-scale",
            "0.01",
            "--dialplan",
            str(dialplan),
        ]
    )
    try:
        client = connect_to_process(proc, port)
        client.login("ClueCon")
        client.command("event plain CHANNEL_HANGUP_COMPLETE")
        # The default mix may not answer: retry until one call is answered.
        for i in range(20):
            engine_originate(client, "/m.wav", uuid=f"00000000-0000-4000-8000-00000000e0{i:02d}")
        with gevent.Timeout(20):
            while not any(e.get("Hangup-Cause") == "CALL_REJECTED" for e in client.events()):
                gevent.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize("text", ["<include><context>", "<include><context/></include>"])
def test_the_cli_refuses_a_bad_dialplan_file(tmp_path, text):
    dialplan = tmp_path / "bad.xml"
    dialplan.write_text(text)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dialer.cli",
            "simswitch",
            "--listen",
            f"127.0.0.1:{free_port()}",
            "--password",
            "x",
            "--dialplan",
            str(dialplan),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "bad dialplan" in done.stderr
