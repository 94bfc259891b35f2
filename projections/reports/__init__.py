"""The monthly, capacity and late-activity reports, built from the views alone:
their cost follows the number of allocations, members and the month's activities,
never the length of the event log. Shapes as in docs/reference/api.md, "Report shapes"."""

from projections.reports.capacity import capacity_report
from projections.reports.late import late_report
from projections.reports.monthly import monthly_report

__all__ = ["capacity_report", "late_report", "monthly_report"]
