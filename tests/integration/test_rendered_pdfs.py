"""The table of rendered PDFs and the requests for them (service/infra/rendered_pdfs.py),
and the renderer driven directly, on both stores: one request per document and
position however many ask, a lease that keeps a second renderer off a rendering in
hand until it ends, a stored file serving what it satisfies and pruning what it
makes moot, and a rendering that fails retried later with its error kept."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from flask import Flask

from service.infra.rendered_pdfs import RenderedPdfs
from service.web.documents.pdf_renderer import PdfRenderer
from service.web.http.runtime import ledger as app_ledger

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)
DAY = "2026-12-01"


def table(app: Flask) -> RenderedPdfs:
    with app.app_context():
        rendered = RenderedPdfs(app_ledger().factory.datastore)
    rendered.create_table()
    return rendered


def test_one_rendering_is_queued_however_many_ask_and_one_renderer_holds_it(app: Flask):
    rendered = table(app)
    document = f"report/{uuid.uuid4()}/2026-12"
    for _ in range(3):
        rendered.request(document, DAY, 40, NOW)
    assert rendered.pending() == 1

    job = rendered.claim(NOW, LEASE)
    assert (job.document, job.day, job.min_position, job.attempts) == (document, DAY, 40, 1)
    assert rendered.claim(NOW + timedelta(minutes=1), LEASE) is None, "leased to the first"
    taken_over = rendered.claim(NOW + LEASE + timedelta(seconds=1), LEASE)
    assert taken_over is not None and taken_over.attempts == 2, "its renderer died"


def test_a_stored_rendering_serves_what_it_satisfies_and_prunes_what_it_makes_moot(
    app: Flask,
):
    rendered = table(app)
    document = f"report/{uuid.uuid4()}/2026-12"
    rendered.request(document, "2026-11-30", 10, NOW)  # an earlier day's
    rendered.request(document, DAY, 20, NOW)
    rendered.request(document, DAY, 30, NOW + timedelta(seconds=1))  # after a write
    rendered.request(document, DAY, 60, NOW + timedelta(seconds=2))  # after more writes
    claimed = [rendered.claim(NOW, LEASE) for _ in range(2)]
    job = next(job for job in claimed if job.day == DAY)

    rendered.store(job, b"%PDF-at-45", 45, NOW)  # the read models were at 45
    assert rendered.stored(document, DAY, 20) == b"%PDF-at-45"
    assert rendered.stored(document, DAY, 45) == b"%PDF-at-45"
    assert rendered.stored(document, DAY, 46) is None
    assert rendered.stored(document, "2026-11-30", 10) is None, "an earlier day's is gone"
    assert rendered.pending() == 1, "only the request past 45 is left"
    later = rendered.claim(NOW, LEASE)
    assert later.min_position == 60


def test_a_rendering_that_fails_is_retried_later_with_its_error_kept(app: Flask):
    rendered = table(app)
    missing = f"statement/{uuid.uuid4()}"
    rendered.request(missing, "", 0, datetime.now(UTC))
    renderer = PdfRenderer(app, app.extensions["runtime"])
    try:
        assert renderer.render_next() is True
        assert rendered.pending() == 1 and rendered.stored(missing, "", 0) is None
        assert rendered.claim(datetime.now(UTC), LEASE) is None, "it waits before a retry"
        with app.app_context():
            with app_ledger().factory.datastore.transaction(commit=False) as cursor:
                cursor.execute(f"SELECT error, attempts FROM {rendered.table}")  # noqa: S608
                rows = [dict(row) for row in cursor.fetchall()]
        assert rows[0]["attempts"] == 1 and "NotFound" in rows[0]["error"], rows
    finally:
        renderer.stop()
