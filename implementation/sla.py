"""SLA arithmetic in a project's working time: free of the database, tested on its own.

A project's support works certain weekdays between two wall-clock times in its own time
zone, except public holidays. SLA targets are given in working hours or business days (one
business day = one working day's length). `add_working` says when a clock that starts at a
moment runs out; `working_between` how much working time lies between two moments. Nights,
weekends and holidays do not count; a ticket raised at night starts its clock when the next
working day begins. Wall-clock times are combined with the zone day by day, so a daylight
saving change keeps "08:00" at 08:00.
"""

import datetime
import zoneinfo
from dataclasses import dataclass, field

MAX_DAYS = 3 * 366  # a clock never needs to look further ahead than this


@dataclass(frozen=True)
class WorkingTime:
    zone: zoneinfo.ZoneInfo
    starts: datetime.time = datetime.time(8, 0)
    ends: datetime.time = datetime.time(17, 0)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    holidays: frozenset[datetime.date] = field(default_factory=frozenset)

    @property
    def day_length(self) -> datetime.timedelta:
        start = datetime.datetime.combine(datetime.date(2000, 1, 3), self.starts)
        end = datetime.datetime.combine(datetime.date(2000, 1, 3), self.ends)
        return max(end - start, datetime.timedelta(0))

    def is_working_day(self, day: datetime.date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def window(self, day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
        """The working hours of a day, as aware moments (empty on a day off)."""
        start = datetime.datetime.combine(day, self.starts, tzinfo=self.zone)
        end = datetime.datetime.combine(day, self.ends, tzinfo=self.zone)
        if not self.is_working_day(day) or end <= start:
            return start, start
        return start, end


def _utc(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC)


def duration(value: int, unit: str, hours: WorkingTime) -> datetime.timedelta:
    """A target as working time: hours, or business days of the working day's length."""
    if unit == "business_days":
        return hours.day_length * value
    return datetime.timedelta(hours=value)


def add_working(
    start: datetime.datetime, amount: datetime.timedelta, hours: WorkingTime
) -> datetime.datetime:
    """The moment at which `amount` of working time after `start` has passed."""
    if hours.day_length <= datetime.timedelta(0) or not hours.weekdays:
        raise ValueError("Working time has no working hours.")
    left = amount
    day = _utc(start).astimezone(hours.zone).date()
    for _offset in range(MAX_DAYS):
        opens, closes = hours.window(day)
        begin = max(_utc(opens), _utc(start))
        end = _utc(closes)
        if begin < end:
            available = end - begin
            if left <= available:
                return (begin + left).astimezone(hours.zone)
            left -= available
        day += datetime.timedelta(days=1)
    raise ValueError("No working time within three years.")


def working_between(
    start: datetime.datetime, end: datetime.datetime, hours: WorkingTime
) -> datetime.timedelta:
    """Working time between two moments (zero when `end` is not after `start`)."""
    if end <= start:
        return datetime.timedelta(0)
    total = datetime.timedelta(0)
    day = _utc(start).astimezone(hours.zone).date()
    last = _utc(end).astimezone(hours.zone).date()
    while day <= last:
        opens, closes = hours.window(day)
        begin = max(_utc(opens), _utc(start))
        finish = min(_utc(closes), _utc(end))
        if begin < finish:
            total += finish - begin
        day += datetime.timedelta(days=1)
    return total


def parse_weekdays(text: str) -> frozenset[int]:
    return frozenset(int(part) for part in text.split(",") if part.strip().isdigit())
