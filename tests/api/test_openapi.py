"""The OpenAPI document is generated from the models that validate requests."""

import re

from hallq.api.schemas import TicketRequest


def test_every_api_route_is_documented(app, api):
    doc = api.get("/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi":
            path = re.sub(r"<(?:[^:>]+:)?([a-z_]+)>", r"{\1}", rule.rule)
            routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == routed
    assert ("/api/v1/windows/{number}/call-next", "POST") in documented


def test_request_schema_is_the_validating_model(api):
    doc = api.get("/openapi.json").get_json()
    post = doc["paths"]["/api/v1/tickets"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TicketRequest"
    }
    schema = doc["components"]["schemas"]["TicketRequest"]
    assert schema["properties"]["queue"] == TicketRequest.model_json_schema()["properties"]["queue"]
    requested = schema["properties"]["priority"]["anyOf"][0]
    assert requested["enum"] == ["senior", "disabled", "military", "green_channel"]  # not "appointment"
    assert set(post["responses"]) == {"200", "201", "401", "403", "404", "409", "422"}
    assert post["security"] == [{"bearer": []}, {"session": []}]
    issued = doc["components"]["schemas"]["IssuedTicketOut"]
    assert {"id", "number", "queue", "status", "waiting_ahead", "issued_at", "key"} <= set(
        issued["properties"]
    )


def test_query_parameters_are_documented(api):
    doc = api.get("/openapi.json").get_json()
    params = {p["name"]: p for p in doc["paths"]["/api/v1/items"]["get"]["parameters"]}
    assert params["q"]["in"] == "query" and params["limit"]["schema"]["maximum"] == 200


def test_list_answers_are_documented_as_arrays(api):
    doc = api.get("/openapi.json").get_json()
    answer = doc["paths"]["/api/v1/windows"]["get"]["responses"]["200"]["content"]["application/json"]
    assert answer["schema"] == {"type": "array", "items": {"$ref": "#/components/schemas/WindowOut"}}


def test_numbers_beyond_the_databases_integers_are_refused_not_overflowed(api):
    doc = api.get("/openapi.json").get_json()
    number = next(p for p in doc["paths"]["/api/v1/tickets/{ticket_id}"]["get"]["parameters"])
    assert number["schema"]["maximum"] == 2**63 - 1
    in_path = api.get(f"/tickets/{2**63}")
    assert in_path.status_code == 404 and in_path.get_json()["error"] == "not_found"
    assert api.client.get(f"/board/window/{2**63}").status_code == 404  # pages' paths too
    in_body = api.post("/tickets", "manager", {"item_id": 2**63})
    assert in_body.status_code == 422 and in_body.get_json()["fields"][0]["field"] == "item_id"


def test_a_query_parameter_given_twice_is_refused_not_cut_to_its_first(api):
    answer = api.get("/items?q=hy&q=sb")
    assert answer.status_code == 422 and answer.get_json()["fields"][0]["field"] == "q"
