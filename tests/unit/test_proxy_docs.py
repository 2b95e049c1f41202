"""The reverse-proxy example overwrites X-Forwarded-For (docs/security.md, "Behind a
reverse proxy"): a proxy that passes a client's own header on lets it pick the address
the rate limits count and the /metrics loopback check sees."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_nginx_example_overwrites_x_forwarded_for() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```nginx\n(.*?)```", readme, re.S)
    assert blocks
    for block in blocks:
        assert "$proxy_add_x_forwarded_for" not in block
        assert re.search(r"proxy_set_header X-Forwarded-For \$remote_addr;", block)


def test_security_doc_states_the_proxy_requirement() -> None:
    doc = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    assert "## Behind a reverse proxy" in doc
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in doc
