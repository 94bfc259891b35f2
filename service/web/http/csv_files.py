"""Lists and reports as CSV files: asked for with `Accept: text/csv` (the API) or by a
page's export link, written by the one formula-safe writer
(projections/reports/tables.py `to_csv`) and sent as an attachment."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Response, request

from projections.reports.tables import to_csv

CSV = "text/csv"
CSV_RESPONSE = {"schema": {"type": "string"}, "content_type": CSV, "success": True}
"""The CSV form of a route's 200, for its OpenAPI (`@blp.alt_response(200, **CSV_RESPONSE)`)."""


def wants_csv() -> bool:
    """The request prefers CSV to JSON (`Accept: text/csv`)."""
    return request.accept_mimetypes.best_match(["application/json", CSV]) == CSV


def csv_file(columns: tuple[str, ...], rows: Iterable[dict[str, Any]], filename: str) -> Response:
    """`rows` as a CSV attachment named `filename`."""
    return Response(
        to_csv(columns, rows),
        mimetype=CSV,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
