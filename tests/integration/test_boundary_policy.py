"""The API's boundary policy, held everywhere (issue 18, point 6), on both stores (the
tests marked `boundary` on SQLite alone: tests/conftest.py says why):

- the pages answer an out-of-range or malformed query value with a 4xx page (or re-render
  their form), as the API answers 4xx, never 500 (the `app` fixture fails a test on any);
- integers are written plainly: `+5`, `007`, ` 5`, `5_000` and other scripts' digits are
  refused in every integer query parameter of the API, in the pages' query values and
  in their forms, where Python's int() would have read them as numbers;
- a method a path does not take answers 405, whatever query string it carries;
- `as_of` on an allocation a limited viewer may not see answers as for one that never
  existed."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from projections.engine.freshness import WorkerDown
from tests.support.api import activity
from tests.support.csv_imports import import_activities, row
from tests.support.dates import TODAY, days_ago
from tests.support.pages import FORM_KEY_INPUT, PageClient, signed_in_page

INT64_MAX = 2**63 - 1
NOT_PLAIN = ["+5", "007", "-0", " 5", "5 ", "5_000", "５", "٣", "1e3", "5.0", "0x10", "٥٠"]
"""Whole numbers as Python's int() or float() would read them, but not plainly written."""
OUT_OF_RANGE = ["-1", str(INT64_MAX + 1), "9" * 40, "9" * 5000]
MALFORMED = ["abc", "", "%00", "\x00", "1\x002"]
MONTH = TODAY.strftime("%Y-%m")


def integer_query_parameters(app: Flask) -> list[tuple[str, str, str]]:
    """(method, path, name) of every integer query parameter the OpenAPI document lists."""
    with app.app_context():
        document = app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue  # the path's own `parameters`
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and parameter["schema"].get("type") == "integer":
                    found.append((method.upper(), path, parameter["name"]))
    return found


def concrete(path: str, world: dict[str, Any]) -> str:
    ids = {
        "engagement_id": world["engagement"]["id"],
        "project_id": world["project"]["id"],
        "allocation_id": world["allocation"]["id"],
        "stream_id": world["allocation"]["id"],
        "activity_id": str(uuid.uuid4()),
        "handle": "ana",
        "statement_id": str(uuid.uuid4()),
    }
    for name, value in ids.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, path
    return path


# Integer query parameters of the API


@pytest.mark.boundary
def test_every_integer_query_parameter_refuses_numbers_not_plainly_written(api, app, world):
    parameters = integer_query_parameters(app)
    assert len(parameters) >= 20, parameters  # min_position, limit, offset, after, ...
    before = api.log_size()
    accepted = []
    for method, path, name in parameters:
        for value in NOT_PLAIN:
            response = api.client.open(
                concrete(path, world),
                method=method,
                query_string={name: value},
                headers=api.headers(),
            )
            body = response.get_json(silent=True)
            if response.status_code != 422 or name not in body.get("errors", {}):
                accepted.append((method, path, name, value, response.status_code))
    assert not accepted, accepted
    assert api.log_size() == before


def test_a_plainly_written_number_is_read_as_before(api, world):
    for query in ({"limit": "5", "offset": "0"}, {"limit": "500", "offset": "1"}):
        response = api.get("/api/allocations", **query)
        assert response.status_code == 200, response.json
        assert (response.json["limit"], response.json["offset"]) == (
            int(query["limit"]),
            int(query["offset"]),
        )
    assert api.get("/api/allocations", limit="0").status_code == 422  # its range, as before


@pytest.mark.boundary
@pytest.mark.parametrize("literal", ["+5", "007", "５", '"5"', "5.0", "true"])
def test_units_in_a_json_body_are_a_plain_json_integer(api, world, literal):
    before = api.log_size()
    raw = json.dumps(activity()).replace('"units": 3', f'"units": {literal}')
    response = api.post_raw(f"/api/allocations/{world['allocation']['id']}/activities", raw)
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert api.log_size() == before


