from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kpis.metrics import (
    ACHIEVED,
    AT_RISK,
    HIGHER,
    LOWER,
    MONTHLY,
    NO_BASELINE,
    NO_DATA,
    OFF_TRACK,
    ON_TRACK,
    QUARTERLY,
    WEEKLY,
    KpiFigures,
    compute,
    expected_progress,
    meets_target,
    next_due,
    overdue_periods,
    period_after,
    progress,
    status,
    trajectory_value,
)

D = Decimal
FAST = settings(max_examples=200, deadline=None)

values = st.decimals(
    min_value=-1_000_000, max_value=1_000_000, places=4, allow_nan=False, allow_infinity=False
)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
directions = st.sampled_from([HIGHER, LOWER])
cadences = st.sampled_from([WEEKLY, MONTHLY, QUARTERLY])

# A 100-day trajectory: halfway on 20 February.
BASELINE_DATE = date(2025, 1, 1)
TARGET_DATE = date(2025, 4, 11)
HALFWAY = date(2025, 2, 20)
CLOSE_BASELINE = D(10)


# --- progress and meets_target: the worked examples of DOMAIN.md ---


@pytest.mark.parametrize(
    ("value", "expected", "met"),
    [
        (D("100"), D("0.5556"), False),
        (D("84"), D("1"), True),
        (D("70"), D("1.3889"), True),
        (D("130"), D("-0.2778"), False),
        (D("120"), D("0"), False),
    ],
)
def test_data_entry_errors_down_30_percent(value, expected, met):
    # 120 errors a month, target 84 (-30%), lower is better.
    assert progress(baseline=D(120), target=D(84), value=value, direction=LOWER) == expected
    assert meets_target(target=D(84), value=value, direction=LOWER) is met


@pytest.mark.parametrize(
    ("value", "expected", "met"),
    [
        (D("55"), D("0.5"), False),
        (D("60"), D("1"), True),
        (D("63"), D("1.3"), True),
        (D("45"), D("-0.5"), False),
    ],
)
def test_order_productivity_up_20_percent(value, expected, met):
    # 50 orders an hour, target 60 (+20%), higher is better.
    assert progress(baseline=D(50), target=D(60), value=value, direction=HIGHER) == expected
    assert meets_target(target=D(60), value=value, direction=HIGHER) is met


@pytest.mark.parametrize(
    ("value", "expected", "met"),
    [
        (D("7"), D("0.6"), False),
        (D("5"), D("1"), True),
        (D("4"), D("1.2"), True),
        (D("12"), D("-0.4"), False),
    ],
)
def test_month_end_close_from_10_days_to_5(value, expected, met):
    assert progress(baseline=D(10), target=D(5), value=value, direction=LOWER) == expected
    assert meets_target(target=D(5), value=value, direction=LOWER) is met


def test_progress_is_rounded_half_up_to_four_places():
    # 1/3 of the way, and exactly halfway between two ten-thousandths (0.00005 -> 0.0001).
    assert str(progress(baseline=D(0), target=D(3), value=D(1), direction=HIGHER)) == "0.3333"
    assert progress(baseline=D(0), target=D(2), value=D("0.0001"), direction=HIGHER) == D("0.0001")


def test_progress_never_shows_negative_zero():
    result = progress(baseline=D(10), target=D(5), value=D(10), direction=LOWER)

    assert str(result) == "0.0000"


@pytest.mark.parametrize(
    ("direction", "value", "expected"),
    [
        (HIGHER, D("80"), D(1)),
        (HIGHER, D("81"), D(1)),
        (HIGHER, D("79.9"), D(0)),
        (LOWER, D("80"), D(1)),
        (LOWER, D("79.9"), D(1)),
        (LOWER, D("81"), D(0)),
    ],
)
def test_baseline_equal_to_target_counts_as_all_or_nothing(direction, value, expected):
    assert progress(baseline=D(80), target=D(80), value=value, direction=direction) == expected


