"""The phase timeline, drawn on the server as SVG so pages and PDFs show the same picture.

Each phase gets a row with its planned bar and, under it, its actual bar (to today while
the phase runs). A dashed line marks today and another the go-live date.
"""

import datetime
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.formats import date_format

from implementation.choices import PhaseStatus

WIDTH = 960
LABEL_WIDTH = 180
RIGHT_PAD = 24
HEADER = 30
ROW = 36
FOOTER = 30


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    css: str


@dataclass(frozen=True)
class Row:
    label: str
    y: float
    planned: Bar
    actual: Bar | None
    title: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


def _month_starts(first: datetime.date, last: datetime.date, step: int) -> list[datetime.date]:
    months = []
    day = first.replace(day=1)
    while day <= last:
        if day >= first and (day.month - 1) % step == 0:
            months.append(day)
        day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return months


def build(*, project, phases, today: datetime.date | None = None) -> dict:
    """Geometry of the drawing: rows, ticks, today and go-live markers."""
    today = today or project.local_today()
    dates = [project.start_date, project.target_go_live, today]
    for phase in phases:
        dates += [
            d
            for d in (phase.planned_start, phase.planned_end, phase.actual_start, phase.actual_end)
            if d
        ]
    first = min(dates) - datetime.timedelta(days=7)
    last = max(dates) + datetime.timedelta(days=7)
    span = max((last - first).days, 1)
    plot = WIDTH - LABEL_WIDTH - RIGHT_PAD

    def x(day: datetime.date) -> float:
        return round(LABEL_WIDTH + plot * (day - first).days / span, 1)

    def bar(start: datetime.date, end: datetime.date, css: str) -> Bar:
        return Bar(x(start), max(x(end) - x(start), 2.0), css)

    rows = []
    for index, phase in enumerate(phases):
        actual = None
        if phase.actual_start:
            end = phase.actual_end or today
            if phase.status == PhaseStatus.COMPLETED:
                css = "done"
            elif phase.planned_end < today:
                css = "late"
            else:
                css = "running"
            actual = bar(phase.actual_start, max(end, phase.actual_start), css)
        rows.append(
            Row(
                label=str(phase.get_kind_display()),
                y=HEADER + index * ROW,
                planned=bar(phase.planned_start, phase.planned_end, "planned"),
                actual=actual,
                title=f"{phase.get_kind_display()}: {phase.planned_start} – {phase.planned_end}",
            )
        )
    months = span / 30
    step = 1 if months <= 15 else 3 if months <= 45 else 6
    ticks = [Tick(x(day), date_format(day, "M Y")) for day in _month_starts(first, last, step)]
    height = HEADER + ROW * len(rows) + FOOTER
    return {
        "width": WIDTH,
        "height": height,
        "label_width": LABEL_WIDTH,
        "rows": rows,
        "ticks": ticks,
        "today_x": x(today),
        "go_live_x": x(project.target_go_live),
        "plot_bottom": HEADER + ROW * len(rows),
        "legend_y": HEADER + ROW * len(rows) + 20,
    }


def render_svg(*, project, phases, today: datetime.date | None = None, standalone=False) -> str:
    context = build(project=project, phases=phases, today=today)
    context["standalone"] = standalone
    context["project"] = project
    return render_to_string("implementation/phases/timeline.svg", context)
