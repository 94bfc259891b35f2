"""Importing history (docs/how-to/import-history.md): over HTTP and the command line, on both
stores. A file imports with its original `recorded_at` and is never late because of the
import; a file with a wrong row writes nothing and lists every wrong row; the same file
twice imports once; a dry run writes nothing; 10,000 rows in one request on PostgreSQL."""

from __future__ import annotations

import csv
import io
import time
from datetime import timedelta
from typing import Any

import pytest
from eventsourcing.persistence import OperationalError

from service.application.imports.rows import imported_activity_id, imported_allocation_id
from tests.support.api import activity
from tests.support.csv_imports import ACTIVITY_COLUMNS, csv_text, import_activities, post_csv, row
from tests.support.dates import TODAY, days_ago


def read_when_caught_up(api, path: str, position: int) -> dict[str, Any]:
    """A read of `path` once the read models have caught up with `position`: after a
    large import they take longer than a read waits (503 with Retry-After meanwhile)."""
    deadline = time.monotonic() + 120
    while True:
        response = api.get(path, min_position=position, limit=500)
        if response.status_code != 503 or time.monotonic() > deadline:
            assert response.status_code == 200, response.json
            return response.json
        time.sleep(0.5)


def listed(api, allocation_id: str, position: int) -> dict[str, dict[str, Any]]:
    response = api.get(f"/api/allocations/{allocation_id}/activities", min_position=position)
    assert response.status_code == 200, response.json
    return {item["id"]: item for item in response.json["items"]}


def test_a_file_imports_with_its_original_recorded_at_never_late(api, world):
    allocation_id = world["allocation"]["id"]
    rows = [row(allocation_id, f"sheet-{n}") for n in range(1, 4)]
    rows[2]["recorded_by"] = "Ana (spreadsheet)"
    columns = (*ACTIVITY_COLUMNS, "recorded_by")
    response = post_csv(api, "/api/imports/activities", csv_text(columns, rows))
    assert response.status_code == 201, response.json
    assert response.json | {"position": 0} == {
        "rows": 3, "imported": 3, "skipped": 0, "dry_run": False, "position": 0
    }  # fmt: skip
    position = response.json["position"]
    assert response.headers["X-Event-Position"] == str(position)

    items = listed(api, allocation_id, position)
    for source in rows:
        item = items[str(imported_activity_id(source["external_id"]))]
        assert item["recorded_at"] == f"{days_ago(38)}T10:30:00+00:00"
        assert item["imported"] is True and item["late"] is False
        assert item["units"] == 2 and item["date_to"] == days_ago(40)
    assert items[str(imported_activity_id("sheet-3"))]["recorded_by"] == "Ana (spreadsheet)"
    assert items[str(imported_activity_id("sheet-1"))]["recorded_by"] == "Test Admin"
    balance = api.get(f"/api/allocations/{allocation_id}", min_position=position).json
    assert balance["units_used"] == 6

    for month in {days_ago(38)[:7], TODAY.isoformat()[:7]}:
        late = api.get("/api/reports/late-activities", month=month, min_position=position).json
        assert late["late"] == [], month


def test_lateness_is_judged_from_the_original_recorded_at(api, world):
    """Recorded 20 days after the work then: late, as it was; not because of the import."""
    allocation_id = world["allocation"]["id"]
    late_row = row(allocation_id, "late-1", recorded_at=f"{days_ago(20)}T09:00:00+02:00")
    response = import_activities(api, [late_row])
    assert response.status_code == 201, response.json
    item = listed(api, allocation_id, response.json["position"])[
        str(imported_activity_id("late-1"))
    ]
    assert item["late"] is True and item["recorded_at"] == f"{days_ago(20)}T07:00:00+00:00"
    report = api.get("/api/reports/late-activities", month=days_ago(20)[:7]).json
    assert [entry["days_late"] for entry in report["late"]] == [20 - 14]


