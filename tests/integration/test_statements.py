"""Statements (docs/explanation/statements.md): issued once, never changed, signed; later work for a
stated month shows as an adjustment in the next statement; a partner can check one
offline with scripts/verify_statement.py."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from projections.reports.statement import canonical_json
from tests.support.api import activity
from tests.support.dates import TODAY
from tests.support.pdf_polling import fetched_pdf

SCRIPT = Path(__file__).parents[2] / "scripts" / "verify_statement.py"
THIS_MONTH = TODAY.strftime("%Y-%m")
LAST_MONTH_DAY = TODAY.replace(day=1) - timedelta(days=1)
LAST_MONTH = LAST_MONTH_DAY.strftime("%Y-%m")


def issue(api, engagement_id: str, month: str, status: int = 201):
    response = api.post(f"/api/engagements/{engagement_id}/statements", {"month": month})
    assert response.status_code == status, response.get_json()
    return response.get_json()


def record_on(api, world, day, units: int = 3) -> dict:
    response = api.post(
        f"/api/allocations/{world['allocation']['id']}/activities",
        activity(units=units, date_from=day.isoformat(), date_to=day.isoformat()),
    )
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def stated(api, world):
    """Work in last month, and last month's statement."""
    record_on(api, world, LAST_MONTH_DAY, units=5)
    return issue(api, world["engagement"]["id"], LAST_MONTH)


def test_a_statement_holds_the_months_figures_a_checkpoint_and_a_signature(api, world, stated):
    assert stated["month"] == LAST_MONTH
    assert stated["figures"]["totals"]["units_used_month"] == 5
    assert stated["adjustments"] == []
    checkpoint = stated["checkpoint"]
    # The log as it stood when the statement was put together, before its own events.
    assert 0 < checkpoint["size"] < stated["position"] and len(checkpoint["root"]) == 64
    key = api.get("/api/audit/public-key").json
    assert stated["key_id"] == key["key_id"]
    document = {k: v for k, v in stated.items() if k != "position"}
    load_pem_public_key(key["public_key_pem"].encode()).verify(
        base64.b64decode(stated["signature"]), canonical_json(document)
    )


def test_a_statement_reads_the_same_bytes_after_later_writes(api, world, stated):
    path = f"/api/statements/{stated['id']}"
    before = api.client.get(path, headers=api.headers()).get_data()
    record_on(api, world, LAST_MONTH_DAY, units=8)
    api.post(f"/api/allocations/{world['allocation']['id']}/activities", activity())
    after = api.client.get(path, headers=api.headers()).get_data()
    assert after == before
    assert json.loads(after)["figures"]["totals"]["units_used_month"] == 5


def test_later_work_for_a_stated_month_is_an_adjustment_in_the_next_statement(api, world, stated):
    late = record_on(api, world, LAST_MONTH_DAY, units=8)
    record_on(api, world, TODAY, units=2)
    following = issue(api, world["engagement"]["id"], THIS_MONTH)
    assert following["adjustments"] == [
        {
            "month": LAST_MONTH,
            "activity_id": late["id"],
            "units_told": 0,
            "units_now": 8,
            "change": 8,
            "after_close": False,
        }
    ]
    assert following["figures"]["totals"]["units_used_month"] == 2
    listed = api.get(f"/api/engagements/{world['engagement']['id']}/statements").json["items"]
    assert [s["month"] for s in listed] == [LAST_MONTH, THIS_MONTH]


def test_a_month_is_stated_once_and_not_before_it_begins(api, world, stated):
    before = api.log_size()
    issue(api, world["engagement"]["id"], LAST_MONTH, status=409)
    next_month = (TODAY.replace(day=28) + timedelta(days=5)).strftime("%Y-%m")
    issue(api, world["engagement"]["id"], next_month, status=422)
    issue(api, str(uuid.uuid4()), THIS_MONTH, status=404)
    assert api.log_size() == before


