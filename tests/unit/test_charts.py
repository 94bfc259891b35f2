"""The server-side charts: pure functions, checked by parsing their markup as XML and
reading positions back through the chart's own labelled axes."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from markupsafe import Markup

from service.web.pages.charts import burn_chart, monthly_bars, pace_bar

SVG = "{http://www.w3.org/2000/svg}"
START, END = date(2026, 1, 1), date(2026, 2, 10)  # 40 days: a day per unit of a 40-unit plan
ALLOWED_TAGS = {"svg", "g", "title", "desc", "rect", "line", "polyline", "text"}


def burn(**overrides) -> ET.Element:
    arguments = {
        "title": "Docs, Ana",
        "start": START,
        "end": END,
        "granted": 40,
        "usage": [],
        "today": START + timedelta(days=25),
    }
    arguments.update(overrides)
    markup = burn_chart(**arguments)
    assert isinstance(markup, Markup)
    return ET.fromstring(str(markup))


def bars(months: list[tuple[str, int]], title: str = "Units per month") -> ET.Element:
    markup = monthly_bars(title=title, months=months)
    assert isinstance(markup, Markup)
    return ET.fromstring(str(markup))


def pace(**arguments) -> ET.Element:
    markup = pace_bar(**arguments)
    assert isinstance(markup, Markup)
    return ET.fromstring(str(markup))


def by_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if name in e.get("class", "").split()]


def one(root: ET.Element, name: str) -> ET.Element:
    found = by_class(root, name)
    assert len(found) == 1, f"expected one element of class {name!r}, found {len(found)}"
    return found[0]


def scales(root: ET.Element):
    """The chart's x (from its first- and last-day ticks) and y (from its labelled gridlines)."""
    ticks = one(root, "y-ticks")
    values = [int(t.text) for t in ticks.iter(f"{SVG}text")]
    heights = [float(line.get("y1")) for line in ticks.iter(f"{SVG}line")]
    assert values[0] == 0 and len(values) >= 2
    per_unit = (heights[-1] - heights[0]) / values[-1]
    x_start = float(one(root, "x-start").find(f"{SVG}line").get("x1"))
    x_end = float(one(root, "x-end").find(f"{SVG}line").get("x1"))
    per_day = (x_end - x_start) / (END - START).days

    def x(day: date) -> float:
        return x_start + (day - START).days * per_day

    def y(units: float) -> float:
        return heights[0] + units * per_unit

    return x, y


def used_points(root: ET.Element) -> list[tuple[float, float]]:
    points = one(root, "used").get("points").split()
    return [(float(a), float(b)) for a, b in (point.split(",") for point in points)]


def text_of(root: ET.Element, tag: str) -> str:
    return root.find(f"{SVG}{tag}").text


# burn_chart


def test_burn_chart_plan_line_runs_from_zero_at_start_to_the_grant_at_end():
    chart = burn()
    x, y = scales(chart)
    plan = one(chart, "plan")
    assert float(plan.get("x1")) == pytest.approx(x(START), abs=0.01)
    assert float(plan.get("y1")) == pytest.approx(y(0), abs=0.01)
    assert float(plan.get("x2")) == pytest.approx(x(END), abs=0.01)
    assert float(plan.get("y2")) == pytest.approx(y(40), abs=0.01)


def test_burn_chart_granted_line_is_dashed_at_the_grant():
    chart = burn()
    _, y = scales(chart)
    granted = one(chart, "granted").find(f"{SVG}line")
    assert float(granted.get("y1")) == float(granted.get("y2")) == pytest.approx(y(40), abs=0.01)
    assert granted.get("stroke-dasharray")


def test_burn_chart_used_line_steps_up_on_each_day_and_ends_today_at_the_total():
    today = START + timedelta(days=25)
    chart = burn(usage=[(START + timedelta(days=3), 5), (START + timedelta(days=10), 7)])
    x, y = scales(chart)
    points = used_points(chart)
    assert points[0] == pytest.approx((x(START), y(0)), abs=0.01)
    assert points[-1] == pytest.approx((x(today), y(12)), abs=0.01)
    heights = [round(b, 2) for _, b in points]
    assert sorted(set(heights), reverse=True) == [round(y(n), 2) for n in (0, 5, 12)]


