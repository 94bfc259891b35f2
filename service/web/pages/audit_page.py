"""Audit (`/audit`, auditors): the event log with filters, one stream's history, an
allocation as it stood at a moment, and the latest signed checkpoint with a button that
verifies the log.

Each part calls what the API's audit routes call (service/web/api/audit.py): the log is
`Ledger.log_page` (filtered and paged as service/web/pages/audit_log.py says), a stream
is `Ledger.stream`, a balance as of a moment is `Ledger.allocation(id, as_of=…)` shown
with the API's `allocation_receipt`, checkpoints are the Merkle view's stored ones and
`make_checkpoint()`, and "Verify the log now" runs `verify_log`, as
`flask --app wsgi audit verify` does. Verifying reads every event (O(log size)), so it
runs on POST only, is stopped after VERIFY_SECONDS (the page then says how far it got,
and the CLI checks the rest), and the page says how long it took."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import marshmallow as ma
from flask import abort, render_template, request

from projections.audit.checkpoints import CheckpointStore
from projections.audit.verify import Verdict, verify_log
from projections.engine.failures import ViewsFailing
from projections.engine.freshness import ProjectionsBehind
from projections.reports.queries import member_names
from service.application.event_catalogue import audit_entry, stream_label
from service.domain import NotFound
from service.infra.input_policy import INT64_MAX
from service.web.api.allocations import AllocationQuerySchema
from service.web.api.audit import make_checkpoint
from service.web.http.reads import read_fresh
from service.web.http.receipts import activity_receipt, allocation_receipt
from service.web.http.runtime import ledger, runtime
from service.web.pages.audit_log import (
    FILTERS,
    PAGE_SIZE,
    SCAN_LIMIT,
    LogFilterSchema,
    event_catalogue,
    field_rows,
    log_query,
    read_log,
    utc_text,
)
from service.web.pages.blueprints import page_blueprint
from service.web.pages.forms import Errors, load, read_query
from service.web.pages.people import page
from service.web.schemas.common import QueryInteger

blp = page_blueprint("audit_page", __name__)

VERIFY_SECONDS = 20.0
STREAM_PAGE = 200
MAX_PARAM = 100
FILTER_LABELS = {"date_from": "From", "date_to": "To"}
"""The log's filters speak of days from and to, not of an activity's Date and Until."""


def _given(names: tuple[str, ...]) -> dict[str, str]:
    """The non-empty query fields among `names` (a form sends every input)."""
    return {
        name: request.args[name][:MAX_PARAM].strip()
        for name in names
        if request.args.get(name, "").strip()
    }


@blp.route("/audit", methods=["GET"])
@page("page:audit")
def audit():
    given = _given((*FILTERS, "before", "after"))
    query, errors = load(LogFilterSchema(), given, FILTER_LABELS)
    log = None
    if query is not None:
        log = read_log(ledger(), log_query(query), query.get("before"), query.get("after"))
    filters = {name: value for name, value in given.items() if name in FILTERS}
    return render_template(
        "pages/audit.html",
        log=log,
        filters=filters,
        errors=errors,
        catalogue=event_catalogue(),
        page_size=PAGE_SIZE,
        scan_limit=SCAN_LIMIT,
        checkpoint=_latest_checkpoint(),
        verify_seconds=VERIFY_SECONDS,
        as_of_values={},
        as_of_errors={},
    ), (422 if errors else 200)


class StreamPageQuerySchema(ma.Schema):
    page = QueryInteger(load_default=1, validate=ma.validate.Range(min=1, max=INT64_MAX))


@blp.route("/audit/streams/<stream_id>", methods=["GET"])
@page("page:audit")
def stream(stream_id: str):
    """Every event of one stream, oldest first, STREAM_PAGE at a time."""
    try:
        wanted = UUID(stream_id[:MAX_PARAM])
    except ValueError:
        abort(404, description=f"“{stream_id[:MAX_PARAM]}” is not a stream id: one is a UUID.")
    try:
        events = ledger().stream(wanted)
    except NotFound:
        abort(404, description=f"The log holds no stream {wanted}.")
    pages = (len(events) + STREAM_PAGE - 1) // STREAM_PAGE
    number = min(read_query(StreamPageQuerySchema())["page"], pages)
    shown = events[(number - 1) * STREAM_PAGE : number * STREAM_PAGE]
    entries = [_stream_entry(event) for event in shown]
    kind = stream_label(type(events[0]).__name__)
    return render_template(
        "pages/audit_stream.html",
        stream_id=wanted,
        kind=kind,
        entries=entries,
        total=len(events),
        number=number,
        pages=pages,
        first_version=(number - 1) * STREAM_PAGE + 1,
    )


def _stream_entry(event: Any) -> dict[str, Any]:
    entry = audit_entry(event)
    return {
        **entry,
        "time": utc_text(entry["timestamp"]),
        "as_of": _ceil_millisecond(entry["timestamp"]),
        "fields": field_rows(entry["fields"]),
    }


def _ceil_millisecond(moment: datetime) -> str:
    """The moment as a `datetime-local` value (UTC, to the millisecond), rounded up so
    that a balance "as of" it includes the event that happened then."""
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    extra = utc.microsecond % 1000
    if extra:
        utc += timedelta(microseconds=1000 - extra)
    return utc.isoformat(timespec="milliseconds")


@blp.route("/audit/as-of", methods=["GET"])
@page("page:audit")
def as_of():
    """An allocation's balance as it stood at a moment, rebuilt from its events."""
    values = {name: request.args.get(name, "")[:MAX_PARAM].strip() for name in AS_OF_FIELDS}
    if not any(values.values()):
        return _render_as_of(values, {})
    allocation_id, moment, errors = _as_of_query(values)
    if errors or allocation_id is None or moment is None:
        return _render_as_of(values, errors), 422
    try:
        allocation = ledger().allocation(allocation_id, as_of=moment)
    except NotFound as missing:
        return _render_as_of(values, {"allocation_id": [missing.message]}), 404
    departed_on = ledger().departure_of(allocation.provider, as_of=moment)
    receipt = allocation_receipt(allocation, moment.date(), provider_departed_on=departed_on)
    activities = [  # an activity moved away since is on its new allocation's page
        activity_receipt(allocation, key)
        for key, entry in allocation.activities.items()
        if entry.moved_to is None
    ]
    return _render_as_of(
        values,
        {},
        moment=moment,
        receipt=receipt,
        activities=activities,
        names=read_fresh(member_names, None),
    )


