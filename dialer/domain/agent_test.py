"""``autocall agent-test``: the names its one call uses in mod_callcenter (docs/autodialer.md,
"Checking an agent: autocall agent-test").

The test never touches the agent autocall keeps in mod_callcenter (``<extension>@autocall``), whose
status the operator and the engines own: it pushes a twin, ``<extension>@autocall-test``, with the
same contact, logged in to a queue of its own, ``autocall-agent-test-<extension>``, and deletes it
afterwards. The engines never touch either: an agent outside the ``@autocall`` domain is not one of
autocall's (:func:`dialer.domain.agents.extension_of`), and no campaign names the queue. autocall's
``POST /freeswitch/config`` serves that queue (dialer/service/callcenter_queues.py) with a wait long
enough for a person to pick up a ringing softphone.
"""

from __future__ import annotations

from dialer.domain.agents import extension_problem

DOMAIN = "autocall-test"  # the twin's mod_callcenter domain: not CALLCENTER_DOMAIN, so no engine syncs it
QUEUE_PREFIX = "autocall-agent-test-"
MAX_WAIT_S = 60  # the test queue's max-wait-time: the softphone rings at most RING_MAX_S of it
RING_S = 30  # how long the softphone rings by default (the twin's leg_timeout)
RING_MAX_S = MAX_WAIT_S - 5  # a ringing agent holds the lead past the max wait (batch5 fact 7): end before it


def agent_test_queue(extension: str) -> str:
    """The queue of the test of ``extension``'s softphone."""
    return f"{QUEUE_PREFIX}{extension}"


def agent_test_name(extension: str) -> str:
    """The twin agent the test logs in (mod_callcenter's name)."""
    return f"{extension}@{DOMAIN}"


def is_agent_test_queue(queue: str) -> bool:
    """``queue`` is the queue of an agent test (``autocall-agent-test-<extension>``)."""
    return queue.startswith(QUEUE_PREFIX) and extension_problem(queue[len(QUEUE_PREFIX) :]) is None
