"""How pytest-xdist hands out tests (scripts/test runs ``-n 3``): as its default ``--dist load`` does, one
test at a time to whichever worker is free, except ``tests/realfs/``, whose tests go to one worker together,
in order: one real FreeSWITCH at a time, its module fixture shared as in a serial run.

xdist's own way to say this, ``--dist loadgroup`` with ``xdist_group`` marks, does nothing on pytest 9.2
(xdist 3.8 renames ``item._nodeid``, which pytest 9.2 no longer reads: every test stays its own group), and
it would need the option on every command line; this applies to any ``-n`` run whose ``--dist`` is the
default. Loaded by tests/conftest.py (``pytest_plugins``), in the controller.
"""

from __future__ import annotations

import pytest
from xdist.scheduler import LoadScopeScheduling

REALFS = "tests/realfs/"  # node ids are relative to the rootdir (the checkout, where pyproject.toml is)


class RealFsOnOneWorker(LoadScopeScheduling):
    """xdist's scope scheduling with a scope per test, except one scope for everything under tests/realfs."""

    def _split_scope(self, nodeid: str) -> str:
        return REALFS if nodeid.startswith(REALFS) else nodeid


@pytest.hookimpl(tryfirst=True, optionalhook=True)  # before xdist's own (firstresult); no hook without xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log) -> LoadScopeScheduling | None:
    if config.getvalue("dist") != "load":  # another --dist asked for on the command line: xdist's own
        return None
    return RealFsOnOneWorker(config, log)
