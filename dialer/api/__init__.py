"""The HTTP API: a Falcon WSGI app served by gevent.pywsgi inside the daemon's hub.

``app.py`` builds the app from the dialects' route tables; ``routes.py`` is
the small route/dialect vocabulary; ``schema_errors.py`` turns pydantic
errors into the seed's gojsonschema-style messages; ``openapi.py`` builds
``/openapi.json`` from the same routes and models.
"""
