"""Waiting for a background thread, bounded: a broken one fails the test instead of\nhanging it."""

from __future__ import annotations

import time


def wait_until(condition, timeout: float = 60.0) -> None:
    """A bound so a broken follower fails the test instead of hanging it."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.02)
