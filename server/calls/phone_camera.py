"""The agent's phone as the call's camera: short codes, the phone's pass, its connection.

The console asks for a code (``issue``) for the call it is in; the phone's camera page
claims it (``claim``) and gets a pass for one signaling connection (``redeem``), which
sends the phone's rear camera as the agent's video (the relay's ``agent_camera`` leg).

- A code is ``CODE_LENGTH`` characters of ``ALPHABET`` (no 0/O, 1/I/L), from ``secrets``,
  bound to one call and one agent, valid ``code_ttl_s`` seconds, claimed at most once; a
  new code for the same call and agent replaces the older one. Only its SHA-256 is kept.
- Unknown, expired, used and other-agent codes are all refused alike (``CodeRefused``).
- A pass is a 256-bit token, valid ``PASS_TTL_S`` seconds, good for one connection.
- One phone per call: a newer phone's connection replaces the older one.
- A phone's photo key (``photo_key``) is a 256-bit token given to the phone's connection
  in ``camera_welcome``, for uploading the photos the agent asks of it; only its SHA-256
  is kept. It is dead once that connection closes, is replaced by a newer phone, or the
  call ends; unknown and dead keys are refused alike (``photo_phone`` answers None).

In memory: codes live minutes, and a call does not outlive its server process.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from server.errors import NotFound

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # nothing to misread: no 0/O, 1/I/L
CODE_LENGTH = 8  # 31**8 codes: about 8.5e11, against a few minutes and a rate limit
PASS_TTL_S = 60.0  # the phone opens its signaling socket right after the claim
MAX_CODE_CHARS = 16  # what the claim accepts before normalizing (spaces, dashes)


@dataclass(frozen=True)
class PhotoPhone:
    """Whose phone a photo key is: its call and agent, and its connection."""

    grant: CameraPass
    conn_id: str


class CodeRefused(NotFound):
    """The code is unknown, expired, used or another agent's: one answer for all."""

    code = "camera_code_invalid"


@dataclass(frozen=True)
class CameraPass:
    """Who the phone films for: this call, as this agent (a staff user id)."""

    session_id: str
    agent_id: int


@dataclass
class _Entry:
    grant: CameraPass
    expires_at: float


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalize_code(typed: str) -> str:
    """What a person typed, as a code: case, spaces and dashes ignored."""
    return "".join(ch for ch in typed.upper() if ch not in " -")


class PhoneCameras:
    """Codes, passes and the phones connected, for the calls of one control plane."""

    def __init__(self, clock: Callable[[], float], code_ttl_s: float) -> None:
        self._clock = clock
        self.code_ttl_s = code_ttl_s
        self._codes: dict[str, _Entry] = {}  # sha256 of a code -> entry
        self._passes: dict[str, _Entry] = {}  # sha256 of a pass token -> entry
        self._phones: dict[str, str] = {}  # session id -> the phone's connection id
        self._sessions: dict[str, str] = {}  # connection id -> session id
        self._live: set[str] = set()  # sessions whose phone's picture reaches the buyer
        self._photo_keys: dict[str, PhotoPhone] = {}  # sha256 of a photo key -> its phone

    def issue(self, session_id: str, agent_id: int) -> tuple[str, float]:
        """A new code for the agent's call, and when it expires (clock seconds)."""
        self._forget_expired()
        grant = CameraPass(session_id, agent_id)
        for key in [k for k, entry in self._codes.items() if entry.grant == grant]:
            del self._codes[key]
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        expires_at = self._clock() + self.code_ttl_s
        self._codes[_digest(code)] = _Entry(grant, expires_at)
        return code, expires_at

    def claim(self, typed: str, signed_in_user: int | None) -> tuple[CameraPass, str]:
        """Use the code once: the call it is for and a pass token for the phone's socket.
        A browser signed in as another staff member than the code's agent is refused
        (and the code stays usable for the right phone)."""
        self._forget_expired()
        key = _digest(normalize_code(typed)[:MAX_CODE_CHARS])
        entry = self._codes.get(key)
        if entry is None or (signed_in_user is not None and signed_in_user != entry.grant.agent_id):
            raise CodeRefused("This code is not valid: open the QR code on the console again")
        del self._codes[key]
        token = secrets.token_urlsafe(32)
        self._passes[_digest(token)] = _Entry(entry.grant, self._clock() + PASS_TTL_S)
        return entry.grant, token

    def redeem(self, token: str) -> CameraPass | None:
        """The pass behind ``token``, once (None: unknown, expired or used)."""
        self._forget_expired()
        entry = self._passes.pop(_digest(token), None)
        return entry.grant if entry is not None else None

    def connected(self, session_id: str, conn_id: str) -> str | None:
        """The phone on ``conn_id`` films for the call; returns the older phone it replaces."""
        older = self._phones.get(session_id)
        self._phones[session_id] = conn_id
        self._live.discard(session_id)
        self._sessions[conn_id] = session_id
        if older is not None and older != conn_id:
            self._sessions.pop(older, None)
            self._forget_photo_key(older)
            return older
        return None

    def photo_key(self, conn_id: str, grant: CameraPass) -> str:
        """A new photo key for the phone on ``conn_id`` (its older one dies). The phone
        must be connected (``connected``) for ``grant``'s call."""
        if self._phones.get(grant.session_id) != conn_id:
            raise ValueError(f"connection {conn_id} is not the phone of {grant.session_id}")
        self._forget_photo_key(conn_id)
        key = secrets.token_urlsafe(32)
        self._photo_keys[_digest(key)] = PhotoPhone(grant, conn_id)
        return key

    def photo_phone(self, key: str) -> PhotoPhone | None:
        """The phone whose photo key is ``key`` while it is still its call's phone (None:
        unknown, or its connection closed, was replaced or its call ended)."""
        found = self._photo_keys.get(_digest(key))
        if found is None or self._phones.get(found.grant.session_id) != found.conn_id:
            return None
        return found

    def _forget_photo_key(self, conn_id: str) -> None:
        for digest in [d for d, p in self._photo_keys.items() if p.conn_id == conn_id]:
            del self._photo_keys[digest]

    def gone(self, conn_id: str) -> str | None:
        """The phone's connection closed: the call it filmed for, if it was still its phone."""
        session_id = self._sessions.pop(conn_id, None)
        self._forget_photo_key(conn_id)
        if session_id is not None and self._phones.get(session_id) == conn_id:
            del self._phones[session_id]
            self._live.discard(session_id)
            return session_id
        return None

    def went_live(self, session_id: str) -> None:
        """The phone's first frame arrived: its picture is the agent's video now."""
        if session_id in self._phones:
            self._live.add(session_id)

    def state_of(self, session_id: str) -> str | None:
        """``connecting`` or ``live`` while a phone films for the call; None without one."""
        if session_id not in self._phones:
            return None
        return "live" if session_id in self._live else "connecting"

    def phone_of(self, session_id: str) -> str | None:
        return self._phones.get(session_id)

    def session_of(self, conn_id: str) -> str | None:
        return self._sessions.get(conn_id)

    def call_ended(self, session_id: str) -> str | None:
        """The call ended: its codes, passes and photo key go; returns its phone's connection."""
        for table in (self._codes, self._passes):
            for key in [k for k, e in table.items() if e.grant.session_id == session_id]:
                del table[key]
        self._live.discard(session_id)
        phone = self._phones.get(session_id)
        if phone is not None:
            self._forget_photo_key(phone)
        return phone

    def _forget_expired(self) -> None:
        now = self._clock()
        for table in (self._codes, self._passes):
            for key in [k for k, e in table.items() if e.expires_at <= now]:
                del table[key]
