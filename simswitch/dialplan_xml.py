"""FreeSWITCH XML dialplan files, as far as the simulator runs them.

``load_dialplan_xml`` reads an ``<include>`` (or ``<document>``/``<section>``)
of ``<context name>`` / ``<extension>`` / ``<condition>`` / ``<action
application data>`` — the shape of ``freeswitch-conf/dialplan/autocall.xml``
— into ``{context: [DialplanApp, ...]}``, the scenario's ``dialplan`` format.

Simplification: the simulator's dialplan is one list of apps per context, so
each context keeps only its **first extension** (the ``<action>`` s of its
conditions, in order), whatever extension number the originate names.
A condition on a channel variable (``field="${name}"``) or on
``destination_number`` is kept as a guard on its apps, decided when the call
is routed (``route``): its ``<action>`` s run if the field matches
``expression`` (``$1``.. take its groups), its ``<anti-action>`` s if not —
as mod_dialplan_xml does. When the extension's first condition is on
``destination_number`` and fails, the extension does not match and the call
finds no route (NO_ROUTE_DESTINATION), as ``nosuchext XML autocall`` does on
a real switch. Any other condition (no field) is taken as matched. ``break``
is not otherwise interpreted (every condition is evaluated), nor are
``continue``, ``inline`` and pre-processing. The shipped file has one
extension, and its variable conditions are ``break="never"``, so this is
exact for it.

``expand_variables`` is FreeSWITCH's run-time ``${name}`` expansion of an
application's data (``switch_channel_expand_variables``): a variable the
channel does not have expands to the empty string.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape as _escape

from pydantic import BaseModel, ConfigDict, field_validator

from simswitch import package_data

AUTOCALL_CONTEXT = "autocall"
# freeswitch-conf/dialplan/autocall.xml, the file operators install in FreeSWITCH's
# conf/dialplan/, as the package ships it (package_data.py): the simulator and a real
# FreeSWITCH run the very same file, from a checkout or a wheel.
AUTOCALL_DIALPLAN = package_data.AUTOCALL_DIALPLAN
AUTODIALER_CONTEXT = "autodialer"
AUTODIALER_DIALPLAN = package_data.AUTODIALER_DIALPLAN  # freeswitch-conf/dialplan/autodialer.xml
VAR = re.compile(r"\$\{([^${}]+)\}")
DESTINATION = "destination_number"
NO_ROUTE = "@no_route"  # not an application: the dialplan has no extension for the call


class DialplanApp(BaseModel):
    """One application of a context: a scenario's ``dialplan:`` entry, or an XML ``<action>``."""

    model_config = ConfigDict(extra="forbid")
    app: str
    data: str = ""
    # Optional guard, an XML dialplan <condition> on a channel variable or on
    # destination_number: the app runs only if ``field`` (``${name}``, expanded
    # when the call is routed, or ``destination_number``) matches ``expression``;
    # with ``anti`` (an <anti-action>) only if it does not. ``$1``..``$9`` in
    # ``data`` take the expression's groups. A failing destination_number guard
    # on a context's first app means the extension does not match (no route).
    field: str = ""
    expression: str = ""
    anti: bool = False

    @field_validator("expression")
    @classmethod
    def _regex_compiles(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"bad condition expression {v!r}: {exc}") from None
        return v

    def __setattr__(self, name: str, value: object) -> None:
        super().__setattr__(name, value)
        _EDITS[0] += 1  # an app changed in place: every cached routing is stale (RoutePlan)


def load_dialplan_xml(path: str | Path) -> dict[str, list[DialplanApp]]:
    """``{context name: apps of its first extension}`` from a dialplan XML file."""
    return parse_dialplan_xml(Path(path).read_bytes(), str(path))


def parse_dialplan_xml(text: bytes, path: str) -> dict[str, list[DialplanApp]]:
    """``load_dialplan_xml`` of a file's content (``path`` names it in errors)."""
    root = ET.fromstring(text)
    contexts = [root] if root.tag == "context" else root.iter("context")
    out: dict[str, list[DialplanApp]] = {}
    for context in contexts:
        name = context.get("name")
        if not name:
            raise ValueError(f"{path}: <context> without a name")
        extension = context.find("extension")
        if extension is None or name in out:
            continue
        out[name] = [app for condition in extension.iter("condition") for app in _condition_apps(condition)]
    return out


