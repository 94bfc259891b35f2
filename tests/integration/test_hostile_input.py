"""Hostile input (issue #9): every class of payload that once stopped the read side
or answered 5xx is refused with a 4xx problem naming what is wrong, leaves the log
unchanged, and the reads answer 200 afterwards. On both stores, but for the refusals
marked `boundary`, on SQLite alone (tests/conftest.py says why).

The `app` fixture fails any test whose requests were answered 500."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response

from tests.support.api import activity
from tests.support.dates import TODAY
from tests.support.hubspot_webhooks import SECRET, closed_won, signed
from tests.support.routes import ANY, ROUTES

MONTH = TODAY.strftime("%Y-%m")
INT64_MAX = 2**63 - 1


@pytest.fixture
def app_env() -> dict[str, str]:
    return {"HUBSPOT_CLIENT_SECRET": SECRET}


@pytest.fixture
def unchanged(api, world):
    """Asserts, after the test, that the log did not grow and the reads still answer."""
    before = api.log_size()
    yield
    assert api.log_size() == before, "a refused request changed the log"
    for path, query in (
        ("/api/allocations", {}),
        ("/api/engagements", {}),
        (f"/api/allocations/{world['allocation']['id']}/activities", {}),
        ("/api/team-members", {}),
        ("/api/reports/monthly", {"month": MONTH}),
        ("/api/reports/capacity", {"month": MONTH}),
        ("/api/reports/late-activities", {"month": MONTH}),
    ):
        response = api.get(path, **query)
        assert response.status_code == 200, (path, response.get_json())


def refused(response, status: int, *named: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    text = json.dumps(body)
    for name in named:
        assert name in text, f"{name!r} is not named in {text}"
    return body


# 1. Text a store cannot hold, in every kind of text field

BAD_TEXT = {
    "NUL": "a\u0000b",
    "bell": "ring\u0007",
    "escape sequence": "\u001b[31mred",
    "lone high surrogate": "x\ud800y",
    "lone low surrogate": "\udfff",
    "DEL": "rub\u007fout",
    "C1 next line": "a\u0085b",
    "C1 escape sequence": "\u009b31mred",
}


def text_writes(world: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """One write per kind of text field: (method, path, body) with TEXT in a field."""
    engagement = world["engagement"]["id"]
    allocation = world["allocation"]["id"]
    return {
        "activity description": (
            "POST",
            f"/api/allocations/{allocation}/activities",
            activity(description="TEXT"),
        ),
        "activity team_member": (
            "POST",
            f"/api/allocations/{allocation}/activities",
            activity(team_member="TEXT"),
        ),
        "engagement name": (
            "POST",
            "/api/engagements",
            {
                "name": "TEXT",
                "community": "c",
                "description": "d",
                "start_date": "2026-01-01",
                "end_date": "2026-12-31",
            },
        ),
        "engagement contacts": ("PATCH", f"/api/engagements/{engagement}", {"contacts": ["TEXT"]}),
        "project outcome": (
            "POST",
            f"/api/engagements/{engagement}/projects",
            {"name": "p", "outcome": "TEXT"},
        ),
        "cancellation reason": (
            "POST",
            f"/api/allocations/{allocation}/cancellation",
            {"reason": "TEXT"},
        ),
        "team member name": (
            "POST",
            "/api/team-members",
            {
                "handle": "zed",
                "name": "TEXT",
                "fte": "1",
                "line_manager": "lee",
                "effective_date": "2026-01-01",
            },
        ),
    }


FIELDS = [
    "activity description",
    "activity team_member",
    "engagement name",
    "engagement contacts",
    "project outcome",
    "cancellation reason",
    "team member name",
]


@pytest.mark.boundary
@pytest.mark.parametrize("kind", BAD_TEXT)
@pytest.mark.parametrize("field", FIELDS)
def test_text_with_control_characters_or_lone_surrogates_is_refused(
    api, world, unchanged, kind, field
):
    method, path, body = text_writes(world)[field]
    raw = json.dumps(body).replace('"TEXT"', json.dumps(BAD_TEXT[kind]))
    response = api.client.open(
        path, method=method, data=raw, content_type="application/json", headers=api.headers()
    )
    refused(response, 422, field.split()[-1], "U+")


def test_tab_newline_and_carriage_return_are_ordinary_text(api, world):
    response = api.post(
        f"/api/allocations/{world['allocation']['id']}/activities",
        activity(description="line one\r\nline two\tand a tab"),
    )
    assert response.status_code == 201, response.json


@pytest.mark.boundary
def test_text_longer_than_its_field_allows_is_refused(api, world, unchanged):
    response = api.post(
        f"/api/allocations/{world['allocation']['id']}/activities",
        activity(description="x" * 5001),
    )
    refused(response, 422, "description")


# 2 and 3. Shapes the parser or the stores cannot take


def post_raw(api, path: str, raw: bytes):
    return api.client.post(path, data=raw, content_type="application/json", headers=api.headers())


@pytest.mark.boundary
def test_json_nested_a_thousand_deep_is_refused(api, world, unchanged):
    deep = b'{"team_member": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    refused(post_raw(api, f"/api/allocations/{world['allocation']['id']}/activities", deep), 400)


@pytest.mark.boundary
def test_an_integer_literal_of_five_thousand_digits_is_refused(api, world, unchanged):
    raw = json.dumps(activity()).replace('"units": 3', '"units": ' + "9" * 5000).encode()
    refused(post_raw(api, f"/api/allocations/{world['allocation']['id']}/activities", raw), 400)


@pytest.mark.boundary
def test_a_key_given_twice_is_refused_not_taken_last(api, world, unchanged):
    raw = json.dumps(activity()).replace('"units": 3', '"units": 3, "units": 300').encode()
    refused(
        post_raw(api, f"/api/allocations/{world['allocation']['id']}/activities", raw), 400, "twice"
    )


@pytest.mark.boundary
@pytest.mark.parametrize("name", ["offset", "limit"])
def test_paging_past_int64_is_refused(api, unchanged, name):
    refused(api.get("/api/allocations", **{name: str(2**63)}), 422, name)
    refused(api.get("/api/engagements", **{name: str(10**30)}), 422, name)


@pytest.mark.boundary
def test_positions_past_int64_are_refused(api, unchanged):
    refused(api.get("/api/allocations", min_position=str(2**63)), 422, "min_position")
    refused(api.get("/api/audit/events", after=str(2**64)), 422, "after")


@pytest.mark.boundary
@pytest.mark.parametrize("month", ["0000-01", "9999-12", "1969-12", "2200-01"])
@pytest.mark.parametrize("report", ["monthly", "capacity", "late-activities"])
def test_months_outside_the_supported_range_are_refused(api, unchanged, report, month):
    refused(api.get(f"/api/reports/{report}", month=month), 422, "month")


@pytest.mark.parametrize("month", ["２０２４-03", "٢٠٢٤-03", f"{MONTH}\n"])
def test_months_in_other_digits_or_with_a_trailing_newline_are_refused(api, unchanged, month):
    """The documented pattern is YYYY-MM in ASCII digits; Python's `\\d` and `$` took
    more, and a closed period was stored under each spelling (found by schemathesis)."""
    for report in ("monthly", "capacity", "late-activities"):
        refused(api.get(f"/api/reports/{report}", month=month), 422, "month")
    refused(api.post(f"/api/periods/{quote(month)}/closure", {}), 422, "month")
    assert api.get("/api/periods").json["items"] == []


@pytest.mark.boundary
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1969-12-31", "2200-01-01"])
def test_dates_outside_the_supported_range_are_refused(api, world, unchanged, day):
    response = api.post(
        f"/api/allocations/{world['allocation']['id']}/activities",
        activity(date_from=day, date_to=day),
    )
    refused(response, 422, "date_from", "between")
    far = api.get(f"/api/allocations/{world['allocation']['id']}", as_of=f"{day}T00:00:00Z")
    refused(far, 422, "as_of")


# The webhook: ids past int64, nesting, the same policy


def deliver_raw(api, raw: bytes):
    return api.client.post(
        "/webhooks/hubspot", data=raw, content_type="application/json", headers=signed(raw)
    )


@pytest.mark.boundary
@pytest.mark.parametrize("field", ["portalId", "objectId", "eventId"])
def test_a_signed_webhook_with_an_id_past_int64_is_refused(api, unchanged, field):
    raw = json.dumps([closed_won(**{field: 2**63})]).encode()
    refused(deliver_raw(api, raw), 400, field)


@pytest.mark.boundary
@pytest.mark.parametrize("field", ["portalId", "eventId"])
def test_a_replayed_file_with_an_id_past_int64_is_refused(app, unchanged, tmp_path, field):
    saved = tmp_path / "delivery.json"
    saved.write_text(json.dumps([closed_won(**{field: 2**63})]))
    result = app.test_cli_runner().invoke(args=["hubspot", "replay", str(saved)])
    assert result.exit_code != 0 and field in result.output, result.output


@pytest.mark.boundary
def test_a_signed_webhook_nested_a_thousand_deep_is_refused(api, unchanged):
    refused(deliver_raw(api, b"[" * 1000 + b"]" * 1000), 400, "nested")


def test_the_largest_int64_portal_id_is_accepted_and_the_views_keep_up(api, world):
    raw = json.dumps([closed_won(portalId=INT64_MAX)]).encode()
    delivered = deliver_raw(api, raw)
    assert delivered.status_code == 204
    position = delivered.headers["X-Event-Position"]
    listed = api.get("/api/engagements", min_position=position)
    assert listed.status_code == 200
    assert INT64_MAX in [e["hubspot"]["portal_id"] for e in listed.json["items"] if e["hubspot"]]


# 7. A chunked body over the limit


def send_chunked(app, api, path: str, body: bytes) -> Response:
    """POST `body` as a server hands over a chunked request: no Content-Length, the
    input stream terminated (gunicorn sets wsgi.input_terminated)."""
    environ = EnvironBuilder(
        path=path, method="POST", data=body, content_type="application/json", headers=api.headers()
    ).get_environ()
    del environ["CONTENT_LENGTH"]
    environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    environ["wsgi.input_terminated"] = True
    return Response.from_app(app, environ)


@pytest.mark.boundary
def test_a_chunked_body_over_the_limit_answers_413(api, app, world, unchanged):
    path = f"/api/allocations/{world['allocation']['id']}/activities"
    valid = json.dumps(activity()).encode()
    refused(send_chunked(app, api, path, valid + b" " * (2 * 1024 * 1024)), 413)


def test_a_chunked_body_within_the_limit_is_read_whole(api, app, world):
    path = f"/api/allocations/{world['allocation']['id']}/activities"
    response = send_chunked(app, api, path, json.dumps(activity()).encode() + b" " * 1000)
    assert response.status_code == 201, response.get_data(as_text=True)


# 8. Unknown query parameters, on every route


@pytest.mark.boundary
@pytest.mark.parametrize("method, path", ROUTES)
def test_every_route_refuses_an_unknown_query_parameter_by_name(api, world, method, path):
    before = api.log_size()
    response = api.client.open(
        path, method=method, query_string={"stauts": "active"}, json={}, headers=api.headers()
    )
    refused(response, 400, "stauts")
    assert api.log_size() == before


@pytest.mark.boundary
def test_as_of_on_a_report_is_refused_not_ignored(api, unchanged):
    refused(api.get("/api/reports/monthly", month=MONTH, as_of="2026-01-01T00:00:00Z"), 400)


# 9. A limited viewer cannot tell real ids of other engagements from made-up ones


def test_a_limited_viewer_gets_the_same_answer_for_hidden_and_unknown_allocations(
    api, world, make_token
):
    other = api.post(
        "/api/engagements",
        {
            "name": "Other",
            "community": "c",
            "description": "d",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
        },
    ).json
    viewer = api.as_(make_token("viewer", engagement_id=uuid.UUID(other["id"])))
    hidden, unknown = world["allocation"]["id"], ANY
    for query in ({}, {"as_of": "2026-01-01T00:00:00Z"}):
        answers = [viewer.get(f"/api/allocations/{i}", **query) for i in (hidden, unknown)]
        assert [a.status_code for a in answers] == [404, 404]
        details = [
            a.json["detail"].replace(i, "ID")
            for a, i in zip(answers, (hidden, unknown), strict=True)
        ]
        assert details[0] == details[1], details
