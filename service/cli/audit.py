"""`flask --app wsgi audit verify [--public-key FILE]…`: recompute the Merkle tree from
the stored events and check it against the stored tree and every stored checkpoint
(projections/audit/verify.py).

Exit status 0 when everything is consistent, printing `N events, root …, K checkpoints
consistent`; 1 when something is not, naming the first log position whose event was
changed, removed or reordered (or the checkpoint or tree node at fault); 2 for a wrong
invocation (click's own)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from projections import Projections
from projections.audit.verify import verify_log
from service.infra.signing import SigningKeyError, public_key_from_pem, public_key_id

TAMPERED = 1


def audit_cli(runtime: Any) -> AppGroup:
    """The `audit` command group, on the runtime (service/bootstrap.py) the composition
    root gives: its ledger, and the checkpoint signing key."""
    group = AppGroup("audit", help="Prove the event log has not been altered.")

    @group.command("verify")
    @click.option(
        "--public-key",
        "public_keys",
        multiple=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="also accept checkpoints signed by this (earlier) Ed25519 public key, a PEM file",
    )
    def verify(public_keys: tuple[Path, ...]) -> None:
        """Recompute the tree from every stored event and check it against the stored
        tree and each stored checkpoint (root and signature)."""
        ledger = runtime.ledger()
        view = Projections(ledger, names=["merkle"]).views["merkle"]
        signer = runtime.signer()
        keys = {signer.key_id: signer.public_key}
        for path in public_keys:
            try:
                key = public_key_from_pem(path.read_bytes())
            except (SigningKeyError, ValueError) as error:
                raise click.BadParameter(f"{path}: {error}", param_hint="--public-key") from None
            keys[public_key_id(key)] = key
        total = max(view.size(), ledger.recorder.max_notification_id() or 0)
        started = time.monotonic()
        with click.progressbar(length=total, label="verifying", file=sys.stderr) as bar:
            verdict = verify_log(ledger.recorder, view, keys, progress=bar.update)
        if not verdict.ok:
            for problem in verdict.problems:
                click.echo(problem, err=True)
            sys.exit(TAMPERED)
        click.echo(
            f"{verdict.positions} events, root {verdict.root.hex()}, "
            f"{verdict.checkpoints} checkpoints consistent"
        )
        notes = []
        if verdict.empty_positions:
            notes.append(
                f"{verdict.empty_positions} positions hold no event (inserts the store refused); "
                "each is an empty leaf"
            )
        if verdict.tree_size < verdict.positions:
            notes.append(
                f"the tree has taken in {verdict.tree_size} of them so far; the events after "
                "were hashed but not yet compared"
            )
        notes.append(f"checked in {time.monotonic() - started:.1f}s")
        for note in notes:
            click.echo(note, err=True)

    return group
