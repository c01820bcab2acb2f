"""Working days on the official calendar (core.working_days) and the bureau's page that keeps it."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from core.models import AuditEntry, CalendarDay
from core.working_days import (
    WorkingCalendar,
    add_working_days,
    is_working_day,
    notice_period_refusal,
    unrecorded_years,
    working_calendar,
    working_days_between,
)

D = datetime.date
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))

# A hand-made calendar: the pure rules need no database.
NATIONAL_DAY_2026 = WorkingCalendar(
    holidays=frozenset(D(2026, 10, day) for day in range(1, 8)),
    make_up_days=frozenset({D(2026, 9, 20), D(2026, 10, 10)}),
)


def test_weekdays_are_worked_and_weekends_are_not_on_an_ordinary_week():
    calendar = WorkingCalendar(holidays=frozenset({D(2026, 1, 1)}))
    week = [D(2026, 11, 30) + datetime.timedelta(days=n) for n in range(7)]  # Monday to Sunday
    assert [is_working_day(day, calendar) for day in week] == [True] * 5 + [False] * 2


def test_a_holiday_on_a_weekday_is_not_worked_and_a_make_up_saturday_is():
    assert not is_working_day(D(2026, 10, 1), NATIONAL_DAY_2026)  # Thursday, 国庆
    assert is_working_day(D(2026, 10, 10), NATIONAL_DAY_2026)  # Saturday, 调休上班
    assert not is_working_day(D(2026, 10, 11), NATIONAL_DAY_2026)  # an ordinary Sunday


def test_a_period_spanning_national_day_counts_no_holiday_and_the_make_up_saturday():
    # Wed 30 Sep; 1–7 Oct off; Thu 8, Fri 9, Sat 10 (make-up), Sun 11 off, Mon 12.
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 12), NATIONAL_DAY_2026) == 5
    assert working_days_between(D(2026, 10, 1), D(2026, 10, 7), NATIONAL_DAY_2026) == 0
    assert add_working_days(D(2026, 9, 30), 5, NATIONAL_DAY_2026) == D(2026, 10, 12)
    assert add_working_days(D(2026, 9, 30), 4, NATIONAL_DAY_2026) == D(2026, 10, 10)


def test_five_working_days_from_tuesday_1_december_end_on_monday_7_december():
    calendar = WorkingCalendar()
    assert add_working_days(D(2026, 12, 1), 5, calendar) == D(2026, 12, 7)
    assert working_days_between(D(2026, 12, 1), D(2026, 12, 7), calendar) == 5
    assert working_days_between(D(2026, 12, 1), D(2026, 12, 6), calendar) == 4
    # A period starting on a rest day begins counting on the next working day.
    assert add_working_days(D(2026, 12, 5), 1, calendar) == D(2026, 12, 7)
    assert add_working_days(D(2026, 12, 5), 0, calendar) == D(2026, 12, 5)


def test_a_year_with_no_entries_is_named_as_not_entered():
    calendar = WorkingCalendar(holidays=frozenset({D(2026, 10, 1)}))
    assert unrecorded_years(D(2026, 12, 28), D(2027, 1, 8), calendar) == [2027]
    assert unrecorded_years(D(2026, 12, 1), D(2026, 12, 7), calendar) == []


# --- the State Council's lists, installed by the migration -----------------------------------


@pytest.mark.django_db
def test_the_migration_installs_the_official_2025_and_2026_lists():
    calendar = working_calendar(D(2025, 1, 1), D(2026, 12, 31))
    assert calendar.years >= {2025, 2026}
    # 2025: 春节 28 Jan – 4 Feb off, Sunday 26 Jan and Saturday 8 Feb worked.
    assert not is_working_day(D(2025, 1, 28), calendar)
    assert not is_working_day(D(2025, 2, 4), calendar)
    assert is_working_day(D(2025, 1, 26), calendar)
    assert is_working_day(D(2025, 2, 8), calendar)
    # 2025 国庆中秋: eight days off, Sunday 28 Sep and Saturday 11 Oct worked.
    assert working_days_between(D(2025, 10, 1), D(2025, 10, 8), calendar) == 0
    assert is_working_day(D(2025, 9, 28), calendar) and is_working_day(D(2025, 10, 11), calendar)
    # 2026: 元旦 1–3 Jan off, Sunday 4 Jan worked; 春节 15–23 Feb, 14 and 28 Feb worked.
    assert is_working_day(D(2026, 1, 4), calendar)
    assert working_days_between(D(2026, 2, 15), D(2026, 2, 23), calendar) == 0
    assert is_working_day(D(2026, 2, 14), calendar) and is_working_day(D(2026, 2, 28), calendar)
    # 2026 国庆: 1–7 Oct off; Sunday 20 Sep and Saturday 10 Oct worked.
    assert add_working_days(D(2026, 9, 30), 5, calendar) == D(2026, 10, 12)
    assert is_working_day(D(2026, 9, 20), calendar)
    assert CalendarDay.objects.get(day=D(2026, 5, 9)).get_kind_display() == "调休上班日"


@pytest.mark.django_db
def test_a_refusal_names_the_earliest_allowed_last_day():
    assert notice_period_refusal(first=D(2026, 12, 1), last=D(2026, 12, 7), minimum=5) == ""
    assert (
        notice_period_refusal(first=D(2026, 12, 1), last=D(2026, 12, 6), minimum=5)
        == "公示期不少于5个工作日，最早可至 2026年12月7日。"
    )
    # Across 国庆 the earliest last day moves past the holiday (the make-up Saturday counts).
    assert (
        notice_period_refusal(first=D(2026, 9, 30), last=D(2026, 10, 9), minimum=5)
        == "公示期不少于5个工作日，最早可至 2026年10月12日。"
    )
    assert notice_period_refusal(first=D(2026, 12, 1), last=D(2026, 12, 1), minimum=0) == ""


# --- the bureau's page ------------------------------------------------------------------------


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.mark.django_db
def test_the_list_says_when_the_coming_year_is_not_entered(client, world):
    client.force_login(world.bureau_a)
    with time_machine.travel(datetime.datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI), tick=False):
        text = page(client.get(reverse("admin:core_calendarday_changelist")))
    assert "2027年的节假日安排尚未录入" in text
    assert "调休上班日" in text and "星期六" in text
    with time_machine.travel(datetime.datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI), tick=False):
        assert "尚未录入" not in page(client.get(reverse("admin:core_calendarday_changelist")))


@pytest.mark.django_db
def test_bureau_staff_enter_a_day_and_the_history_keeps_it(client, world):
    client.force_login(world.bureau_a)
    response = client.post(
        reverse("admin:core_calendarday_add"), {"day": "2027-01-01", "kind": "holiday", "name": "元旦"}
    )
    assert response.status_code == 302
    day = CalendarDay.objects.get(day=D(2027, 1, 1))
    entry = AuditEntry.objects.get(action="calendar.create", object_id=str(day.pk))
    assert entry.actor == world.bureau_a
    assert entry.changes["kind"] == ["", "休息日（法定节假日）"]  # the label, never the code
    assert 2027 in working_calendar(D(2027, 1, 1), D(2027, 1, 1)).years


@pytest.mark.django_db
def test_an_auditor_reads_the_calendar_and_changes_nothing(client, world):
    client.force_login(world.auditor_a)
    assert "春节" in page(client.get(reverse("admin:core_calendarday_changelist")))
    assert client.get(reverse("admin:core_calendarday_add")).status_code == 403
    response = client.post(
        reverse("admin:core_calendarday_add"), {"day": "2027-01-01", "kind": "holiday", "name": "元旦"}
    )
    assert response.status_code == 403
    assert not CalendarDay.objects.filter(day=D(2027, 1, 1)).exists()