def test_burn_chart_usage_after_today_is_not_drawn():
    today = START + timedelta(days=10)
    chart = burn(
        usage=[(START + timedelta(days=2), 4), (today + timedelta(days=1), 30)], today=today
    )
    x, y = scales(chart)
    points = used_points(chart)
    assert points[-1] == pytest.approx((x(today), y(4)), abs=0.01)
    assert max(a for a, _ in points) == pytest.approx(x(today), abs=0.01)
    assert text_of(chart, "desc").startswith("4 of 40 units used by 2026-01-11")


def test_burn_chart_entries_on_the_same_day_add_up_to_one_step():
    day = START + timedelta(days=5)
    chart = burn(usage=[(day, 3), (day, 4), (day, 1)])
    x, y = scales(chart)
    on_that_day = [b for a, b in used_points(chart) if a == pytest.approx(x(day), abs=0.01)]
    assert on_that_day == pytest.approx([y(0), y(8)], abs=0.01)


def test_burn_chart_entries_outside_the_period_are_drawn_at_its_edges():
    chart = burn(
        usage=[(START - timedelta(days=30), 2), (END + timedelta(days=3), 5)],
        today=END + timedelta(days=20),
    )
    x, y = scales(chart)
    points = used_points(chart)
    assert points[0] == pytest.approx((x(START), y(0)), abs=0.01)
    assert points[1] == pytest.approx((x(START), y(2)), abs=0.01)
    assert points[-1] == pytest.approx((x(END), y(7)), abs=0.01)
    assert max(a for a, _ in points) == pytest.approx(x(END), abs=0.01)


def test_burn_chart_before_the_period_starts_draws_only_the_plan():
    chart = burn(usage=[(START, 5)], today=START - timedelta(days=1))
    assert by_class(chart, "used") == []
    assert one(chart, "plan") is not None
    assert text_of(chart, "desc") == "None of 40 units used yet; the period starts on 2026-01-01."


def test_burn_chart_desc_gives_used_and_the_plan_for_today():
    chart = burn(usage=[(START + timedelta(days=1), 12)])
    assert (
        text_of(chart, "desc") == "12 of 40 units used by 2026-01-26; the plan for that day is 25."
    )


def test_burn_chart_overrun_shows_above_the_grant_inside_the_view_box():
    chart = burn(usage=[(START + timedelta(days=1), 55)])
    _, y = scales(chart)
    granted_y = float(one(chart, "granted").find(f"{SVG}line").get("y1"))
    last_y = used_points(chart)[-1][1]
    assert last_y == pytest.approx(y(55), abs=0.01)
    assert 0 <= last_y < granted_y


def test_burn_chart_y_ticks_are_integers_from_zero_even_with_nothing_granted():
    chart = burn(granted=0)
    labels = [t.text for t in one(chart, "y-ticks").iter(f"{SVG}text")]
    assert labels == ["0", "1"]


def test_burn_chart_x_axis_labels_first_and_last_day_and_months_between_when_they_fit():
    chart = burn(start=date(2026, 3, 1), end=date(2026, 5, 31), today=date(2026, 3, 1))
    assert one(chart, "x-start").find(f"{SVG}text").text == "2026-03-01"
    assert one(chart, "x-end").find(f"{SVG}text").text == "2026-05-31"
    months = [t.text for t in one(chart, "x-months").iter(f"{SVG}text")]
    assert months == ["2026-04", "2026-05"]


def test_burn_chart_leaves_out_a_month_label_that_would_overlap_the_first_days():
    chart = burn(start=date(2026, 3, 30), end=date(2026, 4, 20), today=date(2026, 3, 30))
    months = one(chart, "x-months")
    assert len(list(months.iter(f"{SVG}line"))) == 1, "the month's tick stays"
    assert list(months.iter(f"{SVG}text")) == []


def test_burn_chart_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="ends"):
        burn(end=START - timedelta(days=1))


# What every chart shares: accessibility, escaping, scaling, plain SVG 1.1.

CHARTS = {
    "burn": lambda title: burn(title=title, usage=[(START, 3)]),
    "bars": lambda title: bars([("2026-01", 3), ("2026-02", 5)], title=title),
    "no bars": lambda title: bars([], title=title),
    "24 bars, upright labels": lambda title: bars(
        [(f"2025-{i % 12 + 1:02d}", 1000 * i) for i in range(24)], title=title
    ),
}


