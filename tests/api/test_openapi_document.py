"""``/openapi.json`` describes the API that runs: security schemes, the error shape,
401/403/404 and ranges, read from each route's dependencies. Every check iterates the
document, so routes added later are checked without being named here."""

from __future__ import annotations

import pytest

from server.api.openapi import accesses, api_operations

METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture
def document(client):
    return client.get("/openapi.json").json()


def operations(document):
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def route_accesses(app, path, method):
    for route in api_operations(app.routes):
        if route.path == path and method.upper() in route.methods:
            return accesses(route.dependant)
    raise AssertionError(f"no route for {method} {path}")


def test_the_document_declares_the_security_schemes_and_the_error_shape(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["staffSession"] == {**schemes["staffSession"], "in": "cookie"}
    assert schemes["staffSession"]["name"] == "showdesk_session"
    assert schemes["csrfToken"]["in"] == "header"
    assert schemes["csrfToken"]["name"] == "X-CSRF-Token"
    assert schemes["apiKey"]["scheme"] == "bearer"
    assert schemes["buyerCall"]["name"] == "showdesk_call"
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert error["properties"]["error"]["required"] == ["code", "message"]


def test_no_operation_documents_fastapis_validation_error(document):
    assert "HTTPValidationError" not in str(document)
    for path, method, op in operations(document):
        for status, answer in op["responses"].items():
            if status.startswith(("4", "5")):
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (path, method, status)


def test_the_cluster_documents_its_503_when_redis_is_out_of_reach(document):
    answer = document["paths"]["/api/cluster"]["get"]["responses"]["503"]
    assert "redis_unavailable" in answer["description"]
    assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_every_operation_with_an_auth_dependency_lists_its_security_and_refusals(app, document):
    checked = 0
    for path, method, op in operations(document):
        accesses = route_accesses(app, path, method)
        if not accesses:
            assert "security" not in op, (path, method)
            continue
        checked += 1
        assert op["security"], (path, method)
        responses = op["responses"]
        if all(a.hidden for a in accesses):
            assert "404" in responses, (path, method)
        else:
            assert {"401", "403"} <= set(responses) or (
                method == "get" and "401" in responses and not any(a.staff for a in accesses)
            ), (path, method, sorted(responses))
        for access in accesses:
            if access.scope:
                assert {"apiKey": [access.scope]} in op["security"], (path, method)
            if access.staff:
                wanted = {"staffSession": []}
                if method != "get":
                    wanted["csrfToken"] = []
                assert wanted in op["security"], (path, method)
    assert checked > 20


def test_operations_with_path_parameters_document_404_and_rate_limits_retry_after(document):
    for path, method, op in operations(document):
        if "{" in path:
            assert "404" in op["responses"], (path, method)
        if "429" in op["responses"]:
            assert "Retry-After" in op["responses"]["429"]["headers"], (path, method)


def test_file_routes_document_ranges_206_and_416(document):
    files = [
        ("/api/sessions/{session_id}/photos/{photo_id}", "get"),
        ("/api/sessions/{session_id}/recording", "get"),
        ("/api/sessions/{session_id}/recordings/{recording_id}", "get"),
    ]
    for path, method in files:
        op = document["paths"][path][method]
        assert {"206", "416"} <= set(op["responses"]), path
        assert "Content-Range" in op["responses"]["206"]["headers"], path
        assert any(p["name"] == "Range" and p["in"] == "header" for p in op["parameters"])
    photo = document["paths"][files[0][0]]["get"]["responses"]["200"]["content"]
    assert set(photo) == {"image/jpeg", "image/png", "image/webp"}


def test_options_and_405_name_every_method_of_the_path(client):
    options = client.options("/api/links")
    assert options.status_code == 204
    assert options.headers["allow"] == "GET, OPTIONS, POST"
    refused = client.put("/api/links")
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, OPTIONS, POST"
    assert refused.json()["error"]["code"] == "method_not_allowed"


def test_since_and_until_refuse_plain_numbers_in_the_error_shape(client, app):
    from tests.helpers.accounts import add_user, login

    add_user(app, "admin@example.test", "admin")
    login(client, "admin@example.test")
    for value in ("1700000000", "1.5", "-3"):
        answer = client.get("/api/sessions", params={"since": value})
        assert answer.status_code == 422, value
        assert answer.json()["error"]["code"] == "validation_error"
    assert client.get("/api/sessions", params={"until": "2026-01-02T03:04:05Z"}).status_code == 200
    assert client.get("/api/sessions", params={"since": "2026-01-02"}).status_code == 200


def _property(document, schema, name):
    """A property's schema, the string branch of an optional one."""
    prop = document["components"]["schemas"][schema]["properties"][name]
    return next((s for s in prop.get("anyOf", [prop]) if s.get("type") != "null"), prop)


def test_typed_text_fields_show_the_non_blank_no_control_character_rule(document):
    import jsonschema_rs

    lines = [
        ("LinkCreateIn", "order_ref"),
        ("LinkCreateIn", "buyer_name"),
        ("ApiKeyCreateIn", "name"),
        ("UserCreateIn", "name"),
        ("OrderLine", "sku"),
    ]
    for schema, name in lines:
        check = jsonschema_rs.validator_for(_property(document, schema, name))
        for taken in ("ORD-1", "Ada Lovelace", "Müller 李", "a\tb"):
            assert check.is_valid(taken), (schema, name, taken)
        for refused in (" ", "\t \u3000", "a\x00b", "a\x1fb", "a\x7fb", "a\nb", "a\rb"):
            assert not check.is_valid(refused), (schema, name, refused)
    note = jsonschema_rs.validator_for(_property(document, "LinkCreateIn", "note"))
    assert note.is_valid("two\nlines") and not note.is_valid("\n \n")
    assert not note.is_valid("bell\x07")


def test_the_server_refuses_what_the_text_pattern_refuses_with_its_own_sentence(client, app):
    from tests.helpers.accounts import add_user, login

    add_user(app, "admin@example.test", "admin")
    headers = {"X-CSRF-Token": login(client, "admin@example.test")}
    for order_ref, sentence in (
        ("   ", "The order reference must not be empty or only spaces."),
        ("ORD\x001", "The order reference must not contain control characters."),
        ("ORD\n1", "The order reference must not contain control characters."),
    ):
        body = {"order_ref": order_ref, "purpose": "damage_verification"}
        answer = client.post("/api/links", json=body, headers=headers)
        assert answer.status_code == 422, order_ref
        assert answer.json()["error"]["message"] == sentence


def test_email_password_and_link_expiry_limits_are_in_the_document(document):
    import re

    email = _property(document, "UserCreateIn", "email")
    assert email["format"] == "email"
    assert re.match(email["pattern"], "ada@shop.example")
    assert not re.match(email["pattern"], "ada@shop") and not re.match(email["pattern"], "a b@x.de")
    assert _property(document, "UserCreateIn", "password")["minLength"] == 10
    assert _property(document, "PasswordChangeIn", "new_password")["minLength"] == 10
    expiry = _property(document, "LinkCreateIn", "expires_in_s")
    assert (expiry["minimum"], expiry["maximum"]) == (60, 7_776_000)


def test_the_documented_limits_are_where_the_server_refuses(client, app):
    from tests.helpers.accounts import add_user, login

    add_user(app, "admin@example.test", "admin")
    headers = {"X-CSRF-Token": login(client, "admin@example.test")}
    link = {"order_ref": "ORD-1", "purpose": "damage_verification"}
    for seconds, status in ((59, 422), (60, 201), (7_776_000, 201), (7_776_001, 422)):
        answer = client.post("/api/links", json={**link, "expires_in_s": seconds}, headers=headers)
        assert answer.status_code == status, (seconds, answer.text)
    for password, status in (("x" * 9, 422), ("x" * 10, 201)):
        user = {"email": f"p{len(password)}@shop.example", "role": "agent", "password": password}
        answer = client.post("/api/users", json=user, headers=headers)
        assert answer.status_code == status, (password, answer.text)
    short = {**user, "email": "short@shop.example", "password": "x" * 9}
    refused = client.post("/api/users", json=short, headers=headers)
    assert refused.json()["error"]["message"] == "the password needs at least 10 characters"
    bad = client.post("/api/users", json={**user, "email": "ada@shop"}, headers=headers)
    assert bad.status_code == 422 and "not an email address" in bad.json()["error"]["message"]
