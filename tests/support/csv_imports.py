"""CSV imports as the tests post them: a file's text from rows, an activity row, and the
POST of a file of activities."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.support.dates import days_ago

ACTIVITY_COLUMNS = (
    "external_id", "allocation_id", "team_member", "units", "description", "date_from",
    "date_to", "recorded_at",
)  # fmt: skip


def csv_text(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def row(allocation_id: str, external_id: str, **overrides: Any) -> dict[str, Any]:
    """An activity done 40 days ago, recorded two days later."""
    values = {
        "external_id": external_id,
        "allocation_id": allocation_id,
        "team_member": "ana",
        "units": 2,
        "description": f"call {external_id}",
        "date_from": days_ago(40),
        "date_to": days_ago(40),
        "recorded_at": f"{days_ago(38)}T10:30:00Z",
    }
    values.update(overrides)
    return values


def post_csv(api, path: str, text: str | bytes, **query: str):
    return api.client.post(
        path, data=text, content_type="text/csv", query_string=query, headers=api.headers()
    )


def import_activities(api, rows: list[dict[str, Any]], **query: str):
    return post_csv(api, "/api/imports/activities", csv_text(ACTIVITY_COLUMNS, rows), **query)