@pytest.mark.parametrize("kind", sorted(CHARTS))
def test_chart_aria_labelledby_points_at_its_title_and_desc(kind):
    chart = CHARTS[kind]("Docs, Ana")
    assert chart.get("role") == "img"
    title_id, desc_id = chart.get("aria-labelledby").split()
    ids = {e.get("id"): e for e in chart.iter() if e.get("id")}
    assert ids[title_id].tag == f"{SVG}title" and ids[title_id].text == "Docs, Ana"
    assert ids[desc_id].tag == f"{SVG}desc" and ids[desc_id].text.endswith(".")


@pytest.mark.parametrize("kind", sorted(CHARTS))
def test_chart_title_with_a_script_is_escaped_not_markup(kind):
    title = '<script>alert("x")</script> & co'
    chart = CHARTS[kind](title)
    assert not [e for e in chart.iter() if e.tag.endswith("script")]
    assert text_of(chart, "title") == title


@pytest.mark.parametrize("kind", sorted(CHARTS))
def test_chart_scales_to_its_container_and_uses_only_plain_svg(kind):
    chart = CHARTS[kind]("Docs")
    assert chart.get("width") == "100%" and chart.get("height") is None
    assert chart.get("preserveAspectRatio") == "xMidYMid meet"
    _, _, width, height = map(float, chart.get("viewBox").split())
    assert {e.tag.removeprefix(SVG) for e in chart.iter()} <= ALLOWED_TAGS
    assert all(e.get("style") is None for e in chart.iter())
    for element in chart.iter():
        for name in ("x", "x1", "x2"):
            if element.get(name) is not None:
                assert 0 <= float(element.get(name)) <= width, ET.tostring(element)
        for name in ("y", "y1", "y2"):
            if element.get(name) is not None:
                assert 0 <= float(element.get(name)) <= height, ET.tostring(element)


def test_chart_ids_differ_between_charts_and_repeat_for_the_same_chart():
    first, again = burn(title="Docs, Ana"), burn(title="Docs, Ana")
    other = burn(title="Docs, Ben")
    later = burn(title="Docs, Ana", start=START + timedelta(days=1))
    assert first.get("aria-labelledby") == again.get("aria-labelledby")
    assert len({c.get("aria-labelledby") for c in (first, other, later)}) == 3


def test_chart_id_given_by_the_caller_is_used_and_must_be_a_plain_token():
    chart = burn(chart_id="allocation-7")
    assert chart.get("aria-labelledby") == "allocation-7-title allocation-7-desc"
    with pytest.raises(ValueError):
        burn(chart_id='x" onload="alert(1)')


# monthly_bars

MONTHS = [("2026-01", 10), ("2026-02", 25), ("2026-03", 0), ("2026-04", 5)]


def test_monthly_bars_one_bar_per_month_with_heights_proportional_to_units():
    chart = bars(MONTHS)
    rects = by_class(chart, "bar")
    assert len(rects) == len(MONTHS)
    heights = [float(r.get("height")) for r in rects]
    per_unit = heights[1] / 25
    assert heights == pytest.approx([units * per_unit for _, units in MONTHS], abs=0.01)
    bottoms = {round(float(r.get("y")) + float(r.get("height")), 2) for r in rects}
    assert len(bottoms) == 1, "bars should stand on one baseline"


def test_monthly_bars_write_each_month_under_and_each_value_above_its_bar():
    chart = bars(MONTHS)
    assert [t.text for t in by_class(chart, "month")] == [m for m, _ in MONTHS]
    assert [t.text for t in by_class(chart, "value")] == [str(u) for _, u in MONTHS]
    for rect, value in zip(by_class(chart, "bar"), by_class(chart, "value"), strict=True):
        assert float(value.get("y")) < float(rect.get("y"))
    titles = [r.find(f"{SVG}title").text for r in by_class(chart, "bar")]
    assert titles[1] == "2026-02: 25 units"


def test_monthly_bars_desc_gives_the_total_and_the_busiest_month():
    assert text_of(bars(MONTHS), "desc") == (
        "40 units recorded from 2026-01 to 2026-04; the most in one month was 25, in 2026-02."
    )
    assert text_of(bars([("2026-03", 1)]), "desc") == "1 unit recorded in 2026-03."


