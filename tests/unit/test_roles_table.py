"""The roles table of the docs is generated from the permission table
(scripts/roles_table.py): it fails here when the committed one differs, or when a route
is guarded by no `@requires`."""

from __future__ import annotations

from pathlib import Path

from service.web.roles_table import HEADER, api_routes_app, roles_table, table_in, with_table

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "reference" / "roles.md"


def test_the_docs_roles_table_is_the_generated_one():
    committed = table_in(PAGE.read_text())
    assert committed, f"{PAGE.relative_to(ROOT)} has no table headed {HEADER[0]}"
    assert committed == roles_table(), (
        "the roles table differs from the permission table: "
        "run .venv/bin/python scripts/roles_table.py --write"
    )


def test_every_api_route_is_in_the_table():
    app = api_routes_app()
    unguarded = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        and not rule.endpoint.startswith("api-docs.")
        and not hasattr(app.view_functions[rule.endpoint], "permission")
    ]
    assert unguarded == []
    table = roles_table(app)
    assert "`POST /api/allocations/{id}/activities`" in table
    assert "`PATCH /api/team-members/{handle}`" in table
    assert "`POST /api/periods/{month}/closure`" in table


def test_the_table_is_replaced_in_place():
    page = f"# Roles\n\nBefore.\n\n{HEADER[0]}\n{HEADER[1]}\n| `GET /x` | bd |\n\nAfter.\n"
    replaced = with_table(page, roles_table())
    assert replaced.startswith("# Roles\n\nBefore.\n\n| route |")
    assert replaced.endswith("|\n\nAfter.\n")
    assert "`GET /x`" not in replaced
