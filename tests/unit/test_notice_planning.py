"""Planning notices (service/domain/notice_planning.py): each kind is due when its rule
says and not a day before, and planning again gives the same notice ids."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from service.domain.notice_planning import digest_day_of, plan_notices
from service.domain.notices import (
    BD,
    TEAM_CHANNEL,
    AllocationFacts,
    Kind,
    MemberFacts,
    NoticeRules,
    PlanningFacts,
    WorkFacts,
)

RULES = NoticeRules()
ALICE = MemberFacts("alice", line_manager="maria", started_on=date(2026, 1, 1))


def allocation(**terms) -> AllocationFacts:
    values = dict(
        id="a1",
        engagement_id="e1",
        provider="alice",
        start=date(2026, 11, 2),
        end=date(2026, 12, 31),
        units=100,
        units_used=10,
    )
    return AllocationFacts(**{**values, **terms})


def work(date_from: date, date_to: date | None = None, **more) -> WorkFacts:
    values = dict(allocation_id="a1", member="alice", recorded_on=date_to or date_from)
    return WorkFacts(date_from=date_from, date_to=date_to or date_from, **{**values, **more})


def planned(kind: Kind, on: datetime, *allocations, work=(), members=(ALICE,)) -> list:
    facts = PlanningFacts(tuple(members), tuple(allocations), tuple(work))
    return [n for n in plan_notices(facts, on, RULES) if n.kind == kind]


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour)


# Missing time


def test_missing_time_is_due_after_seven_quiet_working_days_and_not_before():
    last = date(2026, 11, 13)  # a Friday: the spell begins the day after, quiet from Monday
    quiet = allocation(provider_last_day=last)
    assert planned(Kind.MISSING_TIME, at(date(2026, 11, 24)), quiet) == []  # 6 working days
    (notice,) = planned(Kind.MISSING_TIME, at(date(2026, 11, 25)), quiet)  # 7: 16-24 Nov
    assert (notice.subject, notice.period, notice.recipient) == ("a1", "2026-11-14", "alice")
    assert notice.facts["working_days"] == 7


def test_missing_time_counts_from_the_start_when_nothing_was_recorded():
    (notice,) = planned(Kind.MISSING_TIME, at(date(2026, 11, 11)), allocation())
    assert notice.period == "2026-11-02"


def test_missing_time_keeps_its_id_through_the_spell_and_a_new_entry_starts_another():
    quiet = allocation(provider_last_day=date(2026, 11, 13))
    first = planned(Kind.MISSING_TIME, at(date(2026, 11, 25)), quiet)
    later = planned(Kind.MISSING_TIME, at(date(2026, 11, 30)), quiet)
    assert [n.id for n in first] == [n.id for n in later]
    recorded = allocation(provider_last_day=date(2026, 11, 20))
    assert planned(Kind.MISSING_TIME, at(date(2026, 11, 30)), recorded) == []


@pytest.mark.parametrize(
    "terms",
    [
        {"cancelled_on": date(2026, 11, 5)},
        {"units_used": 100},  # exhausted
        {"start": date(2026, 12, 1)},  # upcoming
        {"provider": None},
    ],
    ids=["cancelled", "exhausted", "upcoming", "no provider"],
)
def test_missing_time_is_only_for_an_active_allocations_provider(terms):
    assert planned(Kind.MISSING_TIME, at(date(2026, 11, 25)), allocation(**terms)) == []


def test_missing_time_spares_a_departed_provider():
    gone = MemberFacts("alice", "maria", date(2026, 1, 1), departed_on=date(2026, 11, 20))
    assert planned(Kind.MISSING_TIME, at(date(2026, 11, 25)), allocation(), members=[gone]) == []


# Late soon


def test_late_soon_is_due_three_days_before_a_work_day_turns_late_and_not_before():
    monday = date(2026, 11, 2)  # late once recorded after 16 November
    covered_after = [work(monday + timedelta(days=1), date(2026, 11, 30))]
    assert planned(Kind.LATE_SOON, at(date(2026, 11, 12)), allocation(), work=covered_after) == []
    (notice,) = planned(Kind.LATE_SOON, at(date(2026, 11, 13)), allocation(), work=covered_after)
    assert (notice.subject, notice.period) == ("alice", "2026-W45")
    assert notice.facts["days"] == ["2026-11-02"]
    assert notice.facts["late_after"] == "2026-11-16"


def test_late_soon_is_not_due_for_covered_days_weekends_or_days_before_the_allocation():
    everything = [work(date(2026, 11, 2), date(2026, 11, 30))]
    assert planned(Kind.LATE_SOON, at(date(2026, 11, 13)), allocation(), work=everything) == []
    saturday_start = allocation(start=date(2026, 11, 7))
    on_saturday = at(date(2026, 11, 18))  # 7 November + 14 - 3 days
    assert planned(Kind.LATE_SOON, on_saturday, saturday_start) == []


def test_late_soon_is_one_notice_per_week_whatever_day_it_is_planned():
    first = planned(Kind.LATE_SOON, at(date(2026, 11, 13)), allocation())
    again = planned(Kind.LATE_SOON, at(date(2026, 11, 15)), allocation())
    assert [n.id for n in first] == [n.id for n in again]


# Budget thresholds


def test_budget_threshold_tells_provider_bd_and_channel_at_80_percent_and_not_at_79():
    today = at(date(2026, 11, 20))
    assert planned(Kind.BUDGET_THRESHOLD, today, allocation(units_used=79)) == []
    notices = planned(Kind.BUDGET_THRESHOLD, today, allocation(units_used=80))
    assert {(n.period, n.recipient) for n in notices} == {
        ("80%", "alice"),
        ("80%", BD),
        ("80%", TEAM_CHANNEL),
    }


def test_budget_over_100_percent_plans_both_thresholds_with_ids_that_never_change():
    notices = planned(Kind.BUDGET_THRESHOLD, at(date(2026, 11, 20)), allocation(units_used=120))
    assert {n.period for n in notices} == {"80%", "100%"}
    corrected_back_and_over = planned(
        Kind.BUDGET_THRESHOLD, at(date(2026, 11, 27)), allocation(units_used=101)
    )
    assert {n.id for n in corrected_back_and_over} == {n.id for n in notices}


def test_budget_threshold_leaves_cancelled_and_long_ended_allocations_alone():
    today = at(date(2026, 11, 20))
    cancelled = allocation(units_used=90, cancelled_on=date(2026, 11, 10))
    ended = allocation(units_used=90, end=date(2026, 11, 5))
    assert planned(Kind.BUDGET_THRESHOLD, today, cancelled, ended) == []


# Ending with hours unused


def test_ending_unused_is_due_fourteen_days_before_the_end_and_not_fifteen():
    ends = allocation(end=date(2026, 12, 15), units_used=74)  # 26 % unused
    assert planned(Kind.ENDING_UNUSED, at(date(2026, 11, 30)), ends) == []
    notices = planned(Kind.ENDING_UNUSED, at(date(2026, 12, 1)), ends)
    assert {(n.period, n.recipient) for n in notices} == {
        ("2026-12-15", "alice"),
        ("2026-12-15", BD),
        ("2026-12-15", TEAM_CHANNEL),
    }
    assert notices[0].facts["units_unused"] == 26


def test_ending_unused_is_not_due_with_a_quarter_or_less_unused():
    ends = allocation(end=date(2026, 12, 15), units_used=75)
    assert planned(Kind.ENDING_UNUSED, at(date(2026, 12, 1)), ends) == []


# Weekly digest


def test_weekly_digest_is_due_from_monday_eight_until_the_weeks_end():
    rules = NoticeRules()
    monday = date(2026, 12, 7)
    assert digest_day_of(at(monday, 7), rules) is None
    assert digest_day_of(at(monday, 8), rules) == monday
    assert digest_day_of(at(monday + timedelta(days=6), 23), rules) == monday
    assert digest_day_of(at(monday - timedelta(days=1), 23), rules) == monday - timedelta(days=7)


def test_weekly_digest_lists_a_managers_late_entries_and_silent_providers_of_the_past_week():
    monday = date(2026, 12, 7)
    bob = MemberFacts("bob", line_manager="maria", started_on=date(2026, 1, 1))
    late = work(date(2026, 11, 2), recorded_on=date(2026, 12, 2), late=True, member="bob")
    assert (
        planned(Kind.WEEKLY_DIGEST, at(monday, 7), allocation(), work=[late], members=[ALICE, bob])
        == []
    )
    (digest,) = planned(
        Kind.WEEKLY_DIGEST, at(monday, 8), allocation(), work=[late], members=[ALICE, bob]
    )
    assert (digest.subject, digest.period, digest.recipient) == ("maria", "2026-12-07", "maria")
    assert [e["member"] for e in digest.facts["late"]] == ["bob"]
    assert digest.facts["silent"] == [{"member": "alice", "allocation_id": "a1"}]


def test_weekly_digest_with_nothing_to_tell_is_not_sent():
    monday = date(2026, 12, 7)
    worked = [work(date(2026, 11, 30), date(2026, 12, 4))]
    assert planned(Kind.WEEKLY_DIGEST, at(monday, 9), allocation(), work=worked) == []
