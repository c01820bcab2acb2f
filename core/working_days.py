"""Working days on the official calendar: weekends and public holidays off, make-up days worked.

Notice periods (the public notice of results, the list of payees) are counted in working days,
the first and the last day included, as the notices say: "公示期：2026年12月1日至2026年12月7日（5个
工作日）". The rules are pure functions over a `WorkingCalendar`; `working_calendar` reads the
bureau's list of exceptional days (`core.models.CalendarDay`) into one. A year with no exceptional
day at all has not been entered yet: it is counted by its weekends alone, which is wrong around its
holidays, so `unrecorded_years` names it and the forms that set a notice period say so
("2027年的节假日安排尚未录入") and ask the clerk to confirm before such a count is used.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

SATURDAY = 5


@dataclass(frozen=True)
class WorkingCalendar:
    """The exceptional days of some years: holidays off (weekdays included), weekend days worked."""

    holidays: frozenset[datetime.date] = frozenset()
    make_up_days: frozenset[datetime.date] = frozenset()

    @property
    def years(self) -> frozenset[int]:
        """The years with at least one exceptional day: those whose list has been entered."""
        return frozenset(day.year for day in self.holidays | self.make_up_days)


def is_working_day(day: datetime.date, calendar: WorkingCalendar) -> bool:
    """A make-up day is worked, a holiday is not, otherwise Monday to Friday are."""
    if day in calendar.make_up_days:
        return True
    if day in calendar.holidays:
        return False
    return day.weekday() < SATURDAY


def working_days_between(first: datetime.date, last: datetime.date, calendar: WorkingCalendar) -> int:
    """The working days from `first` to `last`, both included (0 when `last` is before `first`)."""
    count, day = 0, first
    while day <= last:
        count += is_working_day(day, calendar)
        day += datetime.timedelta(days=1)
    return count


def add_working_days(start: datetime.date, n: int, calendar: WorkingCalendar) -> datetime.date:
    """The last day of a period of `n` working days beginning on `start` (counted if it is worked).

    `add_working_days(Tuesday 1 December, 5)` is Monday 7 December. A period of 0 days ends on
    `start` itself. The answer is the earliest last day that gives the period `n` working days.
    """
    if n <= 0:
        return start
    day, counted = start, 0
    while True:
        counted += is_working_day(day, calendar)
        if counted >= n:
            return day
        day += datetime.timedelta(days=1)


def unrecorded_years(first: datetime.date, last: datetime.date, calendar: WorkingCalendar) -> list[int]:
    """The years between `first` and `last` (inclusive) whose holiday list has not been entered."""
    return [year for year in range(first.year, last.year + 1) if year not in calendar.years]


def unrecorded_message(years: list[int]) -> str:
    """What a clerk reads when a period reaches a year without its list: "2027年的节假日安排尚未录入…"."""
    named = "、".join(f"{year}年" for year in years)
    return f"{named}的节假日安排尚未录入，公示期只能按周一至周五计算工作日。请先在“节假日安排”中录入国务院公布的安排。"


# How far past a period's last day the calendar is read: a period the clerk shortens or
# lengthens, or the earliest allowed last day, lies within this many days of the days asked for.
_READ_AHEAD = datetime.timedelta(days=60)


def working_calendar(first: datetime.date, last: datetime.date) -> WorkingCalendar:
    """The bureau's calendar from the year of `first` through a little after `last`, read from the database.

    Whole years are read, so `WorkingCalendar.years` tells which of them have been entered.
    """
    from core.models import CalendarDay

    until = last + _READ_AHEAD
    rows = CalendarDay.objects.filter(day__year__gte=first.year, day__year__lte=until.year).values_list(
        "day", "kind"
    )
    holidays, make_up = set(), set()
    for day, kind in rows:
        (make_up if kind == CalendarDay.Kind.MAKE_UP else holidays).add(day)
    return WorkingCalendar(holidays=frozenset(holidays), make_up_days=frozenset(make_up))


def day_start(day: datetime.date) -> datetime.datetime:
    """00:00 of `day` in China (the project's time zone), as an aware datetime."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def day_end(day: datetime.date) -> datetime.datetime:
    """The last moment of `day` in China (23:59:59.999999), as an aware datetime."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))


def chinese_date(day: datetime.date) -> str:
    """2026年12月7日."""
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass(frozen=True)
class NoticePeriod:
    """A notice's first and last day (local dates) and how many working days lie between them."""

    first: datetime.date
    last: datetime.date
    working_days: int

    def __str__(self) -> str:
        return f"{chinese_date(self.first)}至{chinese_date(self.last)}（{self.working_days}个工作日）"


def notice_period(start: datetime.datetime, end: datetime.datetime) -> NoticePeriod:
    """The local first and last day of a notice running from `start` to `end`, with its working days."""
    first, last = timezone.localdate(start), timezone.localdate(end)
    return NoticePeriod(first, last, working_days_between(first, last, working_calendar(first, last)))


def notice_period_refusal(*, first: datetime.date, last: datetime.date, minimum: int) -> str:
    """Why a notice from `first` to `last` is too short for a policy's `minimum` working days, or "".

    A minimum of 0 asks only that the days are in order. The refusal names the earliest allowed
    last day: "公示期不少于5个工作日，最早可至 2026年12月7日。". Days of a year whose holiday list is not
    entered count by weekday (see the module's docstring: the forms warn of it).
    """
    if last < first:
        return "公示的最后一天不能早于第一天。"
    if minimum <= 0:
        return ""
    calendar = working_calendar(first, last)
    earliest = add_working_days(first, minimum, calendar)
    if last < earliest:
        return f"公示期不少于{minimum}个工作日，最早可至 {chinese_date(earliest)}。"
    return ""


def earliest_last_day(first: datetime.date, minimum: int) -> datetime.date:
    """The earliest last day of a notice of `minimum` working days from `first`."""
    return add_working_days(first, minimum, working_calendar(first, first))
