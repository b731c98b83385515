"""mod_callcenter, simulated: queues, agents and tiers (``callcenter_config``), the ``callcenter``
dialplan application for members, the agent dispatch, and the ``CUSTOM callcenter::info`` events,
as FreeSWITCH 1.10.12's mod_callcenter.c does them (docs/simswitch.md, "mod_callcenter").

``core`` holds the module's state and verbs; the modules beside it do one job each and are wired
in here: ``config_api`` (the api), ``member`` (the application), ``dispatch`` (which agent takes
which member), ``agent_call`` (one offer), ``events``, ``queues``, ``listing``, ``model``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simswitch.callcenter import config_api, dispatch, member
from simswitch.callcenter.config_source import CallCenterSettings
from simswitch.callcenter.core import CallCenter

if TYPE_CHECKING:
    from simswitch.switch import Switch

__all__ = ["CallCenter", "CallCenterSettings", "load"]


def load(sw: Switch, settings: CallCenterSettings | None) -> CallCenter:
    """mod_callcenter's load: its configuration read (mod_xml_curl, then the files), its parts wired."""
    cc = CallCenter(sw, settings or CallCenterSettings())
    cc.dispatch = lambda: dispatch.run(cc)
    cc.app = lambda ch, data: member.run(cc, ch, data)
    cc.api = lambda arg, reply: config_api.execute(cc, arg, reply)
    cc.load_config()
    return cc
