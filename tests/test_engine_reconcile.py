"""Campaigns re-read from Redis: what the engine missed while its pub/sub subscription was down.

Messages published while nobody is subscribed are gone (Redis pub/sub keeps
nothing). The API here writes through a store whose messages go to a channel
no engine listens to, so every change is one the engine missed; the engine
must still act on it: when its subscription comes back, and periodically.
"""

from __future__ import annotations

import pytest

from dialer.domain.enums import CampaignStatus
from dialer.domain.models import Carrier
from dialer.store.keys import Keys
from dialer.store.store import Store
from simswitch import Scenario
from tests.engine_fixtures import audio_campaign, make_engine, wait_until
from tests.factories import leads

RING_LONG = Scenario(rules=[{"match": "^098", "ring": 30, "no_answer": True}], default={"mix": {"sip503": 1}})


class UnheardKeys(Keys):
    @property
    def events(self) -> str:  # published where no engine listens: a message lost during an outage
        return f"{self.prefix}:events-nobody-hears"


@pytest.fixture
def unheard(redis_client) -> Store:
    """The API's writes, with every pub/sub message lost."""
    return Store(redis_client, keys=UnheardKeys())


@pytest.fixture
def engines(store):
    started = []
    yield started
    for engine in started:
        engine.stop(drain_timeout=1)


def recording(server) -> list[str]:
    """Every originate the simulator is sent, as written."""
    sent: list[str] = []
    originate = server.switch.originate

    def record(arg, *a, **kw):
        sent.append(arg)
        return originate(arg, *a, **kw)

    server.switch.originate = record
    return sent


def kill_subscriptions(redis_client) -> None:
    """Drop every pub/sub connection, as a Redis outage or a network cut does."""
    redis_client.client_kill_filter(_type="pubsub")


def test_a_campaign_started_while_unsubscribed_is_dialled_when_the_subscription_is_back(
    store, unheard, redis_client, simswitch, tmp_path, engines
):
    server = simswitch(RING_LONG, time_scale=0.01)
    sent = recording(server)
    camp = audio_campaign(store, status=CampaignStatus.STOP)
    leads(store, camp, 5)
    engines.append(engine := make_engine(store, server, tmp_path / "audio"))
    unheard.campaigns.set_status(camp.campaign_uuid, CampaignStatus.START)  # the engine hears nothing of it
    assert camp.campaign_uuid not in engine.pacers
    kill_subscriptions(redis_client)
    wait_until(lambda: len(sent) >= 5)


def test_a_campaign_started_unheard_is_dialled_at_the_next_periodic_reconcile(
    store, unheard, simswitch, tmp_path, engines
):
    server = simswitch(RING_LONG, time_scale=0.01)
    sent = recording(server)
    camp = audio_campaign(store, status=CampaignStatus.STOP)
    leads(store, camp, 3)
    engines.append(make_engine(store, server, tmp_path / "audio", reconcile_every_s=0.2))
    unheard.campaigns.set_status(camp.campaign_uuid, CampaignStatus.START)
    wait_until(lambda: len(sent) >= 3)


def test_a_campaign_stopped_unheard_stops_dialling(store, unheard, redis_client, simswitch, tmp_path, engines):
    server = simswitch(RING_LONG, time_scale=0.01)
    camp = audio_campaign(store, concurrent_call=2)
    leads(store, camp, 10)
    engines.append(engine := make_engine(store, server, tmp_path / "audio"))
    engine.wake(camp.campaign_uuid)
    wait_until(lambda: camp.campaign_uuid in engine.pacers and engine.tracker.count() == 2)
    unheard.campaigns.set_status(camp.campaign_uuid, CampaignStatus.STOP)
    kill_subscriptions(redis_client)
    wait_until(lambda: camp.campaign_uuid not in engine.pacers)
    # stop cancels the ringing calls (ORIGINATOR_CANCEL), as if the message had come
    wait_until(lambda: engine.tracker.count() == 0)


def test_a_carrier_switched_unheard_is_used_once_the_subscription_is_back(
    store, unheard, redis_client, simswitch, tmp_path, engines
):
    server = simswitch(RING_LONG, time_scale=0.01)
    sent = recording(server)
    carrier = Carrier(carrier_name="trunk", gateways={"offnet": "gw-old"})
    store.catalog.carriers.put(carrier)
    camp = audio_campaign(store, carrier_uuid=carrier.carrier_uuid, concurrent_call=1, call_timeout=1)
    leads(store, camp, 3)
    engines.append(engine := make_engine(store, server, tmp_path / "audio"))
    engine.wake(camp.campaign_uuid)
    wait_until(lambda: len(sent) >= 1)
    assert "sofia/gateway/gw-old/" in sent[0]
    switched = Carrier(carrier_uuid=carrier.carrier_uuid, carrier_name="trunk", gateways={"offnet": "gw-new"})
    unheard.catalog.carriers.put(switched)
    unheard.campaigns.announce_changed([camp.campaign_uuid])  # what the carrier PUT publishes: lost here
    kill_subscriptions(redis_client)
    wait_until(lambda: len(sent) == 3, timeout=30)
    assert "sofia/gateway/gw-new/" in sent[-1]
