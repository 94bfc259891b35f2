"""The roles table of the docs (docs/reference/roles.md), generated: every `/api` route
with the roles besides admin that the permission table (service/application/
permissions.py) gives its `@requires` key. `scripts/roles_table.py` prints it; a test
fails when the committed table differs.

The routes are read from the API's blueprints registered on a bare Flask app, so the
table needs no settings, database or runtime."""

from __future__ import annotations

import re

from flask import Flask

from service.application.permissions import ADMIN, PERMISSIONS, roles_of

HEADER = ("| route | roles besides admin |", "|---|---|")
NONE = "—"


def api_routes_app() -> Flask:
    """A Flask app holding only the API's routes (enough to read its url_map)."""
    from service.web.app import BLUEPRINTS, LedgerApi

    app = Flask(__name__)
    app.config.update(API_TITLE="roles", API_VERSION="1", OPENAPI_VERSION="3.0.3")
    api = LedgerApi(app)
    for module in BLUEPRINTS:
        api.register_blueprint(module.blp)
    return app


def api_permissions(app: Flask) -> list[tuple[str, str]]:
    """("METHOD /api/path/{id}", permission key) of every `/api` route guarded by
    `@requires`, in the permission table's order, then the app's."""
    found = []
    for rule in app.url_map.iter_rules():
        key = getattr(app.view_functions[rule.endpoint], "permission", None)
        if key is None or not rule.rule.startswith("/api/"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((f"{method} {_documented_path(rule.rule)}", key))
    order = list(PERMISSIONS)
    return sorted(found, key=lambda route: order.index(route[1]))


def roles_table(app: Flask | None = None) -> str:
    """The Markdown table: one row per set of roles, in the order the permission
    table first names it; each row's routes in the table's order."""
    rows: dict[tuple[str, ...], list[str]] = {}
    for route, key in api_permissions(app or api_routes_app()):
        roles = tuple(role for role in roles_of(key) if role != ADMIN)
        rows.setdefault(roles, []).append(route)
    lines = list(HEADER)
    for roles, routes in rows.items():
        lines.append(f"| {', '.join(f'`{r}`' for r in routes)} | {', '.join(roles) or NONE} |")
    return "\n".join(lines) + "\n"


def table_in(markdown: str) -> str:
    """The roles table as a Markdown page holds it: from its header to the first line
    that is not a row ("" when the page has none)."""
    lines = markdown.splitlines()
    if HEADER[0] not in lines:
        return ""
    start = lines.index(HEADER[0])
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return "\n".join(lines[start:end]) + "\n"


def with_table(markdown: str, table: str) -> str:
    """The page with its roles table replaced by `table`."""
    old = table_in(markdown)
    if not old:
        raise ValueError(f"no table headed {HEADER[0]!r}")
    return markdown.replace(old, table, 1)


def _documented_path(rule: str) -> str:
    """`/api/engagements/<uuid:engagement_id>` → `/api/engagements/{id}`; arguments
    that are not ids keep their names (`{handle}`, `{month}`)."""

    def placeholder(match: re.Match[str]) -> str:
        name = match[1]
        return "{id}" if name == "id" or name.endswith("_id") else "{" + name + "}"

    return re.sub(r"<(?:\w+:)?(\w+)>", placeholder, rule)
