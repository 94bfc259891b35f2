"""Hostile input over real HTTP, against gunicorn on PostgreSQL: the bodies a proxy or
a client can send that the Flask test client cannot (chunked transfer), and the NUL
byte that once stopped every read model."""

from __future__ import annotations

import json
import socket

import requests

from tests.support.servers import Client, Service, build_allocations, days_ago


def chunks(body: bytes, size: int = 64 * 1024):
    """A generator body: requests sends it with Transfer-Encoding: chunked."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def activity() -> dict:
    return {
        "team_member": "ana",
        "units": 2,
        "description": "review",
        "date_from": days_ago(1),
        "date_to": days_ago(1),
    }


def test_a_chunked_body_over_the_limit_is_refused_with_413_and_records_nothing(
    service: Service, admin: Client
):
    (allocation_id,) = build_allocations(admin, 1, ["ana"])
    path = f"{service.url}/api/allocations/{allocation_id}/activities"
    headers = {**admin.session.headers, "Content-Type": "application/json"}
    padded = json.dumps(activity()).encode() + b" " * (2 * 1024 * 1024)
    response = requests.post(path, data=chunks(padded), headers=headers, timeout=30)
    assert response.status_code == 413, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert admin.get(f"/api/allocations/{allocation_id}/activities").json()["items"] == []

    small = json.dumps(activity()).encode() + b" " * 1000
    accepted = requests.post(path, data=chunks(small, 256), headers=headers, timeout=30)
    assert accepted.status_code == 201, accepted.text


def test_a_nul_byte_is_refused_and_every_read_keeps_answering(service: Service, admin: Client):
    (allocation_id,) = build_allocations(admin, 1, ["ana"])
    member = Client(service.url, service.token("member", "--member", "ana"))
    refused = member.post(
        f"/api/allocations/{allocation_id}/activities", {**activity(), "description": "a\u0000b"}
    )
    assert refused.status_code == 422, refused.text
    assert "description" in refused.json()["errors"]
    recorded = member.post(f"/api/allocations/{allocation_id}/activities", activity())
    assert recorded.status_code == 201, recorded.text
    month = days_ago(1)[:7]
    for path, params in (
        ("/api/allocations", {}),
        ("/api/reports/monthly", {"month": month}),
        ("/api/reports/capacity", {"month": month}),
        ("/api/reports/late-activities", {"month": month}),
    ):
        response = admin.get(path, min_position=recorded.json()["position"], **params)
        assert response.status_code == 200, (path, response.text)
    ready = admin.session.get(f"{service.url}/readyz", params={"max_lag": 0}, timeout=10)
    assert ready.status_code == 200, ready.text


def raw_request(service: Service, request: bytes) -> tuple[str, dict[str, str], bytes]:
    """Send bytes as they are (requests would refuse to), read the whole answer."""
    host, port = service.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    return status, {k.lower(): v for k, v in headers.items()}, body


def test_gunicorns_own_refusals_are_problems_too(service: Service):
    cases = {
        "414": b"GET /api/allocations?q=" + b"x" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        "431": b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Big: y\r\n" * 200 + b"\r\n",
        "400": b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
    }
    for expected, request in cases.items():
        status, headers, body = raw_request(service, request)
        assert status.split(" ")[1] == expected, (expected, status, body[:200])
        assert headers["content-type"] == "application/problem+json", (expected, headers)
        assert json.loads(body)["status"] == int(expected)
