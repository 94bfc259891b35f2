"""The read models: served views equal a fresh replay of the log, reads wait for
their writes (or answer 503), lists filter and page, the CLI rebuilds a view, the
audit log pages through every event, and /readyz reports positions and lag."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest

from projections import NAMES, Projections
from projections.engine.follower import Follower
from projections.engine.locks import ViewLocks
from projections.reports.resources import allocation_balance
from service.bootstrap import create_app
from service.infra.config import Settings
from service.web.http.runtime import ledger as app_ledger
from tests.support.api import ApiClient, activity
from tests.support.apps import close_app
from tests.support.dates import TODAY, days_ago
from tests.support.projections import replayed, served_and_caught_up
from tests.support.worlds import busy_world


def test_served_views_equal_a_fresh_replay(api, world, ledger, app):
    busy_world(api, world)
    served = served_and_caught_up(app)
    assert served.positions() == dict.fromkeys(NAMES, api.log_size())
    assert served.dump() == replayed(ledger).dump()


def test_a_read_sees_the_write_whose_position_it_names(api, world):
    allocation_id = world["allocation"]["id"]
    written = api.post(f"/api/allocations/{allocation_id}/activities", activity(units=4)).json
    listed = api.get("/api/allocations", min_position=written["position"]).json["items"]
    assert [(a["id"], a["units_used"]) for a in listed] == [(allocation_id, 4)]


def test_a_position_beyond_the_log_is_refused(api, world):
    response = api.get("/api/allocations", min_position=api.log_size() + 1)
    assert response.status_code == 422
    assert "beyond the end of the log" in response.json["detail"]


@pytest.fixture
def app_without_runner(database_url):
    """Web process with PROJECTIONS_IN_PROCESS=false: nothing follows the log unless
    the test does, so the views stay behind."""
    settings = Settings.from_environment(
        {
            "DATABASE_URL": database_url,
            "PROJECTIONS_IN_PROCESS": "false",
            "PROJECTIONS_WAIT_SECONDS": "0.2",
        }
    )
    app = create_app(settings)
    yield app
    close_app(app)


def test_without_a_runner_reads_answer_503_until_the_views_catch_up(app_without_runner):
    app = app_without_runner
    with app.app_context():
        ledger = app_ledger()
        admin = ApiClient(
            app,
            app.test_client(),
            ledger.issue_token(
                role="admin", member=None, engagement_id=None, name="Test Admin", actor="test"
            )[0],
        )
    behind = admin.get("/api/engagements")
    assert behind.status_code == 503
    assert behind.headers["Retry-After"].isdigit()
    assert behind.mimetype == "application/problem+json"
    # at once: no process beats (test_worker_heartbeat.py)
    assert "the background worker is not running" in behind.json["detail"]
    ready = admin.client.get("/readyz", query_string={"max_lag": 0})
    assert ready.status_code == 503 and ready.json["status"] == "worker_down"
    assert ready.json["runner"] == "separate process"

    result = app.test_cli_runner().invoke(args=["projections", "status"])
    assert result.exit_code == 0 and "lag 1" in result.output

    Follower(Projections(ledger)).catch_up()  # what `projections run` does
    assert admin.get("/api/engagements").status_code == 200
    ready = admin.client.get("/readyz", query_string={"max_lag": 0}).json
    assert ready["status"] == "worker_down"  # caught up, but nothing keeps them so
    assert ready["projections"] == {name: {"position": 1, "lag": 0} for name in NAMES}


def test_readyz_is_open_and_reports_each_view(api, world):
    response = api.client.get("/readyz")
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "ready" and body["runner"] == "in-process"
    assert set(body["projections"]) == set(NAMES)
    for view in body["projections"].values():
        assert view["lag"] == body["log_position"] - view["position"] >= 0


@pytest.mark.postgres
def test_readyz_answers_503_when_the_database_is_unreachable():
    app = create_app(
        Settings.from_environment({"DATABASE_URL": "postgresql://postgres@127.0.0.1:9/none"})
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert response.mimetype == "application/problem+json"


def test_rebuild_drops_and_replays_a_view(api, world, ledger, app):
    busy_world(api, world)
    before = served_and_caught_up(app).dump()
    result = app.test_cli_runner().invoke(args=["projections", "rebuild", "usage"])
    assert result.exit_code == 0, result.output
    assert f"usage: {api.log_size()} events" in result.output
    assert "events/s" in result.output
    everything = app.test_cli_runner().invoke(args=["projections", "rebuild"])
    assert everything.exit_code == 0, everything.output
    assert all(f"{name}: " in everything.output for name in NAMES)
    assert Projections(ledger).dump() == before


def test_allocations_filter_by_status_and_engagement_and_page(api, world):
    made = busy_world(api, world)
    first_id, other_id = world["allocation"]["id"], made["other"]["id"]
    all_items = api.get("/api/allocations").json
    assert all_items["total"] == 2
    assert [a["id"] for a in all_items["items"]] == [first_id, other_id]
    assert all_items["items"][0]["units_used"] == 2 and all_items["items"][0]["units_granted"] == 30
    assert [a["id"] for a in api.get("/api/allocations", status="active").json["items"]] == [
        first_id
    ]
    assert [a["id"] for a in api.get("/api/allocations", status="cancelled").json["items"]] == [
        other_id
    ]
    assert api.get("/api/allocations", status="completed").json == {
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }
    page = api.get("/api/allocations", limit=1, offset=1).json
    assert ([a["id"] for a in page["items"]], page["total"]) == ([other_id], 2)
    assert api.get("/api/allocations", engagement_id=str(uuid.uuid4())).json["total"] == 0
    assert api.get("/api/allocations", status="asleep").status_code == 422


def test_the_status_filter_agrees_with_the_balance_rules(api, world, ledger):
    """The SQL that filters by status gives, on every day, the status `balance()` gives."""
    busy_world(api, world)
    api.post(
        f"/api/projects/{world['project']['id']}/allocations",
        {"start_date": days_ago(200), "end_date": days_ago(100), "units": 3, "description": "old"},
    )
    api.get("/api/allocations")
    view = Projections(ledger).view("balances")
    rows, _ = view.allocations_page(today=TODAY, limit=100, offset=0)
    for offset in range(-220, 120, 5):
        on = TODAY + timedelta(days=offset)
        for status in ("upcoming", "active", "exhausted", "completed", "cancelled"):
            filtered, total = view.allocations_page(today=on, limit=100, offset=0, status=status)
            expected = [r["id"] for r in rows if allocation_balance(r, on)["status"] == status]
            assert [r["id"] for r in filtered] == expected and total == len(expected), (on, status)


def test_engagements_are_listed_in_pages(api, world):
    for n in range(3):
        api.post(
            "/api/engagements",
            {
                "name": f"E{n}",
                "community": "c",
                "description": "",
                "start_date": days_ago(10),
                "end_date": days_ago(-10),
            },
        )
    page = api.get("/api/engagements", limit=2, offset=1).json
    assert [e["name"] for e in page["items"]] == ["E0", "E1"]
    assert (page["total"], page["limit"], page["offset"]) == (4, 2, 1)
    first = api.get("/api/engagements", limit=1).json["items"][0]
    assert first == {
        **first,
        "id": world["engagement"]["id"],
        "name": "Open Data Week",
        "community": "Open Data NL",
        "source": "manual",
        "hubspot": None,
        "closed": False,
        "contacts": [],
        "start_date": world["engagement"]["start_date"],
    }


def test_the_audit_log_pages_through_every_event_in_order(api, world, make_token):
    busy_world(api, world)
    total = api.log_size()
    seen, after = [], 0
    while True:
        page = api.get("/api/audit/events", after=after, limit=7, include_internal="true").json
        seen += page["items"]
        after = page["next_after"]
        if page["at_end"]:
            break
    assert [e["position"] for e in seen] == list(range(1, total + 1))
    retraction = next(e for e in seen if e["event_type"] == "ActivityRetracted")
    assert retraction["stream_id"] == world["allocation"]["id"]
    assert retraction["fields"]["reason"] == "duplicate" and retraction["actor"] == "Test Admin"
    assert {
        "position",
        "stream_id",
        "version",
        "event_type",
        "timestamp",
        "actor",
        "fields",
        "leaf_hash",
    } == set(retraction)
    assert len(retraction["leaf_hash"]) == 64
    auditor = api.as_(make_token("auditor"))
    assert auditor.get("/api/audit/events").status_code == 200
    assert api.as_(make_token("viewer")).get("/api/audit/events").status_code == 403
    assert api.get("/api/audit/events", limit=0).status_code == 422


def test_one_writer_per_view_at_a_time(ledger):
    locks = ViewLocks(ledger.factory.datastore)
    with locks.hold("balances") as first:
        assert first
        result = {}
        thread = threading.Thread(
            target=lambda: result.update(
                other=_try(locks, "balances"), different=_try(locks, "usage")
            )
        )
        thread.start()
        thread.join()
        assert result == {"other": False, "different": True}
    assert _try(locks, "balances")


def _try(locks: ViewLocks, name: str) -> bool:
    with locks.hold(name) as held:
        return held


def test_followers_racing_each_other_apply_each_event_once(api, world, ledger):
    busy_world(api, world)
    contenders = Projections(ledger, namespace="race_")
    followers = [Follower(contenders, batch_size=2) for _ in range(3)]

    def follow(follower: Follower) -> None:
        while not follower.catch_up():
            pass

    threads = [threading.Thread(target=follow, args=(f,)) for f in followers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert contenders.dump() == replayed(ledger).dump()
