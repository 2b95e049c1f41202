"""``GET /api/audit``: the audit log: who viewed which recording, photo or chat, and who
changed accounts, revoked links, held, erased, exported or purged what (admins only)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from server.api.deps import DB_ID_MAX, Admin, DbDep
from server.api.sessions.paging import PageNumber, PerPage
from server.evidence import audit
from server.models.evidence import AuditEntryPublic

AuditAction = Literal[audit.AUDIT_ACTIONS]  # type: ignore[valid-type]

router = APIRouter(tags=["sessions"])  # and "audit" on the route: listed under both


class AuditList(BaseModel):
    items: list[AuditEntryPublic]
    total: int
    page: int
    per_page: int


@router.get("/api/audit", response_model=AuditList, tags=["audit"])
def list_audit(
    principal: Admin,
    db: DbDep,
    user_id: Annotated[int | None, Query(ge=1, le=DB_ID_MAX)] = None,
    call_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    action: Annotated[AuditAction | None, Query()] = None,
    page: PageNumber = 1,
    per_page: PerPage = 50,
) -> AuditList:
    """The audit log, newest first, filtered by actor, call or action. Admins only."""
    items, total = audit.list_audit(
        db, user_id=user_id, call_id=call_id, action=action, page=page, per_page=per_page
    )
    return AuditList(items=items, total=total, page=page, per_page=per_page)
