"""A form as the admin pages show it: each field with its label, the required ones
marked, and what was sent, refused field by field in the label's words.

The fields still go through the API's schemas (`forms.load`); what this adds is what a
person reads: a required field left empty is asked for by its label ("Fill in Name")
before the schema would answer in its own terms ("Missing data for required field"),
and the summary above the form names each field by its label, never by its key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import marshmallow as ma
from flask import request

from service.domain import DomainError
from service.web.pages.blueprints import refusal
from service.web.pages.forms import Errors, load, new_form_key


@dataclass(frozen=True)
class Field:
    name: str
    """The API's field name, the input's name."""
    label: str
    required: bool = True
    hint: str | None = None
    many: bool = False
    """Sent as many values (checkboxes of one name): a list."""


@dataclass
class Form:
    """One form of a page: its fields, what was sent (`values`), its `errors` by field,
    and its `key` (the write's idempotency key, kept when the form is shown again)."""

    fields: tuple[Field, ...]
    values: dict[str, Any] = field(default_factory=dict)
    errors: Errors = field(default_factory=dict)
    key: str = field(default_factory=new_form_key)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def labels(self) -> dict[str, str]:
        """Field name -> label, and "_form" (the form as a whole) -> no label."""
        return {f.name: f.label for f in self.fields}

    def posted(self) -> Form:
        """The same form as the browser sent it (its values and key)."""
        values = {f.name: _sent(f) or ("" if not f.many else []) for f in self.fields}
        return Form(self.fields, values, {}, request.form.get("form_key") or new_form_key())

    def read(self, schema: ma.Schema) -> dict[str, Any] | None:
        """The sent fields through the API's `schema`; None, with `errors` set, when a
        required field is empty or the schema refuses one."""
        sent = {f.name: _sent(f) for f in self.fields}
        missing = {
            f.name: [f"{'Choose' if f.many else 'Fill in'} {f.label.lower()}."]
            for f in self.fields
            if f.required and not sent[f.name]
        }
        body, errors = load(
            schema, {name: value for name, value in sent.items() if value}, self.labels
        )
        self.errors = missing | {k: v for k, v in errors.items() if k not in missing}
        return None if self.errors else body

    def refused(self, error: DomainError, moved: dict[str, str] | None = None) -> None:
        """The ledger's refusal under its field (`moved`: a field of the command shown
        by another of the form's), else above the form."""
        self.errors = refusal(error, self.names, moved, self.labels)


def _sent(f: Field) -> str | list[str]:
    """What the browser sent for the field: its text (empty: not filled in), or, for a
    field of many values, the ones not empty."""
    if f.many:
        return [value for value in request.form.getlist(f.name) if value.strip()]
    value = request.form.get(f.name, "")
    return value if value.strip() else ""
