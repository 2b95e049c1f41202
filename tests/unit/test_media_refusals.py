"""A refused offer or candidate is explained to the page without the relay's internal ids."""

from __future__ import annotations

from server.calls.media import _for_page
from server.relay import RelayError

LEG = "9f3c1a0e2b7d4c6f8e1a2b3c4d5e6f70:agent:2"


def test_the_legs_internal_id_is_named_this_connection() -> None:
    text = _for_page(RelayError(f'participant "{LEG}" was closed while answering'), LEG)
    assert text == "this connection was closed while answering"
    assert "9f3c1a0e" not in text


def test_a_reason_without_ids_reaches_the_page_as_it_is() -> None:
    assert _for_page(RelayError("no codec in common"), LEG) == "no codec in common"
