"""An answered autodialer call's outcome is what its time in the agents' queue says
(dialer/outcomes/queued.py, docs/outcomes.md "Autodialer calls"), and abandoned calls are
recalled as the campaign's recall_status says."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from dialer.api.app import build_app
from dialer.domain.cdr import AgentCallRecord, CallRecord
from dialer.domain.enums import CampaignType, RecallStatus, ReportKey
from dialer.domain.models import DEFAULT_RECALL_STATUS, Template
from dialer.engine import recorder
from dialer.outcomes.vbot_codes import Disposition, VBotStatus, vbot_disposition, vbot_status
from dialer.store.switch_cdrs import SwitchCdrs
from tests.api_fixtures import TOKEN, Client
from tests.autodialer_calls import attempt, autodialer, finish, hangup
from tests.factories import campaign
from tests.seed_examples import examples
from tests.test_api_vbot import PATH as VBOT_PATH
from tests.test_api_vbot import unmasked
from tests.test_switch_cdrs_api import ANSWERED, SECRET, basic

R, K = RecallStatus, ReportKey


def outcome(store, kind: str, **campaign_fields):
    att = attempt(store, autodialer(store, **campaign_fields), hangup(kind))
    return recorder.outcome_of(att)[0], recorder.build_finish(att, att.ended_ms + 100).cdr


def test_a_call_bridged_to_an_agent_is_answered_with_its_agent_and_times(store):
    got, cdr = outcome(store, "bridged")
    assert (got.recall_status, got.report_key) == (R.ANSWERED, K.ANSWERED)
    assert isinstance(cdr, AgentCallRecord)
    assert (cdr.agent, cdr.queuesec, cdr.agentsec, cdr.abandoned) == ("1001", 4, 60, 0)
    assert got.reason == "answered, bridged to agent 1001 after 4 s in the queue, 60 s talk"


def test_a_call_no_agent_took_within_the_queues_wait_is_abandoned_and_reported_answered(store):
    got, cdr = outcome(store, "timeout")
    assert (got.recall_status, got.report_key) == (R.ABANDONED, K.ANSWERED)
    assert (cdr.agent, cdr.queuesec, cdr.agentsec, cdr.abandoned) == ("", 5, 0, 1)
    assert "TIMEOUT" in got.reason


def test_a_callee_who_hung_up_waiting_for_an_agent_is_abandoned(store):
    got, cdr = outcome(store, "break_out")
    assert (got.recall_status, got.report_key, cdr.abandoned, cdr.queuesec) == (R.ABANDONED, K.ANSWERED, 1, 3)
    assert "hung up waiting" in got.reason


def test_a_beep_before_any_agent_is_voicemail_not_abandoned(store):
    got, cdr = outcome(store, "beep")
    assert (got.recall_status, got.report_key) == (R.VOICEMAIL, K.ANSWERED)
    assert (cdr.agent, cdr.abandoned) == ("", 0)


def test_an_answered_call_that_never_joined_the_queue_is_abandoned(store):
    got, cdr = outcome(store, "never_queued")
    assert (got.recall_status, got.report_key, cdr.abandoned, cdr.queuesec) == (R.ABANDONED, K.ANSWERED, 1, 0)


def test_a_call_nobody_answered_is_classified_as_any_call_and_has_no_agent_fields(store):
    got, cdr = outcome(store, "busy")
    assert (got.recall_status, got.report_key) == (R.BUSY, K.BUSY)
    assert type(cdr) is CallRecord


def test_a_bridged_call_is_answered_even_below_min_recall_duration(store):
    # seed 004's rule is about a recorded message being heard; an agent talked to this callee
    got, _ = outcome(store, "bridged", min_recall_duration=3600)
    assert got.recall_status is R.ANSWERED


def test_the_same_queue_facts_change_nothing_for_an_autocall_campaign(store):
    att = attempt(store, autodialer(store, type=CampaignType.AUTOCALL), hangup("timeout"))
    got = recorder.outcome_of(att)[0]
    assert (got.recall_status, type(recorder.build_finish(att, att.ended_ms).cdr)) == (R.ANSWERED, CallRecord)


def test_vbot_codes_of_an_abandoned_call_are_those_of_an_answered_call(store):
    got, _ = outcome(store, "timeout")
    assert (vbot_status(got), vbot_disposition(got)) == (VBotStatus.ANSWER, Disposition.ANSWER)


# -- recalls -----------------------------------------------------------------------------------------
def lead_queue(store, att) -> str | None:
    for name in ("recalls", "fresh"):
        key = getattr(store.keys, name)(att.claim.campaign_uuid)
        if store.r.zscore(key, att.claim.lead_uuid) is not None:
            return name
    return None


def test_an_abandoned_call_is_recalled_when_recall_status_names_abandoned(store):
    camp = autodialer(store, recall_status=[R.BUSY, R.ABANDONED])
    att = attempt(store, camp, hangup("timeout"))
    done = finish(store, att)
    assert lead_queue(store, att) == "recalls"
    assert done.due_ms == att.ended_ms + 30 * 60_000


def test_an_abandoned_call_is_not_recalled_when_recall_status_leaves_it_out(store):
    camp = autodialer(store, recall_status=[R.BUSY, R.NO_ANSWERED, R.FAILED])
    att = attempt(store, camp, hangup("timeout"))
    finish(store, att)
    assert lead_queue(store, att) is None
    assert store.r.hget(store.keys.lead(att.claim.lead_uuid), "state") == "done"


def test_a_new_autodialer_campaign_recalls_abandoned_calls_by_default(api, store):
    body = {"campaign_name": "agents", "type": "autodialer", "concurrent_call": 2, "type_autocall": "autocall_audio"}
    res = api("POST", "/v3/campaign", json=body)
    assert res.status_code == 200, res.json
    assert store.campaigns.get(res.json["campaign_uuid"]).recall_status == [*DEFAULT_RECALL_STATUS, R.ABANDONED]


def test_other_campaign_types_keep_the_seeds_default_recall_status():
    assert R.ABANDONED not in DEFAULT_RECALL_STATUS


def test_the_v3_api_accepts_abandoned_in_recall_status(api, store):
    ex = examples("000_808eb0c90d7a3116.txt")["Create Campaign Autocall"]
    body = {**json.loads(ex.data), "recall_status": ["busy", "abandoned"]}
    res = api(ex.method, ex.path, json=body)
    assert res.status_code == 200, res.json
    assert store.campaigns.get(res.json["campaign_uuid"]).recall_status == [R.BUSY, R.ABANDONED]


# -- FreeSWITCH's own CDR, when no engine heard the hangup -----------------------------------------------
def test_the_agent_fields_come_from_freeswitchs_cdr_when_the_hangup_was_not_heard(store, services):
    services.cdr_secret = SECRET
    api = Client(build_app(services, [TOKEN]))
    camp = autodialer(store)
    att = attempt(store, camp, hangup("bridged"))
    att.hangups.clear()  # nothing heard: the call is settled from the CDR FreeSWITCH posted
    doc = json.loads(Path(ANSWERED).read_text())
    v = doc["variables"]
    v["autocall_campaign"], v["autocall_call"] = quote(camp.campaign_uuid), quote(att.call_uuid)
    v["uuid"] = v["origination_uuid"] = att.call_uuid
    queue = {k.removeprefix("variable_"): v for k, v in hangup("bridged").items() if k.startswith("variable_cc_")}
    v.update({k: quote(value, safe="") for k, value in queue.items()})  # as mod_json_cdr writes them: %40
    body = json.dumps(doc)
    headers = {"Content-Type": "application/json", **basic(SECRET)}
    posted = api("POST", f"/freeswitch/cdr?uuid={att.call_uuid}", body=body, auth=False, headers=headers)
    assert posted.status_code == 200, posted.text
    att.hangups.update(SwitchCdrs(store).kept([att.call_uuid])[att.call_uuid])
    done = finish(store, att)
    assert (done.cdr.recall_status, done.cdr.agent, done.cdr.queuesec, done.cdr.agentsec) == ("answered", "1001", 4, 60)


def test_a_vbot_clone_keeps_its_template_campaigns_abandoned_recalls(api, store):
    store.r.set(store.keys.seq("campaign"), 2931)  # the seed's body clones campaign 2932
    template = Template(template_name="nhac_no", audio_file="a.wav")
    store.catalog.templates.put(template)
    recalls = [R.BUSY, R.ABANDONED]
    campaign(store, campaign_name="mau", template_uuid=template.template_uuid, recall_status=recalls, recall_times=1)
    res = api("POST", VBOT_PATH, body=unmasked())
    assert res.status_code == 200, res.json
    clone = store.campaigns.get(store.campaigns.uuid_by_id(res.json["data"]))
    assert clone.recall_status == recalls
