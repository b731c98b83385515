"""Real-FreeSWITCH tests: skipped unless AUTOCALL_REALFS names an install prefix with bin/freeswitch.

Fixtures:
  realfs_prefix   (session)  the install prefix
  realfs          (module)   a running RealFreeSwitch with the defaults: freeswitch-conf installed, the
                             far end, HEARTBEAT every 1 s; stopped at the end of the test module
  realfs_factory  (function) make(**options) -> a started RealFreeSwitch with other options
                             (autocall_context=False, avmd=False, sps=..., ...); all stopped afterwards
  autocall_factory (function) make(freeswitch_url, env=None) -> a started ``autocall serve`` on the
                             test's clean Redis (tests/conftest.py's redis_server); all stopped afterwards
  store           (function) dialer.store.store.Store on that Redis
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.realfs.autocall_serve import AutocallServe
from tests.realfs.fsharness import ENV_PREFIX, RealFreeSwitch, prefix_problem

HERE = Path(__file__).resolve().parent


def _problem() -> str | None:
    return prefix_problem(os.environ.get(ENV_PREFIX))


def pytest_collection_modifyitems(config, items):
    # A conftest hook sees the whole session's items: mark only the ones in this directory.
    problem = _problem()
    if problem is None:
        return
    skip = pytest.mark.skip(reason=problem)
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def realfs_prefix() -> str:
    problem = _problem()
    if problem:
        pytest.skip(problem)
    return os.environ[ENV_PREFIX]


@pytest.fixture(scope="module")
def realfs(realfs_prefix, tmp_path_factory):
    fs = RealFreeSwitch(realfs_prefix, workdir=tmp_path_factory.mktemp("realfs"))
    fs.start()
    yield fs
    try:
        fs.stop()
    finally:
        fs.cleanup()


@pytest.fixture
def realfs_factory(realfs_prefix, tmp_path_factory):
    made: list[RealFreeSwitch] = []

    def make(start: bool = True, **options) -> RealFreeSwitch:
        fs = RealFreeSwitch(realfs_prefix, workdir=tmp_path_factory.mktemp("realfs"), **options)
        made.append(fs)
        if start:
            fs.start()
        return fs

    yield make
    for fs in made:
        try:
            fs.stop()
        finally:
            fs.cleanup()


@pytest.fixture
def autocall_factory(redis_server, redis_client, tmp_path_factory):
    made: list[AutocallServe] = []

    def make(freeswitch_url: str, env: dict[str, str] | None = None) -> AutocallServe:
        autocall = AutocallServe(tmp_path_factory.mktemp("autocall"), redis_server["url"], freeswitch_url, env=env)
        made.append(autocall)
        return autocall.start()

    yield make
    for autocall in made:
        autocall.stop()
