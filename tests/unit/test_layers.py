"""The layer rule: domain ← application ← {web, projections, integrations} ← bootstrap.
Each package may import only what lies below it, and no module grows past 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN = {
    "service/domain": (
        "flask",
        "psycopg",
        "hubspot",
        "service.application",
        "service.web",
        "service.infra",
        "service.bootstrap",
        "projections",
        "integrations",
    ),
    "service/application": (
        "flask",
        "hubspot",
        "service.web",
        "service.bootstrap",
        "projections",
        "integrations",
    ),
    "service/web": (
        "service.bootstrap",
        "service.runtime",
        "service.workers",
        "service.cli",
        "integrations",
    ),
    "service/notify": (
        "flask",
        "service.web",
        "service.bootstrap",
        "service.runtime",
        "service.cli",
        "integrations",
    ),
    "projections": ("flask_smorest", "service.web", "service.bootstrap", "integrations"),
    "integrations": ("service.web", "service.bootstrap", "projections"),
}
MAX_LINES = 400


def modules_under(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def imported_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            raise AssertionError(f"{path.relative_to(ROOT)}: use absolute imports")
    return names


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(folder):
    breaches = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules_under(folder)
        for name in imported_names(path)
        if any(name == banned or name.startswith(banned + ".") for banned in FORBIDDEN[folder])
    ]
    assert not breaches, "layer rule broken:\n" + "\n".join(breaches)


@pytest.mark.parametrize("folder", ["service", "projections", "integrations"])
def test_no_module_is_over_400_lines(folder):
    long = {
        str(path.relative_to(ROOT)): lines
        for path in modules_under(folder)
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"