def test_a_file_with_wrong_rows_writes_nothing_and_lists_every_one(api, world):
    allocation_id = world["allocation"]["id"]
    rows = [
        row(allocation_id, "ok-1"),  # line 2: good, yet not written
        row("8d1c0e0e-5f3a-4a55-9a4e-3c1f6f1b2a10", "r-3"),  # no such allocation
        row(allocation_id, "r-4", team_member="nobody"),
        row(allocation_id, "r-5", units="0"),
        row(allocation_id, "r-6", units="2.5"),
        row(allocation_id, "r-7", date_from=days_ago(90), date_to=days_ago(90)),
        row(allocation_id, "r-8", recorded_at=f"{days_ago(-2)}T10:00:00Z"),
        row(allocation_id, "r-9", recorded_at=f"{days_ago(45)}T10:00:00Z"),
        row(allocation_id, "ok-1"),  # the same external id as line 2
        row(allocation_id, "r-11", date_to="2024-02-30"),
        row(allocation_id, "r-12", date_from=days_ago(39)),
    ]
    before = api.log_size()
    response = import_activities(api, rows)
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    bad = {(e["line"], e["column"]) for e in response.json["bad_rows"]}
    assert bad == {
        (3, "allocation_id"), (4, "team_member"), (5, "units"), (6, "units"),
        (7, "date_from"), (8, "recorded_at"), (9, "recorded_at"), (10, "external_id"),
        (11, "date_to"), (12, "date_to"),
    }  # fmt: skip
    reasons = {e["line"]: e["reason"] for e in response.json["bad_rows"]}
    assert "is also on line 2" in reasons[10] and "in the future" in reasons[8]
    assert "before the work's last day" in reasons[9]
    assert "line 4, team_member" in response.json["errors"]
    assert response.json["detail"].startswith("nothing was imported: 10 lines of the file are")
    assert api.log_size() == before


def test_del_and_c1_controls_in_a_cell_are_refused_as_the_api_refuses_them(api, world):
    allocation_id = world["allocation"]["id"]
    rows = [
        row(allocation_id, "del", description="rub\u007fout"),
        row(allocation_id, "nel", description="one\u0085two"),
        row(allocation_id, "csi\u009b31m", description="plain"),
        row(allocation_id, "fine", description="caf\u00e9 \u00a0ok"),
    ]
    before = api.log_size()
    response = import_activities(api, rows)
    assert response.status_code == 422, response.json
    reasons = {(e["line"], e["column"]): e["reason"] for e in response.json["bad_rows"]}
    assert set(reasons) == {(2, "description"), (3, "description"), (4, "external_id")}
    assert "U+007F" in reasons[2, "description"] and "U+009B" in reasons[4, "external_id"]
    assert api.log_size() == before


def test_work_outside_a_members_time_on_the_team_is_listed_and_nothing_written(api, world):
    """The rules of live recording hold for history too: work dated before the member
    started, or from their departure on, is a bad row naming the date."""
    allocation_id = world["allocation"]["id"]
    member = {"name": "Cat", "fte": "1", "line_manager": "lee", "effective_date": days_ago(45)}
    assert api.post("/api/team-members", {"handle": "cat", **member}).status_code == 201
    departure = api.patch("/api/team-members/ana", {"departed_on": days_ago(41)})
    assert departure.status_code == 200, departure.json
    before = api.log_size()
    response = import_activities(
        api,
        [
            row(allocation_id, "cat-early", team_member="cat", date_from=days_ago(50)),
            row(allocation_id, "ana-gone", team_member="ana"),  # dated 40 days ago
            row(allocation_id, "cat-ok", team_member="cat"),
        ],
    )
    assert response.status_code == 422, response.json
    reasons = {(e["line"], e["column"]): e["reason"] for e in response.json["bad_rows"]}
    assert reasons == {
        (2, "date_from"): f"cat started on {days_ago(45)}; date_from {days_ago(50)} is before that",
        (3, "date_to"): f"ana left on {days_ago(41)}; date_to {days_ago(40)} is not before that",
    }
    assert api.log_size() == before


