"""A poisoned view never stops the others, and says so: when applying an event to one
view raises, that view is recorded as failed (in the database, for every process to
see) and retried with backoff, while the other views go on; /readyz, /metrics,
`projections status` and the reads that need it name the view and the position, and
once the fault is gone it catches up and everything answers again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from eventsourcing.persistence import OperationalError

from projections import NAMES, Projections
from projections.engine.failures import backoff_seconds
from projections.engine.follower import Follower
from projections.readmodels.usage import MonthlyUsage
from service.application import Clock, Ledger
from service.application.caller import Caller
from service.infra.store import persistence_environment
from service.web.http.runtime import runtime
from tests.support.api import activity
from tests.support.dates import days_ago
from tests.support.waiting import wait_until
from tests.support.worlds import granted_on_ledger

POISON = "poison"


class Poison:
    """Makes the `usage` projection fail on every activity described "poison", the way
    a value the database cannot store does (an integer too large for its column), and
    counts the attempts."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, error: Exception | None = None):
        self.attempts = 0
        self.monkeypatch = monkeypatch
        original = MonthlyUsage._recorded
        poison = self

        def recorded(model, rows, event, position):
            if event.description == POISON:
                poison.attempts += 1
                if error is not None:
                    raise error
                row = {"team_member": POISON, "month": "2000-01", "units": 2**70}
                rows.put("by_member", row)
                return
            original(model, rows, event, position)

        monkeypatch.setattr(MonthlyUsage, "_recorded", recorded)

    def remove(self) -> None:
        self.monkeypatch.undo()


def test_backoff_doubles_from_one_second_to_five_minutes():
    assert [backoff_seconds(n) for n in range(0, 12)] == [
        0,
        1,
        2,
        4,
        8,
        16,
        32,
        64,
        128,
        256,
        300,
        300,
    ]
    assert backoff_seconds(10_000) == 300
    assert backoff_seconds(3, first=0.5, limit=1.5) == 1.5


def test_a_poisoned_view_stops_only_itself_and_says_so(api, world, app, monkeypatch):
    allocation_id = world["allocation"]["id"]
    month = days_ago(2)[:7]
    fine = api.post(f"/api/allocations/{allocation_id}/activities", activity(units=3))
    assert fine.status_code == 201
    assert api.get("/api/reports/monthly", month=month).status_code == 200

    poison = Poison(monkeypatch)
    written = api.post(
        f"/api/allocations/{allocation_id}/activities", activity(units=4, description=POISON)
    )
    assert written.status_code == 201, written.json
    position = written.json["position"]

    # The other views reach the head and serve the new activity.
    allocation = api.get(f"/api/allocations/{allocation_id}")
    assert allocation.status_code == 200 and allocation.json["units_used"] == 7
    assert [a["units_used"] for a in api.get("/api/allocations").json["items"]] == [7]
    listed = api.get(f"/api/allocations/{allocation_id}/activities")
    assert listed.status_code == 200
    assert [a["description"] for a in listed.json["items"]][-1] == POISON
    assert api.get("/api/team-members").status_code == 200

    # usage has failed, and says where.
    wait_until(lambda: api.client.get("/readyz").json["status"] == "failing")
    ready = api.client.get("/readyz")
    assert ready.status_code == 200, "a plain probe keeps the process in the load balancer"
    assert api.client.get("/readyz", query_string={"max_lag": 1000}).status_code == 503
    failure = ready.json["projections"]["usage"]["failure"]
    assert failure["position"] == position and failure["attempts"] >= 1
    assert failure["error"].split(":")[0] in {"OverflowError", "DataError"}, failure
    assert ready.json["projections"]["usage"]["position"] == position - 1
    for name in ("balances", "activities", "team"):
        assert ready.json["projections"][name] == {"position": position, "lag": 0}

    report = api.get("/api/reports/monthly", month=month)
    assert report.status_code == 503
    assert report.headers["Retry-After"].isdigit()
    assert report.mimetype == "application/problem+json"
    assert f"the usage view is stuck at log position {position}" in report.json["detail"]
    assert api.get("/api/reports/capacity", month=month).status_code == 503
    # A read that names a position the view has reached is served.
    assert api.get("/api/reports/monthly", month=month, min_position=position - 1).status_code == (
        200
    )

    metrics = api.client.get("/metrics").get_data(as_text=True)
    assert 'ces_projection_failed{view="usage"} 1.0' in metrics
    assert 'ces_projection_failed{view="balances"} 0.0' in metrics

    status = app.test_cli_runner().invoke(args=["projections", "status"])
    assert status.exit_code == 0, status.output
    assert f"FAILED on the event at log position {position}" in status.output

    # The fault removed and a retry asked for, the view catches up and the failure clears.
    poison.remove()
    retried = app.test_cli_runner().invoke(args=["projections", "retry", "usage"])
    assert retried.exit_code == 0 and "retrying usage" in retried.output
    wait_until(lambda: api.client.get("/readyz").json["status"] == "ready")
    ready = api.client.get("/readyz").json
    assert ready["status"] == "ready"
    assert ready["projections"] == {name: {"position": position, "lag": 0} for name in NAMES}
    report = api.get("/api/reports/monthly", month=month)
    assert report.status_code == 200
    assert report.json["totals"]["units_used_month"] == 7
    assert report.json["totals"]["units_used_to_date"] == 7
    assert 'ces_projection_failed{view="usage"} 0.0' in api.client.get("/metrics").get_data(
        as_text=True
    )
    status = app.test_cli_runner().invoke(args=["projections", "status"])
    assert "FAILED" not in status.output
    with app.app_context():
        served = runtime().projections()
        assert served.failure_log.read() == {}
        replay = Projections(served.app, namespace="replay_")
        assert Follower(replay).catch_up()
        assert served.dump() == replay.dump()


