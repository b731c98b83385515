"""autocall paces at what ``fsctl sps`` says, not at HEARTBEAT's Session-Per-Sec (docs/engine.md,
"FreeSWITCH as it really behaves", item 1), on a real FreeSWITCH.

The far end runs in a FreeSWITCH of its own (the carrier's side), so the switch under test counts only
autocall's outbound legs against its ``sessions-per-second``, as in production. (With the far end in the
same switch every call is two sessions, and its inbound legs eat the 15 % autocall leaves for inbound
calls and more: FreeSWITCH then refuses some inbound legs with a 503, which the outbound leg reports as
NORMAL_TEMPORARY_FAILURE.)
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.realfs.autocall_serve import wait_for
from tests.realfs.campaigns import Results, start_campaign
from tests.realfs.fswatch import FsWatch


def sustained_rate(start_ms: list[int]) -> float:
    """Calls per second over the middle 80 % of the originates (the first burst and the tail left out)."""
    starts = sorted(start_ms)
    cut = len(starts) // 10
    middle = starts[cut : len(starts) - cut]
    return (len(middle) - 1) / ((middle[-1] - middle[0]) / 1000)


def signed(value: str) -> int:
    """HEARTBEAT's counters are printed with %u: 4294967294 is -2."""
    n = int(value)
    return n - (1 << 32) if n >= 1 << 31 else n


@pytest.mark.parametrize(("sps", "leads", "target"), [(30, 150, 22.5), (5, 45, 3.0)])
def test_a_campaign_is_paced_at_the_limit_fsctl_states_and_never_refused(
    realfs_factory, autocall_factory, store, sps, leads, target
):
    far = realfs_factory(sps=1000, heartbeat=20)
    fs = realfs_factory(sps=sps, heartbeat=1, farend=False, gateway_proxy=far.farend_proxy)
    assert fs.api("fsctl sps") == f"+OK sessions per second: {sps}\n"
    autocall = autocall_factory(fs.esl_url + "?name=fs1")
    wait_for(lambda: autocall.metric("autocall_freeswitch_sps_limit", node="fs1"), 10, "the limit learned")

    with FsWatch(fs, "HEARTBEAT") as heartbeats:
        campaign = start_campaign(autocall, [f"0981{i:06d}" for i in range(leads)], concurrent_call=500)
        results = Results(store, campaign)
        results.wait_settled(timeout=leads / target + 60)
    cdrs = results.cdrs(autocall)

    assert Counter((c["hangup_cause"], c["attempt"]) for c in cdrs) == {("USER_BUSY", 1): leads}
    assert autocall.metric("autocall_freeswitch_sps_limit", node="fs1") == sps
    assert autocall.metric("autocall_originate_rate", node="fs1") == target  # not halved by a refusal
    assert autocall.metric("autocall_freeswitch_refusals_total", node="fs1") == 0
    assert "Throttle Error" not in fs.log_text()
    rate = sustained_rate([c["start_ms"] for c in cdrs])
    left = sorted({signed(e["Session-Per-Sec"]) for e in heartbeats.events if "Session-Per-Sec" in e})
    print(
        f"\nsps {sps}: sustained {rate:.2f} calls/s (CDR start times, middle 80 % of {leads} calls) vs target "
        f"{target} ({rate / target:.1%}); refusals 0; HEARTBEAT Session-Per-Sec seen meanwhile: {left}"
    )
