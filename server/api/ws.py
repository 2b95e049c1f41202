"""WebSocket ``/ws``: the thin adapter between sockets and the signaling core.

Authenticated by the cookie on the upgrade (staff session or buyer call cookie;
``?as=buyer`` or ``?as=staff`` picks one when a browser has both; ``?as=camera`` with the
phone camera's one-use pass cookie: the agent's phone as the call's camera), Origin-checked,
``hello`` required within the configured deadline. Protocol: signaling/PROTOCOL.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from server.accounts.users import resolve_session
from server.api.deps import BUYER_COOKIE, CAMERA_COOKIE, SESSION_COOKIE
from server.api.sessions.inspection_live import tell_joined
from server.calls.ids import wire_id
from server.calls.media import MediaRefused
from server.calls.outbox import Close
from server.calls.phone_camera import CameraPass
from server.calls.rtc_config import log_ice_error
from server.errors import TooMany
from server.links.buyer_links import calls_made, resolve_buyer_device
from signaling import (
    Effects,
    Forbidden,
    LinkInfo,
    ProtocolError,
    SignalingError,
    parse_client_message,
)
from signaling.messages import (
    MAX_MESSAGE_BYTES,
    Answer,
    CameraPhotoFailed,
    Candidate,
    Consent,
    ErrorReply,
    IceError,
    Offer,
    PhoneCameraPhoto,
    PhoneCameraStop,
    Ping,
    Pong,
    QualityReport,
    SendPhrase,
    Welcome,
    require_hello,
)
from signaling.vocabulary import CloseCode

log = logging.getLogger("showdesk.ws")
router = APIRouter()


@dataclass(frozen=True)
class StaffIdentity:
    user_id: int
    name: str
    role: str
    session_token: str
    locale: str = "en"  # the staff pages' language: what quick phrases read as


@dataclass(frozen=True)
class BuyerIdentity:
    link: LinkInfo
    device: str  # the call cookie's id: one per device that opened the link


def origin_allowed(websocket: WebSocket) -> bool:
    """True for no Origin (not a browser), the request's own host, the public URL's origin
    and the configured extra origins."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    settings = websocket.app.state.settings
    parts = urlsplit(settings.public_url)
    allowed = {f"{parts.scheme}://{parts.netloc}", *settings.allowed_origins}
    host = websocket.headers.get("host", "")
    allowed.update({f"http://{host}", f"https://{host}"})
    return origin.rstrip("/") in allowed


def _identify(websocket: WebSocket, wanted: str | None) -> StaffIdentity | BuyerIdentity | None:
    app = websocket.app
    now = app.state.clock.now()
    staff_token = websocket.cookies.get(SESSION_COOKIE)
    buyer_token = websocket.cookies.get(BUYER_COOKIE)
    with Session(app.state.engine, expire_on_commit=False) as db:
        if staff_token and wanted != "buyer":
            settings = app.state.settings
            user = resolve_session(
                db, staff_token, now, settings.staff_idle_timeout_s, settings.session_max_age_s
            )
            if user is not None and not user.must_change_password:
                return StaffIdentity(user.id, user.name, str(user.role), staff_token, user.locale)
            if wanted == "staff":
                return None
        if buyer_token and wanted != "staff":
            found = resolve_buyer_device(db, buyer_token, now)
            if found is not None:
                link, device = found
                info = LinkInfo(
                    link_id=wire_id(link.id),
                    order_ref=link.order_ref,
                    purpose=link.purpose,
                    locale=link.locale or "",
                    buyer_name=link.buyer_name or "",
                    expires_at=link.expires_at.timestamp(),
                    max_calls=link.max_calls or app.state.settings.max_calls_per_link,
                    calls_made=calls_made(db, link.id),
                    order=link.order,
                )
                return BuyerIdentity(info, wire_id(device))
    return None


