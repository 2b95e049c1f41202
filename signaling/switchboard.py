"""The switchboard: a sans-I/O hub of connections, the queue, agents and calls.

It never touches a socket or a database. The WebSocket adapter feeds it inputs
(:meth:`Switchboard.connect_staff`, :meth:`~Switchboard.connect_buyer`,
:meth:`~Switchboard.disconnect`, :meth:`~Switchboard.handle`, :meth:`~Switchboard.tick`,
:meth:`~Switchboard.revoke_link`, :meth:`~Switchboard.end_call`,
:meth:`~Switchboard.end_all`) and carries out the returned :class:`Effects` in order:
send each message, close each connection, persist each :class:`CallEvent` (upsert the
snapshot, append the timeline event).

Inputs raise only :class:`~signaling.errors.SignalingError` subclasses; when one is raised
nothing has changed and no effect is due (the adapter replies with an ``error`` message).

Presence rules:

* Staff roles ``agent`` and ``admin`` take calls; ``supervisor`` only watches the queue.
  A call-taker is ``away`` on connect, ``busy`` while in a call and ``available`` again
  when the call ends. "Agents online" counts connected call-takers whatever their
  availability; "agents available" counts those ``available``.
* One connection per staff user and per buyer link: a newer one supersedes the older
  (staff: close 4001 "superseded"; buyer: ``moved`` then close 4002 "moved").
* A call is bound to the buyer's device (its call cookie) that consented. Another device
  opening the link during the call does not take it over: it waits (``device_pending``)
  while the agent is asked (``device_request``); ``admit_device`` moves the call to it
  (the old page gets ``moved``), a refusal closes it 4005. Only the newest such device
  waits; one that waits when the call ends is closed 4005 too (it may then start anew).
  Connections without a device (``device=""``) are not bound.
* A participant whose connection drops during a live call has ``reconnect_grace_s`` to
  come back (call ``reconnecting``); a waiting buyer who drops leaves the queue.
* Each side's last camera and microphone state (``media``) is kept: a page that connects
  to the call (a reload, the agent answering) is told the other side's at once.

Video codec rules (the relay decides, from the offers; see ``server/relay/codecs.py``):

* The first leg's offer fixes the call's video codec (:meth:`Switchboard.video_codec_agreed`);
  pages read it in the call view.
* A side whose browser offers none of the call's codecs (:meth:`Switchboard.no_common_codec`):
  both participants get ``no_common_codec``, and the call ends ``no_common_codec``
  ``no_common_codec_grace_s`` later, unless that side comes back with an offer in the
  call's codec first.

Link rules:

* A link starts at most ``LinkInfo.max_calls`` calls (declined ones included), none after
  ``LinkInfo.expires_at``, and at most ``consents_per_link_per_minute`` in any minute.
* A waiting call ends ``queue_timeout`` after ``max_wait_s``, or ``link_expired`` when its
  link expires first.
* A revoked link is refused for ``REVOKED_MEMORY_S`` (the adapter's own check of the
  database covers the time after; this only closes the race of a socket that was being
  opened while the link was revoked).
"""

from __future__ import annotations

import itertools
import math
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .call import (
    Call,
    CallSnapshot,
    CallState,
    Clock,
    ConsentRecord,
    EndReason,
    EventKind,
    LinkInfo,
    TimelineEvent,
)
from .errors import (
    Conflict,
    Forbidden,
    InvalidState,
    LinkUnusable,
    NotFound,
    QueueFull,
    TooMany,
)
from .locales import DEFAULT_LOCALE, staff_locale, text_for
from .messages import (
    Accept,
    AcceptNext,
    AdmitDevice,
    AvailabilityUpdate,
    CallUpdate,
    CallView,
    CameraAnswer,
    CameraAsk,
    CameraReply,
    CameraRequest,
    Candidate,
    Capture,
    ChatPosted,
    ClientMessage,
    Consent,
    DevicePending,
    DeviceRequest,
    End,
    Hello,
    InspectionChanged,
    InspectionClip,
    InspectionItemState,
    MediaState,
    Moved,
    NoCommonCodec,
    Offer,
    PeerMedia,
    PhotoTaken,
    Ping,
    Pong,
    PositionUpdate,
    ProductCard,
    QualityReport,
    QueueItem,
    QueueUpdate,
    SendChat,
    SendPhrase,
    SendProductCard,
    ServerMessage,
    SetAvailability,
    TakePhoto,
    Welcome,
)
from .vocabulary import CloseCode

HANDLE_TIME_WINDOW = 20  # how many recent answered calls the average handle time uses
REVOKED_MEMORY_S = 300.0  # a revoked link is refused here this long (then by the database)
LINK_MEMORY_S = 60.0  # a link nobody uses is forgotten after this (its calls are stored)
MAX_OPEN_CAMERA_REQUESTS = 8  # per call; an older unanswered one is forgotten for a new one

CALL_TAKING_ROLES = frozenset({"agent", "admin"})
STAFF_ROLES = frozenset({"agent", "supervisor", "admin"})

ConnId = str
Side = Literal["buyer", "agent"]


@dataclass(frozen=True)
class CallEvent:
    """A call changed: persist ``call`` (upsert by session_id) and append ``event``."""

    call: CallSnapshot
    event: TimelineEvent


@dataclass
class Effects:
    """What the adapter must do after an input, in order."""

    messages: list[tuple[ConnId, ServerMessage]] = field(default_factory=list)
    closes: list[tuple[ConnId, int, str]] = field(default_factory=list)
    events: list[CallEvent] = field(default_factory=list)

    def send(self, conn_id: ConnId | None, msg: ServerMessage) -> None:
        if conn_id is not None:
            self.messages.append((conn_id, msg))

    def to(self, conn_id: ConnId) -> list[ServerMessage]:
        """The messages for one connection (convenient in tests and logs)."""
        return [msg for cid, msg in self.messages if cid == conn_id]


@dataclass(frozen=True)
class StaffView:
    """Read-only view of a staff member known to the switchboard."""

    user_id: str
    name: str
    role: str
    conn_id: ConnId | None
    availability: str | None  # available | away | busy; None for supervisors
    call_id: str | None


@dataclass(frozen=True)
class Presence:
    """Who could answer a buyer who joins the line now (read-only, for the buyer page)."""

    agents_online: int  # connected call-takers, whatever their availability
    agents_available: int  # of those, ready for a call
    agents_busy: int  # of those, in a call (they become available when it ends)
    queue_length: int  # buyers waiting now
    expected_wait_s: int | None  # for one more buyer; None when nobody takes calls


