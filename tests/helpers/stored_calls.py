"""Ended calls written straight into a server's database, as the call desk stores them
(the call row and its timeline events), for pages that read calls without a live one;
``ended_call`` with a recording, a photo and a chat line, for retention."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlmodel import Session

from server.models import Call, CallEvent, Photo, Recording
from server.models.link import Link
from signaling.vocabulary import CallState, EndReason, Outcome, Purpose
from tests.helpers.accounts import login
from tests.helpers.links import make_link
from tests.helpers.servers import LiveServer

_ids = itertools.count(1)
WAITED_S = 20  # how long the buyer waited before the agent answered
LENGTH_S = 90  # from the answer to the end


def store_call(
    app: FastAPI,
    order_ref: str,
    *,
    agent_id: int | None,
    end_reason: EndReason = EndReason.AGENT_ENDED,
    chat: tuple[tuple[str, str], ...] = (),
    age_s: int = 300,
    link: Link | None = None,
    quality: dict | None = None,
    purpose: Purpose = Purpose.DAMAGE_VERIFICATION,
) -> str:
    """An ended call created ``age_s`` ago; answered by ``agent_id`` (``WAITED_S`` after
    it was created, ``LENGTH_S`` long) or, with no agent, ended in the queue. ``chat``:
    (who, text) lines said during it; ``link``: the link it was made on (default: a new
    one); ``quality``: its stored connection quality (``CallQuality``'s fields);
    ``purpose``: why the link was sent. Returns its id."""
    if link is None:
        link, _ = make_link(app, order_ref)
    created = app.state.clock.now() - timedelta(seconds=age_s)
    answered = created + timedelta(seconds=WAITED_S) if agent_id is not None else None
    ended = (answered or created) + timedelta(seconds=LENGTH_S if answered else 5)
    call_id = f"stored{next(_ids):04d}"

    def event(kind: str, at_s: float, data: dict | None = None) -> CallEvent:
        return CallEvent(
            call_id=call_id,
            kind=kind,
            t_ms=round(at_s * 1000),
            at=created + timedelta(seconds=at_s),
            data=data or {},
        )

    with Session(app.state.engine) as db:
        db.add(
            Call(
                id=call_id,
                link_id=link.id,
                order_ref=order_ref,
                purpose=purpose,
                state=CallState.ENDED,
                agent_id=agent_id,
                created_at=created,
                answered_at=answered,
                ended_at=ended,
                end_reason=end_reason,
                quality=quality,
            )
        )
        db.flush()
        if answered is not None:
            db.add(event("answered", WAITED_S))
        for n, (who, text) in enumerate(chat, start=1):
            db.add(event("chat", WAITED_S + 10 * n, {"from": who, "name": who, "text": text}))
        db.add(event("ended", (ended - created).total_seconds()))
        db.commit()
    return call_id


def tag(live_server: LiveServer, email: str, call_id: str, outcome: str, decision: str) -> None:
    """The call's agent (signed in as ``email``) sets its outcome through the API, as the
    console does."""
    with httpx.Client(base_url=live_server.url) as client:
        csrf = login(client, email)
        answer = client.put(
            f"/api/sessions/{call_id}/outcome",
            json={"outcome": outcome, "decision": decision, "note": None},
            headers={"X-CSRF-Token": csrf},
        )
    assert answer.status_code == 200, answer.text


def ended_call(
    app: FastAPI, order_ref: str, days_ago: float, *, buyer_name: str = "Bea Buyer"
) -> str:
    """A call of ``order_ref`` that ended ``days_ago`` days ago, tagged ``defect``, with a
    recording file, a photo file and a chat line; returns its id."""
    link, _ = make_link(app, order_ref, buyer_name=buyer_name)
    now = app.state.clock.now()
    ended = now - timedelta(days=days_ago)
    call_id = uuid.uuid4().hex
    storage = app.state.storage
    files = {}
    for kind in ("recording", "photo"):
        key = f"calls/{call_id}/{kind}.bin"
        storage.path_for_writing(key).write_bytes(b"evidence")
        storage.commit(key)
        files[kind] = key
    with Session(app.state.engine) as db:
        db.add(
            Call(
                id=call_id,
                link_id=link.id,
                order_ref=order_ref,
                purpose=Purpose.DAMAGE_VERIFICATION,
                buyer_name=buyer_name,
                state=CallState.ENDED,
                created_at=ended - timedelta(minutes=5),
                answered_at=ended - timedelta(minutes=4),
                ended_at=ended,
                end_reason=EndReason.AGENT_ENDED,
                outcome=Outcome.DEFECT,
                outcome_note=f"{buyer_name} showed the cracked lid",
                consent_decision="accepted",
                consent_at=ended - timedelta(minutes=5),
                consent_locale="fr",
                consent_version=1,
                buyer_timezone="Europe/Paris",
            )
        )
        db.flush()
        db.add(
            Recording(
                call_id=call_id,
                kind="review",
                content_type="video/webm",
                state="ready",
                storage_key=files["recording"],
                created_at=ended,
            )
        )
        db.add(
            Photo(
                call_id=call_id,
                storage_key=files["photo"],
                content_type="image/jpeg",
                size_bytes=8,
                width=1,
                height=1,
                sha256="0" * 64,
                t_ms=1000,
                created_at=ended,
            )
        )
        db.add(
            CallEvent(
                call_id=call_id,
                kind="chat",
                t_ms=2000,
                at=ended,
                data={"from": "buyer", "name": buyer_name, "text": "my address is ..."},
            )
        )
        db.commit()
    return call_id