def test_monthly_bars_twenty_four_months_fit_side_by_side_with_every_label():
    months = [(f"{2025 + i // 12}-{i % 12 + 1:02d}", 100 + i) for i in range(24)]
    chart = bars(months)
    width = float(chart.get("viewBox").split()[2])
    rects = by_class(chart, "bar")
    spans = [(float(r.get("x")), float(r.get("x")) + float(r.get("width"))) for r in rects]
    assert all(0 <= left < right <= width for left, right in spans)
    assert all(a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False)), "bars overlap"
    labels = by_class(chart, "month")
    assert [t.text for t in labels] == [m for m, _ in months]
    assert all(t.get("transform", "").startswith("rotate(-90") for t in labels)


def test_monthly_bars_sixty_months_label_every_other_month_and_keep_every_bar():
    months = [(f"{2022 + i // 12}-{i % 12 + 1:02d}", 5) for i in range(60)]
    chart = bars(months)
    assert len(by_class(chart, "bar")) == 60
    labels = [t.text for t in by_class(chart, "month")]
    assert labels == [m for m, _ in months[::2]]


def test_monthly_bars_month_label_is_escaped():
    chart = bars([("<b>2026-01</b>", 3)])
    assert one(chart, "month").text == "<b>2026-01</b>"
    assert not [e for e in chart.iter() if e.tag.endswith("}b")]


def test_monthly_bars_with_no_months_renders_a_small_chart_saying_so():
    chart = bars([])
    assert text_of(chart, "desc") == "No units were recorded."
    assert by_class(chart, "bar") == []
    assert float(chart.get("viewBox").split()[3]) <= 60


# pace_bar


def widths(bar: ET.Element) -> tuple[str, str]:
    """The fill's width and the marker's position, in % of the bar (its viewBox is 100 wide)."""
    assert one(bar, "pace-drawing").get("viewBox") == "0 0 100 10"
    fill = one(bar, "pace-fill").get("width")
    marker = one(bar, "pace-marker")
    assert marker.get("x1") == marker.get("x2")
    return fill, marker.get("x1")


def test_pace_bar_fills_the_used_share_and_marks_the_time_gone():
    bar = pace(used=12, granted=40, elapsed=0.6)
    assert bar.tag == "div" and bar.get("class") == "pace"
    assert widths(bar) == ("30", "60")
    assert one(bar, "visually-hidden").text == "12 of 40 units used, 60% of the period gone"


def test_pace_bar_drawing_is_hidden_from_screen_readers_but_its_text_is_not():
    bar = pace(used=1, granted=4, elapsed=0.5)
    assert one(bar, "pace-drawing").get("aria-hidden") == "true"
    assert one(bar, "visually-hidden").get("aria-hidden") is None


def test_pace_bar_over_the_grant_is_full_and_marked_over():
    bar = pace(used=45, granted=40, elapsed=0.9)
    assert bar.get("class").split() == ["pace", "over"]
    assert widths(bar)[0] == "100"
    assert one(bar, "visually-hidden").text.startswith("45 of 40 units used")


@pytest.mark.parametrize(
    ("used", "fill", "classes"), [(0, "0", ["pace"]), (3, "100", ["pace", "over"])]
)
def test_pace_bar_with_nothing_granted_does_not_divide_by_zero(used, fill, classes):
    bar = pace(used=used, granted=0, elapsed=0.5)
    assert widths(bar)[0] == fill
    assert bar.get("class").split() == classes


@pytest.mark.parametrize(
    ("elapsed", "left", "said"),
    [(-0.5, "0", "0%"), (1.7, "100", "100%"), (math.nan, "0", "0%")],
)
def test_pace_bar_clamps_elapsed_to_the_period(elapsed, left, said):
    bar = pace(used=1, granted=2, elapsed=elapsed)
    assert widths(bar)[1] == left
    assert one(bar, "visually-hidden").text.endswith(f"{said} of the period gone")


def test_no_chart_carries_a_style_attribute():
    """The Content-Security-Policy refuses inline styles, in SVG as in HTML."""
    drawn = [
        burn(usage=[(START + timedelta(days=3), 5)]),
        bars([("2026-01", 4), ("2026-02", 9)]),
        pace(used=12, granted=40, elapsed=0.6),
    ]
    styled = [e.tag for root in drawn for e in root.iter() if "style" in e.attrib]
    assert not styled and not [e for root in drawn for e in root.iter(f"{SVG}style")]