def test_the_same_file_twice_imports_once(api, world):
    allocation_id = world["allocation"]["id"]
    rows = [row(allocation_id, f"twice-{n}") for n in range(5)]
    first = import_activities(api, rows)
    assert first.status_code == 201 and first.json["imported"] == 5
    before = api.log_size()
    again = import_activities(api, rows + [row(allocation_id, "twice-new")])
    assert again.status_code == 201, again.json
    assert (again.json["imported"], again.json["skipped"]) == (1, 5)
    assert api.log_size() == before + 2  # the one new activity and its locator
    once_more = import_activities(api, rows)
    assert once_more.status_code == 200 and once_more.json["skipped"] == 5
    assert once_more.json["position"] == api.log_size()
    items = listed(api, allocation_id, once_more.json["position"])
    assert len(items) == 6


def test_a_row_imported_before_is_skipped_even_once_moved_or_changed(api, world):
    """The log decides: the external id's activity exists, so its row is skipped,
    whatever it says now (a correction changes what was imported)."""
    allocation_id = world["allocation"]["id"]
    assert import_activities(api, [row(allocation_id, "kept")]).status_code == 201
    changed = row(allocation_id, "kept", units=8, description="other words")
    response = import_activities(api, [changed])
    assert (response.status_code, response.json["skipped"]) == (200, 1)


def test_a_dry_run_checks_everything_and_writes_nothing(api, world):
    allocation_id = world["allocation"]["id"]
    rows = [row(allocation_id, f"dry-{n}") for n in range(3)]
    before = api.log_size()
    response = import_activities(api, rows, dry_run="true")
    assert response.status_code == 200, response.json
    assert (response.json["imported"], response.json["dry_run"]) == (3, True)
    bad = import_activities(api, [*rows, row(allocation_id, "dry-x", units=0)], dry_run="true")
    assert bad.status_code == 422 and [e["line"] for e in bad.json["bad_rows"]] == [5]
    assert api.log_size() == before


def test_imported_history_shows_as_of_its_moment_though_stored_after_live_work(api, world):
    """An allocation imported as granted 59 days ago; a recording made now, then an
    imported one stamped 38 days ago, after it in the stream: the balance as of 30
    days ago shows the imported units, not the later ones; as of 50 days ago, none."""
    project = api.post(
        f"/api/engagements/{world['engagement']['id']}/projects", {"name": "Past", "outcome": "o"}
    ).json
    grant = {
        "external_id": "hist", "project_id": project["id"], "start_date": days_ago(59),
        "end_date": days_ago(-10), "units": 10, "description": "history", "provider": "ana",
        "granted_at": f"{days_ago(59)}T08:00:00Z",
    }  # fmt: skip
    text = csv_text(ALLOCATION_COLUMNS, [grant])
    assert post_csv(api, "/api/imports/allocations", text).status_code == 201
    allocation_id = str(imported_allocation_id("hist"))
    live = api.post(f"/api/allocations/{allocation_id}/activities", activity(units=5))
    assert live.status_code == 201, live.json
    assert import_activities(api, [row(allocation_id, "past")]).status_code == 201

    def used(days: int) -> int:
        then = api.get(f"/api/allocations/{allocation_id}", as_of=f"{days_ago(days)}T00:00:00Z")
        assert then.status_code == 200, then.json
        return then.json["units_used"]

    assert (used(50), used(30)) == (0, 2)
    assert api.get(f"/api/allocations/{allocation_id}").json["units_used"] == 7
    before_grant = f"{days_ago(60)}T00:00:00Z"
    assert api.get(f"/api/allocations/{allocation_id}", as_of=before_grant).status_code == 404


def test_work_in_a_closed_month_is_imported_flagged_after_close(api, world):
    allocation_id = world["allocation"]["id"]
    month = days_ago(40)[:7]
    assert api.post(f"/api/periods/{month}/closure", {"reason": "stated"}).status_code == 201
    response = import_activities(api, [row(allocation_id, "closed-1")])
    assert response.status_code == 201, response.json
    item = listed(api, allocation_id, response.json["position"])[
        str(imported_activity_id("closed-1"))
    ]
    assert item["after_close"] is True and item["imported"] is True


