"""What a request runs on: the process's runtime (ledger, read models, clock), which
the composition root hands to `build_web_app` and which lives in `app.extensions`."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app

from service.application import Ledger


def runtime() -> Any:
    """The `service.runtime.Runtime` of this process (typed loosely: the web layer
    must not import the composition root that imports it)."""
    return current_app.extensions["runtime"]


def ledger() -> Ledger:
    return runtime().ledger()


def today() -> date:
    """The day balances and reports are computed for (UTC, from the runtime's clock)."""
    return runtime().clock.today()