@pytest.mark.parametrize("fte", ["０.５", " 0.5", ".5", "5e-1", "+0.5", "NaN", "0." + "5" * 50])
def test_an_fte_is_written_plainly(api, world, fte):
    before = api.log_size()
    new = {"handle": "cy", "name": "Cy", "line_manager": "lee", "effective_date": days_ago(9)}
    for response in (
        api.post("/api/team-members", {**new, "fte": fte}),
        api.patch("/api/team-members/ana", {"fte": fte, "effective_date": days_ago(1)}),
    ):
        assert response.status_code == 422, response.get_data(as_text=True)
        assert "fte" in response.json["errors"], response.json
    assert api.log_size() == before
    assert api.post("/api/team-members", {**new, "fte": "0.50"}).status_code == 201


def test_dates_and_moments_are_written_as_the_document_says(api, world):
    """YYYY-MM-DD and RFC 3339, in ASCII digits: Python's parsers also read the basic
    forms (20260105, 20260105T000000Z), a space for the T and missing seconds."""
    before = api.log_size()
    day = days_ago(1)
    basic = day.replace("-", "")
    path = f"/api/allocations/{world['allocation']['id']}"
    for body, field in (
        (activity(date_from=basic, date_to=basic), "date_from"),
        (activity(date_to=f"{day[:5]}{int(day[5:7])}-{int(day[8:])}"), "date_to"),
    ):
        response = api.post(f"{path}/activities", body)
        assert response.status_code == 422 and field in response.json["errors"], response.json
    for moment in (f"{basic}T000000Z", f"{day} 00:00:00Z", f"{day}T00:00Z"):
        response = api.get(path, as_of=moment)
        assert response.status_code == 422 and "as_of" in response.json["errors"], moment
        response = api.get("/api/audit/events", since=moment)
        assert response.status_code == 422 and "since" in response.json["errors"], moment
    assert api.log_size() == before
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    assert api.get(path, as_of=now).status_code == 200
    assert api.get("/api/audit/events", since=f"{day}T00:00:00.5+02:00").status_code == 200


@pytest.mark.parametrize("units", ["007", "+5", "５", "5_0"])
def test_an_imported_row_takes_units_written_plainly(api, world, units):
    before = api.log_size()
    rows = [row(world["allocation"]["id"], "plain-1", units=units)]
    response = import_activities(api, rows)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "units" in response.get_data(as_text=True)
    assert api.log_size() == before


# The pages' query values


@pytest.fixture
def pages(app: Flask, world, make_token) -> dict[str, PageClient]:
    return {
        role: signed_in_page(app, make_token(role, **extra))
        for role, extra in (
            ("member", {"member": "ana"}),
            ("auditor", {}),
            ("bd", {}),
            ("manager", {}),
        )
    }


