"""gevent patches here, before pytest loads any installed plugin (``-p tests.gevent_first`` in pyproject's
addopts): the schemathesis and anyio plugins import ssl (through urllib3), and a module that imported ssl
before the patch keeps the blocking one. tests/conftest.py patches too, for a run without addopts."""

from gevent import monkey

monkey.patch_all()
