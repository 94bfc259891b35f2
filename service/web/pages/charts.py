"""Charts for the engagement pages and the monthly report PDF, drawn on the server as SVG.

Why on the server: the same markup has to appear in the PDF (WeasyPrint runs no scripts), the
pages must work without JavaScript, and nothing may come from a CDN
(docs/explanation/web-app.md). Why so plain: WeasyPrint 70 draws SVG 1.1 shapes and text but
not CSS variables or foreignObject, so colours are presentation attributes and the only
elements are rect, line, polyline, text, g, title, desc.

Every chart has a viewBox, width="100%" and no fixed height, so it shrinks with its column down
to a phone's width instead of forcing a horizontal scroll. A screen reader announces its title
and its desc, so the desc carries, in one sentence, the numbers a sighted reader takes from the
picture. The element ids those two need are derived from the chart's content, so a page with
several charts keeps them unique without the caller counting.

Pure functions, no Flask, no I/O: the caller passes `today`, so a page and its PDF agree."""

from __future__ import annotations

import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import date

from markupsafe import Markup, escape

from service.domain.calendar import Month
from service.web.pages.wording import plural

# Contrast on white (WCAG AA asks 4.5:1 for text, 3:1 for graphics): #1f5fa8 is 6.6:1,
# #555555 7.5:1, #333333 12.6:1. The grid is decoration and may be faint.
USED_COLOUR = "#1f5fa8"
PLAN_COLOUR = "#555555"
TEXT_COLOUR = "#333333"
GRID_COLOUR = "#dddddd"
FONT_SIZE = 12
# A generous advance per character at FONT_SIZE: used only to decide whether labels fit.
CHAR_WIDTH = 7.0
DATE_WIDTH = 10 * CHAR_WIDTH  # "2026-01-31"
MONTH_WIDTH = 7 * CHAR_WIDTH  # "2026-01"

WIDTH = 480
# The burn chart's plot area, in viewBox units: room on the left for the y labels, above for
# the legend, below for the dates.
LEFT, RIGHT, TOP, BOTTOM = 44.0, 466.0, 34.0, 214.0
BURN_HEIGHT = 240
# The bar chart's side padding and the height of its tallest bar.
PAD, BARS_HEIGHT = 12.0, 160.0

_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")


def burn_chart(
    *,
    title: str,
    start: date,
    end: date,
    granted: int,
    usage: list[tuple[date, int]],
    today: date,
    chart_id: str | None = None,
) -> Markup:
    """One allocation's units used so far against the even pace of its period.

    The used line is a step line because units are recorded per day, not spread over it; it
    stops at today (or the end) because a line running flat into the future would read as a
    forecast. Entries outside the period are drawn at its edge rather than dropped, so the
    line ends at what the allocation's balance says was used by then. The y axis reaches the
    larger of the grant and the use, so an overrun shows above the dashed "granted" line
    instead of off the chart.

    `chart_id` (letters, digits, "-", "_") overrides the id derived from title and period,
    for a page that would show two allocations with the same title and dates."""
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    cid = _chart_id(chart_id, title, start.isoformat(), end.isoformat())
    cutoff = min(today, end)
    daily: dict[date, int] = defaultdict(int)
    for day, units in usage:
        day = min(max(day, start), end)
        if day <= cutoff:
            daily[day] += units
    used = sum(daily.values())
    top = max(granted, used, 1)
    days = (end - start).days

    def x(day: date) -> float:
        return LEFT + (day - start).days / max(days, 1) * (RIGHT - LEFT)

    def y(units: float) -> float:
        return BOTTOM - float(units) / float(top) * (BOTTOM - TOP)

    body = [_y_axis(top, y), *_x_axis(start, end, x, y(0))]
    body.append(
        f'<g class="granted"><line x1="{_n(LEFT)}" y1="{_n(y(granted))}" x2="{_n(RIGHT)}" '
        f'y2="{_n(y(granted))}" stroke="{PLAN_COLOUR}" stroke-width="1" '
        f'stroke-dasharray="2 3"/><text x="{_n(RIGHT)}" y="{_n(y(granted) - 4)}" '
        f'text-anchor="end" fill="{TEXT_COLOUR}">Granted {_int(granted)}</text></g>'
    )
    body.append(
        f'<line class="plan" x1="{_n(x(start))}" y1="{_n(y(0))}" x2="{_n(x(end))}" '
        f'y2="{_n(y(granted))}" stroke="{PLAN_COLOUR}" stroke-width="1.5" '
        f'stroke-dasharray="6 4"/>'
    )
    if today >= start:
        points, total = [(x(start), y(0))], 0
        for day in sorted(daily):
            points.append((x(day), y(total)))
            total += daily[day]
            points.append((x(day), y(total)))
        points.append((x(cutoff), y(total)))
        drawn = [f"{_n(a)},{_n(b)}" for a, b in points]
        drawn = [point for i, point in enumerate(drawn) if i == 0 or point != drawn[i - 1]]
        body.append(
            f'<polyline class="used" points="{" ".join(drawn)}" '
            f'fill="none" stroke="{USED_COLOUR}" stroke-width="2.5"/>'
        )
    body.append(_legend())

    if today < start:
        desc = f"None of {_units(granted)} used yet; the period starts on {start.isoformat()}."
    else:
        plan = granted * (cutoff - start).days / days if days else granted
        desc = (
            f"{_int(used)} of {_units(granted)} used by {cutoff.isoformat()}; "
            f"the plan for that day is {_int(plan)}."
        )
    return _svg(cid, title, desc, BURN_HEIGHT, body)


