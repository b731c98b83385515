"""Where mod_callcenter's configuration comes from: ``switch_xml_open_cfg("callcenter.conf")``.

mod_xml_curl's bindings are asked first (a POST whose parameters are the REQUEST_PARAMS event
mod_callcenter made, ``CC-Queue`` when it loads a queue); a binding's document that holds the
configuration is used, else the files' ``callcenter.conf.xml`` (switch_xml_locate).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simswitch import package_data
from simswitch.callcenter.events import FILE, template_raw_common
from simswitch.callcenter.queues import CallcenterConf, parse_conf
from simswitch.header_rules import RULES
from simswitch.xml_curl import XmlCurl, XmlCurlBinding

if TYPE_CHECKING:
    from simswitch.switch import Switch


@dataclass
class CallCenterSettings:
    """What this FreeSWITCH's mod_callcenter reads its configuration from: mod_xml_curl's bindings
    (asked first), then ``callcenter.conf.xml`` of its files (``conf``: its text; None: none)."""

    bindings: list[XmlCurlBinding] = field(default_factory=list)
    conf: str | None = None

    @classmethod
    def autocall(cls, config_url: str, env: dict[str, str]) -> CallCenterSettings:
        """freeswitch-conf's callcenter.conf.xml, and its xml_curl.conf.xml's binding with the
        globals 00_autocall_vars.xml sets: ``config_url`` (AUTOCALL_FS_CONFIG_URL) and the
        credentials ``freeswitch:<AUTOCALL_FS_CDR_SECRET>``; no URL: no binding."""
        variables = {"autocall_config_url": config_url, "autocall_cdr_secret": env.get("AUTOCALL_FS_CDR_SECRET", "")}
        bindings = XmlCurlBinding.from_xml(package_data.read_text(package_data.XML_CURL_CONF), variables)
        return cls(bindings if config_url else [], package_data.read_text(package_data.CALLCENTER_CONF))


def configuration(
    hostname: str, xml_curl: XmlCurl, settings: CallCenterSettings, params: list[tuple[str, str]] | None
) -> CallcenterConf | None:
    """A binding's document when it has the configuration, else the files'."""
    if xml_curl.bindings:
        answer = xml_curl.fetch(hostname, "configuration", "configuration", "name", "callcenter.conf", params or [])
        conf = parse_conf(answer) if answer is not None else None
        if conf is not None:
            return conf
    return parse_conf(settings.conf) if settings.conf else None


def request_params(sw: Switch, function: str, line: int, extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers of the REQUEST_PARAMS event mod_callcenter makes for switch_xml_open_cfg (it
    takes an event sequence number, as every event made does)."""
    common = dict(template_raw_common())
    ctx = {"now_us": sw.clock.now_us()}
    return [
        ("Event-Name", "REQUEST_PARAMS"),
        ("Core-UUID", sw.core_uuid),
        ("FreeSWITCH-Hostname", sw.hostname),
        ("FreeSWITCH-Switchname", sw.hostname),
        ("FreeSWITCH-IPv4", common["FreeSWITCH-IPv4"]),
        ("FreeSWITCH-IPv6", common["FreeSWITCH-IPv6"]),
        ("Event-Date-Local", RULES["Event-Date-Local"](ctx, "")),
        ("Event-Date-GMT", RULES["Event-Date-GMT"](ctx, "")),
        ("Event-Date-Timestamp", str(ctx["now_us"])),
        ("Event-Calling-File", FILE),
        ("Event-Calling-Function", function),
        ("Event-Calling-Line-Number", str(line)),
        ("Event-Sequence", str(sw.bus.sequence())),
        *extra,
    ]