def test_unknown_direction_is_refused():
    with pytest.raises(ValueError, match="direction"):
        progress(baseline=D(1), target=D(2), value=D(1), direction="up")


# --- expected progress and the trajectory ---


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2024, 12, 1), D(0)),
        (BASELINE_DATE, D(0)),
        (date(2025, 1, 2), D("0.01")),
        (HALFWAY, D("0.5")),
        (TARGET_DATE, D(1)),
        (date(2025, 12, 31), D(1)),
    ],
)
def test_expected_progress_follows_the_calendar_and_is_clamped(on, expected):
    assert (
        expected_progress(baseline_date=BASELINE_DATE, target_date=TARGET_DATE, on=on) == expected
    )


def test_expected_progress_needs_a_target_date_after_the_baseline_date():
    with pytest.raises(ValueError, match="after the baseline date"):
        expected_progress(baseline_date=BASELINE_DATE, target_date=BASELINE_DATE, on=HALFWAY)


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2024, 12, 1), D(120)),
        (HALFWAY, D(102)),
        (date(2025, 1, 11), D("116.4")),
        (TARGET_DATE, D(84)),
        (date(2026, 1, 1), D(84)),
    ],
)
def test_trajectory_value_on_the_straight_line(on, expected):
    result = trajectory_value(
        baseline=D(120), target=D(84), baseline_date=BASELINE_DATE, target_date=TARGET_DATE, on=on
    )

    assert result == expected


# --- status at its boundaries (month-end close 10 -> 5 days, halfway expects 0.5) ---


def _close_status(value, *, measured_on=HALFWAY, today=HALFWAY, baseline=CLOSE_BASELINE):
    return status(
        baseline=baseline,
        target=D(5),
        direction=LOWER,
        baseline_date=BASELINE_DATE,
        target_date=TARGET_DATE,
        value=value,
        measured_on=measured_on,
        today=today,
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("7.5"), ON_TRACK),  # exactly on the trajectory: 0.5 of the way
        (D("7"), ON_TRACK),  # ahead: 0.6
        (D("7.6"), AT_RISK),  # 0.48
        (D("8"), AT_RISK),  # exactly expected - 0.10: 0.4
        (D("8.0001"), AT_RISK),  # 0.39998 is shown as 0.4000, and judged as shown
        (D("8.0005"), OFF_TRACK),  # just below: 0.3999
        (D("10"), OFF_TRACK),  # no progress at all
        (D("11"), OFF_TRACK),  # worse than the baseline
        (D("5"), ACHIEVED),
        (D("4.5"), ACHIEVED),
    ],
)
def test_status_compares_progress_with_the_trajectory(value, expected):
    assert _close_status(value) == expected


def test_status_is_judged_on_the_measurement_date_not_today():
    # 0.3 of the way on 11 January (expected 0.1) is on track, even if read on 20 February.
    assert _close_status(D("8.5"), measured_on=date(2025, 1, 11), today=HALFWAY) == ON_TRACK


def test_status_is_off_track_once_the_deadline_passed_unmet():
    on_the_day = _close_status(D("5.1"), measured_on=TARGET_DATE, today=TARGET_DATE)
    day_after = _close_status(D("5.1"), measured_on=TARGET_DATE, today=date(2025, 4, 12))
    on_trajectory_earlier = _close_status(D("7.5"), today=date(2025, 4, 12))

    assert (on_the_day, day_after, on_trajectory_earlier) == (AT_RISK, OFF_TRACK, OFF_TRACK)


def test_status_stays_achieved_after_the_deadline():
    assert _close_status(D(5), measured_on=date(2025, 5, 1), today=date(2025, 6, 1)) == ACHIEVED


def test_status_without_baseline_or_data():
    no_baseline = _close_status(D(7), baseline=None)
    no_baseline_date = status(
        baseline=D(10),
        target=D(5),
        direction=LOWER,
        baseline_date=None,
        target_date=TARGET_DATE,
        value=D(7),
        measured_on=HALFWAY,
        today=HALFWAY,
    )
    no_data = _close_status(None, measured_on=None)

    assert (no_baseline, no_baseline_date, no_data) == (NO_BASELINE, NO_BASELINE, NO_DATA)


