"""``/v3/prompt-set``: recorded prompt sets (autocall's own), and the upload of each prompt.

Five routes are the catalog's (dialer/api/v3/resource.py); uploading and deleting one
prompt are the set's own, uploads taking the WAV as the body as the template audio does.
"""

from __future__ import annotations

from dialer.api.routes import Call
from dialer.api.v3.dialect import routes
from dialer.api.v3.prompt_set_models import (
    PromptDeleted,
    PromptSetBody,
    PromptSetCreated,
    PromptSetPage,
    PromptSetRef,
    PromptSetUpdate,
    PromptSetView,
    PromptUploaded,
)
from dialer.api.v3.resource import Resource, serve
from dialer.api.v3.templates import require_wav_body
from dialer.service import prompt_sets

TAG = "prompt sets"
PROMPT = "/v3/prompt-set/{prompt_set_uuid}/prompt/{key}"

PROMPT_SETS = Resource(
    prompt_sets.catalog,
    TAG,
    body=PromptSetBody,
    update=PromptSetUpdate,
    created=PromptSetCreated,
    ref=PromptSetRef,
    view=PromptSetView,
    page=PromptSetPage,
    derived=prompt_sets.view_fields,
    used_by="template",
)
serve(routes, PROMPT_SETS)


@routes.route(
    "PUT",
    PROMPT,
    "Upload one prompt of the set: the WAV file itself as the body (PCM 16-bit, mono, 8 or 16 kHz; "
    "a word at most 10 s, the OTP intro and 'xin nhắc lại' 30 s, a phrase 10 min)",
    response=PromptUploaded,
    tag=TAG,
    raw_body=True,
    max_body=prompt_sets.MAX_UPLOAD,
    body_types=("audio/wav", "application/octet-stream"),
    errors=(400, 401, 404, 413, 415),
)
def put_prompt(call: Call) -> PromptUploaded:
    require_wav_body(call)
    key = call.params["key"]
    stored, recorded = prompt_sets.set_prompt(call.services, call.params["prompt_set_uuid"], key, call.raw)
    missing = stored.missing()
    return PromptUploaded(
        prompt_set_uuid=stored.prompt_set_uuid,
        key=key,
        word=prompt_sets.word(key),
        seconds=recorded.seconds,
        rate=recorded.rate,
        missing=missing,
        complete=not missing,
    )


@routes.route("DELETE", PROMPT, "Delete one prompt of the set", response=PromptDeleted, tag=TAG, errors=(400, 401, 404))
def delete_prompt(call: Call) -> PromptDeleted:
    key = call.params["key"]
    stored = prompt_sets.delete_prompt(call.services, call.params["prompt_set_uuid"], key)
    missing = stored.missing()
    return PromptDeleted(prompt_set_uuid=stored.prompt_set_uuid, key=key, missing=missing, complete=not missing)
