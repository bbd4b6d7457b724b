"""How each KPI figure is computed: pure arithmetic on plain values, no database.

A KPI has a baseline (its value before go-live, measured on the baseline date), a target and a
target date, a direction ("higher" is better or "lower" is better) and a cadence (weekly, monthly
or quarterly) at which it is measured after go-live.

Progress is the share of the way from the baseline to the target that a measured value has
covered: (value - baseline) / (target - baseline). It reads the same in both directions: data-entry
errors going from 120 towards a target of 84 have covered half the way at 102, exactly like
productivity going from 50 towards 60 has at 55. It is not capped: a value worse than the baseline
gives a negative progress, a value beyond the target more than 1. When baseline and target are
equal there is no way to cover, so progress is 1 when the value meets the target and 0 otherwise.

A value meets the target when it is at least the target (higher is better) or at most the target
(lower is better).

The trajectory is the straight line from the baseline on the baseline date to the target on the
target date. Expected progress on a date is how far along that line the date is: 0 up to the
baseline date, 1 from the target date on, and in between the days elapsed divided by the days
from baseline date to target date. The trajectory value is the value on that line on a date.

The status of a KPI, from its latest measurement:
- "no_baseline" while the baseline or its date is missing;
- "no_data" while nothing has been measured;
- "achieved" when the latest value meets the target;
- "off_track" when the target date has passed without the target being met;
- otherwise progress is compared with the expected progress on the day of the measurement:
  "on_track" when it is at least the expected progress, "at_risk" when it falls short by at most
  AT_RISK_MARGIN (ten points of the way), "off_track" when it falls short by more.
The comparison uses the rounded figures that are displayed, so the status never contradicts them.

Measurements are due one period after the latest one (or after go-live while nothing has been
measured): a week, a calendar month or three calendar months later. Adding months keeps the day
of the month, or takes the last day of a shorter month (31 January -> 28 or 29 February). Once a
due date has passed, one more measurement is overdue for every further period that has passed;
those later due dates are counted from the first missed one (31 January, 28 February, 31 March).

All figures are decimals, rounded half up to four decimal places, so they are exact and the same
on every machine.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal

NO_BASELINE = "no_baseline"
NO_DATA = "no_data"
ACHIEVED = "achieved"
ON_TRACK = "on_track"
AT_RISK = "at_risk"
OFF_TRACK = "off_track"

HIGHER = "higher"
LOWER = "lower"

WEEKLY = "weekly"
MONTHLY = "monthly"
QUARTERLY = "quarterly"

AT_RISK_MARGIN = Decimal("0.10")
PLACES = Decimal("0.0001")

# Intermediate results are truncated far beyond the displayed places, so the final half-up
# rounding sees the true value on the right side of every halfway point (no double rounding).
_CONTEXT = Context(prec=60, rounding=ROUND_DOWN)
_MONTHS = {MONTHLY: 1, QUARTERLY: 3}


def _rounded(number: Decimal) -> Decimal:
    result = number.quantize(PLACES, rounding=ROUND_HALF_UP, context=_CONTEXT)
    return abs(result) if result == 0 else result  # no "-0.0000" on screen


def _check_direction(direction: str) -> None:
    if direction not in (HIGHER, LOWER):
        raise ValueError(f"Unknown KPI direction: {direction!r}")


def meets_target(*, target: Decimal, value: Decimal, direction: str) -> bool:
    """Met when value >= target (higher is better) or value <= target (lower is better)."""
    _check_direction(direction)
    return value >= target if direction == HIGHER else value <= target


def progress(*, baseline: Decimal, target: Decimal, value: Decimal, direction: str) -> Decimal:
    """(value - baseline) / (target - baseline), uncapped; baseline == target: 1 if met, else 0."""
    _check_direction(direction)
    if baseline == target:
        met = meets_target(target=target, value=value, direction=direction)
        return _rounded(Decimal(1) if met else Decimal(0))
    covered = _CONTEXT.subtract(value, baseline)
    way = _CONTEXT.subtract(target, baseline)
    return _rounded(_CONTEXT.divide(covered, way))


def _elapsed_share(*, baseline_date: date, target_date: date, on: date) -> Decimal:
    """Unrounded share of the days from baseline date to target date elapsed on `on`, in [0, 1]."""
    if target_date <= baseline_date:
        raise ValueError("The target date must be after the baseline date.")
    if on <= baseline_date:
        return Decimal(0)
    if on >= target_date:
        return Decimal(1)
    elapsed = Decimal((on - baseline_date).days)
    total = Decimal((target_date - baseline_date).days)
    return _CONTEXT.divide(elapsed, total)


def expected_progress(*, baseline_date: date, target_date: date, on: date) -> Decimal:
    """Days elapsed since the baseline date / days from baseline to target date, within [0, 1]."""
    return _rounded(_elapsed_share(baseline_date=baseline_date, target_date=target_date, on=on))


def trajectory_value(
    *, baseline: Decimal, target: Decimal, baseline_date: date, target_date: date, on: date
) -> Decimal:
    """baseline + (target - baseline) * the share of the days elapsed on that date, in [0, 1]."""
    share = _elapsed_share(baseline_date=baseline_date, target_date=target_date, on=on)
    way = _CONTEXT.subtract(target, baseline)
    return _rounded(_CONTEXT.add(baseline, _CONTEXT.multiply(way, share)))


def status(
    *,
    baseline: Decimal | None,
    target: Decimal,
    direction: str,
    baseline_date: date | None,
    target_date: date,
    value: Decimal | None,
    measured_on: date | None,
    today: date,
) -> str:
    """No baseline, no data, achieved, off track past the deadline, else progress vs expected."""
    _check_direction(direction)
    if baseline is None or baseline_date is None:
        return NO_BASELINE
    if value is None:
        return NO_DATA
    if measured_on is None:
        raise ValueError("A measured value needs the date it was measured on.")
    if meets_target(target=target, value=value, direction=direction):
        return ACHIEVED
    if today > target_date:
        return OFF_TRACK
    made = progress(baseline=baseline, target=target, value=value, direction=direction)
    expected = expected_progress(
        baseline_date=baseline_date, target_date=target_date, on=measured_on
    )
    if made >= expected:
        return ON_TRACK
    if made >= expected - AT_RISK_MARGIN:
        return AT_RISK
    return OFF_TRACK


def _add_months(day: date, months: int) -> date:
    """The same day of the month `months` later, or the last day of a shorter month."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_after(*, cadence: str, day: date) -> date:
    """day + 7 days (weekly), + 1 calendar month (monthly), + 3 calendar months (quarterly)."""
    if cadence == WEEKLY:
        return day + timedelta(days=7)
    if cadence in _MONTHS:
        return _add_months(day, _MONTHS[cadence])
    raise ValueError(f"Unknown KPI cadence: {cadence!r}")


