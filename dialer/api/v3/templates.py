"""``/v3/template``: the scripts campaigns play (autocall's own; the seeds only refer to them).

Five routes are the catalog's (dialer/api/v3/resource.py); the audio upload is the template's own.
"""

from __future__ import annotations

from typing import Any

from dialer.api.routes import Call
from dialer.api.v3.dialect import routes
from dialer.api.v3.resource import Resource, serve
from dialer.api.v3.template_models import (
    TemplateAudio,
    TemplateBody,
    TemplateCreated,
    TemplatePage,
    TemplateRef,
    TemplateUpdate,
    TemplateView,
)
from dialer.domain.models import Template
from dialer.service import templates
from dialer.service.errors import ServiceError
from tts.template import placeholders

TAG = "templates"
AUDIO_TYPES = ("audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave", "application/octet-stream")


class UnsupportedMediaType(ServiceError):
    status = 415


def _placeholders(template: Template) -> dict[str, Any]:
    return {"placeholders": sorted(placeholders(template.text))}


TEMPLATES = Resource(
    templates.catalog,
    TAG,
    body=TemplateBody,
    update=TemplateUpdate,
    created=TemplateCreated,
    ref=TemplateRef,
    view=TemplateView,
    page=TemplatePage,
    derived=_placeholders,
)
serve(routes, TEMPLATES)


def require_wav_body(call: Call) -> None:
    """An upload's body must say it is a WAV (or bytes): :class:`UnsupportedMediaType` otherwise."""
    kind = call.content_type.split(";")[0].strip().lower()
    if kind not in AUDIO_TYPES:
        raise UnsupportedMediaType(
            f"Content-Type must be audio/wav or application/octet-stream, not "
            f"{kind or 'none'} (curl --data-binary @file.wav -H 'Content-Type: audio/wav')"
        )


@routes.route(
    "PUT",
    "/v3/template/{template_uuid}/audio",
    "Upload the template's audio: the WAV file itself as the body (PCM 16-bit, mono, 8 or 16 kHz, 0.1 s to 10 min)",
    response=TemplateAudio,
    tag=TAG,
    raw_body=True,
    max_body=templates.MAX_UPLOAD,
    body_types=("audio/wav", "application/octet-stream"),
    errors=(400, 401, 404, 413, 415),
)
def put_audio(call: Call) -> TemplateAudio:
    require_wav_body(call)
    template, seconds = templates.set_audio(call.services, call.params["template_uuid"], call.raw)
    return TemplateAudio(template_uuid=template.template_uuid, audio_file=template.audio_file, seconds=seconds)
