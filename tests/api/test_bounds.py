"""Every text and list the API accepts is bounded, and the bound is in its OpenAPI document:
a field added without one fails here, before a client can send a megabyte into a column (or
PostgreSQL refuses it with a 500). A value over its bound is a 422 that names the field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import manager
from hallq.api import PREFIX, doc
from hallq.api.schemas import HallNoticeRequest
from hallq.api.staff_admin import StaffSettings
from queue_core.spec import DepartmentSpec, ItemSpec, QueueSpec, WindowSpec
from tests.api.test_catalogue_admin import NEW_ITEM

DOCUMENT = doc.document(PREFIX)
# Strings whose format the parser reads whole, or whose values are listed, need no length.
SELF_BOUNDED = ("enum", "const", "format")


def _resolve(schema: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    ref = schema.get("$ref")
    if ref is None:
        return None, schema
    name = ref.rsplit("/", 1)[-1]
    return name, DOCUMENT["components"]["schemas"][name]


def unbounded(schema: dict[str, Any], where: str, seen: frozenset[str] = frozenset()) -> Iterator[str]:
    """Each string without maxLength, array without maxItems and map without maxProperties or a
    bound on its keys, named by its place in the request."""
    name, schema = _resolve(schema)
    if name in seen:
        return
    seen = seen | {name} if name else seen
    for alternatives in ("anyOf", "oneOf", "allOf"):
        for choice in schema.get(alternatives, []):
            yield from unbounded(choice, where, seen)
    kinds = schema.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else kinds
    if "string" in kinds and "maxLength" not in schema and not any(k in schema for k in SELF_BOUNDED):
        yield f"{where}: a string without maxLength"
    if "array" in kinds:
        if "maxItems" not in schema:
            yield f"{where}: an array without maxItems"
        for index, item in enumerate(schema.get("prefixItems", [])):
            yield from unbounded(item, f"{where}[{index}]", seen)
        if isinstance(schema.get("items"), dict):
            yield from unbounded(schema["items"], f"{where}[]", seen)
    for field, value in schema.get("properties", {}).items():
        yield from unbounded(value, f"{where}.{field}", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        if "maxProperties" not in schema:
            yield f"{where}: a map without maxProperties"
        yield from unbounded({"type": "string", **schema.get("propertyNames", {})}, f"{where} (a key)", seen)
        yield from unbounded(schema["additionalProperties"], f"{where}{{}}", seen)


def test_every_text_and_list_a_request_may_carry_is_bounded_in_the_document():
    found: list[str] = []
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            here = f"{method.upper()} {path}"
            if "requestBody" in operation:
                body = operation["requestBody"]["content"]["application/json"]["schema"]
                found += unbounded(body, f"{here} body")
            for param in operation.get("parameters", []):
                if param["in"] == "query":
                    found += unbounded(param["schema"], f"{here} ?{param['name']}")
    assert found == []


def test_the_walk_finds_what_is_unbounded():
    """The test above can fail: each kind of unbounded schema is named."""
    loose = {
        "type": "object",
        "properties": {
            "note": {"type": "string"},
            "day": {"type": "string", "format": "date-time"},
            "lines": {"type": "array", "items": {"type": "string", "maxLength": 5}},
            "printers": {"type": "object", "additionalProperties": {"type": "integer"}},
            "kind": {"anyOf": [{"type": "string", "pattern": "^[a-z]+$"}, {"type": "null"}]},
        },
    }
    assert list(unbounded(loose, "body")) == [
        "body.note: a string without maxLength",
        "body.lines: an array without maxItems",
        "body.printers: a map without maxProperties",
        "body.printers (a key): a string without maxLength",
        "body.kind: a string without maxLength",
    ]


# (method, path, caller, a valid body, the field made one too long, its bound)
OVER_LONG = [
    ("POST", "/windows/3/pause", "clerk3", {}, "reason", 80),
    ("PUT", "/queues/A", "manager", {"name": "户籍业务"}, "name_en", 120),
    ("PUT", "/catalogue/items/T-1", "manager", NEW_ITEM, "fees", 2000),
    ("POST", "/appointments", "guide", {"item_id": 1, "slot_start": "2026-11-23T10:00:00+08:00"}, "name", 60),
    ("POST", "/notices", "manager", {"text": "今日停电检修"}, "title", 60),
]


@pytest.mark.parametrize(("method", "path", "who", "body", "field", "bound"), OVER_LONG)
def test_a_value_one_over_its_bound_is_refused_by_name(api, method, path, who, body, field, bound):
    if who == "clerk3":
        api.post("/windows/3/sign-in", "clerk3")
    answer = api.request(method, path, who, {**body, field: "长" * (bound + 1)})
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert answer.get_json()["fields"] == [
        {"field": field, "message": f"String should have at most {bound} characters"}
    ]
    at_the_bound = api.request(method, path, who, {**body, field: "长" * bound})
    assert at_the_bound.status_code < 300, at_the_bound.get_data(as_text=True)


@pytest.mark.parametrize(
    ("lines", "field", "message"),
    [
        (["材" * 1001], "materials.0", "String should have at most 1000 characters"),
        (["材"] * 31, "materials", "List should have at most 30 items after validation, not 31"),
    ],
)
def test_an_items_disclosures_are_bounded_line_by_line_and_in_number(api, lines, field, message):
    answer = api.request("PUT", "/catalogue/items/T-2", "manager", {**NEW_ITEM, "materials": lines})
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert answer.get_json()["fields"] == [{"field": field, "message": message}]


def test_an_over_long_reason_or_query_is_refused_by_name(api):
    rated = api.post("/windows/3/evaluation", "device:P3", {"score": 1, "reasons": ["态" * 21]})
    assert rated.status_code == 422, rated.get_data(as_text=True)
    assert rated.get_json()["fields"][0]["field"] == "reasons.0"
    searched = api.get("/items?q=" + "婚" * 61)
    assert searched.status_code == 422
    assert searched.get_json()["fields"] == [
        {"field": "q", "message": "String should have at most 60 characters"}
    ]


@pytest.mark.parametrize(
    ("path", "body", "where"),
    [
        ("/queues/A", {"name": "户籍\x00业务"}, "name"),
        ("/catalogue/items/T-3", {**NEW_ITEM, "materials": ["身份证", "户口簿\x00"]}, "materials.1"),
        ("/windows/3/queues", {"queues": [{"code": "A\x00"}]}, "queues.0.code"),
    ],
)
def test_a_nul_byte_anywhere_in_a_body_is_refused_by_name(api, path, body, where):
    """PostgreSQL's text cannot hold one: a NUL byte deep in a list would be a 500 there."""
    answer = api.request("PUT", path, "manager", body)
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert answer.get_json()["fields"] == [{"field": "body", "message": f"{where}: contains a NUL byte"}]