AS_OF_FIELDS = ("allocation_id", "as_of")


def _as_of_query(values: dict[str, str]) -> tuple[UUID | None, datetime | None, Errors]:
    """The allocation id and the moment (no zone: UTC); the moment checked by the
    API's own `as_of` field (1970 to 2199) and refused in the future."""
    errors: Errors = {}
    allocation_id = moment = None
    try:
        allocation_id = UUID(values["allocation_id"])
    except ValueError:
        errors["allocation_id"] = ["Enter an allocation id (a UUID, as in the log)."]
    try:
        parsed = datetime.fromisoformat(values["as_of"])
    except ValueError:
        errors["as_of"] = ["Enter a date and time, such as 2025-03-31T17:00 (UTC)."]
        return allocation_id, None, errors
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    checked, problems = load(AllocationQuerySchema(), {"as_of": parsed.isoformat()})
    if problems or checked is None:
        errors["as_of"] = problems.get("as_of", ["This moment cannot be shown."])
    elif checked["as_of"] > datetime.now(UTC):
        errors["as_of"] = ["This moment is in the future: the log can only show the past."]
    else:
        moment = checked["as_of"]
    return allocation_id, moment, errors


def _render_as_of(values: dict[str, str], errors: Errors, **result: Any) -> str:
    return render_template(
        "pages/audit_as_of.html",
        as_of_values=values,
        errors=errors,
        as_of_errors=errors,
        verify_seconds=VERIFY_SECONDS,
        moment_text=_moment_text(result.get("moment")),
        **result,
    )


def _moment_text(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(sep=" ", timespec="milliseconds" if utc.microsecond else "seconds")


@blp.route("/audit/verify", methods=["POST"])
@page("page:audit")
def verify():
    """Sign a checkpoint of the log as it stands (as `GET /api/audit/checkpoint`
    does), then recompute the tree from every stored event and hold it against the
    stored tree and every stored checkpoint (as `flask --app wsgi audit verify`)."""
    checkpoint, note = None, None
    try:
        checkpoint = make_checkpoint()
    except (ProjectionsBehind, ViewsFailing) as error:
        note = f"No new checkpoint could be signed just now ({error}); the stored ones are checked."
    result = _verify()
    return render_template(
        "pages/audit_verify.html",
        checkpoint=_shown(checkpoint) if checkpoint else _latest_checkpoint(),
        checkpoint_note=note,
        verify_seconds=VERIFY_SECONDS,
        **result,
    )


class _OutOfTime(Exception):
    pass


def _verify() -> dict[str, Any]:
    """`verify_log` as the CLI runs it, with the key that signs checkpoints now (the
    CLI can be given earlier keys too), stopped after VERIFY_SECONDS."""
    view = runtime().projections().view("merkle")
    signer = runtime().signer()
    recorder = ledger().recorder
    total = max(view.size(), recorder.max_notification_id() or 0)
    started = time.monotonic()
    checked = 0

    def progress(done: int) -> None:
        nonlocal checked
        checked += done
        if checked < total and time.monotonic() - started > VERIFY_SECONDS:
            raise _OutOfTime

    verdict: Verdict | None
    try:
        verdict = verify_log(recorder, view, {signer.key_id: signer.public_key}, progress)
    except _OutOfTime:
        verdict = None
    return {
        "verdict": verdict,
        "seconds": time.monotonic() - started,
        "checked": checked,
        "total": total,
        "limit_seconds": VERIFY_SECONDS,
        "root_hex": verdict.root.hex() if verdict is not None and verdict.ok else None,
    }


def _latest_checkpoint() -> dict[str, Any] | None:
    """The latest stored checkpoint."""
    latest = CheckpointStore(runtime().projections().view("merkle")).latest()
    return None if latest is None else _shown(latest.as_json())


def _shown(checkpoint: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint as the API answers it, with its moment in UTC and the log's size now."""
    return {
        **checkpoint,
        "signed_at": utc_text(datetime.fromisoformat(checkpoint["timestamp"])),
        "log_size": ledger().log_head(),
    }
