"""Schemathesis against a real server: every operation of the live ``/openapi.json``,
fed requests generated from the document itself, once with an API key holding every
scope (``Authorization: Bearer``) and once with an admin's staff cookie and its
``X-CSRF-Token``. Any server error, or a status, content type, body or header the
document does not declare for that operation, fails the test; the requests made and the
wall time are printed.

Left out, because they would take away the credentials the run is made with: signing
out, changing the signed-in user itself (``PATCH /api/me``, its password, or
``PATCH /api/users/{own id}``) and revoking the run's own API key. The signaling socket
is not an HTTP operation of the document (tests/fuzz/test_signaling_fuzz.py fuzzes it)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlmodel import Session

from server.accounts.apikeys import create_api_key
from server.evidence.photos import store_photo
from server.models import Call
from server.models.apikey import API_KEY_SCOPES
from tests.helpers.accounts import PASSWORD, add_user
from tests.helpers.images import image_bytes
from tests.helpers.servers import LiveServer
from tests.helpers.stored_calls import store_call

# examples per operation: valid requests, and requests the document says are invalid
MODES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 10}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# (method, path) that would end the run's own session or change its own account.
OWN_CREDENTIALS = {
    ("POST", "/api/auth/logout"),
    ("PATCH", "/api/me"),
    ("POST", "/api/me/password"),
}
ADMIN_EMAIL = "fuzz-admin@example.com"


def _sign_in(server: LiveServer) -> tuple[int, dict[str, str]]:
    """A new admin, signed in: its id and the headers that carry its cookie and CSRF."""
    user_id = add_user(server.app, ADMIN_EMAIL, "admin", "Fuzz Admin")
    answer = httpx.post(
        server.url + "/api/auth/login", json={"email": ADMIN_EMAIL, "password": PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    session, csrf = answer.cookies["showdesk_session"], answer.cookies["csrf_token"]
    return user_id, {
        "Cookie": f"showdesk_session={session}; csrf_token={csrf}",
        "X-CSRF-Token": csrf,
    }


def _api_key(server: LiveServer) -> tuple[int, dict[str, str]]:
    """A new API key with every scope: its id and the header that carries it."""
    with Session(server.app.state.engine, expire_on_commit=False) as db:
        row, key = create_api_key(db, "fuzz", server.app.state.clock.now(), scopes=API_KEY_SCOPES)
    return row.id, {"Authorization": f"Bearer {key}"}


def _reachable(operation: Any, scheme: str) -> bool:
    """Whether ``operation`` takes the credential ``scheme``, or none at all."""
    security = operation.definition.raw.get("security")
    return not security or any(scheme in requirement for requirement in security)


def _fuzz(
    server: LiveServer,
    schema: Any,
    scheme: str,
    headers: dict[str, str],
    skip: Callable[[Any], bool],
    failures: list[str],
    known: dict[str, str],
) -> int:
    """Run every operation of ``schema`` that takes ``scheme`` (or no credential) with
    ``headers``, in valid and in invalid requests, and once more in valid ones with the
    path parameters of ``known`` (ids of rows that exist); returns the requests made and
    appends one line per mismatch found (the first three of each operation and mode)."""
    made = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in OWN_CREDENTIALS:
            continue
        if not _reachable(operation, scheme):
            continue
        for mode in MODES:
            made += _fuzz_operation(server, operation, mode, headers, skip, failures)
        existing = {name: v for name, v in known.items() if f"{{{name}}}" in operation.path}
        if existing:
            made += _fuzz_operation(
                server, operation, GenerationMode.POSITIVE, headers, skip, failures, existing
            )
    return made


def _fuzz_operation(
    server: LiveServer,
    operation: Any,
    mode: GenerationMode,
    headers: dict[str, str],
    skip: Callable[[Any], bool],
    failures: list[str],
    path_parameters: dict[str, str] | None = None,
) -> int:
    """``operation`` in ``MODES[mode]`` generated requests, derandomized (the same ones
    every run), with ``path_parameters`` fixed when given; returns the requests made,
    appends the first three mismatches."""
    made = 0
    found: list[str] = []

    @settings(
        max_examples=MODES[mode],
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    def run(case: Any) -> None:
        nonlocal made
        if skip(case):
            return
        response = case.call(base_url=server.url, headers=headers, timeout=10)
        made += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (Failure, FailureGroup) as exc:  # a check's failure, or a group of them
            if len(found) < 3:
                found.append(
                    f"{mode.value} {case.method} {case.formatted_path} -> "
                    f"{response.status_code}: {str(exc).strip()[:600]}"
                )

    try:
        run()
    except Unsatisfiable:  # the document allows no invalid request here (no parameters)
        assert mode is GenerationMode.NEGATIVE, operation.label
    failures.extend(found)
    return made


def _schema(document: dict[str, Any]) -> Any:
    """The Schemathesis schema of ``document``, sending the run's own credentials only
    (generated cookies and keys would only ever get a 401)."""
    schema = schemathesis.openapi.from_dict(document)
    schema.config.generation.update(with_security_parameters=False)
    return schema


def test_an_answer_the_document_does_not_declare_is_a_failure(live_server: LiveServer) -> None:
    """The checks bite: with 404 taken out of a copy of the document, revoking links
    that do not exist is reported."""
    _, key_headers = _api_key(live_server)
    document = httpx.get(live_server.url + "/openapi.json").json()
    del document["paths"]["/api/links/{link_id}"]["delete"]["responses"]["404"]
    operation = _schema(document)["/api/links/{link_id}"]["DELETE"]
    failures: list[str] = []
    made = _fuzz_operation(
        live_server, operation, GenerationMode.POSITIVE, key_headers, lambda c: False, failures
    )
    assert made > 0
    assert failures and all("-> 404" in f for f in failures), failures


def test_every_operation_answers_as_the_document_says_with_a_key_and_with_a_cookie(
    live_server: LiveServer,
) -> None:
    started = time.monotonic()
    key_id, key_headers = _api_key(live_server)
    admin_id, cookie_headers = _sign_in(live_server)
    schema = _schema(httpx.get(live_server.url + "/openapi.json").json())

    def own_key(case: Any) -> bool:
        params = case.path_parameters or {}
        return case.path == "/api/apikeys/{key_id}" and str(params.get("key_id")) == str(key_id)

    def own_user(case: Any) -> bool:
        params = case.path_parameters or {}
        return case.path == "/api/users/{user_id}" and str(params.get("user_id")) == str(admin_id)

    agent_id = add_user(live_server.app, "fuzz-agent@example.com", "agent", "Fuzz Agent")
    call_id = store_call(live_server.app, "ORD-FUZZ", agent_id=agent_id, chat=(("buyer", "hello"),))
    app = live_server.app
    with Session(app.state.engine) as db:
        link_id = db.get(Call, call_id).link_id
        photo = store_photo(
            db,
            app.state.storage,
            call_id,
            image_bytes("mjpeg"),
            t_ms=30_000,
            now=app.state.clock.now(),
            max_photos=app.state.settings.max_photos_per_call,
        )
    known = {
        "session_id": call_id,
        "photo_id": str(photo.id),  # a file route: ranges, 206 and 416
        "link_id": str(link_id),
        "user_id": str(agent_id),
    }
    failures: list[str] = []
    with_key = _fuzz(live_server, schema, "apiKey", key_headers, own_key, failures, known)
    with_cookie = _fuzz(
        live_server,
        schema,
        "staffSession",
        cookie_headers,
        lambda c: own_key(c) or own_user(c),
        failures,
        known,
    )
    wall_s = time.monotonic() - started
    print(
        f"\nopenapi fuzz: {with_key} requests with the API key, {with_cookie} with the "
        f"staff cookie, {with_key + with_cookie} in {wall_s:.1f} s"
    )
    assert with_key > 0 and with_cookie > 0
    assert not failures, f"{len(failures)} mismatches:\n" + "\n\n".join(failures)
