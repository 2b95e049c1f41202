"""Wire messages of the signaling protocol, version :data:`PROTOCOL_VERSION`.

Client -> server messages are validated by :func:`parse_client_message`, which returns
one of the :data:`ClientMessage` models or raises :class:`~signaling.errors.ProtocolError`
(never anything else, whatever the input). Server -> client messages are pydantic models
too; serialise them with ``msg.to_json()``. PROTOCOL.md documents every message.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, Protocol, get_args
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from .errors import ProtocolError, UnsupportedVersion
from .locales import BUYER_LOCALE_CODES, IANA_TIMEZONES


class Refusal(Protocol):
    """What an ``error`` reply is made from: a stable code and a sentence."""

    code: str
    message: str


PROTOCOL_VERSION = 1
MAX_MESSAGE_BYTES = 64 * 1024  # one text frame; larger ones are refused (close 1009 at the edge)
MAX_CHAT_CHARS = 2000  # a paragraph; chat is for short remarks during the call
MAX_SESSION_ID_CHARS = 64  # uuid4 hex is 32
MAX_SDP_CHARS = 60 * 1024  # a browser offer with audio+video is 5-10 KB; fits one frame
MAX_CANDIDATE_CHARS = 512  # an a=candidate line is about 100-200 characters
MAX_ZOOM = 10.0  # a camera_request zoom: times the camera's widest view (phones reach 2-10)
MAX_CAMERA_REQUEST_ID = 2**31 - 1  # request ids count up from 1 per server process
MAX_ICE_URL_CHARS = 256  # "turns:turn.example.com:443?transport=tcp" is 40
MAX_CARD_NAME_CHARS = 200  # a product card's name: a product title
MAX_CARD_SKU_CHARS = 64
MAX_CARD_PRICE_CHARS = 40  # "EUR 1,299.00", "129,00 €": written as the shop writes it
MAX_CARD_URL_CHARS = 2000
MAX_CAPTURE_ID_CHARS = 64  # an inspection's capture id: 32 hex characters


def _no_lone_surrogates(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("String should be valid Unicode (no lone surrogates)") from None
    return value


SessionId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_SESSION_ID_CHARS, pattern=r"^[A-Za-z0-9_-]+$"),
]
ChatText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_CHAT_CHARS),
    AfterValidator(_no_lone_surrogates),
]


def _buyer_locale(value: str) -> str:
    if value not in BUYER_LOCALE_CODES:
        raise ValueError(f"Locale {value[:40]!r} is not a buyer locale")
    return value


def _iana_timezone(value: str) -> str:
    if value not in IANA_TIMEZONES:
        raise ValueError(f"{value[:64]!r} is not an IANA time zone")
    return value


def _one_line(value: str) -> str:
    """Not blank, no control characters (a card's fields are single lines)."""
    if not value.strip():
        raise ValueError("String should not be blank")
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value):
        raise ValueError("String should have no control characters")
    return value


def _web_link(value: str) -> str:
    """An absolute http(s) URL with a host, no spaces, no credentials."""
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("URL should have no spaces or control characters")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        raise ValueError("URL is not valid") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("URL should start with http:// or https://")
    if not parts.hostname:
        raise ValueError("URL should name a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("URL should not carry a user name or password")
    return value


def _card_text(max_length: int) -> Any:
    return Annotated[
        str,
        StringConstraints(min_length=1, max_length=max_length),
        AfterValidator(_no_lone_surrogates),
        AfterValidator(_one_line),
    ]


CardName = _card_text(MAX_CARD_NAME_CHARS)
CardSku = _card_text(MAX_CARD_SKU_CHARS)
CardPrice = _card_text(MAX_CARD_PRICE_CHARS)
CardUrl = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_CARD_URL_CHARS),
    AfterValidator(_no_lone_surrogates),
    AfterValidator(_web_link),
]

BuyerLocale = Annotated[str, StringConstraints(max_length=35), AfterValidator(_buyer_locale)]
TimeZoneName = Annotated[str, StringConstraints(max_length=64), AfterValidator(_iana_timezone)]
MAX_CONSENT_VERSION = 2**31 - 1

Role = Literal["agent", "supervisor", "admin", "buyer"]
StaffRole = Literal["agent", "supervisor", "admin"]
Side = Literal["buyer", "agent"]
VideoCodec = Literal["VP8", "H264"]  # what the server can forward
AvailabilityState = Literal["available", "away", "busy"]


