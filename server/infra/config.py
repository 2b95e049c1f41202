"""Settings, read from the environment with the prefix ``SHOWDESK_``.

Every setting has a safe default for the embedded mode (SQLite and files under
``./data``). A configured secret key that is short or a known placeholder is refused.
"""

from __future__ import annotations

import math
import os
import re
import secrets
import socket
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from server.infra.security import PASSWORD_HASHING_DEFAULT, PasswordHashing

SECRET_KEY_MIN_CHARS = 32  # 32 url-safe characters carry at least 190 bits
DATA_DIR_MODE = 0o700  # the database holds password and session hashes: owner only
OWNER_ONLY_UMASK = 0o077  # files 0600, directories 0700, whoever creates them


def owner_only_files() -> None:
    """Set the process umask so that every file and directory Showdesk (and its relay
    workers and review-file makers, which inherit it) creates is the owner's only: the
    database and its journal, photos, recordings, even in a data directory made before.
    ``showdesk`` sets it as it starts (serve and every command); ``create_app`` does not,
    so a process that embeds the app keeps its own."""
    os.umask(OWNER_ONLY_UMASK)


SECRET_KEY_FILE = "secret_key"  # noqa: S105  (a file name)
PLACEHOLDER_SECRETS = frozenset(
    {"changethis", "changeme", "change-me", "secret", "showdesk", "password", "development"}
)
# turn: or turns:, a host (name, IPv4 or [IPv6]), an optional port and ?transport=udp|tcp
TURN_URL = re.compile(
    r"turns?:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?(\?transport=(udp|tcp))?"
)
HOW_TO_MAKE_A_KEY = "make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
VideoCodecName = Literal["VP8", "H264"]
VIDEO_CODEC_NAMES: tuple[VideoCodecName, ...] = ("VP8", "H264")  # what the relay can forward


class ConfigError(Exception):
    """A setting that Showdesk refuses to start with; the message says how to fix it."""


