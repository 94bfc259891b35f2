"""Tests share helpers through tests/support/, never by importing one another.

A test module imported as a library runs its neighbours' imports, fixtures and module
state in the importer, ties two files' edits together, and hides which helpers are
shared (test_hubspot_webhook was once a library for six modules). Fixtures live in
conftest.py files, which pytest finds by itself: importing a conftest would make its
fixtures a second time. So no module under tests/ or bench/ imports a `test_*` module
or a conftest."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEARCHED = ("tests", "bench")


def imported_modules(source: str, package: tuple[str, ...]) -> list[str]:
    """The dotted names a module's source imports, relative imports resolved from its
    package (`("tests", "integration")`)."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else ()
            module = ".".join((*base, *(node.module.split(".") if node.module else ())))
            names.append(module)
            # `from tests.integration import test_x` names the module in the alias
            names += [f"{module}.{alias.name}" for alias in node.names]
    return names


def is_test_module(dotted: str) -> bool:
    parts = dotted.split(".")
    return parts[0] in SEARCHED and (parts[-1].startswith("test_") or parts[-1] == "conftest")


def test_no_module_of_the_tests_or_benchmarks_imports_a_test_module_or_a_conftest():
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for folder in SEARCHED
        for path in sorted((ROOT / folder).rglob("*.py"))
        for name in imported_modules(path.read_text(), path.relative_to(ROOT).parent.parts)
        if is_test_module(name)
    ]
    assert not offenders, "share it through tests/support/ instead:\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    "line",
    [
        "from tests.integration.test_hubspot_webhook import closed_won",
        "from tests.integration import test_hubspot_webhook",
        "import tests.integration.test_hubspot_webhook",
        "from .test_hubspot_webhook import closed_won",
        "from tests.integration.conftest import activity",
        "from . import conftest",
        "from ..integration.test_imports import row",
    ],
)
def test_the_check_sees_each_way_of_importing_a_test_module(line):
    """The scan itself: a check that finds nothing must be able to find something."""
    names = imported_modules(line, ("tests", "integration"))
    assert any(is_test_module(name) for name in names), names


def test_the_check_lets_the_support_modules_be_imported():
    names = imported_modules(
        "from tests.support.hubspot_webhooks import closed_won\nfrom tests.support import api",
        ("tests", "integration"),
    )
    assert names and not any(is_test_module(name) for name in names), names
