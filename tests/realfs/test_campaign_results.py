"""A campaign ends the same on the real FreeSWITCH as on ``autocall simswitch`` playing the same far end.

``autocall serve`` runs as a customer runs it (a subprocess, HTTP API, real Redis); the campaign covers
every behaviour of the harness's far end (README.md, "The far end's numbers"). The simulator gets a
scenario that mirrors that far end (simfarend.FAREND_SCENARIO), with its timings.
"""

from __future__ import annotations

from tests.realfs.campaigns import Results, start_campaign
from tests.realfs.fswatch import FsWatch
from tests.realfs.simfarend import SimSwitch

#: One lead per behaviour of the far end (two answered ones: its BYE after 3 s, and ours after the
#: 5 s message while the far end would talk 30 s).
NUMBERS = {
    "0981000001": "486 Busy Here",
    "0982000001": "404 Not Found",
    "0983000001": "rings until call_timeout",
    "0984000001": "480 Temporarily Unavailable",
    "0985000001": "503 Service Unavailable",
    "0980000001": "answers after 1 s ring, far end's BYE 3 s later",
    "0980000002": "answers after 1 s ring, far end's BYE 3 s later",
    "0979000001": "answers after 1 s ring, our BYE when the 5 s message ends",
}
CAMPAIGN = {"concurrent_call": 10, "call_timeout": 4, "recall_times": 0}
MESSAGE_SECONDS = 5.0


def run_campaign(autocall, store) -> tuple[Results, dict[str, dict]]:
    campaign = start_campaign(autocall, list(NUMBERS), message_seconds=MESSAGE_SECONDS, **CAMPAIGN)
    results = Results(store, campaign)
    results.wait_settled(timeout=60)
    return results, {number: results.outcome(number) for number in NUMBERS}


def test_every_lead_ends_as_on_the_simulator(realfs, autocall_factory, store, tmp_path):
    with FsWatch(realfs, "CHANNEL_HANGUP_COMPLETE") as watch:
        autocall = autocall_factory(realfs.esl_url + "?name=fs1")
        real_results, real = run_campaign(autocall, store)
    autocall.stop()  # a second engine on the same Redis would dial the next campaign too

    sim = SimSwitch(tmp_path / "simswitch").start()
    try:
        _, simulated = run_campaign(autocall_factory(sim.esl_url + "?name=fs1"), store)
    finally:
        sim.stop()

    for number, behaviour in NUMBERS.items():
        ours = dict(real[number])
        if ours["billsec"]:
            # FreeSWITCH's billsec is end_epoch - answer_epoch, whole seconds of the clock
            # (switch_channel_set_timestamps): a 3.03 s call is billed 4 s when it spans 4 clock
            # seconds; the simulator bills the talk time's whole seconds (test_switch_facts.py). And a
            # real call lasts its nominal time (3 s, 5 s) give or take a few tens of ms of SIP and
            # media timing, a simulated one exactly. So the talk time compared is the real call's
            # (FreeSWITCH's billusec) to the nearest second.
            hangup = _hangup_of(watch, real_results, number)
            assert ours["billsec"] == int(hangup["variable_billsec"]), "autocall reports FreeSWITCH's billsec"
            ours["billsec"] = round(int(hangup["variable_billusec"]) / 1e6)
        print(f"{number} ({behaviour}): real {real[number]} | simulator {simulated[number]}")
        assert ours == simulated[number], f"{number} ({behaviour})"
    assert {o["attempts"] for o in real.values()} == {1}


def _hangup_of(watch: FsWatch, results: Results, number: str) -> dict[str, str]:
    """FreeSWITCH's CHANNEL_HANGUP_COMPLETE of the lead's (only) call: its leg is the lead's call id."""
    lead = results.campaign.leads[number]
    found = watch.where(
        lambda e: (
            e.get("Event-Name") == "CHANNEL_HANGUP_COMPLETE"
            and e.get("Call-Direction") == "outbound"
            and e.get("variable_autocall_lead") == lead
        )
    )
    assert len(found) == 1, f"{number}: {len(found)} hangups of our leg"
    return found[0]
