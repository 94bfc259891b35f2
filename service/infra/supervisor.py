"""Keeps one child process running: gunicorn's master uses it for the background
worker (`flask --app wsgi worker run`) it starts beside its web workers with
PROJECTIONS_IN_PROCESS=true (gunicorn_conf.py). Gunicorn replaces its own web
workers, but not a process it did not fork itself.

A thread of the master waits on the child; when the child ends (killed, crashed, out of
memory) it logs that and starts a new one after a pause: 1 s, doubling with each death
in a row up to 30 s, back to 1 s once a child has stayed up for a minute. Only that
thread starts children, and only once the previous one has ended, so two never run at
once (the views' locks, projections/engine/locks.py, would keep a second from writing
them anyway, but the HubSpot workers have none). `stop()` ends the child (SIGTERM, then
SIGKILL after `grace` seconds) and starts no other.

Gunicorn's master collects every child that ends (`waitpid(-1)`), ours included, so the
exit status is not always ours to read: an unknown status is logged as such. The child
shares the master's process group, as before it was supervised: a Ctrl-C in the
terminal stops it too, and should it end before the master reaches on_exit, one more
death is logged and the new child, if started by then, is stopped with the server.

The master forks its web workers in its main thread, without exec. A web worker forked
while this thread is inside `Popen` would inherit the pipe on which `Popen` learns that
its child has started, and `Popen` would wait until that web worker exits: so every
`os.fork()` of the process waits for a `Popen` in hand, and a `Popen` for a fork
(`_spawning`, taken by os.register_at_fork's hooks).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence

FIRST_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 30.0
STABLE_AFTER_SECONDS = 60.0

# Reentrant: should Popen ever run the fork hooks itself, its own thread holds it already.
_spawning = threading.RLock()
_forks_guarded = False


def next_delay(
    previous: float | None, ran_for: float, first: float, limit: float, stable_after: float
) -> float:
    """The pause before starting a child again: `first` after its first death or one
    after it ran `stable_after` seconds; otherwise twice the last pause, at most `limit`."""
    if previous is None or ran_for >= stable_after:
        return first
    return min(previous * 2, limit)


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    if returncode > 0:
        return f"exit code {returncode}"
    return "exit status unknown or 0"


class ProcessSupervisor:
    def __init__(
        self,
        command: Sequence[str],
        log: logging.Logger,
        name: str = "background worker",
        first_delay: float = FIRST_DELAY_SECONDS,
        max_delay: float = MAX_DELAY_SECONDS,
        stable_after: float = STABLE_AFTER_SECONDS,
    ):
        self.command = list(command)
        self.log = log
        self.name = name
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.stable_after = stable_after
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"{name} supervisor", daemon=True)

    def start(self) -> None:
        _guard_forks()
        self._thread.start()

    def stop(self, grace: float) -> None:
        """End the child, waiting up to `grace` seconds for it to finish what it has in
        hand, and start no other."""
        with self._lock:
            self._stopping.set()
            process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                process.kill()
        self._thread.join(grace)

    def _run(self) -> None:
        delay: float | None = None
        while True:
            started = time.monotonic()
            outcome = self._start_and_wait()
            if outcome is None:
                return
            ran_for = time.monotonic() - started
            delay = next_delay(delay, ran_for, self.first_delay, self.max_delay, self.stable_after)
            self.log.error("%s: %s; starting a new one in %.0fs", self.name, outcome, delay)
            if self._stopping.wait(delay):
                return

    def _start_and_wait(self) -> str | None:
        """Start a child and wait for it to end: what happened, or None once stopping."""
        with self._lock:
            if self._stopping.is_set():
                return None
            try:
                with _spawning:
                    process = subprocess.Popen(self.command)
            except OSError as error:  # out of memory or processes, say: tried again later
                return f"could not start a process ({error})"
            self.process = process
            self.starts += 1
        started = time.monotonic()
        self.log.info("%s: process %s started (%s)", self.name, process.pid, self.command)
        returncode = process.wait()
        if self._stopping.is_set():
            return None
        ran_for = time.monotonic() - started
        return f"process {process.pid} ended after {ran_for:.0f}s ({describe_exit(returncode)})"


def _guard_forks() -> None:
    """Have every later os.fork() of this process hold `_spawning` (see the module's
    docstring); the forked child releases its copy. Once per process."""
    global _forks_guarded
    with _spawning:
        if _forks_guarded:
            return
        _forks_guarded = True
    os.register_at_fork(
        before=_spawning.acquire,
        after_in_parent=_spawning.release,
        after_in_child=_spawning.release,
    )