# --------------------------------------------------------------------------- client


class _ClientModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Hello(_ClientModel):
    """First message on every connection. ``v`` must be :data:`PROTOCOL_VERSION`."""

    type: Literal["hello"]
    v: int


class Ping(_ClientModel):
    """App-level keepalive; answered with ``pong``."""

    type: Literal["ping"]


class SetAvailability(_ClientModel):
    """Agent/admin: be ``available`` for calls or ``away``."""

    type: Literal["set_availability"]
    state: Literal["available", "away"]


class Consent(_ClientModel):
    """Buyer: agree to the recorded call (join the queue) or decline.

    ``locale`` and ``consent_version`` name the consent text the page showed (from
    ``GET /api/buyer/context``'s ``consent``), ``timezone`` is the buyer's IANA time zone;
    all three are required, so every call stores the text its buyer read."""

    type: Literal["consent"]
    accept: bool
    locale: BuyerLocale
    consent_version: Annotated[int, Field(ge=1, le=MAX_CONSENT_VERSION)]
    timezone: TimeZoneName


class Accept(_ClientModel):
    """Agent/admin: take the waiting call ``session_id``."""

    type: Literal["accept"]
    session_id: SessionId


class AcceptNext(_ClientModel):
    """Agent/admin: take the oldest waiting call."""

    type: Literal["accept_next"]


class End(_ClientModel):
    """Either side: end the sender's current call (or leave the queue)."""

    type: Literal["end"]


class SendChat(_ClientModel):
    """Either participant: a chat line in the current live/reconnecting call."""

    type: Literal["chat"]
    text: ChatText


class Offer(_ClientModel):
    """Either participant of a call: the SDP offer of the page's peer connection to the
    server. A new offer replaces the sender's previous connection (no renegotiation)."""

    type: Literal["offer"]
    sdp: Annotated[str, StringConstraints(min_length=1, max_length=MAX_SDP_CHARS)]


class IceCandidate(_ClientModel):
    """A browser's RTCIceCandidateInit."""

    candidate: Annotated[str, StringConstraints(max_length=MAX_CANDIDATE_CHARS)]
    sdpMid: Annotated[str, StringConstraints(max_length=32)] | None = None  # noqa: N815
    sdpMLineIndex: Annotated[int, Field(ge=0, le=64)] | None = None  # noqa: N815
    usernameFragment: Annotated[str, StringConstraints(max_length=256)] | None = None  # noqa: N815


class Candidate(_ClientModel):
    """Either participant: a trickled ICE candidate; ``null`` means no more candidates."""

    type: Literal["candidate"]
    candidate: IceCandidate | None


class Capture(_ClientModel):
    """Agent/admin in a live call: ask the buyer's device for a full-resolution photo."""

    type: Literal["capture"]


Zoom = Annotated[float, Field(ge=1.0, le=MAX_ZOOM, allow_inf_nan=False)]
CameraResult = Literal["applied", "not_supported", "camera_off"]


class CameraRequest(_ClientModel):
    """Agent/admin in a live call: ask the buyer's camera for the torch on or off
    (``torch``) or a zoom level (``zoom``, 1 = the camera's widest view, at most
    :data:`MAX_ZOOM`). Exactly one of the two."""

    type: Literal["camera_request"]
    torch: bool | None = None
    zoom: Zoom | None = None

    @model_validator(mode="after")
    def _one_of_torch_or_zoom(self) -> CameraRequest:
        if (self.torch is None) == (self.zoom is None):
            raise ValueError("give exactly one of torch or zoom")
        return self


class CameraReply(_ClientModel):
    """Buyer in a live call: what became of the agent's ``camera_request`` ``request_id``:
    ``applied``, ``not_supported`` (this camera has no torch or zoom) or ``camera_off``.
    ``zoom`` is the zoom level applied when it differs from the one asked (the camera's
    range ends before it)."""

    type: Literal["camera_reply"]
    request_id: Annotated[int, Field(ge=1, le=MAX_CAMERA_REQUEST_ID)]
    result: CameraResult
    zoom: Zoom | None = None


class AdmitDevice(_ClientModel):
    """Agent/admin in a call: let the device that opened the buyer's link take over the
    buyer's side (``admit: true``), or send it away (``false``)."""

    type: Literal["admit_device"]
    admit: bool