@dataclass
class _Staff:
    user_id: str
    name: str
    role: str
    conn_id: ConnId | None
    availability: Literal["available", "away"] = "away"
    call_id: str | None = None
    locale: str = DEFAULT_LOCALE  # the staff pages' language: what quick phrases read as

    @property
    def takes_calls(self) -> bool:
        return self.role in CALL_TAKING_ROLES

    @property
    def status(self) -> Literal["available", "away", "busy"] | None:
        if self.call_id is not None:
            return "busy"
        return self.availability if self.takes_calls else None


@dataclass
class _LinkUse:
    """What the switchboard remembers of a link between calls."""

    calls_made: int
    consents: deque[float] = field(default_factory=deque)  # clock times, last minute only
    last_seen: float = 0.0


@dataclass
class _Buyer:
    link: LinkInfo
    conn_id: ConnId | None
    call_id: str | None = None
    device: str = ""  # the device of ``conn_id``
    call_device: str = ""  # the device the current call is bound to
    pending: tuple[ConnId, str] | None = None  # another device waiting to be admitted


def _default_ids() -> str:
    return uuid.uuid4().hex


class Switchboard:
    """Queue, presence and calls of one signaling node. Not thread-safe; one owner."""

    def __init__(
        self,
        clock: Clock,
        new_id: Callable[[], str] = _default_ids,
        *,
        reconnect_grace_s: float,
        max_call_duration_s: float,
        default_handle_time_s: float,
        max_queue_length: int,
        max_wait_s: float,
        consents_per_link_per_minute: int,
        no_common_codec_grace_s: float,
    ) -> None:
        self._clock = clock
        self._new_id = new_id
        self.reconnect_grace_s = reconnect_grace_s
        self.max_call_duration_s = max_call_duration_s
        self.default_handle_time_s = default_handle_time_s
        self.max_queue_length = max_queue_length
        self.max_wait_s = max_wait_s
        self.consents_per_link_per_minute = consents_per_link_per_minute
        self.no_common_codec_grace_s = no_common_codec_grace_s
        self._conns: dict[ConnId, tuple[str, str]] = {}  # conn -> ("staff", user) | ("buyer", link)
        self._staff: dict[str, _Staff] = {}
        self._buyers: dict[str, _Buyer] = {}
        self._calls: dict[str, Call] = {}  # active calls only
        self._queue: list[str] = []  # waiting session ids, oldest first
        self._handle_times: deque[float] = deque(maxlen=HANDLE_TIME_WINDOW)
        self._revoked: dict[str, float] = {}  # link id -> when it was revoked
        self._links: dict[str, _LinkUse] = {}
        self._camera_requests: dict[str, dict[int, CameraRequest]] = {}  # call -> id -> ask
        self._camera_request_ids = itertools.count(1)

    # ------------------------------------------------------------------ inspection

    def call(self, session_id: str) -> CallSnapshot | None:
        """Snapshot of an active call, or None (ended calls are forgotten)."""
        call = self._calls.get(session_id)
        return call.snapshot() if call else None

    def active_calls(self) -> list[CallSnapshot]:
        return [call.snapshot() for call in self._calls.values()]

    def queued(self) -> list[str]:
        """Waiting session ids, oldest first."""
        return list(self._queue)

    def staff(self) -> list[StaffView]:
        return [
            StaffView(s.user_id, s.name, s.role, s.conn_id, s.status, s.call_id)
            for s in self._staff.values()
        ]

    def connections(self) -> dict[ConnId, tuple[str, str]]:
        """Open connections: conn_id -> ("staff", user_id) or ("buyer", link_id)."""
        return dict(self._conns)

    def average_handle_time_s(self) -> float:
        """Mean duration of recently ended answered calls (default until there are any)."""
        if not self._handle_times:
            return self.default_handle_time_s
        return sum(self._handle_times) / len(self._handle_times)

    def next_deadline(self) -> float | None:
        """Earliest clock time at which :meth:`tick` will end a call, or None."""
        deadlines: list[float] = []
        for call in self._calls.values():
            if call.state is CallState.RECONNECTING and call.absent:
                deadlines.append(min(call.absent.values()) + self.reconnect_grace_s)
            if call.answered_at is not None:
                deadlines.append(call.answered_at + self.max_call_duration_s)
            if call.codec_missing:
                deadlines.append(min(call.codec_missing.values()))
            if call.state is CallState.WAITING:
                deadlines.append(call.created_at + self.max_wait_s)
                if call.link.expires_at is not None:
                    deadlines.append(call.link.expires_at)
        return min(deadlines, default=None)

    # ------------------------------------------------------------------ connections

    def connect_staff(
        self, conn_id: ConnId, user_id: str, name: str, role: str, locale: str = DEFAULT_LOCALE
    ) -> Effects:
        """A signed-in staff member completed ``hello`` on ``conn_id``; ``locale`` is their
        page language (a staff locale, else English), the language of their quick phrases.

        Sends ``welcome`` (with the current call, if the user is in one) and ``queue``.
        An older connection of the same user is closed 4001 "superseded"; a call the
        user was gone from resumes. Raises Forbidden for an unknown role, Conflict if
        ``conn_id`` is already in use.
        """
        if role not in STAFF_ROLES:
            raise Forbidden(f'Role "{role}" may not connect as staff')
        self._require_new_conn(conn_id)
        fx = Effects()
        staff = self._staff.get(user_id)
        if staff is None:
            staff = _Staff(user_id=user_id, name=name, role=role, conn_id=conn_id)
            self._staff[user_id] = staff
        else:
            if staff.conn_id is not None:
                self._conns.pop(staff.conn_id, None)
                fx.closes.append((staff.conn_id, CloseCode.SUPERSEDED, "superseded"))
                if staff.call_id is not None:
                    call = self._calls[staff.call_id]
                    self._emit(fx, call, call.record(EventKind.MOVED, {"side": "agent"}))
            staff.conn_id = conn_id
            staff.name = name
            staff.role = role
        staff.locale = staff_locale(locale)
        self._conns[conn_id] = ("staff", user_id)
        call = self._calls.get(staff.call_id) if staff.call_id else None
        welcome = Welcome.model_validate(
            {
                "role": role,
                "name": name,
                "call": self._view(call),
                "availability": staff.status,
                "order": call.link.order if call is not None else None,
            }
        )
        fx.send(conn_id, welcome)
        if call is not None:
            self._returned(fx, call, "agent")
            self._tell_call_media(fx, call, "agent", conn_id)
        if staff.takes_calls:
            self._broadcast(fx)  # agents online changed: everybody's figures move
        else:
            fx.send(conn_id, self._queue_update())
        return fx

    def connect_buyer(self, conn_id: ConnId, link: LinkInfo, device: str = "") -> Effects:
        """A buyer with a valid call cookie for ``link`` completed ``hello``; ``device``
        names the cookie (one per device that opened the link).

        Sends ``welcome`` (``call`` is the link's active call, else null: the buyer must
        then send ``consent``). An older connection of the link gets ``moved`` and is
        closed 4002 "moved"; a reconnecting call resumes. A device other than the call's
        waits for the agent instead (see the module docstring). Raises Forbidden for a
        revoked link, Conflict if ``conn_id`` is already in use.
        """
        if link.link_id in self._revoked:
            raise Forbidden(f'Link "{link.link_id}" was revoked')
        self._require_new_conn(conn_id)
        use = self._links.setdefault(link.link_id, _LinkUse(calls_made=link.calls_made))
        use.calls_made = max(use.calls_made, link.calls_made)
        use.last_seen = self._clock()
        fx = Effects()
        buyer = self._buyers.get(link.link_id)
        if buyer is None:
            buyer = _Buyer(link=link, conn_id=conn_id, device=device)
            self._buyers[link.link_id] = buyer
        elif buyer.call_id is not None and buyer.call_device and device != buyer.call_device:
            return self._device_waits(fx, buyer, conn_id, device)
        else:
            if buyer.conn_id is not None:
                old = buyer.conn_id
                self._conns.pop(old, None)
                fx.send(old, Moved())
                fx.closes.append((old, CloseCode.MOVED, "moved"))
                if buyer.call_id is not None:
                    call = self._calls[buyer.call_id]
                    self._emit(fx, call, call.record(EventKind.MOVED, {"side": "buyer"}))
            buyer.conn_id = conn_id
            buyer.device = device
        self._conns[conn_id] = ("buyer", link.link_id)
        call = self._calls.get(buyer.call_id) if buyer.call_id else None
        fx.send(conn_id, Welcome(role="buyer", name=link.buyer_name, call=self._view(call)))
        if call is not None:
            self._returned(fx, call, "buyer")
            self._tell_call_media(fx, call, "buyer", conn_id)
            if call.state is CallState.WAITING:
                fx.send(conn_id, self._position_update(call))
        return fx

    def disconnect(self, conn_id: ConnId) -> Effects:
        """``conn_id`` is gone (closed by either side). Unknown ids are a no-op.

        A waiting buyer leaves the queue (``buyer_left_queue``); a participant of a live
        call makes it ``reconnecting``; a staff member not in a call goes offline.
        """
        fx = Effects()
        who = self._conns.pop(conn_id, None)
        if who is None:
            return fx
        kind, key = who
        if kind == "pending":
            buyer = self._buyers.get(key)
            if buyer is not None and buyer.pending and buyer.pending[0] == conn_id:
                buyer.pending = None
                self._tell_agent(fx, buyer, pending=False)
            return fx
        if kind == "staff":
            staff = self._staff[key]
            staff.conn_id = None
            if staff.call_id is None:
                del self._staff[key]
            else:
                self._gone(fx, self._calls[staff.call_id], "agent")
            if staff.takes_calls:
                self._broadcast(fx)
        else:
            buyer = self._buyers[key]
            buyer.conn_id = None
            if key in self._links:
                self._links[key].last_seen = self._clock()
            if buyer.call_id is None:
                del self._buyers[key]
                return fx
            call = self._calls[buyer.call_id]
            if call.state is CallState.WAITING:
                self._end(fx, call, EndReason.BUYER_LEFT_QUEUE)
                self._broadcast(fx)
            else:
                self._gone(fx, call, "buyer")
        return fx

    # ------------------------------------------------------------------ messages

    def handle(self, conn_id: ConnId, msg: ClientMessage) -> Effects:
        """Apply one parsed client message from ``conn_id`` (after its ``hello``).

        Raises (and changes nothing): NotFound for an unknown connection, session or an
        empty queue; Forbidden when the role may not send ``msg``; Conflict when the call
        is taken or the agent is busy; InvalidState when ``msg`` does not fit the
        sender's state (second hello, chat or end without a call, consent during a call,
        availability while busy).
        """
        who = self._conns.get(conn_id)
        if who is None:
            raise NotFound(f'Unknown connection "{conn_id}"')
        kind, key = who
        if isinstance(msg, Ping):
            fx = Effects()
            fx.send(conn_id, Pong())
            return fx
        if isinstance(msg, Hello):
            raise InvalidState('Cannot accept "hello": this connection already said hello')
        if isinstance(msg, Offer | Candidate | QualityReport):
            self.media_leg(conn_id)
            raise InvalidState(f'"{msg.type}" goes to the media plane, not the switchboard')
        if kind == "pending":
            raise InvalidState("This device waits for the agent to let it join the call")
        if isinstance(msg, MediaState):
            return self._media_state(conn_id, msg)
        if kind == "buyer":
            return self._handle_buyer(self._buyers[key], msg)
        return self._handle_staff(self._staff[key], msg)

    def _handle_buyer(self, buyer: _Buyer, msg: ClientMessage) -> Effects:
        call = self._calls.get(buyer.call_id) if buyer.call_id else None
        if isinstance(msg, Consent):
            if call is not None:
                raise InvalidState(f'Cannot consent: the call is already "{call.state}"')
            record = ConsentRecord(msg.accept, msg.locale, msg.consent_version, msg.timezone)
            return self._consent(buyer, record)
        if isinstance(msg, End):
            if call is None:
                raise InvalidState("Cannot end: no current call")
            fx = Effects()
            waiting = call.state is CallState.WAITING
            self._end(fx, call, EndReason.BUYER_LEFT_QUEUE if waiting else EndReason.BUYER_ENDED)
            self._broadcast(fx)  # the queue shrank, or an agent is available again
            return fx
        if isinstance(msg, SendChat):
            return self._chat(call, "buyer", buyer.link.buyer_name, msg.text)
        if isinstance(msg, CameraReply):
            return self._camera_reply(call, msg)
        raise Forbidden(f'A buyer may not send "{msg.type}"')

    # ------------------------------------------------------------------ quick phrases

    def phrase_call(self, conn_id: ConnId, session_id: str) -> CallSnapshot:
        """The live call ``conn_id`` may send a quick phrase to: its agent's own call.

        Raises NotFound (unknown connection), Forbidden (a buyer, or not this call's
        agent), InvalidState (the call is not live or reconnecting).
        """
        who = self._conns.get(conn_id)
        if who is None:
            raise NotFound(f'Unknown connection "{conn_id}"')
        kind, key = who
        if kind != "staff":
            raise Forbidden('A buyer may not send "phrase"')
        staff = self._staff[key]
        if staff.call_id != session_id or session_id not in self._calls:
            raise Forbidden(f'Only the agent of call "{session_id}" may send it a phrase')
        call = self._calls[session_id]
        if call.state not in (CallState.LIVE, CallState.RECONNECTING):
            raise InvalidState(f'Cannot send a phrase in call state "{call.state}"')
        return call.snapshot()

    def phone_camera_call(
        self, conn_id: ConnId, session_id: str, message_type: str = "phone_camera_stop"
    ) -> CallSnapshot:
        """The live call whose phone camera ``conn_id`` may stop (``phone_camera_stop``)
        or ask for a photo (``phone_camera_photo``): its agent's own call. Raises as
        :meth:`phrase_call`."""
        who = self._conns.get(conn_id)
        if who is None:
            raise NotFound(f'Unknown connection "{conn_id}"')
        kind, key = who
        if kind != "staff":
            raise Forbidden(f'A buyer may not send "{message_type}"')
        staff = self._staff[key]
        if staff.call_id != session_id or session_id not in self._calls:
            raise Forbidden(f'Only the agent of call "{session_id}" may use its phone camera')
        call = self._calls[session_id]
        if call.state not in (CallState.LIVE, CallState.RECONNECTING):
            raise InvalidState(f'Cannot use a phone camera in call state "{call.state}"')
        return call.snapshot()

    def live_agent(self, session_id: str, user_id: str) -> ConnId | None:
        """The connection of staff member ``user_id`` when they are the agent of the live
        (or reconnecting) call ``session_id`` and their console is connected; else None."""
        call = self._calls.get(session_id)
        if call is None or call.state not in (CallState.LIVE, CallState.RECONNECTING):
            return None
        if call.agent_id != user_id:
            return None
        staff = self._staff.get(user_id)
        if staff is None or staff.call_id != session_id or not staff.conn_id:
            return None
        return staff.conn_id

    def agent_camera_from_phone(self, session_id: str, phone: bool) -> Effects:
        """The agent's phone became the call's camera (``phone``) or stopped being it: the
        buyer is told the agent's camera is on while the phone films, and the console's own
        state once it stops (``media``). Nothing for a call that is not active."""
        fx = Effects()
        call = self._calls.get(session_id)
        if call is None:
            return fx
        camera, microphone = call.media.get("agent", (True, True))
        buyer = self._buyer_conn(call)
        if buyer is not None:
            fx.send(buyer, PeerMedia(side="agent", camera=camera or phone, microphone=microphone))
        return fx

    def post_phrase(self, conn_id: ConnId, msg: SendPhrase, texts: dict[str, str]) -> Effects:
        """The agent on ``conn_id`` sends quick phrase ``msg.phrase_id``, whose texts (locale
        -> text, English included) are ``texts``: a chat line the buyer gets in the call's
        consent locale and the agent (and the timeline) in the agent's locale, English
        where a text is missing. Raises as :meth:`phrase_call`."""
        snapshot = self.phrase_call(conn_id, msg.session_id)
        call = self._calls[snapshot.session_id]
        staff = self._staff[self._conns[conn_id][1]]
        agent_text = text_for(texts, staff.locale)
        buyer_text = text_for(texts, call.consent.locale)
        data = {
            "from": "agent",
            "name": staff.name,
            "text": agent_text,
            "phrase_id": msg.phrase_id,
            "buyer_text": buyer_text,
            "buyer_locale": call.consent.locale or DEFAULT_LOCALE,
        }
        event = call.record(EventKind.CHAT, data)
        fx = Effects()
        self._emit(fx, call, event)
        for conn, text in (
            (staff.conn_id, agent_text),
            (self._buyer_conn(call), buyer_text),
        ):
            fx.send(
                conn,
                ChatPosted(
                    session_id=call.session_id,
                    from_="agent",
                    name=staff.name,
                    text=text,
                    t_ms=event.t_ms,
                    phrase_id=msg.phrase_id,
                ),
            )
        return fx

    def set_staff_locale(self, user_id: str, locale: str) -> None:
        """Staff member ``user_id`` changed their page language: their next quick phrases
        read in it (a staff locale, else English). Unknown users are a no-op."""
        staff = self._staff.get(user_id)
        if staff is not None:
            staff.locale = staff_locale(locale)

    def _buyer_conn(self, call: Call) -> ConnId | None:
        buyer = self._buyers.get(call.link.link_id)
        if buyer is not None and buyer.call_id == call.session_id:
            return buyer.conn_id
        return None

    def _handle_staff(self, staff: _Staff, msg: ClientMessage) -> Effects:
        if isinstance(msg, Consent):
            raise Forbidden('Staff may not send "consent"')
        call = self._calls.get(staff.call_id) if staff.call_id else None
        if isinstance(msg, End):
            if call is None:
                raise InvalidState("Cannot end: no current call")
            fx = Effects()
            self._end(fx, call, EndReason.AGENT_ENDED)
            self._broadcast(fx)
            return fx
        if isinstance(msg, SendChat):
            return self._chat(call, "agent", staff.name, msg.text)
        if isinstance(msg, SendProductCard):
            return self._chat(call, "agent", staff.name, msg.card.as_text(), card=msg.card)
        if isinstance(msg, Capture):
            return self._capture(call)
        if isinstance(msg, CameraRequest):
            return self._camera_request(call, msg)
        if isinstance(msg, AdmitDevice):
            return self._admit_device(call, msg.admit)
        if isinstance(msg, SendPhrase):
            raise InvalidState('"phrase" needs its texts: use post_phrase')
        if not staff.takes_calls:
            raise Forbidden(f'Role "{staff.role}" may not send "{msg.type}"')
        if isinstance(msg, SetAvailability):
            if call is not None:
                raise InvalidState('Cannot set availability while "busy"')
            fx = Effects()
            staff.availability = msg.state
            fx.send(staff.conn_id, AvailabilityUpdate(state=msg.state))
            self._broadcast(fx)
            return fx
        if isinstance(msg, Accept | AcceptNext):
            if call is not None:
                raise Conflict(f'Already in call "{call.session_id}"')
            if isinstance(msg, AcceptNext):
                if not self._queue:
                    raise NotFound("The queue is empty")
                target = self._calls[self._queue[0]]
            else:
                found = self._calls.get(msg.session_id)
                if found is None:
                    raise NotFound(f'No active call "{msg.session_id}"')
                if found.state is not CallState.WAITING:
                    raise Conflict(f'Call "{found.session_id}" was already taken')
                target = found
            return self._answer(staff, target)
        raise Forbidden(f'Staff may not send "{msg.type}"')  # pragma: no cover

    # ------------------------------------------------------------------ timers, admin

    def tick(self) -> Effects:
        """Apply timeouts at the clock's current time.

        Ends ``reconnecting`` calls whose missing participant has been gone for
        ``reconnect_grace_s`` (``buyer_lost`` / ``agent_lost`` for the side gone longest),
        answered calls older than ``max_call_duration_s`` (``max_duration``), waiting
        calls whose link expired (``link_expired``) or that waited ``max_wait_s``
        (``queue_timeout``). Forgets revoked links after ``REVOKED_MEMORY_S`` and idle
        links after a minute. Call it every second or at :meth:`next_deadline`.
        """
        fx = Effects()
        now = self._clock()
        self._forget(now)
        for call in list(self._calls.values()):
            if call.state is CallState.WAITING:
                expires = call.link.expires_at
                if expires is not None and now >= expires:
                    self._end(fx, call, EndReason.LINK_EXPIRED)
                    continue
                if now - call.created_at >= self.max_wait_s:
                    self._end(fx, call, EndReason.QUEUE_TIMEOUT)
                    continue
            if call.state is CallState.RECONNECTING and call.absent:
                side = min(call.absent, key=lambda s: call.absent[s])
                if now - call.absent[side] >= self.reconnect_grace_s:
                    reason = EndReason.BUYER_LOST if side == "buyer" else EndReason.AGENT_LOST
                    self._end(fx, call, reason)
                    continue
            if call.answered_at is not None and now - call.answered_at >= self.max_call_duration_s:
                self._end(fx, call, EndReason.MAX_DURATION)
                continue
            if call.codec_missing and now >= min(call.codec_missing.values()):
                self._end(fx, call, EndReason.NO_COMMON_CODEC)
        if fx.events:
            self._broadcast(fx)
        return fx

    def revoke_link(self, link_id: str) -> Effects:
        """The link was revoked: end its active call (``link_revoked``), close the buyer's
        connection with 4003, and refuse later :meth:`connect_buyer` for it."""
        fx = Effects()
        self._revoked[link_id] = self._clock()
        buyer = self._buyers.get(link_id)
        if buyer is None:
            return fx
        if buyer.call_id is not None:
            self._end(fx, self._calls[buyer.call_id], EndReason.LINK_REVOKED)
        if buyer.conn_id is not None:
            self._conns.pop(buyer.conn_id, None)
            fx.closes.append((buyer.conn_id, CloseCode.REVOKED, "link revoked"))
        self._buyers.pop(link_id, None)
        self._broadcast(fx)
        return fx

    def _capture(self, call: Call | None) -> Effects:
        if call is None or call.state is not CallState.LIVE:
            raise InvalidState("Cannot take a photo: no live call")
        buyer = self._buyers.get(call.link.link_id)
        if buyer is None or buyer.conn_id is None or buyer.call_id != call.session_id:
            raise InvalidState("Cannot take a photo: the buyer is not connected")
        fx = Effects()
        fx.send(buyer.conn_id, TakePhoto(session_id=call.session_id))
        return fx

    def _camera_request(self, call: Call | None, msg: CameraRequest) -> Effects:
        """The agent asks the buyer's camera for the torch or a zoom: forwarded to the
        buyer's page with a new request id, remembered until answered or the call ends."""
        if call is None or call.state is not CallState.LIVE:
            raise InvalidState("Cannot ask the buyer's camera: no live call")
        buyer = self._buyers.get(call.link.link_id)
        if buyer is None or buyer.conn_id is None or buyer.call_id != call.session_id:
            raise InvalidState("Cannot ask the buyer's camera: the buyer is not connected")
        open_requests = self._camera_requests.setdefault(call.session_id, {})
        while len(open_requests) >= MAX_OPEN_CAMERA_REQUESTS:
            del open_requests[next(iter(open_requests))]
        request_id = next(self._camera_request_ids)
        open_requests[request_id] = msg
        fx = Effects()
        ask = CameraAsk(
            session_id=call.session_id, request_id=request_id, torch=msg.torch, zoom=msg.zoom
        )
        fx.send(buyer.conn_id, ask)
        return fx

    def _camera_reply(self, call: Call | None, msg: CameraReply) -> Effects:
        """The buyer's page answers an open camera request: forwarded to the agent."""
        if call is None or call.state is not CallState.LIVE:
            raise InvalidState("Cannot answer a camera request: no live call")
        open_requests = self._camera_requests.get(call.session_id, {})
        asked = open_requests.get(msg.request_id)
        if asked is None:
            raise NotFound(f"No open camera request {msg.request_id} in this call")
        if msg.zoom is not None and (asked.zoom is None or msg.result != "applied"):
            raise InvalidState("A zoom in camera_reply answers an applied zoom request only")
        del open_requests[msg.request_id]
        staff = self._staff.get(call.agent_id) if call.agent_id else None
        fx = Effects()
        if staff is not None and staff.call_id == call.session_id:
            applied = msg.zoom if msg.zoom is not None and msg.zoom != asked.zoom else None
            answer = CameraAnswer(
                session_id=call.session_id,
                request_id=msg.request_id,
                torch=asked.torch,
                zoom=asked.zoom,
                result=msg.result,
                applied_zoom=applied,
            )
            fx.send(staff.conn_id, answer)
        return fx

    def photo_added(
        self, session_id: str, photo_id: int, width: int, height: int, t_ms: int
    ) -> Effects:
        """A photo of an active call, taken ``t_ms`` into the call, was stored: a ``photo``
        timeline event, and both participants told with the photo's own ``t_ms`` (the time
        the review shows for it too). Raises NotFound if the call is not active."""
        call = self._calls.get(session_id)
        if call is None:
            raise NotFound(f'No active call "{session_id}"')
        fx = Effects()
        data = {"photo_id": photo_id, "width": width, "height": height}
        event = call.record(EventKind.PHOTO, data)
        self._emit(fx, call, event)
        message = PhotoTaken(session_id=session_id, t_ms=t_ms, **data)
        for conn_id in self._participant_conns(call):
            fx.send(conn_id, message)
        return fx

    def inspection_changed(
        self, session_id: str, items: list[dict[str, Any]], signoff: str | None
    ) -> Effects:
        """The inspection of an active call changed (``items``: each item's ``key``,
        ``state``, ``photo_ids`` and ``clip``: None or its ``start_ms`` and ``end_ms``;
        ``signoff``: its decision or None): both participants get ``inspection``. Raises
        NotFound if the call is not active."""
        call = self._calls.get(session_id)
        if call is None:
            raise NotFound(f'No active call "{session_id}"')
        fx = Effects()
        message = InspectionChanged(
            session_id=session_id,
            items=[
                InspectionItemState(
                    key=i["key"],
                    state=i["state"],
                    photo_ids=i["photo_ids"],
                    clip=InspectionClip(**i["clip"]) if i.get("clip") else None,
                )
                for i in items
            ],
            signoff=signoff,
        )
        for conn_id in self._participant_conns(call):
            fx.send(conn_id, message)
        return fx

    def media_arrived(self, session_id: str, side: Side, kind: str) -> Effects:
        """The server got the first ``kind`` frame from ``side``'s current connection:
        a ``first_frame`` timeline event. Raises NotFound if the call is not active."""
        call = self._calls.get(session_id)
        if call is None:
            raise NotFound(f'No active call "{session_id}"')
        fx = Effects()
        self._emit(fx, call, call.record(EventKind.FIRST_FRAME, {"side": side, "kind": kind}))
        return fx

    def video_codec_agreed(self, session_id: str, side: Side, codec: str) -> Effects:
        """``side``'s current leg was answered with video in ``codec``: the first such
        answer fixes the call's codec (the relay answers later legs in it), and a side
        that had no codec in common is in the call again. Raises NotFound if the call is
        not active."""
        call = self._calls.get(session_id)
        if call is None:
            raise NotFound(f'No active call "{session_id}"')
        if call.video_codec is None:
            call.video_codec = codec
        if codec == call.video_codec:
            call.codec_missing.pop(side, None)
        return Effects()

    def no_common_codec(self, session_id: str, side: Side, video_codec: str | None) -> Effects:
        """``side``'s browser offered none of the call's video codecs (``video_codec``;
        None when the call has none): a ``no_common_codec`` timeline event, both
        participants told, and the call ends ``no_common_codec`` after
        ``no_common_codec_grace_s`` (see the module docstring). Raises NotFound if the
        call is not active."""
        call = self._calls.get(session_id)
        if call is None:
            raise NotFound(f'No active call "{session_id}"')
        fx = Effects()
        call.codec_missing.setdefault(side, self._clock() + self.no_common_codec_grace_s)
        data = {"side": side, "video_codec": video_codec}
        self._emit(fx, call, call.record(EventKind.NO_COMMON_CODEC, data))
        for conn_id in self._participant_conns(call):
            fx.send(conn_id, self._codec_notice(call, side))
        return fx

    def _codec_notice(self, call: Call, side: str) -> NoCommonCodec:
        ends_in = max(0.0, call.codec_missing[side] - self._clock())
        return NoCommonCodec(
            session_id=call.session_id,
            side=side,
            video_codec=call.video_codec,
            ends_in_s=round(ends_in, 1),
        )

    def _tell_call_media(self, fx: Effects, call: Call, side: str, conn_id: ConnId | None) -> None:
        """Tell ``side``'s page, just connected to ``call``, the other side's last camera
        and microphone state, and any side's missing codec."""
        other = "buyer" if side == "agent" else "agent"
        if other in call.media:
            camera, microphone = call.media[other]
            fx.send(conn_id, PeerMedia(side=other, camera=camera, microphone=microphone))
        for missing in call.codec_missing:
            fx.send(conn_id, self._codec_notice(call, missing))

    def end_call(self, session_id: str, reason: EndReason) -> Effects:
        """End one active call for an external reason (``relay_failed``,
        ``connection_failed``, ...). Raises NotFound if it is not active."""
        call = self._calls.get(session_id)
        if call is None:
            raise NotFound(f'No active call "{session_id}"')
        fx = Effects()
        self._end(fx, call, EndReason(reason))
        self._broadcast(fx)
        return fx

    def end_all(self, reason: EndReason = EndReason.SERVER_SHUTDOWN) -> Effects:
        """End every active call with ``reason`` (shutdown/restart). Connections stay
        open; the adapter closes them."""
        fx = Effects()
        for call in list(self._calls.values()):
            self._end(fx, call, EndReason(reason))
        self._broadcast(fx)
        return fx

    # ------------------------------------------------------------------ internals

    def _require_new_conn(self, conn_id: ConnId) -> None:
        if conn_id in self._conns:
            raise Conflict(f'Connection "{conn_id}" is already in use')

    def _emit(self, fx: Effects, call: Call, event: TimelineEvent) -> None:
        fx.events.append(CallEvent(call=call.snapshot(), event=event))

    def _view(self, call: Call | None) -> CallView | None:
        if call is None:
            return None
        return CallView(**self._view_fields(call))

    @staticmethod
    def _view_fields(call: Call) -> dict[str, Any]:
        return {
            "session_id": call.session_id,
            "state": call.state.value,
            "end_reason": call.end_reason.value if call.end_reason else None,
            "agent_name": call.agent_name,
            "buyer_name": call.link.buyer_name,
            "order_ref": call.link.order_ref,
            "purpose": call.link.purpose,
            "started_at_ms": round(call.created_at * 1000),
            "buyer_locale": call.consent.locale,
            "buyer_timezone": call.consent.timezone,
            "answered_at_ms": (
                round(call.answered_at * 1000) if call.answered_at is not None else None
            ),
            "video_codec": call.video_codec,
        }

    def participants(self, session_id: str) -> list[ConnId]:
        """The connections of an active call's participants (none for an unknown call)."""
        call = self._calls.get(session_id)
        return self._participant_conns(call) if call is not None else []

    def _participant_conns(self, call: Call) -> list[ConnId]:
        conns: list[ConnId] = []
        buyer = self._buyers.get(call.link.link_id)
        if buyer is not None and buyer.call_id == call.session_id and buyer.conn_id:
            conns.append(buyer.conn_id)
        staff = self._staff.get(call.agent_id) if call.agent_id else None
        if staff is not None and staff.call_id == call.session_id and staff.conn_id:
            conns.append(staff.conn_id)
        return conns

    def _tell_participants(self, fx: Effects, call: Call) -> None:
        update = CallUpdate(**self._view_fields(call))
        for conn_id in self._participant_conns(call):
            fx.send(conn_id, update)

    def _consent(self, buyer: _Buyer, consent: ConsentRecord) -> Effects:
        accept = consent.accepted
        link = buyer.link
        now = self._clock()
        use = self._links.setdefault(link.link_id, _LinkUse(calls_made=link.calls_made))
        if link.expires_at is not None and now >= link.expires_at:
            raise LinkUnusable("link_expired", "This link has expired")
        if link.max_calls is not None and use.calls_made >= link.max_calls:
            raise LinkUnusable(
                "link_used_up",
                f"This link has made its {link.max_calls} calls and can make no more",
            )
        while use.consents and now - use.consents[0] >= 60.0:
            use.consents.popleft()
        if len(use.consents) >= self.consents_per_link_per_minute:
            raise TooMany("Too many calls from this link; please wait a minute")
        if accept and len(self._queue) >= self.max_queue_length:
            raise QueueFull(
                f"The queue is full ({self.max_queue_length} waiting); please try again later"
            )
        use.consents.append(now)
        use.calls_made += 1
        use.last_seen = now
        fx = Effects()
        call = Call(self._new_id(), buyer.link, self._clock, declined=not accept, consent=consent)
        self._emit(fx, call, call.timeline[0])
        if not accept:
            fx.send(buyer.conn_id, CallUpdate(**self._view_fields(call)))
            return fx
        self._calls[call.session_id] = call
        self._queue.append(call.session_id)
        buyer.call_id = call.session_id
        buyer.call_device = buyer.device
        self._tell_participants(fx, call)
        self._broadcast(fx)
        return fx

    def _answer(self, staff: _Staff, call: Call) -> Effects:
        fx = Effects()
        self._emit(fx, call, call.answer(staff.user_id, staff.name))
        self._queue.remove(call.session_id)
        staff.call_id = call.session_id
        fx.send(staff.conn_id, AvailabilityUpdate(state="busy"))
        self._tell_participants(fx, call)
        self._tell_call_media(fx, call, "agent", staff.conn_id)
        buyer = self._buyers.get(call.link.link_id)
        if buyer is not None and buyer.pending is not None:
            self._tell_agent(fx, buyer, pending=True)
        self._broadcast(fx)
        return fx

    def media_leg(self, conn_id: ConnId) -> tuple[str, Side]:
        """The call and side whose media ``conn_id`` may send: a buyer from consent on
        (waiting included, so media can flow before an agent answers), an agent once it
        answered. Raises NotFound (unknown connection) or InvalidState (no current call)."""
        who = self._conns.get(conn_id)
        if who is None:
            raise NotFound(f'Unknown connection "{conn_id}"')
        kind, key = who
        person = self._buyers.get(key) if kind == "buyer" else self._staff.get(key)
        call_id = person.call_id if person is not None else None
        if call_id is None or call_id not in self._calls:
            raise InvalidState("Cannot send media: no current call")
        return call_id, "buyer" if kind == "buyer" else "agent"

    def _media_state(self, conn_id: ConnId, msg: MediaState) -> Effects:
        call_id, side = self.media_leg(conn_id)
        call = self._calls[call_id]
        fx = Effects()
        data = {"side": side, "camera": msg.camera, "microphone": msg.microphone}
        call.media[side] = (msg.camera, msg.microphone)
        self._emit(fx, call, call.record(EventKind.MEDIA, data))
        update = PeerMedia(side=side, camera=msg.camera, microphone=msg.microphone)
        for other in self._participant_conns(call):
            if other != conn_id:
                fx.send(other, update)
        return fx

    def _chat(
        self,
        call: Call | None,
        side: Side,
        name: str,
        text: str,
        card: ProductCard | None = None,
    ) -> Effects:
        """A chat line in ``call``; with ``card`` a product card, whose ``text`` is the
        card as one line (what a transcript shows) and whose fields the event keeps."""
        if call is None:
            raise InvalidState("Cannot chat: no current call")
        if call.state not in (CallState.LIVE, CallState.RECONNECTING):
            raise InvalidState(f'Cannot chat in call state "{call.state}"')
        fx = Effects()
        data: dict[str, object] = {"from": side, "name": name, "text": text}
        if card is not None:
            data["card"] = card.model_dump()
        event = call.record(EventKind.CHAT, data)
        self._emit(fx, call, event)
        posted = ChatPosted(
            session_id=call.session_id,
            from_=side,
            name=name,
            text=text,
            t_ms=event.t_ms,
            card=card,
        )
        for conn_id in self._participant_conns(call):
            fx.send(conn_id, posted)
        return fx

    def _gone(self, fx: Effects, call: Call, side: Side) -> None:
        """A participant of an answered call lost its connection."""
        call.absent.setdefault(side, self._clock())
        if call.state is CallState.LIVE:
            self._emit(fx, call, call.interrupt(side))
            self._tell_participants(fx, call)

    def _returned(self, fx: Effects, call: Call, side: Side) -> None:
        """A participant of ``call`` is connected again (new or same page)."""
        call.absent.pop(side, None)
        if call.state is CallState.RECONNECTING and not call.absent:
            self._emit(fx, call, call.resume())
            self._tell_participants(fx, call)

    def _end(self, fx: Effects, call: Call, reason: EndReason) -> None:
        conns = self._participant_conns(call)
        self._emit(fx, call, call.end(reason))
        self._calls.pop(call.session_id, None)
        self._camera_requests.pop(call.session_id, None)
        if call.session_id in self._queue:
            self._queue.remove(call.session_id)
        if call.answered_at is not None and call.ended_at is not None:
            self._handle_times.append(call.ended_at - call.answered_at)
        update = CallUpdate(**self._view_fields(call))
        for conn_id in conns:
            fx.send(conn_id, update)
        buyer = self._buyers.get(call.link.link_id)
        if buyer is not None and buyer.call_id == call.session_id:
            buyer.call_id = None
            buyer.call_device = ""
            if buyer.pending is not None:  # the call it waited for is over
                self._refuse_device(fx, buyer, "the call ended")
            if buyer.conn_id is None:
                del self._buyers[call.link.link_id]
        staff = self._staff.get(call.agent_id) if call.agent_id else None
        if staff is not None and staff.call_id == call.session_id:
            staff.call_id = None
            if staff.conn_id is None:
                del self._staff[staff.user_id]
            elif staff.takes_calls:
                staff.availability = "available"
                fx.send(staff.conn_id, AvailabilityUpdate(state="available"))

    # ------------------------------------------------------------------ devices

    def _device_waits(self, fx: Effects, buyer: _Buyer, conn_id: ConnId, device: str) -> Effects:
        """``conn_id`` opened the buyer's link on another device during a call: it waits
        for the agent; an earlier waiting device is refused."""
        if buyer.pending is not None:
            self._refuse_device(fx, buyer, "another device asked since")
        buyer.pending = (conn_id, device)
        self._conns[conn_id] = ("pending", buyer.link.link_id)
        fx.send(conn_id, Welcome(role="buyer", name=buyer.link.buyer_name, call=None))
        fx.send(conn_id, DevicePending())
        self._tell_agent(fx, buyer, pending=True)
        return fx

    def _tell_agent(self, fx: Effects, buyer: _Buyer, *, pending: bool) -> None:
        call = self._calls.get(buyer.call_id) if buyer.call_id else None
        staff = self._staff.get(call.agent_id) if call and call.agent_id else None
        if call is not None and staff is not None:
            fx.send(staff.conn_id, DeviceRequest(session_id=call.session_id, pending=pending))

    def _refuse_device(self, fx: Effects, buyer: _Buyer, reason: str) -> None:
        assert buyer.pending is not None
        conn_id, _ = buyer.pending
        buyer.pending = None
        self._conns.pop(conn_id, None)
        fx.closes.append((conn_id, CloseCode.DEVICE_REFUSED, reason))

    def _admit_device(self, call: Call | None, admit: bool) -> Effects:
        if call is None:
            raise InvalidState("Cannot admit a device: no current call")
        buyer = self._buyers.get(call.link.link_id)
        if buyer is None or buyer.pending is None or buyer.call_id != call.session_id:
            raise NotFound("No other device is waiting to join this call")
        fx = Effects()
        conn_id, device = buyer.pending
        if not admit:
            self._refuse_device(fx, buyer, "refused by the agent")
            self._emit(fx, call, call.record(EventKind.DEVICE, {"admitted": False}))
            self._tell_agent(fx, buyer, pending=False)
            return fx
        buyer.pending = None
        if buyer.conn_id is not None:
            old = buyer.conn_id
            self._conns.pop(old, None)
            fx.send(old, Moved())
            fx.closes.append((old, CloseCode.MOVED, "moved"))
        buyer.conn_id, buyer.device, buyer.call_device = conn_id, device, device
        self._conns[conn_id] = ("buyer", buyer.link.link_id)
        self._emit(fx, call, call.record(EventKind.MOVED, {"side": "buyer", "admitted": True}))
        self._tell_agent(fx, buyer, pending=False)
        fx.send(conn_id, CallUpdate(**self._view_fields(call)))
        self._returned(fx, call, "buyer")
        return fx

    def _forget(self, now: float) -> None:
        """Drop revoked links after ``REVOKED_MEMORY_S``, and links with no buyer, no call
        and no consent for a minute (their count of calls is in the database by then)."""
        for link_id, revoked_at in list(self._revoked.items()):
            if now - revoked_at >= REVOKED_MEMORY_S:
                del self._revoked[link_id]
        for link_id, use in list(self._links.items()):
            if link_id not in self._buyers and now - use.last_seen >= LINK_MEMORY_S:
                del self._links[link_id]

    def _online_counts(self) -> tuple[int, int]:
        online = available = 0
        for staff in self._staff.values():
            if staff.takes_calls and staff.conn_id is not None:
                online += 1
                if staff.status == "available":
                    available += 1
        return online, available

    def expected_wait_s(self, position: int) -> int | None:
        """Seconds the buyer at 1-based ``position`` may wait: position x average handle
        time / agents online; None when no call-taking agent is online."""
        online, _ = self._online_counts()
        if online == 0:
            return None
        return math.ceil(position * self.average_handle_time_s() / online)

    def presence(self) -> Presence:
        """Presence and the line as a newcomer meets them. The expected wait is 0 while
        more agents are available than buyers wait; else (queue length + 1) x average
        handle time / agents available or busy (away ones answer nobody); None when no
        agent is available or busy."""
        online, available = self._online_counts()
        busy = sum(
            1
            for s in self._staff.values()
            if s.takes_calls and s.conn_id is not None and s.status == "busy"
        )
        waiting = len(self._queue)
        takers = available + busy
        if takers == 0:
            wait = None
        elif available > waiting:
            wait = 0
        else:
            wait = math.ceil((waiting + 1) * self.average_handle_time_s() / takers)
        return Presence(online, available, busy, waiting, wait)

    def _queue_update(self) -> QueueUpdate:
        now = self._clock()
        items = []
        for session_id in self._queue:
            call = self._calls[session_id]
            items.append(
                QueueItem(
                    session_id=session_id,
                    order_ref=call.link.order_ref,
                    purpose=call.link.purpose,
                    locale=call.link.locale,
                    buyer_name=call.link.buyer_name,
                    waiting_since_ms=round(call.created_at * 1000),
                    waiting_s=max(0, int(now - call.created_at)),
                    buyer_locale=call.consent.locale,
                    buyer_timezone=call.consent.timezone,
                    order=call.link.order,
                )
            )
        return QueueUpdate(items=items, agents_available=self._online_counts()[1])

    def _position_update(self, call: Call) -> PositionUpdate:
        position = self._queue.index(call.session_id) + 1
        online, available = self._online_counts()
        return PositionUpdate(
            session_id=call.session_id,
            position=position,
            queue_length=len(self._queue),
            expected_wait_s=self.expected_wait_s(position),
            agents_online=online,
            agents_available=available,
        )

    def _broadcast(self, fx: Effects) -> None:
        """Push ``queue`` to every staff connection and ``position`` to waiting buyers."""
        update = self._queue_update()
        for member in self._staff.values():
            fx.send(member.conn_id, update)
        for session_id in self._queue:
            call = self._calls[session_id]
            buyer = self._buyers.get(call.link.link_id)
            if buyer is not None and buyer.conn_id is not None:
                fx.send(buyer.conn_id, self._position_update(call))


__all__ = [
    "CallEvent",
    "Effects",
    "StaffView",
    "Switchboard",
]
