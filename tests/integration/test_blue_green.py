"""Blue/green read models (projections/engine/generations.py): a rebuild, and a
deployment raising a read model's version, build the new tables beside the serving
ones while every read goes on answering from those, complete; reads switch to the new
ones in one step once they have caught up. The reads are interleaved with the build
deterministically: one round of reads after each batch the build commits."""

from __future__ import annotations

from dataclasses import replace

import pytest

from projections import CATALOG, Projections, catalog
from projections.engine.follower import Follower
from projections.engine.rebuild import rebuild
from service.bootstrap import create_app
from service.infra.config import Settings
from service.web.http.runtime import runtime
from tests.support.api import ApiClient, activity
from tests.support.apps import close_app
from tests.support.dates import days_ago
from tests.support.worlds import busy_world

REPORT_VIEWS = ("balances", "activities", "usage", "team")


def reads(api: ApiClient) -> dict[str, object]:
    """What the reports and lists answer now (each must answer 200)."""
    month = days_ago(0)[:7]
    answers = {
        "monthly": api.get("/api/reports/monthly", month=month),
        "planning": api.get("/api/reports/planning", **{"from": month, "to": month}),
        "monthly_as_of": api.get("/api/reports/monthly", month=month, as_of_position=20),
        "capacity": api.get("/api/reports/capacity", month=month),
        "late": api.get("/api/reports/late-activities", month=month),
        "allocations": api.get("/api/allocations"),
        "engagements": api.get("/api/engagements"),
        "team": api.get("/api/team-members"),
    }
    for name, response in answers.items():
        assert response.status_code == 200, (name, response.status_code, response.json)
    return {name: response.json for name, response in answers.items()}


@pytest.fixture
def filled(api, world) -> dict[str, object]:
    """A log with every kind of change, and what the reports answer on it."""
    busy_world(api, world)
    allocation_id = world["allocation"]["id"]
    for n in range(12):
        api.post(
            f"/api/allocations/{allocation_id}/activities",
            activity(units=1 + n % 3, team_member=("ana", "ben")[n % 2]),
        )
    return reads(api)


def test_reads_answer_in_full_throughout_a_rebuild_and_switch_when_it_is_done(
    api, app, ledger, filled
):
    rebuilder = Projections(ledger)  # as `projections rebuild` makes them, in its own process
    served_before = {name: view.generation for name, view in rebuilder.views.items()}
    during: list[dict[str, object]] = []
    for name in REPORT_VIEWS:
        rebuild(rebuilder, name, progress=lambda _: during.append(reads(api)), batch_size=5)
    assert len(during) >= 4 * api.log_size() // 5
    assert all(answer == filled for answer in during)
    after = reads(api)
    assert after == filled
    with app.app_context():
        served = runtime().projections()  # the web process's: it noticed the switches
    assert {name: served.views[name].generation for name in REPORT_VIEWS} == {
        name: served_before[name] + 1 for name in REPORT_VIEWS
    }
    # Another rebuild drops the generation the first one retired, and serves a third.
    rebuild(rebuilder, "balances")
    assert reads(api) == filled
    generations = [g for g in rebuilder.all_generations() if g.name == "balances"]
    assert [(g.generation, g.state) for g in generations] == [
        (served_before["balances"] + 1, "retired"),
        (served_before["balances"] + 2, "serving"),
    ]
    version = rebuilder.views["balances"].version
    status = app.test_cli_runner().invoke(args=["projections", "status"])
    assert f"balances   serving v{version}.{served_before['balances'] + 2} " in status.output
    pruned = app.test_cli_runner().invoke(args=["projections", "prune"])
    retired = {name: served_before[name] for name in REPORT_VIEWS} | {
        "balances": served_before["balances"] + 1
    }
    assert pruned.output == "".join(
        f"dropped {name} v{rebuilder.views[name].version}.{retired[name]}\n"
        for name in sorted(REPORT_VIEWS)
    )
    assert reads(api) == filled


def test_a_new_version_is_built_while_the_old_one_serves_and_then_serves(
    api, ledger, filled, database_url, monkeypatch
):
    """A deployment raising the version of `balances`: the new release's worker builds
    it beside the old, whose processes go on answering from theirs; the new release's
    processes read it once it has caught up."""
    kind = CATALOG["balances"]
    raised = replace(kind, model=type("BalancesNext", (kind.model,), {"version": 99}))
    monkeypatch.setitem(catalog.CATALOG, "balances", raised)
    new_release = Projections(ledger)
    assert new_release.views["balances"].version == 99
    assert not new_release.serving["balances"]
    worker = Follower(new_release, batch_size=5)
    during: list[dict[str, object]] = []
    worker.apply_to(new_release.projections["balances"], lambda _: during.append(reads(api)))
    assert worker.catch_up()
    assert new_release.serving["balances"]
    assert during and all(answer == filled for answer in during)
    assert reads(api) == filled  # the old release's process, still on its version

    settings = Settings.from_environment({"DATABASE_URL": database_url})
    new_app = create_app(settings)
    new_api = ApiClient(new_app, new_app.test_client(), api.token)
    try:
        assert reads(new_api) == filled
    finally:
        close_app(new_app)
    states = {(g.version, g.state) for g in new_release.all_generations() if g.name == "balances"}
    assert states == {(kind.version, "serving"), (99, "serving")}


def test_a_read_waiting_on_other_read_models_still_switches_to_a_rebuilt_one(app, ledger):
    """A page may read a read model it does not wait for (`fresh` names the others):
    the switch is noticed all the same, by every look at the positions."""
    with app.app_context():
        served = runtime().projections()
    before = served.views["team"].generation
    rebuild(Projections(ledger), "team")
    served.positions(["balances"])
    assert served.views["team"].generation == before + 1