class SendPhrase(_ClientModel):
    """Agent/admin of the live call ``session_id``: send quick phrase ``phrase_id`` as a
    chat line (the buyer reads it in their language, the agent in theirs)."""

    type: Literal["phrase"]
    session_id: SessionId
    phrase_id: Annotated[int, Field(ge=1, le=2**31 - 1)]


class ProductCard(BaseModel):
    """A product the agent shows in a demo: its name, SKU, price (as the shop writes it,
    currency included) and a link to its page (http or https only)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: CardName
    sku: CardSku
    price: CardPrice
    url: CardUrl

    def as_text(self) -> str:
        """The card as one chat line, for transcripts that show text only."""
        return f"{self.name} · {self.sku} · {self.price} · {self.url}"


class SendProductCard(_ClientModel):
    """Agent/admin in a live (or reconnecting) call: share a product card in the chat.
    Both participants get it as a ``chat`` line carrying ``card``."""

    type: Literal["product_card"]
    card: ProductCard


class MediaState(_ClientModel):
    """Either participant: whether the sender's camera and microphone are on."""

    type: Literal["media"]
    camera: bool
    microphone: bool


QualityState = Literal["good", "poor", "lost"]


class QualityReport(_ClientModel):
    """Either participant of a call: how the page measures its own connection now
    (``good``; ``poor``: much loss or a long round trip; ``lost``: nothing arrives). Sent
    when it changes; the other participant is told (``quality``)."""

    type: Literal["quality"]
    state: QualityState


class IceError(_ClientModel):
    """Either participant: its peer connection's ``icecandidateerror`` (a STUN or TURN
    server's refusal, e.g. 401 for a TURN credential that is wrong or expired):
    ``error_code`` as the browser gives it (STUN codes 300-699, 700-799 for no answer),
    ``url`` the server's URL. Logged by the server (never a credential); no reply."""

    type: Literal["ice_error"]
    error_code: Annotated[int, Field(ge=0, le=999)]
    url: Annotated[str, StringConstraints(max_length=MAX_ICE_URL_CHARS)]


class PhoneCameraStop(_ClientModel):
    """The agent of this live (or reconnecting) call: stop the phone that is the camera
    ("Use my phone as the camera"); the console's own camera sends again."""

    type: Literal["phone_camera_stop"]
    session_id: SessionId


CaptureId = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_CAPTURE_ID_CHARS, pattern=r"^[0-9a-f]+$")
]
PhonePhotoProblem = Literal["camera_off", "upload_failed"]


class PhoneCameraPhoto(_ClientModel):
    """The agent of this live (or reconnecting) call whose phone is the live camera:
    have the phone take the photo of inspection capture ``capture_id`` (from
    ``POST .../inspection/captures``). The phone gets ``camera_take_photo``."""

    type: Literal["phone_camera_photo"]
    session_id: SessionId
    capture_id: CaptureId


class CameraPhotoFailed(_ClientModel):
    """The agent's phone: it could not take (``camera_off``) or upload
    (``upload_failed``) the photo of ``capture_id``; the console is told."""

    type: Literal["camera_photo_failed"]
    capture_id: CaptureId
    problem: PhonePhotoProblem


ClientMessage = Annotated[
    Hello
    | Ping
    | SetAvailability
    | Consent
    | Accept
    | AcceptNext
    | End
    | SendChat
    | Offer
    | Candidate
    | MediaState
    | QualityReport
    | AdmitDevice
    | Capture
    | CameraRequest
    | CameraReply
    | SendPhrase
    | SendProductCard
    | PhoneCameraStop
    | PhoneCameraPhoto
    | CameraPhotoFailed
    | IceError,
    Field(discriminator="type"),
]
CLIENT_MESSAGE_TYPES: frozenset[str] = frozenset(
    get_args(model.model_fields["type"].annotation)[0]
    for model in get_args(get_args(ClientMessage)[0])
)
"""The ``type`` of every client message, read from the union above."""
_client_adapter: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _describe(error: ValidationError) -> str:
    first = error.errors(include_url=False, include_input=False)[0]
    if first["type"] == "union_tag_not_found":
        return "type: Field required"
    if first["type"] == "union_tag_invalid":
        tag = str(first.get("ctx", {}).get("tag", ""))[:40]
        return f"type: Unknown message type {tag!r}"
    loc = ".".join(str(part) for part in first["loc"]) or "message"
    return f"{loc}: {first['msg']}"


