"""docker/: the compose file, autocall's Dockerfile and the FreeSWITCH init script.

No Docker engine runs here (docs/deploy.md), so these tests check the files
statically: the compose file parses and its services, volumes and variables
agree with each other, with autocall's Settings and with freeswitch-conf/;
the Dockerfile has what an image needs; docker/freeswitch-init.sh is run with
/bin/sh against a fake image tree; docker/healthcheck.py against a tiny HTTP
server.
"""

from __future__ import annotations

import http.server
import os
import re
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import pytest
import yaml

from dialer.config import Settings
from dialer.esl.node import NodeConfig

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"
COMPOSE_PATH = DOCKER / "compose.yaml"
COMPOSE = yaml.safe_load(COMPOSE_PATH.read_text())
DOCKERFILE = (DOCKER / "Dockerfile").read_text()
INIT = DOCKER / "freeswitch-init.sh"
AUDIO = "/var/lib/autocall/audio"
INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(?:(:?[-?])([^}]*))?\}")


def services() -> dict:
    return COMPOSE["services"]


def env_of(service: str) -> dict[str, str]:
    env = services()[service].get("environment", {})
    assert isinstance(env, dict), f"{service}: environment as a mapping"
    return {k: str(v) for k, v in env.items()}


def interpolate(value: str, shell: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR:?error} (missing or empty counts as unset with ':')."""

    def one(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        value = shell.get(name, "")
        if op == ":?" and not value:
            raise LookupError(f"{name} is required: {arg}")
        if op == ":-" and not value:
            return arg
        return value

    return INTERPOLATION.sub(one, value)


def mounts(service: str) -> dict[str, str]:
    """target -> source of a service's short-syntax volumes."""
    out = {}
    for spec in services()[service].get("volumes", []):
        parts = spec.split(":")
        out[parts[1]] = parts[0]
    return out


# -- compose.yaml ------------------------------------------------------------------------------


def test_compose_has_the_three_services_and_only_declared_volumes():
    assert set(services()) == {"redis", "freeswitch", "autocall"}
    declared = set(COMPOSE["volumes"])
    used = set()
    for name in services():
        for target, source in mounts(name).items():
            assert target.startswith("/"), (name, target)
            if source.startswith((".", "/")):
                assert (DOCKER / source).resolve().exists(), (name, source)  # relative to the compose file
            else:
                used.add(source)
    assert used == declared


def test_depends_on_names_services_with_health_checks():
    for name, service in services().items():
        for dep, cond in service.get("depends_on", {}).items():
            assert dep in services() and dep != name
            assert cond == {"condition": "service_healthy"}
            assert "healthcheck" in services()[dep], dep
    assert set(services()["autocall"]["depends_on"]) == {"redis", "freeswitch"}


def test_redis_keeps_an_append_only_file_in_a_volume():
    redis = services()["redis"]
    command = redis["command"]
    assert command[0] == "redis-server"
    pairs = dict(zip(command[1::2], command[2::2], strict=True))
    assert pairs["--appendonly"] == "yes"
    assert pairs["--appendfsync"] == "everysec"
    assert pairs["--bind"] == "127.0.0.1"
    assert mounts("redis")["/data"] == "redis-data"
    assert re.fullmatch(r"redis:\d+\.\d+", redis["image"])


def test_freeswitch_is_a_pinned_public_image_with_autocalls_configuration():
    fs = services()["freeswitch"]
    assert fs["image"] == "safarov/freeswitch:1.10.12"  # public, per-release tags, no token
    volumes = mounts("freeswitch")
    assert volumes["/etc/freeswitch"] == "freeswitch-conf"
    assert (DOCKER / volumes["/autocall/freeswitch-conf"]).resolve() == ROOT / "freeswitch-conf"
    assert any(v.endswith(":ro") for v in fs["volumes"] if v.startswith("../freeswitch-conf"))
    assert (DOCKER / volumes["/autocall/freeswitch-init.sh"]).resolve() == INIT
    assert fs["entrypoint"] == ["/bin/sh", "/autocall/freeswitch-init.sh"]
    assert "AUTOCALL_FS_ESL_PASSWORD" in " ".join(fs["healthcheck"]["test"])


