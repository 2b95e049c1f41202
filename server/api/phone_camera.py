"""The agent's phone as the call's camera ("Use my phone as the camera").

``POST /api/sessions/{session_id}/phone-camera``: the agent of that live call gets a short
code and a QR code of ``<public URL>/camera#<code>`` (the code in the fragment, which
browsers never send, so it reaches no access log). ``POST /api/phone-camera/claim``: the
phone's camera page sends the code in the body and gets a one-use pass cookie for one
signaling socket (``/ws?as=camera``). Both are audited; the code is never logged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import segno
from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from server.api.deps import (
    CAMERA_COOKIE,
    CallOwnAgent,
    ClockDep,
    DbDep,
    SettingsDep,
    check_staff_csrf,
    client_address,
    staff_user,
)
from server.calls.phone_camera import MAX_CODE_CHARS, PASS_TTL_S
from server.errors import Conflict
from server.evidence import audit
from server.models.user import User

router = APIRouter(tags=["phone camera"])


class CodeOut(BaseModel):
    code: str = Field(description="the short code, to type on the phone's `/camera` page")
    url: str = Field(description="what the QR code opens: `/camera#<code>`")
    expires_at: datetime = Field(description="until when the code can be used, once")
    qr_svg: str = Field(description="the QR code of `url`, as an SVG document")


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: StrictStr = Field(min_length=1, max_length=MAX_CODE_CHARS)


class ClaimOut(BaseModel):
    session_id: str = Field(description="the call the phone films for")
    socket: str = Field(description="where the phone's signaling socket connects")


@router.post(
    "/api/sessions/{session_id}/phone-camera",
    status_code=201,
    response_model=CodeOut,
    responses={409: {"description": "the call is not live with you at a connected console"}},
)
def new_code(
    access: CallOwnAgent, request: Request, db: DbDep, clock: ClockDep, settings: SettingsDep
) -> CodeOut:
    """A code for the agent's own phone, for this call: single use, valid
    `SHOWDESK_PHONE_CAMERA_CODE_TTL_S` seconds (300 by default); a new one replaces it."""
    user = access.principal.user
    assert user is not None and user.id is not None
    issued = request.app.state.calls.phone_camera_code(access.call.id, user.id)
    if issued is None:
        raise Conflict("The call is not live with you at your console", code="not_live")
    code, expires_at = issued
    url = f"{settings.public_url.rstrip('/')}/camera#{code}"
    audit.action_done(
        db,
        audit.AUDIT_PHONE_CAMERA_CODE,
        clock.now(),
        user_id=user.id,
        call_id=access.call.id,
    )
    db.commit()
    qr = segno.make(url, error="m")
    svg = qr.svg_inline(scale=6, border=2, dark="#111", light="#fff")
    return CodeOut(
        code=code,
        url=url,
        expires_at=datetime.fromtimestamp(expires_at, UTC),
        qr_svg=svg,
    )


def _signed_in_or_not(request: Request, db: DbDep, clock: ClockDep) -> tuple[User, str] | None:
    """The staff user this browser is signed in as, if any; a signed-in browser's
    state-changing request carries its session's CSRF token, as everywhere (checked
    before the body is)."""
    found = staff_user(request, db, clock)
    if found is not None:
        check_staff_csrf(request, found[1])
    return found


SignedInOrNot = Annotated[tuple[User, str] | None, Depends(_signed_in_or_not)]


@router.post(
    "/api/phone-camera/claim",
    response_model=ClaimOut,
    responses={
        403: {"description": "a signed-in browser without its session's CSRF token"},
        404: {"description": "the code is unknown, expired, used or another agent's"},
        429: {"description": "too many codes tried from this address"},
    },
)
def claim(
    signed_in: SignedInOrNot,
    body: ClaimIn,
    request: Request,
    response: Response,
    db: DbDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> ClaimOut:
    """The phone's camera page uses the code (once). A browser signed in as another
    staff member than the code's agent is refused like a wrong code. Sets the
    `showdesk_camera` cookie: a pass for one signaling socket within a minute. A signed-in
    browser sends its session's CSRF token (403 `csrf_failed` otherwise); a phone that is
    not signed in has no session to forge."""
    request.app.state.rate_limits.camera_code_tried(client_address(request))
    user_id = signed_in[0].id if signed_in is not None else None
    grant, token = request.app.state.calls.phone_cameras.claim(body.code, user_id)
    audit.action_done(
        db,
        audit.AUDIT_PHONE_CAMERA_CLAIMED,
        clock.now(),
        user_id=grant.agent_id,
        call_id=grant.session_id,
    )
    db.commit()
    response.set_cookie(
        CAMERA_COOKIE,
        token,
        max_age=int(PASS_TTL_S),
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/ws",
    )
    return ClaimOut(session_id=grant.session_id, socket="/ws?as=camera")