# Each administration page's form and the model its fields are sent to (as JSON, by the page's
# script): the browser stops at the same length the API refuses beyond.
FORMS = {
    "item.html": ItemSpec,
    "queues.html": QueueSpec,
    "departments.html": DepartmentSpec,
    "windows.html": WindowSpec,
    "notices.html": HallNoticeRequest,
    "staff.html": StaffSettings,
}
FIELD = re.compile(r"<(?:input|textarea)\b[^>]*\bname=\"([a-z_]+)\"[^>]*>")


@pytest.mark.parametrize(("page", "model"), FORMS.items())
def test_a_forms_text_fields_stop_where_the_api_does(page, model):
    source = (Path(manager.__file__).parent / "templates/manager/admin" / page).read_text(encoding="utf-8")
    found = {}
    for element in FIELD.finditer(source):
        name = element.group(1)
        field = model.model_fields.get(name)
        if field is None or field.annotation not in (str, str | None):  # lists are sent line by line
            continue
        bound = next((m.max_length for m in field.metadata if getattr(m, "max_length", None)), None)
        given = re.search(r'\bmaxlength="(\d+)"', element.group(0))
        found[name] = (int(given.group(1)) if given else None, bound)
    assert found, f"{page}: no text field of {model.__name__}"
    assert {name: given for name, (given, _) in found.items()} == {
        name: bound for name, (_, bound) in found.items()
    }
