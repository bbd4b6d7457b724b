"""KPI charts drawn on the server as SVG, so pages and PDFs show the same picture.

`kpi_chart` draws one KPI over time: the baseline, the target (a point and a dashed line across
the plot), the straight trajectory between them, the measurements as a line with dots, and a
marker for today. `status_bar` draws the overview's stacked bar of KPI statuses.

Both take plain values (no models). Colours are set as presentation attributes, so the SVG looks
right in a WeasyPrint PDF without the site stylesheet; the CSS classes are only hooks, and any
stylesheet rule for them wins over the attributes. Every text is escaped by format_html.
"""

import datetime
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import formats, numberformat
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kpis.choices import Direction, KpiStatus


@functools.lru_cache(maxsize=4096)
def _date_text(day: datetime.date, format_name: str | None, language: str | None) -> str:
    return formats.date_format(day, format_name)


def date_format(day: datetime.date, format_name: str | None = None) -> str:
    """The day in the active language. A chart labels every dot, and the charts of a page
    share their measurement days: each label is formatted once per language."""
    return _date_text(day, format_name, get_language())


@functools.lru_cache(maxsize=16)
def _number_style(language: str | None) -> tuple[str, int, str]:
    """The language's decimal separator, grouping and thousands separator."""
    return (
        formats.get_format("DECIMAL_SEPARATOR", language),
        formats.get_format("NUMBER_GROUPING", language),
        formats.get_format("THOUSAND_SEPARATOR", language),
    )


@receiver(setting_changed)
def _forget_date_texts(**kwargs) -> None:
    # Format settings changed (tests): Django forgets its own too.
    _date_text.cache_clear()
    _number_style.cache_clear()


FONT = "DejaVu Sans, Noto Sans, sans-serif"
MEASURED = "#1d4ed8"
TARGET = "#15803d"
TRAJECTORY = "#6b7280"
BASELINE = "#1f2933"
TODAY = "#dc2626"
GRID = "#e5e7eb"
AXIS = "#9ca3af"
TICK = "#5b6573"

FULL_SIZE = (640, 260)
COMPACT_SIZE = (220, 90)
# A compact chart is about 200 px wide: more dots than this only overlap, and drawing them
# (each with its tooltip) made an overview of ten long-measured KPIs slow.
COMPACT_POINTS = 60

STATUS_ORDER = (
    KpiStatus.ACHIEVED,
    KpiStatus.ON_TRACK,
    KpiStatus.AT_RISK,
    KpiStatus.OFF_TRACK,
    KpiStatus.NO_DATA,
    KpiStatus.NO_BASELINE,
)
STATUS_COLOURS = {
    KpiStatus.ACHIEVED: "#15803d",
    KpiStatus.ON_TRACK: "#0f766e",
    KpiStatus.AT_RISK: "#d97706",
    KpiStatus.OFF_TRACK: "#dc2626",
    KpiStatus.NO_DATA: "#9ca3af",
    KpiStatus.NO_BASELINE: "#d1d5db",
}


@dataclass(frozen=True)
class _Layout:
    width: int
    height: int
    font_size: int
    left: float
    right: float
    top: float
    bottom: float
    inset: float  # keeps dots on the first and last day off the frame


def _c(number: float) -> str:
    """A coordinate as SVG text: one decimal, never localised, never "-0.0"."""
    text = f"{number:.1f}"
    return "0.0" if text == "-0.0" else text


def _decimal(value) -> Decimal | None:
    if value is None:
        return None
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return number if number.is_finite() else None


def format_number(value: Decimal, places: int | None = None, language: str | None = None) -> str:
    """A value as people read it: localised, without the model's trailing zeros. A caller
    formatting many numbers passes the active language, read once."""
    if places is None:
        value = value.normalize()
        places = max(0, -value.as_tuple().exponent)
    if value == 0:
        value = abs(value)  # no "-0"
    # What number_format does, with the language's separators looked up once: a chart
    # formats a number for every dot it labels.
    decimal_sep, grouping, thousand_sep = _number_style(language or get_language())
    return numberformat.format(
        value, decimal_sep, places, grouping, thousand_sep, force_grouping=True
    )


