"""The supervisor gunicorn's master keeps its background worker running with
(service/infra/supervisor.py), on real child processes: a killed child is replaced,
never two run at once, one that keeps dying is restarted with backoff, and stop()
ends the child and starts no other. Bounded waits, no timings asserted."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.infra.supervisor import ProcessSupervisor


def wait_until(condition, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
    return result


def children_running(marker: str) -> list[int]:
    """This process's live children whose command line holds `marker` (read from /proc,
    not with a subprocess: Forker below would hold that up as it would the supervisor)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        state, parent = stat[0], int(stat[1])
        if parent == os.getpid() and state != "Z" and marker.encode() in cmdline:
            pids.append(int(entry.name))
    return pids


@pytest.fixture
def marker() -> str:
    return f"supervised-{uuid.uuid4().hex}"


@pytest.fixture
def supervisors() -> Iterator[list[ProcessSupervisor]]:
    made: list[ProcessSupervisor] = []
    yield made
    for supervisor in made:
        supervisor.stop(grace=5)


def supervise(made: list[ProcessSupervisor], code: str, marker: str) -> ProcessSupervisor:
    command = [sys.executable, "-c", f"{code}  # {marker}"]
    supervisor = ProcessSupervisor(
        command, logging.getLogger("test.supervisor"), first_delay=0.05, max_delay=0.2
    )
    made.append(supervisor)
    supervisor.start()
    return supervisor


def test_a_killed_child_is_replaced_and_never_two_run_at_once(supervisors, marker, caplog):
    caplog.set_level(logging.INFO, "test.supervisor")
    supervisor = supervise(supervisors, "import time; time.sleep(600)", marker)
    [first] = wait_until(lambda: children_running(marker), "the first child")

    os.kill(first, signal.SIGKILL)
    [second] = wait_until(
        lambda: [pid for pid in children_running(marker) if pid != first], "a new child"
    )
    assert children_running(marker) == [second]  # the killed one is gone, not beside it
    ended = [r.getMessage() for r in caplog.records if "ended" in r.getMessage()]
    assert len(ended) == 1 and str(first) in ended[0] and "killed by SIGKILL" in ended[0]

    supervisor.stop(grace=5)
    assert supervisor.process.poll() is not None, "stop() ended the child"
    assert children_running(marker) == []
    assert supervisor.starts == 2, "no child was started after stop()"


def test_a_child_that_keeps_dying_is_restarted_with_backoff_and_logged(supervisors, marker, caplog):
    caplog.set_level(logging.INFO, "test.supervisor")
    supervisor = supervise(supervisors, "raise SystemExit(3)", marker)
    wait_until(lambda: supervisor.starts >= 5, "four restarts")
    supervisor.stop(grace=5)
    ended = [r for r in caplog.records if "ended" in r.getMessage()]
    started = [r for r in caplog.records if "started" in r.getMessage()]
    assert len(started) == supervisor.starts and len(ended) >= 4
    # the pause before each restart: doubling from first_delay, capped at max_delay
    assert [r.args[-1] for r in ended[:4]] == [0.05, 0.1, 0.2, 0.2]
    # gunicorn's master is not here to collect the status first
    assert all("exit code 3" in r.getMessage() for r in ended)


def test_a_child_that_cannot_be_started_is_tried_again(supervisors, marker, caplog, tmp_path):
    caplog.set_level(logging.INFO, "test.supervisor")
    missing = tmp_path / marker
    supervisor = ProcessSupervisor(
        [str(missing)], logging.getLogger("test.supervisor"), first_delay=0.05, max_delay=0.2
    )
    supervisors.append(supervisor)
    supervisor.start()

    def failures() -> list[str]:
        return [r.getMessage() for r in caplog.records if "could not start" in r.getMessage()]

    wait_until(lambda: len(failures()) >= 3, "three failed starts, each logged")
    missing.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(600)\n")
    missing.chmod(0o755)
    wait_until(lambda: children_running(marker), "a child once the program exists")
    supervisor.stop(grace=5)  # the count is final once it has stopped
    assert supervisor.starts == 1


def pipes() -> set[str]:
    """The pipes this process holds open."""
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("pipe:"):
            found.add(target)
    return found


class Forker:
    """Gunicorn's master forking web workers in its main thread, without exec, over and
    over. A fork that inherited a pipe opened since the forking began (Popen's, in the
    supervisor) lives on holding it, as a web worker would; the others end at once."""

    def __init__(self):
        self.before = pipes()
        self.pids: list[int] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            pid = os.fork()
            if pid == 0:  # the "web worker"
                if pipes() - self.before:
                    time.sleep(120)
                os._exit(0)
            self.pids.append(pid)
            time.sleep(0.001)

    def __enter__(self) -> Forker:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def test_restarts_go_on_while_the_master_forks_web_workers(supervisors, marker):
    """A web worker forked while the supervisor was inside Popen would inherit the pipe
    Popen reads to learn its child started, and hold that restart up until it exits."""
    supervisor = supervise(supervisors, "import time; time.sleep(600)", marker)
    [child] = wait_until(lambda: children_running(marker), "the first child")
    with Forker():
        for restart in range(1, 6):
            os.kill(child, signal.SIGKILL)
            [child] = wait_until(
                lambda killed=child: [pid for pid in children_running(marker) if pid != killed],
                f"restart {restart} amid forks (one holding Popen's pipe lives 120 s)",
                timeout=60,
            )
    supervisor.stop(grace=5)  # the count is final once it has stopped
    assert supervisor.starts == 6
