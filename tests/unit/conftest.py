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
)


@pytest.fixture(scope="session")
def limits() -> dict[str, Any]:
    """The switchboard's limits at their defaults, which only ``Settings`` defines."""
    return {name: Settings.model_fields[name].default for name in SWITCHBOARD_LIMITS}
