"""The code's shape, checked: no module under services/ over 400 lines, no function over 70.

Generated contracts and migrations are exempt (protoc output; self-contained revisions).
Long modules and functions are where rules hide; past these sizes, split by capability.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 70


def _modules() -> list[Path]:
    return sorted(p for p in (ROOT / "services").rglob("*.py")
                  if "contracts" not in p.parts and "migrations" not in p.parts)


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


@pytest.mark.parametrize("path", _modules(), ids=_ids(_modules()))
def test_module_is_at_most_400_lines(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.relative_to(ROOT)} has {lines} lines; split it by capability"


@pytest.mark.parametrize("path", _modules(), ids=_ids(_modules()))
def test_functions_are_at_most_70_lines(path: Path) -> None:
    tree = ast.parse(path.read_text())
    long = [f"{node.name} ({node.end_lineno - node.lineno + 1} lines, line {node.lineno})"
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, f"{path.relative_to(ROOT)}: " + ", ".join(long)


def test_the_check_sees_the_services() -> None:
    """Guard against a path change that would make the checks above vacuous."""
    names = {p.parts[-2] for p in _modules()}
    assert {"wallet", "tariff", "control", "acquisition", "kit"} <= names
