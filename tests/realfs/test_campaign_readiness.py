"""A FreeSWITCH that cannot place autocall's calls is not dialled, and says why (docs/engine.md,
"FreeSWITCH as it really behaves", item 4), on a real FreeSWITCH: the stock configuration without the
``autocall`` dialplan context (until the file is installed and ``reloadxml`` runs), and a switch
without mod_avmd (campaigns with voicemail detection wait).
"""

from __future__ import annotations

import shutil
import time

from tests.realfs.autocall_serve import wait_for
from tests.realfs.campaigns import Results, start_campaign
from tests.realfs.fsconfig import FSCONF
from tests.realfs.fswatch import fs_counts

NO_CONTEXT = "not ready: FreeSWITCH has no dialplan context 'autocall'"


def test_a_switch_without_the_autocall_context_is_not_dialled_until_reloadxml_brings_it(
    realfs_factory, autocall_factory, store
):
    fs = realfs_factory(autocall_context=False)
    assert fs.api("xml_locate dialplan context name autocall") == "can't find anything\n"
    autocall = autocall_factory(fs.esl_url + "?name=fs1")
    numbers = ["0980000001", "0980000002", "0980000003"]
    campaign = start_campaign(autocall, numbers, concurrent_call=3)
    results = Results(store, campaign)

    # While the campaign runs, everything an operator looks at says why nothing is dialled...
    body = wait_for(autocall.not_ready, 10, "/readyz 503")
    assert body["freeswitch"]["fs1"].startswith(NO_CONTEXT), body
    assert "install freeswitch-conf/dialplan/autocall.xml and run 'reloadxml'" in body["freeswitch"]["fs1"]
    # autocall status reads the engine's liveness key, rewritten every second
    wait_for(lambda: f"fs1 {NO_CONTEXT}" in autocall.status_cli(), 10, "autocall status showing why")
    assert autocall.metric("autocall_freeswitch_problem", node="fs1", problem="dialplan") == 1
    assert autocall.metric("autocall_freeswitch_ready", node="fs1") == 0
    # ...and by then FreeSWITCH has had no session at all, and no lead used an attempt.
    assert fs_counts(fs)["since_startup"] == 0
    assert [results.status(n) for n in numbers] == [("", 0)] * 3

    shutil.copyfile(FSCONF / "dialplan" / "autocall.xml", fs.conf_dir / "dialplan" / "autocall.xml")
    installed = time.time()
    assert fs.api("reloadxml") == "+OK [Success]\n"
    wait_for(lambda: autocall.readyz()[0] == 200, 10, "/readyz 200 after reloadxml")
    ready_after = time.time() - installed
    results.wait_settled(timeout=30)

    for number in numbers:
        assert results.status(number) == ("answered", 1), results.attempts(number)
    assert fs_counts(fs)["since_startup"] == 2 * len(numbers)  # each call: our leg and the far end's
    assert autocall.metric("autocall_freeswitch_problem", node="fs1", problem="dialplan") is None
    logged = [r for r in autocall.log_records() if r.get("problem") == "dialplan"]
    assert [r["msg"] for r in logged] == ["freeswitch node not dialled", "freeswitch node dialled again"]
    print(f"\nreloadxml: /readyz 200 {ready_after:.2f} s after the file was installed")


def test_campaigns_with_voicemail_detection_wait_on_a_switch_without_mod_avmd(realfs_factory, autocall_factory, store):
    fs = realfs_factory(avmd=False)
    assert fs.api("module_exists mod_avmd") == "false"
    autocall = autocall_factory(fs.esl_url + "?name=fs1")
    wait_for(lambda: autocall.readyz()[0] == 200, 10, "/readyz 200: the node itself is fine")
    detecting = Results(store, start_campaign(autocall, ["0980000001", "0980000002"], voicemail_detection=True))
    plain = Results(store, start_campaign(autocall, ["0980000011", "0980000012"], voicemail_detection=False))

    plain.wait_settled(timeout=30)
    assert [plain.status(n) for n in plain.campaign.leads] == [("answered", 1)] * 2
    # By the time the plain campaign is done, the detecting one has dialled no one.
    assert [detecting.status(n) for n in detecting.campaign.leads] == [("", 0)] * 2
    assert fs_counts(fs)["since_startup"] == 2 * 2  # the plain campaign's two calls, two sessions each
