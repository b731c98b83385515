"""The ESL filters that make one engine hear only its own calls on a FreeSWITCH node (issue 18).

mod_event_socket lets an event through to a listener that has filters when one positive filter
matches it (the header present, its value equal case-insensitively, or found by a ``/regex/``)
and no negative one does (tests/captures/batch4). An engine's calls carry
``autocall_engine=<its id>`` in the originate's ``{}`` (engine/dialing.py): CHANNEL_ANSWER and
CHANNEL_HANGUP_COMPLETE carry it as ``variable_autocall_engine``, and the originate's
BACKGROUND_JOB has it in ``Job-Command-Arg``. DTMF carries no channel variables (and avmd::beep
no channel data at all), so DTMF comes node-wide (one event per key pressed; another engine's is
ignored) and a beep is read from the hangup's ``variable_avmd_detect``; avmd::beep comes node-wide
too (by its subclass: one event per machine heard), as an autodialer lead a machine answered is hung
up at the beep, before an agent takes it (engine/autodialer.py). HEARTBEAT and SHUTDOWN*
are about the node. An engine that adopts the calls of a dead one follows that engine's tag too,
until they are settled (engine/adoption.py).

mod_callcenter's ``CUSTOM callcenter::info`` events pass by their subclass: the agents' ones
(``agent-status-change``, ``agent-state-change``, ``agent-offering``, ``bridge-agent-fail``)
carry no channel data at all, and every engine dialling autodialer campaigns on the node keeps
the agents' state (the one that holds a campaign's pacer lease dials for them: engine/autodialer_lease.py).
"""

from __future__ import annotations

NODE_WIDE = ("HEARTBEAT", "SHUTDOWN", "SHUTDOWN_REQUESTED", "DTMF")
SUBCLASSES = ("callcenter::info", "avmd::beep")  # node-wide CUSTOM events, by their Event-Subclass


def follow_filter(tag: str) -> str:
    """The filter that lets through the channel events of the calls the engine ``tag`` placed."""
    return f"filter variable_autocall_engine {tag}"


def engine_filters(tag: str) -> list[str]:
    """Every filter of the engine ``tag``: node-wide events, its calls' events, its originates' jobs."""
    return [
        *(f"filter Event-Name {name}" for name in NODE_WIDE),
        *(f"filter Event-Subclass {name}" for name in SUBCLASSES),
        follow_filter(tag),
        f"filter Job-Command-Arg /autocall_engine={tag}[,}}]/",
    ]


class EngineFilters:
    """What one engine's connection to a node is filtered to: its own tag ("": no filter, every
    event) and the tags of dead engines whose calls it adopted there (``followed``)."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.followed: set[str] = set()

    def commands(self) -> list[str]:
        """The filters a new connection sends, before it subscribes."""
        if not self.tag:
            return []
        return engine_filters(self.tag) + [follow_filter(tag) for tag in sorted(self.followed)]

    def follow(self, tag: str) -> str | None:
        """The filter to add now for ``tag`` (None: nothing to add)."""
        if not self.tag or tag == self.tag or tag in self.followed:
            return None
        self.followed.add(tag)
        return follow_filter(tag)

    def unfollow(self, tag: str) -> str | None:
        """The filter command that removes ``tag`` (None: it was not followed)."""
        if tag not in self.followed:
            return None
        self.followed.discard(tag)
        return f"filter delete variable_autocall_engine {tag}"
