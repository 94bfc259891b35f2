"""Readiness: the event store answers, and how far each read model lags behind the
log. Open to all, like /healthz.

Lag alone does not make a process unready: a rebuild, or a burst of writes, would
otherwise take every web process out of the load balancer at once, and reads that
need fresh data wait for it anyway. A probe that wants caught-up views passes
`?max_lag=N`."""

from __future__ import annotations

import logging

from flask import Blueprint, request

from ..store_errors import DATABASE_UNAVAILABLE
from .problems import problem
from .projection_access import projections, runner_mode

log = logging.getLogger(__name__)

blp = Blueprint("readiness", __name__)

RETRY_AFTER_SECONDS = "5"


@blp.get("/readyz")
def readyz():
    try:
        read_models = projections()
        head = read_models.head()
        positions = read_models.positions()
    except DATABASE_UNAVAILABLE as error:
        log.warning("not ready: %s", error)
        return problem(
            503, "the event store is unreachable", headers={"Retry-After": RETRY_AFTER_SECONDS}
        )
    views = {
        name: {"position": position, "lag": head - position} for name, position in positions.items()
    }
    max_lag = request.args.get("max_lag", type=int)
    behind = max_lag is not None and any(view["lag"] > max_lag for view in views.values())
    body = {
        "status": "behind" if behind else "ready",
        "log_position": head,
        "projections": views,
        "runner": runner_mode(),
    }
    return body, 503 if behind else 200
