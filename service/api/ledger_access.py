"""One Ledger per process, made on first use.

Gunicorn forks its workers after importing the app; a database pool made before the
fork would be shared by every worker. Making the Ledger lazily, and again when the
process id changes, gives each worker its own connections."""

from __future__ import annotations

import os
import threading

from flask import current_app

from ..ledger import Ledger

_lock = threading.Lock()


def ledger() -> Ledger:
    state = current_app.extensions["ledger"]
    if state.get("pid") != os.getpid():
        with _lock:
            if state.get("pid") != os.getpid():
                state["ledger"] = state["factory"]()
                state["pid"] = os.getpid()
    return state["ledger"]
