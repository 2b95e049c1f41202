"""The call desk: runs the signaling core for this server and carries out what it decides.

``CallDesk`` owns the ``Switchboard`` (pure state machine) and applies its ``Effects``:
messages and closes go to the sockets' outboxes (outbox.py), call changes to the ordered
store (store.py), answered and ended calls to the media plane (media.py). A periodic task
(periodic.py) ends calls whose participants are gone for too long, drops pages whose
media stopped, and closes staff sockets whose session ended.

It also owns the media plane's relay (``WorkerPool``: relay worker processes, which
record the calls they hold): a call is recorded from the moment it is answered; the
workers report each track file's row changes, which are stored in order; when a call's
files are final, its review file is made in a child process. A worker that dies ends its
calls ``relay_failed``; their files are finalized from what they hold. At start, calls a
dead process left open are ended ``server_restart`` and their recordings finalized; at
stop, recordings are finalized before ``stop`` returns.

With several nodes (``Cluster``, Redis), the desk runs this node's calls only: it
finishes what its own previous process left at start, and the cluster-once jobs
(recovering what nodes whose heartbeat expired left, and retention) run only while this
node holds the lease. Without Redis the one node always holds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Awaitable
from typing import Any, cast

from sqlalchemy.engine import Engine
from sqlmodel import Session

from server.accounts.users import resolve_session
from server.calls.ids import wire_id
from server.calls.media import CallMedia
from server.calls.outbox import Close, Closer, Outboxes, Send, Sender
from server.calls.periodic import Periodic, only_when
from server.calls.phone_camera import CameraPass, PhoneCameras
from server.calls.quality import SIDES, LegFigures, QualityBook, Side, State
from server.calls.recovery import Nodes, nodes_with_open_work, recover_interrupted
from server.calls.rtc_config import RtcConfigs
from server.calls.store import CallStore
from server.consent import texts as consent_texts
from server.errors import Unavailable
from server.evidence.retention import run_retention
from server.infra.clock import Clock
from server.infra.cluster import Cluster
from server.infra.config import Settings
from server.models import Call
from server.phrases import phrases
from server.recording.jobs import ReviewJobs
from server.recording.rows import BadRowChange, finalize_from_disk, store_op, upload_live_tracks
from server.relay import AGENT_CAMERA, RelayError
from server.relay.pool import WorkerPool
from server.storage import LocalStorage, Storage, StorageError
from signaling import CallState, Effects, EndReason, InvalidState, SignalingError, Switchboard
from signaling.call import EventKind
from signaling.errors import ConsentOutdated, PhraseNotFound
from signaling.messages import (
    CameraPhotoFailed,
    CameraTakePhoto,
    CameraWelcome,
    Consent,
    ErrorReply,
    PhoneCameraPhoto,
    PhoneCameraPhotoFailed,
    PhoneCameraState,
    PhoneCameraStop,
    QualityReport,
    QualityUpdate,
    SendPhrase,
    ServerMessage,
)
from signaling.vocabulary import CloseCode, Purpose

log = logging.getLogger("showdesk.calls")

OUTBOX_MAX_MESSAGES = 256  # a client this far behind is stuck: it is disconnected
SESSION_RECHECK_INTERVAL_S = 60.0  # open staff sockets notice an idle-expired session this fast
EXPIRY_INTERVAL_S = 1.0  # grace periods and call caps are checked once a second


class CallDesk:
    """The control plane's owner of live calls (one per server process)."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        settings: Settings,
        storage: Storage | None = None,
        cluster: Cluster | None = None,
    ) -> None:
        self._engine = engine
        self.cluster = cluster or Cluster(settings)
        self.cluster.calls = lambda: len(self.switchboard.active_calls())
        self._seen_nodes: set[str] = set()  # live at the last sweep (lease holder)
        self._swept_as_holder = False
        self._storage = storage or LocalStorage(settings.data_dir / "files")
        self._clock = clock
        self._settings = settings
        self.switchboard = Switchboard(  # call timing is real time
            clock=time.time,
            reconnect_grace_s=settings.reconnect_grace_s,
            max_call_duration_s=settings.max_call_duration_s,
            max_queue_length=settings.max_queue_length,
            default_handle_time_s=settings.default_handle_time_s,
            max_wait_s=settings.max_wait_s,
            consents_per_link_per_minute=settings.link_consents_per_minute,
            no_common_codec_grace_s=settings.no_common_codec_grace_s,
        )
        self.relay = WorkerPool(
            self._relay_event,
            workers=settings.relay_worker_count,
            files_dir=self._storage.write_root,  # S3: its staging area, uploaded at finalize
            ice_servers=settings.ice_servers,
            video_codecs=settings.video_codecs,
            connect_timeout_s=settings.media_connect_timeout_s,
            pin_cpus=settings.relay_pin_cpus,
            max_bitrate_kbps=settings.media_max_bitrate_kbps,
            start_bitrate_kbps=settings.media_start_bitrate_kbps,
            forwarding=settings.relay_forwarding,
            video_fec=settings.relay_video_fec,
        )
        self.rtc = RtcConfigs(settings, lambda: self._clock.now().timestamp())
        self.media = CallMedia(self.relay, leg_ice_servers=self.rtc.for_leg)
        self.media.on_leg_failed = self._media_failed
        self.media.on_first_frame = self._media_arrived
        self.media.on_codec_agreed = self._codec_agreed
        self.media.on_no_common_codec = self._no_common_codec
        self.media.on_media_flow = self._media_flow
        self.media.on_camera_failed = self._camera_failed
        self.phone_cameras = PhoneCameras(time.time, settings.phone_camera_code_ttl_s)
        self.quality = QualityBook()
        self.reviews = ReviewJobs(engine, self._storage)
        self.outboxes = Outboxes(OUTBOX_MAX_MESSAGES)
        self.store = CallStore(engine, self.cluster.node_id)
        holder = lambda: self.cluster.holds_lease  # noqa: E731
        self._periodic = Periodic(
            "calls-expiry",
            EXPIRY_INTERVAL_S,
            [
                (EXPIRY_INTERVAL_S, self._expire),
                (SESSION_RECHECK_INTERVAL_S, self.staff_sessions_changed),
                (settings.retention_interval_s, only_when(holder, self.apply_retention)),
                (max(EXPIRY_INTERVAL_S, settings.node_heartbeat_s), self.recover_dead_nodes),
            ],
        )
        self._uploading = Periodic(  # S3: a live call's tracks reach the bucket as they grow
            "recording-uploads",
            settings.recording_upload_s,
            [(settings.recording_upload_s, self.upload_live_tracks)]
            if settings.storage == "s3"
            else [],
        )
        self.accepting = True  # False once the server is stopping: new sockets are refused
        self._ids = itertools.count(1)
        self._pending: set[asyncio.Future[None]] = set()
        self._uploads: dict[str, set[asyncio.Future[None]]] = {}  # call id -> track uploads

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Join the cluster (with Redis), finish what a previous process left (calls
        open, recordings unfinished, review files not made: all of them on one node; with
        several, this node's own, and the gone nodes' when it holds the lease), then
        start the background tasks."""
        await self.cluster.start()
        nodes: Nodes | None = None
        if self.cluster.shared:
            nodes = {self.cluster.node_id}
            if self.cluster.holds_lease:
                with contextlib.suppress(Unavailable):  # logged; the next sweep finds them
                    nodes |= await self._gone_nodes()
        recovered = await asyncio.to_thread(recover_interrupted, self._engine, self._storage, nodes)
        self.store.start()
        await self.relay.start()
        self._periodic.start()
        self._uploading.start()
        self.reviews.start()
        for call_id in recovered.unreviewed:
            self.reviews.enqueue(call_id)

    async def _gone_nodes(self) -> set[str | None]:
        """The nodes that left work to finish and whose heartbeat is gone (calls with no
        node recorded count as such), and those live at the last sweep that are gone now.
        The database is read before the heartbeats: a node writes its heartbeat before
        its first call, so a call seen belongs to a node seen live or to a dead one."""
        first = not self._swept_as_holder
        found = await asyncio.to_thread(nodes_with_open_work, self._engine, unreviewed=first)
        live = await self.cluster.live_node_ids()
        gone = (found | self._seen_nodes) - live - {self.cluster.node_id}
        self._seen_nodes = live
        self._swept_as_holder = True
        return gone

    async def recover_dead_nodes(self) -> None:
        """Lease holder, with several nodes: end the calls of nodes whose heartbeat
        expired (``server_restart``), finalize what of their track files the storage
        holds and make their missing review files. Runs every heartbeat interval."""
        if not self.cluster.shared:
            return
        if not self.cluster.holds_lease:
            self._swept_as_holder = False
            return
        try:
            gone = await self._gone_nodes()
        except Unavailable:  # Redis out of reach (logged): the next sweep tries again
            return
        if not gone:
            return
        recovered = await asyncio.to_thread(recover_interrupted, self._engine, self._storage, gone)
        for call_id in recovered.unreviewed:
            self.reviews.enqueue(call_id)
        if recovered.ended or recovered.unreviewed:
            log.info(
                "node %s finished what nodes %s left: %d calls ended, %d review files to make",
                self.cluster.node_id,
                ", ".join(sorted(n or "(none)" for n in gone)),
                len(recovered.ended),
                len(recovered.unreviewed),
            )

    async def upload_live_tracks(self) -> None:
        """Send what this node's live track files gained to the storage (S3: every
        ``recording_upload_s``), so that a lost node loses at most about that much."""
        await asyncio.to_thread(
            upload_live_tracks, self._engine, self._storage, self.cluster.node_id
        )

    async def announce_shutdown(self, timeout_s: float) -> None:
        """The server is stopping: end every call with ``server_shutdown`` and wait (at most
        ``timeout_s``) until the participants' sockets were sent the news."""
        self.accepting = False
        await self.apply(self.switchboard.end_all(EndReason.SERVER_SHUTDOWN))
        await self.outboxes.drain(timeout_s)

    async def stop(self) -> None:
        """End every call with ``server_shutdown``, close sockets and peer connections,
        finalize recordings (bounded wait), write what is pending. Review files not
        made by then are made at the next start."""
        await self.apply(self.switchboard.end_all(EndReason.SERVER_SHUTDOWN))
        await self.media.aclose()  # the workers finish their recordings, then exit
        await asyncio.gather(*list(self._pending), return_exceptions=True)
        await self.reviews.stop()
        self._periodic.stop()
        self._uploading.stop()
        await self.store.stop()
        await self.outboxes.aclose()
        await self.cluster.stop()

    # ---------------------------------------------------------------- connections

    def new_connection_id(self) -> str:
        return f"c{next(self._ids)}"

    def attach(
        self, conn_id: str, send: Sender, close: Closer, staff_session: str | None = None
    ) -> None:
        """Register a socket's send and close; messages to it go through a bounded outbox.
        A staff socket names its session token: it is closed when that session ends."""
        self.outboxes.attach(conn_id, send, close, staff_session)

    async def close_staff_sockets(self, user_id: int) -> None:
        """Close every socket of staff member ``user_id`` (their account changed)."""
        for conn_id, (kind, key) in self.switchboard.connections().items():
            if kind == "staff" and key == wire_id(user_id):
                self.outboxes.put(conn_id, Close(CloseCode.POLICY, "account changed"))

    async def staff_sessions_changed(self) -> None:
        """Close every staff socket whose session no longer signs anyone in (signed out,
        disabled, password reset, idle too long). Called after such changes and
        periodically; the database check runs in a thread."""
        tokens = self.outboxes.staff_sessions()
        if not tokens:
            return
        gone = await asyncio.to_thread(self._ended_sessions, tokens)
        for conn_id in gone:
            self.outboxes.put(conn_id, Close(CloseCode.POLICY, "signed out"))

    def _ended_sessions(self, tokens: dict[str, str]) -> list[str]:
        idle = self._settings.staff_idle_timeout_s
        now = self._clock.now()
        with Session(self._engine, expire_on_commit=False) as db:
            return [
                conn_id
                for conn_id, token in tokens.items()
                if resolve_session(db, token, now, idle, self._settings.session_max_age_s) is None
            ]

    def _background(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def detach(self, conn_id: str) -> None:
        """The socket is gone: tell the core, stop its writer."""
        self.outboxes.detach(conn_id)
        self.rtc.forget(conn_id)
        await self.media.connection_gone(conn_id)
        await self.apply(self.switchboard.disconnect(conn_id))

    async def link_revoked(self, link_id: int) -> None:
        await self.apply(self.switchboard.revoke_link(wire_id(link_id)))

    # ---------------------------------------------------------------- effects

    async def apply(self, effects: Effects) -> None:
        """Send the messages, perform the closes and queue the events for storage."""
        for conn_id, message in effects.messages:
            fresh = self.rtc.before(conn_id, message)  # a call's own TURN credential first
            if fresh is not None:
                self.outboxes.put(conn_id, Send(fresh))
            self.outboxes.put(conn_id, Send(message))
        for conn_id, code, reason in effects.closes:
            self.outboxes.put(conn_id, Close(code, reason))
        self.store.calls_changed(effects.events)
        for item in effects.events:
            session_id = item.call.session_id
            if item.event.kind == EventKind.ANSWERED:
                self.quality.start(session_id)
                try:
                    await self.relay.record_call(session_id, item.call.created_at)
                except RelayError as exc:
                    log.error("call %s cannot be recorded: %s", session_id, exc)
            if item.call.state == CallState.ENDED:
                phone = self.phone_cameras.call_ended(session_id)
                if phone is not None:
                    self.outboxes.put(phone, Close(CloseCode.NORMAL, "call ended"))
                await self.media.call_ended(session_id)  # its legs' last figures came in
                self._store_quality(session_id)

    def send(self, conn_id: str, message: ServerMessage) -> None:
        """Queue one message to one connection (used for replies outside the core)."""
        self.outboxes.put(conn_id, Send(message))

    async def photo_added(
        self, session_id: str, photo_id: int, width: int, height: int, t_ms: int
    ) -> None:
        """A photo of ``session_id`` was stored: put it on the timeline, tell both sides
        (nothing happens when the call is no longer active). It returns once the call's
        answer is stored too, so its agent may open the photo at once (a store that
        cannot write is logged, and the photo is told of all the same)."""
        try:
            await self.store.caught_up()
        except Exception:  # the store logged it; the photo itself is stored
            log.warning(
                "photo %s of call %s told before the call's changes were stored",
                photo_id,
                session_id,
            )
        with contextlib.suppress(SignalingError):
            await self.apply(
                self.switchboard.photo_added(session_id, photo_id, width, height, t_ms)
            )

    async def inspection_changed(
        self, session_id: str, items: list[dict[str, Any]], signoff: str | None
    ) -> None:
        """The inspection of ``session_id`` changed: both sides get ``inspection``
        (nothing happens when the call is no longer active)."""
        with contextlib.suppress(SignalingError):
            await self.apply(self.switchboard.inspection_changed(session_id, items, signoff))

    async def _media_arrived(self, session_id: str, side: str, kind: str) -> None:
        if side == AGENT_CAMERA:
            if kind == "video":  # the relay sends the phone's picture to the buyer now
                self.phone_cameras.went_live(session_id)
                self._tell_agent_camera(session_id, "live")
                await self.apply(self.switchboard.agent_camera_from_phone(session_id, True))
            return
        if side in SIDES:  # a new leg's media flows: what held of the old one is gone
            changed = self.quality.new_leg(session_id, cast(Side, side))
            if changed is not None:
                self._tell_quality(session_id, cast(Side, side), changed)
        with contextlib.suppress(SignalingError):
            await self.apply(self.switchboard.media_arrived(session_id, side, kind))

    async def _codec_agreed(self, session_id: str, side: str, codec: str) -> None:
        with contextlib.suppress(SignalingError):
            await self.apply(self.switchboard.video_codec_agreed(session_id, side, codec))

    async def _no_common_codec(self, session_id: str, side: str, codec: str | None) -> None:
        with contextlib.suppress(SignalingError):
            await self.apply(self.switchboard.no_common_codec(session_id, side, codec))

    # ---------------------------------------------------------------- the phone as camera

    def phone_camera_code(self, session_id: str, user_id: int) -> tuple[str, float] | None:
        """A code for the agent's phone, or None when ``user_id`` is not the connected
        agent of the live call ``session_id``."""
        if self.switchboard.live_agent(session_id, wire_id(user_id)) is None:
            return None
        return self.phone_cameras.issue(session_id, user_id)

    def camera_joined(self, conn_id: str, grant: CameraPass) -> bool:
        """The phone's socket said ``hello``: it films for its call if that call is still
        live with the same agent (False: the caller closes the socket). An older phone
        of the same call is closed."""
        if self.switchboard.live_agent(grant.session_id, wire_id(grant.agent_id)) is None:
            return False
        older = self.phone_cameras.connected(grant.session_id, conn_id)
        if older is not None:
            self.outboxes.put(older, Close(CloseCode.NORMAL, "another phone is the camera"))
        photo_key = self.phone_cameras.photo_key(conn_id, grant)
        self.send(conn_id, CameraWelcome(session_id=grant.session_id, photo_key=photo_key))
        key = f"{grant.agent_id}-camera"
        self.send(conn_id, self.rtc.welcomed(conn_id, "staff", key, grant.session_id))
        self._tell_agent_camera(grant.session_id, "connecting")
        return True

    async def camera_offer(self, conn_id: str, sdp: str) -> str:
        """The phone's offer: its leg of the call as the agent's camera."""
        session_id = self.phone_cameras.session_of(conn_id)
        if session_id is None:
            raise InvalidState("Cannot send media: this phone is no longer the camera")
        return await self.media.offer(conn_id, session_id, AGENT_CAMERA, sdp)

    async def camera_left(self, conn_id: str) -> None:
        """The phone's socket closed: its leg goes, the console's camera is back."""
        self.outboxes.detach(conn_id)
        self.rtc.forget(conn_id)
        await self.media.connection_gone(conn_id)
        session_id = self.phone_cameras.gone(conn_id)
        if session_id is not None:
            self._tell_agent_camera(session_id, "off")
            await self.apply(self.switchboard.agent_camera_from_phone(session_id, False))

    async def stop_phone_camera(self, conn_id: str, msg: PhoneCameraStop) -> None:
        """The agent stops the phone camera (``phone_camera_stop``): its leg closes at
        once (the buyer gets the console's camera again), then its socket."""
        self.switchboard.phone_camera_call(conn_id, msg.session_id)
        phone = self.phone_cameras.phone_of(msg.session_id)
        if phone is None:
            self._tell_agent_camera(msg.session_id, "off")
            return
        await self.media.connection_gone(phone)
        self.outboxes.put(phone, Close(CloseCode.NORMAL, "stopped by the agent"))

    def phone_photo(self, conn_id: str, msg: PhoneCameraPhoto) -> None:
        """The agent asks their live phone for the photo of capture ``msg.capture_id``
        (``phone_camera_photo``): the phone gets ``camera_take_photo``. Refused
        (Forbidden, InvalidState) unless the sender is the agent of that live call and
        its phone's picture reaches the buyer."""
        self.switchboard.phone_camera_call(conn_id, msg.session_id, msg.type)
        phone = self.phone_cameras.phone_of(msg.session_id)
        if phone is None or self.phone_cameras.state_of(msg.session_id) != "live":
            raise InvalidState("No phone is the camera of this call")
        self.send(phone, CameraTakePhoto(session_id=msg.session_id, capture_id=msg.capture_id))

    def phone_photo_failed(self, conn_id: str, msg: CameraPhotoFailed) -> None:
        """The phone could not take or upload a photo (``camera_photo_failed``): its
        agent's console is told (nothing when it is no longer the call's phone)."""
        session_id = self.phone_cameras.session_of(conn_id)
        if session_id is None or self.phone_cameras.phone_of(session_id) != conn_id:
            raise InvalidState("This phone is no longer the camera")
        agent = self._call_agent(session_id)
        if agent is not None:
            failed = PhoneCameraPhotoFailed(
                session_id=session_id, capture_id=msg.capture_id, problem=msg.problem
            )
            self.send(agent, failed)

    async def _camera_failed(self, session_id: str) -> None:
        phone = self.phone_cameras.phone_of(session_id)
        if phone is not None:
            self.outboxes.put(phone, Close(CloseCode.NORMAL, "media connection failed"))

    def console_joined(self, conn_id: str, session_id: str) -> None:
        """A console (reloaded, reconnected) joined its call: told of a phone that films."""
        state = self.phone_cameras.state_of(session_id)
        if state is not None:
            self.send(conn_id, PhoneCameraState(session_id=session_id, state=state))

    def _call_agent(self, session_id: str) -> str | None:
        """The connection of the live call's agent's console (None: none)."""
        call = self.switchboard.call(session_id)
        if call is None or not call.agent_id:
            return None
        return self.switchboard.live_agent(session_id, call.agent_id)

    def _tell_agent_camera(self, session_id: str, state: str) -> None:
        agent = self._call_agent(session_id)
        if agent is not None:
            self.send(agent, PhoneCameraState(session_id=session_id, state=state))

    # ---------------------------------------------------------------- connection quality

    async def quality_report(self, conn_id: str, msg: QualityReport) -> None:
        """A participant's page measured its connection (``quality``): when that changes
        its side's state, both participants are told."""
        session_id, side = self.switchboard.media_leg(conn_id)
        changed = self.quality.page_report(session_id, side, msg.state)
        if changed is not None:
            self._tell_quality(session_id, side, changed)

    def _media_flow(self, session_id: str, side: str, flowing: bool) -> None:
        """The relay says ``side``'s media stopped or flows again (a new leg's first
        frame counts as flowing)."""
        if side not in SIDES:
            return
        changed = self.quality.media_flow(session_id, cast(Side, side), flowing)
        if changed is not None:
            log.info("call %s: %s media %s", session_id, side, "resumed" if flowing else "stopped")
            self._tell_quality(session_id, cast(Side, side), changed)

    def _tell_quality(self, session_id: str, side: Side, state: State) -> None:
        update = QualityUpdate(session_id=session_id, side=side, state=state)
        for conn_id in self.switchboard.participants(session_id):
            self.send(conn_id, update)

    def _leg_quality(self, event: dict) -> None:
        side = event.get("role")
        if side not in SIDES:
            return
        try:
            figures = LegFigures.from_event(event)
        except ValueError as exc:
            log.error("a relay worker reported %s", exc)
            return
        self.quality.leg_closed(str(event.get("call_id")), cast(Side, side), figures)

    def _store_quality(self, session_id: str) -> None:
        """The ended call's quality summary goes on its row (nothing without one)."""
        summary = self.quality.finish(session_id)
        if summary is None:
            return
        data = summary.model_dump()

        def op(db: Session) -> None:
            row = db.get(Call, session_id)
            if row is not None:
                row.quality = data
                db.add(row)

        self.store.queue(op)

    def _relay_event(self, event: dict) -> None:
        """Events of the relay's workers: recording rows are stored in order, a recorded
        call gets its review file, a failed worker's calls end; leg events go to media."""
        kind = event.get("type")
        call_id = str(event.get("call_id"))
        if kind == "recording_row":
            change = event.get("change") or {}
            try:
                op = store_op(change)
            except BadRowChange as exc:
                log.error("a relay worker reported %s", exc)
                return
            if change.get("op") == "finalized" and change.get("error") is None:
                self._upload_track(call_id, str(change["key"]), op)
            else:
                self.store.queue(op)
        elif kind == "call_recorded":
            self._background(self._review_when_stored(call_id))
        elif kind == "relay_failed":
            self._background(self._relay_failed(call_id))
        elif kind == "leg_quality":
            self._leg_quality(event)
        else:
            self.media.handle_event(event)

    def _upload_track(self, call_id: str, key: str, op: Any) -> None:
        """A track file is final: put it in storage (an upload to the bucket on S3, in a
        thread), then store its row ``ready``. A failed upload keeps the local copy for
        the retry loop; the row is ready all the same (the file is readable here)."""

        async def upload() -> None:
            try:
                await asyncio.to_thread(self._storage.commit, key)
            except StorageError as exc:
                log.warning("call %s: a track file waits for upload: %s", call_id, exc)
            self.store.queue(op)

        task = asyncio.ensure_future(upload())
        uploads = self._uploads.setdefault(call_id, set())
        uploads.add(task)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _review_when_stored(self, call_id: str) -> None:
        uploads = self._uploads.pop(call_id, set())
        await asyncio.gather(*uploads, return_exceptions=True)
        await self.store.caught_up()  # after the rows reported before
        self.reviews.enqueue(call_id)

    async def _relay_failed(self, call_id: str) -> None:
        """The call's worker died: end it ``relay_failed``, finalize its track files from
        what they hold (up to the last flush), then make its review file."""
        with contextlib.suppress(SignalingError):
            await self.apply(self.switchboard.end_call(call_id, EndReason.RELAY_FAILED))
        uploads = self._uploads.pop(call_id, set())
        await asyncio.gather(*uploads, return_exceptions=True)
        await self.store.write(lambda db: finalize_from_disk(db, self._storage, [call_id]))
        self.reviews.enqueue(call_id)

    async def _media_failed(self, session_id: str) -> None:
        with contextlib.suppress(SignalingError):
            await self.apply(self.switchboard.end_call(session_id, EndReason.CONNECTION_FAILED))

    # ---------------------------------------------------------------- catalogued messages

    async def consent(self, conn_id: str, purpose: Purpose | None, msg: Consent) -> None:
        """A ``consent`` from ``conn_id`` (a buyer's link of ``purpose``; None for staff,
        whom the switchboard refuses): the consent text it names must be stored, else
        ConsentOutdated (``consent_outdated``: the page reloads the text)."""
        if purpose is not None and msg.locale is not None and msg.consent_version is not None:
            locale, version = msg.locale, msg.consent_version

            def stored() -> bool:
                with Session(self._engine) as db:
                    found = consent_texts.find_version(db, purpose, locale, version)
                    return found is not None

            if not await asyncio.to_thread(stored):
                raise ConsentOutdated(
                    f'No consent text version {version} in "{locale}" for this call: '
                    "reload the text"
                )
        await self.apply(self.switchboard.handle(conn_id, msg))

    async def send_phrase(self, conn_id: str, msg: SendPhrase) -> None:
        """A quick phrase from the agent on ``conn_id`` (see ``Switchboard.post_phrase``):
        its sender is checked first, then its texts are read (PhraseNotFound,
        ``phrase_not_found``, for an unknown or inactive phrase)."""
        self.switchboard.phrase_call(conn_id, msg.session_id)

        def texts() -> dict[str, str] | None:
            with Session(self._engine) as db:
                return phrases.active_texts(db, msg.phrase_id)

        found = await asyncio.to_thread(texts)
        if found is None:
            raise PhraseNotFound(f"No quick phrase {msg.phrase_id}")
        await self.apply(self.switchboard.post_phrase(conn_id, msg, found))

    async def apply_error(self, conn_id: str, exc: SignalingError, in_reply_to: str | None) -> None:
        """Answer a refused message with an ``error``; the connection stays usable."""
        self.send(conn_id, ErrorReply.about(exc, in_reply_to))

    # ---------------------------------------------------------------- periodic

    async def apply_retention(self) -> None:
        """Delete the media, photos and chat of calls past ``retention_days`` (held calls
        are kept), in a thread; the lease holder runs it every ``retention_interval_s``
        (hourly)."""

        def run() -> None:
            with Session(self._engine, expire_on_commit=False) as db:
                run_retention(
                    db,
                    self._storage,
                    self._clock.now(),
                    self._settings.retention_days,
                    node=self.cluster.node_id if self.cluster.shared else None,
                )

        await asyncio.to_thread(run)

    async def _expire(self) -> None:
        """End calls past their grace period or cap; drop pages whose media stopped for
        ``media_silence_s``: the socket is closed (4004), the call goes ``reconnecting``
        and the page, if it still runs, reconnects with a new peer connection."""
        await self.apply(self.switchboard.tick())
        for conn_id in await self.media.silent_connections(self._settings.media_silence_s):
            log.info("no media from connection %s: dropping it", conn_id)
            self.outboxes.put(conn_id, Close(CloseCode.MEDIA_LOST, "no media"))
