"""The demo seed (service/demo/seed.py): what a newcomer sees must hold together over the
API, on each store: balances equal to their activities, some entries late and most
not, a viewer that sees its one engagement, and nothing new on a second seed."""

from __future__ import annotations

import ast
import io
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from service.demo.plan import ADMIN, FIRST_ENGAGEMENT, SCALE, plan_demo, smaller
from service.demo.seed import Demo, seed_demo
from service.domain.balance import balance
from service.web.http.runtime import ledger as app_ledger
from tests.support.api import ApiClient

ROOT = Path(__file__).resolve().parents[2]
SERVED_ON = "http://127.0.0.1:8123"  # `make run DEMO=1 PORT=8123`


@pytest.fixture
def app_env() -> dict[str, str]:
    """As `make run DEMO=1 PORT=8123` runs the seed: PORT set, PUBLIC_URL not."""
    return {"PORT": "8123"}


@pytest.fixture
def demo(app: Flask, tmp_path: Path) -> Demo:
    with app.app_context():
        seeded = seed_demo(
            app_ledger(),
            now=datetime.now(UTC),
            out=io.StringIO(),
            tokens_file=tmp_path / "demo-tokens.txt",
        )
    assert seeded is not None
    return seeded


def client(app: Flask, demo: Demo, role: str) -> ApiClient:
    secret = next(t.secret for t in demo.tokens if t.role == role)
    return ApiClient(app, app.test_client(), secret)


def ok(response) -> dict:
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_every_balance_is_the_sum_of_its_live_activities(app, demo):
    auditor = client(app, demo, "auditor")
    allocations = ok(auditor.get("/api/allocations", limit=100))["items"]
    assert {a["id"] for a in allocations} == {str(i) for i in demo.allocations.values()}
    entries = []
    for allocation in allocations:
        items = ok(auditor.get(f"/api/allocations/{allocation['id']}/activities"))["items"]
        live = [item for item in items if not item["retracted"]]
        assert allocation["units_used"] == sum(item["units"] for item in live)
        entries += items
    assert len(entries) == demo.activities >= 140
    assert {item["units"] for item in entries} <= set(SCALE)
    assert sum(item["retracted"] for item in entries) == 1
    assert sum(item["corrections"] for item in entries) == 1
    late = [item for item in entries if item["late"]]
    assert 0 < len(late) < len(entries) / 10
    assert all(days_after(item) > 14 for item in late)
    assert all(0 <= days_after(item) <= 14 for item in entries if not item["late"])


def test_the_balances_show_every_shape(app, demo):
    bd = client(app, demo, "bd")
    allocations = ok(bd.get("/api/allocations", limit=100))["items"]
    statuses = [a["status"] for a in allocations]
    assert statuses.count("completed") == 1
    assert statuses.count("upcoming") == 1
    assert "active" in statuses
    nearly = [a for a in allocations if a["status"] == "active" and a["units_remaining"] <= 2]
    assert len(nearly) == 1
    assert "behind" in [a["pace"] for a in allocations if a["status"] == "active"]
    assert "on track" in [a["pace"] for a in allocations if a["status"] == "active"]


def test_the_manager_has_something_to_review(app, demo):
    """This month: the provider of the allocation behind pace has recorded nothing."""
    manager = client(app, demo, "manager")
    month = datetime.now(UTC).strftime("%Y-%m")
    review = ok(manager.get("/api/reports/late-activities", month=month))
    assert "amara" in {member["handle"] for member in review["silent_members"]}
    capacity = ok(manager.get("/api/reports/capacity", month=month))
    assert 0 < capacity["totals"]["fraction"] < 1


def test_each_allocation_can_be_shown_as_it_stood_a_month_ago(app, demo):
    """Grants and recordings are stamped with their moments, in order, so a past
    balance is rebuilt from what had been recorded by then."""
    auditor = client(app, demo, "auditor")
    allocation_id = demo.allocations["docs-2"]
    now = ok(auditor.get(f"/api/allocations/{allocation_id}"))
    moment = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    then = ok(auditor.get(f"/api/allocations/{allocation_id}", as_of=moment))
    assert 0 < then["units_used"] < now["units_used"]


def test_the_viewer_sees_its_one_engagement(app, demo):
    viewer = client(app, demo, "viewer")
    engagements = ok(viewer.get("/api/engagements"))["items"]
    assert [e["id"] for e in engagements] == [str(FIRST_ENGAGEMENT)]
    other = demo.engagements["open-data"]
    assert viewer.get(f"/api/engagements/{other}").status_code == 404
    assert viewer.get(f"/api/allocations/{demo.allocations['guide-1']}").status_code == 404
    allocations = ok(viewer.get("/api/allocations", limit=100))["items"]
    assert {a["engagement_id"] for a in allocations} == {str(FIRST_ENGAGEMENT)}
    everything = ok(client(app, demo, "bd").get("/api/engagements"))["items"]
    assert {e["id"] for e in everything} == {str(i) for i in demo.engagements.values()}


def test_there_is_a_token_for_each_kind_of_person(demo):
    roles = [t.role for t in demo.tokens]
    assert sorted(set(roles)) == ["admin", "auditor", "bd", "manager", "member", "viewer"]
    members = [t.name for t in demo.tokens if t.role == "member"]
    assert len(members) == len(set(members)) == 4


