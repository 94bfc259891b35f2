"""Serving the PDFs the worker renders (service/web/documents/pdf_renderer.py) from storage
(service/infra/rendered_pdfs.py): a request never renders one itself, however large.

A PDF already rendered is answered 200. One not yet rendered is queued (once, however
many ask) and answered 202 with Retry-After: to a browser, a page saying that it is
being prepared which reloads itself (`<meta http-equiv="refresh">`, no script: the
CSP allows none inline); to the API, a small JSON body. The same address answers 200
with the PDF once it is there. A report's page reloads with `min_position`, the log
position this request asked for, so that writes made meanwhile do not send it back
to the queue: it gets the report as of when it was first asked for, or later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import marshmallow as ma
from flask import Response, jsonify, render_template

from service.domain.calendar import Month
from service.web.http.runtime import runtime

PDF = "application/pdf"
RETRY_SECONDS = 2


class PdfPreparingSchema(ma.Schema):
    """The API's answer while a PDF is being prepared (202, with Retry-After)."""

    status = ma.fields.String(metadata={"example": "being prepared"})
    detail = ma.fields.String()
    retry_after = ma.fields.Integer(
        metadata={"description": "seconds to wait before asking again (the Retry-After header)"}
    )


@dataclass(frozen=True)
class PdfDocument:
    """What a PDF shows: a monthly report of an engagement, or an issued statement."""

    kind: str
    """"report" or "statement\""""
    subject: UUID
    """the engagement's id, or the statement's"""
    month: str = ""
    """a report's YYYY-MM"""

    @classmethod
    def report(cls, engagement_id: UUID, month: Month) -> PdfDocument:
        return cls("report", engagement_id, str(month))

    @classmethod
    def statement(cls, statement_id: UUID) -> PdfDocument:
        return cls("statement", statement_id)

    @property
    def key(self) -> str:
        """Its name in storage: `report/<engagement>/<YYYY-MM>`, `statement/<id>`."""
        return "/".join(part for part in (self.kind, str(self.subject), self.month) if part)

    @classmethod
    def parse(cls, key: str) -> PdfDocument:
        kind, subject, *month = key.split("/")
        return cls(kind, UUID(subject), *month)


def pdf_response(
    document: PdfDocument,
    *,
    filename: str,
    day: str = "",
    min_position: int = 0,
    retry_url: str | None = None,
) -> Response:
    """The stored PDF of `document` (drawn for `day`, reflecting the log up to
    `min_position` at least), or 202 after queueing it: a page reloading itself at
    `retry_url` when given (a browser's request), else JSON (the API's)."""
    store = runtime().rendered_pdfs()
    pdf = store.stored(document.key, day, min_position)
    if pdf is not None:
        safe = re.sub(r"[^A-Za-z0-9._-]+", "-", filename)
        return Response(
            pdf, mimetype=PDF, headers={"Content-Disposition": f'attachment; filename="{safe}"'}
        )
    store.request(document.key, day, min_position, datetime.now(UTC))
    headers = {"Retry-After": str(RETRY_SECONDS)}
    if retry_url is not None:
        page = render_template(
            "pages/pdf_preparing.html", filename=filename, url=retry_url, seconds=RETRY_SECONDS
        )
        return Response(page, status=202, headers=headers, mimetype="text/html")
    answer = jsonify(
        status="being prepared",
        detail=f"the PDF is being prepared; ask again in {RETRY_SECONDS} seconds",
        retry_after=RETRY_SECONDS,
    )
    answer.status_code = 202
    answer.headers.update(headers)
    return answer
