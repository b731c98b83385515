"""The files the simulator runs, read from its own package with importlib.resources.

A wheel install runs exactly what a checkout runs: the event templates (``fs_1_10_12.json``,
built by ``extract``) and ``conf/``, the part of ``freeswitch-conf/`` the simulator runs, at
the same relative paths. ``freeswitch-conf/`` stays the source (FreeSWITCH loads it,
docker/compose.yaml mounts it, operators copy it, and none of them follows a symlink into a
Python package); ``conf/`` is its copy, and tests/test_simswitch_package.py fails, naming
the ``cp`` to run, when the two differ by one byte. docs/simswitch.md, "Package data".

A file missing here is an install error, raised when the simulator starts: never a
simulator that quietly parks calls because its dialplan is not there.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

PACKAGE: Traversable = resources.files("simswitch")
TEMPLATES = PACKAGE / "fs_1_10_12.json"
CONF = PACKAGE / "conf"
# freeswitch-conf/<path> → conf/<path>, for every file the simulator reads.
MIRRORED = (
    "dialplan/autocall.xml",
    "dialplan/autodialer.xml",
    "autoload_configs/json_cdr.conf.xml",
    "autoload_configs/xml_curl.conf.xml",
    "autoload_configs/callcenter.conf.xml",
)
AUTOCALL_DIALPLAN = CONF / "dialplan" / "autocall.xml"
AUTODIALER_DIALPLAN = CONF / "dialplan" / "autodialer.xml"  # autodialer campaigns (docs/autodialer.md)
JSON_CDR_CONF = CONF / "autoload_configs" / "json_cdr.conf.xml"
XML_CURL_CONF = CONF / "autoload_configs" / "xml_curl.conf.xml"
CALLCENTER_CONF = CONF / "autoload_configs" / "callcenter.conf.xml"


class PackageDataError(RuntimeError):
    """simswitch is installed without a file it runs, or with a broken one (a wheel built
    without its package data): raised at start, never turned into a quietly parked call."""


def read_bytes(resource: Traversable) -> bytes:
    try:
        return resource.read_bytes()
    except OSError as exc:
        raise PackageDataError(
            f"simswitch is installed without {resource} ({exc.strerror or exc}): "
            "its package data (pyproject.toml [tool.setuptools.package-data]) did not ship"
        ) from exc


def read_text(resource: Traversable) -> str:
    return read_bytes(resource).decode("utf-8")
