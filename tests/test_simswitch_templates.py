"""The shipped templates are exactly what the captures give."""

import json

from simswitch.extract import extract
from simswitch.templates import TEMPLATE_FILE, library
from tests.conftest import CAPTURES


def test_the_shipped_templates_are_regenerated_from_the_captures():
    assert json.loads(TEMPLATE_FILE.read_text()) == json.loads(json.dumps(extract(CAPTURES)))


def test_every_template_starts_with_freeswitchs_event_header():
    for template in library().templates.values():
        assert template.event_name
