"""Reading your own writes through the read models.

A projection-backed read waits (PROJECTIONS_WAIT_SECONDS, default 5) until its views
have reached `min_position`, or, without it, the end of the log as the read arrived:
every write acknowledged before a read is visible to it, whoever made it. Past the
wait it answers 503 with Retry-After. After every write, the process's follower is
nudged to look at the log at once.

A view stuck on an event it failed to apply (projections/engine/failures.py) will not
get there by waiting: a read that needs it past that event answers 503 at once, naming
the view and the position, with Retry-After its next retry; other reads go on.

Nor will views that no process is advancing: when a read finds its views behind and
the background worker's heartbeat stale (projections/engine/heartbeat.py: its process
died or was never started), it answers 503 at once, saying so, instead of waiting. A
heartbeat from the threads of a single-process server counts as one from `worker run`.

A read names the query it makes, never read models: each query declares those it
reads, beside itself (projections/reports/declared.py), and the read waits for exactly
those. The read models it is handed refuse any other (`UndeclaredRead`, a bug the
tests meet), so a query that starts reading one more without declaring it fails
instead of serving that one's stale rows.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

import marshmallow as ma
from flask import Flask, Response

from projections import Projections
from projections.engine.failures import ViewsFailing, now_utc
from projections.engine.freshness import (
    PositionBeyondLog,
    ProjectionsBehind,
    WorkerDown,
    await_position,
    target_position,
)
from projections.reports.declared import read_models_of
from service.web.http.problems import problem
from service.web.http.runtime import runtime
from service.web.schemas.common import POSITION, QueryInteger

log = logging.getLogger(__name__)

BEHIND_RETRY_AFTER = "2"
# gunicorn's master restarts a dead worker process within seconds (gunicorn_conf.py).
WORKER_DOWN_RETRY_AFTER = "5"
FAILING_RETRY_AFTER_MAX = 300


class FreshReadSchema(ma.Schema):
    min_position = QueryInteger(
        validate=POSITION,
        metadata={
            "description": "wait (a few seconds at most) until the read models have processed "
            "this log position, e.g. the `position` a write returned; by default, the end of "
            "the log when the request arrives"
        },
    )


def install_reads(app: Flask) -> None:
    app.after_request(_nudge_after_write)
    app.register_error_handler(ProjectionsBehind, _behind)
    app.register_error_handler(PositionBeyondLog, _beyond)
    app.register_error_handler(ViewsFailing, _failing)
    app.register_error_handler(WorkerDown, _worker_down)


Params = ParamSpec("Params")
Answer = TypeVar("Answer")


class UndeclaredRead(RuntimeError):
    """A read used a read model its query does not declare (a bug, not the client's)."""


class DeclaredReadModels:
    """The read models as a read waited for them: `view` serves only those declared."""

    def __init__(self, read_models: Projections, declared: Sequence[str]):
        self._read_models = read_models
        self._declared = frozenset(declared)

    def view(self, name: str) -> Any:
        if name not in self._declared:
            raise UndeclaredRead(
                f"read model {name!r} read but not declared (it declares "
                f"{sorted(self._declared)}): declare it beside the query"
            )
        return self._read_models.view(name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._read_models, name)


def read_fresh(
    query: Callable[Concatenate[Projections, Params], Answer],
    min_position: int | None,
    *args: Params.args,
    **kwargs: Params.kwargs,
) -> Answer:
    """What `query` answers, once the read models it declares have caught up."""
    return query(fresh(query, min_position), *args, **kwargs)


def fresh(read: Callable[..., Any], min_position: int | None, as_of: bool = False) -> Projections:
    """The read models, once those `read` declares (with `as_of`, also those it reads
    as of a position) have caught up (see module docstring)."""
    names = read_models_of(read, as_of=as_of)
    current = runtime()
    read_models = current.projections()
    target = target_position(read_models, min_position)
    timeout = current.settings.projections_wait_seconds
    asked_worker = False

    def nudge_unless_stalled() -> None:
        """Called while a view is behind: give up at once if it is stuck short of target,
        or (asked once per read) if nothing is advancing the views."""
        nonlocal asked_worker
        _refuse_failed(read_models, names, target)
        if not asked_worker:
            asked_worker = True
            _refuse_unattended(current, read_models, names, target)
        current.nudge()

    await_position(read_models, names, target, timeout=timeout, nudge=nudge_unless_stalled)
    return cast(Projections, DeclaredReadModels(read_models, names))  # answers as they do


def _refuse_unattended(
    current: Any, read_models: Projections, names: Sequence[str], target: int
) -> None:
    """Raise WorkerDown if no process beats and the views are still short of target."""
    worker = current.worker_status()
    if not worker.up:
        positions = read_models.positions(names)
        behind = {name: position for name, position in positions.items() if position < target}
        if behind:
            raise WorkerDown(target, behind, worker.age_seconds)


def _refuse_failed(read_models: Projections, names: Sequence[str], target: int) -> None:
    stuck = [
        failure
        for failure in read_models.failures(names).values()
        if failure.position <= target  # the view cannot reach target before that event
    ]
    if stuck:
        raise ViewsFailing(stuck)


def _nudge_after_write(response: Response) -> Response:
    if "X-Event-Position" in response.headers:
        try:
            runtime().nudge()
        except Exception:  # the write succeeded; its answer must not turn into an error
            log.exception("projections: could not start the follower")
    return response


def _behind(error: ProjectionsBehind) -> Response:
    log.warning("read models behind: %s", error)
    return problem(503, f"{error}; please retry", headers={"Retry-After": BEHIND_RETRY_AFTER})


def _worker_down(error: WorkerDown) -> Response:
    log.warning("read models unattended: %s", error)
    return problem(503, f"{error}; please retry", headers={"Retry-After": WORKER_DOWN_RETRY_AFTER})


def _failing(error: ViewsFailing) -> Response:
    log.warning("read models failing: %s", error)
    now = now_utc()
    waits = [
        (failure.retry_at - now).total_seconds() if failure.retry_at else 0.0
        for failure in error.failures
    ]
    retry_after = min(max(math.ceil(min(waits)), 1), FAILING_RETRY_AFTER_MAX)
    return problem(503, f"{error}; please retry later", headers={"Retry-After": str(retry_after)})


def _beyond(error: PositionBeyondLog) -> Response:
    return problem(422, str(error), {error.field: [str(error)]})