class Settings(BaseSettings):
    """Showdesk's configuration. Field names map to ``SHOWDESK_<NAME>`` variables."""

    model_config = SettingsConfigDict(env_prefix="SHOWDESK_", extra="ignore")

    data_dir: Path = Path("./data")
    database_url: str | None = None
    secret_key: SecretStr | None = None
    public_url: str = "http://localhost:8000"
    shop_name: str = "Showdesk"
    # the buyer's page says the shop answers within this many working days after a call
    follow_up_days: int = Field(default=2, ge=1, le=30)
    # RTCIceServer dicts as JSON, e.g. [{"urls": "turn:turn.example.com:3478", ...}].
    # Empty by default: never a public STUN server nobody configured.
    ice_servers: list[dict[str, Any]] = Field(default_factory=list)
    # TURN (coturn with use-auth-secret): the URLs every page gets, e.g.
    # ["turn:turn.example.com:3478?transport=udp", "turn:turn.example.com:3478?transport=tcp",
    #  "turns:turn.example.com:443?transport=tcp"], with a credential minted from the shared
    # secret (coturn's static-auth-secret) per participant and call (server/infra/turn.py).
    turn_urls: list[str] = Field(default_factory=list)
    turn_secret: SecretStr | None = None
    # A TURN credential is valid for at most this long, and never longer than a call can
    # last (the longest wait, the longest call and the reconnect grace).
    turn_ttl_s: int = Field(default=4 * 3600, ge=600, le=7 * 24 * 3600)
    # "relay": pages use TURN only (their own addresses never reach the server).
    ice_transport_policy: Literal["all", "relay"] = "all"
    # The relay workers gather TURN candidates too (a server behind NAT); same credentials.
    relay_uses_turn: bool = False
    # Extra origins allowed to open staff WebSockets, besides the public URL's own.
    allowed_origins: list[str] = Field(default_factory=list)
    link_ttl_s: int = 72 * 3600  # a buyer link is usable for three days by default
    link_ttl_max_s: int = 90 * 24 * 3600  # nobody needs a link that outlives a return window
    staff_idle_timeout_s: int = 12 * 3600  # a staff session ends after 12 h without a request
    session_max_age_s: int = Field(default=12 * 3600, ge=60)  # ... and 12 h after sign-in
    buyer_cookie_ttl_s: int = 6 * 3600  # the call credential outlives any call (max 2 h)
    hello_timeout_s: float = 5.0  # a socket that says nothing for this long is closed (1008)
    ws_ping_interval_s: float = 10.0  # keepalive: a dead peer is noticed within about 20 s
    # Rate limits ("N/period"): failed sign-ins slow down per account and per address.
    # Failed sign-ins: free ones per (account, address) and per address, then each further
    # attempt waits twice as long as the last, up to the maximum; never per account alone.
    sign_in_free_failures: int = Field(default=5, ge=1)
    sign_in_address_free_failures: int = Field(default=20, ge=1)
    sign_in_max_delay_s: float = Field(default=900.0, gt=0)
    password_checks_at_once: int = Field(default=2, ge=1)  # argon2 takes tens of MB each
    limit_link_opens_per_address: str = "30/minute"  # a buyer opens a link a few times
    limit_sockets_per_address: str = "60/minute"  # page loads and reconnects
    limit_messages_per_socket: str = "60/second"  # ICE candidates come in bursts of ~20
    limit_messages_per_address: str = "300/second"  # a shop's office behind one address
    limit_photos_per_call: str = "30/minute"  # uploads, refused ones included
    limit_photos_per_address: str = "60/minute"
    max_json_body_bytes: int = Field(default=64 * 1024, ge=1024)  # photos have their own cap
    # The video codecs a call may use, most preferred first ("VP8,H264"): the first leg's
    # offer fixes its call's codec (the first of these it offers), the other leg is answered
    # in it. The relay forwards frames as they are, so both legs need the same codec.
    video_codecs: Annotated[tuple[VideoCodecName, ...], NoDecode] = VIDEO_CODEC_NAMES
    # Older setting: the one preferred codec; the others follow (unless VIDEO_CODECS is set).
    video_codec: VideoCodecName | None = None
    # A participant whose browser has none of the call's codecs is told, then the call
    # ends no_common_codec this long after (so the message can be read).
    no_common_codec_grace_s: float = Field(default=8.0, gt=0, le=120)
    reconnect_grace_s: float = 30.0  # a participant gone longer ends the call (buyer/agent_lost)
    max_call_duration_s: float = 7200.0  # answered calls are ended after two hours
    max_photos_per_call: int = 200  # evidence, not a photo album; each photo up to 15 MB
    # a case's uploads (tus, /api/uploads): each clip or photo at most this many bytes
    max_case_file_bytes: int = Field(default=100_000_000, ge=1024)
    max_case_files: int = 40  # per link, refused ones not counted
    # Recordings, photos and chat of calls that ended longer ago are deleted (held calls stay).
    retention_days: int = Field(default=90, ge=1)
    # Where files live: "local" (<data_dir>/files) or "s3" (an S3-compatible bucket; files
    # are staged under <data_dir>/s3-staging while written and removed once uploaded).
    storage: Literal["local", "s3"] = "local"
    s3_endpoint_url: str | None = None  # e.g. http://127.0.0.1:9000 (MinIO); None: AWS
    s3_bucket: str | None = None
    s3_region: str | None = None
    # Credentials: these, else the standard AWS variables / profile chain. Never logged.
    s3_access_key_id: SecretStr | None = None
    s3_secret_access_key: SecretStr | None = None
    # Several nodes (docs/deployment.md, "Several nodes"): a Redis server they share, e.g.
    # redis://redis.internal:6379/0 (rediss:// for TLS; a password in the URL is kept
    # secret). Unset: one node, as always (rate limits in memory, it runs every job).
    redis_url: SecretStr | None = None
    # This node's name among the others: letters, digits, ".", "_" and "-", unique per
    # running process. Unset: "<hostname>-<process id>" (a restarted process is a new node).
    node_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,64}$")
    # The address this node itself is reached at, as its heartbeat advertises it (the
    # public URL is the load balancer's); unset: the public URL.
    node_url: str | None = None
    # Each node writes its heartbeat (and its lease holder renews the lease) this often;
    # both expire after three intervals without one.
    node_heartbeat_s: float = Field(default=5.0, ge=0.2, le=60)
    # How often the lease holder deletes what retention says is due.
    retention_interval_s: float = Field(default=3600.0, ge=1, le=86_400)
    # S3 storage: how often the track files of calls in progress send what they gained
    # to the bucket (docs/architecture.md, "Storage backends"): a node that is lost loses
    # about this much of its calls' recordings, plus the muxer's last second.
    recording_upload_s: float = Field(default=5.0, ge=0.5, le=60)
    max_queue_length: int = 200  # waiting calls; more consents get queue_full
    max_wait_s: float = Field(default=1800.0, gt=0)  # a call waiting longer: queue_timeout
    # Calls one link may start (declined ones included), unless the link says otherwise.
    max_calls_per_link: int = Field(default=3, ge=1, le=100)
    link_consents_per_minute: int = Field(default=5, ge=1)  # more: rate_limited (flooding)
    default_handle_time_s: float = 180.0  # assumed call length for wait estimates at first
    # the buyer page offers to record a video instead when the expected wait passes this
    record_offer_wait_s: int = Field(default=300, ge=0, le=86_400)
    media_silence_s: float = 10.0  # no media from a connected page this long counts as a drop
    # "Use my phone as the camera": how long the console's code can be claimed (once)
    phone_camera_code_ttl_s: int = Field(default=300, ge=30, le=3600)
    # A peer connection not up by then ends the call connection_failed. ICE + DTLS take well
    # under a second on a LAN and a few seconds through TURN; aioice never gives up by itself
    # once end-of-candidates is stripped from the offer.
    media_connect_timeout_s: float = 15.0
    # The most video bitrate a sending browser is told it may use (REMB; it is also told
    # no more than what the path and the receiving browsers show they carry).
    media_max_bitrate_kbps: int = Field(default=2500, ge=100, le=50_000)
    # The video bitrate a sending browser starts at (REMB and Chromium's own estimate; never
    # above the ceiling). Chromium's own start, 300 kbps, makes its encoder drop a 640x360
    # camera to 320x180 in the first second, and it does not step up again.
    media_start_bitrate_kbps: int = Field(default=1000, ge=100, le=50_000)
    # How the relay passes video on: "packets" (each RTP packet as it arrives; the
    # receiving browser's NACKs are answered by the relay; measured better on lossy long
    # links, docs/performance.md) or "frames" (whole frames, through aiortc's sender).
    # Recordings are made from frames either way.
    relay_forwarding: Literal["frames", "packets"] = "packets"
    # Accept the forward error correction browsers offer on their video (RED and ULPFEC,
    # VP8 calls): a packet lost on the way is rebuilt by the relay from the FEC packets,
    # without waiting a round trip for its retransmission (server/relay/fec.py).
    relay_video_fec: bool = True
    # Relay worker processes that carry the media (and record it); unset: one per CPU core.
    relay_workers: int | None = Field(default=None, ge=1, le=256)
    relay_pin_cpus: bool = True  # each worker stays on one core (Linux), cores taken in turn
    # /metrics: without a token only loopback clients may read it; with one, every client
    # must send it as "Authorization: Bearer <token>" (server/metrics.py).
    metrics_token: SecretStr | None = None
    # argon2-cffi's default cost. The tests' cheap value is refused by load_settings().
    password_hashing: PasswordHashing = PASSWORD_HASHING_DEFAULT
    # Webhooks (server/webhooks): endpoints on loopback, private, link-local or other
    # non-public addresses are refused, at creation and again before each delivery
    # (the name may resolve elsewhere by then), unless this is true (tests, a shop's LAN).
    webhooks_allow_private: bool = False
    webhooks_timeout_s: float = Field(default=10.0, gt=0, le=60)  # one request, all of it
    webhooks_poll_s: float = Field(default=1.0, gt=0, le=60)  # how often due deliveries are sought
    # Retries: the n-th waits about base * 2**(n-1) s (capped, +-25% jitter) until the
    # horizon (a day) has passed since the event; then the delivery is failed.
    webhooks_retry_base_s: float = Field(default=5.0, gt=0, le=3600)
    webhooks_retry_max_s: float = Field(default=3600.0, gt=0, le=86400)
    webhooks_retry_horizon_s: float = Field(default=86400.0, gt=0, le=7 * 86400)
    # An endpoint is disabled after this many failed attempts in a row, or once it has
    # failed without a success for the retry horizon.
    webhooks_disable_after_failures: int = Field(default=100, ge=1, le=100_000)
    webhooks_keep_days: int = Field(default=30, ge=1, le=3650)  # delivered rows kept
    webhooks_concurrency: int = Field(default=8, ge=1, le=100)  # requests in flight at once

    @field_validator("secret_key", "metrics_token", "turn_secret")
    @classmethod
    def _refuse_weak_key(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None:
            return None
        name = f"SHOWDESK_{info.field_name.upper()}"
        raw = value.get_secret_value()
        if raw.strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError(f"{name} is a known placeholder; {HOW_TO_MAKE_A_KEY}")
        if len(raw) < SECRET_KEY_MIN_CHARS:
            raise ValueError(
                f"{name} is {len(raw)} characters, at least "
                f"{SECRET_KEY_MIN_CHARS} are needed; {HOW_TO_MAKE_A_KEY}"
            )
        return value

    @field_validator("video_codecs", mode="before")
    @classmethod
    def _codec_list(cls, value: Any) -> Any:
        """ "VP8,H264" (the variable) or a sequence; names are upper-cased, none repeated."""
        items = value.split(",") if isinstance(value, str) else list(value)
        names = [str(item).strip().upper() for item in items if str(item).strip()]
        if not names:
            raise ValueError(f"name at least one of {', '.join(VIDEO_CODEC_NAMES)}")
        if len(set(names)) != len(names):
            raise ValueError(f"{','.join(names)} names a codec twice")
        return tuple(names)

    @model_validator(mode="after")
    def _preferred_codec_first(self) -> Settings:
        if self.video_codec is not None and "video_codecs" not in self.model_fields_set:
            rest = tuple(c for c in VIDEO_CODEC_NAMES if c != self.video_codec)
            self.video_codecs = (self.video_codec, *rest)
        return self

    @field_validator("turn_urls")
    @classmethod
    def _turn_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not TURN_URL.fullmatch(url):
                raise ValueError(
                    f"SHOWDESK_TURN_URLS: {url[:80]!r} is not a TURN URL such as "
                    '"turn:turn.example.com:3478?transport=udp" or '
                    '"turns:turn.example.com:443?transport=tcp"'
                )
        return urls

    @model_validator(mode="after")
    def _turn_complete(self) -> Settings:
        if self.turn_urls and self.turn_secret is None:
            raise ValueError(
                "SHOWDESK_TURN_URLS needs SHOWDESK_TURN_SECRET, the static-auth-secret of "
                f"coturn's use-auth-secret; {HOW_TO_MAKE_A_KEY}"
            )
        if self.turn_secret is not None and not self.turn_urls:
            raise ValueError("SHOWDESK_TURN_SECRET is set but SHOWDESK_TURN_URLS is empty")
        if self.relay_uses_turn and not self.turn_urls:
            raise ValueError("SHOWDESK_RELAY_USES_TURN needs SHOWDESK_TURN_URLS")
        if self.ice_transport_policy == "relay" and not self.has_turn:
            raise ValueError(
                "SHOWDESK_ICE_TRANSPORT_POLICY=relay needs a TURN server "
                "(SHOWDESK_TURN_URLS or a turn: URL in SHOWDESK_ICE_SERVERS): "
                "without one no page could connect"
            )
        return self

    @property
    def has_turn(self) -> bool:
        """A TURN server is configured (minted credentials, or a static one)."""
        if self.turn_urls:
            return True
        for server in self.ice_servers:
            urls = server.get("urls")
            for url in [urls] if isinstance(urls, str) else urls or []:
                if isinstance(url, str) and url.startswith(("turn:", "turns:")):
                    return True
        return False

    @property
    def turn_credential_lifetime_s(self) -> int:
        """How long a minted TURN credential is valid: ``turn_ttl_s``, but no longer than
        a call minted for can last (its longest wait, its longest answered time and a
        reconnect grace), so a credential does not outlive its call."""
        call_s = self.max_wait_s + self.max_call_duration_s + self.reconnect_grace_s
        return int(min(self.turn_ttl_s, math.ceil(call_s)))

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(("redis://", "rediss://")):
            raise ValueError(
                "SHOWDESK_REDIS_URL must start with redis:// or rediss:// "
                "(e.g. redis://redis.internal:6379/0)"
            )
        return value

    @property
    def node_name(self) -> str:
        """``node_id``, or ``<hostname>-<process id>`` when it is unset."""
        return self.node_id or f"{socket.gethostname()}-{os.getpid()}"

    @property
    def node_address(self) -> str:
        """The URL this node's heartbeat advertises: ``node_url``, else the public URL."""
        return (self.node_url or self.public_url).rstrip("/")

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def db_url(self) -> str:
        """The database URL; SQLite under the data directory unless configured."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'showdesk.db').resolve()}"

    @property
    def relay_worker_count(self) -> int:
        """``relay_workers``, or one per CPU core this process may run on when unset."""
        if self.relay_workers is not None:
            return self.relay_workers
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not on Linux
            return max(1, os.cpu_count() or 1)

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry ``Secure`` when the public URL is HTTPS."""
        return self.public_url.startswith("https://")


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment; raise ConfigError with a clear message."""
    from pydantic import ValidationError

    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        messages = "; ".join(
            ": ".join(
                part
                for part in (
                    ".".join(str(p) for p in e["loc"]),
                    e["msg"].removeprefix("Value error, "),
                )
                if part
            )
            for e in exc.errors()
        )
        raise ConfigError(messages) from None
    if settings.password_hashing != PASSWORD_HASHING_DEFAULT:
        raise ConfigError(
            f"SHOWDESK_PASSWORD_HASHING={settings.password_hashing} makes password hashes "
            f"cheap to crack: it is for the tests only. Unset it ({PASSWORD_HASHING_DEFAULT})."
        )
    return settings


def resolve_secret_key(settings: Settings) -> str:
    """The configured secret key, or the one kept in the data directory.

    On a first start without a configured key, a key is generated and written to
    ``<data_dir>/secret_key`` readable by the owner only (mode 0600).
    """
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path = settings.data_dir / SECRET_KEY_FILE
    if path.exists():
        key = path.read_text().strip()
        if len(key) < SECRET_KEY_MIN_CHARS:
            raise ConfigError(f"{path} holds a key that is too short; delete it to make a new one")
        return key
    settings.data_dir.mkdir(mode=DATA_DIR_MODE, parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key