def test_a_retried_issue_answers_the_first_statement(api, world):
    record_on(api, world, TODAY)
    path = f"/api/engagements/{world['engagement']['id']}/statements"
    first = api.post(path, {"month": THIS_MONTH}, key="statement-1")
    again = api.post(path, {"month": THIS_MONTH}, key="statement-1")
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (
        again.json["id"] == first.json["id"] and again.json["signature"] == first.json["signature"]
    )


def test_csv_and_pdf_carry_the_figures_and_the_checkpoint(api, world, stated):
    path = f"/api/statements/{stated['id']}"
    csv = api.client.get(path, headers={**api.headers(), "Accept": "text/csv"})
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert stated["checkpoint"]["root"] in csv.get_data(as_text=True)
    pdf = fetched_pdf(
        lambda at: api.client.get(at, headers={**api.headers(), "Accept": "application/pdf"}),
        path,
    )
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.get_data().startswith(b"%PDF")
    text = subprocess.run(  # pdftotext: installed by `make test` (scripts/ensure-test-tools)
        ["pdftotext", "-", "-"], input=pdf.get_data(), capture_output=True, check=True
    ).stdout.decode()
    printed = "".join(text.split())
    for value in (
        stated["checkpoint"]["root"],
        stated["key_id"],
        str(stated["checkpoint"]["size"]),
    ):
        assert value in printed, f"{value} is not printed on the statement"


def test_a_limited_viewer_reads_only_its_engagements_statements(api, world, stated, make_token):
    own = api.as_(make_token("viewer", engagement_id=uuid.UUID(world["engagement"]["id"])))
    assert own.get(f"/api/statements/{stated['id']}").status_code == 200
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
    stranger = api.as_(make_token("viewer", engagement_id=uuid.UUID(other["id"])))
    assert stranger.get(f"/api/statements/{stated['id']}").status_code == 404


def run_script(tmp_path: Path, public_key: str, statement: dict) -> subprocess.CompletedProcess:
    key_file, statement_file = tmp_path / "key.pem", tmp_path / "statement.json"
    key_file.write_text(public_key)
    statement_file.write_text(json.dumps(statement))
    return subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--public-key",
            str(key_file),
            "--statement",
            str(statement_file),
        ],
        capture_output=True,
        text=True,
    )


def test_the_partners_script_accepts_the_statement_and_refuses_an_altered_one(
    api, world, stated, tmp_path
):
    public_key = api.get("/api/audit/public-key").json["public_key_pem"]
    received = json.loads(
        api.client.get(f"/api/statements/{stated['id']}", headers=api.headers()).get_data()
    )
    checked = run_script(tmp_path, public_key, received)
    assert checked.returncode == 0, checked.stderr
    assert "unaltered" in checked.stdout

    altered = json.loads(json.dumps(received))
    altered["figures"]["totals"]["units_used_month"] += 10
    refused = run_script(tmp_path, public_key, altered)
    assert refused.returncode == 1 and "altered" in refused.stderr


@pytest.mark.boundary
@pytest.mark.parametrize("month", ["0000-00", "2026-13", "1969-12", "２０２６-01", "26-01"])
def test_a_bad_month_is_refused_and_nothing_is_issued(api, world, month):
    before = api.log_size()
    response = api.post(
        f"/api/engagements/{world['engagement']['id']}/statements", {"month": month}
    )
    assert response.status_code == 422, response.get_json()
    assert "month" in response.get_json()["errors"]
    assert api.log_size() == before


def test_work_changed_after_its_month_closed_is_flagged_in_the_adjustments(api, world, stated):
    closed = api.post(f"/api/periods/{LAST_MONTH}/closure", {"reason": "books closed"})
    assert closed.status_code == 201, closed.json
    late = record_on(api, world, LAST_MONTH_DAY, units=1)
    following = issue(api, world["engagement"]["id"], THIS_MONTH)
    assert [(a["activity_id"], a["after_close"]) for a in following["adjustments"]] == [
        (late["id"], True)
    ]
    listed = api.get(f"/api/allocations/{world['allocation']['id']}/activities").json["items"]
    assert {a["id"]: a["after_close"] for a in listed}[late["id"]] is True
