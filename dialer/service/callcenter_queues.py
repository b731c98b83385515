"""The configuration of autodialer campaigns' mod_callcenter queues, served to mod_xml_curl.

mod_callcenter has no command that creates a queue: a queue it does not know is loaded the moment
it is first named (``get_queue`` -> ``load_queue``), from ``callcenter.conf`` asked of the XML
bindings with a ``CC-Queue`` parameter. mod_xml_curl POSTs that question as a form:
``hostname``, ``section=configuration``, ``tag_name=configuration``, ``key_name=name``,
``key_value=callcenter.conf``, then the request's headers (``Event-Name=REQUEST_PARAMS``,
``Core-UUID``, … ``CC-Queue=<queue>``) (mod_xml_curl.c ``xml_url_fetch``, FreeSWITCH 1.10.12).

For the queue of an autodialer campaign (its ``call_center_queue_uuid``) the answer is a
``callcenter.conf`` holding that one queue (and for ``autocall agent-test``'s queue,
``autocall-agent-test-<extension>``, the same with a minute's wait: dialer/domain/agent_test.py);
for anything else (another file, the module's own load without ``CC-Queue``, an operator's
queue) it is the "not found" result, and FreeSWITCH falls back to its files
(``switch_xml_locate``). The credentials are mod_json_cdr's: HTTP Basic with ``AUTOCALL_CDR_SECRET``.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs
from xml.etree import ElementTree as ET

from dialer.domain import agent_test
from dialer.domain.agent_test import is_agent_test_queue
from dialer.domain.models import Campaign
from dialer.esl.callcenter import STRATEGIES
from dialer.service.context import Services
from dialer.service.errors import ServiceError
from dialer.service.switch_cdrs import BadCredentials, authorized

log = logging.getLogger("autocall.freeswitch")

NOT_FOUND = (
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
    '<document type="freeswitch/xml">\n'
    '  <section name="result">\n'
    '    <result status="not found"/>\n'
    "  </section>\n"
    "</document>\n"
)
DEFAULT_STRATEGY = "longest-idle-agent"  # mod_callcenter's own default (queue_set_config)
# Abandoned members are kept this long for a resume autocall never allows (abandoned-resume-allowed
# false): just long enough to show in `callcenter_config queue list members`.
DISCARD_ABANDONED_AFTER = 10


class ConfigOff(ServiceError):
    status = 403


def queue_params(campaign: Campaign, moh: str, max_wait: int) -> list[tuple[str, str]]:
    """The ``<param>``s of the campaign's queue (queue_set_config's names)."""
    strategy = campaign.call_center_queue_strategy or DEFAULT_STRATEGY
    if strategy not in STRATEGIES:  # stored before the API checked it: mod_callcenter would ignore it silently
        log.warning(
            "campaign's call_center_queue_strategy is not mod_callcenter's: serving the default",
            extra={"campaign": campaign.campaign_uuid, "strategy": strategy, "default": DEFAULT_STRATEGY},
        )
        strategy = DEFAULT_STRATEGY
    return _params(strategy, moh, max_wait)


def _params(strategy: str, moh: str, max_wait: int) -> list[tuple[str, str]]:
    params = [("strategy", strategy)]
    if moh:  # none: the lead waits in silence (callcenter_function collects digits instead)
        params.append(("moh-sound", moh))
    return [
        *params,
        # The lead is abandoned (cc_cancel_reason TIMEOUT) when no agent took it in max_wait seconds...
        ("max-wait-time", str(max_wait)),
        # ...and sooner (NO_AGENT_TIMEOUT) once the queue has had no agent logged in for that long: with
        # no join grace (time-reached 0), one that joins a queue empty for max_wait leaves at once.
        ("max-wait-time-with-no-agent", str(max_wait)),
        ("max-wait-time-with-no-agent-time-reached", "0"),
        ("tier-rules-apply", "false"),
        ("discard-abandoned-after", str(DISCARD_ABANDONED_AFTER)),
        ("abandoned-resume-allowed", "false"),
    ]


def queue_document(queue: str, params: list[tuple[str, str]]) -> str:
    """A FreeSWITCH XML document with ``callcenter.conf`` holding the one queue."""
    document = ET.Element("document", type="freeswitch/xml")
    section = ET.SubElement(document, "section", name="configuration")
    configuration = ET.SubElement(
        section, "configuration", name="callcenter.conf", description="autocall: one autodialer queue"
    )
    element = ET.SubElement(ET.SubElement(configuration, "queues"), "queue", name=queue)
    for name, value in params:
        ET.SubElement(element, "param", name=name, value=value)
    ET.indent(document)
    body = ET.tostring(document, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n{body}\n'


def asked_queue(raw: bytes) -> str:
    """The queue mod_callcenter asks for ("": the question is not about one of callcenter.conf's queues)."""
    form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)

    def first(name: str) -> str:
        return (form.get(name) or [""])[0]

    if first("section") != "configuration" or first("key_value") != "callcenter.conf":
        return ""
    return first("CC-Queue")


def answer(svc: Services, raw: bytes, authorization: str) -> str:
    """The XML document for one mod_xml_curl question (``NOT_FOUND`` for anything not ours)."""
    if not svc.cdr_secret:
        raise ConfigOff("FreeSWITCH's configuration is not served here: AUTOCALL_CDR_SECRET is not set")
    if not authorized(svc.cdr_secret, authorization):
        raise BadCredentials(
            "wrong or missing credentials (mod_xml_curl's credentials: freeswitch:<AUTOCALL_CDR_SECRET>)"
        )
    queue = asked_queue(raw)
    campaign = svc.store.campaigns.by_queue(queue) if queue else None
    if campaign is None and is_agent_test_queue(queue):  # autocall agent-test's one call (dialer/agenttest.py)
        log.info("serving an agent test's queue to FreeSWITCH", extra={"queue": queue})
        return queue_document(queue, _params(DEFAULT_STRATEGY, svc.autodialer_moh, agent_test.MAX_WAIT_S))
    if campaign is None:
        return NOT_FOUND
    log.info(
        "serving an autodialer queue's configuration to FreeSWITCH",
        extra={"campaign": campaign.campaign_uuid, "queue": queue},
    )
    return queue_document(queue, queue_params(campaign, svc.autodialer_moh, svc.autodialer_max_wait))
