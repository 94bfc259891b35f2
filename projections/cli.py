"""`flask --app wsgi projections run | rebuild [NAME] | status | prune | retry [NAME]`.

`run` is the worker process (the same as `worker run`: it follows the log and runs the
other background workers; production: set PROJECTIONS_IN_PROCESS=false for the web
processes); `rebuild` builds a view's next generation from the whole log beside the
serving one and switches reads to it when done (blue/green), showing events per
second; `status` shows each view's serving and building generations, positions, lag
and failure; `prune` drops the tables no process reads any more; `retry` has the
followers retry failed views at once instead of after their backoff."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import click
from flask.cli import AppGroup

from projections.catalog import CATALOG, NAMES
from projections.engine.catalog import Projections
from projections.engine.failures import EventFailed
from projections.engine.generations import BUILDING
from projections.engine.rebuild import rebuild_many
from service.application import Ledger

RUN_POLL_SECONDS = 0.1


def projections_cli(ledger: Callable[[], Ledger], run_worker: Callable[[float], None]) -> AppGroup:
    """The `projections` command group, on the ledger the composition root gives; `run`
    is its `run_worker` (the worker process: the projection follower, woken by each
    commit on PostgreSQL, beside the other background workers), kept under this name
    because existing deployments start the worker process as `projections run`
    (docs/reference/cli.md)."""
    group = AppGroup("projections", help="Run, rebuild and inspect the read models.")

    @group.command("run")
    @click.option(
        "--poll",
        default=RUN_POLL_SECONDS,
        show_default=True,
        help="seconds between looks at the log (the fallback when woken by each commit)",
    )
    def run(poll: float) -> None:
        """Follow the event log and keep every view up to date, with the other background
        workers (the same as `worker run`), until SIGTERM or Ctrl-C."""
        run_worker(poll)

    @group.command("rebuild")
    @click.argument("name", required=False, type=click.Choice(NAMES))
    def rebuild_command(name: str | None) -> None:
        """Build view NAME (or every view) anew from the whole log beside the serving
        one, which answers every read meanwhile; reads switch to it when it is done."""
        _rebuild_with_progress(Projections(ledger()), [name] if name else list(NAMES))

    @group.command("status")
    def status() -> None:
        """Each view's serving generation (version, position, lag, failure) and any
        generation being built beside it (position and rate since it began)."""
        projections = Projections(ledger())
        head = projections.head()
        positions = projections.positions()
        failures = projections.failures(positions=positions)
        generations = projections.all_generations()
        click.echo(f"log position {head}")
        for name, position in positions.items():
            view = projections.views[name]
            lag = head - position
            serving = f"v{view.version}.{view.generation}"
            state = "serving" if projections.serving[name] else "building"
            click.echo(
                f"{name:<10} {state} {serving:<6} {position:>10}  lag {lag:<8} "
                f"{CATALOG[name].description}"
            )
            for building in generations:
                if building.name != name or building.state != BUILDING:
                    continue
                if (building.version, building.generation) == (view.version, view.generation):
                    continue
                done = projections.generation_position(building)
                rate = done / max(time.time() - building.started_at, 1e-9)
                label = f"v{building.version}.{building.generation}"
                click.echo(
                    f"{'':<10} building {label:<6} {done:>9}  lag {head - done:<8} "
                    f"{rate:,.0f} events/s since it began"
                )
            failure = failures.get(name)
            if failure is not None:
                retry = failure.retry_at.isoformat() if failure.retry_at else "at the next look"
                click.echo(
                    f"{'':<10} FAILED on the event at log position {failure.position} "
                    f"(attempt {failure.attempts}, {failure.failed_at.isoformat()}; "
                    f"next retry {retry}): {failure.error}"
                )

    @group.command("prune")
    def prune() -> None:
        """Drop the tables of the generations no process reads: those rebuilds retired
        or left half-built, and those of versions older than the newest serving one
        (run it once no process of an older release runs)."""
        dropped = Projections(ledger()).prune()
        for generation in dropped:
            click.echo(f"dropped {generation.name} v{generation.version}.{generation.generation}")
        if not dropped:
            click.echo("nothing to drop")

    @group.command("retry")
    @click.argument("name", required=False, type=click.Choice(NAMES))
    def retry(name: str | None) -> None:
        """Retry failed view NAME (or every failed view) now rather than after its
        backoff, say once the cause is fixed. The running followers do it."""
        projections = Projections(ledger())
        retried = projections.failure_log.retry_now([name] if name else NAMES)
        click.echo(f"retrying {', '.join(retried)}" if retried else "no view has failed")

    return group


def _rebuild_with_progress(projections: Projections, names: list[str]) -> None:
    """Rebuild read models in one read of the log, behind a progress bar that shows
    events per second."""
    total = projections.head()
    started = time.monotonic()
    done = 0

    def rate(_: object) -> str:
        elapsed = max(time.monotonic() - started, 1e-9)
        return f"{done / elapsed:,.0f} events/s"

    with click.progressbar(
        length=total, label=f"{', '.join(names)}", item_show_func=rate, file=sys.stderr
    ) as bar:

        def advance(count: int) -> None:
            nonlocal done
            done += count
            bar.update(count, done)

        try:
            applied = rebuild_many(projections, names, progress=advance)
        except EventFailed as error:
            raise click.ClickException(str(error)) from None
    elapsed = time.monotonic() - started
    per_second = applied / max(elapsed, 1e-9)
    for name in names:
        click.echo(f"{name}: {applied} events in {elapsed:.1f}s ({per_second:,.0f} events/s)")