class Extension(BaseModel):
    """One ``<extension>`` of a context, for ``execute_extension`` and ``transfer``: the
    destination_number expression of its first condition ("": none) and its applications."""

    model_config = ConfigDict(extra="forbid")
    name: str = ""
    destination: str = ""
    apps: list[DialplanApp] = []

    def matches(self, exten: str) -> bool:
        return not self.destination or re.search(self.destination, exten) is not None


def load_extensions(path: str | Path) -> dict[str, list[Extension]]:
    """``parse_extensions`` of a dialplan file."""
    return parse_extensions(Path(path).read_bytes(), str(path))


def parse_extensions(text: bytes, path: str) -> dict[str, list[Extension]]:
    """Every extension of every context of a dialplan file, in order."""
    root = ET.fromstring(text)
    contexts = [root] if root.tag == "context" else root.iter("context")
    out: dict[str, list[Extension]] = {}
    for context in contexts:
        name = context.get("name")
        if not name:
            raise ValueError(f"{path}: <context> without a name")
        if name in out:
            continue
        out[name] = []
        for extension in context.findall("extension"):
            first = extension.find("condition")
            destination = ""
            if first is not None and first.get("field") == DESTINATION:
                destination = first.get("expression", "")
            apps = [app for condition in extension.iter("condition") for app in _condition_apps(condition)]
            out[name].append(Extension(name=extension.get("name", ""), destination=destination, apps=apps))
    return out


def _condition_apps(condition: ET.Element) -> list[DialplanApp]:
    field = condition.get("field", "")
    guarded = field.startswith("${") or field == DESTINATION
    guard_field, expression = (field, condition.get("expression", "")) if guarded else ("", "")
    apps = [
        DialplanApp(app=a.get("application", ""), data=a.get("data", ""), field=guard_field, expression=expression)
        for a in condition.findall("action")
        if a.get("application")
    ]
    if guarded:  # a condition the simulator takes as matched never runs its anti-actions
        apps += [
            DialplanApp(
                app=a.get("application", ""),
                data=a.get("data", ""),
                anti=True,
                field=guard_field,
                expression=expression,
            )
            for a in condition.findall("anti-action")
            if a.get("application")
        ]
    return apps


@lru_cache(maxsize=1)
def _autodialer() -> tuple[tuple[DialplanApp, ...], tuple[Extension, ...]]:
    text = package_data.read_bytes(AUTODIALER_DIALPLAN)
    try:
        extensions = parse_extensions(text, str(AUTODIALER_DIALPLAN)).get(AUTODIALER_CONTEXT)
        apps = parse_dialplan_xml(text, str(AUTODIALER_DIALPLAN)).get(AUTODIALER_CONTEXT)
    except (ET.ParseError, ValueError) as exc:
        raise package_data.PackageDataError(f"the packaged autodialer dialplan is broken: {exc}") from exc
    if apps is None or extensions is None:
        raise package_data.PackageDataError(f'{AUTODIALER_DIALPLAN} has no <context name="{AUTODIALER_CONTEXT}">')
    return tuple(apps), tuple(extensions)


def autodialer_context() -> tuple[list[DialplanApp], list[Extension]]:
    """The ``autodialer`` context the package ships (freeswitch-conf/dialplan/autodialer.xml): its
    first extension's applications, and all its extensions (execute_extension runs the others)."""
    apps, extensions = _autodialer()
    return [a.model_copy() for a in apps], [e.model_copy(deep=True) for e in extensions]


@lru_cache(maxsize=1)
def _autocall_apps() -> tuple[DialplanApp, ...]:
    text = package_data.read_bytes(AUTOCALL_DIALPLAN)
    try:
        apps = parse_dialplan_xml(text, str(AUTOCALL_DIALPLAN)).get(AUTOCALL_CONTEXT)
    except (ET.ParseError, ValueError) as exc:
        raise package_data.PackageDataError(f"the packaged autocall dialplan is broken: {exc}") from exc
    if apps is None:
        raise package_data.PackageDataError(f'{AUTOCALL_DIALPLAN} has no <context name="{AUTOCALL_CONTEXT}">')
    return tuple(apps)


def autocall_context() -> list[DialplanApp]:
    """The ``autocall`` context the package ships (freeswitch-conf's file). Raises
    PackageDataError when it is not there or not a dialplan: 'XML autocall' calls
    must never park quietly because an install lost the file."""
    return [app.model_copy() for app in _autocall_apps()]


_EDITS = [0]  # edits of any DialplanApp in place (its __setattr__)


