"""`flask --app wsgi demo seed [--tokens-file PATH]`: fill an empty ledger with the demo
(service/demo/seed.py), so that every page of the web app has something to show, and
print a one-time sign-in link for each of its people, admin first, at PUBLIC_URL (by
default the address `make run` serves on). `make run DEMO=1` runs it before serving;
run again on a seeded ledger, it prints new links for the tokens kept in the file.

It writes through the ledger alone and starts no background worker: the read models
catch up when the service starts (or already running, on its next look at the log)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click
from flask.cli import AppGroup

from service.application import Ledger
from service.cli.tokens import sign_in_link
from service.demo.seed import kept_tokens, seed_demo, show_sign_in_links
from service.domain import DomainError
from service.infra.config import WebSettings

TOKENS_FILE = Path("var/demo-tokens.txt")


def demo_cli(ledger: Callable[[], Ledger], web: WebSettings) -> AppGroup:
    """The `demo` command group, on the ledger the composition root gives; `web` says
    where sign-in links point and how long they last."""
    demo = AppGroup("demo", help="Seed a demo ledger for newcomers.")

    @demo.command("seed")
    @click.option(
        "--tokens-file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=TOKENS_FILE,
        show_default=True,
        help="where to keep the demo's tokens too (readable only by you)",
    )
    def seed(tokens_file: Path) -> None:
        """Seed the demo unless it is there: two engagements, their projects and
        allocations, four team members and some 150 activities over four months, and
        a token for each kind of person, printed at the end with a one-time sign-in
        link for each (new links only, when the demo was there)."""
        try:
            demo = seed_demo(
                ledger(), now=datetime.now(UTC), out=sys.stdout, tokens_file=tokens_file
            )
            tokens = demo.tokens if demo is not None else kept_tokens(tokens_file)
            if tokens:
                show_sign_in_links(
                    tokens,
                    lambda secret: sign_in_link(ledger(), web, secret, actor="demo seed"),
                    web.sign_in_link_minutes,
                    sys.stdout,
                )
        except DomainError as error:
            raise click.ClickException(error.message) from None

    return demo
