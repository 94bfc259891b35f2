"""Gunicorn settings for the web processes. Each can be overridden with an environment
variable (GUNICORN_WORKERS, GUNICORN_TIMEOUT, ...); `--bind` comes from the command line
(the Makefile and the Dockerfile pass 127.0.0.1:$PORT / 0.0.0.0:$PORT)."""

import json
import multiprocessing
import os
import shutil
import sys
import tempfile

from gunicorn import util

from service.infra.config import ConfigurationError, Settings
from service.infra.supervisor import ProcessSupervisor

workers = int(os.environ.get("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 9)))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 20))
keepalive = 5
# Keeps the worker process running, with PROJECTIONS_IN_PROCESS=true (when_ready).
background: ProcessSupervisor | None = None
# No preload: each worker makes its own database pool after the fork.
preload_app = False
# The app logs one JSON line per request with its request id; gunicorn's own access
# log would only repeat it without the id.
accesslog = None
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level"},
        }
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"handlers": ["stderr"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        # The app logs each request itself, with its request id.
        "gunicorn.access": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
    },
}


def on_starting(server):
    """Check the configuration once, before any worker starts, and stop with a
    message naming each wrong setting; set up the shared metrics folder."""
    try:
        Settings.from_environment()
    except ConfigurationError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        sys.exit(2)
    metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not metrics_dir:
        metrics_dir = tempfile.mkdtemp(prefix="ces-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.makedirs(metrics_dir, exist_ok=True)


def when_ready(server):
    """With PROJECTIONS_IN_PROCESS=true (`make run`: one command serves everything),
    the background work (read models, checkpoints, HubSpot) runs in ONE worker process
    the master starts beside its web workers, `flask --app <this app> worker run`,
    never in each web worker (see post_worker_init), and starts a new one when it dies
    (service/infra/supervisor.py: within seconds, backing off if it keeps dying). With
    false, a `worker run` process started on its own does it (compose restarts it), and
    the master starts nothing."""
    global background
    if Settings.from_environment().projections_in_process:
        command = [sys.executable, "-m", "flask", "--app", server.app.app_uri, "worker", "run"]
        background = ProcessSupervisor(command, server.log)
        background.start()


def post_worker_init(worker):
    """A web worker never runs the background work: the master's worker process does
    (PROJECTIONS_IN_PROCESS=true) or a separate one (false)."""
    runtime = getattr(worker.wsgi, "extensions", {}).get("runtime")
    if runtime is not None:
        runtime.background_in_web = False


def on_exit(server):
    """Stop the background worker process with the server, waiting for the batch or
    deal in hand (it stops within its own 15 s bound), and start no other."""
    if background is not None:
        background.stop(grace=graceful_timeout)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def write_problem(sock, status_int, reason, mesg):
    """Gunicorn's own refusals (a request line over 4 KiB: 414; headers too large:
    431; broken framing: 400) as RFC 9457 problems like every other refusal of the
    service, instead of gunicorn's HTML page. Gunicorn offers no hook for the body of
    these answers, so its writer is replaced here, where gunicorn is configured."""
    body = json.dumps(
        {"type": "about:blank", "title": reason, "status": status_int, "detail": str(mesg)}
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/problem+json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


util.write_error = write_problem