def page_queries(world: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(role, page, integer query parameter) of every page that reads one."""
    return [
        ("member", "/my", "after"),
        ("member", "/engagements", "offset"),
        ("auditor", "/audit", "before"),
        ("auditor", "/audit", "after"),
        ("auditor", f"/audit/streams/{world['allocation']['id']}", "page"),
    ]


@pytest.mark.boundary
def test_the_pages_answer_bad_integer_query_values_with_a_4xx_page(api, world, pages):
    before = api.log_size()
    answered = {}
    for role, path, name in page_queries(world):
        for value in [*NOT_PLAIN, *OUT_OF_RANGE, *MALFORMED[:1]]:
            if path == "/audit" and value != value.strip():
                continue  # the log page's filter form trims what people type in it
            response = pages[role].get(path, **{name: value})
            answered[(path, name, value)] = response.status_code
            assert response.mimetype == "text/html", (path, name, value)
    wrong = {case: status for case, status in answered.items() if not 400 <= status < 500}
    assert not wrong, wrong
    assert api.log_size() == before


def test_a_page_asked_to_wait_for_a_position_not_yet_written_says_so(api, pages):
    response = pages["member"].get("/my", after=str(api.log_size() + 1_000_000))
    assert response.status_code == 422
    assert "Not in the log yet" in response.get_data(as_text=True)


@pytest.mark.boundary
def test_a_page_whose_views_no_process_advances_answers_503(pages, monkeypatch):
    """As the API does (service/web/http/reads.py): the worker is down, waiting would not help."""

    def stalled(*args: Any, **kwargs: Any):
        raise WorkerDown(7, {"balances": 5}, None)

    monkeypatch.setattr("service.web.pages.worklist.fresh", stalled)
    response = pages["member"].get("/my")
    assert response.status_code == 503
    assert response.headers["Retry-After"]


def test_the_pages_read_good_integer_query_values(api, world, pages):
    assert pages["member"].get("/my", after=str(api.log_size())).status_code == 200
    assert pages["member"].get("/engagements", offset="0").status_code == 200
    assert pages["member"].get("/engagements", offset=str(INT64_MAX)).status_code == 200
    assert pages["auditor"].get("/audit", before=str(api.log_size())).status_code == 200
    stream = f"/audit/streams/{world['allocation']['id']}"
    assert pages["auditor"].get(stream, page="1").status_code == 200
    assert pages["auditor"].get(stream, page="99").status_code == 200  # the last page


@pytest.mark.boundary
def test_the_pages_answer_bad_month_and_moment_values_with_a_4xx(world, pages):
    engagement = world["engagement"]["id"]
    for role, path, query in (
        ("manager", "/review", {"month": "２０２６-01"}),
        ("manager", "/review", {"month": "9999-12"}),
        ("bd", "/plan", {"from": "0000-01"}),
        ("bd", "/plan", {"to": "2026-1"}),
        ("auditor", "/audit/as-of", {"allocation_id": "x", "as_of": "9999-01-01T00:00"}),
        ("auditor", "/audit", {"date_from": "0001-01-01"}),
        ("member", f"/engagements/{engagement}/reports/9999-12", {}),
        ("member", f"/engagements/{engagement}/reports/{MONTH}x", {}),
    ):
        response = pages[role].get(path, **query)
        assert 400 <= response.status_code < 500, (path, query, response.status_code)


@pytest.mark.boundary
@pytest.mark.parametrize("units", ["007", "+5", "５", " 3", "3_0", "-0", "1e1"])
def test_the_record_form_refuses_units_not_plainly_written(api, world, pages, units):
    member = pages["member"]
    form_key = FORM_KEY_INPUT.search(member.text("/my")).group(1)
    before = api.log_size()
    response = member.post(
        "/my",
        {
            "allocation_id": world["allocation"]["id"],
            "units": units,
            "description": "work",
            "date_from": days_ago(1),
            "date_to": "",
            "form_key": form_key,
        },
    )
    assert response.status_code == 422, response.status_code
    # In the form's words (service/web/pages/form_messages.py), not the schema's.
    assert "must be a whole number" in response.get_data(as_text=True)
    assert api.log_size() == before


# Methods a path does not take


@pytest.mark.boundary
@pytest.mark.parametrize("method", ["TRACE", "PUT", "DELETE", "CONNECT"])
@pytest.mark.parametrize(
    "path, query",
    [
        ("/api/engagements", {"limit": "5"}),
        ("/api/allocations", {"offset": "0", "stauts": "x"}),
        ("/api/reports/monthly", {"month": MONTH}),
    ],
)
def test_a_method_the_path_does_not_take_is_405_whatever_the_query(api, method, path, query):
    response = api.client.open(path, method=method, query_string=query, headers=api.headers())
    assert response.status_code == 405, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert "GET" in response.headers["Allow"]


# as_of and a limited viewer


def test_as_of_on_another_engagements_allocation_answers_as_for_none(api, world, make_token):
    other = api.post(
        "/api/engagements",
        {
            "name": "Other",
            "community": "c",
            "description": "d",
            "start_date": days_ago(30),
            "end_date": days_ago(-30),
        },
    ).json
    viewer = api.as_(make_token("viewer", engagement_id=uuid.UUID(other["id"])))
    hidden, unknown = world["allocation"]["id"], str(uuid.uuid4())
    granted = datetime.now(UTC).isoformat()  # the hidden one existed then
    for as_of in (granted, "2000-01-01T00:00:00+00:00"):
        answers = [viewer.get(f"/api/allocations/{i}", as_of=as_of) for i in (hidden, unknown)]
        assert [answer.status_code for answer in answers] == [404, 404], as_of
        bodies = [
            answer.get_data(as_text=True).replace(i, "ID")
            for answer, i in zip(answers, (hidden, unknown), strict=True)
        ]
        assert bodies[0] == bodies[1], bodies
    shown = api.get(f"/api/allocations/{hidden}", as_of=granted)
    assert shown.status_code == 200 and shown.json["id"] == hidden, shown.json
