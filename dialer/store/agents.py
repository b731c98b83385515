"""Agents: what the operator writes (one JSON hash each, a registry, the extension index), what the
engine writes (each agent's live hash), and the version the engines re-sync mod_callcenter by.

Every operator write (create, update, status, delete) is one WATCH/MULTI transaction that also adds
one to ``agents:version`` and publishes ``agents`` on the events channel: an engine that pushed
version N into mod_callcenter knows at a glance whether anything changed since. Extensions are
unique: the index ``agent-extensions`` is checked and written in the same transaction as the agent.

The engine's writes (:meth:`Agents.write_live`) never touch the operator's hash, so neither writer
can undo the other; they name the agent as mod_callcenter does, ``<extension>@autocall``, and write
nothing for an agent deleted meanwhile (agent_live.lua).

An agent a campaign names in its ``users`` is not deleted, nor its extension changed (when the
campaign names it by that extension): the campaigns are read under WATCH, so one changed meanwhile
makes the transaction retry, as :meth:`dialer.store.catalog.HashRecords.delete_unused` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import redis

from dialer.domain.agents import Agent, AgentLive, LiveUpdate, campaign_users, extension_of, named_agents
from dialer.store.campaigns import Campaigns
from dialer.store.catalog import WATCH_RETRIES
from dialer.store.errors import AgentTaken, NamedByCampaigns
from dialer.store.keys import Keys
from dialer.store.replies import fields, record, text, texts
from dialer.store.scripts import Scripts

AGENTS_EVENT = "agents"  # published on the events channel after every operator write


@dataclass(frozen=True, slots=True)
class Roster:
    """Every agent, and the version read before them: what an engine pushes into mod_callcenter.
    An agent written while they were read makes the next version differ, so the engine looks again."""

    version: int
    agents: list[Agent]


@dataclass(frozen=True, slots=True)
class Resolution:
    """The agents a campaign's ``users`` and ``groups`` name (creation order, each once), and the
    users that name no agent."""

    agents: list[Agent]
    missing_users: list[str]


def _agent(raw: str) -> Agent:
    return Agent.model_validate_json(raw)


class Agents:
    def __init__(self, client: redis.Redis, keys: Keys, scripts: Scripts, campaigns: Campaigns) -> None:
        self.r = client
        self.keys = keys
        self.scripts = scripts
        self.campaigns = campaigns

    # -- reads ----------------------------------------------------------------------
    def get(self, uuid: str) -> Agent | None:
        raw = text(self.r.hget(self.keys.agent(uuid), "json"))
        return _agent(raw) if raw else None

    def get_many(self, uuids: list[str]) -> list[Agent]:
        """Several agents in one round trip (missing ones left out)."""
        pipe = self.r.pipeline(transaction=False)
        for uuid in uuids:
            pipe.hget(self.keys.agent(uuid), "json")
        return [_agent(raw) for raw in pipe.execute() if raw]

    def uuids(self) -> list[str]:
        """Every agent, in creation order."""
        return texts(self.r.zrange(self.keys.agents, 0, -1))

    def all(self) -> list[Agent]:
        return self.get_many(self.uuids())

    def by_extension(self, extension: str) -> Agent | None:
        uuid = text(self.r.hget(self.keys.agent_extensions, extension))
        return self.get(uuid) if uuid else None

    def version(self) -> int:
        """How many operator writes agents have had: changed since an engine's last sync when it differs."""
        return int(text(self.r.get(self.keys.agents_version)) or 0)

    def roster(self) -> Roster:
        version = self.version()  # first: a write after it shows as a newer version next time
        return Roster(version, self.all())

    def live(self, uuid: str) -> AgentLive:
        return AgentLive.model_validate(record(self.r.hgetall(self.keys.agent_live(uuid))))

    def live_many(self, uuids: list[str]) -> dict[str, AgentLive]:
        pipe = self.r.pipeline(transaction=False)
        for uuid in uuids:
            pipe.hgetall(self.keys.agent_live(uuid))
        return {uuid: AgentLive.model_validate(data) for uuid, data in zip(uuids, pipe.execute(), strict=True)}

    def with_live(self) -> list[tuple[Agent, AgentLive]]:
        """Every agent in creation order with its live state: two round trips whatever their number
        (the registry, then one pipeline of their hashes). The live view and /metrics read it on every
        poll and scrape. Not one Lua script: measured, it cost Redis about 4 times the CPU of these
        plain commands (a script's redis.call and reply conversion), in one blocking run."""
        uuids = self.uuids()
        if not uuids:
            return []
        pipe = self.r.pipeline(transaction=False)
        for uuid in uuids:
            pipe.hget(self.keys.agent(uuid), "json")
            pipe.hgetall(self.keys.agent_live(uuid))
        replies = pipe.execute()
        return [
            (_agent(raw), AgentLive.model_validate(live))
            for raw, live in zip(replies[::2], replies[1::2], strict=True)
            if raw  # deleted between the two round trips
        ]

    def resolve(self, users: Iterable[str], groups: Iterable[str]) -> Resolution:
        """The agents named by ``users`` (extensions, or agent uuids in lower case:
        :func:`dialer.domain.agents.campaign_users`) or belonging to one of ``groups``."""
        return Resolution(*named_agents(self.all(), users, groups))

    # -- the operator's writes ------------------------------------------------------
    def _changed(self, pipe: redis.client.Pipeline) -> None:
        """Queue the version bump and the engines' wake-up (inside the write's MULTI)."""
        pipe.incr(self.keys.agents_version)
        pipe.publish(self.keys.events, AGENTS_EVENT)

    def _naming(self, pipe: redis.client.Pipeline, names: set[str]) -> list[str]:
        """The campaigns (watched from now on) whose ``users`` hold one of ``names``."""
        keys = self.keys
        pipe.watch(keys.campaigns)
        uuids = texts(pipe.zrange(keys.campaigns, 0, -1))
        if uuids:
            pipe.watch(*[keys.campaign(u) for u in uuids])
        return [c.campaign_name for c in self.campaigns.get_many(uuids) if names.intersection(campaign_users(c))]

    def create(self, agent: Agent, now_ms: int) -> None:
        """Store a new agent; :class:`AgentTaken` (nothing written) if its uuid or extension is taken."""
        k, uuid = self.keys, agent.agent_uuid
        key = k.agent(uuid)
        with self.r.pipeline(transaction=True) as pipe:
            for _ in range(WATCH_RETRIES):
                try:
                    pipe.watch(key, k.agent_extensions)
                    if pipe.exists(key):
                        raise AgentTaken("agent_uuid", uuid)
                    holder = text(pipe.hget(k.agent_extensions, agent.extension))
                    if holder:
                        raise AgentTaken("extension", holder)
                    pipe.multi()
                    pipe.hset(key, "json", agent.model_dump_json())
                    pipe.hset(k.agent_extensions, agent.extension, uuid)
                    pipe.zadd(k.agents, {uuid: now_ms})
                    pipe.delete(k.agent_live(uuid))
                    self._changed(pipe)
                    pipe.execute()
                    return
                except redis.WatchError:
                    continue
        raise redis.RedisError(f"{key} kept changing; gave up after {WATCH_RETRIES} attempts")

    def rewrite(self, uuid: str, change: Callable[[Agent], Agent]) -> Agent:
        """Replace the agent with ``change(current)`` in one transaction, and return it.

        KeyError if it does not exist (a deleted agent never comes back); whatever ``change`` raises
        (validation) writes nothing. A new extension must be free (:class:`AgentTaken`) and the old
        one named by no campaign (:class:`NamedByCampaigns`); it forgets the live state, which
        belonged to the old name in mod_callcenter.
        """
        k = self.keys
        key = k.agent(uuid)
        with self.r.pipeline(transaction=True) as pipe:
            for _ in range(WATCH_RETRIES):
                try:
                    pipe.watch(key, k.agent_extensions)
                    raw = text(pipe.hget(key, "json"))
                    if not raw:
                        raise KeyError(uuid)
                    current = _agent(raw)
                    new = change(current).model_copy(update={"agent_uuid": uuid})
                    moved = new.extension != current.extension
                    if moved:
                        holder = text(pipe.hget(k.agent_extensions, new.extension))
                        if holder and holder != uuid:
                            raise AgentTaken("extension", holder)
                        naming = self._naming(pipe, {current.extension})
                        if naming:
                            raise NamedByCampaigns(naming)
                    pipe.multi()
                    pipe.hset(key, "json", new.model_dump_json())
                    if moved:
                        pipe.hdel(k.agent_extensions, current.extension)
                        pipe.hset(k.agent_extensions, new.extension, uuid)
                        pipe.delete(k.agent_live(uuid))
                    self._changed(pipe)
                    pipe.execute()
                    return new
                except redis.WatchError:
                    continue
        raise redis.RedisError(f"{key} kept changing; gave up after {WATCH_RETRIES} attempts")

    def delete(self, uuid: str) -> Agent:
        """Delete the agent, its live state and its extension, unless a campaign names it in its ``users``
        (:class:`NamedByCampaigns`, nothing written). KeyError if it does not exist. Returns what it was."""
        k = self.keys
        key = k.agent(uuid)
        with self.r.pipeline(transaction=True) as pipe:
            for _ in range(WATCH_RETRIES):
                try:
                    pipe.watch(key, k.agent_extensions)
                    raw = text(pipe.hget(key, "json"))
                    if not raw:
                        raise KeyError(uuid)
                    agent = _agent(raw)
                    naming = self._naming(pipe, {uuid, agent.extension})
                    if naming:
                        raise NamedByCampaigns(naming)
                    pipe.multi()
                    pipe.delete(key, k.agent_live(uuid))
                    pipe.hdel(k.agent_extensions, agent.extension)
                    pipe.zrem(k.agents, uuid)
                    self._changed(pipe)
                    pipe.execute()
                    return agent
                except redis.WatchError:
                    continue
        raise redis.RedisError(f"{key} kept changing; gave up after {WATCH_RETRIES} attempts")

    # -- the engine's writes --------------------------------------------------------
    def pushed(self) -> dict[str, str]:
        """mod_callcenter agent name -> the operator's status the engines last pushed to it."""
        return record(self.r.hgetall(self.keys.agents_pushed))

    def record_pushed(self, statuses: dict[str, str], forgotten: Iterable[str] = ()) -> None:
        """The statuses just pushed into mod_callcenter (or found there), and the agents deleted from it."""
        gone = list(forgotten)
        if not statuses and not gone:
            return
        pipe = self.r.pipeline(transaction=True)
        if statuses:
            pipe.hset(self.keys.agents_pushed, mapping=fields(statuses))
        if gone:
            pipe.hdel(self.keys.agents_pushed, *gone)
        pipe.execute()

    def write_live(self, callcenter_name: str, update: LiveUpdate) -> str | None:
        """Write what a mod_callcenter event says about the agent it names (``<extension>@autocall``):
        the agent's uuid, or None when it names none of autocall's agents (nothing written)."""
        extension = extension_of(callcenter_name)
        if extension is None:
            return None
        return self.scripts.agent_live(extension, update.fields(), update.increments())
