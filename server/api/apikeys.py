"""Integration API keys for admins: ``/api/apikeys`` (list, create, revoke). The key itself
is in the creation's answer only; afterwards only its prefix is shown."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from server.accounts import apikeys
from server.api.deps import DB_ID_MAX, Admin, ClockDep, DbDep
from server.evidence import audit
from server.models.apikey import API_KEY_SCOPES, DEFAULT_API_KEY_SCOPES, ApiKeyPublic
from server.models.text import LineStr

router = APIRouter(tags=["apikeys"])

Scope = Literal[
    "links:write", "links:read", "calls:read", "calls:chat", "recordings:read", "webhooks:write"
]
assert set(Scope.__args__) == set(API_KEY_SCOPES)  # type: ignore[attr-defined]
ApiKeyId = Annotated[int, Path(ge=1, le=DB_ID_MAX, description="an API key's id")]


class ApiKeyCreateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: LineStr = Field(min_length=1, max_length=apikeys.API_KEY_NAME_MAX_CHARS)
    scopes: list[Scope] = Field(
        default=list(DEFAULT_API_KEY_SCOPES),
        min_length=1,
        description="links:write (create links, revoke the key's own), links:read (list "
        "links), calls:read (list calls, read one without its chat), calls:chat (a call's "
        "chat lines too), recordings:read (a call's recordings and photos, audited), "
        "webhooks:write (webhook endpoints and their delivery logs)",
    )
    expires_in_s: StrictInt | None = Field(
        default=None,
        ge=1,
        le=apikeys.API_KEY_TTL_MAX_S,
        description="seconds from now; null: the key does not expire",
    )


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="the key itself: shown in this answer only")


class ApiKeyList(BaseModel):
    items: list[ApiKeyPublic]


@router.get("/api/apikeys", response_model=ApiKeyList)
def list_api_keys(principal: Admin, db: DbDep, clock: ClockDep) -> ApiKeyList:
    """Every key, oldest first, with its status; never the key nor its hash. Admins only."""
    now = clock.now()
    return ApiKeyList(items=[ApiKeyPublic.from_row(k, now) for k in apikeys.list_api_keys(db)])


@router.post("/api/apikeys", status_code=201, response_model=ApiKeyCreated)
def create_api_key(
    body: ApiKeyCreateIn, principal: Admin, db: DbDep, clock: ClockDep
) -> ApiKeyCreated:
    """Create a key; the answer carries the key itself, shown only this once. Admins only."""
    now = clock.now()
    row, key = apikeys.create_api_key(
        db, body.name, now, scopes=body.scopes, expires_in_s=body.expires_in_s
    )
    audit.api_key_changed(db, audit.AUDIT_APIKEY_CREATED, row, now, principal.user_id)
    return ApiKeyCreated(**ApiKeyPublic.from_row(row, now).model_dump(), key=key)


@router.delete("/api/apikeys/{key_id}", status_code=204)
def revoke_api_key(key_id: ApiKeyId, principal: Admin, db: DbDep, clock: ClockDep) -> Response:
    """Revoke a key (idempotent): it gets the same 401 as an unknown key from then on.
    Admins only; 404 for an unknown id."""
    row = apikeys.revoke_api_key(db, key_id, clock.now())
    audit.api_key_changed(db, audit.AUDIT_APIKEY_REVOKED, row, clock.now(), principal.user_id)
    return Response(status_code=204)
