"""Declare an API operation once: the decorator validates the JSON body and query string with
pydantic models, serialises the response model, and records all of it for the OpenAPI
document, which is therefore generated from the same models that validate requests."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, get_origin

from flask import Blueprint, Response, jsonify, request
from flask_login import current_user
from pydantic import BaseModel, ValidationError
from werkzeug.routing import IntegerConverter, Map

from queue_core.errors import NotPermitted

Roles = tuple[str, ...]
PUBLIC: Roles = ()

# The largest id or number a request may hold: the databases' 64-bit integers. A larger one in
# a path is a 404 from the router, in a payload a 422, never an overflow in the database driver.
DB_INT_MAX = 2**63 - 1


class DbIntConverter(IntegerConverter):
    """The app's <int:…> in every URL, pages' too: at most DB_INT_MAX."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(url_map, *args, **kwargs)


@dataclass
class Operation:
    name: str
    rule: str
    method: str
    summary: str
    tag: str
    roles: Roles
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    responses: dict[int, tuple[str, type[BaseModel] | None]]
    description: str = ""
    returns_list: bool = False  # the view answers a JSON array of its documented model


class PayloadError(Exception):
    """The request's JSON or query string does not fit its model (HTTP 422)."""

    def __init__(self, fields: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{f['field']}: {f['message']}" for f in fields))
        self.fields = fields


def _field_errors(exc: ValidationError, where: str) -> list[dict[str, str]]:
    errors = []
    for err in exc.errors():
        name = ".".join(str(p) for p in err["loc"]) or where
        message = str(err["msg"]).removeprefix("Value error, ")
        errors.append({"field": name, "message": "is required" if err["type"] == "missing" else message})
    return errors


def allowed(roles: Roles) -> bool:
    """Roles are staff roles ("clerk", "manager"...) or devices ("device:kiosk")."""
    if not roles:
        return True
    if not current_user.is_authenticated:
        return False
    if current_user.role == "device":
        return f"device:{current_user.device_kind}" in roles
    return current_user.role in roles


def require(roles: Roles, action: str) -> None:
    if not allowed(roles):
        if not current_user.is_authenticated:
            raise Unauthenticated()
        raise NotPermitted(f"{action.lower()} is not allowed for {current_user.role}")


@dataclass
class ApiDoc:
    title: str
    version: str
    operations: list[Operation] = field(default_factory=list)

    def operation(
        self,
        bp: Blueprint,
        rule: str,
        method: str,
        *,
        summary: str,
        tag: str,
        responses: Mapping[int, tuple[str, type[BaseModel] | None]],
        roles: Roles = PUBLIC,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        view_checks_roles: bool = False,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """view_checks_roles: the roles are documented, but the view decides (for an
        operation a hall's setting can open to anonymous callers)."""

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            self.operations.append(
                Operation(
                    view.__name__,
                    rule,
                    method,
                    summary,
                    tag,
                    roles,
                    body,
                    query,
                    dict(responses),
                    view.__doc__ or "",
                    _returns_list(view),
                )
            )

            @wraps(view)
            def endpoint(**kwargs: Any) -> Any:
                if not view_checks_roles:
                    require(roles, summary)
                if body is not None:
                    kwargs["body"] = _parse_body(body)
                if query is not None:
                    try:
                        kwargs["query"] = query.model_validate(_query_args())
                    except ValidationError as exc:
                        raise PayloadError(_field_errors(exc, "query")) from exc
                return _respond(view(**kwargs))

            bp.add_url_rule(rule, view.__name__, endpoint, methods=[method])
            return endpoint

        return decorator

    def document(self, prefix: str) -> dict[str, Any]:
        schemas: dict[str, Any] = {
            "Error": _ERROR_SCHEMA,
            "PayloadError": _PAYLOAD_ERROR_SCHEMA,
        }
        paths: dict[str, Any] = {}
        for op in self.operations:
            path = prefix + re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", op.rule)
            entry: dict[str, Any] = {
                "summary": op.summary,
                "operationId": op.name,
                "tags": [op.tag],
                "responses": {},
            }
            if op.description:
                entry["description"] = op.description.strip()
            params = [
                {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 0, "maximum": DB_INT_MAX}
                    if conv == "int"
                    else {"type": "string"},
                }
                for conv, name in re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", op.rule)
            ]
            if op.query is not None:
                query_schema = op.query.model_json_schema()
                required = set(query_schema.get("required", []))
                params += [
                    {"name": name, "in": "query", "required": name in required, "schema": _inline(prop)}
                    for name, prop in query_schema["properties"].items()
                ]
            if params:
                entry["parameters"] = params
            if op.query is not None:
                entry["responses"]["422"] = _response(
                    "The query does not fit: each wrong one is named", "PayloadError"
                )
            if op.body is not None:
                entry["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": _ref(op.body, schemas)}},
                }
                entry["responses"]["422"] = _response(
                    "The payload does not fit: each wrong field is named", "PayloadError"
                )
            for status, (text, model) in sorted(op.responses.items()):
                if model is None:
                    entry["responses"][str(status)] = {"description": text}
                    continue
                schema = _ref(model, schemas)
                if op.returns_list and status < 300:
                    schema = {"type": "array", "items": schema}
                entry["responses"][str(status)] = {
                    "description": text,
                    "content": {"application/json": {"schema": schema}},
                }
            if "<" in op.rule and "404" not in entry["responses"]:
                entry["responses"]["404"] = _response("Nothing at this path", "Error")
            if op.roles:
                entry["security"] = [{"bearer": []}, {"session": []}]
                entry["responses"]["401"] = _response("Not authenticated", "Error")
                entry["responses"]["403"] = _response(f"Allowed for: {', '.join(op.roles)}", "Error")
            paths.setdefault(path, {})[op.method.lower()] = entry
        return {
            "openapi": "3.1.0",
            "info": {"title": self.title, "version": self.version},
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer"},
                    "session": {"type": "apiKey", "in": "cookie", "name": "session"},
                },
            },
        }


