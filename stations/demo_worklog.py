"""The demo's work log (工作日志台账): 2024 by day for the Yunmeng stations (YM-…) and Huizhou's 30
pilot stations (HZ-ES-…), so a newcomer opens a station's month and sees a year of services.

Deterministic (one random generator per station, seeded by its code), so running load_demo again
writes the same figures. Working days on the 2024 official calendar are busy, weekends and holidays
mostly closed (a few days of duty or a job fair), spring (春风行动) and the graduates' summer busier.
"""

import datetime
import math
import random

from stations.models import Station, User, WorkLogDay
from stations.worklog import LOG_FIELD_NAMES

YEAR = 2024

# The State Council's 2024 holiday list: days off, and the weekend days worked instead.
HOLIDAYS_2024 = {
    (datetime.date(2024, 1, 1), datetime.date(2024, 1, 1)),
    (datetime.date(2024, 2, 10), datetime.date(2024, 2, 17)),
    (datetime.date(2024, 4, 4), datetime.date(2024, 4, 6)),
    (datetime.date(2024, 5, 1), datetime.date(2024, 5, 5)),
    (datetime.date(2024, 6, 10), datetime.date(2024, 6, 10)),
    (datetime.date(2024, 9, 15), datetime.date(2024, 9, 17)),
    (datetime.date(2024, 10, 1), datetime.date(2024, 10, 7)),
}
MAKE_UP_DAYS_2024 = frozenset(
    datetime.date(2024, m, d)
    for m, d in ((2, 4), (2, 18), (4, 7), (4, 28), (5, 11), (9, 14), (9, 29), (10, 12))
)

# A working day's mean count per kind of station at full strength (a station's strength, 0.45 to 1,
# scales it). Huizhou's give a year of some 400–900 postings, 35–80 placements and 35–80 enterprises
# visited, around what its rating and operating contracts expect of a pilot station.
DAILY_MEANS = {
    "gig_station": {
        "job_postings": 8.0,
        "matches": 5.0,
        "placements": 1.5,
        "training_referrals": 0.6,
        "policy_consultations": 10.0,
        "disputes_helped": 0.08,
        "enterprise_visits": 0.4,
    },
    "doorstep_station": {
        "job_postings": 3.0,
        "matches": 2.0,
        "placements": 0.5,
        "training_referrals": 0.3,
        "policy_consultations": 5.0,
        "disputes_helped": 0.03,
        "enterprise_visits": 0.15,
    },
    "employment_station": {
        "job_postings": 3.4,
        "matches": 1.6,
        "placements": 0.3,
        "training_referrals": 0.2,
        "policy_consultations": 4.0,
        "disputes_helped": 0.04,
        "enterprise_visits": 0.3,
    },
}
SEASON = {1: 0.8, 2: 1.3, 3: 1.5, 4: 1.1, 5: 1.0, 6: 1.0, 7: 1.2, 8: 1.2, 9: 1.0, 10: 0.9, 11: 1.0, 12: 0.9}
NOTES = [
    "春风行动专场招聘会",
    "走访园区企业，收集用工需求",
    "就业政策宣讲进社区",
    "零工供需对接会",
    "协助劳动者追讨欠薪",
    "组织求职者参加技能培训报名",
]


def _days_off() -> frozenset[datetime.date]:
    days = set()
    for first, last in HOLIDAYS_2024:
        day = first
        while day <= last:
            days.add(day)
            day += datetime.timedelta(days=1)
    return frozenset(days)


def _poisson(rng: random.Random, mean: float) -> int:
    """A count around `mean` (Knuth's method; means here are small)."""
    if mean <= 0:
        return 0
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _station_days(
    station: Station, recorder: User | None, days_off: frozenset[datetime.date]
) -> list[WorkLogDay]:
    rng = random.Random(f"work-log-{YEAR}-{station.code}")  # noqa: S311 -- demo figures, not secrets
    strength = 0.45 + 0.55 * rng.random()
    means = DAILY_MEANS.get(station.kind, DAILY_MEANS["employment_station"])
    day = max(datetime.date(YEAR, 1, 1), station.recognized_on or datetime.date(YEAR, 1, 1))
    rows = []
    while day.year == YEAR:
        working = day in MAKE_UP_DAYS_2024 or (day.weekday() < 5 and day not in days_off)
        # Closed on most days off; open on about one in five (duty, a weekend job fair), and quieter.
        if working or rng.random() < 0.2:
            scale = strength * SEASON[day.month] * (1.0 if working else 0.35)
            counts = {name: _poisson(rng, means[name] * scale) for name in LOG_FIELD_NAMES}
            note = rng.choice(NOTES) if rng.random() < 0.06 else ""
            rows.append(WorkLogDay(station=station, day=day, note=note, recorded_by=recorder, **counts))
        day += datetime.timedelta(days=1)
    return rows


def load_demo_work_log() -> int:
    """Write the 2024 log of the YM- and HZ-ES- stations; return how many days it holds.

    Written with one upsert per thousand rows rather than `work_log_day_save` per day: some 12,000
    days through the service would each take the station's lock, a read and an insert (a minute or
    more of the demo's load), and the service refuses days over 400 days old, which 2024 is now. The
    rows are the ledger the stations brought with them, not changes anyone made, so no history row
    is due. Rerunning rewrites the same figures (update on the station-and-day key).
    """
    stations = list(
        Station.objects.filter(code__regex=r"^(YM-|HZ-ES-)").prefetch_related("operators").order_by("code")
    )
    days_off = _days_off()
    rows = []
    for station in stations:
        operators = list(station.operators.all())
        rows.extend(_station_days(station, operators[0] if operators else None, days_off))
    WorkLogDay.objects.bulk_create(
        rows,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["station", "day"],
        update_fields=[*LOG_FIELD_NAMES, "note", "recorded_by", "updated_at"],
    )
    return len(rows)
