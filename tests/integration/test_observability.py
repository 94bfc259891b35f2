"""Request ids, request logs without secrets, and Prometheus metrics."""

import logging

from tests.support.api import activity


def test_every_response_carries_a_request_id_and_keeps_a_sane_incoming_one(api):
    generated = api.client.get("/healthz")
    assert len(generated.headers["X-Request-ID"]) == 32
    kept = api.client.get("/healthz", headers={"X-Request-ID": "edge-123"})
    assert kept.headers["X-Request-ID"] == "edge-123"
    replaced = api.client.get("/healthz", headers={"X-Request-ID": "bad id; drop"})
    assert replaced.headers["X-Request-ID"] != "bad id; drop"


def test_request_logs_name_route_status_and_duration_but_never_the_token(api, world, caplog):
    caplog.set_level(logging.INFO, logger="ces.request")
    api.post(f"/api/allocations/{world['allocation']['id']}/activities", activity())
    records = [r for r in caplog.records if r.name == "ces.request"]
    assert records, "no request was logged"
    last = records[-1]
    assert (last.route, last.status, last.method) == (
        "/api/allocations/<uuid:allocation_id>/activities",
        201,
        "POST",
    )
    assert last.duration_ms >= 0 and last.request_id
    for record in records:
        assert api.token not in str(record.__dict__)


def test_metrics_count_requests_by_route_and_status_and_events_appended(api, world):
    api.post(f"/api/allocations/{world['allocation']['id']}/activities", activity())
    api.post(f"/api/allocations/{world['allocation']['id']}/activities", activity(units=0))
    text = api.client.get("/metrics").get_data(as_text=True)
    assert (
        'ces_http_requests_total{method="POST",route="/api/allocations/<uuid:allocation_id>/activities",status="201"}'
        in text
    )
    assert 'status="422"' in text
    assert "ces_http_request_duration_seconds_bucket" in text
    assert "ces_events_appended_total" in text


def test_metrics_show_each_projections_lag_behind_the_log(api, world):
    api.post(f"/api/allocations/{world['allocation']['id']}/activities", activity())
    api.get("/api/allocations")  # a projection-backed read: the views catch up first
    text = api.client.get("/metrics").get_data(as_text=True)
    lags = [line for line in text.splitlines() if line.startswith("ces_projection_lag_events{")]
    assert lags, text[-2000:]
    assert 'view="balances"' in "".join(lags)
    assert all(float(line.rsplit(" ", 1)[1]) >= 0 for line in lags)
