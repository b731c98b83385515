"""``/v2/autocall/queue`` and its ``/dnc``, ``/stop``, ``/start``, ``/delete`` (seed 004)."""

from __future__ import annotations

from typing import Any

from dialer.api import idempotency
from dialer.api.queue.dialect import routes
from dialer.api.queue.models import DncBody, Done, PushAnswer, PushBody, QueueBody
from dialer.api.routes import Call, Reply
from dialer.service import answer_json, queues
from dialer.service.hub import checkpoint, release

TAG = "queue"
PATH = "/v2/autocall/queue"
OK = "successfully"
IMPORT_FAIL = "import fail"
JSON = "application/json; charset=utf-8"


def _done() -> dict[str, Any]:
    return {"code": 200, "content": OK}


@routes.route(
    "POST",
    PATH,
    "Push a queue: create it on first use (dialling at once) or update its settings, "
    "append its customers (all those taken, or none)",
    body=PushBody,
    response=PushAnswer,
    tag=TAG,
    bulk=True,
    sliced="customers",
    idempotent=True,
    errors=(400, 401, 404, 409, 413),
)
def push(call: Call) -> Any:
    b: PushBody = call.body
    try:
        return _push(call, b)
    finally:
        release(b.customers)  # 100,000 customers' models, a slice at a time


def _push(call: Call, b: PushBody) -> Any:
    remember = idempotency.requested(call, PATH)
    if (prior := idempotency.prior(call, remember)) is not None:
        return prior
    settings = queues.Settings(
        b.queue_code, b.template, b.concurrent_call, b.max_recall_count, b.min_recall_duration, b.mode_call
    )
    customers = []
    for c in b.customers:
        checkpoint()
        customers.append(queues.Customer(c.id, c.mobiles or [], dict(c.model_extra or {})))
    try:
        out = queues.push(call.services, settings, customers, remember, _answer)
    finally:
        release(customers)
    if out.replayed is not None:
        return idempotency.replay(out.replayed)
    status, body = _answer(out)
    # The text the app would write for this body, encoded a slice at a time (100,000 ids in success).
    return Reply(answer_json.dumps(body, checkpoint).encode(), status=status, content_type=JSON)


def _answer(out: queues.Pushed) -> tuple[int, dict[str, Any]]:
    data = {"fail": out.fail, "success": out.success, "reasons": out.reasons, "warnings": out.warnings}
    if not out.success:
        return 400, {"code": 400, "content": IMPORT_FAIL, "data": data}
    return 200, {"code": 200, "content": OK, "data": data}


@routes.route(
    "POST",
    f"{PATH}/dnc",
    "Do not call these customers: skipped if not yet dialled; a call in progress is not cut",
    body=DncBody,
    response=Done,
    tag=TAG,
    bulk=True,
    sliced="customers",
    errors=(400, 401, 404, 413),
)
def dnc(call: Call) -> dict[str, Any]:
    b: DncBody = call.body
    try:
        ids = []
        for c in b.customers:
            checkpoint()
            ids.append(c.id)
        queues.do_not_call(call.services, b.queue_code, ids)
    finally:
        release(b.customers)
    return _done()


@routes.route(
    "POST",
    f"{PATH}/stop",
    "Pause a queue: no new call starts, calls in progress finish",
    body=QueueBody,
    response=Done,
    tag=TAG,
    errors=(400, 401, 404),
    max_body=65_536,
)
def stop(call: Call) -> dict[str, Any]:
    queues.stop(call.services, call.body.queue_code)
    return _done()


@routes.route(
    "POST",
    f"{PATH}/start",
    "Resume a paused queue (409: it cannot place a call, and says why)",
    body=QueueBody,
    response=Done,
    tag=TAG,
    errors=(400, 401, 404, 409),
    max_body=65_536,
)
def start(call: Call) -> dict[str, Any]:
    queues.start(call.services, call.body.queue_code)
    return _done()


@routes.route(
    "POST",
    f"{PATH}/delete",
    "Delete a stopped queue (a running one is refused)",
    body=QueueBody,
    response=Done,
    tag=TAG,
    errors=(400, 401, 404, 409),
    max_body=65_536,
)
def delete(call: Call) -> dict[str, Any]:
    queues.delete(call.services, call.body.queue_code)
    return _done()