def parse_client_message(raw: str | bytes) -> ClientMessage:
    """Parse and validate one client frame.

    Contract: returns a validated client model, or raises :class:`ProtocolError` with code
    ``too_large`` (over :data:`MAX_MESSAGE_BYTES` UTF-8 bytes), ``bad_json`` (not UTF-8, not
    strict JSON: ``NaN``/``Infinity`` refused, nesting too deep) or ``bad_message`` (JSON that
    is not a valid message; the message names the field, e.g.
    ``"chat.text: String should have at most 2000 characters"``). Nothing else escapes.
    A ``hello`` with an unsupported ``v`` parses fine; see :func:`require_hello`.
    """
    if isinstance(raw, bytearray | memoryview):
        raw = bytes(raw)
    if isinstance(raw, bytes):
        if len(raw) > MAX_MESSAGE_BYTES:
            raise ProtocolError("too_large", f"Message is over {MAX_MESSAGE_BYTES} bytes")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError("bad_json", "Message is not valid UTF-8") from None
    elif isinstance(raw, str):
        if len(raw) > MAX_MESSAGE_BYTES or (
            len(raw) * 4 > MAX_MESSAGE_BYTES
            and len(raw.encode("utf-8", "surrogatepass")) > MAX_MESSAGE_BYTES
        ):
            raise ProtocolError("too_large", f"Message is over {MAX_MESSAGE_BYTES} bytes")
        text = raw
    else:
        raise ProtocolError("bad_json", "Message must be text")
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise ProtocolError("bad_json", "Message is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError is a ValueError
        raise ProtocolError("bad_json", f"Message is not valid JSON: {exc}") from None
    message_type = data.get("type") if isinstance(data, dict) else None
    if not isinstance(message_type, str) or message_type not in CLIENT_MESSAGE_TYPES:
        message_type = None
    try:
        return _client_adapter.validate_python(data)
    except ValidationError as exc:
        raise ProtocolError("bad_message", _describe(exc), message_type) from None
    except RecursionError:
        raise ProtocolError("bad_message", "Message is nested too deeply", message_type) from None


def require_hello(msg: ClientMessage) -> Hello:
    """Check that a connection's first message is a ``hello`` this server speaks.

    Raises :class:`ProtocolError` ``bad_message`` for any other message and
    :class:`UnsupportedVersion` for ``v != PROTOCOL_VERSION``. The adapter closes the
    socket with 1008 after sending the error.
    """
    if not isinstance(msg, Hello):
        raise ProtocolError("bad_message", f'Expected "hello" first, got "{msg.type}"', msg.type)
    if msg.v != PROTOCOL_VERSION:
        raise UnsupportedVersion(
            f"Protocol version {msg.v} is not supported; this server speaks {PROTOCOL_VERSION}"
        )
    return msg


# --------------------------------------------------------------------------- server


class ServerMessage(BaseModel):
    """Base of server -> client messages. ``to_json()`` gives the wire form."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True
    )

    def to_json(self) -> str:
        """Serialise for the wire (field aliases such as ``from`` applied)."""
        return self.model_dump_json(by_alias=True)


class CallView(BaseModel):
    """What a participant sees of a call (``welcome.call`` and the ``call`` message)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    session_id: str
    state: Literal["waiting", "live", "reconnecting", "ended"]
    end_reason: str | None = None
    agent_name: str | None = None
    buyer_name: str
    order_ref: str
    purpose: str
    started_at_ms: int  # epoch ms when the call was created (t_ms counts from here)
    buyer_locale: str | None = None  # the consent text's language; null: the page did not say
    buyer_timezone: str | None = None  # the buyer's IANA time zone, from the consent
    answered_at_ms: int | None = None  # epoch ms when an agent answered; None before
    video_codec: VideoCodec | None = None  # the call's, fixed by its first leg's offer


class Welcome(ServerMessage):
    type: Literal["welcome"] = "welcome"
    v: int = PROTOCOL_VERSION
    role: Role
    name: str | None = None
    call: CallView | None = None
    availability: AvailabilityState | None = None  # agents and admins only
    order: dict[str, Any] | None = None  # the call's order; to staff only, never the buyer


class QueueItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    session_id: str
    order_ref: str
    purpose: str
    locale: str
    buyer_name: str
    waiting_since_ms: int
    waiting_s: int
    buyer_locale: str | None = None
    buyer_timezone: str | None = None
    order: dict[str, Any] | None = None  # the link's order (lines, carrier, ...); staff only


class QueueUpdate(ServerMessage):
    type: Literal["queue"] = "queue"
    items: list[QueueItem]
    agents_available: int


class PositionUpdate(ServerMessage):
    type: Literal["position"] = "position"
    session_id: str
    position: int
    queue_length: int
    expected_wait_s: int | None
    agents_online: int
    agents_available: int


class CallUpdate(ServerMessage, CallView):
    type: Literal["call"] = "call"


class AvailabilityUpdate(ServerMessage):
    type: Literal["availability"] = "availability"
    state: AvailabilityState


class ChatPosted(ServerMessage):
    type: Literal["chat"] = "chat"
    session_id: str
    from_: Side = Field(alias="from")
    name: str
    text: str
    t_ms: int
    phrase_id: int | None = None  # set when the line is an agent's quick phrase
    card: ProductCard | None = None  # set when the line is a product card the agent shared


class ErrorReply(ServerMessage):
    """``error``: a refused message. Build it with :meth:`about` from the error that
    refused it (a :class:`~signaling.errors.SignalingError` or any error with a ``code``
    and a ``message``, such as the server's rate-limit refusal)."""

    type: Literal["error"] = "error"
    code: str
    message: str
    in_reply_to: str | None = None

    @classmethod
    def about(cls, exc: Refusal, in_reply_to: str | None = None) -> ErrorReply:
        """The ``error`` for ``exc``; ``in_reply_to`` defaults to the message type a
        protocol error could read from the refused message."""
        if in_reply_to is None:
            in_reply_to = getattr(exc, "message_type", None)
        return cls(code=exc.code, message=exc.message, in_reply_to=in_reply_to)


class Moved(ServerMessage):
    type: Literal["moved"] = "moved"


class DevicePending(ServerMessage):
    """To a buyer page on another device than the call's: the agent has been asked to let
    this device take over; it waits (``admit`` to the agent decides)."""

    type: Literal["device_pending"] = "device_pending"


class DeviceRequest(ServerMessage):
    """To the agent of ``session_id``: another device opened the buyer's link
    (``pending: true``, answer with ``admit_device``), or that request is gone."""

    type: Literal["device_request"] = "device_request"
    session_id: str
    pending: bool


class RtcConfig(ServerMessage):
    """The RTCConfiguration a participant's page must use for its next peer connection:
    ``iceServers`` and ``iceTransportPolicy`` (``relay``: TURN only). Sent after welcome,
    and again with fresh TURN credentials before a ``call`` that starts the participant's
    part in a call."""

    type: Literal["rtc_config"] = "rtc_config"
    ice_servers: list[dict[str, Any]]
    video_codecs: list[VideoCodec] = Field(default_factory=lambda: ["VP8", "H264"])
    ice_transport_policy: Literal["all", "relay"] = "all"


class Answer(ServerMessage):
    """The server's SDP answer to the participant's latest ``offer`` (all candidates in it)."""

    type: Literal["answer"] = "answer"
    sdp: str


class PeerMedia(ServerMessage):
    """The other participant's camera and microphone state."""

    type: Literal["media"] = "media"
    side: Side
    camera: bool
    microphone: bool


class NoCommonCodec(ServerMessage):
    """To both participants: ``side``'s browser offered none of the call's video codecs
    (``video_codec``: the call's, null when its first offer had none the server can
    forward). Its video stays off, audio flows, and the call ends ``no_common_codec``
    ``ends_in_s`` seconds after this."""

    type: Literal["no_common_codec"] = "no_common_codec"
    session_id: str
    side: Side
    video_codec: VideoCodec | None = None
    ends_in_s: float


class QualityUpdate(ServerMessage):
    """To both participants: how ``side``'s connection is now: ``lost`` while the server
    receives nothing from it (or its page says nothing reaches it), else what its page
    measures (``good`` or ``poor``)."""

    type: Literal["quality"] = "quality"
    session_id: str
    side: Side
    state: QualityState


class TakePhoto(ServerMessage):
    """To the buyer: the agent asked for a photo; take one and upload it to
    ``POST /api/sessions/{session_id}/photos``."""

    type: Literal["take_photo"] = "take_photo"
    session_id: str


class CameraAsk(ServerMessage):
    """To the buyer: the agent asks for the torch or a zoom level (one of the two is
    set); answer with ``camera_reply`` and the same ``request_id``."""

    type: Literal["camera_request"] = "camera_request"
    session_id: str
    request_id: int
    torch: bool | None = None
    zoom: float | None = None


class CameraAnswer(ServerMessage):
    """To the agent: the buyer's page answered ``request_id``: what was asked (``torch``
    or ``zoom``), ``result``, and ``applied_zoom`` when the camera's range ended before
    the zoom asked for (else null)."""

    type: Literal["camera_reply"] = "camera_reply"
    session_id: str
    request_id: int
    torch: bool | None = None
    zoom: float | None = None
    result: CameraResult
    applied_zoom: float | None = None


class PhotoTaken(ServerMessage):
    """To both participants: a photo of the call was stored."""

    type: Literal["photo"] = "photo"
    session_id: str
    photo_id: int
    width: int
    height: int
    t_ms: int


MAX_INSPECTION_ITEMS = 50  # a checklist's items (the start route takes at most 50)
MAX_ITEM_KEY_CHARS = 64
ItemKey = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_ITEM_KEY_CHARS, pattern=r"^[A-Za-z0-9_-]+$"),
]


