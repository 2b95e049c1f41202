"""Fixtures of the unit tier."""

from __future__ import annotations

from typing import Any

import pytest

from server.infra.config import Settings

SWITCHBOARD_LIMITS = (
    "reconnect_grace_s",
    "max_call_duration_s",
    "default_handle_time_s",
    "max_queue_length",
    "max_wait_s",
    "no_common_codec_grace_s",
)


@pytest.fixture(scope="session")
def limits() -> dict[str, Any]:
    """The switchboard's limits at their defaults, which only ``Settings`` defines."""
    fields = Settings.model_fields
    return {
        **{name: fields[name].default for name in SWITCHBOARD_LIMITS},
        "consents_per_link_per_minute": fields["link_consents_per_minute"].default,
    }
