"""Hypercare charts drawn on the server as SVG: no script, the same picture on any phone.

`weekly_chart` draws the tickets raised per week as bars (left scale) and the week's average
satisfaction as a line with dots (right scale, 1-5), with the exit threshold dashed.
`satisfaction_trend` draws the average satisfaction per week, the whole project thick and
each department thin. A week nobody answered leaves a gap in a line rather than a fall to
zero.

Both take plain values (no models). Colours are presentation attributes, so the SVG looks
right without the site stylesheet; every text goes through format_html.
"""

import datetime
from collections.abc import Sequence
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

FONT = "DejaVu Sans, Noto Sans, sans-serif"
BARS = "#93c5fd"
BAR_EDGE = "#1d4ed8"
SATISFACTION = "#0f766e"
THRESHOLD = "#15803d"
GRID = "#e5e7eb"
AXIS = "#9ca3af"
TICK = "#5b6573"
# Department lines: distinguishable, and readable on white.
PALETTE = ("#b45309", "#7c3aed", "#be185d", "#0369a1", "#4d7c0f", "#b91c1c", "#374151")

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44.0, 596.0, 16.0, 196.0


def _c(number: float) -> str:
    """A coordinate as SVG text: one decimal, never localised."""
    text = f"{number:.1f}"
    return "0.0" if text == "-0.0" else text


def _week_label(start: datetime.date) -> str:
    return date_format(start, "d/m")


def _x(index: int, count: int) -> float:
    """The centre of the index-th week's slot."""
    slot = (RIGHT - LEFT) / max(count, 1)
    return LEFT + slot * (index + 0.5)


def _y_satisfaction(value: Decimal | float) -> float:
    return BOTTOM - (float(value) - 1) / 4 * (BOTTOM - TOP)