class InspectionClip(BaseModel):
    """An item's clip: a stretch of the call's recording, on the call clock (ms, as
    ``t_ms``); ``end_ms`` null while the agent is recording it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start_ms: Annotated[int, Field(ge=0)]
    end_ms: Annotated[int, Field(ge=0)] | None = None


class InspectionItemState(BaseModel):
    """One checklist item as the ``inspection`` message carries it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: ItemKey
    state: Literal["pending", "shot", "approved", "rejected"]
    photo_ids: list[Annotated[int, Field(ge=1)]]
    clip: InspectionClip | None = None


class InspectionChanged(ServerMessage):
    """To both participants: the call's inspection changed (started, a photo tied to an
    item, an item decided, signed off). ``items`` in the checklist's order; ``signoff``
    is the sign-off's decision, null before it. The pages read the full report (labels,
    photos, reasons) from their own ``.../inspection`` route."""

    type: Literal["inspection"] = "inspection"
    session_id: SessionId
    items: list[InspectionItemState] = Field(max_length=MAX_INSPECTION_ITEMS)
    signoff: Literal["approved", "rejected"] | None = None


class Pong(ServerMessage):
    type: Literal["pong"] = "pong"


def dump(msg: ServerMessage) -> str:
    """Serialise a server message for the wire; same as ``msg.to_json()``."""
    return msg.to_json()