def test_seeding_twice_changes_nothing(app, demo):
    api = client(app, demo, "auditor")
    size = api.log_size()
    out = io.StringIO()
    with app.app_context():
        again = seed_demo(app_ledger(), now=datetime.now(UTC), out=out, tokens_file=None)
    assert again is None
    assert "demo already seeded" in out.getvalue()
    assert api.log_size() == size


def test_the_cli_seeds_once_and_keeps_the_tokens_private(app, tmp_path):
    tokens_file = tmp_path / "var" / "demo-tokens.txt"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "seed", "--tokens-file", str(tokens_file)])
    assert result.exit_code == 0, result.output
    assert "activities" in result.output
    assert "role" in result.output and "viewer" in result.output
    assert stat.S_IMODE(tokens_file.stat().st_mode) == 0o600
    kept = tokens_file.read_text()
    assert all(line.split()[-1] in result.output for line in kept.splitlines()[1:])
    again = runner.invoke(args=["demo", "seed", "--tokens-file", str(tokens_file)])
    assert again.exit_code == 0, again.output
    assert "demo already seeded" in again.output
    assert tokens_file.read_text() == kept


def sign_in_links(output: str) -> dict[tuple[str, str], str]:
    """The links `demo seed` printed, by the role and name of the token each is for."""
    table = output.split("sign-in link\n", 1)[1]
    rows = [line.split() for line in table.splitlines() if "/sign-in/link/" in line]
    return {(row[0], " ".join(row[1:-1])): row[-1] for row in rows}


def test_the_cli_prints_a_sign_in_link_for_everyone_on_the_address_served(app, tmp_path):
    """Admin first, then every person with a token; each opens the sign-in page of the
    server `make run` started, and a second seed prints new links for the kept tokens."""
    tokens_file = tmp_path / "demo-tokens.txt"
    runner = app.test_cli_runner()
    seeded = runner.invoke(args=["demo", "seed", "--tokens-file", str(tokens_file)])
    assert seeded.exit_code == 0, seeded.output
    links = sign_in_links(seeded.output)
    kept = [line.split() for line in tokens_file.read_text().splitlines()[1:]]
    assert list(links) == [(row[0], " ".join(row[1:-1])) for row in kept]
    assert next(iter(links)) == ("admin", ADMIN)
    assert all(link.startswith(f"{SERVED_ON}/sign-in/link/") for link in links.values())
    admin_link = links["admin", ADMIN].removeprefix(SERVED_ON)
    assert b"Sign in" in app.test_client().get(admin_link).data
    again = runner.invoke(args=["demo", "seed", "--tokens-file", str(tokens_file)])
    assert "demo already seeded" in again.output
    renewed = sign_in_links(again.output)
    assert list(renewed) == list(links)
    assert set(renewed.values()).isdisjoint(links.values())


SHAPES = {
    "completed": ("completed", None),
    "on track": ("active", "on track"),
    "nearly exhausted": ("active", None),
    "behind": ("active", "behind"),
    "upcoming": ("upcoming", None),
}


def test_the_sample_import_files_import_on_the_demo_as_the_readme_says(app, demo):
    """docs/how-to/import-history.md: the files under docs/ name the demo's projects and
    members and import as they are, once."""
    runner = app.test_cli_runner()
    for kind, rows in (("allocations", 3), ("activities", 6)):
        sample = str(ROOT / "docs" / f"import-{kind}.csv")
        done = runner.invoke(args=["import", kind, sample, "--actor", "Sofia Marchetti"])
        assert done.exit_code == 0, done.output
        assert f"imported {rows} of {rows} rows, skipped 0" in done.stdout
        again = runner.invoke(args=["import", kind, sample])
        assert f"imported 0 of {rows} rows, skipped {rows}" in again.stdout, again.output


@pytest.mark.parametrize("day", range(0, 366, 7))
def test_the_plan_holds_on_any_day_of_the_year(day):
    """Worked out from the day alone, the demo must keep its shapes whatever the day
    (month ends, a Monday the first): pure, so checked without a store."""
    now = datetime(2025, 1, 1, 6, 30, tzinfo=UTC) + timedelta(days=day, hours=day % 17)
    plan = plan_demo(now)
    used = dict.fromkeys(plan.periods, 0)
    for activity in plan.activities:
        start, end = plan.periods[activity.grant]
        assert start <= activity.date_from <= activity.date_to <= end
        assert plan.granted_at[activity.grant] < activity.recorded_at <= now
        assert activity.recorded_at.date() >= activity.date_to
        used[activity.grant] += activity.units
    used[plan.corrected.grant] -= plan.corrected.units - smaller(plan.corrected.units)
    used[plan.duplicate.grant] -= plan.duplicate.units
    for grant in plan.grants:
        start, end = plan.periods[grant.key]
        shown = balance(
            start=start,
            end=end,
            units=plan.units[grant.key],
            used=used[grant.key],
            cancelled=False,
            on=now.date(),
        )
        status, pace = SHAPES[grant.shape]
        assert shown["status"] == status and pace in (None, shown["pace"]), grant.key


def test_the_demo_is_written_through_the_application_layer_only():
    """service/demo/ reaches the store only through the Ledger's commands."""
    allowed = ("service.application", "service.domain", "service.demo")
    for path in (ROOT / "service/demo/seed.py", ROOT / "service/demo/plan.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module.startswith("service"):
                assert node.module.startswith(allowed), f"{path.name} imports {node.module}"


def days_after(item: dict) -> int:
    """Days from the work's last day to its recording."""
    recorded = datetime.fromisoformat(item["recorded_at"]).date()
    return (recorded - date.fromisoformat(item["date_to"])).days