def test_the_esl_password_is_required_and_the_same_on_both_sides():
    shell = {"AUTOCALL_FS_ESL_PASSWORD": "0123abcd", "AUTOCALL_API_TOKENS": "t"}
    fs = interpolate(env_of("freeswitch")["AUTOCALL_FS_ESL_PASSWORD"], shell)
    node = NodeConfig.from_url(interpolate(env_of("autocall")["AUTOCALL_FREESWITCH"], shell))
    assert fs == node.password == "0123abcd"
    for service, name in (("freeswitch", "AUTOCALL_FS_ESL_PASSWORD"), ("autocall", "AUTOCALL_FREESWITCH")):
        with pytest.raises(LookupError):
            interpolate(env_of(service)[name], {"AUTOCALL_API_TOKENS": "t"})
        with pytest.raises(LookupError):
            interpolate(env_of(service)[name], {"AUTOCALL_FS_ESL_PASSWORD": "", "AUTOCALL_API_TOKENS": "t"})


def test_the_cdr_secret_is_required_and_the_same_on_both_sides_and_the_url_follows_the_listen_address():
    shell = {
        "AUTOCALL_FS_ESL_PASSWORD": "0123abcd",
        "AUTOCALL_API_TOKENS": "t",
        "AUTOCALL_CDR_SECRET": "cafe42",
        "AUTOCALL_LISTEN": "127.0.0.1:9090",
    }
    fs, ours = env_of("freeswitch"), env_of("autocall")
    secrets = {interpolate(fs["AUTOCALL_FS_CDR_SECRET"], shell), interpolate(ours["AUTOCALL_CDR_SECRET"], shell)}
    assert secrets == {"cafe42"}
    assert interpolate(fs["AUTOCALL_FS_CDR_URL"], shell) == "http://127.0.0.1:9090/freeswitch/cdr"
    for env, name in ((fs, "AUTOCALL_FS_CDR_SECRET"), (ours, "AUTOCALL_CDR_SECRET")):
        with pytest.raises(LookupError):
            interpolate(env[name], {**shell, "AUTOCALL_CDR_SECRET": ""})


def test_autocalls_environment_is_real_settings_that_validate():
    env = env_of("autocall")
    for name in env:
        assert name.startswith("AUTOCALL_") and name.removeprefix("AUTOCALL_").lower() in Settings.model_fields, name
    shell = {"AUTOCALL_FS_ESL_PASSWORD": "0123abcd", "AUTOCALL_API_TOKENS": "tok1,tok2", "AUTOCALL_CDR_SECRET": "s"}
    values = {k.removeprefix("AUTOCALL_").lower(): interpolate(v, shell) for k, v in env.items()}
    settings = Settings(**values)
    assert settings.tokens() == ["tok1", "tok2"]
    assert str(settings.audio_dir) == AUDIO
    assert settings.redis_url.get_secret_value() == "redis://127.0.0.1:6379/0"
    assert settings.default_gateway == "autocall-offnet"


def test_the_url_leaves_the_rate_to_freeswitchs_own_sessions_per_second():
    """autocall reads the limit with fsctl sps; an sps= in the URL could only cap it lower."""
    node = NodeConfig.from_url(
        interpolate(env_of("autocall")["AUTOCALL_FREESWITCH"], {"AUTOCALL_FS_ESL_PASSWORD": "x"})
    )
    assert (node.sps, node.max_sessions) == (None, None)
    # The Event Socket's defaults (00_autocall_vars.xml): loopback, 8021; host networking puts both there.
    assert (node.host, node.port) == ("127.0.0.1", 8021)
    assert all(s.get("network_mode") == "host" for s in services().values())


def test_the_audio_directory_is_the_same_path_in_both_services():
    assert mounts("freeswitch")[AUDIO] == mounts("autocall")[AUDIO] == "audio"
    assert env_of("autocall")["AUTOCALL_AUDIO_DIR"] == AUDIO
    assert f"AUTOCALL_AUDIO_DIR={AUDIO}" in DOCKERFILE
    assert f"AUDIO=${{AUTOCALL_INIT_AUDIO:-{AUDIO}}}" in INIT.read_text()


def test_autocall_is_built_from_the_dockerfile():
    build = services()["autocall"]["build"]
    context = (DOCKER / build["context"]).resolve()
    assert context == ROOT
    assert (context / build["dockerfile"]).resolve() == DOCKER / "Dockerfile"
    uid = re.search(r"--uid (\d+)", DOCKERFILE).group(1)
    assert env_of("freeswitch")["AUTOCALL_UID"] == uid  # who gets the audio volume


@pytest.mark.parametrize("path", sorted(p for p in DOCKER.rglob("*") if p.is_file()), ids=lambda p: p.name)
def test_no_docker_file_holds_the_stock_esl_password(path):
    assert "cluecon" not in path.read_text().lower() or path == INIT  # the init script refuses it by name
    if path == INIT:
        assert "ClueCon)" in INIT.read_text()


