"""The simulator's package data: freeswitch-conf's files it runs, shipped inside simswitch/.

freeswitch-conf/ is the source (FreeSWITCH loads it); simswitch/conf/ is its copy at the same
relative paths, read with importlib.resources so a wheel install runs what a checkout runs.
Without it the simulator refuses to start: it never parks calls quietly (docs/simswitch.md,
"Package data"). tests/test_simswitch_wheel.py checks the same from an installed wheel.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simswitch import Scenario, dialplan_xml, json_cdr, package_data
from simswitch.package_data import PackageDataError

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "freeswitch-conf"
COPY = ROOT / "simswitch" / "conf"


@pytest.mark.parametrize("rel", package_data.MIRRORED)
def test_the_packaged_conf_is_freeswitch_confs_file_byte_for_byte(rel):
    packaged = package_data.CONF.joinpath(*rel.split("/"))
    assert packaged.read_bytes() == (SOURCE / rel).read_bytes(), (
        f"simswitch/conf/{rel} differs from freeswitch-conf/{rel}, the source: "
        f"cp freeswitch-conf/{rel} simswitch/conf/{rel}"
    )


def test_the_package_holds_no_conf_file_that_is_not_a_copy():
    assert sorted(p.relative_to(COPY).as_posix() for p in COPY.rglob("*") if p.is_file()) == sorted(
        package_data.MIRRORED
    )


def test_the_simulator_reads_its_files_from_the_package():
    assert dialplan_xml.AUTOCALL_DIALPLAN == package_data.AUTOCALL_DIALPLAN
    assert json_cdr.AUTOCALL_CONF == package_data.JSON_CDR_CONF
    assert Path(str(package_data.PACKAGE)) == ROOT / "simswitch"


@pytest.fixture
def dialplan_at(monkeypatch):
    """Point the simulator at another packaged dialplan (its parsed copy is cached)."""

    def use(path: Path) -> None:
        monkeypatch.setattr(dialplan_xml, "AUTOCALL_DIALPLAN", path)
        dialplan_xml._autocall_apps.cache_clear()

    yield use
    dialplan_xml._autocall_apps.cache_clear()


def test_a_scenario_without_the_packaged_dialplan_is_refused(dialplan_at, tmp_path):
    dialplan_at(tmp_path / "autocall.xml")
    with pytest.raises(PackageDataError, match=r"installed without .*autocall\.xml"):
        Scenario()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("<include><context", "broken"),
        ('<include><context name="other"><extension/></context></include>', "no <context"),
    ],
)
def test_a_broken_packaged_dialplan_is_refused(dialplan_at, tmp_path, text, says):
    (tmp_path / "autocall.xml").write_text(text)
    dialplan_at(tmp_path / "autocall.xml")
    with pytest.raises(PackageDataError, match=says):
        Scenario()


def test_a_scenario_that_leaves_the_autocall_dialplan_out_does_not_need_it(dialplan_at, tmp_path):
    dialplan_at(tmp_path / "autocall.xml")
    assert Scenario(autocall_dialplan=False).dialplan == {}
    assert Scenario(dialplan={"autocall": [{"app": "park"}]}).dialplan["autocall"][0].app == "park"


def test_mod_json_cdr_settings_without_the_packaged_conf_are_refused(monkeypatch, tmp_path):
    monkeypatch.setattr(json_cdr, "AUTOCALL_CONF", tmp_path / "json_cdr.conf.xml")
    with pytest.raises(PackageDataError, match=r"installed without .*json_cdr\.conf\.xml"):
        json_cdr.autocall_settings("http://127.0.0.1:8080/freeswitch/cdr", {}, str(tmp_path))
