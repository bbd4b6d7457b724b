"""SLA arithmetic in a project's working time (implementation.sla): no database."""

import datetime
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from implementation import sla

HANOI = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
H = datetime.timedelta(hours=1)
MIN = datetime.timedelta(minutes=1)


def at(zone, *parts):
    return datetime.datetime(*parts, tzinfo=zone)


def office(zone=HANOI, **fields):
    return sla.WorkingTime(zone=zone, **fields)


# --- add_working -----------------------------------------------------------------------------


def test_friday_afternoon_four_hours_are_due_monday_at_eleven():
    hours = office()
    raised = at(HANOI, 2026, 11, 20, 16, 0)  # a Friday

    due = sla.add_working(raised, 4 * H, hours)

    assert due == at(HANOI, 2026, 11, 23, 11, 0)
    assert due.weekday() == 0


def test_a_ticket_raised_at_night_starts_its_clock_at_the_next_opening():
    hours = office()
    raised = at(HANOI, 2026, 11, 17, 22, 30)  # Tuesday night

    assert sla.add_working(raised, H, hours) == at(HANOI, 2026, 11, 18, 9, 0)
    assert sla.add_working(raised, datetime.timedelta(0), hours) == at(HANOI, 2026, 11, 18, 8, 0)


def test_a_ticket_raised_before_opening_starts_at_eight_the_same_day():
    hours = office()
    raised = at(HANOI, 2026, 11, 18, 6, 15)

    assert sla.add_working(raised, 30 * MIN, hours) == at(HANOI, 2026, 11, 18, 8, 30)


def test_a_weekend_ticket_starts_on_monday():
    hours = office()
    raised = at(HANOI, 2026, 11, 21, 10, 0)  # Saturday

    assert sla.add_working(raised, 2 * H, hours) == at(HANOI, 2026, 11, 23, 10, 0)


def test_the_clock_runs_over_several_nights():
    hours = office()
    raised = at(HANOI, 2026, 11, 16, 15, 0)  # Monday 15:00: 2 h left that day

    # 2 h Monday + 9 h Tuesday + 9 h Wednesday + 1 h Thursday.
    assert sla.add_working(raised, 21 * H, hours) == at(HANOI, 2026, 11, 19, 9, 0)


def test_a_public_holiday_does_not_count():
    hours = office(holidays=frozenset({datetime.date(2026, 9, 2)}))  # National Day, Wednesday
    raised = at(HANOI, 2026, 9, 1, 16, 0)

    assert sla.add_working(raised, 2 * H, hours) == at(HANOI, 2026, 9, 3, 9, 0)


def test_a_ticket_raised_on_a_holiday_starts_the_next_working_day():
    tet = frozenset(datetime.date(2027, 2, day) for day in range(5, 12))  # Tết, Fri to Thu
    hours = office(holidays=tet)
    raised = at(HANOI, 2027, 2, 8, 10, 0)  # Monday, inside the holiday

    assert sla.add_working(raised, 3 * H, hours) == at(HANOI, 2027, 2, 12, 11, 0)


def test_a_business_day_is_the_length_of_the_working_day():
    hours = office(starts=datetime.time(8, 30), ends=datetime.time(17, 30))

    assert hours.day_length == 9 * H
    assert sla.duration(1, "business_days", hours) == 9 * H
    assert sla.duration(3, "business_days", hours) == 27 * H
    assert sla.duration(4, "hours", hours) == 4 * H
    raised = at(HANOI, 2026, 11, 16, 10, 0)  # Monday
    assert sla.add_working(raised, sla.duration(3, "business_days", hours), hours) == at(
        HANOI, 2026, 11, 19, 10, 0
    )


def test_one_business_day_from_friday_lands_on_monday_at_the_same_time():
    hours = office()
    raised = at(HANOI, 2026, 11, 20, 14, 0)

    assert sla.add_working(raised, sla.duration(1, "business_days", hours), hours) == at(
        HANOI, 2026, 11, 23, 14, 0
    )


def test_a_six_day_week_counts_saturday():
    hours = office(weekdays=frozenset({0, 1, 2, 3, 4, 5}))
    raised = at(HANOI, 2026, 11, 20, 16, 0)

    assert sla.add_working(raised, 4 * H, hours) == at(HANOI, 2026, 11, 21, 11, 0)