# -- the Dockerfile ----------------------------------------------------------------------------


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def test_the_dockerfile_builds_a_non_root_image_that_serves_with_a_health_check():
    steps = instructions()
    keywords = [k for k, _ in steps]
    assert steps[0][0] == "FROM" and re.fullmatch(r"python:3\.11-slim(-\w+)?", steps[0][1])
    run = " ".join(rest for k, rest in steps if k == "RUN")
    assert "espeak-ng" in run and "pip install ." in run
    user = [rest for k, rest in steps if k == "USER"]
    assert user and user[-1] not in {"root", "0"}
    assert keywords.index("USER") < keywords.index("CMD")
    cmd = next(rest for k, rest in steps if k == "CMD")
    assert cmd == '["autocall", "serve"]'
    health = next(rest for k, rest in steps if k == "HEALTHCHECK")
    assert "/opt/autocall/healthcheck.py" in health
    assert ("COPY", "docker/healthcheck.py ./healthcheck.py") in steps
    assert ("WORKDIR", "/opt/autocall") in steps


def test_everything_the_dockerfile_copies_exists_and_passes_its_dockerignore():
    ignore = (DOCKER / "Dockerfile.dockerignore").read_text().splitlines()
    allowed = [line[1:].removesuffix("/**") for line in ignore if line.startswith("!")]
    for keyword, rest in instructions():
        if keyword != "COPY":
            continue
        sources = rest.split()[:-1]
        for source in sources:
            assert (ROOT / source).exists(), source
            assert any(source.rstrip("/") == a or source.startswith(a + "/") for a in allowed), source
    # Every package pyproject ships (with its data: Lua scripts, the simulator's JSON and XML, HTML) is copied.
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = [p.rstrip("*") for p in setuptools["packages"]["find"]["include"]]
    assert packages == ["dialer", "httpclient", "simswitch", "tts"]
    copied = {rest.split()[0] for keyword, rest in instructions() if keyword == "COPY"}
    for package in packages:
        assert package in allowed and package in copied, package
    assert "pyproject.toml" in allowed and "README.md" in allowed


# -- docker/healthcheck.py -----------------------------------------------------------------------


