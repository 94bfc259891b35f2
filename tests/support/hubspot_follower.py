"""Stepping the HubSpot deal follower on a fake clock: each step jumps the clock to the
time the follower asks for, so retries and backoff are checked without waiting and
without timing assertions."""

from __future__ import annotations

from integrations.hubspot.follower import DealFollower


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def run_until_idle(follower: DealFollower, clock: FakeClock, max_passes: int = 30) -> list[float]:
    """Step the follower, jumping the clock to each time it asks for; the delays it asked for."""
    delays = []
    for _ in range(max_passes):
        delay = follower.step()
        if delay is None:
            return delays
        delays.append(delay)
        clock.now += delay
    raise AssertionError(f"work still pending after {max_passes} passes: {delays}")