def test_status_of_a_value_needs_its_date():
    with pytest.raises(ValueError, match="date"):
        _close_status(D(7), measured_on=None)


# --- cadence: period_after, next_due, overdue_periods ---


@pytest.mark.parametrize(
    ("cadence", "day", "expected"),
    [
        (WEEKLY, date(2025, 12, 29), date(2026, 1, 5)),
        (WEEKLY, date(2024, 2, 26), date(2024, 3, 4)),
        (MONTHLY, date(2025, 1, 15), date(2025, 2, 15)),
        (MONTHLY, date(2025, 1, 31), date(2025, 2, 28)),
        (MONTHLY, date(2024, 1, 31), date(2024, 2, 29)),
        (MONTHLY, date(2024, 2, 29), date(2024, 3, 29)),
        (MONTHLY, date(2025, 3, 31), date(2025, 4, 30)),
        (MONTHLY, date(2025, 12, 31), date(2026, 1, 31)),
        (QUARTERLY, date(2025, 1, 15), date(2025, 4, 15)),
        (QUARTERLY, date(2024, 11, 30), date(2025, 2, 28)),
        (QUARTERLY, date(2023, 11, 30), date(2024, 2, 29)),
        (QUARTERLY, date(2025, 12, 31), date(2026, 3, 31)),
        (QUARTERLY, date(2025, 5, 31), date(2025, 8, 31)),
    ],
)
def test_period_after(cadence, day, expected):
    assert period_after(cadence=cadence, day=day) == expected


def test_unknown_cadence_is_refused():
    with pytest.raises(ValueError, match="cadence"):
        period_after(cadence="daily", day=HALFWAY)


def test_next_due_counts_from_go_live_until_first_measured():
    assert next_due(cadence=MONTHLY, last_measured_on=None, start=date(2025, 3, 1)) == date(
        2025, 4, 1
    )


def test_next_due_counts_from_the_latest_measurement():
    due = next_due(cadence=WEEKLY, last_measured_on=date(2025, 3, 12), start=date(2025, 3, 1))

    assert due == date(2025, 3, 19)


def test_next_due_ignores_measurements_taken_before_go_live():
    due = next_due(cadence=MONTHLY, last_measured_on=date(2025, 1, 10), start=date(2025, 3, 1))

    assert due == date(2025, 4, 1)


def test_next_due_is_unknown_without_go_live_or_measurement():
    assert next_due(cadence=MONTHLY, last_measured_on=None, start=None) is None


@pytest.mark.parametrize(
    ("cadence", "due", "today", "expected"),
    [
        (WEEKLY, date(2025, 3, 3), date(2025, 3, 1), 0),
        (WEEKLY, date(2025, 3, 3), date(2025, 3, 3), 0),
        (WEEKLY, date(2025, 3, 3), date(2025, 3, 4), 1),
        (WEEKLY, date(2025, 3, 3), date(2025, 3, 10), 1),
        (WEEKLY, date(2025, 3, 3), date(2025, 3, 11), 2),
        (WEEKLY, date(2025, 3, 3), date(2025, 3, 31), 4),
        (MONTHLY, date(2025, 1, 31), date(2025, 2, 1), 1),
        (MONTHLY, date(2025, 1, 31), date(2025, 2, 28), 1),
        (MONTHLY, date(2025, 1, 31), date(2025, 3, 1), 2),
        (MONTHLY, date(2025, 1, 31), date(2025, 3, 31), 2),  # due 31 Jan, 28 Feb, 31 Mar
        (MONTHLY, date(2025, 1, 31), date(2025, 4, 1), 3),
        (MONTHLY, date(2024, 12, 15), date(2025, 12, 16), 13),
        (QUARTERLY, date(2025, 1, 15), date(2025, 4, 15), 1),
        (QUARTERLY, date(2025, 1, 15), date(2025, 4, 16), 2),
        (QUARTERLY, date(2025, 1, 15), date(2025, 12, 31), 4),
    ],
)
def test_overdue_periods(cadence, due, today, expected):
    assert overdue_periods(cadence=cadence, next_due=due, today=today) == expected