class Unauthenticated(Exception):
    pass


def _parse_body(model: type[BaseModel]) -> BaseModel:
    try:
        data = request.get_json(silent=True) if request.content_length else {}
    except RecursionError as exc:  # the json module's answer to arrays in arrays in arrays...
        raise PayloadError([{"field": "body", "message": "is nested too deeply"}]) from exc
    if not isinstance(data, dict):
        raise PayloadError(
            [{"field": "body", "message": "must be a JSON object (Content-Type: application/json)"}]
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise PayloadError(_field_errors(exc, "body")) from exc


def _query_args() -> dict[str, Any]:
    """The query string for its model: a name given twice stays the list it is, for the model
    to refuse, rather than silently becoming its first value."""
    return {name: values[0] if len(values) == 1 else values for name, values in request.args.lists()}


def _returns_list(view: Callable[..., Any]) -> bool:
    """`-> list[Model]`, as the annotation reads under `from __future__ import annotations`."""
    returned = view.__annotations__.get("return")
    return get_origin(returned) is list or str(returned).startswith("list[")


def _respond(result: Any) -> Any:
    status = 200
    if isinstance(result, tuple):
        result, status = result
    if result is None:
        return Response(status=204 if status == 200 else status)
    if isinstance(result, BaseModel):
        return jsonify(result.model_dump(mode="json")), status
    if isinstance(result, list):
        return jsonify([r.model_dump(mode="json") if isinstance(r, BaseModel) else r for r in result]), status
    return result, status


def _ref(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        schemas[name] = definition
    schemas[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _inline(prop: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in prop.items() if k != "title"}


def _response(text: str, schema: str) -> dict[str, Any]:
    return {
        "description": text,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}
# "fields" names each field that does not fit its model; a rule of the hall that the data
# breaks (queue_core's Invalid, e.g. a period that ends before it begins) has only the message.
_PAYLOAD_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"const": "invalid_payload"},
        "message": {"type": "string"},
        "fields": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
