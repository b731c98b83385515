"""Every Redis key autocall uses, in one place, named for humans.

All keys live under one prefix (default ``autocall``). docs/redis-keys.md
describes each one and how to inspect it with ``redis-cli``. The Lua scripts
(``lua/*.lua``) are handed every key they touch in ``KEYS`` (dialer/store/scripts.py
builds them here); a key a script only finds from data it reads itself (the leads it
takes from a queue...) is built from a key PREFIX handed the same way (the properties
``*_prefix`` below; tests/test_store_scripts.py checks the suffixes the scripts add).
"""

from __future__ import annotations


class Keys:
    def __init__(self, prefix: str = "autocall") -> None:
        if not prefix or any(c in prefix for c in " \r\n*?[]"):
            raise ValueError(f"bad Redis key prefix {prefix!r}")
        self.prefix = prefix

    # -- registries -------------------------------------------------------
    @property
    def campaigns(self) -> str:  # ZSET campaign uuid -> integer id
        return f"{self.prefix}:campaigns"

    @property
    def campaign_names(self) -> str:  # HASH campaign name -> uuid (names are unique)
        return f"{self.prefix}:campaign-names"

    @property
    def campaign_ids(self) -> str:  # HASH integer id -> uuid
        return f"{self.prefix}:campaign-ids"

    @property
    def creating(self) -> str:  # HASH campaign name -> uuid: a VBot creation not finished (not started yet)
        return f"{self.prefix}:campaigns-creating"

    @property
    def running(self) -> str:  # SET uuids of campaigns with status start
        return f"{self.prefix}:running"

    @property
    def held(self) -> str:  # HASH campaign uuid -> JSON: why an engine holds this running campaign (claims nothing)
        return f"{self.prefix}:held"

    @property
    def events(self) -> str:  # pub/sub channel: "wake <uuid>", "status <uuid> <status>"
        return f"{self.prefix}:events"

    @property
    def deleted(self) -> str:  # ZSET campaign uuid -> deletion ms: deleted campaigns whose data awaits the janitor
        return f"{self.prefix}:deleted"

    @property
    def carriers(self) -> str:  # ZSET carrier uuid -> creation ms
        return f"{self.prefix}:carriers"

    @property
    def templates(self) -> str:  # ZSET template uuid -> creation ms
        return f"{self.prefix}:templates"

    @property
    def prompt_sets(self) -> str:  # ZSET prompt set uuid -> creation ms
        return f"{self.prefix}:prompt-sets"

    @property
    def agents(self) -> str:  # ZSET agent uuid -> creation ms
        return f"{self.prefix}:agents"

    @property
    def agent_extensions(self) -> str:  # HASH extension -> agent uuid (extensions are unique)
        return f"{self.prefix}:agent-extensions"

    @property
    def agents_version(self) -> str:  # STRING counter: one more on every operator write of an agent
        return f"{self.prefix}:agents:version"

    @property
    def agents_pushed(self) -> str:  # HASH mod_callcenter agent name -> the operator's status last pushed to it
        return f"{self.prefix}:agents:pushed"

    def seq(self, name: str) -> str:  # STRING counters
        return f"{self.prefix}:seq:{name}"

    # -- one campaign -----------------------------------------------------
    def campaign(self, uuid: str) -> str:  # HASH the campaign's fields
        return f"{self.prefix}:campaign:{uuid}"

    def fresh(self, uuid: str) -> str:  # ZSET lead -> due ms: leads waiting for their first attempt
        return f"{self.prefix}:campaign:{uuid}:fresh"

    def leads(self, uuid: str) -> str:  # ZSET lead -> import ms: every lead of the campaign
        return f"{self.prefix}:campaign:{uuid}:leads"

    def recalls(self, uuid: str) -> str:  # ZSET lead -> due ms: scheduled recalls
        return f"{self.prefix}:campaign:{uuid}:recalls"

    def hopper(self, uuid: str) -> str:  # ZSET lead -> order: pre-loaded, dialled in order
        return f"{self.prefix}:campaign:{uuid}:hopper"

    def hopper_seq(self, uuid: str) -> str:  # STRING the hopper's order counter
        return f"{self.prefix}:campaign:{uuid}:hopper-seq"

    def calls(self, uuid: str) -> str:  # ZSET call uuid -> lease expiry ms: in-flight attempts (slots)
        return f"{self.prefix}:campaign:{uuid}:calls"

    def busy(self, uuid: str) -> str:  # HASH network -> in-flight calls
        return f"{self.prefix}:campaign:{uuid}:busy"

    def cdrs(self, uuid: str) -> str:  # ZSET call uuid -> end ms: finished attempts
        return f"{self.prefix}:campaign:{uuid}:cdrs"

    def stats(self, uuid: str, hour: str) -> str:  # HASH report counters of one local hour YYYYMMDDHH
        return f"{self.prefix}:campaign:{uuid}:stats:{hour}"

    def call_stats(self, uuid: str, minute: int | str) -> str:  # HASH call stats of one minute (epoch // 60)
        return f"{self.prefix}:campaign:{uuid}:callstats:{minute}"

    def dnc(self, uuid: str) -> str:  # SET external ids on the do-not-call list
        return f"{self.prefix}:campaign:{uuid}:dnc"

    def external(self, uuid: str) -> str:  # HASH external id -> lead uuid
        return f"{self.prefix}:campaign:{uuid}:external"

    def pacer_lease(self, uuid: str) -> str:  # STRING engine id (PX): the one engine pacing this autodialer campaign
        return f"{self.prefix}:campaign:{uuid}:pacer"

    def numbers(self, uuid: str) -> str:  # HASH number (or its digest) -> the last lead imported with it
        return f"{self.prefix}:campaign:{uuid}:numbers"

    # -- bulk imports (dialer/store/imports.py) -----------------------------------
    def staged(self, uuid: str) -> str:  # STRING campaign uuid: an import staging its leads (expires)
        return f"{self.prefix}:import:{uuid}"

    def idempotency(self, name: str) -> str:  # STRING JSON answer of a request with an Idempotency-Key (expires)
        return f"{self.prefix}:idempotency:{name}"

    # -- leads, calls, config ----------------------------------------------
    def lead(self, uuid: str) -> str:  # HASH the lead
        return f"{self.prefix}:lead:{uuid}"

    def lead_calls(self, uuid: str) -> str:  # LIST the lead's attempts (call uuids), oldest first
        return f"{self.prefix}:lead:{uuid}:calls"

    def call(self, uuid: str) -> str:  # HASH one attempt: in flight, then its CDR
        return f"{self.prefix}:call:{uuid}"

    @property
    def engines(self) -> str:  # SET ids of engines that have beaten (a member without engine:<id> died)
        return f"{self.prefix}:engines"

    def engine(self, uuid: str) -> str:  # STRING a running engine's liveness (expires: the engine died)
        return f"{self.prefix}:engine:{uuid}"

    def engine_metrics(self, uuid: str) -> str:  # HASH a worker's engine metric families (--workers N; expires)
        return f"{self.prefix}:engine-metrics:{uuid}"

    def cdr_probe(self, uuid: str) -> str:  # STRING "1": the CDR of this barrier channel came (expires in 1 h)
        return f"{self.prefix}:freeswitch:cdr-probe:{uuid}"

    @property
    def probe(self) -> str:  # STRING /readyz's write probe: "1", expires after 10 s
        return f"{self.prefix}:probe"

    @property
    def wait_fence(self) -> str:  # STRING written before each WAIT (replication.py): "1", expires after 10 s
        return f"{self.prefix}:wait-fence"

    def carrier(self, uuid: str) -> str:  # HASH
        return f"{self.prefix}:carrier:{uuid}"

    def template(self, uuid: str) -> str:  # HASH
        return f"{self.prefix}:template:{uuid}"

    def prompt_set(self, uuid: str) -> str:  # HASH
        return f"{self.prefix}:prompt-set:{uuid}"

    def agent(self, uuid: str) -> str:  # HASH json: what the operator wrote (dialer/domain/agents.py Agent)
        return f"{self.prefix}:agent:{uuid}"

    def agent_live(self, uuid: str) -> str:  # HASH what the engine learnt from mod_callcenter (AgentLive)
        return f"{self.prefix}:agent-live:{uuid}"

    # -- webhooks -----------------------------------------------------------
    @property
    def webhooks(self) -> str:  # ZSET delivery id -> due ms
        return f"{self.prefix}:webhooks"

    def webhook(self, delivery: str) -> str:  # HASH url, body, tries
        return f"{self.prefix}:webhook:{delivery}"

    @property
    def webhooks_dead(self) -> str:  # LIST deliveries that failed for good (never silently dropped)
        return f"{self.prefix}:webhooks:dead"

    # -- key PREFIXES: what a Lua script appends an id it reads itself to (docs/redis-keys.md,
    #    "Keys the scripts touch") ------------------------------------------------------------
    @property
    def campaign_prefix(self) -> str:  # + campaign uuid [+ ':calls', ':busy'...]: a batch over campaigns
        return self.campaign("")

    @property
    def lead_prefix(self) -> str:  # + lead uuid: leads taken from a queue or an index
        return self.lead("")

    @property
    def call_prefix(self) -> str:  # + call uuid: calls read from a campaign's slots
        return self.call("")

    @property
    def engine_prefix(self) -> str:  # + engine id: the owner named in a call hash
        return self.engine("")

    @property
    def agent_prefix(self) -> str:  # + agent uuid: the agent finish.lua finds by its extension (its wrap-up)
        return self.agent("")

    @property
    def agent_live_prefix(self) -> str:  # + agent uuid: the agent agent_live.lua finds by its extension
        return self.agent_live("")

    @property
    def webhook_prefix(self) -> str:  # + delivery id: deliveries read from the due line
        return self.webhook("")