# --- compute: every figure together ---


def test_compute_data_entry_errors_measured_halfway():
    figures = compute(
        baseline=D(120),
        baseline_date=BASELINE_DATE,
        target=D(84),
        target_date=TARGET_DATE,
        direction=LOWER,
        cadence=MONTHLY,
        go_live=date(2025, 1, 10),
        latest_value=D(105),
        latest_on=HALFWAY,
        today=date(2025, 4, 1),
    )

    assert figures == KpiFigures(
        latest_value=D(105),
        latest_on=HALFWAY,
        progress=D("0.4167"),
        expected=D("0.5"),
        status=AT_RISK,
        next_due=date(2025, 3, 20),
        overdue_periods=1,
        trajectory_today=D("87.6"),
    )


def test_compute_without_measurement_or_baseline():
    no_data = compute(
        baseline=D(50),
        baseline_date=BASELINE_DATE,
        target=D(60),
        target_date=TARGET_DATE,
        direction=HIGHER,
        cadence=WEEKLY,
        go_live=date(2025, 3, 3),
        latest_value=None,
        latest_on=None,
        today=date(2025, 3, 3),
    )
    no_baseline = compute(
        baseline=None,
        baseline_date=None,
        target=D(60),
        target_date=TARGET_DATE,
        direction=HIGHER,
        cadence=WEEKLY,
        go_live=None,
        latest_value=D(55),
        latest_on=HALFWAY,
        today=HALFWAY,
    )

    assert no_data == KpiFigures(
        latest_value=None,
        latest_on=None,
        progress=None,
        expected=None,
        status=NO_DATA,
        next_due=date(2025, 3, 10),
        overdue_periods=0,
        trajectory_today=D("56.1"),
    )
    assert no_baseline == KpiFigures(
        latest_value=D(55),
        latest_on=HALFWAY,
        progress=None,
        expected=None,
        status=NO_BASELINE,
        next_due=date(2025, 2, 27),
        overdue_periods=0,
        trajectory_today=None,
    )


# --- properties ---


@FAST
@given(baseline=values, target=values, direction=directions)
def test_progress_is_zero_at_baseline_and_one_at_target(baseline, target, direction):
    assume(baseline != target)

    at_baseline = progress(baseline=baseline, target=target, value=baseline, direction=direction)
    at_target = progress(baseline=baseline, target=target, value=target, direction=direction)

    assert (at_baseline, at_target) == (0, 1)


@FAST
@given(baseline=values, target=values, value=values)
def test_lower_is_better_mirrors_higher_is_better(baseline, target, value):
    lower = progress(baseline=baseline, target=target, value=value, direction=LOWER)
    higher = progress(baseline=-baseline, target=-target, value=-value, direction=HIGHER)

    assert lower == higher


@FAST
@given(baseline=values, target=values, first=values, second=values, direction=directions)
def test_progress_grows_as_the_value_gets_better(baseline, target, first, second, direction):
    # Better means larger for higher-is-better, smaller for lower-is-better.
    worse, better = sorted([first, second], reverse=direction == LOWER)
    # A target on the wrong side of the baseline makes "the way" point backwards; skip it.
    assume(target > baseline if direction == HIGHER else target < baseline)

    p_worse = progress(baseline=baseline, target=target, value=worse, direction=direction)
    p_better = progress(baseline=baseline, target=target, value=better, direction=direction)

    assert p_worse <= p_better


