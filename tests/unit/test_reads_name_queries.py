"""A read in service/web names the query it makes, never read models: `fresh` and
`read_fresh` (service/web/http/reads.py) take a declared query, and the read models
it reads are declared beside it (projections/reports/declared.py). Listing names at
a read site is how a report that starts reading one more read model served stale data
from it, until every caller's list was edited."""

from __future__ import annotations

import ast
from pathlib import Path

from projections.catalog import NAMES

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "service" / "web"
READS = ("fresh", "read_fresh")


def web_modules() -> list[tuple[str, ast.Module]]:
    return [
        (str(path.relative_to(ROOT)), ast.parse(path.read_text(), str(path)))
        for path in sorted(WEB.rglob("*.py"))
    ]


def called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def read_sites_listing_names(tree: ast.Module) -> list[str]:
    """The reads whose first argument is not a query (a name or an attribute) but a
    literal: a tuple, list or set of names, a string, or a computed list."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and called_name(node) in READS and node.args:
            first = node.args[0]
            if not isinstance(first, ast.Name | ast.Attribute):
                found.append(f"line {node.lineno}: {ast.unparse(first)}")
    return found


def lists_of_read_model_names(tree: ast.Module) -> list[str]:
    """Tuples, lists and sets made only of read models' names (a `VIEWS = (...)`)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple | ast.List | ast.Set) and node.elts:
            values = [elt.value if isinstance(elt, ast.Constant) else None for elt in node.elts]
            if all(value in NAMES for value in values):
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_no_read_in_service_web_lists_read_models():
    offending = {
        path: found
        for path, tree in web_modules()
        if (found := read_sites_listing_names(tree) + lists_of_read_model_names(tree))
    }
    assert not offending, offending


def test_the_check_finds_the_ways_names_were_listed():
    """The check's own self-test, on the shapes the read sites had before."""
    before = ast.parse(
        'VIEWS = ("team", "usage", "balances")\n'
        'rows = fresh(("balances",), None).view("balances")\n'
        'fresh(["activities"], 5)\n'
        "fresh(read_models_of(monthly_report), None)\n"
        'read_fresh("merkle", 3)\n'
    )
    assert len(read_sites_listing_names(before)) == 4
    assert len(lists_of_read_model_names(before)) == 3  # VIEWS, ("balances",), ["activities"]
    after = ast.parse(
        'READERS = ("bd", "manager")\n'
        "rows = read_fresh(engagements_page, None, limit=5)\n"
        "read_models = fresh(report, target, as_of=True)\n"
    )
    assert read_sites_listing_names(after) == lists_of_read_model_names(after) == []