ALLOCATION_COLUMNS = (
    "external_id", "project_id", "start_date", "end_date", "units", "description", "provider",
    "granted_at",
)  # fmt: skip


def test_allocations_import_then_their_activities_by_external_id(api, world):
    """Two past quarters of a project, granted when they were; then activities naming
    them by their external ids."""
    project_id = world["project"]["id"]
    start = TODAY - timedelta(days=180)
    quarters = [
        {
            "external_id": f"q{n}",
            "project_id": project_id,
            "start_date": (start + timedelta(days=50 * n)).isoformat(),
            "end_date": (start + timedelta(days=50 * n + 49)).isoformat(),
            "units": 16,
            "description": f"Quarter {n}",
            "provider": "ben",
            "granted_at": f"{(start + timedelta(days=50 * n)).isoformat()}T08:00:00Z",
        }
        for n in range(2)
    ]
    overlapping = quarters[1] | {"external_id": "q-overlap"}
    refused = post_csv(
        api, "/api/imports/allocations", csv_text(ALLOCATION_COLUMNS, [*quarters, overlapping])
    )
    assert refused.status_code == 422
    assert [(e["line"], e["column"]) for e in refused.json["bad_rows"]] == [(4, "start_date")]
    text = csv_text(ALLOCATION_COLUMNS, quarters)
    response = post_csv(api, "/api/imports/allocations", text)
    assert response.status_code == 201 and response.json["imported"] == 2
    assert post_csv(api, "/api/imports/allocations", text).json["skipped"] == 2

    q0 = str(imported_allocation_id("q0"))
    granted = api.get(f"/api/allocations/{q0}", min_position=response.json["position"]).json
    assert (granted["units_granted"], granted["provider"]) == (16, "ben")
    before = api.get(f"/api/allocations/{q0}", as_of=f"{start.isoformat()}T07:00:00Z")
    assert before.status_code == 404  # not granted yet then

    day = (start + timedelta(days=10)).isoformat()
    columns = ("external_id", "allocation_external_id", "team_member", "units", "description",
               "date_from", "date_to", "recorded_at")  # fmt: skip
    activities = [
        {"external_id": "a1", "allocation_external_id": "q0", "team_member": "ben",
         "units": 3, "description": "kick-off", "date_from": day, "date_to": day,
         "recorded_at": f"{day}T17:00:00Z"},
    ]  # fmt: skip
    imported = post_csv(api, "/api/imports/activities", csv_text(columns, activities))
    assert imported.status_code == 201, imported.json
    assert listed(api, q0, imported.json["position"])[str(imported_activity_id("a1"))]["imported"]


