"""The KPI figures as people read them, each with how it is computed, in words and numbers.

The arithmetic is kpis.metrics'; this module only writes it out with the KPI's own numbers,
so what a page explains is exactly what was computed.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kpis import metrics
from kpis.choices import Cadence, Direction, KpiStatus

STATUS_CSS = {
    KpiStatus.ACHIEVED: "green",
    KpiStatus.ON_TRACK: "info",
    KpiStatus.AT_RISK: "amber",
    KpiStatus.OFF_TRACK: "red",
    KpiStatus.NO_DATA: "neutral",
    KpiStatus.NO_BASELINE: "neutral",
}


def number(value) -> str:
    """A value as people read it: localised, without the stored trailing zeros."""
    if value is None:
        return "—"
    value = Decimal(value).normalize()
    if value == 0:
        value = abs(value)  # no "-0"
    places = max(0, -value.as_tuple().exponent)
    return number_format(value, decimal_pos=places, force_grouping=True)


def with_unit(value, unit: str) -> str:
    if value is None:
        return "—"
    if not unit:
        return number(value)
    if unit == "%":
        return f"{number(value)}%"
    return f"{number(value)} {unit}"


def percent(share, places: str = "0.01") -> str:
    """A share (1.3333) as a percentage ("133.33%"), rounded half up."""
    if share is None:
        return "—"
    hundredths = (Decimal(share) * 100).quantize(Decimal(places), rounding=ROUND_HALF_UP)
    return f"{number(hundredths)}%"


def whole_percent(share) -> str:
    return percent(share, "1")


def percentage_points(share) -> str:
    """A difference of shares in percentage points (0.10 -> "10")."""
    return number((Decimal(share) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def day(value: datetime.date | None) -> str:
    return date_format(value, "Y-m-d") if value else "—"


def period_label(cadence: str) -> str:
    return {
        Cadence.WEEKLY: _("one week"),
        Cadence.MONTHLY: _("one month"),
        Cadence.QUARTERLY: _("three months"),
    }.get(cadence, cadence)


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: str
    how: str
    css: str = ""


def _days(start: datetime.date, end: datetime.date, on: datetime.date) -> tuple[int, int]:
    """Days elapsed from start on `on` (kept within 0..total) and the days from start to end."""
    total = (end - start).days
    return min(max((on - start).days, 0), total), total


def _progress(kpi, figures) -> Figure:
    label = _("Progress towards the target")
    if not kpi.has_baseline:
        how = _("Progress is measured from the baseline, which has not been recorded yet.")
        return Figure("progress", label, "—", how)
    if figures.progress is None:
        how = _(
            "Progress = (latest − baseline) ÷ (target − baseline): the share of the way from "
            "the baseline to the target covered. Nothing has been measured yet."
        )
        return Figure("progress", label, "—", how)
    if kpi.baseline_value == kpi.target_value:
        how = _(
            "Baseline and target are both %(target)s, so there is no way to cover: progress is "
            "100%% when the latest value meets the target and 0%% otherwise."
        ) % {"target": number(kpi.target_value)}
    else:
        how = _(
            "Progress = (latest − baseline) ÷ (target − baseline) = (%(latest)s − %(baseline)s) "
            "÷ (%(target)s − %(baseline)s) = %(progress)s. It is the share of the way from the "
            "baseline to the target covered; below 0%% is worse than the baseline, above 100%% "
            "beyond the target."
        ) % {
            "latest": number(figures.latest_value),
            "baseline": number(kpi.baseline_value),
            "target": number(kpi.target_value),
            "progress": percent(figures.progress),
        }
    return Figure("progress", label, whole_percent(figures.progress), how)


def _expected(kpi, figures) -> Figure | None:
    if figures.expected is None:
        return None
    elapsed, total = _days(kpi.baseline_date, kpi.target_date, figures.latest_on)
    how = _(
        "Expected on %(date)s = days from the baseline date (%(start)s) to %(date)s ÷ days from "
        "the baseline date to the target date (%(end)s) = %(elapsed)s ÷ %(total)s = "
        "%(expected)s: how far along the straight trajectory from baseline to target the KPI "
        "should be on the day of the latest measurement."
    ) % {
        "date": day(figures.latest_on),
        "start": day(kpi.baseline_date),
        "end": day(kpi.target_date),
        "elapsed": elapsed,
        "total": total,
        "expected": percent(figures.expected),
    }
    return Figure("expected", _("Expected progress"), whole_percent(figures.expected), how)


def _status(kpi, figures, today: datetime.date) -> Figure:
    status = figures.status
    margin = percentage_points(metrics.AT_RISK_MARGIN)
    direction = str(Direction(kpi.direction).label).lower() if kpi.direction else ""
    if status == KpiStatus.NO_BASELINE:
        how = _("A status needs a baseline to measure progress from.")
    elif status == KpiStatus.NO_DATA:
        how = _("A status needs at least one measurement.")
    elif status == KpiStatus.ACHIEVED:
        how = _("The latest value %(value)s meets the target %(target)s (%(direction)s).") % {
            "value": with_unit(figures.latest_value, kpi.unit),
            "target": with_unit(kpi.target_value, kpi.unit),
            "direction": direction,
        }
    elif status == KpiStatus.OFF_TRACK and today > kpi.target_date:
        how = _(
            "The target date (%(date)s) has passed and the latest value %(value)s does not meet "
            "the target %(target)s."
        ) % {
            "date": day(kpi.target_date),
            "value": with_unit(figures.latest_value, kpi.unit),
            "target": with_unit(kpi.target_value, kpi.unit),
        }
    else:
        numbers = {
            "made": percent(figures.progress),
            "expected": percent(figures.expected),
            "gap": percentage_points(figures.expected - figures.progress),
            "margin": margin,
        }
        if status == KpiStatus.ON_TRACK:
            how = _("Progress %(made)s is at least the expected %(expected)s.") % numbers
        elif status == KpiStatus.AT_RISK:
            how = (
                _(
                    "Progress %(made)s is %(gap)s points below the expected %(expected)s: "
                    "within the at-risk margin of %(margin)s points."
                )
                % numbers
            )
        else:
            how = (
                _(
                    "Progress %(made)s is %(gap)s points below the expected %(expected)s: more "
                    "than the at-risk margin of %(margin)s points."
                )
                % numbers
            )
    rule = _(
        "Achieved when the latest value meets the target; off track once the target date has "
        "passed without it; otherwise on track when progress is at least the expected progress, "
        "at risk up to %(margin)s points below it, off track further below."
    ) % {"margin": margin}
    return Figure(
        "status",
        _("Status"),
        str(KpiStatus(status).label),
        f"{how} {rule}",
        STATUS_CSS.get(status, "neutral"),
    )


def _trajectory(kpi, figures, today: datetime.date) -> Figure | None:
    if figures.trajectory_today is None:
        return None
    elapsed, total = _days(kpi.baseline_date, kpi.target_date, today)
    how = _(
        "Trajectory today = baseline + (target − baseline) × days elapsed ÷ days in total = "
        "%(baseline)s + (%(target)s − %(baseline)s) × %(elapsed)s ÷ %(total)s = %(value)s."
    ) % {
        "baseline": number(kpi.baseline_value),
        "target": number(kpi.target_value),
        "elapsed": elapsed,
        "total": total,
        "value": number(figures.trajectory_today),
    }
    return Figure(
        "trajectory",
        _("Where the trajectory is today"),
        with_unit(figures.trajectory_today, kpi.unit),
        how,
    )


def _next_due(kpi, figures, go_live: datetime.date | None, today: datetime.date) -> Figure:
    label = _("Next measurement due")
    if figures.next_due is None:
        return Figure("next_due", label, "—", _("Due one period after go-live."))
    numbers = {
        "period": period_label(kpi.cadence),
        "due": day(figures.next_due),
        "last": day(figures.latest_on),
        "go_live": day(go_live),
    }
    if figures.latest_on is not None and (go_live is None or figures.latest_on >= go_live):
        how = _("Next due = last measurement (%(last)s) + %(period)s = %(due)s.") % numbers
    else:
        how = (
            _(
                "Next due = go-live (%(go_live)s) + %(period)s = %(due)s, as nothing has been "
                "measured since go-live."
            )
            % numbers
        )
    css = ""
    if figures.overdue_periods:
        css = "red"
        how += " " + ngettext(
            "%(count)s measurement is overdue: one for every period passed since %(due)s.",
            "%(count)s measurements are overdue: one for every period passed since %(due)s.",
            figures.overdue_periods,
        ) % {"count": figures.overdue_periods, "due": numbers["due"]}
    return Figure("next_due", label, numbers["due"], how, css)


def explain(kpi, figures: metrics.KpiFigures, *, go_live, today: datetime.date) -> list[Figure]:
    """Every figure of the KPI with its explanation, in the order the page shows them."""
    latest = Figure(
        "latest",
        _("Latest value"),
        with_unit(figures.latest_value, kpi.unit),
        _("The value measured most recently, on %(date)s.") % {"date": day(figures.latest_on)}
        if figures.latest_on
        else _("Nothing has been measured yet."),
    )
    shown = [
        latest,
        _progress(kpi, figures),
        _expected(kpi, figures),
        _status(kpi, figures, today),
        _trajectory(kpi, figures, today),
        _next_due(kpi, figures, go_live, today),
    ]
    return [figure for figure in shown if figure is not None]


def overdue_text(figures) -> str:
    if not figures.overdue_periods:
        return ""
    return ngettext(
        "%(count)s measurement overdue",
        "%(count)s measurements overdue",
        figures.overdue_periods,
    ) % {"count": figures.overdue_periods}
