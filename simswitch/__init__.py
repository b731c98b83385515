"""autocall simswitch: an Event Socket peer that behaves like FreeSWITCH 1.10.12.

See docs/simswitch.md. The pieces: ``templates`` (captured event headers),
``calls``/``switch`` (call lifecycles, limits), ``commands`` (api),
``listener``/``server`` (the socket side), ``scenario`` (what callees do).
"""

from simswitch.json_cdr import JsonCdrSettings
from simswitch.scenario import Scenario, load_scenario
from simswitch.server import SimServer
from simswitch.switch import Limits, Switch

__all__ = ["JsonCdrSettings", "Limits", "Scenario", "SimServer", "Switch", "load_scenario"]
