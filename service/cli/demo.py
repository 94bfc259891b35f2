"""`flask --app wsgi demo seed [--tokens-file PATH]`: fill an empty ledger with the demo
(service/demo/seed.py), so that every page of the web app has something to show. `make run
DEMO=1` runs it before serving.

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
from service.demo.seed import seed_demo
from service.domain import DomainError

TOKENS_FILE = Path("var/demo-tokens.txt")


def demo_cli(ledger: Callable[[], Ledger]) -> AppGroup:
    """The `demo` command group, on the ledger the composition root gives."""
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
        a token for each kind of person, printed at the end."""
        try:
            seed_demo(ledger(), now=datetime.now(UTC), out=sys.stdout, tokens_file=tokens_file)
        except DomainError as error:
            raise click.ClickException(error.message) from None

    return demo