def _nice_max(value: int) -> int:
    for top in (4, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if value <= top:
            return top
    return ((value // 1000) + 1) * 1000


def _segments(points: Sequence[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    """Runs of consecutive points: a missing week breaks the line."""
    runs: list[list[tuple[float, float]]] = [[]]
    for point in points:
        if point is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(point)
    return [run for run in runs if run]


def _line(points, colour: str, width: float, css: str) -> SafeString:
    parts = []
    for run in _segments(points):
        if len(run) > 1:
            parts.append(
                format_html(
                    '<polyline class="{}" points="{}" fill="none" stroke="{}" '
                    'stroke-width="{}" stroke-linejoin="round"/>',
                    css,
                    " ".join(f"{_c(x)},{_c(y)}" for x, y in run),
                    colour,
                    width,
                )
            )
    return mark_safe("".join(parts))  # noqa: S308 (each part escaped by format_html)


def _frame(title: str, body: SafeString, css: str, extra: float = 0) -> SafeString:
    height = _c(HEIGHT + extra)
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="{}" viewBox="0 0 {} {}" width="100%" '
        'role="img" font-family="{}" font-size="11"><title>{}</title>'
        '<rect x="0" y="0" width="{}" height="{}" fill="#ffffff"/>{}</svg>',
        css,
        WIDTH,
        height,
        FONT,
        title,
        WIDTH,
        height,
        body,
    )


def _satisfaction_scale(side: str) -> SafeString:
    """Grid lines and labels 1-5 on the left or the right."""
    x, anchor = (RIGHT + 6, "start") if side == "right" else (LEFT - 6, "end")
    return format_html_join(
        "",
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>'
        '<text x="{}" y="{}" dy="4" text-anchor="{}" fill="{}">{}</text>',
        (
            (
                _c(LEFT),
                _c(_y_satisfaction(level)),
                _c(RIGHT),
                _c(_y_satisfaction(level)),
                GRID,
                _c(x),
                _c(_y_satisfaction(level)),
                anchor,
                TICK,
                level,
            )
            for level in range(1, 6)
        ),
    )


def _week_ticks(starts: Sequence[datetime.date]) -> SafeString:
    count = len(starts)
    # Every second label when the weeks are many, so they never overlap on a phone.
    step = 1 if count <= 8 else 2
    return format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="middle" fill="{}">{}</text>',
        (
            (_c(_x(index, count)), _c(BOTTOM + 15), TICK, _week_label(start))
            for index, start in enumerate(starts)
            if (count - 1 - index) % step == 0
        ),
    )


def _legend(items: Sequence[tuple[str, str, str]]) -> tuple[SafeString, float]:
    """(colour, kind "bar"/"line"/"thin"/"dash", label) in rows under the plot; returns the
    legend and the height it adds below the default frame."""
    parts = []
    x, row = LEFT, 0
    for colour, kind, label in items:
        width = 30 + 6.2 * len(label)
        if x > LEFT and x + width > WIDTH:
            x, row = LEFT, row + 1
        y = HEIGHT - 8 + row * 16
        if kind == "bar":
            mark = format_html(
                '<rect x="{}" y="{}" width="12" height="9" fill="{}" stroke="{}"/>',
                _c(x),
                _c(y - 9),
                BARS,
                BAR_EDGE,
            )
        else:
            mark = format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="{}"{}/>',
                _c(x),
                _c(y - 4),
                _c(x + 16),
                _c(y - 4),
                colour,
                {"line": 3, "thin": 1.5}.get(kind, 2),
                mark_safe(' stroke-dasharray="5 3"') if kind == "dash" else "",
            )
        parts.append(
            mark
            + format_html('<text x="{}" y="{}" fill="{}">{}</text>', _c(x + 21), _c(y), TICK, label)
        )
        x += width
    return mark_safe("".join(parts)), row * 16.0  # noqa: S308 (parts escaped by format_html)


def weekly_chart(
    starts: Sequence[datetime.date],
    raised: Sequence[int],
    satisfaction: Sequence[Decimal | None],
    threshold: Decimal | None = None,
) -> SafeString:
    """Tickets raised per week as bars, average satisfaction as a line (1-5)."""
    count = len(starts)
    top = _nice_max(max([0, *raised]))
    slot = (RIGHT - LEFT) / max(count, 1)
    bar_width = slot * 0.55
    bars = format_html_join(
        "",
        '<g><title>{}</title><rect class="bar" x="{}" y="{}" width="{}" height="{}" '
        'fill="{}" stroke="{}"/><text x="{}" y="{}" text-anchor="middle" fill="{}">{}</text></g>',
        (
            (
                ngettext(
                    "Week of %(week)s: %(count)d ticket raised",
                    "Week of %(week)s: %(count)d tickets raised",
                    value,
                )
                % {"week": date_format(start, "Y-m-d"), "count": value},
                _c(_x(index, count) - bar_width / 2),
                _c(BOTTOM - value / top * (BOTTOM - TOP)),
                _c(bar_width),
                _c(value / top * (BOTTOM - TOP)),
                BARS,
                BAR_EDGE,
                _c(_x(index, count)),
                _c(BOTTOM - value / top * (BOTTOM - TOP) - 4),
                TICK,
                value,
            )
            for index, (start, value) in enumerate(zip(starts, raised, strict=True))
        ),
    )
    left_scale = format_html(
        '<text x="{}" y="{}" dy="4" text-anchor="end" fill="{}">{}</text>'
        '<text x="{}" y="{}" dy="4" text-anchor="end" fill="{}">0</text>',
        _c(LEFT - 6),
        _c(TOP),
        TICK,
        top,
        _c(LEFT - 6),
        _c(BOTTOM),
        TICK,
    )
    points = [
        (_x(index, count), _y_satisfaction(value)) if value is not None else None
        for index, value in enumerate(satisfaction)
    ]
    dots = format_html_join(
        "",
        '<circle class="satisfaction-dot" cx="{}" cy="{}" r="3.5" fill="{}"/>',
        ((_c(x), _c(y), SATISFACTION) for x, y in (p for p in points if p is not None)),
    )
    threshold_line = (
        format_html(
            '<line class="threshold" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" '
            'stroke-width="1.5" stroke-dasharray="5 3"/>',
            _c(LEFT),
            _c(_y_satisfaction(threshold)),
            _c(RIGHT),
            _c(_y_satisfaction(threshold)),
            THRESHOLD,
        )
        if threshold is not None
        else ""
    )
    legend = [(BARS, "bar", _("Tickets raised")), (SATISFACTION, "line", _("Satisfaction (1-5)"))]
    if threshold is not None:
        legend.append((THRESHOLD, "dash", _("Satisfaction needed")))
    legend_svg, extra = _legend(legend)
    body = format_html(
        '{}<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>{}{}{}{}{}{}{}',
        _satisfaction_scale("right"),
        _c(LEFT),
        _c(BOTTOM),
        _c(RIGHT),
        _c(BOTTOM),
        AXIS,
        left_scale,
        bars,
        threshold_line,
        _line(points, SATISFACTION, 2.5, "satisfaction"),
        dots,
        _week_ticks(starts),
        legend_svg,
    )
    return _frame(_("Tickets raised and satisfaction per week"), body, "hypercare-chart", extra)


def satisfaction_trend(
    starts: Sequence[datetime.date],
    overall: Sequence[Decimal | None],
    departments: Sequence[tuple[str, Sequence[Decimal | None]]] = (),
) -> SafeString:
    """Average satisfaction per week: the project as a thick line, each department thin."""
    count = len(starts)

    def points(values):
        return [
            (_x(index, count), _y_satisfaction(value)) if value is not None else None
            for index, value in enumerate(values)
        ]

    lines = []
    legend = [(SATISFACTION, "line", _("All answers"))]
    for index, (label, values) in enumerate(departments):
        colour = PALETTE[index % len(PALETTE)]
        lines.append(_line(points(values), colour, 1.5, "department"))
        lines.append(
            format_html_join(
                "",
                '<circle cx="{}" cy="{}" r="2.5" fill="{}"/>',
                ((_c(x), _c(y), colour) for x, y in (p for p in points(values) if p)),
            )
        )
        legend.append((colour, "thin", label))
    overall_points = points(overall)
    legend_svg, extra = _legend(legend)
    dots = format_html_join(
        "",
        '<g><title>{}</title><circle class="satisfaction-dot" cx="{}" cy="{}" r="4" '
        'fill="{}"/></g>',
        (
            (
                _("Week of %(week)s: %(value)s of 5")
                % {"week": date_format(start, "Y-m-d"), "value": value},
                _c(point[0]),
                _c(point[1]),
                SATISFACTION,
            )
            for start, value, point in zip(starts, overall, overall_points, strict=True)
            if point is not None
        ),
    )
    body = format_html(
        '{}<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>{}{}{}{}{}',
        _satisfaction_scale("left"),
        _c(LEFT),
        _c(BOTTOM),
        _c(RIGHT),
        _c(BOTTOM),
        AXIS,
        mark_safe("".join(lines)),  # noqa: S308 (each part escaped by format_html)
        _line(overall_points, SATISFACTION, 3, "satisfaction"),
        dots,
        _week_ticks(starts),
        legend_svg,
    )
    return _frame(_("Average satisfaction per week"), body, "hypercare-chart", extra)
