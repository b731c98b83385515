"""gevent patches here, before pytest loads any installed plugin (``-p tests.gevent_first`` in pyproject's
addopts): the schemathesis and anyio plugins import ssl (through urllib3), and a module that imported ssl
before the patch keeps the blocking one. tests/conftest.py patches too, for a run without addopts."""

import os

from gevent import monkey

monkey.patch_all()

if os.environ.get("PYTEST_XDIST_WORKER"):
    # A pytest-xdist worker (scripts/test runs the suite with -n): its link to the controller stays native.
    from tests.xdist_native import keep_execnet_native

    keep_execnet_native()
