"""The engagement page's units per month (its bar chart's data) run from the first month
with units to the last without a gap: a month with none is there as 0 (issue 21: the
chart jumped from 2024-10 to 2026-08 as if they were neighbours)."""

from service.web.pages.engagement_pages import units_by_month


def test_months_without_units_between_the_first_and_the_last_are_zero():
    activities = {
        "a": [{"month": "2024-10", "units": 6}, {"month": "2025-01", "units": 1}],
        "b": [{"month": "2025-01", "units": 3}],
    }
    assert units_by_month(activities) == [
        ("2024-10", 6),
        ("2024-11", 0),
        ("2024-12", 0),
        ("2025-01", 4),
    ]


def test_no_activities_no_months():
    assert units_by_month({"a": []}) == []