def monthly_bars(
    *, title: str, months: list[tuple[str, int]], chart_id: str | None = None
) -> Markup:
    """Units per month as bars, each with its value written above it.

    The values are written out because a bar's height alone is hard to read to the unit, and
    the PDF has no hover. Labels are turned upright once they no longer fit side by side, and
    past about thirty months only every n-th is written (each bar keeps its own <title>), so
    two years of history still fit a phone's width."""
    cid = _chart_id(chart_id, title, *(f"{month}={value}" for month, value in months))
    if not months:
        note = (
            f'<text x="{WIDTH / 2:g}" y="26" text-anchor="middle" '
            f'fill="{TEXT_COLOUR}">No units recorded.</text>'
        )
        return _svg(cid, title, "No units were recorded.", 40, [note])

    count = len(months)
    slot = (WIDTH - 2 * PAD) / count
    bar_width = min(slot * 0.7, 48.0)
    every = max(1, math.ceil((FONT_SIZE + 2) / slot))
    value_width = max(len(_int(value)) for _, value in months) * CHAR_WIDTH
    values_flat = slot >= value_width + 4
    months_flat = slot >= MONTH_WIDTH + 4
    plot_top = 8 + (FONT_SIZE + 6 if values_flat else value_width + 8)
    base = plot_top + BARS_HEIGHT
    height = base + (FONT_SIZE + 10 if months_flat else MONTH_WIDTH + 12)
    peak = float(max(max(value for _, value in months), 1))

    body = [
        f'<line class="axis" x1="{_n(PAD)}" y1="{_n(base)}" x2="{_n(WIDTH - PAD)}" '
        f'y2="{_n(base)}" stroke="{TEXT_COLOUR}" stroke-width="1"/>'
    ]
    for index, (month, value) in enumerate(months):
        centre = PAD + slot * (index + 0.5)
        bar = max(float(value), 0.0) / peak * BARS_HEIGHT
        body.append(
            f'<rect class="bar" x="{_n(centre - bar_width / 2)}" y="{_n(base - bar)}" '
            f'width="{_n(bar_width)}" height="{_n(bar)}" fill="{USED_COLOUR}">'
            f"<title>{escape(month)}: {_units(value)}</title></rect>"
        )
        if index % every:
            continue
        body.append(
            _label("value", _int(value), centre, base - bar - 4, flat=values_flat, anchor="start")
        )
        body.append(
            _label("month", escape(month), centre, base + 6, flat=months_flat, anchor="end")
        )

    total = sum(value for _, value in months)
    if count == 1:
        desc = f"{_units(total)} recorded in {months[0][0]}."
    else:
        best_month, best = max(months, key=lambda item: item[1])
        desc = (
            f"{_units(total)} recorded from {months[0][0]} to {months[-1][0]}; "
            f"the most in one month was {_int(best)}, in {best_month}."
        )
    return _svg(cid, title, desc, height, body)


