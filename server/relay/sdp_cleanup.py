"""Clean a browser's SDP offer before aiortc sees it (pure: no I/O, no aiortc).

Two kinds of lines are removed, everything else is kept byte for byte:

- ``a=candidate`` lines whose connection address ends in ``.local``: browsers hide
  their host addresses behind mDNS names, which aiortc cannot resolve; it waits
  about 1 s per name before ICE succeeds over the other candidates anyway.
- ``a=end-of-candidates``: with it, and only ``.local`` candidates (Firefox's
  default), aioice prunes its only component and aiortc answers with no
  candidates at all, so the call can never connect.
"""

from __future__ import annotations

MDNS_SUFFIX = ".local"
_CANDIDATE_PREFIX = "a=candidate:"
_END_OF_CANDIDATES = "a=end-of-candidates"
# Position of the connection address in "foundation component transport priority
# address port typ type ..." (RFC 8839 section 5.1).
_ADDRESS_FIELD_INDEX = 4


def is_mdns_candidate(candidate: str) -> bool:
    """True if an ICE candidate string's address is an mDNS ``.local`` name.

    Accepts the attribute with or without its ``a=`` / ``candidate:`` prefix.
    A candidate too short to have an address is not an mDNS candidate.
    """
    text = candidate.strip()
    if text.startswith("a="):
        text = text[2:]
    if text.startswith("candidate:"):
        text = text[len("candidate:") :]
    fields = text.split()
    if len(fields) <= _ADDRESS_FIELD_INDEX:
        return False
    return fields[_ADDRESS_FIELD_INDEX].lower().endswith(MDNS_SUFFIX)


def clean_offer_sdp(sdp: str) -> str:
    """Return ``sdp`` without ``.local`` candidates and ``a=end-of-candidates`` lines.

    Line endings (CRLF or LF) and every other byte are preserved.
    """
    kept = []
    for line in sdp.splitlines(keepends=True):
        content = line.rstrip("\r\n")
        if content == _END_OF_CANDIDATES:
            continue
        if content.startswith(_CANDIDATE_PREFIX) and is_mdns_candidate(content):
            continue
        kept.append(line)
    return "".join(kept)
