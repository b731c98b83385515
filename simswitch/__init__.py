"""autocall simswitch: an Event Socket peer that behaves like FreeSWITCH 1.10.12.

See docs/simswitch.md. The pieces: ``templates`` (captured event headers),
``switch`` (the core's state and verbs), ``calls``/``legs``/``far_end``/``apps``/``hangup``
(a leg's life), ``limits``, ``commands`` (api),
``listener``/``server`` (the socket side), ``scenario`` (what callees do).
"""

from simswitch.json_cdr import JsonCdrSettings
from simswitch.limits import Limits
from simswitch.scenario import Scenario, load_scenario
from simswitch.server import SimServer
from simswitch.switch import Switch

__all__ = ["JsonCdrSettings", "Limits", "Scenario", "SimServer", "Switch", "load_scenario"]