def pace_bar(*, used: int, granted: int, elapsed: float) -> Markup:
    """A bar of units used against the grant, with a marker at the share of time gone.

    An HTML box holding a stretched SVG: the box sits in a table row and takes the row's
    width and the page's colours, and the SVG's shapes take their sizes as attributes,
    where an HTML bar would need `style` attributes, which the Content-Security-Policy
    refuses (service/web/http/headers.py). The drawing is aria-hidden and a visually hidden
    sentence says the same, since a bar and a marker mean nothing read aloud. The page
    CSS styles these classes:

    - `pace`: the track; also gets `over` when more units were used than granted (the
      fill is then full, and the page may colour it).
    - `pace-drawing`: the SVG, 100 units wide, stretched to the track.
    - `pace-fill`: the used share, a rect as wide as the percentage.
    - `pace-marker`: a thin line at the share of the period gone, in %.
    - `visually-hidden`: the text for screen readers, kept off screen by the page CSS.

    Values are clamped, never raised on: a grant of 0 draws an empty bar (or a full one if
    anything was used), and an elapsed outside 0..1 pins the marker to an end."""
    over = used > granted
    if granted > 0:
        filled = min(max(float(used) / float(granted), 0.0), 1.0) * 100
    else:
        filled = 100.0 if used > 0 else 0.0
    gone = min(max(elapsed, 0.0), 1.0) if math.isfinite(elapsed) else 0.0
    text = f"{_int(used)} of {_units(granted)} used, {round(gone * 100)}% of the period gone"
    return Markup(
        f'<div class="{"pace over" if over else "pace"}">'
        '<svg xmlns="http://www.w3.org/2000/svg" class="pace-drawing" viewBox="0 0 100 10" '
        'preserveAspectRatio="none" aria-hidden="true" focusable="false">'
        f'<rect class="pace-fill" x="0" y="0" width="{_n(filled)}" height="10"/>'
        f'<line class="pace-marker" x1="{_n(gone * 100)}" y1="0" x2="{_n(gone * 100)}" '
        'y2="10"/></svg>'
        f'<span class="visually-hidden">{text}</span></div>'
    )


def _svg(cid: str, title: str, desc: str, height: float, body: list[str]) -> Markup:
    """The shared frame: preserveAspectRatio keeps text undistorted as the chart shrinks, and
    the font is set once on the root because text inherits it in SVG."""
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} '
        f'{_n(height)}" width="100%" preserveAspectRatio="xMidYMid meet" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" font-family="sans-serif" '
        f'font-size="{FONT_SIZE}"><title id="{cid}-title">{escape(title)}</title>'
        f'<desc id="{cid}-desc">{escape(desc)}</desc>{"".join(body)}</svg>'
    )


def _y_axis(top: float, y) -> str:
    """Gridlines at round integers, so a reader can interpolate between them."""
    parts = []
    for value in _ticks(top):
        parts.append(
            f'<line x1="{_n(LEFT)}" y1="{_n(y(value))}" x2="{_n(RIGHT)}" y2="{_n(y(value))}" '
            f'stroke="{GRID_COLOUR}" stroke-width="1"/><text x="{_n(LEFT - 6)}" '
            f'y="{_n(y(value) + 4)}" text-anchor="end" fill="{TEXT_COLOUR}">{value}</text>'
        )
    return f'<g class="y-ticks">{"".join(parts)}</g>'