@FAST
@given(level=values, first=values, second=values, direction=directions)
def test_progress_with_baseline_equal_to_target_grows_as_the_value_gets_better(
    level, first, second, direction
):
    worse, better = sorted([first, second], reverse=direction == LOWER)

    p_worse = progress(baseline=level, target=level, value=worse, direction=direction)
    p_better = progress(baseline=level, target=level, value=better, direction=direction)

    assert p_worse <= p_better


@FAST
@given(
    baseline_date=days,
    span=st.integers(min_value=1, max_value=2000),
    first=days,
    second=days,
)
def test_expected_progress_is_within_0_and_1_and_grows_with_time(
    baseline_date, span, first, second
):
    target_date = baseline_date + timedelta(days=span)
    earlier, later = sorted([first, second])

    e_earlier = expected_progress(baseline_date=baseline_date, target_date=target_date, on=earlier)
    e_later = expected_progress(baseline_date=baseline_date, target_date=target_date, on=later)

    assert 0 <= e_earlier <= e_later <= 1


@FAST
@given(
    baseline=values,
    target=values,
    baseline_date=days,
    span=st.integers(min_value=1, max_value=2000),
)
def test_trajectory_runs_from_baseline_to_target(baseline, target, baseline_date, span):
    target_date = baseline_date + timedelta(days=span)
    line = {
        "baseline": baseline,
        "target": target,
        "baseline_date": baseline_date,
        "target_date": target_date,
    }

    assert trajectory_value(**line, on=baseline_date) == baseline
    assert trajectory_value(**line, on=target_date) == target


@FAST
@given(
    baseline=values,
    target=values,
    value=values,
    direction=directions,
    baseline_date=days,
    span=st.integers(min_value=1, max_value=2000),
    measured_on=days,
    today=days,
)
def test_status_is_achieved_exactly_when_the_target_is_met(
    baseline, target, value, direction, baseline_date, span, measured_on, today
):
    result = status(
        baseline=baseline,
        target=target,
        direction=direction,
        baseline_date=baseline_date,
        target_date=baseline_date + timedelta(days=span),
        value=value,
        measured_on=measured_on,
        today=today,
    )

    assert (result == ACHIEVED) is meets_target(target=target, value=value, direction=direction)
    assert result in {ACHIEVED, ON_TRACK, AT_RISK, OFF_TRACK}


@FAST
@given(cadence=cadences, last_measured_on=st.none() | days, start=st.none() | days)
def test_next_due_is_after_the_last_measurement_and_go_live(cadence, last_measured_on, start):
    assume(last_measured_on is not None or start is not None)

    due = next_due(cadence=cadence, last_measured_on=last_measured_on, start=start)

    assert all(due > day for day in (last_measured_on, start) if day is not None)


@FAST
@given(cadence=cadences, day=days)
def test_a_period_is_between_a_week_and_three_months(cadence, day):
    gap = (period_after(cadence=cadence, day=day) - day).days

    assert {WEEKLY: gap == 7, MONTHLY: 28 <= gap <= 31, QUARTERLY: 89 <= gap <= 92}[cadence]


@FAST
@given(cadence=cadences, due=days, today=days)
def test_nothing_is_overdue_exactly_until_the_due_date_passes(cadence, due, today):
    overdue = overdue_periods(cadence=cadence, next_due=due, today=today)

    assert (overdue == 0) is (today <= due)
    assert overdue >= 0


@FAST
@given(cadence=cadences, due=days)
def test_the_second_period_is_overdue_the_day_after_the_next_due_date(cadence, due):
    following = period_after(cadence=cadence, day=due)

    on_following = overdue_periods(cadence=cadence, next_due=due, today=following)
    day_after = overdue_periods(cadence=cadence, next_due=due, today=following + timedelta(days=1))

    assert (on_following, day_after) == (1, 2)


@FAST
@given(cadence=cadences, due=days, first=days, second=days)
def test_overdue_periods_grow_with_time(cadence, due, first, second):
    earlier, later = sorted([first, second])

    assert overdue_periods(cadence=cadence, next_due=due, today=earlier) <= overdue_periods(
        cadence=cadence, next_due=due, today=later
    )
