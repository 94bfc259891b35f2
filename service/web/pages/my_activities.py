"""My activities (`/my/activities`): every activity of the signed-in member by the date
of the work, newest first, narrowed by allocation, month, late and corrected, a page
at a time, and the same filter's every activity as a CSV file
(`/my/activities.csv`).

It reads what `GET /api/me/activities` reads (`member_activities`), its filters and
paging read by that route's own schema, and the file is that route's CSV: the same
columns, the same formula-safe writer. A filter that is not one (a month that is no
month) re-renders the form with the message under it (422)."""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for

from projections.reports.member_activities import member_activities, member_allocations
from projections.reports.tables import MEMBER_ACTIVITY_COLUMNS, member_activity_rows
from service.web.api.me import MyActivitiesFilterSchema, MyActivitiesQuerySchema
from service.web.http.csv_files import csv_file
from service.web.http.reads import fresh
from service.web.pages.blueprints import page_blueprint
from service.web.pages.forms import Errors, load
from service.web.pages.my_work import me
from service.web.pages.people import page

blp = page_blueprint("my_activities", __name__)

PAGE_SIZE = 25
FILTERS = tuple(MyActivitiesFilterSchema().fields)


@blp.route("/my/activities", methods=["GET"])
@page("page:my_work")
def activities():
    given = _given()
    query, errors = load(MyActivitiesQuerySchema(), {"limit": str(PAGE_SIZE), **given})
    member = me().member
    read_models = fresh(member_activities, None)
    choices = member_allocations(read_models, member) if member else {}
    items: list[dict[str, Any]] = []
    total = 0
    if query is not None and member is not None:
        items, total = member_activities(
            read_models,
            member,
            limit=query["limit"],
            offset=query["offset"],
            **_only(query),
        )
    return _render(given, choices, items, total, query, errors), (422 if errors else 200)


@blp.route("/my/activities.csv", methods=["GET"])
@page("page:my_work")
def export():
    """Every activity the filter finds, whatever page the list was on."""
    query, errors = load(MyActivitiesFilterSchema(), _given(FILTERS))
    if errors or query is None:
        return _render(_given(), {}, [], 0, None, errors), 422
    member = me().member
    items: list[dict[str, Any]] = []
    if member is not None:
        read_models = fresh(member_activities, None)
        items, _ = member_activities(read_models, member, limit=None, **_only(query))
    return csv_file(MEMBER_ACTIVITY_COLUMNS, member_activity_rows(items), "my-activities.csv")


def _given(names: tuple[str, ...] = (*FILTERS, "offset")) -> dict[str, str]:
    """The filled-in fields of the filter form (a form sends every input), and the page."""
    return {name: request.args[name] for name in names if request.args.get(name, "").strip()}


def _only(query: dict[str, Any]) -> dict[str, Any]:
    return {name: query.get(name) for name in FILTERS}


def _render(
    given: dict[str, str],
    choices: dict[str, str],
    items: list[dict[str, Any]],
    total: int,
    query: dict[str, Any] | None,
    errors: Errors,
) -> str:
    filters = {name: value for name, value in given.items() if name in FILTERS}
    offset = query["offset"] if query else 0
    previous = next_page = None
    if offset > 0:
        previous = _page_url(filters, max(offset - PAGE_SIZE, 0))
    if offset + PAGE_SIZE < total:
        next_page = _page_url(filters, offset + PAGE_SIZE)
    return render_template(
        "pages/my_activities.html",
        values=given,
        choices=choices,
        items=items,
        total=total,
        first=offset + 1,
        last=offset + len(items),
        previous=previous,
        next_page=next_page,
        export=url_for("my_activities.export", **filters),
        errors=errors,
    )


def _page_url(filters: dict[str, str], offset: int) -> str:
    return url_for("my_activities.activities", **filters, **({"offset": offset} if offset else {}))
