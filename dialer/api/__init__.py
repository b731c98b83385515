"""The HTTP API: a Falcon WSGI app served by gevent.pywsgi inside the daemon's hub.

``app.py`` builds the app from the dialects' route tables; ``routes.py`` is
the small route/dialect vocabulary; ``openapi.py`` builds ``/openapi.json``
from the same routes and models. pydantic errors become the seed's
gojsonschema-style messages in ``dialer/service/schema_errors.py``, below the
API, because the services raise them too.
"""