def test_the_same_moment_is_due_at_different_times_in_different_zones():
    raised = datetime.datetime(2026, 11, 16, 2, 0, tzinfo=datetime.UTC)  # Mon 09:00 in Hanoi

    hanoi = sla.add_working(raised, 2 * H, office(HANOI))
    berlin = sla.add_working(raised, 2 * H, office(BERLIN))  # 03:00 there: night

    assert hanoi == at(HANOI, 2026, 11, 16, 11, 0)
    assert berlin == at(BERLIN, 2026, 11, 16, 10, 0)
    assert berlin.astimezone(datetime.UTC) == datetime.datetime(
        2026, 11, 16, 9, 0, tzinfo=datetime.UTC
    )


def test_berlin_friday_afternoon_is_due_monday_across_the_autumn_change():
    hours = office(BERLIN)
    raised = at(BERLIN, 2026, 10, 23, 16, 0)  # Friday, CEST (+2); clocks go back on Sunday

    due = sla.add_working(raised, 4 * H, hours)

    assert due == at(BERLIN, 2026, 10, 26, 11, 0)
    assert due.utcoffset() == H  # CET
    assert sla.working_between(raised, due, hours) == 4 * H


def test_new_york_keeps_eight_o_clock_across_the_spring_change():
    hours = office(NEW_YORK)
    raised = at(NEW_YORK, 2026, 3, 6, 16, 0)  # Friday, EST (-5); DST starts Sunday 8 March

    due = sla.add_working(raised, 2 * H, hours)

    assert due == at(NEW_YORK, 2026, 3, 9, 9, 0)
    # Wall clock 09:00 EDT is 13:00 UTC, not the 14:00 a fixed offset would give.
    assert due.astimezone(datetime.UTC) == datetime.datetime(2026, 3, 9, 13, 0, tzinfo=datetime.UTC)


def test_new_york_change_day_has_an_hour_less_when_it_is_worked():
    # A night shift that works Sundays: 01:00-05:00 on 8 March is 3 real hours (02:00 -> 03:00).
    hours = office(
        NEW_YORK,
        starts=datetime.time(1, 0),
        ends=datetime.time(5, 0),
        weekdays=frozenset(range(7)),
    )
    day_start = at(NEW_YORK, 2026, 3, 8, 0, 0)
    day_end = at(NEW_YORK, 2026, 3, 8, 23, 0)

    assert sla.working_between(day_start, day_end, hours) == 3 * H
    assert sla.add_working(day_start, 3 * H, hours) == at(NEW_YORK, 2026, 3, 8, 5, 0)
    # Autumn: 1 November 2026 has an hour more.
    autumn = at(NEW_YORK, 2026, 11, 1, 0, 0)
    assert sla.working_between(autumn, at(NEW_YORK, 2026, 11, 1, 23, 0), hours) == 5 * H


def test_add_working_refuses_working_time_without_hours():
    with pytest.raises(ValueError, match="no working hours"):
        sla.add_working(at(HANOI, 2026, 11, 16, 9), H, office(weekdays=frozenset()))
    closed = office(starts=datetime.time(17, 0), ends=datetime.time(8, 0))
    with pytest.raises(ValueError, match="no working hours"):
        sla.add_working(at(HANOI, 2026, 11, 16, 9), H, closed)


def test_add_working_gives_up_after_three_years_of_holidays():
    every_day = frozenset(
        datetime.date(2026, 1, 1) + datetime.timedelta(days=n) for n in range(4 * 366)
    )
    with pytest.raises(ValueError, match="three years"):
        sla.add_working(at(HANOI, 2026, 1, 1, 9), H, office(holidays=every_day))


# --- working_between -------------------------------------------------------------------------


def test_working_between_skips_nights_and_the_weekend():
    hours = office()
    friday = at(HANOI, 2026, 11, 20, 15, 0)
    monday = at(HANOI, 2026, 11, 23, 10, 30)

    assert sla.working_between(friday, monday, hours) == 2 * H + 150 * MIN


