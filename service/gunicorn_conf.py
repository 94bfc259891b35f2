"""Gunicorn settings; each can be overridden with GUNICORN_* environment variables."""

import multiprocessing
import os

workers = int(os.environ.get("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 9)))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 20))
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
# No preload: each worker makes its own database pool after the fork.
preload_app = False
