"""Real processes for the end-to-end tests: gunicorn with several workers, CLI commands,
throwaway PostgreSQL clusters, and an HTTP client that speaks the API."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import requests

from service.application import Clock

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
# The same configuration the Dockerfile's CMD and `make run` use.
GUNICORN_ARGS = ("--config", "python:service.infra.gunicorn_conf")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""  # gone meanwhile


def days_ago(n: int) -> str:
    return (Clock().today() - timedelta(days=n)).isoformat()


def wait_until(check, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except AssertionError:
            raise
        except Exception as error:  # noqa: BLE001 - retried until the deadline
            last_error = error
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last error: {last_error})")


@dataclass
class Service:
    """A gunicorn serving the app (or another WSGI app) with several workers."""

    env: dict[str, str]
    workers: int = 3
    app: str = "wsgi:app"
    # Seconds to wait for its first health check; a benchmark on a busy machine waits longer.
    boot_seconds: float = 30
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    log_path: Path = field(
        default_factory=lambda: Path(tempfile.mkstemp(prefix="ces-gunicorn-", suffix=".log")[1])
    )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Service:
        env = {**os.environ, **self.env, "GUNICORN_WORKERS": str(self.workers)}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), *GUNICORN_ARGS, "--bind", f"127.0.0.1:{self.port}", self.app],
            cwd=ROOT,
            env=env,
            stdout=self.log_path.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(
            self._healthy, self.boot_seconds, f"gunicorn on {self.url} (log: {self.log_path})"
        )
        if self.app == "wsgi:app" and self.env.get("PROJECTIONS_IN_PROCESS") != "false":
            # Until the worker process the master starts has beaten, a read that finds
            # the views behind answers 503 at once (service/web/http/reads.py).
            wait_until(
                lambda: self.readyz()["worker"]["status"] == "up",
                60,
                f"the worker process to beat (log: {self.log_path})",
            )
        return self

    def readyz(self) -> dict[str, Any]:
        return requests.get(f"{self.url}/readyz", timeout=10).json()

    def _healthy(self) -> bool:
        if self.process and self.process.poll() is not None:
            raise AssertionError(f"gunicorn exited: {self.log_path.read_text()[-3000:]}")
        return requests.get(f"{self.url}/healthz", timeout=1).status_code == 200

    def worker_pids(self) -> list[int]:
        """The web workers (not the `worker run` process the master starts beside them
        with PROJECTIONS_IN_PROCESS=true, and restarts when it dies)."""
        return [pid for pid in self._children() if pid not in self.background_pids()]

    def background_pids(self) -> list[int]:
        return [pid for pid in self._children() if b"worker\0run" in _cmdline(pid)]

    def _children(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout
        return [int(p) for p in out.split()]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def flask(self, *args: str) -> str:
        """Run `flask --app wsgi ...` against the same database; return its stdout."""
        result = subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *args],
            cwd=ROOT,
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def token(self, role: str, *extra: str) -> str:
        """A token's secret; it names "Test <role>" unless --name or --member is given."""
        if "--name" not in extra and "--member" not in extra:
            extra = (*extra, "--name", f"Test {role.title()}")
        return self.flask("tokens", "create", role, *extra).strip().splitlines()[-1]


class Client:
    """One API user over real HTTP."""

    def __init__(self, url: str, token: str):
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def post(
        self, path: str, body: Any, key: str | None = None, timeout: float = 30
    ) -> requests.Response:
        headers = {"Idempotency-Key": key} if key else {}
        return self.session.post(f"{self.url}{path}", json=body, headers=headers, timeout=timeout)

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(f"{self.url}{path}", params=params, timeout=30)

    def created(self, path: str, body: Any) -> dict[str, Any]:
        response = self.post(path, body)
        assert response.status_code == 201, response.text
        return response.json()


def build_allocations(admin: Client, count: int, members: list[str]) -> list[str]:
    """Members, one engagement, and `count` projects with one allocation each."""
    for handle in members:
        admin.created(
            "/api/team-members",
            {
                "handle": handle,
                "name": handle,
                "fte": "1",
                "line_manager": "lee",
                "effective_date": days_ago(400),
            },
        )
    engagement = admin.created(
        "/api/engagements",
        {
            "name": "Load",
            "community": "Load test",
            "description": "e2e",
            "start_date": days_ago(100),
            "end_date": days_ago(-100),
        },
    )
    allocations = []
    for i in range(count):
        project = admin.created(
            f"/api/engagements/{engagement['id']}/projects", {"name": f"P{i}", "outcome": "o"}
        )
        allocation = admin.created(
            f"/api/projects/{project['id']}/allocations",
            {
                "start_date": days_ago(60),
                "end_date": days_ago(-30),
                "units": 100,
                "description": f"A{i}",
                "provider": members[i % len(members)],
            },
        )
        allocations.append(allocation["id"])
    return allocations


def new_database() -> str:
    name = f"ces_e2e_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(
        host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(name: str) -> None:
    with psycopg.connect(
        host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class ThrowawayCluster:
    """A PostgreSQL cluster of the test's own (initdb + pg_ctl on a free port), so the
    test can stop and start the database under a running service. `settings` are
    server settings beyond the defaults, e.g. ("shared_preload_libraries=pg_stat_statements",)."""

    def __init__(self, settings: tuple[str, ...] = ()) -> None:
        self.settings = settings
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="ces-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"

    def _as_postgres(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    def create(self) -> ThrowawayCluster:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._as_postgres(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        )
        self.start()
        return self

    def start(self) -> None:
        self._as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "start",
            "-o",
            " ".join(
                [
                    f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off",
                    *(f"-c {setting}" for setting in self.settings),
                ]
            ),
        )

    def stop(self) -> None:
        self._as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"
        )

    def destroy(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
