"""Months (`/months`): which months are closed, when, by whom and why; and, for an
admin, closing one (`/months/{YYYY-MM}/close`), after a page that says what closing
means, since it cannot be undone.

The same ledger methods and schemas as `GET /api/periods` and
`POST /api/periods/{month}/closure` (service/web/api/periods.py): the rule a closure
sets is the ledger's (docs/explanation/statements.md). A month closed already, or a
reason the API would refuse, re-renders the form with the message and closes nothing."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from service.domain import DomainError
from service.domain.calendar import Month, add_months
from service.web.api.periods import ClosureInSchema, MonthPathSchema
from service.web.http.runtime import ledger, today
from service.web.pages.blueprints import page_blueprint, refusal, status_of
from service.web.pages.forms import Errors, form_caller, load, new_form_key, read_form
from service.web.pages.people import page

blp = page_blueprint("month_pages", __name__)

RECENT_MONTHS = 12
CLOSURE_FIELDS = ("reason",)


@blp.route("/months", methods=["GET"])
@page("page:months")
def months():
    return render_template(
        "pages/months.html",
        months=month_rows(ledger().closed_periods(), Month.of(today())),
    )


def month_rows(closures: list[dict[str, Any]], this_month: Month) -> list[dict[str, Any]]:
    """The last RECENT_MONTHS months to this one and every closed month, newest first,
    each with its closure (None while it is open)."""
    closed = {closure["month"]: closure for closure in closures}
    recent = {str(add_months(this_month, -back)) for back in range(RECENT_MONTHS)}
    return [
        {"month": month, "closure": closed.get(month)}
        for month in sorted(recent | set(closed), reverse=True)
    ]


@blp.route("/months/<month>/close", methods=["GET"])
@page("page:close_month")
def close_form(month: str):
    return _close_page(checked_month(month), {}, {}, new_form_key())


@blp.route("/months/<month>/close", methods=["POST"])
@page("page:close_month")
def close(month: str):
    chosen = checked_month(month)
    values = {name: request.form.get(name, "") for name in CLOSURE_FIELDS}
    key = request.form.get("form_key") or new_form_key()
    body, errors = read_form(ClosureInSchema(), CLOSURE_FIELDS)
    if errors or body is None:
        return _close_page(chosen, values, errors, key), 422
    try:
        ledger().close_period(chosen, reason=body.get("reason"), caller=form_caller())
    except DomainError as refused:
        return _close_page(chosen, values, refusal(refused, CLOSURE_FIELDS), key), status_of(
            refused
        )
    flash(
        f"Closed {chosen}: from now on only managers and admins can change work dated in it, "
        "and each change is flagged as made after the close.",
        "recorded",
    )
    return redirect(url_for("month_pages.months"), code=303)


def checked_month(text: str) -> str:
    """The month of the address, as the API's path schema takes it; another is 404."""
    loaded, errors = load(MonthPathSchema(), {"month": text})
    if loaded is None:
        abort(404, description=f"{text!r} is not a month: {' '.join(errors['month'])}")
    return loaded["month"]


def _close_page(month: str, values: dict[str, str], errors: Errors, key: str) -> str:
    closure = next((c for c in ledger().closed_periods() if c["month"] == month), None)
    return render_template(
        "pages/close_month.html",
        month=month,
        closure=closure,
        values=values,
        errors=errors,
        form_key=key,
    )
