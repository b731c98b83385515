"""freeswitch-conf/: the drop-in FreeSWITCH 1.10 configuration, checked statically.

No FreeSWITCH runs here, so these tests check what can be checked without one
(freeswitch-conf/README.md lists what cannot): every file parses as XML and
survives FreeSWITCH's line-based preprocessor; a small model of that
preprocessor (set, exec-set, env-set, $${name}) resolves every global
variable the files use; every ${name} of the dialplan is the engine's, a
documented optional one or FreeSWITCH's; no password or stock password is
written down; the gateways match autocall's networks; and the simulator runs
the dialplan, its conditions included.
"""

from __future__ import annotations

import ast
import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from dialer.config import Settings
from dialer.domain.enums import Network
from dialer.service.carriers import GATEWAY
from simswitch import Scenario
from simswitch.dialplan_xml import AUTOCALL_DIALPLAN, load_dialplan_xml, parse_dialplan_xml, route
from tests.fidelity import assert_span
from tests.test_simswitch_dialplan import answering, engine_originate, executed, login, write_wav

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "freeswitch-conf"
VARS_TEXT = (CONF / "autoload_configs" / "00_autocall_vars.xml").read_text()
README = (CONF / "README.md").read_text()
VARS = CONF / "autoload_configs" / "00_autocall_vars.xml"
DIALPLAN = CONF / "dialplan" / "autocall.xml"
AUTODIALER = CONF / "dialplan" / "autodialer.xml"
FILES = sorted(CONF.rglob("*.xml"))
# Globals the stock configuration or the core defines before any file is read
# (conf/vanilla/vars.xml; core_uuid and local_ip_v4 are computed at start).
STOCK_GLOBALS = {"domain", "local_ip_v4", "internal_sip_port", "core_uuid"}
# Channel variables the dialplan may read that the engine does not set on every
# call: optional switches documented in freeswitch-conf/README.md.
OPTIONAL_CHANNEL_VARS = {"autocall_avmd", "autocall_dtmf_ms"}
# What autodialer.xml reads besides: the autodialer engine's variables (docs/autodialer.md) and the
# result mod_callcenter leaves on the lead (tests/captures/batch5), documented in the README's section 8.
AUTODIALER_CHANNEL_VARS = {"autocall_queue", "autocall_abandon_file", "cc_cause"}
PREPROCESS = re.compile(r'<X-PRE-PROCESS\s+cmd="([^"]*)"\s+data="([^"]*)"\s*/>', re.IGNORECASE)
GLOBAL_REF = re.compile(r"\$\$\{([^}]*)\}")
CHANNEL_REF = re.compile(r"(?<!\$)\$\{([^${}]+)\}")


def rel(path: Path) -> str:
    return str(path.relative_to(CONF))


def comments(text: str) -> list[str]:
    return re.findall(r"<!--(.*?)-->", text, re.DOTALL)


def preprocess(env: dict[str, str]) -> tuple[dict[str, str], dict[Path, str]]:
    """FreeSWITCH's preprocessor as far as these files use it (src/switch_xml.c):
    line by line, $${name} expanded first (undefined: nothing), then set /
    exec-set (the shipped command prints a new UUID) / env-set ($NAME, only if
    the environment has it). The vars file sorts first in autoload_configs/*.xml,
    so its globals are set before any other file is read."""
    globals_: dict[str, str] = {
        "domain": "10.0.0.1",
        "local_ip_v4": "10.0.0.1",
        "internal_sip_port": "5060",
        "core_uuid": str(uuid.uuid4()),
    }
    out: dict[Path, str] = {}
    for path in [VARS, *(f for f in FILES if f != VARS)]:
        lines = []
        for line in path.read_text().splitlines():
            line = GLOBAL_REF.sub(lambda m: globals_.get(m.group(1), ""), line)
            directive = PREPROCESS.search(line)
            if directive:
                cmd, data = directive.groups()
                name, _, value = data.partition("=")
                if cmd == "set":
                    globals_[name] = value
                elif cmd == "exec-set":
                    assert value == "cat /proc/sys/kernel/random/uuid", line
                    globals_[name] = str(uuid.uuid4())
                elif cmd == "env-set":
                    assert value.startswith("$"), line
                    if value[1:] in env:
                        globals_[name] = env[value[1:]]
                continue
            lines.append(line)
        out[path] = "\n".join(lines)
    return globals_, out