@router.websocket("/ws")
async def signaling_socket(websocket: WebSocket) -> None:
    """One participant's signaling connection (see signaling/PROTOCOL.md)."""
    await websocket.accept()
    if not websocket.app.state.calls.accepting:
        await websocket.close(CloseCode.SERVER_STOPPING, "server stopping")
        return
    limits = websocket.app.state.rate_limits
    address = websocket.client.host if websocket.client else "unknown"
    try:
        limits.socket_opened(address)
    except TooMany:
        await websocket.close(CloseCode.TRY_LATER, "too many connections")
        return
    if not origin_allowed(websocket):
        await websocket.close(CloseCode.POLICY, "origin not allowed")
        return
    wanted = websocket.query_params.get("as")
    if wanted == "camera":
        token = websocket.cookies.get(CAMERA_COOKIE)
        grant = websocket.app.state.calls.phone_cameras.redeem(token) if token else None
        if grant is None:
            await websocket.close(CloseCode.POLICY, "not signed in")
            return
        await _camera_socket(websocket, grant, address)
        return
    identity = await run_in_threadpool(_identify, websocket, wanted)
    if identity is None:
        await websocket.close(CloseCode.POLICY, "not signed in")
        return
    desk = websocket.app.state.calls
    settings = websocket.app.state.settings
    try:
        first = await asyncio.wait_for(_receive(websocket), settings.hello_timeout_s)
    except (TimeoutError, WebSocketDisconnect):
        with contextlib.suppress(Exception):
            await websocket.close(CloseCode.POLICY, "no hello in time")
        return
    try:
        if first is None:
            return
        require_hello(parse_client_message(first))
    except SignalingError as exc:
        reply = ErrorReply.about(exc, "hello")
        await websocket.send_text(reply.to_json())
        await websocket.close(CloseCode.POLICY, exc.code)
        return

    conn_id = desk.new_connection_id()

    async def close(code: int, reason: str) -> None:
        await websocket.close(code, reason)

    staff_token = identity.session_token if isinstance(identity, StaffIdentity) else None
    desk.attach(conn_id, websocket.send_text, close, staff_session=staff_token)
    if isinstance(identity, StaffIdentity):
        kind, key, role = "staff", wire_id(identity.user_id), identity.role
        effects = desk.switchboard.connect_staff(
            conn_id, key, identity.name, identity.role, identity.locale
        )
    else:
        kind, key, role = "buyer", identity.device, "buyer"
        effects = desk.switchboard.connect_buyer(conn_id, identity.link, identity.device)
    await desk.apply(effects)
    welcomed = _welcomed_call(effects, conn_id)
    desk.send(conn_id, desk.rtc.welcomed(conn_id, kind, key, welcomed))
    if welcomed is not None:
        await tell_joined(websocket.app, conn_id, welcomed)
        if kind == "staff":
            desk.console_joined(conn_id, welcomed)
    try:
        while True:
            raw = await _receive(websocket)
            if raw is None:
                break
            try:
                limits.message(conn_id, address)
            except TooMany as exc:
                desk.send(conn_id, ErrorReply.about(exc))
                continue
            try:
                message = parse_client_message(raw)
                if isinstance(message, Offer):
                    session_id, side = desk.switchboard.media_leg(conn_id)
                    sdp = await desk.media.offer(conn_id, session_id, side, message.sdp)
                    desk.send(conn_id, Answer(sdp=sdp))
                elif isinstance(message, Candidate):
                    desk.switchboard.media_leg(conn_id)
                    init = message.candidate.model_dump() if message.candidate else None
                    await desk.media.candidate(conn_id, init)
                elif isinstance(message, Consent):
                    purpose = identity.link.purpose if isinstance(identity, BuyerIdentity) else None
                    await desk.consent(conn_id, purpose, message)
                elif isinstance(message, SendPhrase):
                    await desk.send_phrase(conn_id, message)
                elif isinstance(message, QualityReport):
                    await desk.quality_report(conn_id, message)
                elif isinstance(message, IceError):
                    log_ice_error(conn_id, role, message)
                elif isinstance(message, PhoneCameraStop):
                    await desk.stop_phone_camera(conn_id, message)
                elif isinstance(message, PhoneCameraPhoto):
                    desk.phone_photo(conn_id, message)
                else:
                    await desk.apply(desk.switchboard.handle(conn_id, message))
            except MediaRefused as exc:
                desk.send(conn_id, ErrorReply.about(exc, message.type))
            except ProtocolError as exc:
                if exc.code == "too_large":
                    await websocket.close(CloseCode.TOO_BIG, "message too big")
                    break
                await desk.apply_error(conn_id, exc, exc.message_type)
            except SignalingError as exc:
                await desk.apply_error(conn_id, exc, getattr(message, "type", None))
    except WebSocketDisconnect:
        pass
    finally:
        await desk.detach(conn_id)