def load_healthcheck():
    import importlib.util

    spec = importlib.util.spec_from_file_location("autocall_healthcheck", DOCKER / "healthcheck.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_health_check_probes_the_listen_address_on_loopback():
    probe = load_healthcheck().probe_url
    assert probe("0.0.0.0:8080") == "http://127.0.0.1:8080/healthz"
    assert probe("127.0.0.1:9000") == "http://127.0.0.1:9000/healthz"
    assert probe("[::]:8080") == "http://[::1]:8080/healthz"
    assert probe("10.1.2.3:8080") == "http://10.1.2.3:8080/healthz"


@pytest.mark.parametrize(("status", "code"), [(200, 0), (503, 1), (None, 1)])
def test_the_health_check_exits_0_only_on_200(status, code):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(status if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    if status is None:
        server.server_close()  # nothing listens
    else:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {**os.environ, "AUTOCALL_LISTEN": f"0.0.0.0:{port}"}
        done = subprocess.run(
            [sys.executable, str(DOCKER / "healthcheck.py")], env=env, capture_output=True, timeout=30
        )
        assert done.returncode == code, done.stderr
    finally:
        if status is not None:
            server.shutdown()
            server.server_close()


# -- docker/freeswitch-init.sh ------------------------------------------------------------------


@pytest.fixture
def image(tmp_path):
    """A fake safarov/freeswitch tree: the stock configuration, a module dir, and
    an entrypoint that records its environment instead of starting FreeSWITCH."""
    stock = tmp_path / "stock"
    (stock / "autoload_configs").mkdir(parents=True)
    (stock / "freeswitch.xml").write_text("<document/>\n")
    (stock / "vars.xml").write_text(
        '<include>\n  <X-PRE-PROCESS cmd="set" data="default_password=1234"/>\n</include>\n'
    )
    (stock / "autoload_configs" / "event_socket.conf.xml").write_text("<configuration stock='yes'/>\n")
    modules = tmp_path / "mod"
    modules.mkdir()
    entry = tmp_path / "entrypoint.sh"
    entry.write_text(
        '#!/bin/sh\nenv > "$AUTOCALL_INIT_CONF/../env.txt"\necho "$@" > "$AUTOCALL_INIT_CONF/../args.txt"\n'
    )
    entry.chmod(0o755)
    paths = {
        "AUTOCALL_INIT_CONF": str(tmp_path / "etc"),
        "AUTOCALL_INIT_SRC": str(ROOT / "freeswitch-conf"),
        "AUTOCALL_INIT_STOCK": str(stock),
        "AUTOCALL_INIT_AUDIO": str(tmp_path / "audio"),
        "AUTOCALL_INIT_MODULES": str(modules),
        "AUTOCALL_INIT_ENTRYPOINT": str(entry),
        "AUTOCALL_UID": str(os.getuid()),
    }

    def run(**env: str) -> subprocess.CompletedProcess:
        base = {"PATH": os.environ["PATH"], **paths, **env}
        return subprocess.run(["/bin/sh", str(INIT), "-x"], env=base, capture_output=True, text=True, timeout=30)

    run.root = tmp_path
    run.modules = modules
    return run


def recorded_env(root: Path) -> dict[str, str]:
    lines = (root / "env.txt").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


@pytest.mark.parametrize("password", [None, "", "ClueCon"])
def test_init_refuses_a_missing_empty_or_stock_password(image, password):
    done = image() if password is None else image(AUTOCALL_FS_ESL_PASSWORD=password)
    assert done.returncode == 1
    assert "AUTOCALL_FS_ESL_PASSWORD" in done.stderr
    assert not (image.root / "env.txt").exists()


def test_init_lays_autocalls_files_over_the_stock_configuration(image):
    done = image(AUTOCALL_FS_ESL_PASSWORD="abc123", AUTOCALL_FS_SOFTPHONE_PASSWORD="")
    assert done.returncode == 0, done.stderr
    etc = image.root / "etc"
    conf = ROOT / "freeswitch-conf"
    for path in conf.rglob("*.xml"):
        assert (etc / path.relative_to(conf)).read_text() == path.read_text(), path
    assert (etc / "freeswitch.xml").exists()
    assert "stock='yes'" not in (etc / "autoload_configs" / "event_socket.conf.xml").read_text()
    assert not (etc / "README.md").exists()
    vars_xml = (etc / "vars.xml").read_text()
    password = re.search(r'default_password=([^"]*)"', vars_xml).group(1)
    assert re.fullmatch(r"[A-Za-z0-9]{20}", password)
    assert (image.root / "audio").is_dir()
    env = recorded_env(image.root)
    assert env["AUTOCALL_FS_ESL_PASSWORD"] == "abc123"
    assert "AUTOCALL_FS_SOFTPHONE_PASSWORD" not in env  # empty: unset, so the random default stays
    assert env["AUTOCALL_FS_AVMD"] == "false"  # the fake image has no mod_avmd.so
    assert (image.root / "args.txt").read_text().strip() == "-x"  # arguments reach the image's entrypoint
    assert "mod_avmd.so is missing" in done.stderr


def test_init_copies_the_stock_configuration_only_once(image):
    (image.modules / "mod_avmd.so").write_text("")
    assert image(AUTOCALL_FS_ESL_PASSWORD="abc123").returncode == 0
    etc = image.root / "etc"
    (etc / "vars.xml").write_text("<include/>\n")  # the operator's edit of a stock file
    (etc / "dialplan" / "autocall.xml").write_text("<include/>\n")  # an edit of autocall's: overwritten
    done = image(AUTOCALL_FS_ESL_PASSWORD="abc123", AUTOCALL_FS_AVMD="")
    assert done.returncode == 0, done.stderr
    assert (etc / "vars.xml").read_text() == "<include/>\n"
    assert (etc / "dialplan" / "autocall.xml").read_text() == (
        ROOT / "freeswitch-conf/dialplan/autocall.xml"
    ).read_text()
    assert "AUTOCALL_FS_AVMD" not in recorded_env(image.root)  # mod_avmd present: detection stays on


# -- docs ------------------------------------------------------------------------------------------


def test_the_deploy_doc_gives_the_command_and_what_was_not_verified():
    doc = (ROOT / "docs" / "deploy.md").read_text()
    assert "docker compose -f docker/compose.yaml up" in doc
    assert "No Docker engine" in doc
    assert "safarov/freeswitch" in doc
    for name in ("AUTOCALL_FS_ESL_PASSWORD", "AUTOCALL_API_TOKENS", "AUTOCALL_FS_SOFTPHONE_PASSWORD"):
        assert name in doc
    assert "docs/deploy.md" in (ROOT / "README.md").read_text()
