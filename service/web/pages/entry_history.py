"""An entry's history (`/review/activities/{id}`), for those who may open the review:
one activity as it was recorded, each correction with its reason, its retraction and
each move to another allocation, with who did it and when, oldest first.

The events are the log's own, read by `Ledger.activity_history` (the same stream reads
the audit's stream page makes, kept to the one activity and followed across its moves);
the page only puts them in plain words and names people by name."""

from __future__ import annotations

from datetime import UTC
from typing import Any
from uuid import UUID

from flask import abort, render_template

from projections.reports.queries import member_names
from service.domain import NotFound
from service.web.http.reads import read_fresh
from service.web.http.runtime import ledger
from service.web.pages.blueprints import page_blueprint
from service.web.pages.people import page

blp = page_blueprint("entry_history", __name__)

WHAT = {
    "ActivityRecorded": "Recorded",
    "ActivityCorrected": "Corrected",
    "ActivityRetracted": "Retracted",
    "ActivityMoved": "Moved to another allocation",
}
WORK_LABELS = {
    "units": "Units",
    "description": "Description",
    "date_from": "From",
    "date_to": "To",
    "team_member": "Member",
}


@blp.route("/review/activities/<uuid:activity_id>", methods=["GET"])
@page("page:entry_history")
def entry_history(activity_id: UUID):
    try:
        events = ledger().activity_history(activity_id)
    except NotFound:
        abort(404, description="No entry has this id.")
    names = read_fresh(member_names, None)
    return render_template(
        "pages/entry_history.html",
        steps=[_step(event, names) for event in events],
    )


def _step(event: Any, names: dict[str, str]) -> dict[str, Any]:
    """One event as a line of the history: what happened, who, when, why and what it
    said of the work (a correction: only what it changed)."""
    kind = type(event).__name__
    said = getattr(event, "changes", None)
    if said is None and kind != "ActivityRetracted":
        said = {name: getattr(event, name) for name in WORK_LABELS}
    actor = getattr(event, "actor", None)
    return {
        "what": WHAT.get(kind, kind),
        "when": event.timestamp.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "who": names.get(actor, actor) if actor else "—",
        "reason": getattr(event, "reason", None),
        "after_close": getattr(event, "after_close", False),
        "said": [
            (
                WORK_LABELS.get(name, name),
                names.get(value, value) if name == "team_member" else value,
            )
            for name, value in (said or {}).items()
        ],
    }