class RoutePlan:
    """A context's routing, decided once per set of values of the fields its conditions test
    (``destination_number``, ``${autocall_avmd}``, ...): every call with the same values runs
    the same applications, so ``route`` runs once per such shape, not once per call."""

    __slots__ = ("apps", "edits", "fields", "ids", "routes")

    def __init__(self, apps: list[DialplanApp]) -> None:
        self.apps = apps
        self.ids = tuple(map(id, apps))
        self.edits = _EDITS[0]
        # what each tested field reads: destination_number, one ${variable} (the usual), or a text
        self.fields: tuple[tuple[str, str | None], ...] = tuple(
            (f, m[1] if (m := VAR.fullmatch(f)) else None) for f in dict.fromkeys(a.field for a in apps if a.field)
        )
        self.routes: dict[tuple[str, ...], tuple[tuple[str, str], ...]] = {}

    def current(self, apps: list[DialplanApp]) -> bool:
        """Still the plan of ``apps``: the same list, holding the same apps, none edited since."""
        return self.apps is apps and self.edits == _EDITS[0] and self.ids == tuple(map(id, apps))


_PLANS: dict[int, RoutePlan] = {}  # id(apps) -> its plan (which holds the list: the id stays its own)


def route_cached(apps: list[DialplanApp], lookup: Callable[[str], str | None]) -> list[tuple[str, str]]:
    """``route(apps, lookup)``, from the context's RoutePlan."""
    plan = _PLANS.get(id(apps))
    if plan is None or not plan.current(apps):
        if len(_PLANS) >= 256:  # contexts replaced over and over (a test's reloads): start afresh
            _PLANS.clear()
        plan = _PLANS[id(apps)] = RoutePlan(apps)
    shape = tuple(
        (lookup(DESTINATION) or "")
        if f == DESTINATION
        else (lookup(var) or "")
        if var is not None
        else expand_variables(f, lookup)
        for f, var in plan.fields
    )
    routes = plan.routes.get(shape)
    if routes is None:
        if len(plan.routes) >= 1024:  # shapes come from originates' variables: keep it bounded
            plan.routes.clear()
        routes = plan.routes[shape] = tuple(route(apps, lookup))
    return list(routes)


def route(apps: list[DialplanApp], lookup: Callable[[str], str | None]) -> list[tuple[str, str]]:
    """The ``(app, data)`` s a call runs: each guarded app's condition decided
    on the channel's variables, like mod_dialplan_xml at routing time."""
    out = []
    for i, app in enumerate(apps):
        if not app.field:
            out.append((app.app, app.data))
            continue
        value = lookup(DESTINATION) or "" if app.field == DESTINATION else expand_variables(app.field, lookup)
        match = re.search(app.expression, value)
        if i == 0 and app.field == DESTINATION and not match and not app.anti:
            return [(NO_ROUTE, "")]  # the extension's first condition fails: no extension matches
        if bool(match) == app.anti:
            continue
        # mod_dialplan_xml substitutes an action's data when the expression has a group
        groups = match if match is not None and "(" in app.expression else None
        out.append((app.app, _substitute(app.data, groups) if groups is not None else app.data))
    return out


def _substitute(data: str, match: re.Match[str]) -> str:
    """switch_perform_substitution: ``$1``..``$9`` become the expression's groups."""

    def group(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return (match.group(n) or "") if n <= (match.re.groups or 0) else ""

    return re.sub(r"\$(\d)", group, data)


def expand_variables(data: str, lookup: Callable[[str], str | None]) -> str:
    """Replace each ``${name}`` by ``lookup(name)``; unknown names give ""."""
    if "${" not in data:
        return data
    return VAR.sub(lambda m: lookup(m.group(1)) or "", data)


def escape(text: str) -> str:
    return _escape(text, {'"': "&quot;"})


def context_xml(name: str, apps: list[DialplanApp]) -> str:
    """The context as ``xml_locate dialplan context name <name>`` prints it: one extension
    whose conditions carry the apps (the simulator keeps no more of a dialplan than that)."""
    conditions = []
    for app in apps:
        tag = "anti-action" if app.anti else "action"
        field = app.field or "destination_number"
        expression = app.expression or f"^{name}$"
        conditions.append(
            f'<condition field="{escape(field)}" expression="{escape(expression)}">'
            f'<{tag} application="{escape(app.app)}" data="{escape(app.data)}"/></condition>'
        )
    body = "".join(conditions)
    return f'<context name="{escape(name)}"><extension name="{escape(name)}">{body}</extension></context>'
