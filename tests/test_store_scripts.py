"""The Lua scripts are handed the keys they touch (issue 16): every fixed key comes in ``KEYS``,
built by dialer/store/scripts.py from dialer/store/keys.py; a key a script can only find from
data it reads itself is built from a key PREFIX that comes in ``KEYS`` too, and the scripts say so."""

from __future__ import annotations

import re

import pytest

from dialer.store.keys import Keys
from dialer.store.script_results import CreateRefusal, DeleteRule, Deletion
from dialer.store.scripts import NAMES, source
from tests import factories

PREFIXED = re.compile(r"_prefix \.\. ")


@pytest.mark.parametrize("name", NAMES)
def test_a_script_builds_no_key_from_an_argument(name):
    text = source(name)
    assert "KEYS[" in text or "unpack(KEYS" in text, name
    code = "\n".join(line.split("--")[0] for line in text.splitlines())
    assert not re.search(r"ARGV\[\d+\]\s*\.\.", code), f"{name} builds a name from an argument"
    assert not re.search(r"'[a-z-]*:(campaign|lead|call|engine|webhook|import|seq|events)\b", code), name


@pytest.mark.parametrize("name", NAMES)
def test_a_script_that_builds_keys_from_a_prefix_says_why(name):
    text = source(name)
    header = text.split("\nlocal ", 1)[0]
    assert "-- KEYS:" in header, name
    header = " ".join(line.removeprefix("--").strip() for line in header.splitlines())
    if PREFIXED.search(text):
        assert "PREFIX" in header and "Keys the scripts touch" in header, name


def test_the_suffixes_the_scripts_add_to_a_campaign_are_the_store_keys():
    keys = Keys("p")
    campaign = keys.campaign("u")
    suffixes = {
        key[len(campaign) :]
        for key in (
            keys.fresh("u"),
            keys.recalls("u"),
            keys.hopper("u"),
            keys.calls("u"),
            keys.busy("u"),
            keys.cdrs("u"),
            keys.dnc("u"),
            keys.external("u"),
            keys.leads("u"),
            keys.stats("u", ""),
            keys.call_stats("u", ""),
        )
    }
    used: set[str] = set()
    for name in NAMES:
        used |= set(re.findall(r"\.\. '(:[a-z:-]+)'", source(name)))
    assert used and used <= suffixes, used - suffixes
    assert keys.lead_calls("x") == keys.lead_prefix + "x:calls"  # finish.lua: lk .. ':calls'


def test_key_prefixes_are_the_keys_of_an_empty_id():
    keys = Keys()
    assert keys.lead_prefix + "x" == keys.lead("x") and keys.call_prefix + "x" == keys.call("x")
    assert keys.campaign_prefix + "x" == keys.campaign("x") and keys.engine_prefix + "x" == keys.engine("x")
    assert keys.webhook_prefix + "7" == keys.webhook("7")
    assert keys.agent_prefix + "x" == keys.agent("x")


def test_a_slot_is_released_once_and_its_network_counted_down_once(store):
    claim = factories.in_flight(store)
    busy = store.keys.busy(claim.campaign_uuid)
    assert store.r.hget(busy, claim.network) == "1"
    store.calls.release_slot(claim.campaign_uuid, claim.call_uuid, claim.network)
    store.calls.release_slot(claim.campaign_uuid, claim.call_uuid, claim.network)  # already free: nothing
    assert store.r.hget(busy, claim.network) == "0" and store.calls.in_flight(claim.campaign_uuid) == 0
    assert store.calls.get(claim.call_uuid)["state"] == "released"


def test_script_answers_are_members_not_strings(store):
    camp = factories.campaign(store, active=True)
    assert store.campaigns.delete(camp.campaign_uuid, 1) is Deletion.ACTIVE
    assert store.campaigns.delete("nope", 1) is Deletion.MISSING
    store.campaigns.update(camp.campaign_uuid, {"status": "start"})
    assert store.campaigns.delete(camp.campaign_uuid, 1, DeleteRule.STOPPED) is Deletion.RUNNING
    store.campaigns.update(camp.campaign_uuid, {"status": "stop", "active": "false"})
    assert store.campaigns.delete(camp.campaign_uuid, 1) is Deletion.OK
    creation = store.scripts.create_campaign("u-1", "x", 0, {"template_uuid": "missing"})
    assert creation.refusal is CreateRefusal.NO_TEMPLATE and not store.r.exists(store.keys.campaign("u-1"))
