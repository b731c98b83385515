"""FreeSWITCH XML dialplan files, as far as the simulator runs them.

``load_dialplan_xml`` reads an ``<include>`` (or ``<document>``/``<section>``)
of ``<context name>`` / ``<extension>`` / ``<condition>`` / ``<action
application data>`` — the shape of ``freeswitch-conf/dialplan/autocall.xml``
— into ``{context: [DialplanApp, ...]}``, the scenario's ``dialplan`` format.

Simplification: the simulator's dialplan is one list of apps per context, so
each context keeps only its **first extension** (all the ``<action>`` s of its
conditions, in order), whatever extension number the originate names.
``anti-action``, ``continue``, ``inline`` and pre-processing are not
interpreted. The shipped file has one extension per context, so this is
exact for it.

``expand_variables`` is FreeSWITCH's run-time ``${name}`` expansion of an
application's data (``switch_channel_expand_variables``): a variable the
channel does not have expands to the empty string.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from dialer.simswitch.scenario import DialplanApp

log = logging.getLogger(__name__)

AUTOCALL_CONTEXT = "autocall"
# The file operators install in FreeSWITCH's conf/dialplan/. It is read from
# the source tree (the package is used from a checkout: pip install -e .), so
# the simulator and a real FreeSWITCH run the very same file.
AUTOCALL_DIALPLAN = Path(__file__).resolve().parents[2] / "freeswitch-conf" / "dialplan" / "autocall.xml"

VAR = re.compile(r"\$\{([^${}]+)\}")


def load_dialplan_xml(path: str | Path) -> dict[str, list[DialplanApp]]:
    """``{context name: apps of its first extension}`` from a dialplan XML file."""
    root = ET.parse(path).getroot()
    contexts = [root] if root.tag == "context" else root.iter("context")
    out: dict[str, list[DialplanApp]] = {}
    for context in contexts:
        name = context.get("name")
        if not name:
            raise ValueError(f"{path}: <context> without a name")
        extension = context.find("extension")
        if extension is None or name in out:
            continue
        out[name] = [
            DialplanApp(app=action.get("application", ""), data=action.get("data", ""))
            for condition in extension.iter("condition")
            for action in condition.findall("action")
            if action.get("application")
        ]
    return out


@lru_cache(maxsize=1)
def _autocall_apps() -> tuple[DialplanApp, ...] | None:
    try:
        contexts = load_dialplan_xml(AUTOCALL_DIALPLAN)
    except (OSError, ET.ParseError) as exc:
        log.warning("no autocall dialplan (%s): 'XML autocall' calls will park", exc)
        return None
    apps = contexts.get(AUTOCALL_CONTEXT)
    return tuple(apps) if apps is not None else None


def autocall_context() -> list[DialplanApp] | None:
    """The ``autocall`` context of the repository's freeswitch-conf file
    (None if the file is not there, e.g. a non-editable install)."""
    apps = _autocall_apps()
    return [app.model_copy() for app in apps] if apps is not None else None


def expand_variables(data: str, lookup: Callable[[str], str | None]) -> str:
    """Replace each ``${name}`` by ``lookup(name)``; unknown names give ""."""
    if "${" not in data:
        return data
    return VAR.sub(lambda m: lookup(m.group(1)) or "", data)
