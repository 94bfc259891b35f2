"""A form page's errors placed under their fields, and what a form sends: only what was
filled in, only what changed for a change, lines as a list."""

from __future__ import annotations

from service.web.pages.form_pages import Field, Form

FIELDS = (
    Field("name", "Name", required=True),
    Field("start_date", "Start date", "date"),
    Field("end_date", "End date", "date"),
    Field("contacts", "Contacts", "lines"),
    Field("reason", "Reason", required=True),
)


def form(**options) -> Form:
    return Form(title="t", action="/a", submit="Go", fields=FIELDS, back="/b", **options)


def test_an_error_of_no_field_of_the_form_goes_above_it():
    """The messages are already in the labels' words (form_messages.py, through `load`
    and `refusal`); the form puts each under its field, or above the form."""
    errors = form().refused({"provider": ["No such member."], "_form": ["Closed."]}).errors
    assert errors == {"_form": ["No such member.", "Closed."]}


def test_only_the_fields_filled_in_are_sent_and_lines_are_a_list():
    filled = form(values={"name": "Docs", "start_date": " ", "contacts": "Ria\n\n Tom \n"})
    assert filled.given() == {"name": "Docs", "contacts": ["Ria", "Tom"]}


def test_a_change_sends_what_changed_and_the_required_fields():
    initial = {"name": "Docs", "start_date": "2026-01-01", "end_date": "2026-03-31"}
    changed = form(
        initial=initial,
        only_changes=True,
        values={**initial, "start_date": "2026-02-01", "reason": "moved"},
    )
    assert changed.given() == {"name": "Docs", "start_date": "2026-02-01", "reason": "moved"}
