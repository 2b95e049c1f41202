"""Calls for review: ``/api/sessions`` and ``/api/audit``, one module per job.

- ``listing.py``: the review list (filters, counts, pages) and one call's detail.
- ``recordings.py``: the review file and any one recorded file, with range requests.
- ``photos.py``: the buyer's upload, viewing a photo, its caption.
- ``verdicts.py``: the agent's outcome, the supervisor's confirm or override.
- ``audit.py``: who viewed which recording or photo.
- ``bundle.py``: the call's signed evidence bundle and the key that verifies it.
- ``inspection.py``: a remote inspection: checklist, photos per item, the buyer's
  decisions and sign-off, the report as JSON and PDF; ``inspection_clips.py``: an
  item's clip, a stretch of the call's recording.
- ``files.py`` (evidence files as range responses) and ``paging.py`` serve the others.

``router`` holds their routes in this order, the order of ``/openapi.json``'s paths (no
two of the paths overlap, so the order does not decide which route answers).
"""

from fastapi import APIRouter

from server.api.sessions import (
    audit,
    bundle,
    inspection,
    inspection_clips,
    listing,
    photos,
    recordings,
    verdicts,
)

router = APIRouter()
router.include_router(listing.router)
router.include_router(recordings.router)
router.include_router(photos.router)
router.include_router(verdicts.router)
router.include_router(audit.router)
router.include_router(bundle.router)
router.include_router(inspection.router)
router.include_router(inspection_clips.router)
