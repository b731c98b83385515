"""What a real FreeSWITCH 1.10.12 does that autocall's simulator must do too, checked on both: the real
switch (the harness) and ``autocall simswitch`` (simfarend.SimSwitch). Both cases here were found on the
real switch by these tests and then fixed in the simulator (they were xfail until then).
"""

from __future__ import annotations

import time
import uuid

import pytest

from tests.realfs.esl_client import EslClient, EslError
from tests.realfs.simfarend import SimSwitch


@pytest.fixture
def switch_factory(realfs_factory, tmp_path):
    """make(kind, extra_rules=None) -> (host, port, password) of a fresh real switch or simulator."""
    sims: list[SimSwitch] = []

    def make(kind: str, extra_rules: list[dict] | None = None) -> tuple[str, int, str]:
        if kind == "real":
            fs = realfs_factory()
            return fs.host, fs.port, fs.password
        sim = SimSwitch(tmp_path / f"simswitch{len(sims)}", extra_rules=extra_rules).start()
        sims.append(sim)
        return "127.0.0.1", sim.port, sim.password

    yield make
    for sim in sims:
        sim.stop()


@pytest.mark.parametrize("kind", ["real", "simulator"])
def test_billsec_counts_the_clock_seconds_a_call_spans(switch_factory, kind):
    """switch_channel_set_timestamps: billsec = (hungup / 1e6) - (answered / 1e6), each truncated to a
    whole second of the clock, so a 1.5 s call is billed 1 or 2 s depending on when it was answered
    (autocall's CDR billsec is this figure). Ten 1.5 s calls answered 0.23 s apart: both happen."""
    if kind == "real":  # the far end answers 098…; our autocall context plays 1.5 s and hangs up
        number, destination = "0980000001", "autocall XML autocall"
    else:
        number, destination = "0986000001", "&park()"
    esl_at = switch_factory(kind, extra_rules=[{"match": "^0986", "ring": 0.3, "answer": {"talk": 1.5}}])
    calls = []
    with EslClient(*esl_at) as esl:
        esl.subscribe("CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB")
        legs = []
        for _ in range(10):
            legs.append(str(uuid.uuid4()))
            esl.bgapi(
                "originate {originate_timeout=10,ignore_early_media=true,autocall_avmd=false,"
                f"autocall_file=silence_stream://1500}}[origination_uuid={legs[-1]}]"
                f"sofia/gateway/autocall-viettel/{number} {destination}"
            )
            time.sleep(0.23)
        for leg in legs:
            e = esl.wait_event(
                lambda e, leg=leg: e.get("Event-Name") == "CHANNEL_HANGUP_COMPLETE" and e.get("Unique-ID") == leg, 20
            )
            epochs = int(e["variable_end_epoch"]) - int(e["variable_answer_epoch"])
            calls.append((int(e["variable_billsec"]), epochs, int(e["variable_billusec"]) // 1_000_000))
    print(f"\n{kind}: (billsec, end_epoch - answer_epoch, whole seconds of talk) = {calls}")
    assert {talk for _, _, talk in calls} == {1}
    assert [billsec for billsec, _, _ in calls] == [epochs for _, epochs, _ in calls]
    assert {billsec for billsec, _, _ in calls} == {1, 2}


@pytest.mark.parametrize("kind", ["real", "simulator"])
def test_a_switch_shutting_down_states_limits_of_zero(switch_factory, kind):
    """After SHUTDOWN, until it closes the socket, FreeSWITCH answers ``fsctl sps`` with
    ``+OK sessions per second: 0`` and ``fsctl max_sessions`` with ``+OK max sessions: 0``."""
    answers: list[tuple[str, str]] = []
    with EslClient(*switch_factory(kind)) as esl:
        esl.subscribe("SHUTDOWN")
        assert esl.api("fsctl sps") == "+OK sessions per second: 60\n"
        esl.command("bgapi fsctl shutdown")
        esl.wait_event(lambda e: e.get("Event-Name") == "SHUTDOWN", 5)
        try:
            while True:  # until the disconnect notice
                answers.append((esl.api("fsctl sps", 5), esl.api("fsctl max_sessions", 5)))
                time.sleep(0.1)
        except EslError:
            pass
    print(f"\n{kind}: after SHUTDOWN: {sorted(set(answers))}")
    assert ("+OK sessions per second: 0\n", "+OK max sessions: 0\n") in answers
