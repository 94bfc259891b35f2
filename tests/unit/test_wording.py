"""How the pages word a count ("1 unit", never "1 units") and label a table's cells
with their column's heading (the phone's card layout reads them)."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from service.web.pages.wording import labelled_cells, plural


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, "1 unit"), (-1, "-1 unit"), (0, "0 units"), (3, "3 units"), (-7, "-7 units")],
)
def test_a_count_takes_the_noun_that_goes_with_it(count, expected):
    assert plural(count, "unit") == expected


def test_an_irregular_plural_is_given():
    assert plural(2, "activity", "activities") == "2 activities"
    assert plural(1, "activity", "activities") == "1 activity"


def test_each_cell_is_labelled_with_its_columns_heading_escaped():
    row = Markup('<tr class="x"><td>2026-12-07</td><th scope="row">Ana</th><td>3</td></tr>')
    labelled = labelled_cells(row, ["Date", "Who", 'Units "&"'])
    assert labelled == (
        '<tr class="x"><td data-label="Date">2026-12-07</td>'
        '<th data-label="Who" scope="row">Ana</th>'
        '<td data-label="Units &#34;&amp;&#34;">3</td></tr>'
    )


def test_a_row_with_more_cells_than_headings_keeps_the_rest_unlabelled():
    assert labelled_cells(Markup("<td>a</td><td>b</td>"), ["A"]) == (
        '<td data-label="A">a</td><td>b</td>'
    )
