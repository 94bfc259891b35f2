"""Each report declares the read models it reads (projections/reports/declared.py), and
its callers wait for exactly those: a report that reads one it does not declare, now
or as of a position, fails here rather than serving stale data from it."""

from __future__ import annotations

from typing import Any

import pytest

from projections import Projections
from projections.reports import capacity_report, late_report, monthly_report
from projections.reports.declared import read_models_of
from projections.reports.planning import planning_report
from service.domain.calendar import Month
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