def test_working_between_is_zero_backwards_and_outside_hours():
    hours = office()
    monday = at(HANOI, 2026, 11, 16, 10, 0)

    assert sla.working_between(monday, monday - H, hours) == datetime.timedelta(0)
    assert sla.working_between(monday, monday, hours) == datetime.timedelta(0)
    saturday = at(HANOI, 2026, 11, 21, 9, 0)
    assert sla.working_between(saturday, saturday + 30 * H, hours) == datetime.timedelta(0)
    night = at(HANOI, 2026, 11, 16, 18, 0)
    assert sla.working_between(night, night + 13 * H, hours) == datetime.timedelta(0)


def test_working_between_leaves_out_a_holiday():
    hours = office(holidays=frozenset({datetime.date(2026, 9, 2)}))

    assert sla.working_between(at(HANOI, 2026, 9, 1, 8, 0), at(HANOI, 2026, 9, 4, 8, 0), hours) == (
        18 * H
    )


def test_working_between_takes_moments_in_any_zone():
    hours = office()
    start = datetime.datetime(2026, 11, 16, 1, 0, tzinfo=datetime.UTC)  # 08:00 Hanoi
    end = at(BERLIN, 2026, 11, 16, 4, 0)  # 10:00 Hanoi

    assert sla.working_between(start, end, hours) == 2 * H


def test_parse_weekdays_ignores_blanks_and_junk():
    assert sla.parse_weekdays("0, 1,2,,x,5") == frozenset({0, 1, 2, 5})
    assert sla.parse_weekdays("") == frozenset()


# --- Properties ------------------------------------------------------------------------------

ZONES = st.sampled_from([HANOI, NEW_YORK, BERLIN])
FIRST = datetime.date(2026, 1, 1)


@st.composite
def working_times(draw):
    zone = draw(ZONES)
    start_minute = draw(st.integers(0, 20 * 60))
    length = draw(st.integers(30, 24 * 60 - 1 - start_minute))
    end_minute = start_minute + length
    weekdays = draw(st.frozensets(st.integers(0, 6), min_size=1))
    holidays = draw(
        st.frozensets(
            st.integers(0, 400).map(lambda n: FIRST + datetime.timedelta(days=n)), max_size=30
        )
    )
    return sla.WorkingTime(
        zone=zone,
        starts=datetime.time(start_minute // 60, start_minute % 60),
        ends=datetime.time(end_minute // 60, end_minute % 60),
        weekdays=weekdays,
        holidays=holidays,
    )


moments = st.integers(0, 365 * 24 * 60).map(
    lambda n: datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC) + n * MIN
)
# Up to twelve business days (the longest default target is ten): even one working day a
# week reaches that well within the three years a clock may look ahead.
shares = st.integers(0, 12 * 1000)


def of_days(hours, share):
    return (hours.day_length * share / 1000) // MIN * MIN


@settings(max_examples=150, deadline=None)
@given(hours=working_times(), start=moments, share=shares)
def test_working_between_undoes_add_working(hours, start, share):
    amount = of_days(hours, share)
    assert sla.working_between(start, sla.add_working(start, amount, hours), hours) == amount


@settings(max_examples=150, deadline=None)
@given(hours=working_times(), start=moments, first=shares, second=shares)
def test_add_working_is_monotonic(hours, start, first, second):
    low, high = sorted([of_days(hours, first), of_days(hours, second)])
    assert sla.add_working(start, low, hours) <= sla.add_working(start, high, hours)
    assert sla.add_working(start, low, hours) >= start


@settings(max_examples=150, deadline=None)
@given(hours=working_times(), start=moments, share=shares)
def test_a_due_time_is_inside_working_hours_on_a_working_day(hours, start, share):
    due = sla.add_working(start, of_days(hours, share), hours)
    day = due.astimezone(hours.zone).date()

    assert hours.is_working_day(day)
    opens, closes = hours.window(day)
    # Inside the day's hours, or exactly at their end (the clock ran out at closing time).
    assert (
        opens.astimezone(datetime.UTC)
        <= due.astimezone(datetime.UTC)
        <= closes.astimezone(datetime.UTC)
    )