def with_unit(value: Decimal, unit: str, language: str | None = None) -> str:
    number = format_number(value, language=language)
    if not unit:
        return number
    if unit == "%":
        return f"{number}%"
    return f"{number} {unit}"


def _value_ticks(low: Decimal, high: Decimal, intervals: int) -> list[Decimal]:
    """Round values (1, 2 or 5 times a power of ten apart) covering low..high, at least two."""
    if low == high:
        pad = abs(low) / 10 if low else Decimal(1)
        low, high = low - pad, high + pad
    raw = (high - low) / intervals
    magnitude = Decimal(1).scaleb(raw.adjusted())
    step = next(n * magnitude for n in (1, 2, 5, 10) if n * magnitude >= raw)
    start = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
    stop = (high / step).to_integral_value(rounding=ROUND_CEILING) * step
    count = int((stop - start) / step)
    return [start + index * step for index in range(count + 1)]


def _month_starts(first: datetime.date, last: datetime.date, step: int) -> list[datetime.date]:
    months = []
    day = first.replace(day=1)
    while day <= last:
        if day >= first and (day.year * 12 + day.month - 1) % step == 0:
            months.append(day)
        day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return months


def _date_ticks(
    first: datetime.date, last: datetime.date, most: int
) -> list[tuple[datetime.date, str]]:
    """A few dates between first and last: month starts on long spans, else every n days."""
    span = (last - first).days
    if span >= 90:
        months = span / 30.44
        step = next((s for s in (1, 2, 3, 6, 12, 24, 60) if months / s <= most), 120)
        return [(day, date_format(day, "M Y")) for day in _month_starts(first, last, step)]
    step = next((s for s in (1, 2, 7, 14, 21, 28) if span / s <= most), 30)
    days = [first + datetime.timedelta(days=n) for n in range(0, span + 1, step)]
    return [(day, date_format(day, "SHORT_DATE_FORMAT")) for day in days]


def _text_width(text: str, font_size: int) -> float:
    return len(text) * font_size * 0.6


def _anchor(x: float, text: str, font_size: int, start: float, end: float) -> str:
    """Centre a label on x unless that would push it out of start..end."""
    half = _text_width(text, font_size) / 2
    if x - half < start:
        return "start"
    if x + half > end:
        return "end"
    return "middle"


def thin(
    points: Sequence[tuple[datetime.date, Decimal]], most: int
) -> list[tuple[datetime.date, Decimal]]:
    """At most about `most` of the points (sorted by date), evenly spread, always keeping the
    first, the last, the lowest and the highest, so the line keeps its range and ends."""
    if len(points) <= most:
        return list(points)
    values = [value for _day, value in points]
    keep = {0, len(points) - 1, values.index(min(values)), values.index(max(values))}
    step = (len(points) - 1) / max(most - len(keep), 1)
    keep.update(round(index * step) for index in range(max(most - len(keep), 1) + 1))
    return [points[index] for index in sorted(keep)]


def _describe(
    *,
    name: str,
    unit: str,
    baseline: Decimal | None,
    baseline_date: datetime.date | None,
    target: Decimal | None,
    target_date: datetime.date | None,
    points: Sequence[tuple[datetime.date, Decimal]],
    direction: str,
) -> str:
    parts = [_("KPI chart of %(name)s") % {"name": f"{name} ({unit})" if unit else name}]
    if baseline is not None:
        parts.append(
            _("baseline %(value)s on %(date)s")
            % {"value": with_unit(baseline, unit), "date": date_format(baseline_date)}
            if baseline_date
            else _("baseline %(value)s") % {"value": with_unit(baseline, unit)}
        )
    if target is not None:
        parts.append(
            _("target %(value)s by %(date)s")
            % {"value": with_unit(target, unit), "date": date_format(target_date)}
            if target_date
            else _("target %(value)s") % {"value": with_unit(target, unit)}
        )
    if points:
        day, value = points[-1]
        parts.append(
            _("latest measurement %(value)s on %(date)s")
            % {"value": with_unit(value, unit), "date": date_format(day)}
        )
    else:
        parts.append(_("no measurements yet"))
    if direction in (Direction.HIGHER, Direction.LOWER):
        parts.append(str(Direction(direction).label).lower())
    return "; ".join(parts)


