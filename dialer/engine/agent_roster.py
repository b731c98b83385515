"""The agents as this engine last read them, and which of them serve each autodialer campaign.

Read with ``store.agents.roster()`` (the version first, then every agent) and again only when
``agents:version`` has moved: when the events channel says ``agents`` (any operator write), at each
sync of mod_callcenter (callcenter_sync.py) and at the periodic reconcile (a message lost while the
subscription was down). Which agents a campaign's ``users`` and ``groups`` name is worked out once
per campaign object and roster (a changed campaign is a new object: dialer/engine/campaigns.py).
"""

from __future__ import annotations

from dialer.domain.agents import Agent, callcenter_name, campaign_agents
from dialer.domain.models import Campaign
from dialer.store.store import Store


class AgentRoster:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.version = -1  # -1: never read
        self.agents: list[Agent] = []
        self.by_name: dict[str, Agent] = {}  # by mod_callcenter name, <extension>@autocall
        self._serving: dict[str, tuple[Campaign, list[Agent]]] = {}
        self._names: dict[str, tuple[Campaign, frozenset[str]]] = {}  # the same, by name (campaigns_of)

    def refresh(self) -> bool:
        """Read the agents again if their version moved (True: it had). Raises StoreError."""
        if self.store.agents.version() == self.version:
            return False
        roster = self.store.agents.roster()
        self.version = roster.version
        self.agents = roster.agents
        self.by_name = {callcenter_name(a): a for a in roster.agents}
        self._serving.clear()
        self._names.clear()
        return True

    def serving(self, campaign: Campaign) -> list[Agent]:
        """The agents an autodialer campaign's ``users`` and ``groups`` name (none for other types)."""
        if self.version < 0:
            self.refresh()
        seen = self._serving.get(campaign.campaign_uuid)
        if seen is not None and seen[0] is campaign:
            return seen[1]
        agents = campaign_agents(self.agents, campaign)
        self._serving[campaign.campaign_uuid] = (campaign, agents)
        return agents

    def names_serving(self, campaign: Campaign) -> list[str]:
        return [callcenter_name(a) for a in self.serving(campaign)]

    def campaigns_of(self, name: str, campaigns: list[Campaign]) -> set[str]:
        """Which of ``campaigns`` the agent ``name`` serves."""
        agent = self.by_name.get(name)
        if agent is None:
            return set()
        return {c.campaign_uuid for c in campaigns if name in self._names_of(c)}

    def _names_of(self, campaign: Campaign) -> frozenset[str]:
        # a set of names, not ``agent in serving(c)``: that compares pydantic models one by one, 12 ms
        # for 1,000 agents, per campaign, for every agent event in the reader's greenlet
        seen = self._names.get(campaign.campaign_uuid)
        if seen is not None and seen[0] is campaign:
            return seen[1]
        names = frozenset(self.names_serving(campaign))
        self._names[campaign.campaign_uuid] = (campaign, names)
        return names