async def _camera_socket(websocket: WebSocket, grant: CameraPass, address: str) -> None:
    """The agent's phone as the call's camera: ``hello``, then ``camera_welcome`` and
    ``rtc_config``; it sends ``offer``, ``candidate``, ``ping``, ``ice_error`` and
    ``camera_photo_failed`` only."""
    desk = websocket.app.state.calls
    limits = websocket.app.state.rate_limits
    try:
        deadline_s = websocket.app.state.settings.hello_timeout_s
        first = await asyncio.wait_for(_receive(websocket), deadline_s)
    except (TimeoutError, WebSocketDisconnect):
        with contextlib.suppress(Exception):
            await websocket.close(CloseCode.POLICY, "no hello in time")
        return
    try:
        if first is None:
            return
        require_hello(parse_client_message(first))
    except SignalingError as exc:
        await websocket.send_text(ErrorReply.about(exc, "hello").to_json())
        await websocket.close(CloseCode.POLICY, exc.code)
        return
    conn_id = desk.new_connection_id()

    async def close(code: int, reason: str) -> None:
        await websocket.close(code, reason)

    desk.attach(conn_id, websocket.send_text, close)
    try:
        if not desk.camera_joined(conn_id, grant):
            desk.send(conn_id, ErrorReply(code="call_ended", message="The call is over"))
            desk.outboxes.put(conn_id, Close(CloseCode.NORMAL, "call ended"))
        while True:
            raw = await _receive(websocket)
            if raw is None:
                break
            message = None
            try:
                limits.message(conn_id, address)
                message = parse_client_message(raw)
                if isinstance(message, Offer):
                    sdp = await desk.camera_offer(conn_id, message.sdp)
                    desk.send(conn_id, Answer(sdp=sdp))
                elif isinstance(message, Candidate):
                    init = message.candidate.model_dump() if message.candidate else None
                    await desk.media.candidate(conn_id, init)
                elif isinstance(message, Ping):
                    desk.send(conn_id, Pong())
                elif isinstance(message, IceError):
                    log_ice_error(conn_id, "agent_camera", message)
                elif isinstance(message, CameraPhotoFailed):
                    desk.phone_photo_failed(conn_id, message)
                else:
                    raise Forbidden(f'A phone camera may not send "{message.type}"')
            except (TooMany, MediaRefused) as exc:
                desk.send(conn_id, ErrorReply.about(exc, getattr(message, "type", None)))
            except ProtocolError as exc:
                if exc.code == "too_large":
                    await websocket.close(CloseCode.TOO_BIG, "message too big")
                    break
                desk.send(conn_id, ErrorReply.about(exc, exc.message_type))
            except SignalingError as exc:
                desk.send(conn_id, ErrorReply.about(exc, getattr(message, "type", None)))
    except WebSocketDisconnect:
        pass
    finally:
        await desk.camera_left(conn_id)


def _welcomed_call(effects: Effects, conn_id: str) -> str | None:
    """The session id of the call ``welcome`` named to ``conn_id`` (None: none)."""
    for to, message in effects.messages:
        if to == conn_id and isinstance(message, Welcome) and message.call is not None:
            return message.call.session_id
    return None


async def _receive(websocket: WebSocket) -> str | bytes | None:
    """The next text or binary frame; None once the socket is closed."""
    event = await websocket.receive()
    if event["type"] == "websocket.disconnect":
        return None
    text = event.get("text")
    if text is not None:
        return text
    data = event.get("bytes") or b""
    return data if len(data) <= MAX_MESSAGE_BYTES else data[: MAX_MESSAGE_BYTES + 1]
