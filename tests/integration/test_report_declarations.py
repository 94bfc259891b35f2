"""Each report and query declares the read models it reads (projections/reports/declared.py),
and its callers wait for exactly those: a report that reads one it does not declare, now
or as of a position, fails here rather than serving stale data from it; and a read
through `fresh` that uses one its query does not declare fails instead of serving it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from projections import Projections
from projections.catalog import NAMES
from projections.reports import capacity_report, late_report, monthly_report
from projections.reports.declared import DECLARED, read_models_of
from projections.reports.member_activities import (
    member_activities,
    member_activity,
    member_allocations,
)
from projections.reports.notices import (
    due_notification_ids,
    given_up_notifications,
    notification_counts,
    planning_facts,
    switched_off,
)
from projections.reports.planning import planning_report
from projections.reports.queries import (
    access_grants,
    activities_of_allocation,
    allocation_row,
    allocations_page,
    allocations_to_hand_over,
    engagement_row,
    engagement_with_allocations,
    engagements_page,
    member_names,
    merkle_tree,
    team_members,
)
from service.domain.calendar import Month
from service.web.http.reads import UndeclaredRead, fresh, read_fresh
from tests.support.dates import TODAY
from tests.support.projections import served_and_caught_up
from tests.support.worlds import busy_world


class Recording:
    """The read models, noting which ones a report reads."""

    def __init__(self, projections: Projections):
        self.projections = projections
        self.read: set[str] = set()

    def view(self, name: str) -> Any:
        self.read.add(name)
        return self.projections.view(name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.projections, name)


MONTH = Month.of(TODAY)
NOW = datetime.now(UTC)
REPORTS = {
    monthly_report: lambda models, as_of: monthly_report(models, MONTH, TODAY, None, as_of),
    capacity_report: lambda models, as_of: capacity_report(models, MONTH, as_of),
    planning_report: lambda models, as_of: planning_report(models, MONTH, MONTH, as_of),
    late_report: lambda models, as_of: late_report(models, MONTH, TODAY, as_of),
}


@pytest.mark.parametrize("report", REPORTS, ids=lambda report: report.__name__)
def test_a_report_reads_only_the_read_models_it_declares(api, world, app, report):
    busy_world(api, world)
    served = served_and_caught_up(app)
    for as_of in (None, api.log_size() // 2):
        recording = Recording(served)
        REPORTS[report](recording, as_of)
        declared = set(read_models_of(report, as_of=as_of is not None))
        assert recording.read and recording.read <= declared, (as_of, recording.read)


# The queries of one read model the API's lists and the pages make (reports/queries.py)

QUERIES = {
    member_names: lambda models, world: member_names(models),
    allocations_to_hand_over: lambda models, world: allocations_to_hand_over(
        models, "ana", today=TODAY, leaving=TODAY
    ),
    access_grants: lambda models, world: access_grants(models),
    engagements_page: lambda models, world: engagements_page(models, limit=5, offset=0),
    engagement_row: lambda models, world: engagement_row(models, world["engagement"]["id"]),
    engagement_with_allocations: lambda models, world: engagement_with_allocations(
        models, world["engagement"]["id"]
    ),
    allocation_row: lambda models, world: allocation_row(models, world["allocation"]["id"]),
    allocations_page: lambda models, world: allocations_page(
        models, today=TODAY, limit=5, offset=0
    ),
    team_members: lambda models, world: team_members(models),
    activities_of_allocation: lambda models, world: activities_of_allocation(
        models, world["allocation"]["id"]
    ),
    merkle_tree: lambda models, world: merkle_tree(models).size(),
    planning_facts: lambda models, world: planning_facts(models, NOW, UTC),
    due_notification_ids: lambda models, world: due_notification_ids(models, NOW),
    switched_off: lambda models, world: switched_off(models),
    given_up_notifications: lambda models, world: given_up_notifications(models),
    notification_counts: lambda models, world: notification_counts(models),
    member_activities: lambda models, world: member_activities(models, "ana", limit=5),
    member_activity: lambda models, world: member_activity(models, "ana", "no-such-id"),
    member_allocations: lambda models, world: member_allocations(models, "ana"),
}


@pytest.mark.parametrize("query", QUERIES, ids=lambda query: query.__name__)
def test_a_query_reads_only_the_read_models_it_declares(api, world, app, query):
    busy_world(api, world)
    recording = Recording(served_and_caught_up(app))
    QUERIES[query](recording, world)
    assert recording.read and recording.read <= set(read_models_of(query)), recording.read


def test_every_declared_read_of_the_read_side_is_held_to_its_declaration_here():
    """A new report or query declared in projections/ must be added above."""
    declared = {read for read in DECLARED if read.__module__.startswith("projections.")}
    assert declared == set(REPORTS) | set(QUERIES)


def test_a_read_waits_for_what_its_query_declares_and_reads_nothing_else(app, monkeypatch):
    """`fresh` waits for exactly the read models the query declares (those it reads as of
    a position too, when asked as of one), every declared read of the service's, and
    hands out read models that refuse any other."""
    waited: list[tuple[str, ...]] = []

    def await_position(read_models, names, target, **kwargs):
        waited.append(tuple(names))

    monkeypatch.setattr("service.web.http.reads.await_position", await_position)
    with app.app_context():
        assert len(DECLARED) > len(REPORTS) + len(QUERIES)  # the pages' and API's own too
        for read in DECLARED:
            for as_of in (False, True):
                read_models = fresh(read, None, as_of=as_of)
                expected = set(read.reads) | (set(read.reads_as_of) if as_of else set())
                assert set(waited.pop()) == expected, read
                for name in NAMES:
                    if name in expected:
                        assert read_models.view(name) is read_models.views[name]
                    else:
                        with pytest.raises(UndeclaredRead):
                            read_models.view(name)


def test_a_read_model_read_but_not_declared_fails_the_read_instead_of_serving_it_stale(
    app, world, monkeypatch
):
    monkeypatch.setattr(team_members, "reads", ("balances",))
    with app.app_context(), pytest.raises(UndeclaredRead, match="'team' read but not declared"):
        read_fresh(team_members, None)


def test_a_read_is_refused_a_list_of_read_models(app):
    with app.app_context(), pytest.raises(TypeError, match="no declared read"):
        fresh(("balances",), None)  # type: ignore[arg-type]
