"""The simulator from a wheel: built, installed in a fresh virtualenv, run outside the checkout.

Issue 16: the simulator once found its dialplan through the source tree, so a non-editable
install quietly parked every call. Here the wheel is built offline from the files the Dockerfile
copies, installed with no access to the checkout (cwd is a temporary directory, no PYTHONPATH;
the dependencies come from this virtualenv's site-packages through a .pth file, so no index is
needed), and ``autocall simswitch`` must run a call through the dialplan it ships.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import tomllib
import venv
import zipfile
from pathlib import Path

import gevent
import pytest

from tests.conftest import free_port
from tests.eslclient import RawClient
from tests.test_simswitch_dialplan import CALL, engine_originate, executed, write_wav

ROOT = Path(__file__).resolve().parents[1]
# autocall's dependencies, installed here: the fresh virtualenv sees them through a .pth file.
DEPENDENCIES = sysconfig.get_paths()["purelib"]
# The checkout must not leak into the installed simulator's sys.path.
ENV = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """autocall's wheel, built by pip from pyproject.toml, README.md, LICENSE and the packages pyproject ships."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    for pattern in setuptools["packages"]["find"]["include"]:
        package = pattern.rstrip("*")
        shutil.copytree(ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = tmp_path_factory.mktemp("dist")
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q"]
    done = subprocess.run([*pip, "-w", str(dist), str(src)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = dist.glob("autocall-*.whl")
    return built


def install(wheel: Path, where: Path) -> Path:
    """A fresh virtualenv with ``wheel`` installed; returns its bin directory."""
    venv.create(where, with_pip=False, symlinks=True)
    python = where / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q"]
    done = subprocess.run([*pip, str(wheel)], capture_output=True, text=True, timeout=120, env=ENV)
    assert done.returncode == 0, done.stdout + done.stderr
    # After the install, so pip never sees (nor touches) the dependencies' environment.
    (Path(site_packages(python)) / "autocall_test_dependencies.pth").write_text(DEPENDENCIES + "\n")
    return where / "bin"


def site_packages(python: Path) -> str:
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True, env=ENV).stdout.strip()


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    return install(wheel, tmp_path_factory.mktemp("venv"))


def simswitch(bin_dir: Path, *args: str) -> list[str]:
    return [str(bin_dir / "autocall"), "simswitch", "--password", "ClueCon", *args]


def test_the_wheel_ships_the_packages_and_the_simulators_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for data in (
        "simswitch/fs_1_10_12.json",
        "simswitch/conf/dialplan/autocall.xml",
        "simswitch/conf/autoload_configs/json_cdr.conf.xml",
        "dialer/store/lua/",
        # PEP 561: each package says its type hints are to be used
        "dialer/py.typed",
        "httpclient/py.typed",
        "simswitch/py.typed",
        "tts/py.typed",
    ):
        assert any(name.startswith(data) for name in names), data
    shipped = {name.split("/")[0] for name in names if not name.startswith("autocall-")}
    assert shipped == {"dialer", "httpclient", "simswitch", "tts"}


def test_the_installed_commands_import_the_wheel_not_the_checkout(installed, tmp_path):
    code = "import dialer, simswitch, tts; print(dialer.__file__, simswitch.__file__, tts.__file__)"
    done = subprocess.run(
        [str(installed / "python"), "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path, env=ENV
    )
    for path in done.stdout.split():
        assert Path(path).is_relative_to(installed.parent), path


def test_a_call_runs_the_dialplan_the_installed_simulator_ships(installed, tmp_path):
    scenario = tmp_path / "answer.json"  # the callee answers and never hangs up: the dialplan ends the call
    scenario.write_text(json.dumps({"rules": [{"match": ".", "answer": {"hangup": "local"}}]}))
    wav = write_wav(tmp_path / "msg.wav", 1.0)
    port = free_port()
    log = tmp_path / "simswitch.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            simswitch(installed, "--listen", f"127.0.0.1:{port}", "--time-scale", "0.01", "--scenario", str(scenario)),
            cwd=tmp_path,
            env=ENV,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        client = connect(proc, port, log)
        client.login("ClueCon")
        client.command("event plain CHANNEL_EXECUTE CHANNEL_HANGUP_COMPLETE")
        engine_originate(client, wav)
        hc = client.wait_event("CHANNEL_HANGUP_COMPLETE", timeout=30)
        assert executed(client) == [
            ("sched_hangup", "+600 ALLOTTED_TIMEOUT"),
            ("answer", None),
            ("avmd_start", None),
            ("playback", wav),
            ("avmd_stop", None),
            ("hangup", "NORMAL_CLEARING"),
        ]
        assert hc.get("Unique-ID") == CALL
        assert hc.get("Hangup-Cause") == "NORMAL_CLEARING"
    finally:
        proc.terminate()
        proc.wait(10)


def connect(proc: subprocess.Popen, port: int, log: Path) -> RawClient:
    """The simulator's Event Socket, once it listens (it must not have exited)."""
    deadline = time.monotonic() + 30  # a bound on waiting, not a measure: it normally listens within a second
    while True:
        assert proc.poll() is None, f"simswitch exited {proc.returncode}: {log.read_text()}"
        try:
            return RawClient("127.0.0.1", port)
        except OSError:
            assert time.monotonic() < deadline, f"simswitch did not listen: {log.read_text()}"
            gevent.sleep(0.05)


def test_an_install_without_its_dialplan_refuses_to_start(wheel, tmp_path):
    bin_dir = install(wheel, tmp_path / "venv")
    packaged = Path(site_packages(bin_dir / "python")) / "simswitch" / "conf" / "dialplan" / "autocall.xml"
    packaged.unlink()
    done = subprocess.run(
        simswitch(bin_dir, "--listen", f"127.0.0.1:{free_port()}"),
        cwd=tmp_path,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"simswitch is installed without {packaged}" in done.stderr
