"""A page holding one form that runs one ledger command: the form's fields are
described once (`Field`: the API's field name, the label a person reads, whether it
is required), and `form_page` does what every such page does.

GET shows the form; POST reads its fields through the API's schema, runs the command
with the form's caller (the form's key is the write's idempotency key), and either
shows the form again with each refusal under its field, in the field's words (its
label, not its key), nothing recorded; or flashes what was done and sends the browser
on (Post/Redirect/Get)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import marshmallow as ma
from flask import flash, redirect, render_template, request

from service.application.commands import Written
from service.domain import DomainError
from service.web.pages.blueprints import refusal, status_of
from service.web.pages.forms import Errors, load, new_form_key

REQUIRED_MESSAGE = "Missing data for required field."


@dataclass(frozen=True)
class Field:
    name: str
    """The API's name of the field (the input's name)."""
    label: str
    kind: str = "text"
    """text, textarea, date, number, select, or lines (a list, one item a line)."""
    required: bool = False
    hint: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    """A select's (value, what it shows)."""
    blank: str | None = None
    """A select's first choice, meaning "not given" (None: no such choice)."""


@dataclass(frozen=True)
class Form:
    title: str
    action: str
    submit: str
    fields: tuple[Field, ...]
    back: str
    """Where "Cancel" goes: the page the form was reached from."""
    intro: str = ""
    danger: bool = False
    initial: dict[str, str] = field(default_factory=dict)
    """The values shown at first (for a change: the current ones)."""
    only_changes: bool = False
    """Send only the fields whose value differs from `initial` (a change, not a whole)."""
    values: dict[str, str] = field(default_factory=dict)
    errors: Errors = field(default_factory=dict)
    key: str = field(default_factory=new_form_key)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def posted(self) -> Form:
        values = {name: request.form.get(name, "") for name in self.names}
        return replace(self, values=values, key=request.form.get("form_key") or new_form_key())

    def given(self) -> dict[str, Any]:
        """The fields filled in (for a change: those changed, and the required ones),
        lines as lists."""
        given: dict[str, Any] = {}
        for f in self.fields:
            value = self.values.get(f.name, "")
            unchanged = self.only_changes and not f.required and value == self.initial.get(f.name)
            if not value.strip() or unchanged:
                continue
            given[f.name] = _lines(value) if f.kind == "lines" else value
        return given

    def refused(self, errors: Errors) -> Form:
        return replace(self, errors=in_words(errors, self.fields))


def form_page(
    form: Form,
    schema: ma.Schema,
    write: Callable[[dict[str, Any]], Written],
    done: Callable[[Written], tuple[str, str]],
) -> Any:
    """GET: the form. POST: its fields through `schema`, then `write(body)` (a ledger
    command, called with `form_caller()`); `done(result)` is the (flash message, URL)
    to send the browser to. A refusal of the schema or of the ledger's rules shows the
    form again (422, or the API's status for the refusal), nothing recorded."""
    if request.method == "GET":
        return render(replace(form, values=dict(form.initial)))
    form = form.posted()
    body, errors = load(schema, form.given())
    if errors or body is None:
        return render(form.refused(errors)), 422
    try:
        result = write(body)
    except DomainError as error:
        return render(form.refused(refusal(error, form.names))), status_of(error)
    message, url = done(result)
    flash(message, "recorded")
    return redirect(url, code=303)


def render(form: Form) -> str:
    return render_template("pages/form.html", form=form)


def in_words(errors: Errors, fields: tuple[Field, ...]) -> Errors:
    """Errors a person can read: under a field of the form, or above it (`_form`); a
    field's key written as one (`start_date`) becomes its label, and the schema's
    "Missing data for required field." becomes a request to fill it in."""
    labels = {f.name: f.label for f in fields}
    keys = {name: label for name, label in labels.items() if "_" in name}
    worded: Errors = {}
    for name, messages in errors.items():
        where = name if name in labels else "_form"
        for message in messages:
            if message == REQUIRED_MESSAGE:
                message = "Please fill this in."
            for key, label in keys.items():
                message = re.sub(rf"\b{key}\b", f"“{label}”", message)
            worded.setdefault(where, []).append(message)
    return worded


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]
