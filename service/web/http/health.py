"""Liveness and readiness, open to all.

`/healthz`: the process answers (no database call). `/readyz`: the event store
answers, and how far each read model lags behind the log. Lag alone does not make a
process unready: a rebuild, or a burst of writes, would otherwise take every web
process out of the load balancer at once, and reads that need fresh data wait for it
anyway. A probe that wants caught-up views passes `?max_lag=N`.

A view stuck on an event it failed to apply will not catch up by waiting: /readyz says
so (status "failing", with the view's position and error), as do /metrics
(`ces_projection_failed`) and `projections status`. It still answers 200 to a plain
probe: every process shares the one database, so a failed view would take all of them
out of a load balancer at once, writes and the reads that do not need that view
included. With `?max_lag=N` (a probe that wants every view caught up) it answers 503.

The background worker (`worker`: its heartbeat, projections/engine/heartbeat.py) is
reported the same way: when no process has beaten for WORKER_DOWN_AFTER_SECONDS, the
status is "worker_down" (it comes first: nothing else moves while it is down), still 200
to a plain probe: the web processes go on taking writes and serving the reads whose views
are caught up, and a read that needs a view nobody advances answers 503 at once anyway
(service/web/http/reads.py); taking them out of the load balancer would only turn that into
every request failing. `?max_lag=N` answers 503."""

from __future__ import annotations

import logging

from flask import Blueprint, request

from service.infra.store_errors import DATABASE_UNAVAILABLE
from service.web.http.problems import problem
from service.web.http.runtime import runtime

log = logging.getLogger(__name__)

blp = Blueprint("health", __name__)

RETRY_AFTER_SECONDS = "5"


@blp.get("/healthz")
def healthz():
    return {"status": "ok"}


@blp.get("/readyz")
def readyz():
    try:
        read_models = runtime().projections()
        head = read_models.head()
        positions = read_models.positions()
        failures = read_models.failures(positions=positions)
        worker = runtime().worker_status()
    except DATABASE_UNAVAILABLE as error:
        log.warning("not ready: %s", error)
        return problem(
            503, "the event store is unreachable", headers={"Retry-After": RETRY_AFTER_SECONDS}
        )
    views = {
        name: {"position": position, "lag": head - position} for name, position in positions.items()
    }
    for name, failure in failures.items():
        views[name]["failure"] = failure.as_json()
    max_lag = request.args.get("max_lag", type=int)
    behind = max_lag is not None and any(view["lag"] > max_lag for view in views.values())
    status = _status(worker_up=worker.up, failing=bool(failures), behind=behind)
    strict = max_lag is not None
    body = {
        "status": status,
        "log_position": head,
        "projections": views,
        "runner": runtime().runner_mode,
        "worker": worker.as_json(),
    }
    return body, 503 if strict and status != "ready" else 200


def _status(worker_up: bool, failing: bool, behind: bool) -> str:
    if not worker_up:
        return "worker_down"
    if failing:
        return "failing"
    return "behind" if behind else "ready"
