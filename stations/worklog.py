"""The work log (工作日志台账): reading a station's logged services over a period.

Writes (the portal's day form, the Excel import) live beside this as services; every reader of a
period's totals (the on-site sheet, contract progress, the annual report, the construction summary)
calls `work_log_totals`, one grouped SUM over the (station, day) index whatever the period's length.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Sum

from stations.models import WORK_LOG_FIELDS, WorkLogDay

LOG_FIELD_NAMES: tuple[str, ...] = tuple(name for name, _label, _unit in WORK_LOG_FIELDS)
LOG_FIELD_LABELS: dict[str, str] = {name: label for name, label, _unit in WORK_LOG_FIELDS}
LOG_FIELD_UNITS: dict[str, str] = {name: unit for name, _label, unit in WORK_LOG_FIELDS}


def work_log_totals(
    *, station_ids: Iterable[int], start: datetime.date, end: datetime.date
) -> dict[int, dict[str, int]]:
    """Each station's logged totals from `start` to `end` (both included), by log field.

    A station with no day logged in the period gets zeros, so a caller can tell "logged none" from
    "not asked". One query.
    """
    ids = list(station_ids)
    totals = {station_id: dict.fromkeys(LOG_FIELD_NAMES, 0) for station_id in ids}
    rows = (
        WorkLogDay.objects.filter(station_id__in=ids, day__gte=start, day__lte=end)
        .values("station_id")
        .annotate(**{name: Sum(name) for name in LOG_FIELD_NAMES})
    )
    for row in rows:
        totals[row["station_id"]] = {name: row[name] or 0 for name in LOG_FIELD_NAMES}
    return totals