def params(tree: ET.Element) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in tree.iter("param")}


# -- the files as XML and as preprocessor input -----------------------------------------------


def test_the_files_mirror_freeswitchs_conf_directory():
    assert FILES, "no configuration files"
    for path in FILES:
        assert rel(path).split("/")[0] in {"autoload_configs", "dialplan", "directory", "sip_profiles"}, path
    # The simulator runs this very dialplan (its packaged copy: tests/test_simswitch_package.py).
    assert AUTOCALL_DIALPLAN.read_bytes() == DIALPLAN.read_bytes()


@pytest.mark.parametrize("path", FILES, ids=rel)
def test_every_file_is_well_formed_xml(path):
    root = ET.parse(path).getroot()
    assert root.tag in {"include", "configuration"}, path


@pytest.mark.parametrize("path", FILES, ids=rel)
def test_every_file_survives_the_preprocessor(path):
    text = path.read_text()
    # A directive in a comment still runs; "<!--#" starts a preprocessor command.
    for comment in comments(text):
        assert "x-pre-process" not in comment.lower(), path
        assert "$${" not in comment, path  # expanded even in comments: keep them literal
    assert "<!--#" not in text
    for line in text.splitlines():
        # Lines holding <include> or </include> are dropped whole, and so are "<?" lines.
        if "<include>" in line or "</include>" in line:
            assert line.strip() in {"<include>", "</include>"}, line
        assert "<?" not in line, line
        assert len(PREPROCESS.findall(line)) == len(re.findall("x-pre-process", line, re.IGNORECASE)) <= 1, line
    if path != VARS:
        assert not PREPROCESS.search(text), f"{path}: directives belong in 00_autocall_vars.xml"


def test_the_vars_file_sorts_before_every_stock_configuration_file():
    # freeswitch.xml includes autoload_configs/*.xml in glob (sorted) order, and
    # sofia.conf.xml (the SIP profiles) sits among them.
    stock = ["acl.conf.xml", "event_socket.conf.xml", "modules.conf.xml", "sofia.conf.xml", "switch.conf.xml"]
    assert sorted([VARS.name, *stock])[0] == VARS.name


def test_the_vars_file_only_sets_reads_the_environment_and_draws_random_secrets():
    directives = PREPROCESS.findall(VARS.read_text())
    assert directives
    seen: dict[str, list[str]] = {}
    for cmd, data in directives:
        assert cmd in {"set", "exec-set", "env-set"}, cmd
        name, _, value = data.partition("=")
        assert re.fullmatch(r"autocall_[a-z0-9_]+", name), name
        if cmd == "env-set":
            assert re.fullmatch(r"\$AUTOCALL_FS_[A-Z0-9_]+", value), value  # env-set takes $NAME, no braces
            assert value[1:].lower() == "autocall_fs_" + name.removeprefix("autocall_"), (name, value)
        seen.setdefault(name, []).append(cmd)
    for name, cmds in seen.items():
        if name.endswith(("_password", "_secret")):
            # Never written down: a random value first, the environment's over it.
            assert cmds == ["exec-set", "env-set"], name
        else:
            assert cmds in (["set", "env-set"], ["env-set"]), name


# -- variables --------------------------------------------------------------------------------


def test_every_global_variable_used_is_defined():
    defined = {data.partition("=")[0] for _, data in PREPROCESS.findall(VARS.read_text())}
    used = {name for path in FILES for name in GLOBAL_REF.findall(path.read_text())}
    assert used - defined <= STOCK_GLOBALS, used - defined - STOCK_GLOBALS
    # Every autocall global is read somewhere (autocall_avmd by the dialplan, as a channel variable's fallback).
    dialplan = DIALPLAN.read_text()
    assert {n for n in defined if n not in used and f"${{{n}}}" not in dialplan} == set()


@pytest.mark.parametrize(
    "env", [{}, {"AUTOCALL_FS_ESL_PASSWORD": "s3cret", "AUTOCALL_FS_ESL_ACL": "10.0.0.5/32"}], ids=["no-env", "env"]
)
def test_the_preprocessed_configuration_has_a_value_everywhere(env):
    _, texts = preprocess(env)
    for path, text in texts.items():
        root = ET.fromstring(text)
        for element in root.iter():
            for attr, value in element.attrib.items():
                assert value.strip() or (element.tag, attr) == ("action", "data"), (rel(path), element.tag, attr)
    esl = params(ET.fromstring(texts[CONF / "autoload_configs" / "event_socket.conf.xml"]))
    assert esl["listen-ip"] == "127.0.0.1"
    assert esl["listen-port"] == "8021"
    if env:
        assert esl["password"] == "s3cret"
        assert esl["apply-inbound-acl"] == "10.0.0.5/32"
    else:
        uuid.UUID(esl["password"])  # random, never empty (empty would mean the stock default)
        assert esl["apply-inbound-acl"] == "127.0.0.1/32"