@pytest.mark.parametrize(
    "body, status, column",
    [
        (b"", 422, "file"),
        (b"external_id,allocation_id\n", 422, "team_member"),
        (b"\xff\xfeu\x00n\x00i\x00", 422, "file"),  # UTF-16
        ("a,b\n\x00\x01,\xe9\n".encode("latin-1"), 422, "file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 422, "file"),
        (b'"unterminated\n', 422, "file"),
        (",".join(ACTIVITY_COLUMNS).encode() + b",extra\n", 422, "extra"),
        (",".join(ACTIVITY_COLUMNS).encode() + b"\n1,2\n", 422, "row"),
        (",".join(ACTIVITY_COLUMNS).encode() + b"\n=cmd|' /C calc'!A0,x,y,z,,,,\n", 422, None),
    ],
)
def test_no_body_is_a_server_error(api, world, body, status, column):
    before = api.log_size()
    response = post_csv(api, "/api/imports/activities", body)
    assert response.status_code == status, response.json
    assert response.mimetype == "application/problem+json"
    if column:
        assert column in {e["column"] for e in response.json["bad_rows"]}, response.json
    assert api.log_size() == before


def test_a_spreadsheets_file_bom_crlf_quotes_and_formula_like_text(api, world):
    """What Excel's "CSV UTF-8" writes: a byte-order mark, CRLF, a quoted cell with a
    line break (the next row's line counts it), a cell that looks like a formula (kept
    as text), blank trailing rows; and the header in its own order and case."""
    allocation_id = world["allocation"]["id"]
    columns = ("Recorded_At", "External_ID", *ACTIVITY_COLUMNS[1:7])
    good = row(allocation_id, "xl-1", description="line one\nline two")
    formula = row(allocation_id, "xl-2", description='=HYPERLINK("http://x")')
    bad = row(allocation_id, "xl-3", units=0)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for source in (good, formula, bad):
        writer.writerow([source[c.lower()] for c in columns])
    writer.writerow([""] * len(columns))
    body = "\ufeff" + out.getvalue()
    refused = post_csv(api, "/api/imports/activities", body.encode())
    assert [e["line"] for e in refused.json["bad_rows"]] == [5]  # the quoted break: line 2-3
    body = body.replace(",0,", ",1,")
    response = post_csv(api, "/api/imports/activities", body.encode("utf-8"))
    assert response.status_code == 201, response.json
    items = listed(api, allocation_id, response.json["position"])
    assert items[str(imported_activity_id("xl-1"))]["description"] == "line one\nline two"
    assert items[str(imported_activity_id("xl-2"))]["description"] == '=HYPERLINK("http://x")'


def test_a_header_alone_imports_nothing_and_other_content_types_are_415(api, world):
    header_only = post_csv(api, "/api/imports/activities", ",".join(ACTIVITY_COLUMNS) + "\n")
    assert header_only.status_code == 200 and header_only.json["rows"] == 0
    as_json = api.post("/api/imports/activities", {"rows": []})
    assert as_json.status_code == 415 and as_json.mimetype == "application/problem+json"
    latin = api.client.post(
        "/api/imports/activities",
        data=b"x",
        content_type="text/csv; charset=latin-1",
        headers=api.headers(),
    )
    assert latin.status_code == 415


def test_only_an_admin_imports(api, make_token, world):
    text = csv_text(ACTIVITY_COLUMNS, [row(world["allocation"]["id"], "role-1")])
    for role in ("bd", "manager", "member", "auditor", "viewer"):
        token = make_token(role, member="ana" if role == "member" else None)
        response = api.as_(token).client.post(
            "/api/imports/activities",
            data=text,
            content_type="text/csv",
            headers=api.headers(token=token),
        )
        assert response.status_code == 403, role


def test_the_command_line_checks_dry_runs_and_imports(app, api, world, tmp_path):
    allocation_id = world["allocation"]["id"]
    runner = app.test_cli_runner()
    good = tmp_path / "good.csv"
    good.write_text(csv_text(ACTIVITY_COLUMNS, [row(allocation_id, f"cli-{n}") for n in range(4)]))
    bad = tmp_path / "bad.csv"
    bad.write_text(
        csv_text(
            ACTIVITY_COLUMNS,
            [row(allocation_id, "cli-b1", units=0), row(allocation_id, "cli-b2", team_member="x")],
        )
    )
    before = api.log_size()
    refused = runner.invoke(args=["import", "activities", str(bad)])
    assert refused.exit_code == 1
    assert "line 2, units:" in refused.stderr and "line 3, team_member:" in refused.stderr
    assert "nothing was imported: 2 lines" in refused.stderr
    dry = runner.invoke(args=["import", "activities", str(good), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would import 4 of 4 rows" in dry.stdout
    assert api.log_size() == before

    bell = runner.invoke(args=["import", "activities", str(good), "--actor", "Ada\u0007"])
    assert bell.exit_code != 0 and "control character" in bell.output, bell.output
    assert api.log_size() == before
    done = runner.invoke(args=["import", "activities", str(good), "--actor", "Ada Admin"])
    assert done.exit_code == 0, done.output
    assert "imported 4 of 4 rows, skipped 0" in done.stdout
    assert "writing" in done.stderr  # the progress bar's label
    again = runner.invoke(args=["import", "activities", str(good)])
    assert "imported 0 of 4 rows, skipped 4" in again.stdout
    stream = api.get(f"/api/audit/streams/{allocation_id}").json
    recorded = [e for e in stream["events"] if e["event_type"] == "ActivityRecorded"]
    assert {e["actor"] for e in recorded} == {"Ada Admin"}
    assert {e["fields"]["external_id"] for e in recorded} == {f"cli-{n}" for n in range(4)}
    assert all(e["fields"]["imported"] for e in recorded)


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_ten_thousand_rows_in_one_request_on_postgresql(api, world, ledger):
    """Twenty allocations (imported too), 10,000 activities under the 1 MiB body
    limit: every row written once, the balances summing them; again, all skipped."""
    project_id = world["project"]["id"]
    # After the members started (365 days ago), ending before the world's allocation.
    start = TODAY - timedelta(days=362)
    quarters = [
        {
            "external_id": f"p{n}",
            "project_id": project_id,
            "start_date": (start + timedelta(days=15 * n)).isoformat(),
            "end_date": (start + timedelta(days=15 * n + 14)).isoformat(),
            "units": 1000,
            "description": f"P{n}",
            "provider": "ana",
            "granted_at": f"{(start + timedelta(days=15 * n)).isoformat()}T08:00:00Z",
        }
        for n in range(20)
    ]
    granted = post_csv(api, "/api/imports/allocations", csv_text(ALLOCATION_COLUMNS, quarters))
    assert granted.status_code == 201, granted.json
    lines = ["external_id,allocation_external_id,team_member,units,description,date_from,"
             "date_to,recorded_at"]  # fmt: skip
    for n in range(10_000):
        period = n % 20
        day = (start + timedelta(days=15 * period + n % 15)).isoformat()
        lines.append(f"r{n},p{period},{'ana' if n % 2 else 'ben'},{n % 5 + 1},w,{day},{day},{day}")
    body = ("\n".join(lines) + "\n").encode()
    assert len(body) < 1024 * 1024
    before = api.log_size()
    response = post_csv(api, "/api/imports/activities", body)
    assert response.status_code == 201, response.json
    assert (response.json["rows"], response.json["imported"]) == (10_000, 10_000)
    assert api.log_size() == before + 20_000  # each activity and its locator
    used = sum(n % 5 + 1 for n in range(10_000))
    balances = read_when_caught_up(api, "/api/allocations", response.json["position"])
    assert sum(b["units_used"] for b in balances["items"] if b["description"][0] == "P") == used
    again = post_csv(api, "/api/imports/activities", body)
    assert (again.status_code, again.json["skipped"]) == (200, 10_000)
    assert api.log_size() == before + 20_000


def test_a_write_stopped_part_way_is_completed_by_running_the_file_again(
    app, api, world, ledger, tmp_path, monkeypatch
):
    """Batches of two rows; the database goes away at the third batch: two batches stay
    written, the command says so; run again, the rest is written, nothing twice."""
    allocation_id = world["allocation"]["id"]
    path = tmp_path / "sheet.csv"
    path.write_text(csv_text(ACTIVITY_COLUMNS, [row(allocation_id, f"p-{n}") for n in range(7)]))
    monkeypatch.setattr("service.application.imports.commands.BATCH", 2)
    save, saves = ledger.save, []

    def save_until_the_database_goes(*objects, **kwargs):
        saves.append(len(objects))
        if len(saves) == 3:
            raise OperationalError("server closed the connection unexpectedly")
        return save(*objects, **kwargs)

    monkeypatch.setattr(ledger, "save", save_until_the_database_goes)
    runner = app.test_cli_runner()
    stopped = runner.invoke(args=["import", "activities", str(path)])
    assert stopped.exit_code == 1
    assert "4 rows were written before it stopped" in stopped.stderr
    assert "run the same file again" in stopped.stderr
    monkeypatch.setattr(ledger, "save", save)
    rerun = runner.invoke(args=["import", "activities", str(path)])
    assert "imported 3 of 7 rows, skipped 4" in rerun.stdout, rerun.output
    position = ledger.recorder.max_notification_id()
    assert len(listed(api, allocation_id, position)) == 7
