"""The inspection report as a PDF (fpdf2): the call id, each item with its photos as
thumbnails, its clip as a stretch of the call's recording ("clip 0:12–0:31 of the
recording", from the recording's start), the buyer's decision and reason, and the sign-off
with the buyer's name and time in the buyer's time zone. Text is shaped (uharfbuzz) in
DejaVu Sans, with WenQuanYi Zen Hei for Chinese, Japanese and Korean.

Blocking (reads images, builds the file): the API runs it in a thread.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fpdf import FPDF

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
THUMB_MM = 38


def _local(iso: str | None, zone: str | None) -> str:
    if not iso:
        return "-"
    moment = datetime.fromisoformat(iso)
    try:
        tz = ZoneInfo(zone) if zone else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z") + f" ({tz.key})"


def recording_time(t_ms: int, origin_ms: int | None) -> str:
    """``t_ms`` on the call clock as m:ss (h:mm:ss past an hour) into the recording that
    starts at ``origin_ms``, as the pages show it."""
    seconds = max(0, t_ms - (origin_ms or 0)) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def clip_words(item: dict[str, Any], origin_ms: int | None) -> str | None:
    """The item's clip line, or None for an item without one that needs none."""
    clip = item.get("clip")
    if clip is None:
        return "Clip: not recorded yet" if item.get("clip_required") else None
    start = recording_time(clip["start_ms"], origin_ms)
    if clip.get("end_ms") is None:
        return f"Clip: being recorded since {start} of the recording"
    return f"Clip: {start}\u2013{recording_time(clip['end_ms'], origin_ms)} of the recording"


def _fonts(pdf: FPDF) -> str:
    if (DEJAVU / "DejaVuSans.ttf").exists():
        pdf.add_font("DejaVu", fname=str(DEJAVU / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", style="B", fname=str(DEJAVU / "DejaVuSans-Bold.ttf"))
        if CJK_FONT.exists():
            pdf.add_font("WQY", fname=str(CJK_FONT), collection_font_number=0)
            # a fallback is chosen by style too: without a bold face, bold CJK is dropped
            pdf.add_font("WQY", style="B", fname=str(CJK_FONT), collection_font_number=0)
            pdf.set_fallback_fonts(["WQY"])
        pdf.set_text_shaping(True)
        return "DejaVu"
    return "Helvetica"


def inspection_pdf(
    report: dict[str, Any], photo_paths: dict[int, Path], time_zone: str | None
) -> bytes:
    """The PDF of ``report`` (the shape ``GET /api/sessions/{id}/inspection`` answers);
    ``photo_paths`` maps photo ids to their files, embedded as thumbnails."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    family = _fonts(pdf)
    pdf.add_page()
    pdf.set_font(family, "B", 16)
    pdf.multi_cell(0, 9, "Inspection report", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    for line in (
        f"Call: {report['session_id']}",
        f"Order: {report.get('order_ref') or '-'}",
        f"Checklist: {report['template']}",
        f"Started: {_local(report.get('created_at'), time_zone)}",
    ):
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for number, item in enumerate(report["items"], start=1):
        pdf.set_font(family, "B", 12)
        pdf.multi_cell(0, 7, f"{number}. {item['label']}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 10)
        decision = {"approved": "Approved", "rejected": "Rejected"}.get(item["state"], "Open")
        pdf.multi_cell(
            0,
            6,
            f"Decision: {decision} ({_local(item.get('decided_at'), time_zone)})",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        if item.get("reason"):
            pdf.multi_cell(0, 6, f"Reason: {item['reason']}", new_x="LMARGIN", new_y="NEXT")
        if item["photos_required"] or item["photo_ids"]:
            pdf.multi_cell(
                0,
                6,
                f"Photos: {len(item['photo_ids'])} of {item['photos_required']} required",
                new_x="LMARGIN",
                new_y="NEXT",
            )
        clip = clip_words(item, report.get("recording_start_ms"))
        if clip:
            pdf.multi_cell(0, 6, clip, new_x="LMARGIN", new_y="NEXT")
        x = pdf.l_margin
        row_top = pdf.get_y()
        for photo_id in item["photo_ids"]:
            path = photo_paths.get(photo_id)
            if path is None or not path.exists():
                continue
            if x + THUMB_MM > pdf.w - pdf.r_margin:
                x = pdf.l_margin
                row_top += THUMB_MM + 2
            if row_top + THUMB_MM > pdf.h - pdf.b_margin:
                pdf.add_page()
                row_top = pdf.get_y()
            pdf.image(str(path), x=x, y=row_top, w=THUMB_MM, h=THUMB_MM, keep_aspect_ratio=True)
            x += THUMB_MM + 2
        if item["photo_ids"]:
            pdf.set_y(row_top + THUMB_MM + 2)
        pdf.ln(2)
    pdf.set_font(family, "B", 12)
    pdf.multi_cell(0, 7, "Sign-off", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    signoff = report.get("signoff")
    if signoff is None:
        pdf.multi_cell(0, 6, "Not signed off yet", new_x="LMARGIN", new_y="NEXT")
    else:
        verdict = "Approved" if signoff["decision"] == "approved" else "Rejected"
        for line in (
            f"Decision: {verdict}",
            f"Reason: {signoff['reason']}" if signoff.get("reason") else None,
            f"Signed by: {signoff['name']}",
            f"Signed at: {_local(signoff['at'], time_zone)}",
        ):
            if line:
                pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    if report.get("evidence_sha256"):
        pdf.ln(2)
        pdf.set_font(family, "B", 12)
        pdf.multi_cell(0, 7, "Evidence bundle", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 10)
        pdf.multi_cell(
            0,
            6,
            "SHA-256 of its recordings and photos (media_sha256):",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.multi_cell(0, 6, report["evidence_sha256"], new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
