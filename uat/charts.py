"""The trend chart of a test cycle, drawn on the server as SVG (pages and PDFs alike).

One column per day from the cycle's start to its end (or the last run, if later): the runs
of that day stacked as passed, failed and blocked, and a line for the cumulative pass rate,
computed like cycle_status does (latest run per scenario, among the executed ones).
"""

import datetime
from collections import Counter
from dataclasses import dataclass

from django.template.loader import render_to_string

from uat.choices import ExecutionResult

WIDTH = 720
HEIGHT = 260
LEFT = 44
RIGHT = 44
TOP = 16
BOTTOM = 48
STACKED = (ExecutionResult.PASSED, ExecutionResult.FAILED, ExecutionResult.BLOCKED)


@dataclass(frozen=True)
class Segment:
    css: str
    y: float
    height: float


@dataclass(frozen=True)
class Day:
    x: float
    width: float
    label: str
    title: str
    segments: list[Segment]
    rate_y: float | None


def build(*, cycle, trend, today: datetime.date | None = None) -> dict:
    """Geometry of the chart from `trend`: the cycle's runs counted per day, result and
    previous result (uat.selectors.cycles.execution_trend), oldest day first."""
    first = min([cycle.starts_on, *(row.day for row in trend)])
    last = max([cycle.ends_on, *(row.day for row in trend)])
    days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    per_day: dict[datetime.date, Counter] = {day: Counter() for day in days}
    # How the count of scenarios whose latest run has each result moves on each day: a run
    # adds one to its result and takes one from the result of the scenario's run before.
    moves: dict[datetime.date, Counter] = {day: Counter() for day in days}
    for row in trend:
        per_day[row.day][row.result] += row.runs
        moves[row.day][row.result] += row.runs
        if row.previous is not None:
            moves[row.day][row.previous] -= row.runs
    top = max([sum(per_day[d][r] for r in STACKED) for d in days] + [1])
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    step = plot_w / len(days)
    bar_w = max(step * 0.7, 1.0)
    counts: Counter = Counter()
    columns = []
    label_every = max(1, len(days) // 10)
    for index, day in enumerate(days):
        counts.update(moves[day])
        executed = sum(counts[r] for r in STACKED)
        rate = counts[ExecutionResult.PASSED] * 100 / executed if executed else None
        x = LEFT + index * step + (step - bar_w) / 2
        y = TOP + plot_h
        segments = []
        for result in STACKED:
            height = plot_h * per_day[day][result] / top
            if height:
                y -= height
                segments.append(Segment(result, round(y, 1), round(height, 1)))
        shown = today is None or day <= today or per_day[day]
        columns.append(
            Day(
                x=round(x, 1),
                width=round(bar_w, 1),
                label=day.strftime("%m-%d") if index % label_every == 0 else "",
                title=f"{day.isoformat()}: " + ", ".join(f"{per_day[day][r]} {r}" for r in STACKED),
                segments=segments,
                rate_y=round(TOP + plot_h * (1 - rate / 100), 1)
                if rate is not None and shown
                else None,
            )
        )
    points = " ".join(
        f"{round(c.x + c.width / 2, 1)},{c.rate_y}" for c in columns if c.rate_y is not None
    )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right_x": WIDTH - RIGHT,
        "top": TOP,
        "bottom": TOP + plot_h,
        "mid": TOP + plot_h / 2,
        "max_runs": top,
        "days": columns,
        "rate_points": points,
        "legend_y": HEIGHT - 10,
    }


def render_svg(*, cycle, trend, today: datetime.date | None = None) -> str:
    context = build(cycle=cycle, trend=trend, today=today)
    context["cycle"] = cycle
    return render_to_string("uat/cycles/trend.svg", context)
