"""A call's recorded files: ``GET /api/sessions/{session_id}/recording`` (the playable
review file) and ``GET /api/sessions/{session_id}/recordings/{recording_id}`` (any one
file), with HTTP range requests. Supervisors, admins, the call's own agent and API keys
with ``recordings:read``; 404 for anyone else. Every view is audited
(``server.evidence.audit``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from server.api.deps import CallAccess, ClockDep, DbDep, EvidenceViewer, RecordingId
from server.api.sessions.files import RangeFileResponse, evidence_file, opens_file
from server.evidence import audit, recordings
from server.infra.clock import Clock
from server.models.evidence import Recording

router = APIRouter(tags=["sessions"])


def _serve(
    row: Recording, access: CallAccess, request: Request, db: Session, clock: Clock
) -> Response:
    """The file of ``row``, once its view is audited (nothing is audited when the file is
    missing: nothing is served)."""
    response = evidence_file(request.app.state.storage, row.storage_key, row.content_type)
    assert row.id is not None
    audit.recording_viewed(
        db,
        audit.Viewer(access.principal.user_id, access.principal.api_key_id),
        access.call.id,
        row.id,
        clock.now(),
        opens_file=opens_file(request),
    )
    return response


@router.get(
    "/api/sessions/{session_id}/recording",
    response_class=RangeFileResponse,
    responses={
        200: {"description": "the review file (WebM or MP4)"},
        206: {"description": "the requested byte range"},
        409: {"description": "the review file is still being made"},
        416: {"description": "the range starts past the end"},
    },
)
def get_review_recording(
    access: EvidenceViewer, request: Request, db: DbDep, clock: ClockDep
) -> Response:
    """The call's playable review file, with HTTP range requests. Supervisors, admins,
    the call's own agent and API keys with `recordings:read`; 404 for anyone else.
    Every view is audited."""
    return _serve(recordings.playable_review(db, access.call.id), access, request, db, clock)


@router.get(
    "/api/sessions/{session_id}/recordings/{recording_id}",
    response_class=RangeFileResponse,
    responses={
        206: {"description": "the requested byte range"},
        416: {"description": "the range starts past the end"},
    },
)
def get_recording(
    recording_id: RecordingId,
    access: EvidenceViewer,
    request: Request,
    db: DbDep,
    clock: ClockDep,
) -> Response:
    """One recorded file of the call (a per-track file as recorded, or the review file),
    with HTTP range requests. Same access and audit as the review file."""
    row = recordings.get_recording(db, access.call.id, recording_id)
    return _serve(row, access, request, db, clock)