def test_every_channel_variable_the_dialplans_read_is_set_by_the_engine_or_documented():
    engine = engine_variables()
    assert engine == {"autocall_campaign", "autocall_lead", "autocall_call", "autocall_file"}
    for path in (CONF / "dialplan").glob("*.xml"):
        allowed = engine | OPTIONAL_CHANNEL_VARS | (AUTODIALER_CHANNEL_VARS if path == AUTODIALER else set())
        used = set(CHANNEL_REF.findall(path.read_text()))
        assert used <= allowed, (path, used - allowed)
    assert "${autocall_file}" in DIALPLAN.read_text()
    for name in OPTIONAL_CHANNEL_VARS | AUTODIALER_CHANNEL_VARS:
        assert f"`{name}`" in README, name


def engine_variables() -> set[str]:
    """The keys of the ``variables`` dict of Dialer._originate (dialer/engine/dialing.py)."""
    tree = ast.parse((ROOT / "dialer" / "engine" / "dialing.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "_originate":
            for stmt in ast.walk(node):
                if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Dict):
                    if any(isinstance(t, ast.Name) and t.id == "variables" for t in stmt.targets):
                        return {k.value for k in stmt.value.keys if isinstance(k, ast.Constant)}
    raise AssertionError("Dialer._originate has no variables = {...}")


# -- no passwords ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*FILES, CONF / "README.md"], ids=rel)
def test_no_file_holds_the_stock_esl_password(path):
    assert "cluecon" not in path.read_text().lower()


def test_every_password_comes_from_a_variable():
    for path in FILES:
        root = ET.parse(path).getroot()
        for param in root.iter("param"):
            if "password" in (param.get("name") or ""):
                assert re.fullmatch(r"\$\$\{[a-z_]+\}", param.get("value", "")), (rel(path), param.attrib)


def test_every_password_variable_has_a_random_value_before_the_environment_is_read():
    """An empty password lets anyone in (sofia_reg_parse_auth), and a variable FreeSWITCH sets
    only after reading its configuration (core_uuid) is empty while it is read: every password
    variable is drawn at random by exec-set first, so it is never empty."""
    drawn = set(re.findall(r'cmd="exec-set" data="([a-z_]+)=cat /proc/sys/kernel/random/uuid"', VARS_TEXT))
    for path in FILES:
        root = ET.parse(path).getroot()
        for param in root.iter("param"):
            if "password" in (param.get("name") or ""):
                name = param.get("value", "")[3:-1]
                assert name in drawn, (rel(path), name)


# -- the Event Socket, limits, modules ----------------------------------------------------------


def test_the_event_socket_is_loopback_only_with_an_acl_by_default():
    esl = ET.parse(CONF / "autoload_configs" / "event_socket.conf.xml").getroot()
    assert esl.get("name") == "event_socket.conf"
    values = params(esl)
    assert set(values) >= {"listen-ip", "listen-port", "password", "apply-inbound-acl"}
    globals_, _ = preprocess({})
    assert globals_["autocall_esl_listen_ip"] == "127.0.0.1"
    assert globals_["autocall_esl_acl"] == "127.0.0.1/32"


def switch_limits() -> dict[str, int]:
    root = ET.parse(CONF / "autoload_configs" / "switch.conf.xml").getroot()
    assert root.get("name") == "switch.conf"
    values = params(root)
    return {k: int(values[k]) for k in ("max-sessions", "sessions-per-second", "rtp-start-port", "rtp-end-port")}


def test_switch_conf_limits_fit_autocalls_pacing():
    limits = switch_limits()
    assert limits["sessions-per-second"] > 30  # above the stock value autocall assumes without a HEARTBEAT
    # Little's law with the README's 35 s per attempt at autocall's 85 % of the rate.
    assert limits["max-sessions"] >= 0.85 * limits["sessions-per-second"] * 35
    assert (limits["rtp-end-port"] - limits["rtp-start-port"]) // 2 >= limits["max-sessions"]
    for value in ("60", "2000", "85 %"):
        assert value in README


def test_the_safety_hangup_stays_below_autocalls_own_guard():
    data = next(a.data for a in load_dialplan_xml(DIALPLAN)["autocall"] if a.app == "sched_hangup")
    seconds = int(re.fullmatch(r"\+(\d+) ALLOTTED_TIMEOUT", data).group(1))
    assert seconds < Settings.model_fields["max_call_seconds"].default


def test_the_modules_autocall_needs_are_loaded_after_the_stock_modules_xml_curl_last():
    root = ET.parse(CONF / "autoload_configs" / "post_load_modules.conf.xml").getroot()
    assert root.get("name") == "post_load_modules.conf"
    # mod_xml_curl last: nothing FreeSWITCH reads while it starts depends on autocall
    assert [m.get("module") for m in root.iter("load")] == [
        "mod_avmd",
        "mod_json_cdr",
        "mod_callcenter",
        "mod_xml_curl",
    ]


def test_json_cdr_posts_every_leg_to_autocall_queued_with_the_shared_secret():
    settings = params(ET.parse(CONF / "autoload_configs" / "json_cdr.conf.xml").getroot())
    assert settings["url"] == "$${autocall_cdr_url}"
    assert settings["cred"] == "freeswitch:$${autocall_cdr_secret}" and settings["auth-scheme"] == "basic"
    assert settings["encode"] == "false"  # the body is the JSON itself (application/json)
    assert int(settings["queue-capacity"]) > 0  # never delays CHANNEL_HANGUP_COMPLETE (batch2 README, 6)
    assert settings["retries"] == "$${autocall_cdr_retries}" and int(settings["delay"]) >= 1


def test_xml_curl_asks_autocall_for_configuration_only_with_the_shared_secret_and_a_short_timeout():
    root = ET.parse(CONF / "autoload_configs" / "xml_curl.conf.xml").getroot()
    assert root.get("name") == "xml_curl.conf"
    bindings = list(root.iter("binding"))
    assert len(bindings) == 1
    url = next(p for p in bindings[0].iter("param") if p.get("name") == "gateway-url")
    assert url.get("value") == "$${autocall_config_url}"
    assert url.get("bindings") == "configuration"  # never the directory or the dialplan
    settings = params(bindings[0])
    assert settings["gateway-credentials"] == "freeswitch:$${autocall_cdr_secret}"
    assert settings["auth-scheme"] == "basic"
    assert 1 <= int(settings["timeout"]) <= 5  # autocall hung: each lookup waits this long
    assert settings["enable-post-var"] == "CC-Queue"  # the form autocall reads (batch5 README, fact 9)
    globals_, _ = preprocess({})
    assert globals_["autocall_config_url"] == f"http://{Settings.model_fields['listen'].default}/freeswitch/config"


def test_callcenter_keeps_no_static_queue_agent_or_tier_in_sqlite():
    root = ET.parse(CONF / "autoload_configs" / "callcenter.conf.xml").getroot()
    assert root.get("name") == "callcenter.conf"
    assert not list(root.iter("queue")) and not list(root.iter("agent")) and not list(root.iter("tier"))
    assert "odbc-dsn" not in params(root)  # the built-in SQLite; PostgreSQL is documented, not shipped


# -- gateways and users ------------------------------------------------------------------------


def gateways() -> dict[str, ET.Element]:
    found = {}
    for path in (CONF / "sip_profiles" / "external").glob("*.xml"):
        for gw in ET.parse(path).getroot().iter("gateway"):
            assert path.stem == gw.get("name"), path  # one gateway per file, named after it
            found[gw.get("name")] = gw
    return found


def test_there_is_one_gateway_per_autocall_network_named_as_carriers_reference_it():
    found = gateways()
    assert {f"autocall-{n.value}" for n in Network} <= set(found)
    assert set(found) - {f"autocall-{n.value}" for n in Network} == {"autocall-softphone"}
    for name in found:
        assert GATEWAY.fullmatch(name), name
    for network in Network:
        values = params(found[f"autocall-{network.value}"])
        for key in ("proxy", "register", "username", "password"):
            assert values[key] == f"$${{autocall_gw_{network.value}_{key}}}", (network, key)
        assert values["caller-id-in-from"] == "true"
        assert f"`autocall-{network.value}`" in README


def test_the_gateway_names_make_valid_originates():
    from dialer.domain.enums import ModeCall
    from dialer.routing.dialstring import Leg, build_originate

    for name in gateways():
        leg = Leg(uuid=str(uuid.uuid4()), gateway=name, number="0981234567", caller_id="02812345678")
        arg = build_originate([leg], ModeCall.DIRECT, timeout=30, global_vars={}, destination="autocall XML autocall")
        assert f"sofia/gateway/{name}/0981234567" in arg


def test_unconfigured_gateways_point_nowhere():
    globals_, _ = preprocess({})
    for network in Network:
        assert globals_[f"autocall_gw_{network.value}_proxy"].endswith(".invalid")
        assert globals_[f"autocall_gw_{network.value}_register"] == "false"


def test_the_softphone_user_1000_and_its_test_path():
    users = {}
    for path in (CONF / "directory" / "default").glob("*.xml"):
        for user in ET.parse(path).getroot().iter("user"):
            users[user.get("id")] = (
                path.stem,
                params(user),
                {v.get("name"): v.get("value") for v in user.iter("variable")},
            )
    assert users["1000"][0] == "1000"  # replaces the stock directory/default/1000.xml
    assert users["1000"][1]["password"] == "$${autocall_softphone_password}"
    loop = users["autocall-loop"]
    softphone = params(gateways()["autocall-softphone"])
    assert softphone["username"] == "autocall-loop" and softphone["password"] == loop[1]["password"]
    context = loop[2]["user_context"]
    contexts = {c.get("name") for p in (CONF / "dialplan").glob("*.xml") for c in ET.parse(p).getroot().iter("context")}
    assert context in contexts
    assert "user/1000@" in (CONF / "dialplan" / "autocall_softphone.xml").read_text()


def test_the_readme_says_where_each_file_goes():
    for path in FILES:
        name = rel(path)
        if re.fullmatch(r"sip_profiles/external/autocall-(viettel|mobi|vina|tel|offnet)\.xml", name):
            continue  # listed as autocall-{viettel,mobi,...}.xml
        assert f"`{name}`" in README or name.split("/")[-1] in README, name
    for place in ("/etc/freeswitch", "/usr/local/freeswitch/conf"):
        assert place in README


# -- the dialplan, as the simulator runs it --------------------------------------------------------


def apps_for(variables: dict[str, str]) -> list[tuple[str, str]]:
    apps = load_dialplan_xml(DIALPLAN)["autocall"]
    return route(apps, {"destination_number": "autocall", **variables}.get)


def test_routing_decides_the_conditions_like_mod_dialplan_xml():
    base = [("sched_hangup", "+600 ALLOTTED_TIMEOUT"), ("answer", "")]
    end = [("hangup", "NORMAL_CLEARING")]
    assert apps_for({}) == [*base, ("avmd_start", ""), ("playback", "${autocall_file}"), ("avmd_stop", ""), *end]
    assert apps_for({"autocall_avmd": "false"}) == [*base, ("playback", "${autocall_file}"), *end]
    assert apps_for({"autocall_avmd": "true"}) == apps_for({})
    digits = (
        "play_and_get_digits",
        "1 1 1 4000 # silence_stream://250 silence_stream://250 autocall_dtmf ^[0-9*]$ 4000",
    )
    assert apps_for({"autocall_dtmf_ms": "4000"})[3:5] == [("playback", "${autocall_file}"), digits]
    for no_wait in ("0", "99", "100000", "abc", ""):
        assert all(app != "play_and_get_digits" for app, _ in apps_for({"autocall_dtmf_ms": no_wait})), no_wait


def autodialer_apps(extension: str, variables: dict[str, str]) -> list[tuple[str, str]]:
    """The apps one extension of autodialer.xml runs, conditions decided as mod_dialplan_xml does
    (the simulator's routing keeps a context's first extension only: each is routed on its own)."""
    root = ET.parse(AUTODIALER).getroot()
    ext = next(e for e in root.iter("extension") if e.get("name") == extension)
    context = f'<context name="autodialer">{ET.tostring(ext, encoding="unicode")}</context>'.encode()
    apps = parse_dialplan_xml(context, str(AUTODIALER))["autodialer"]
    return route(apps, {"destination_number": extension, **variables}.get)


def test_the_autodialer_joins_the_queue_then_routes_what_follows_on_the_queue_result():
    assert autodialer_apps("autodialer", {}) == [
        ("sched_hangup", "+3000 ALLOTTED_TIMEOUT"),
        ("answer", ""),
        ("avmd_start", ""),
        ("callcenter", "${autocall_queue}"),
        ("execute_extension", "autodialer_after XML autodialer"),
    ]
    assert ("avmd_start", "") not in autodialer_apps("autodialer", {"autocall_avmd": "false"})


@pytest.mark.parametrize(("cc_cause", "hears_the_abandon_file"), [("answered", False), ("cancel", True), ("", True)])
def test_after_the_queue_only_a_lead_no_agent_took_hears_the_abandon_file(cc_cause, hears_the_abandon_file):
    apps = autodialer_apps("autodialer_after", {"cc_cause": cc_cause, "autocall_avmd": "false"})
    abandon = [("playback", "${autocall_abandon_file}")] if hears_the_abandon_file else []
    assert apps == [*abandon, ("hangup", "NORMAL_CLEARING")]
    assert autodialer_apps("autodialer_after", {"cc_cause": cc_cause})[0] == ("avmd_stop", "")


def test_the_autodialer_safety_hangup_stays_below_autocalls_own_guard():
    data = autodialer_apps("autodialer", {})[0][1]
    seconds = int(re.fullmatch(r"\+(\d+) ALLOTTED_TIMEOUT", data).group(1))
    assert 600 < seconds < Settings.model_fields["max_call_seconds"].default


def test_the_dialplan_expressions_are_plain_pcre():
    for condition in [
        *ET.parse(DIALPLAN).getroot().iter("condition"),
        *ET.parse(AUTODIALER).getroot().iter("condition"),
    ]:
        re.compile(condition.get("expression"))
        assert condition.get("break", "on-false") in {"on-false", "never"}
        if condition.get("field", "").startswith("${"):
            assert condition.get("break") == "never", condition.attrib  # never stops the extension


def test_a_call_without_voicemail_detection_runs_no_avmd(simswitch, tmp_path):
    wav = write_wav(tmp_path / "msg.wav", 1.0)
    client = login(simswitch(answering(beep=True)), "CHANNEL_EXECUTE CHANNEL_HANGUP_COMPLETE CUSTOM avmd::beep")
    engine_originate(client, wav, extra="autocall_avmd=false,")
    hc = client.wait_event("CHANNEL_HANGUP_COMPLETE")
    assert [app for app, _ in executed(client)] == ["sched_hangup", "answer", "playback", "hangup"]
    assert not [e for e in client.events() if e.name == "CUSTOM"]
    assert hc.get("Hangup-Cause") == "NORMAL_CLEARING"


def test_a_call_with_a_dtmf_wait_collects_the_key_after_the_message(simswitch, tmp_path):
    wav = write_wav(tmp_path / "msg.wav", 2.0)
    client = login(simswitch(answering(dtmf="1")), "CHANNEL_EXECUTE CHANNEL_HANGUP_COMPLETE DTMF")
    engine_originate(client, wav, extra="autocall_dtmf_ms=4000,")
    hc = client.wait_event("CHANNEL_HANGUP_COMPLETE")
    apps = executed(client)
    assert (
        "play_and_get_digits",
        "1 1 1 4000 # silence_stream://250 silence_stream://250 autocall_dtmf ^[0-9*]$ 4000",
    ) in apps
    assert hc.get("variable_autocall_dtmf") == "1"
    assert [e.get("DTMF-Digit") for e in client.events() if e.name == "DTMF"] == ["1"]
    # 2 s of message, 0.25 s of prompt, then the simulated key ends the 4 s wait after a second.
    assert 3 <= int(hc.get("variable_billsec")) < 6


def test_the_safety_hangup_ends_a_call_that_never_finishes(simswitch):
    scen = Scenario.model_validate(
        {
            "rules": [{"match": ".", "answer": {"hangup": "local"}}],
            "dialplan": {"autocall": [{"app": "sched_hangup", "data": "+3 ALLOTTED_TIMEOUT"}, {"app": "park"}]},
        }
    )
    client = login(simswitch(scen), "CHANNEL_HANGUP_COMPLETE")
    engine_originate(client, "/m.wav")
    hc = client.wait_event("CHANNEL_HANGUP_COMPLETE")
    assert hc.get("Hangup-Cause") == "ALLOTTED_TIMEOUT"
    assert_span(hc, "bill", 3)
