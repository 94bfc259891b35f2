"""A form page's errors in a person's words, and what a form sends: only what was
filled in, only what changed for a change, lines as a list."""

from __future__ import annotations

from service.web.pages.form_pages import Field, Form, in_words

FIELDS = (
    Field("name", "Name", required=True),
    Field("start_date", "Start date", "date"),
    Field("end_date", "End date", "date"),
    Field("contacts", "Contacts", "lines"),
    Field("reason", "Reason", required=True),
)


def form(**options) -> Form:
    return Form(title="t", action="/a", submit="Go", fields=FIELDS, back="/b", **options)


def test_a_key_in_a_message_becomes_its_label():
    errors = in_words({"end_date": ["must not be before start_date"]}, FIELDS)
    assert errors == {"end_date": ["must not be before “Start date”"]}


def test_a_missing_field_is_asked_for():
    assert in_words({"name": ["Missing data for required field."]}, FIELDS) == {
        "name": ["Please fill this in."]
    }


def test_plain_words_and_parts_of_words_are_left_alone():
    errors = in_words({"name": ["the name is named start_dates"]}, FIELDS)
    assert errors == {"name": ["the name is named start_dates"]}


def test_an_error_of_no_field_of_the_form_goes_above_it():
    errors = in_words({"provider": ["no such member"], "_form": ["closed"]}, FIELDS)
    assert errors == {"_form": ["no such member", "closed"]}


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
