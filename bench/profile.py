"""Where a recording's time goes: py-spy samples every process of the service under
load (each web worker and the worker process), and the samples are summed into a
table.

py-spy samples with --idle (a worker waiting on PostgreSQL is as much a cost as one
computing) and --nonblocking (the sampled process is not paused). A web worker's
samples count only inside a request (gunicorn's `handle_request`), so the time it waits
for the next request does not dilute them. Each sample goes to one step of the
recording: the innermost of the steps below on its stack (a read inside the command is
the read's, not the command's), or "Flask, gunicorn and the rest" when none is; beside
each step, the share of its samples inside psycopg (waiting on PostgreSQL or talking to
it). For the worker process: how much of its follower thread's time is work rather than
waiting for the next commit, and how much of that work waits on PostgreSQL.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import Service

PY_SPY = Path(sys.executable).parent / "py-spy"
IN_REQUEST = "handle_request (gunicorn/workers/sync.py"
POSTGRES = ("psycopg/", "psycopg_pool/")
# The steps of a recording, each with the frames (substrings of py-spy's
# "function (file:line)") that put a sample in it.
STEPS = (
    ("authentication (the token)", ("principal_for_secret (",)),
    ("reading the body (webargs, marshmallow)", ("Parser.parse (webargs/",)),
    (
        "loading aggregates (cache + fast-forward reads)",
        ("Repository.get (eventsourcing/", "LedgerBase.get_together ("),
    ),
    ("the closed months (the calendar's read)", ("ClosedMonths.current (",)),
    ("saving (the insert under the log's lock)", ("LedgerBase.save_all (",)),
    ("the command's rules and the rest of it", ("command.<locals>.run (service/",)),
    ("the answer (receipt, schema dump)", ("activity_written (", "Schema.dump (marshmallow/")),
    ("logging and metrics", ("logging/", "pythonjsonlogger/", "prometheus_client/")),
)
OTHER = "Flask, gunicorn and the rest"
FOLLOWER = "Follower.run ("
WAITING = "Event.wait (threading.py"  # the follower waiting for the next commit or poll
START_SECONDS = 1.0  # of load before sampling starts: py-spy's window lies inside wrk's


@dataclass
class Profile:
    """Summed stacks (";"-joined frames, root first) of the web workers and of the
    worker process."""

    web: Counter[str]
    background: Counter[str]

    @staticmethod
    def record(folder: Path, service: Service, seconds: float) -> None:
        """py-spy on every process of `service`, at once, into `folder`, for the load's
        `seconds` less a second at each end."""
        folder.mkdir(parents=True, exist_ok=True)
        targets = [("web", pid) for pid in service.worker_pids()]
        targets += [("background", pid) for pid in service.background_pids()]
        time.sleep(START_SECONDS)
        duration = max(1, int(seconds - 2 * START_SECONDS))
        spies = [
            subprocess.Popen(
                [str(PY_SPY), "record", "--pid", str(pid), "--duration", str(duration)]
                + ["--idle", "--nonblocking", "--format", "raw"]
                + ["--output", str(folder / f"{kind}-{pid}.txt")],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for kind, pid in targets
        ]
        for spy in spies:
            _, errors = spy.communicate(timeout=seconds + 60)
            if spy.returncode != 0:
                raise SystemExit(f"py-spy failed (ptrace rights?): {errors}")

    @classmethod
    def read(cls, folder: Path) -> Profile:
        stacks: dict[str, Counter[str]] = {"web": Counter(), "background": Counter()}
        for path in folder.glob("*-*.txt"):
            kind = path.name.split("-")[0]
            for line in path.read_text().splitlines():
                stack, _, count = line.rpartition(" ")
                stacks[kind][stack] += int(count)
        return cls(stacks["web"], stacks["background"])

    def table(self) -> str:
        steps: Counter[str] = Counter()
        waiting: Counter[str] = Counter()
        for stack, n in self.web.items():
            if IN_REQUEST in stack:
                step = step_of(stack)
                steps[step] += n
                waiting[step] += n if any(frame in stack for frame in POSTGRES) else 0
        total = steps.total()
        lines = [
            f"web workers: {total} samples inside a request",
            f"{'step of a recording':<48} {'share':>6} {'of it in psycopg':>16}",
        ]
        for label in [label for label, _ in STEPS] + [OTHER]:
            if steps[label]:
                lines.append(
                    f"{label:<48} {steps[label] / total:>6.0%} "
                    f"{waiting[label] / steps[label]:>16.0%}"
                )
        lines.append(f"{'all':<48} {1:>6.0%} {waiting.total() / total:>16.0%}")
        follower = {s: n for s, n in self.background.items() if FOLLOWER in s}
        busy = {s: n for s, n in follower.items() if not waits_for_work(s)}
        in_postgres = sum(n for s, n in busy.items() if any(f in s for f in POSTGRES))
        if follower:
            working = sum(busy.values())
            lines.append(
                f"\nworker process: its follower works {working / sum(follower.values()):.0%} "
                "of the time (the rest it waits for the next commit); of that work, "
                f"{in_postgres / max(1, working):.0%} in psycopg"
            )
        return "\n".join(lines)


def step_of(stack: str) -> str:
    """The innermost step on the stack."""
    for frame in reversed(stack.split(";")):
        for label, frames in STEPS:
            if any(f in frame for f in frames):
                return label
    return OTHER


def waits_for_work(stack: str) -> bool:
    return WAITING in stack


if __name__ == "__main__":
    print(Profile.read(Path(sys.argv[1])).table())
