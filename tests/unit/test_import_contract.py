"""The import contract (pyproject.toml, [tool.importlinter]) holds, and it would catch a
forbidden import: each rule is broken on purpose in a copy of the tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_tree_keeps_every_import_rule() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "forbidden", "contract"),
    [
        ("signaling/call.py", "import fastapi", "signaling is the pure protocol core"),
        ("signaling/switchboard.py", "import server.models", "signaling is the pure protocol core"),
        ("server/relay/local.py", "import server.api.deps", "the relay imports no HTTP"),
        ("server/relay/forwarding.py", "import sqlmodel", "the relay imports no HTTP"),
        ("server/models/call.py", "import server.api.errors", "models import no routes"),
        ("server/storage/local.py", "import server.calls.desk", "storage knows nothing of calls"),
        ("server/recording/recorder.py", "import server.relay.local", "relay's interface only"),
        ("server/calls/media.py", "import aiortc", "the control plane never loads aiortc"),
        ("server/infra/config.py", "import server.api.deps", "server layers"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, forbidden: str, contract: str
) -> None:
    tree = tmp_path / "tree"
    for folder in ("server", "signaling"):
        shutil.copytree(ROOT / folder, tree / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    target = tree / module
    target.write_text(target.read_text() + f"\n{forbidden}  # noqa\n")

    result = lint_imports(tree)

    assert result.returncode != 0, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout
    assert module.removesuffix(".py").replace("/", ".") in broken


def test_the_control_plane_starts_without_loading_aiortc() -> None:
    probe = (
        "import sys, server.app, server.cli.commands, server.relay, server.relay.interface;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('aiortc', 'aioice')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "[]"