def _open_svg(*, css: str, layout: _Layout, description: str, compact: bool) -> SafeString:
    size = (
        format_html('width="{}" height="{}"', layout.width, layout.height)
        if compact
        else mark_safe('width="100%"')  # noqa: S308 - a constant
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="{css}" viewBox="0 0 {w} {h}" {size}'
        ' role="img" aria-label="{label}" font-family="{font}" font-size="{font_size}">'
        "<title>{label}</title>"
        '<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>',
        css=css,
        w=layout.width,
        h=layout.height,
        size=size,
        label=description,
        font=FONT,
        font_size=layout.font_size,
    )


def _layout(*, width: int, height: int, compact: bool, widest_label: str) -> _Layout:
    font_size = 9 if compact else 11
    left = max(_text_width(widest_label, font_size) + 8, 24 if compact else 36)
    if compact:
        return _Layout(width, height, font_size, left, width - 6, 6, height - 14, 4)
    return _Layout(width, height, font_size, left, width - 16, 24, height - 44, 8)


def kpi_chart(
    *,
    name: str,
    unit: str,
    baseline: Decimal | None,
    baseline_date: datetime.date | None,
    target: Decimal | None,
    target_date: datetime.date | None,
    points: Sequence[tuple[datetime.date, Decimal]],
    today: datetime.date,
    direction: str,
    width: int | None = None,
    height: int | None = None,
    compact: bool = False,
) -> SafeString:
    """One KPI over time as an SVG line chart; width and height default to 640x260 (220x90
    when compact, where at most about COMPACT_POINTS measurements are drawn: see thin()).
    Missing baseline or target parts are left out; with neither a baseline nor a measurement
    there is nothing to draw and the chart says so."""
    default_w, default_h = COMPACT_SIZE if compact else FULL_SIZE
    width, height = max(int(width or default_w), 60), max(int(height or default_h), 40)
    unit = unit or ""
    baseline, target = _decimal(baseline), _decimal(target)
    measured = sorted(
        ((day, value) for day, value in ((d, _decimal(v)) for d, v in points) if value is not None),
        key=lambda point: point[0],
    )
    if compact:
        measured = thin(measured, COMPACT_POINTS)
    description = _describe(
        name=name,
        unit=unit,
        baseline=baseline,
        baseline_date=baseline_date,
        target=target,
        target_date=target_date,
        points=measured,
        direction=direction,
    )
    css = "kpi-chart kpi-chart--compact" if compact else "kpi-chart"

    if baseline is None and not measured:
        layout = _Layout(width, height, 9 if compact else 12, 0, width, 0, height, 0)
        return mark_safe(  # noqa: S308 - every part built by format_html
            _open_svg(css=css, layout=layout, description=description, compact=compact)
            + format_html(
                '<text class="kpi-chart__empty" x="{}" y="{}" text-anchor="middle"'
                ' fill="{}">{}</text></svg>',
                _c(width / 2),
                _c(height / 2),
                TICK,
                _("No baseline or measurements yet"),
            )
        )

    # Time runs from the earliest date drawn to the latest, today included.
    dates = [day for day, _value in measured] + [today]
    dates += [day for day in (baseline_date, target_date) if day]
    first, last = min(dates), max(dates)
    if first == last:
        first, last = first - datetime.timedelta(days=1), last + datetime.timedelta(days=1)
    span = (last - first).days
    baseline_day = baseline_date or first

    values = [value for _day, value in measured]
    values += [value for value in (baseline, target) if value is not None]
    # A little headroom, so a value on a round number is not drawn on the frame.
    headroom = (max(values) - min(values)) / 20
    ticks = _value_ticks(min(values) - headroom, max(values) + headroom, 2 if compact else 5)
    step = ticks[1] - ticks[0]
    places = max(0, -step.normalize().as_tuple().exponent)
    tick_labels = [format_number(tick, places) for tick in ticks]
    shown_ticks = (0, len(ticks) - 1) if compact else range(len(ticks))
    layout = _layout(
        width=width,
        height=height,
        compact=compact,
        widest_label=max((tick_labels[i] for i in shown_ticks), key=len),
    )
    low, high = float(ticks[0]), float(ticks[-1])
    plot_w = layout.right - layout.left - 2 * layout.inset
    plot_h = layout.bottom - layout.top
    font = layout.font_size

    def x(day: datetime.date) -> float:
        return layout.left + layout.inset + plot_w * (day - first).days / span

    def y(value: Decimal) -> float:
        return layout.bottom - plot_h * (float(value) - low) / (high - low)

    parts = [_open_svg(css=css, layout=layout, description=description, compact=compact)]

    # Value grid and labels.
    for index, tick in enumerate(ticks):
        parts.append(
            format_html(
                '<line class="kpi-chart__grid" x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="{}"/>',
                _c(layout.left),
                _c(layout.right),
                GRID,
                y=_c(y(tick)),
            )
        )
        if index in shown_ticks:
            parts.append(
                format_html(
                    '<text class="kpi-chart__tick" x="{}" y="{}" text-anchor="end"'
                    ' fill="{}">{}</text>',
                    _c(layout.left - 4),
                    _c(y(tick) + font * 0.35),
                    TICK,
                    tick_labels[index],
                )
            )
    parts.append(
        format_html(
            '<line class="kpi-chart__axis" x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="{}"/>',
            _c(layout.left),
            _c(layout.right),
            AXIS,
            y=_c(layout.bottom),
        )
    )

    # Date labels: a few in the full chart, the first and last day in the compact one.
    if compact:
        date_ticks = [
            (first, date_format(first, "SHORT_DATE_FORMAT"), "start"),
            (last, date_format(last, "SHORT_DATE_FORMAT"), "end"),
        ]
    else:
        sample = max(date_format(last, "M Y"), date_format(last, "SHORT_DATE_FORMAT"), key=len)
        most = max(2, int(plot_w // (_text_width(sample, font) + 24)))
        date_ticks = []
        free_from = layout.left - 2
        for day, label in _date_ticks(first, last, most):
            anchor = _anchor(x(day), label, font, layout.left - 2, width - 2)
            label_w = _text_width(label, font)
            start = {"start": x(day), "middle": x(day) - label_w / 2, "end": x(day) - label_w}
            if start[anchor] >= free_from:  # drop a label that would run into the previous one
                date_ticks.append((day, label, anchor))
                free_from = start[anchor] + label_w + 6
    for day, label, anchor in date_ticks:
        parts.append(
            format_html(
                '<text class="kpi-chart__tick kpi-chart__date" x="{}" y="{}" text-anchor="{}"'
                ' fill="{}">{}</text>',
                _c(x(day)),
                _c(layout.bottom + font + (3 if compact else 5)),
                anchor,
                TICK,
                label,
            )
        )

    dash = "3 3" if compact else "6 4"
    if target is not None:
        parts.append(
            format_html(
                '<line class="kpi-chart__target" x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="{}"'
                ' stroke-width="1.5" stroke-dasharray="{}"><title>{}</title></line>',
                _c(layout.left),
                _c(layout.right),
                TARGET,
                dash,
                _("Target: %(value)s") % {"value": with_unit(target, unit)},
                y=_c(y(target)),
            )
        )
    if None not in (baseline, target, target_date):
        parts.append(
            format_html(
                '<line class="kpi-chart__trajectory" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"'
                ' stroke-width="1.5" stroke-dasharray="{}"/>',
                _c(x(baseline_day)),
                _c(y(baseline)),
                _c(x(target_date)),
                _c(y(target)),
                TRAJECTORY,
                "2 2" if compact else "3 3",
            )
        )

    today_x = _c(x(today))
    parts.append(
        format_html(
            '<line class="kpi-chart__today" x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="{}"'
            ' stroke-width="{}" stroke-dasharray="4 3"><title>{}</title></line>',
            _c(layout.top - (0 if compact else 8)),
            _c(layout.bottom),
            TODAY,
            1 if compact else 1.5,
            _("Today: %(date)s") % {"date": date_format(today)},
            x=today_x,
        )
    )
    if not compact:
        label = _("Today")
        parts.append(
            format_html(
                '<text class="kpi-chart__today-label" x="{}" y="{}" text-anchor="{}" fill="{}"'
                ' font-weight="bold">{}</text>',
                today_x,
                _c(layout.top - 12),
                _anchor(x(today), label, font, 2, width - 2),
                TODAY,
                label,
            )
        )

    radius = 2.5 if compact else 4
    if target is not None and target_date is not None:
        tx, ty = x(target_date), y(target)
        parts.append(
            format_html(
                '<path class="kpi-chart__target kpi-chart__target-point" d="M{} {} l{r} {r}'
                ' l-{r} {r} l-{r} -{r} z" fill="#ffffff" stroke="{}" stroke-width="2">'
                "<title>{}</title></path>",
                _c(tx),
                _c(ty - radius - 1),
                TARGET,
                _("Target: %(value)s by %(date)s")
                % {"value": with_unit(target, unit), "date": date_format(target_date)},
                r=_c(radius + 1),
            )
        )
    if baseline is not None:
        bx, by = x(baseline_day), y(baseline)
        baseline_text = _("Baseline: %(value)s") % {"value": with_unit(baseline, unit)}
        parts.append(
            format_html(
                '<circle class="kpi-chart__baseline" cx="{}" cy="{}" r="{}" fill="#ffffff"'
                ' stroke="{}" stroke-width="2"><title>{}</title></circle>',
                _c(bx),
                _c(by),
                _c(radius),
                BASELINE,
                _("%(label)s on %(date)s")
                % {"label": baseline_text, "date": date_format(baseline_day)},
            )
        )
        if not compact:
            # Away from the trajectory: under the point when the target lies above it.
            below = target is not None and target > baseline
            if below and by + font + 6 > layout.bottom:
                below = False
            elif not below and by - 8 < layout.top + font:
                below = True
            label_y = by + font + 6 if below else by - 8
            left_half = bx < (layout.left + layout.right) / 2
            parts.append(
                format_html(
                    '<text class="kpi-chart__baseline-label" x="{}" y="{}" text-anchor="{}"'
                    ' fill="{}">{}</text>',
                    _c(bx + 6 if left_half else bx - 6),
                    _c(label_y),
                    "start" if left_half else "end",
                    BASELINE,
                    baseline_text,
                )
            )

    if measured:
        parts.append(
            format_html(
                '<polyline class="kpi-chart__measured" points="{}" fill="none" stroke="{}"'
                ' stroke-width="2" stroke-linejoin="round"/>',
                " ".join(f"{_c(x(day))},{_c(y(value))}" for day, value in measured),
                MEASURED,
            )
        )
        parts.append(
            format_html('<g class="kpi-chart__measured kpi-chart__dots" fill="{}">', MEASURED)
        )
        # Built directly rather than by format_html: a chart has a dot per measurement, and
        # only the tooltip is text (coordinates are numbers _c wrote).
        dot_r = _c(radius - 0.5)
        language = get_language()
        parts.extend(
            f'<circle cx="{_c(x(day))}" cy="{_c(y(value))}" r="{dot_r}"><title>'
            f"{escape(f'{_date_text(day, None, language)}: {with_unit(value, unit, language)}')}"
            "</title></circle>"
            for day, value in measured
        )
        parts.append(mark_safe("</g>"))  # noqa: S308 - a constant

    if not compact:
        drawn = {
            "measured": bool(measured),
            "target": target is not None,
            "trajectory": None not in (baseline, target, target_date),
        }
        parts.append(_legend(x=layout.left, y=height - 8, font_size=font, drawn=drawn))
    parts.append(mark_safe("</svg>"))  # noqa: S308 - a constant
    return mark_safe("".join(parts))  # noqa: S308 - every part built by format_html


def _legend(*, x: float, y: float, font_size: int, drawn: dict[str, bool]) -> SafeString:
    """Samples of the lines drawn, side by side under the plot."""
    samples = {
        "measured": (
            _("Measured"),
            '<line class="kpi-chart__measured" x1="{x}" y1="{y}" x2="{x20}" y2="{y}"'
            ' stroke="{colour}" stroke-width="2"/>'
            '<circle cx="{x10}" cy="{y}" r="3" fill="{colour}"/>',
            MEASURED,
        ),
        "target": (
            _("Target"),
            '<line class="kpi-chart__target" x1="{x}" y1="{y}" x2="{x20}" y2="{y}"'
            ' stroke="{colour}" stroke-width="1.5" stroke-dasharray="6 4"/>',
            TARGET,
        ),
        "trajectory": (
            _("Trajectory"),
            '<line class="kpi-chart__trajectory" x1="{x}" y1="{y}" x2="{x20}" y2="{y}"'
            ' stroke="{colour}" stroke-width="1.5" stroke-dasharray="3 3"/>',
            TRAJECTORY,
        ),
    }
    parts = [format_html('<g class="kpi-chart__legend" fill="{}">', TICK)]
    for key, (label, sample, colour) in samples.items():
        if not drawn[key]:
            continue
        parts.append(
            format_html(sample, x=_c(x), x10=_c(x + 10), x20=_c(x + 20), y=_c(y - 4), colour=colour)
        )
        parts.append(format_html('<text x="{}" y="{}">{}</text>', _c(x + 26), _c(y), label))
        x += 26 + _text_width(label, font_size) + 18
    parts.append(mark_safe("</g>"))  # noqa: S308 - a constant
    return mark_safe("".join(parts))  # noqa: S308 - every part built by format_html


def status_bar(*, counts: dict[str, int], width: int = 240, height: int = 14) -> SafeString:
    """The KPIs of an overview by status as one stacked bar, in STATUS_ORDER; statuses with no
    KPI get no segment, other keys are ignored."""
    shown = [(status, max(int(counts.get(status, 0) or 0), 0)) for status in STATUS_ORDER]
    shown = [(status, count) for status, count in shown if count]
    total = sum(count for _status, count in shown)
    summary = ", ".join(f"{KpiStatus(status).label}: {count}" for status, count in shown)
    label = (
        _("KPI status: %(summary)s") % {"summary": summary} if total else _("KPI status: no KPIs")
    )
    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="kpi-status-bar" viewBox="0 0 {w} {h}"'
            ' width="{w}" height="{h}" role="img" aria-label="{}" font-family="{}">'
            "<title>{}</title>",
            label,
            FONT,
            label,
            w=width,
            h=height,
        )
    ]
    if not total:
        parts.append(
            format_html(
                '<rect class="kpi-status-bar__empty" x="0.5" y="0.5" width="{}" height="{}"'
                ' fill="#ffffff" stroke="{}"/>',
                _c(width - 1),
                _c(height - 1),
                GRID,
            )
        )
    # Edges from cumulative counts, so the rounded widths add up to the bar exactly.
    done = 0
    for status, count in shown:
        start = round(width * done / total, 1)
        done += count
        end = round(width * done / total, 1)
        parts.append(
            format_html(
                '<rect class="kpi-status-bar__segment kpi-status-bar__segment--{}" x="{}" y="0"'
                ' width="{}" height="{}" fill="{}"><title>{}</title></rect>',
                status.replace("_", "-"),
                _c(start),
                _c(end - start),
                height,
                STATUS_COLOURS[status],
                f"{KpiStatus(status).label}: {count}",
            )
        )
    parts.append(mark_safe("</svg>"))  # noqa: S308 - a constant
    return mark_safe("".join(parts))  # noqa: S308 - every part built by format_html