def _x_axis(start: date, end: date, x, base: float) -> Iterator[str]:
    """The baseline, the period's first and last day, and the months between them: every
    month's tick when they are far enough apart to tell, and a label on every first, second,
    third, sixth or twelfth month, whichever is the first to leave room between labels."""
    yield (
        f'<line class="axis" x1="{_n(LEFT)}" y1="{_n(base)}" x2="{_n(RIGHT)}" y2="{_n(base)}" '
        f'stroke="{TEXT_COLOUR}" stroke-width="1"/>'
    )
    month_gap = 28 * (RIGHT - LEFT) / max((end - start).days, 1)
    step = next((k for k in (1, 2, 3, 6, 12) if month_gap * k >= MONTH_WIDTH + 8), None)
    ticks = []
    for first in _month_starts(start, end) if month_gap >= 6 else ():
        at = x(first)
        label = ""
        clear = LEFT + DATE_WIDTH + 6 < at - MONTH_WIDTH / 2 and at + MONTH_WIDTH / 2 < (
            RIGHT - DATE_WIDTH - 6
        )
        if step and clear and (first.month - 1) % step == 0:
            label = (
                f'<text x="{_n(at)}" y="{_n(base + 18)}" text-anchor="middle" '
                f'fill="{TEXT_COLOUR}">{first.isoformat()[:7]}</text>'
            )
        ticks.append(_tick(at, base, 4) + label)
    yield f'<g class="x-months">{"".join(ticks)}</g>'
    for day, anchor in ((start, "start"), (end, "end")):
        yield (
            f'<g class="x-{anchor}">{_tick(x(day), base, 6)}<text x="{_n(x(day))}" '
            f'y="{_n(base + 18)}" text-anchor="{anchor}" fill="{TEXT_COLOUR}">'
            f"{day.isoformat()}</text></g>"
        )


def _tick(at: float, base: float, length: float) -> str:
    return (
        f'<line x1="{_n(at)}" y1="{_n(base)}" x2="{_n(at)}" y2="{_n(base + length)}" '
        f'stroke="{TEXT_COLOUR}" stroke-width="1"/>'
    )


def _legend() -> str:
    """Colour is not the only cue (WCAG 1.4.1): the plan is dashed and the used line thick."""
    return (
        f'<g class="legend"><line x1="{_n(LEFT)}" y1="12" x2="{_n(LEFT + 20)}" y2="12" '
        f'stroke="{USED_COLOUR}" stroke-width="2.5"/><text x="{_n(LEFT + 26)}" y="16" '
        f'fill="{TEXT_COLOUR}">Used</text><line x1="{_n(LEFT + 72)}" y1="12" '
        f'x2="{_n(LEFT + 92)}" y2="12" stroke="{PLAN_COLOUR}" stroke-width="1.5" '
        f'stroke-dasharray="6 4"/><text x="{_n(LEFT + 98)}" y="16" '
        f'fill="{TEXT_COLOUR}">Plan</text></g>'
    )


def _label(kind: str, text: str, centre: float, at: float, *, flat: bool, anchor: str) -> str:
    """A bar's value or month: level when it fits the bar's slot, else turned to read upwards
    (the x offset centres the rotated glyphs on the bar, as their baseline is on the point)."""
    if flat:
        y = at if kind == "value" else at + FONT_SIZE
        return (
            f'<text class="{kind}" x="{_n(centre)}" y="{_n(y)}" text-anchor="middle" '
            f'fill="{TEXT_COLOUR}">{text}</text>'
        )
    x = centre + FONT_SIZE * 0.35
    return (
        f'<text class="{kind}" x="{_n(x)}" y="{_n(at)}" text-anchor="{anchor}" '
        f'transform="rotate(-90 {_n(x)} {_n(at)})" fill="{TEXT_COLOUR}">{text}</text>'
    )


def _ticks(top: float) -> list[int]:
    """Steps of 1, 2 or 5 times a power of ten, about four of them, never below 1."""
    rough = max(float(top) / 4, 1.0)
    power = 10 ** math.floor(math.log10(rough))
    step = next(k * power for k in (1, 2, 5, 10) if k * power >= rough)
    return list(range(0, int(top) + 1, int(step)))


def _month_starts(start: date, end: date) -> Iterator[date]:
    day = start
    while True:
        day = Month.of(day).next().first_day
        if day >= end:
            return
        yield day


def _chart_id(chart_id: str | None, *parts: str) -> str:
    """A stable id, so the same page renders the same markup (and tests can compare it)."""
    if chart_id is None:
        digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:10]
        return f"chart-{digest}"
    if not _ID.match(chart_id):
        raise ValueError(f"a chart id is letters, digits, '-' and '_': {chart_id!r}")
    return chart_id


def _units(count: float) -> str:
    return plural(int(round(count)), "unit")


def _int(value: float) -> str:
    return str(int(round(value)))


def _n(value: float) -> str:
    """Coordinates to two decimals: finer than a pixel, and short markup."""
    return f"{value:.2f}".rstrip("0").rstrip(".")
