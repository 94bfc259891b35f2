"""A page holding one form that runs one ledger command: the form's fields are
described once (`Field`: the API's field name, the label a person reads, whether it
is required), and `form_page` does what every such page does.

GET shows the form; POST reads its fields through the API's schema, runs the command
with the form's caller (the form's key is the write's idempotency key), and either
shows the form again with each refusal under its field, in the field's words (its
label, not its key), nothing recorded; or flashes what was done and sends the browser
on (Post/Redirect/Get)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import marshmallow as ma
from flask import flash, redirect, render_template, request

from service.application.commands import Written
from service.domain import DomainError
from service.web.pages.blueprints import refusal, status_of
from service.web.pages.forms import Errors, load, new_form_key


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

    @property
    def labels(self) -> dict[str, str]:
        """What the messages call each field (service/web/pages/form_messages.py)."""
        return {f.name: f.label for f in self.fields}

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
        """The form again with `errors` (already in the labels' words): under a field
        of the form, or above it (`_form`)."""
        placed: Errors = {}
        for name, messages in errors.items():
            placed.setdefault(name if name in self.names else "_form", []).extend(messages)
        return replace(self, errors=placed)


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
    body, errors = load(schema, form.given(), form.labels)
    if errors or body is None:
        return render(form.refused(errors)), 422
    try:
        result = write(body)
    except DomainError as error:
        return render(form.refused(refusal(error, form.names, labels=form.labels))), (
            status_of(error)
        )
    message, url = done(result)
    flash(message, "recorded")
    return redirect(url, code=303)


def render(form: Form) -> str:
    return render_template("pages/form.html", form=form)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]
