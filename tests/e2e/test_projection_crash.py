"""Crash safety: `flask --app wsgi projections run` is killed with SIGKILL at random
moments while events are being written, and restarted. Each batch of events and its
tracking position commit together, so after the last restart every view equals a
fresh replay of the log: nothing missed, nothing counted twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from projections import NAMES, Projections
from projections.engine.follower import Follower
from projections.engine.freshness import ProjectionsBehind, await_position
from service.application import Clock, Ledger
from service.application.caller import Caller
from service.domain import DomainError
from service.infra.store import persistence_environment
from tests.support.worlds import granted_on_ledger

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))
TODAY = Clock().today()  # the service's day (UTC), not the local date
KILLS = 6


class Writer(threading.Thread):
    """Records, corrects and retracts activities until told to stop."""

    def __init__(self, ledger: Ledger, allocations: list, seed: int):
        super().__init__(daemon=True)
        self.ledger = ledger
        self.allocations = allocations
        self.random = random.Random(seed)
        self.stop = threading.Event()
        self.activities: list = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self.step()
        except BaseException as error:  # reported by the test
            self.error = error

    def step(self) -> None:
        choice = self.random.random()
        try:
            if choice < 0.7 or not self.activities:
                back = self.random.randint(0, 20)
                _, activity_id = self.ledger.record_activity(
                    self.random.choice(self.allocations),
                    team_member=self.random.choice(["ana", "ben"]),
                    units=self.random.randint(1, 8),
                    description="w",
                    date_from=TODAY - timedelta(back),
                    date_to=TODAY - timedelta(self.random.randint(0, back)),
                    caller=Caller("t"),
                ).value
                self.activities.append(activity_id)
            elif choice < 0.9:
                self.ledger.correct_activity(
                    self.random.choice(self.activities),
                    reason="r",
                    caller=Caller("t"),
                    changes={"units": self.random.randint(1, 8)},
                )
            else:
                self.ledger.retract_activity(
                    self.random.choice(self.activities), reason="r", caller=Caller("t")
                )
        except DomainError:
            pass  # e.g. correcting an activity already retracted: nothing written


def start_runner(database_url: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "PROJECTIONS_IN_PROCESS": "false"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return subprocess.Popen(
        [FLASK, "--app", "wsgi", "projections", "run"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


FOLLOWING = "projections: following the log"


def wait_until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.05)


def test_a_killed_projection_process_resumes_without_loss_or_double_counting(
    database_url, tmp_path
):
    ledger = Ledger(env=persistence_environment(database_url))
    try:
        allocation_id = granted_on_ledger(ledger, members=("ana", "ben"), units=500, today=TODAY)
        writer = Writer(ledger, [allocation_id], seed=7)
        for _ in range(600):  # a backlog, so the first runs are killed mid-catch-up
            writer.step()
        writer.start()

        rng = random.Random(11)
        log = tmp_path / "runner.log"
        served = Projections(ledger)
        progress = []
        for _ in range(KILLS):
            runner = start_runner(database_url, log)
            time.sleep(rng.uniform(0.5, 3.0))
            runner.send_signal(signal.SIGKILL)
            runner.wait()
            progress.append((served.head(), served.positions()))
        writer.stop.set()
        writer.join()
        assert writer.error is None, writer.error

        starts_before = log.read_text().count(FOLLOWING)
        runner = start_runner(database_url, log)
        try:
            # Bounds so a broken runner fails the test instead of hanging it. The runner
            # is stopped only once it has said it follows the log: a SIGTERM before its
            # handler is installed would kill it rather than stop it.
            try:
                await_position(served, NAMES, served.head(), timeout=120)
            except ProjectionsBehind as behind:
                failures = served.failure_log.read()
                pytest.fail(f"{behind}; failures {failures}; runner log:\n{log.read_text()}")
            wait_until(lambda: log.read_text().count(FOLLOWING) > starts_before, timeout=60)
        finally:
            runner.send_signal(signal.SIGTERM)
            runner.wait(timeout=30)
        assert runner.returncode == 0, log.read_text()

        replay = Projections(ledger, namespace="replay_")
        assert Follower(replay).catch_up()
        assert served.dump() == replay.dump()
        # The kills did land while there was work in hand (a batch may have been cut).
        assert any(min(positions.values()) < head for head, positions in progress), progress
    finally:
        ledger.close()
