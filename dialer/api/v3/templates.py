"""``/v3/template``: the scripts campaigns play (autocall's own; the seeds only refer to them)."""

from __future__ import annotations

from typing import Any

from dialer.api.routes import Call
from dialer.api.v3.dialect import routes
from dialer.api.v3.template_models import (
    TemplateAudio,
    TemplateBody,
    TemplateCreated,
    TemplatePage,
    TemplateQuery,
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


def view(template: Template) -> dict[str, Any]:
    data = template.model_dump(mode="json")
    data["placeholders"] = sorted(placeholders(template.text))
    return TemplateView.model_validate(data).model_dump(mode="json")


@routes.route("POST", "/v3/template", "Create a template", body=TemplateBody, response=TemplateCreated, tag=TAG,
              errors=(400, 401, 409))  # fmt: skip
def create(call: Call) -> TemplateCreated:
    template = templates.create(call.services, call.body.given())
    return TemplateCreated(template_uuid=template.template_uuid)


@routes.route("GET", "/v3/template", "List templates", query=TemplateQuery, response=TemplatePage, tag=TAG)
def listing(call: Call) -> dict[str, Any]:
    q: TemplateQuery = call.query
    page, total = templates.page(call.services, limit=q.limit, offset=q.offset)
    return {"data": [view(t) for t in page], "limit": q.limit, "offset": q.offset, "total": total}


@routes.route("GET", "/v3/template/{template_uuid}", "Get one template", response=TemplateView, tag=TAG,
              errors=(401, 404))  # fmt: skip
def get(call: Call) -> dict[str, Any]:
    return view(templates.get(call.services, call.params["template_uuid"]))


@routes.route("PUT", "/v3/template/{template_uuid}", "Update a template (fields left out keep their value)",
              body=TemplateUpdate, response=TemplateRef, tag=TAG, errors=(400, 401, 404))  # fmt: skip
def update(call: Call) -> TemplateRef:
    templates.update(call.services, call.params["template_uuid"], call.body.given())
    return TemplateRef(template_uuid=call.params["template_uuid"])


@routes.route("DELETE", "/v3/template/{template_uuid}", "Delete a template no campaign uses", response=TemplateRef,
              tag=TAG, errors=(401, 404, 409))  # fmt: skip
def delete(call: Call) -> TemplateRef:
    templates.delete(call.services, call.params["template_uuid"])
    return TemplateRef(template_uuid=call.params["template_uuid"])


@routes.route("PUT", "/v3/template/{template_uuid}/audio", "Upload the template's audio: the WAV file itself as "
              "the body (PCM 16-bit, mono, 8 or 16 kHz, 0.1 s to 10 min)", response=TemplateAudio, tag=TAG,
              raw_body=True, max_body=templates.MAX_UPLOAD, body_types=("audio/wav", "application/octet-stream"),
              errors=(400, 401, 404, 413, 415))  # fmt: skip
def put_audio(call: Call) -> TemplateAudio:
    kind = call.content_type.split(";")[0].strip().lower()
    if kind not in AUDIO_TYPES:
        raise UnsupportedMediaType(
            f"Content-Type must be audio/wav or application/octet-stream, not "
            f"{kind or 'none'} (curl --data-binary @file.wav -H 'Content-Type: audio/wav')"
        )
    template, seconds = templates.set_audio(call.services, call.params["template_uuid"], call.raw)
    return TemplateAudio(template_uuid=template.template_uuid, audio_file=template.audio_file, seconds=seconds)
