"""What a person reads when a page's form is refused: each message is a sentence that
names its field by the label the page shows it under, never by the API's key, and says
what is wrong in plain words ("Reason is required.", not "reason: Missing data for
required field.").

The one place every page form's errors pass through: the schemas' (`read_form` and
`load` in forms.py, by `schema_errors`) and the ledger's refusals (`refusal` in
blueprints.py, by `rule_errors`). The API keeps its own wording: a program reads it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from service.domain import DomainError

Errors = dict[str, list[str]]
FORM = "_form"
"""The errors of the form as a whole, shown above it."""

LABELS = {
    "allocation_id": "Allocation",
    "project_id": "Project",
    "engagement_id": "Engagement",
    "team_member": "Team member",
    "date_from": "Date",
    "date_to": "Until",
    "fte": "FTE",
}
"""The labels the pages give the API's fields, where the field's name in words is not
it (`date_from` is "Date" on every form that records work); a page with other labels
passes its own."""

# marshmallow's messages, and the input policy's (service/infra/input_policy.py), as a
# person would say them about the field labelled `{label}`.
_MESSAGES = (
    (r"Missing data for required field\.|Field may not be null\.", "{label} is required."),
    (r"Shorter than minimum length 1\.", "{label} is required."),
    (r"Not a valid integer\.", "{label} must be a whole number."),
    (r"Not a valid (number|decimal)\.", "{label} must be a number, such as 0.5."),
    (r"Not a valid date\.", "{label} must be a valid date, such as 2026-03-31."),
    (r"Not a valid (datetime|aware datetime)\.", "{label} must be a date and a time."),
    (r"Not a valid UUID\.|Must be one of: .*", "Pick one of the choices for {label}."),
    (r"Not a valid (string|boolean)\.", "{label} is not valid."),
    (r"Longer than maximum length (?P<n>\d+)\.", "{label} must be at most {n} characters."),
    (r"is longer than (?P<n>\d+) characters.*", "{label} must be at most {n} characters."),
    (
        r"contains a (control character|lone UTF-16 surrogate).*",
        "{label} has a character that cannot be kept (a control character): please type it again.",
    ),
    (r"Unknown field\.", "{label} is not a field of this form."),
)
_COMPILED = tuple((re.compile(pattern), text) for pattern, text in _MESSAGES)
_API_KEY = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
"""A field's key as the API spells it (`date_to`, `allocation_id`): words joined by _."""
_SUBJECTLESS = ("must ", "is ", "are ", "may ", "cannot ", "should ")


def label_of(name: str, labels: Mapping[str, str] | None = None) -> str:
    """The label field `name` is shown under: the page's, the pages' usual one, or its
    name in words."""
    return (labels or {}).get(name) or LABELS.get(name) or name.replace("_", " ").capitalize()


def sentence(
    name: str, message: str, labels: Mapping[str, str] | None = None, *, about_field: bool = False
) -> str:
    """One message about field `name` as a sentence naming it by its label (and any other
    field it names by theirs); `_form`'s, about the whole form, as a sentence.
    `about_field`: the message speaks of the field's value alone (a schema's "letters,
    digits … only"), so it follows the label ("Handle: letters, digits … only.")."""
    label = label_of(name, labels)
    for pattern, text in _COMPILED:
        found = pattern.fullmatch(message.strip())
        if found:
            return text.format(label=label, **found.groupdict())
    text = _API_KEY.sub(lambda key: label_of(key.group(), labels), message.strip())
    first, _, rest = text.partition(" ")
    subjectless = text[:1].lower() + text[1:]
    if name != FORM and first == name:  # "fte must be …": the field, by its key
        text = f"{label} {rest}"
    elif name != FORM and subjectless.startswith(_SUBJECTLESS):
        text = f"{label} {subjectless}"
    elif name != FORM and about_field and text[:1].islower():
        text = f"{label}: {text}"
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else f"{text}."


def schema_errors(messages: Any, labels: Mapping[str, str] | None = None) -> Errors:
    """A schema's ValidationError messages (nested as marshmallow gives them), by field,
    as sentences; the schema's own (`_schema`) go above the form."""
    return {
        name: [sentence(name, text, labels, about_field=True) for text in texts]
        for name, texts in flatten(messages).items()
    }


def rule_errors(
    error: DomainError,
    fields: tuple[str, ...],
    moved: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> Errors:
    """A refusal of the ledger's rules as a form's errors: under its field (`moved`: the
    form shows that field of the command as another of its own), if the form has it,
    else above the form."""
    name = (moved or {}).get(error.field or "", error.field or FORM)
    return {name if name in fields else FORM: [sentence(name, error.message, labels)]}


def flatten(messages: Any, field: str = FORM) -> Errors:
    """marshmallow's nested messages as texts by field; `_schema`'s are the form's."""
    if isinstance(messages, list):
        return {field: [str(message) for message in messages]}
    flat: Errors = {}
    for name, inner in messages.items():
        key = field if name == "_schema" else str(name)
        for found, texts in flatten(inner, key).items():
            flat.setdefault(found, []).extend(texts)
    return flat