def next_due(*, cadence: str, last_measured_on: date | None, start: date | None) -> date | None:
    """One period after the later of the latest measurement and go-live (None if neither)."""
    known = [day for day in (last_measured_on, start) if day is not None]
    if not known:
        return None
    return period_after(cadence=cadence, day=max(known))


def overdue_periods(*, cadence: str, next_due: date, today: date) -> int:
    """0 until the due date has passed; then 1 + the further whole periods passed since it."""
    if today <= next_due:
        return 0
    if cadence == WEEKLY:
        return ((today - next_due).days - 1) // 7 + 1
    if cadence not in _MONTHS:
        raise ValueError(f"Unknown KPI cadence: {cadence!r}")
    step = _MONTHS[cadence]
    # Due dates are next_due + k periods (k = 0, 1, ...); count those strictly before today.
    months = (today.year - next_due.year) * 12 + today.month - next_due.month
    last = months // step
    while _add_months(next_due, last * step) >= today:
        last -= 1
    while _add_months(next_due, (last + 1) * step) < today:
        last += 1
    return last + 1


@dataclass(frozen=True)
class KpiFigures:
    """Every computed figure of one KPI on one day, for pages, the API and reports."""

    latest_value: Decimal | None
    latest_on: date | None
    progress: Decimal | None
    expected: Decimal | None
    status: str
    next_due: date | None
    overdue_periods: int
    trajectory_today: Decimal | None


def compute(
    *,
    baseline: Decimal | None,
    baseline_date: date | None,
    target: Decimal,
    target_date: date,
    direction: str,
    cadence: str,
    go_live: date | None,
    latest_value: Decimal | None,
    latest_on: date | None,
    today: date,
) -> KpiFigures:
    """All figures: progress and expected on the latest measurement's date, trajectory today."""
    has_baseline = baseline is not None and baseline_date is not None
    has_value = latest_value is not None and latest_on is not None
    made = expected = trajectory_today = None
    if has_baseline:
        trajectory_today = trajectory_value(
            baseline=baseline,
            target=target,
            baseline_date=baseline_date,
            target_date=target_date,
            on=today,
        )
        if has_value:
            made = progress(
                baseline=baseline, target=target, value=latest_value, direction=direction
            )
            expected = expected_progress(
                baseline_date=baseline_date, target_date=target_date, on=latest_on
            )
    due = next_due(cadence=cadence, last_measured_on=latest_on, start=go_live)
    overdue = 0 if due is None else overdue_periods(cadence=cadence, next_due=due, today=today)
    return KpiFigures(
        latest_value=latest_value,
        latest_on=latest_on,
        progress=made,
        expected=expected,
        status=status(
            baseline=baseline,
            target=target,
            direction=direction,
            baseline_date=baseline_date,
            target_date=target_date,
            value=latest_value,
            measured_on=latest_on,
            today=today,
        ),
        next_due=due,
        overdue_periods=overdue,
        trajectory_today=trajectory_today,
    )