@pytest.fixture
def store(database_url):
    """A ledger with two members, an allocation and three activities, the second one
    poisonous; no follower runs but the test's."""
    ledger = Ledger(env=persistence_environment(database_url))
    today = Clock().today()
    allocation_id = granted_on_ledger(ledger, members=("ana",), units=50, today=today)
    positions = {}
    for description in ("before", POISON, "after"):
        positions[description] = ledger.record_activity(
            allocation_id,
            team_member="ana",
            units=2,
            description=description,
            date_from=today,
            date_to=today,
            caller=Caller("t"),
        ).position
    yield ledger, positions
    ledger.close()


class FakeClock:
    def __init__(self):
        self.now = datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def test_a_failed_view_is_retried_with_backoff_and_cleared_once_past(store, monkeypatch):
    ledger, positions = store
    head = positions["after"]
    poison = Poison(monkeypatch)
    projections = Projections(ledger)
    clock = FakeClock()
    follower = Follower(projections, clock=clock)

    assert follower.catch_up()
    # Found one event at a time: the events before the poison are applied.
    assert projections.positions() == {**dict.fromkeys(NAMES, head), "usage": positions[POISON] - 1}
    failure = projections.failures()["usage"]
    assert (failure.position, failure.attempts) == (positions[POISON], 1)
    assert failure.retry_at == clock.now + timedelta(seconds=1)
    assert set(projections.failures()) == {"usage"}
    # Beside it, another set of views (a namespace) has its own record.
    assert Projections(ledger, namespace="other_").failure_log.read() == {}
    attempts = poison.attempts

    follower.catch_up()  # before its retry is due: not tried again
    assert poison.attempts == attempts
    clock.advance(1)
    follower.catch_up()
    assert poison.attempts > attempts
    failure = projections.failures()["usage"]
    assert failure.attempts == 2 and failure.retry_at == clock.now + timedelta(seconds=2)
    clock.advance(1)
    attempts = poison.attempts
    follower.catch_up()
    assert poison.attempts == attempts

    poison.remove()
    assert projections.failure_log.retry_now(["usage"]) == ["usage"]
    assert follower.catch_up()
    assert projections.positions() == dict.fromkeys(NAMES, head)
    assert projections.failures() == {} and projections.failure_log.read() == {}
    replay = Projections(ledger, namespace="replay_")
    assert Follower(replay).catch_up()
    assert projections.dump() == replay.dump()


def test_an_unreachable_database_is_not_a_view_failure(store, monkeypatch):
    ledger, positions = store
    Poison(monkeypatch, error=OperationalError("the server closed the connection"))
    projections = Projections(ledger)
    with pytest.raises(OperationalError):
        Follower(projections).catch_up()
    assert projections.failure_log.read() == {}
    assert projections.positions()["usage"] < positions[POISON]
