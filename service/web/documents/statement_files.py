"""A statement as a spreadsheet: one row per allocation of the stated month, then one
row per adjustment to an earlier month, `line` telling the two apart; the checkpoint
and signature on every row, so a row copied elsewhere still says where it came from."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from projections.reports.tables import ALLOCATION_MONTH_FIGURES, to_csv

ALLOCATION_COLUMNS = (
    "project_name",
    "allocation_id",
    *ALLOCATION_MONTH_FIGURES,
    "status",
    "pace",
)
ADJUSTMENT_COLUMNS = ("adjusted_month", "activity_id", "units_told", "units_now", "change")
STATEMENT_COLUMNS = (
    "statement_id",
    "engagement_name",
    "month",
    "line",
    *ALLOCATION_COLUMNS,
    *ADJUSTMENT_COLUMNS,
    "checkpoint_size",
    "checkpoint_root",
    "key_id",
)


def statement_json(document: dict[str, Any]) -> str:
    """The statement as issued, as JSON (the API's and the pages' download alike)."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False)


def statement_csv(document: dict[str, Any]) -> str:
    return to_csv(STATEMENT_COLUMNS, statement_csv_rows(document))


def statement_file_name(document: dict[str, Any]) -> str:
    """A download's name without its extension: `statement-<YYYY-MM>-<id>`."""
    return f"statement-{document['month']}-{document['id']}"


def statement_csv_rows(document: dict[str, Any]) -> Iterable[dict[str, Any]]:
    stamp = {
        "statement_id": document["id"],
        "engagement_name": document["engagement"]["name"],
        "month": document["month"],
        "checkpoint_size": document["checkpoint"]["size"],
        "checkpoint_root": document["checkpoint"]["root"],
        "key_id": document["key_id"],
    }
    for project in document["figures"]["projects"]:
        for allocation in project["allocations"]:
            yield {
                **stamp,
                "line": "allocation",
                "project_name": project["name"],
                "allocation_id": allocation["id"],
                **{column: allocation[column] for column in ALLOCATION_COLUMNS[2:]},
            }
    for adjustment in document["adjustments"]:
        yield {
            **stamp,
            "line": "adjustment",
            "adjusted_month": adjustment["month"],
            **{column: adjustment[column] for column in ADJUSTMENT_COLUMNS[1:]},
        }
