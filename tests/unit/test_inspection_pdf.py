"""The inspection PDF in the buyer's language: Chinese and Arabic item labels come out as
text a PDF reader extracts, and the sign-off time is in the buyer's time zone."""

from __future__ import annotations

import io

import pypdf

from server.inspections.report_pdf import inspection_pdf


def report(labels: list[str]) -> dict:
    return {
        "session_id": "abc123",
        "order_ref": "ORD-9",
        "template": "default",
        "created_at": "2026-12-02T10:00:00+00:00",
        "items": [
            {
                "key": f"item{n}",
                "label": label,
                "photos_required": 1,
                "state": "rejected" if n == 0 else "approved",
                "photo_ids": [],
                "reason": "盒子破了" if n == 0 else None,
                "decided_at": "2026-12-02T10:05:00+00:00",
            }
            for n, label in enumerate(labels)
        ],
        "signoff": {
            "decision": "approved",
            "reason": None,
            "name": "李雷",
            "at": "2026-12-02T10:10:00+00:00",
        },
    }


def test_cjk_labels_reason_name_and_local_sign_off_time_are_in_the_pdf():
    data = inspection_pdf(report(["快递面单和条形码", "序列号"]), {}, "Asia/Shanghai")
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
    for wanted in ("快递面单和条形码", "序列号", "盒子破了", "李雷", "abc123"):
        assert wanted in text
    assert "2026-12-02 18:10:00" in text  # 10:10 UTC in Shanghai


def test_an_unknown_time_zone_falls_back_to_utc():
    data = inspection_pdf(report(["Serial number"]), {}, "Mars/Olympus")
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
    assert "2026-12-02 10:10:00 UTC" in text