class CameraWelcome(ServerMessage):
    """The agent's phone, after its ``hello``: it films for this call as the agent's
    camera (its ``rtc_config`` follows); it may send ``offer``, ``candidate`` and
    ``camera_photo_failed`` only. ``photo_key`` is its credential for uploading the
    photos the agent asks of it (``POST /api/phone-camera/photos``, header
    ``X-Camera-Photo-Key``), good while this socket is the call's phone."""

    type: Literal["camera_welcome"] = "camera_welcome"
    session_id: str
    photo_key: str


class CameraTakePhoto(ServerMessage):
    """To the agent's phone: take a full-resolution photo for inspection capture
    ``capture_id`` and upload it with its ``photo_key``."""

    type: Literal["camera_take_photo"] = "camera_take_photo"
    session_id: str
    capture_id: str


class PhoneCameraPhotoFailed(ServerMessage):
    """To the agent's console: its phone could not take (``camera_off``) or upload
    (``upload_failed``) the photo of ``capture_id``."""

    type: Literal["phone_camera_photo_failed"] = "phone_camera_photo_failed"
    session_id: str
    capture_id: str
    problem: PhonePhotoProblem


class PhoneCameraState(ServerMessage):
    """The agent's console: its phone as the camera is ``connecting`` (claimed, socket
    open), ``live`` (its picture reaches the buyer instead of the console's camera) or
    ``off`` (gone or stopped: the console's camera is the agent's video again)."""

    type: Literal["phone_camera"] = "phone_camera"
    session_id: str
    state: Literal["connecting", "live", "off"]
