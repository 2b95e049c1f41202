"""The evidence bundle: ``GET /api/sessions/{session_id}/bundle`` (a signed ZIP of the
call's evidence, ``server.evidence.bundle``; supervisors, admins and API keys with
``recordings:read``; audited; ``zip_response`` also serves a case's, see
``server.api.cases``) and ``GET /api/evidence/public-key`` (the key that verifies
every bundle, PEM, open to anyone)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from server.api.deps import CallAccess, ClockDep, DbDep, SettingsDep, authorize_call
from server.evidence import bundle
from server.infra import signing
from server.models import Role

router = APIRouter(tags=["sessions"])

BundleReader = Annotated[
    CallAccess,
    Depends(authorize_call(Role.supervisor, Role.admin, scope="recordings:read")),
]


@router.get(
    "/api/sessions/{session_id}/bundle",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/zip": {}}, "description": "the call's signed bundle"},
        404: {"description": "no such call"},
    },
)
async def get_bundle(
    access: BundleReader, request: Request, db: DbDep, clock: ClockDep, settings: SettingsDep
) -> FileResponse:
    """The call's evidence as a ZIP: the review file, each track file, the photos, the
    chat (`chat.json`, `chat.txt`), the outcome history, the events, the order, and
    `manifest.json` (every file's name, size and SHA-256) with `manifest.sig` (Ed25519
    over the manifest, base64; the key at `/api/evidence/public-key`). Supervisors,
    admins and API keys with `recordings:read`. Audited (`evidence_bundle`)."""
    storage, now, call = request.app.state.storage, clock.now(), access.call
    principal = access.principal

    def write(out: IO[bytes]) -> None:
        bundle.write_bundle(
            db,
            storage,
            call,
            signing.signing_key(settings.data_dir),
            now,
            out,
            user_id=principal.user_id,
            api_key_id=principal.api_key_id,
        )

    return await zip_response(write, f"showdesk-evidence-{call.id}.zip")


async def zip_response(write: Callable[[IO[bytes]], object], filename: str) -> FileResponse:
    """The ZIP that ``write`` puts into a private temporary file (in a worker thread), as
    a download named ``filename``, never cached; the file is deleted once sent, or at
    once when ``write`` fails."""

    def written() -> Path:
        fd, name = tempfile.mkstemp(prefix="bundle-", suffix=".zip")  # mode 0600
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                write(out)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path

    path = await run_in_threadpool(written)
    return FileResponse(
        path,
        media_type="application/zip",
        filename=filename,
        headers={"Cache-Control": "private, no-store"},
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


@router.get(
    "/api/evidence/public-key",
    response_class=Response,
    responses={200: {"content": {"application/x-pem-file": {}}, "description": "PEM"}},
)
def get_public_key(settings: SettingsDep) -> Response:
    """The Ed25519 public key (PEM) that verifies every evidence bundle's `manifest.sig`;
    the same for the life of the data directory. No sign-in needed."""
    pem = signing.public_key_pem(signing.signing_key(settings.data_dir))
    return Response(pem, media_type="application/x-pem-file")
