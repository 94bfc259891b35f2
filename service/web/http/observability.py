"""Request ids, one JSON log line per request, and Prometheus metrics.

Metrics work under several gunicorn workers through prometheus_client's multiprocess
mode (PROMETHEUS_MULTIPROC_DIR, set up by service/gunicorn_conf.py): each worker writes
its own files and /metrics sums them. Logs never carry headers or bodies, so a token
or a secret cannot end up in them."""

from __future__ import annotations

import logging
import os
import re
import time
import uuid

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from service.infra.store_errors import DATABASE_UNAVAILABLE

REQUEST_ID_HEADER = "X-Request-ID"
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

REQUESTS = Counter(
    "ces_http_requests_total", "HTTP requests answered", ["route", "method", "status"]
)
LATENCY = Histogram(
    "ces_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

request_log = logging.getLogger("ces.request")


def install_request_observability(app: Flask) -> None:
    @app.before_request
    def start_timer() -> None:
        g.started = time.perf_counter()
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex

    @app.after_request
    def observe(response: Response) -> Response:
        duration = time.perf_counter() - g.get("started", time.perf_counter())
        route = request.url_rule.rule if request.url_rule else "unmatched"
        REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        LATENCY.labels(route, request.method).observe(duration)
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        request_log.info(
            "request",
            extra={
                "request_id": g.get("request_id"),
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(duration * 1000, 2),
            },
        )
        return response


def install_metrics_route(app: Flask) -> None:
    """GET /metrics: the counters of every worker, plus the collectors registered in
    app.extensions["metrics_collectors"], which read live figures (e.g. projection
    lag) from the database at scrape time so every worker reports the same truth."""
    app.extensions.setdefault("metrics_collectors", [])

    @app.get("/metrics")
    def metrics() -> Response:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        else:
            registry = REGISTRY
        body = generate_latest(registry)
        for collector in app.extensions["metrics_collectors"]:
            live = CollectorRegistry()
            live.register(collector)
            try:
                body += generate_latest(live)
            except DATABASE_UNAVAILABLE:
                logging.getLogger(__name__).warning("live metrics unavailable", exc_info=True)
        return Response(body, mimetype=CONTENT_TYPE_LATEST)
