"""A case's one timeline: what its buyer submitted (each submission with its note, clips
and photos), the stills agents took from its clips, the live calls made from the same
link, the replies and every change of its one verdict, in time order.

Pure: it orders rows it is given. Entries at the same moment keep the order of
``KINDS`` (a submission before the verdict set on it in the same second)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from server.models import Call
from server.models.case import CaseFile, CaseOutcomeChange, CaseReply, CaseSubmission

KINDS: Final = ("submission", "still", "call", "reply", "verdict")


@dataclass(frozen=True)
class Entry:
    """One moment of a case: ``kind`` (one of ``KINDS``) and the id of its row (a
    submission's, a still's file, a call's, a reply's or a verdict change's)."""

    kind: str
    at: datetime
    id: int | str


def timeline(
    submissions: list[CaseSubmission],
    files: list[CaseFile],
    calls: list[Call],
    replies: list[CaseReply],
    changes: list[CaseOutcomeChange],
) -> list[Entry]:
    """The case's moments in time order; a submitted file is shown within its
    submission, so only stills (files with a ``source_file_id``) are entries of their
    own."""
    entries = [Entry("submission", s.submitted_at, s.id or 0) for s in submissions]
    entries += [Entry("still", f.created_at, f.id or 0) for f in files if f.source_file_id]
    entries += [Entry("call", c.created_at, c.id) for c in calls]
    entries += [Entry("reply", r.at, r.id or 0) for r in replies]
    entries += [Entry("verdict", ch.at, ch.id or 0) for ch in changes]
    return sorted(entries, key=lambda e: (e.at, KINDS.index(e.kind)))
