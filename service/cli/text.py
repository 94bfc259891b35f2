"""The input policy (service/infra/input_policy.py) on the command line: an option that
names a person (a token's holder, the actor of an import) becomes an event's text, so it
is held to what the API takes for a name, and refused by click with the reason."""

from __future__ import annotations

from typing import Any

import click

from service.infra.input_policy import MAX_NAME_LENGTH, text_problem


class PolicyName(click.ParamType):
    """A name as the API takes one: no control characters or lone surrogates, at most
    MAX_NAME_LENGTH characters."""

    name = "name"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        problem = text_problem(str(value), MAX_NAME_LENGTH)
        if problem:
            self.fail(f"the name {problem}", param, ctx)
        return str(value)


NAME = PolicyName()
