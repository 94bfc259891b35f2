"""The read models as web requests see them: one `Projections` per process (made
with the process's Ledger, so after a gunicorn fork too), the in-process follower
thread, and reads that wait until the views have caught up with the writes.

By default (PROJECTIONS_IN_PROCESS=true) each web process runs a follower thread,
started once per process on its first write or projection-backed read (so after a
gunicorn fork, whatever the preload setting); the views' locks let one of them write
each view at a time. With a separate `flask --app wsgi projections run` process, set
PROJECTIONS_IN_PROCESS=false.

A projection-backed read waits (PROJECTIONS_WAIT_SECONDS, default 5) until its views
have reached `min_position`, or, without it, the end of the log as the read arrived:
every write acknowledged before a read is visible to it, whoever made it. Past the
wait it answers 503 with Retry-After.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

import marshmallow as ma
from flask import Flask, Response, current_app

from projections import Projections
from projections.follower import Follower
from projections.freshness import (
    PositionBeyondLog,
    ProjectionsBehind,
    await_position,
    target_position,
)

from ..ledger import Ledger
from .ledger_access import ledger
from .problems import problem

log = logging.getLogger(__name__)
_lock = threading.Lock()

DEFAULT_WAIT_SECONDS = 5.0
# The follower needs at most a connection holding a view's lock and one writing it.
FOLLOWER_POOL = {"POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "2"}
BEHIND_RETRY_AFTER = "2"


class FreshReadSchema(ma.Schema):
    min_position = ma.fields.Integer(
        validate=ma.validate.Range(min=0),
        metadata={
            "description": "wait (a few seconds at most) until the read models have processed "
            "this log position, e.g. the `position` a write returned; by default, the end of "
            "the log when the request arrives"
        },
    )


def install_projections(app: Flask) -> None:
    app.extensions["projections"] = {}
    app.after_request(_nudge_after_write)
    app.register_error_handler(ProjectionsBehind, _behind)
    app.register_error_handler(PositionBeyondLog, _beyond)


def projections() -> Projections:
    """This process's read models (and, in-process, a running follower)."""
    state = current_app.extensions["projections"]
    current = ledger()
    if state.get("ledger") is not current:
        with _lock:
            if state.get("ledger") is not current:
                state["projections"] = Projections(current)
                state["follower"] = None
                state["ledger"] = current
    if _runs_in_process() and state.get("follower") is None:
        _start_follower(state, current)
    return state["projections"]


def fresh(names: Sequence[str], min_position: int | None) -> Projections:
    """The read models, once the named views have caught up (see module docstring)."""
    read_models = projections()
    target = target_position(read_models, min_position)
    follower = current_app.extensions["projections"].get("follower")
    timeout = _setting("projections_wait_seconds", DEFAULT_WAIT_SECONDS)
    nudge = follower.nudge if follower else lambda: None
    await_position(read_models, names, target, timeout=timeout, nudge=nudge)
    return read_models


def runner_mode() -> str:
    return "in-process" if _runs_in_process() else "separate process"


def _start_follower(state: dict[str, Any], current: Any) -> None:
    """Start this process's follower thread. It owns its own Ledger (own connections,
    a small pool) and closes it itself when the web Ledger closes: closing a
    connection under a thread that is using it would crash SQLite."""
    with _lock:
        if state.get("follower") is not None:
            return
        settings = current_app.extensions["settings"]
        own = Ledger(env={**settings.persistence, **FOLLOWER_POOL})
        follower = Follower(Projections(own))
        state["follower"] = follower

        def follow() -> None:
            try:
                follower.run(current.closing)
            finally:
                own.close()

        threading.Thread(target=follow, name="projections-follower", daemon=True).start()


def _runs_in_process() -> bool:
    return bool(_setting("projections_in_process", True))


def _setting(name: str, default: Any) -> Any:
    return getattr(current_app.extensions["settings"], name, default)


def _nudge_after_write(response: Response) -> Response:
    """After a write, start this process's follower if it is not running yet (the
    first read would otherwise find a backlog) and have it look at the log now."""
    if "X-Event-Position" not in response.headers:
        return response
    if _runs_in_process() and current_app.extensions["projections"].get("follower") is None:
        try:
            projections()
        except Exception:  # the write succeeded; its answer must not turn into an error
            log.exception("projections: could not start the follower")
    follower = current_app.extensions["projections"].get("follower")
    if follower is not None:
        follower.nudge()
    return response


def _behind(error: ProjectionsBehind) -> Response:
    log.warning("read models behind: %s", error)
    return problem(503, f"{error}; please retry", headers={"Retry-After": BEHIND_RETRY_AFTER})


def _beyond(error: PositionBeyondLog) -> Response:
    return problem(422, str(error), {"min_position": [str(error)]})
