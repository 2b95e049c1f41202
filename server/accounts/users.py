"""Staff accounts: create, list, change, sign in. Used by the API and the CLI alike."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import email_validator
from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session, func, select

from server.errors import Conflict, InvalidInput, NotFound, NotSignedIn
from server.infra.security import (
    PASSWORD_MAX_CHARS,
    PASSWORD_MIN_CHARS,
    Passwords,
    new_one_time_password,
    new_token,
    token_hash,
)
from server.models import Role, StaffSession, User
from server.models.text import LineStr
from server.models.user import NAME_MAX_CHARS
from signaling.locales import IANA_TIMEZONES, STAFF_LOCALE_CODES

EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}$")
LAST_SEEN_GRANULARITY_S = 60  # write a session's last-seen time at most once a minute
# A staff email is a sign-in name, never mailed to: addresses on a shop's own network
# (``.local``, as the first admin's ``admin@showdesk.local``) and test addresses
# (``.test``) are accepted. email-validator refuses every special-use domain; its
# documented way to allow some is to remove them from this list (process-wide; nothing
# else in Showdesk validates email addresses). arpa, invalid, localhost, onion stay refused.
ALLOWED_SPECIAL_USE_DOMAINS = ("local", "test")
email_validator.SPECIAL_USE_DOMAIN_NAMES[:] = [
    d for d in email_validator.SPECIAL_USE_DOMAIN_NAMES if d not in ALLOWED_SPECIAL_USE_DOMAINS
]
_NAME = TypeAdapter(LineStr)


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL_PATTERN.match(email):
        raise InvalidInput(f"not an email address: {email[:80]!r}")
    return email


def validate_new_email(email: str) -> str:
    """The email of a new account, checked with email-validator (syntax only, no DNS: no
    control characters, spaces, quoting or IP literals; a domain with a dot) and
    normalised as ``normalize_email`` does (lowercase), else InvalidInput (a 422).
    Lookups keep ``normalize_email``, so accounts made before still sign in."""
    email = email.strip()
    try:
        checked = email_validator.validate_email(
            email, check_deliverability=False, allow_quoted_local=False
        )
    except email_validator.EmailNotValidError as exc:
        raise InvalidInput(f"not an email address: {email[:80]!r}: {exc}") from None
    return normalize_email(checked.normalized)


def check_password_rules(password: str) -> None:
    if len(password) < PASSWORD_MIN_CHARS:
        raise InvalidInput(f"the password needs at least {PASSWORD_MIN_CHARS} characters")
    if len(password) > PASSWORD_MAX_CHARS:
        raise InvalidInput(f"the password may have at most {PASSWORD_MAX_CHARS} characters")


def count_users(db: Session) -> int:
    return db.exec(select(func.count()).select_from(User)).one()


def get_user(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user


def find_user(db: Session, email: str) -> User:
    user = db.exec(select(User).where(User.email == normalize_email(email))).first()
    if user is None:
        raise NotFound(f"no user with email {email!r}")
    return user


def list_users(db: Session) -> list[User]:
    return list(db.exec(select(User).order_by(User.id)))


def create_user(
    db: Session,
    *,
    email: str,
    role: Role,
    name: str | None,
    password: str | None,
    now: datetime,
    passwords: Passwords,
) -> tuple[User, str | None]:
    """Create an account. Without a password, a one-time password is made and returned
    (the user must change it at first sign-in). Raises Conflict for a taken email.
    ``passwords`` hashes it (the server's ``passwords_for(settings.password_hashing)``)."""
    email = validate_new_email(email)
    name = (name or email.split("@")[0]).strip()
    if not name or len(name) > NAME_MAX_CHARS:
        raise InvalidInput(f"the name needs 1 to {NAME_MAX_CHARS} characters")
    try:
        name = _NAME.validate_python(name)
    except ValidationError:
        raise InvalidInput("the name must be one line without control characters") from None
    one_time = None
    if password is None:
        password = one_time = new_one_time_password()
    else:
        check_password_rules(password)
    if db.exec(select(User).where(User.email == email)).first() is not None:
        raise Conflict(f"a user with email {email!r} exists already")
    user = User(
        email=email,
        name=name,
        role=Role(role),
        password_hash=passwords.hash(password),
        must_change_password=one_time is not None,
        created_at=now,
    )
    db.add(user)
    db.commit()
    db.refresh(user)
    return user, one_time


def reset_password(db: Session, user: User, *, passwords: Passwords) -> str:
    """Give ``user`` a one-time password, end their sessions, return the password."""
    password = new_one_time_password()
    user.password_hash = passwords.hash(password)
    user.must_change_password = True
    _end_sessions(db, user)
    db.add(user)
    db.commit()
    return password


def set_disabled(db: Session, user: User, disabled: bool) -> None:
    """Disable (and sign out everywhere) or re-enable an account."""
    user.disabled = disabled
    if disabled:
        _end_sessions(db, user)
    db.add(user)
    db.commit()


def change_password(
    db: Session,
    user: User,
    current: str,
    new: str,
    *,
    passwords: Passwords,
    keep_session: str | None = None,
) -> None:
    """Change one's own password; the current one must be right. Every other session of
    the user ends (a password is changed when it may have leaked); ``keep_session`` (the
    token of the session that asked) stays signed in."""
    if not passwords.verify(user.password_hash, current):
        raise InvalidInput("the current password is wrong", code="wrong_password")
    check_password_rules(new)
    if new == current:
        raise InvalidInput("the new password must differ from the current one")
    user.password_hash = passwords.hash(new)
    user.must_change_password = False
    _end_sessions(db, user, keep=keep_session)
    db.add(user)
    db.commit()


def authenticate(db: Session, email: str, password: str, *, passwords: Passwords) -> User:
    """The active user with these credentials, else NotSignedIn (one message for all cases).
    An unknown email costs as much as a known one (``Passwords.verify`` of None)."""
    try:
        email = normalize_email(email)
    except InvalidInput:
        email = ""
    user = db.exec(select(User).where(User.email == email)).first() if email else None
    ok = passwords.verify(user.password_hash if user else None, password)
    if user is None or not ok or user.disabled:
        raise NotSignedIn("wrong email or password, or the account is disabled")
    return user


def start_session(db: Session, user: User, now: datetime) -> str:
    """Sign ``user`` in; returns the session token for the cookie (stored hashed)."""
    token = new_token()
    db.add(
        StaffSession(
            token_hash=token_hash(token), user_id=user.id, created_at=now, last_seen_at=now
        )
    )
    db.commit()
    return token


def resolve_session(
    db: Session, token: str, now: datetime, idle_timeout_s: int, max_age_s: int
) -> User | None:
    """The user of a live session token, or None (unknown, idle longer than
    ``idle_timeout_s``, older than ``max_age_s`` however busy, user disabled). A session
    found too old or idle is deleted."""
    row = db.exec(select(StaffSession).where(StaffSession.token_hash == token_hash(token))).first()
    if row is None:
        return None
    idle = now - row.last_seen_at > timedelta(seconds=idle_timeout_s)
    if idle or now - row.created_at > timedelta(seconds=max_age_s):
        db.delete(row)
        db.commit()
        return None
    user = db.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    if (now - row.last_seen_at).total_seconds() > LAST_SEEN_GRANULARITY_S:
        row.last_seen_at = now
        db.add(row)
        db.commit()
    return user


def end_session(db: Session, token: str) -> None:
    row = db.exec(select(StaffSession).where(StaffSession.token_hash == token_hash(token))).first()
    if row is not None:
        db.delete(row)
        db.commit()


def _end_sessions(db: Session, user: User, keep: str | None = None) -> None:
    kept = token_hash(keep) if keep else None
    for row in db.exec(select(StaffSession).where(StaffSession.user_id == user.id)):
        if row.token_hash != kept:
            db.delete(row)


class _Unchanged:
    """The value of a preference that is left as it is."""


UNCHANGED = _Unchanged()


def set_preferences(
    db: Session,
    user: User,
    *,
    locale: str | None | _Unchanged = UNCHANGED,
    timezone: str | None | _Unchanged = UNCHANGED,
) -> User:
    """Set ``user``'s page language and time zone (committed); :data:`UNCHANGED` leaves
    one as it is. InvalidInput ``unknown_locale`` for a language the staff pages do not
    speak (``en``, ``zh-CN``), ``unknown_timezone`` for a name not in the IANA list; a
    ``None`` time zone means the browser's own."""
    if not isinstance(locale, _Unchanged):
        if locale not in STAFF_LOCALE_CODES:
            known = ", ".join(sorted(STAFF_LOCALE_CODES))
            raise InvalidInput(f'locale: "{locale}" is not one of {known}', code="unknown_locale")
        user.locale = locale
    if not isinstance(timezone, _Unchanged):
        if timezone is not None and timezone not in IANA_TIMEZONES:
            raise InvalidInput(
                f'timezone: "{timezone}" is not an IANA time zone', code="unknown_timezone"
            )
        user.timezone = timezone
    db.add(user)
    db.commit()
    db.refresh(user)
    return user
