"""The v3 routes every catalog kind has (templates, carriers): create, list, get, update, delete.

A :class:`Resource` names what differs between kinds: the service's
:class:`~dialer.service.catalog.Catalog`, the request and response models, and
what a view adds to the stored fields. :func:`serve` registers the five routes
under ``/v3/<kind>``; dialer/api/v3/templates.py and carriers.py hold only
what is their own (the template's audio upload).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic

from pydantic import BaseModel

from dialer.api.routes import Call, Routes
from dialer.api.v3.types import PageQuery
from dialer.service.catalog import Catalog, Model


def _nothing_more(obj: BaseModel) -> dict[str, Any]:
    return {}


@dataclass(frozen=True, slots=True)
class Resource(Generic[Model]):
    """One catalog kind as the v3 dialect serves it."""

    catalog: Catalog[Model]
    plural: str  # "templates": the OpenAPI tag, and "List templates"
    body: type[BaseModel]  # POST: what a new object needs
    update: type[BaseModel]  # PUT: every field optional
    created: type[BaseModel]  # POST's answer: {"<kind>_uuid": ..., "created": true}
    ref: type[BaseModel]  # PUT's and DELETE's answer: {"<kind>_uuid": ...}
    view: type[BaseModel]  # GET's answer
    page: type[BaseModel]  # GET list's answer: {"data": [view...], "limit", "offset", "total"}
    derived: Callable[[Model], dict[str, Any]] = _nothing_more  # fields a view adds to the stored ones
    used_by: str = "campaign"  # what refers to one: DELETE is refused while one does

    def show(self, obj: Model) -> dict[str, Any]:
        data = {**obj.model_dump(mode="json"), **self.derived(obj)}
        return self.view.model_validate(data).model_dump(mode="json")

    def ref_to(self, uuid: str) -> BaseModel:
        return self.ref.model_validate({self.catalog.uuid_field: uuid})


def serve(routes: Routes, res: Resource[Any]) -> None:
    """Register the kind's five routes on ``routes``, in the order the OpenAPI document lists them."""
    kind, field, tag = res.catalog.kind, res.catalog.uuid_field, res.plural
    every, one = f"/v3/{kind}", f"/v3/{kind}/{{{field}}}"
    route = functools.partial(routes.route, tag=tag)

    @route("POST", every, f"Create a {kind}", body=res.body, response=res.created, errors=(400, 401, 409))
    def create(call: Call) -> BaseModel:
        obj = res.catalog.create(call.services, call.body.given())
        return res.created.model_validate({field: getattr(obj, field)})

    @route("GET", every, f"List {tag}", query=PageQuery, response=res.page)
    def listing(call: Call) -> dict[str, Any]:
        q: PageQuery = call.query
        page, total = res.catalog.page(call.services, limit=q.limit, offset=q.offset)
        return {"data": [res.show(obj) for obj in page], "limit": q.limit, "offset": q.offset, "total": total}

    @route("GET", one, f"Get one {kind}", response=res.view, errors=(401, 404))
    def get(call: Call) -> dict[str, Any]:
        return res.show(res.catalog.get(call.services, call.params[field]))

    @route(
        "PUT",
        one,
        f"Update a {kind} (fields left out keep their value)",
        body=res.update,
        response=res.ref,
        errors=(400, 401, 404),
    )
    def update(call: Call) -> BaseModel:
        res.catalog.update(call.services, call.params[field], call.body.given())
        return res.ref_to(call.params[field])

    @route("DELETE", one, f"Delete a {kind} no {res.used_by} uses", response=res.ref, errors=(401, 404, 409))
    def delete(call: Call) -> BaseModel:
        res.catalog.delete(call.services, call.params[field])
        return res.ref_to(call.params[field])
