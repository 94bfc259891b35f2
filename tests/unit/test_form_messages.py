"""A page's form speaks a person's language (service/web/pages/form_messages.py): each
message names its field by the label the page shows, never by the API's key."""

from __future__ import annotations

import marshmallow as ma
import pytest

from service.domain import RuleViolation
from service.web.api.activities import ActivityInSchema, CorrectionSchema
from service.web.pages.form_messages import rule_errors, schema_errors, sentence


def refused(schema: ma.Schema, given: dict) -> dict[str, list[str]]:
    with pytest.raises(ma.ValidationError) as error:
        schema.load(given)
    return error.value.messages


def test_a_missing_reason_is_asked_for_by_its_label():
    errors = schema_errors(refused(CorrectionSchema(), {"units": 3}))
    assert errors == {"reason": ["Reason is required."]}
    labelled = schema_errors(refused(CorrectionSchema(), {"units": 3}), {"reason": "Why"})
    assert labelled == {"reason": ["Why is required."]}


def test_field_keys_in_the_schemas_own_messages_become_labels():
    given = {"team_member": "ana", "units": "x", "description": "d"}
    errors = schema_errors(
        refused(ActivityInSchema(), {**given, "date_from": "2026-01-05", "date_to": "nope"})
    )
    assert errors == {
        "units": ["Units must be a whole number."],
        "date_to": ["Until must be a valid date, such as 2026-03-31."],
    }
    ordered = {**given, "units": 3, "date_from": "2026-01-05", "date_to": "2026-01-04"}
    assert schema_errors(refused(ActivityInSchema(), ordered)) == {
        "date_to": ["Until must not be before Date."]
    }


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Longer than maximum length 2000.", "Reason must be at most 2000 characters."),
        ("contains a control character (U+0007) at position 3", "Reason has a character"),
        ("Must be greater than or equal to 1.", "Reason must be greater than or equal to 1."),
        ("must be between 1970-01-01 and 2199-12-31", "Reason must be between 1970-01-01"),
    ],
)
def test_every_message_is_a_sentence_about_its_field(message: str, expected: str):
    assert sentence("reason", message).startswith(expected)


def test_a_refusal_names_the_field_the_person_filled():
    """Only Date was filled: the page sent it as both days, so the rule's date_to is the
    person's Date, shown under it and named by its label."""
    error = RuleViolation("date_to 2026-12-09 is in the future", "date_to")
    fields = ("date_from", "date_to")
    assert rule_errors(error, fields, {"date_to": "date_from"}, {"date_to": "Date"}) == {
        "date_from": ["Date 2026-12-09 is in the future."]
    }
    assert rule_errors(error, ("units",)) == {"_form": ["Until 2026-12-09 is in the future."]}


def test_a_forms_own_labels_name_its_fields():
    labels = {"start_date": "Start date", "end_date": "End date"}
    assert schema_errors({"end_date": ["must not be before start_date"]}, labels) == {
        "end_date": ["End date must not be before Start date."]
    }
    assert sentence("name", "Missing data for required field.", {"name": "Name"}) == (
        "Name is required."
    )
