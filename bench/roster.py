"""Figure 7: a placement roster of R rows, imported, against merely reading the same file.

The file is written as a clerk's would be (the roster columns, ID numbers as text, dates, wages),
R valid people; `roster_import` (the service behind the portal's upload and `manage.py
import_roster`) checks every row and saves them. Baselines: openpyxl in read-only mode reading
every value, and python-calamine reading every value.
"""

from __future__ import annotations

import datetime
import io
import time
from decimal import Decimal

from bench.common import Context, Row, ratio, seconds

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"


def roster_file(count: int, *, year: int) -> bytes:
    from openpyxl import Workbook

    from stations.validators import id_number_check_character
    from subsidies.rules import ROSTER_COLUMNS

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("花名册")
    sheet.append(ROSTER_COLUMNS)
    first_birthday = datetime.date(1975, 1, 1)
    for serial in range(count):
        born = first_birthday + datetime.timedelta(days=serial // 900)
        first_17 = f"430903{born:%Y%m%d}{serial % 900 + 100:03d}"
        sheet.append(
            [
                SURNAMES[serial % len(SURNAMES)]
                + GIVEN[serial % len(GIVEN)]
                + GIVEN[serial // 7 % len(GIVEN)],
                first_17 + id_number_check_character(first_17),
                f"139{serial:08d}",
                f"益阳市第{serial % 300 + 1}食品有限公司",
                ("包装工", "搬运工", "保洁员", "家政服务员", "网约配送员")[serial % 5],
                datetime.date(year, serial % 12 + 1, serial % 28 + 1),
                Decimal(2600 + serial % 40 * 50),
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_openpyxl(data: bytes) -> int:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()


def read_calamine(data: bytes) -> int:
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return len(workbook.get_sheet_by_index(0).to_python())


def run(ctx: Context) -> list[Row]:
    from stations.models import Station
    from subsidies.models import SubsidyClaim
    from subsidies.services.rosters import RosterRefused, roster_import

    year = ctx.monthly_campaign().year
    claimed = SubsidyClaim.objects.filter(year=year).values("station_id")
    station = Station.objects.exclude(pk__in=claimed).order_by("code").first() or Station.objects.first()
    count = ctx.args.roster_rows
    data = roster_file(count, year=year)

    started = time.perf_counter()
    rows_read = read_openpyxl(data)
    openpyxl_seconds = time.perf_counter() - started
    started = time.perf_counter()
    read_calamine(data)
    calamine_seconds = time.perf_counter() - started

    started = time.perf_counter()
    try:
        roster, _ = roster_import(
            station=station, year=year, file=io.BytesIO(data), source_name="bench.xlsx", actor=None
        )
    except RosterRefused as refused:
        raise RuntimeError(f"{refused} {[str(p) for p in refused.problems[:3]]}") from None
    imported = time.perf_counter() - started
    if roster.row_count != count or rows_read != count + 1:
        raise RuntimeError(f"imported {roster.row_count} of {count} rows (openpyxl read {rows_read - 1})")
    what = f"roster import ({count} rows, {len(data) // 1024} KB)"
    return [
        Row(
            "7",
            what,
            seconds(imported),
            f"openpyxl read-only {seconds(openpyxl_seconds)}",
            ratio(imported, openpyxl_seconds),
            "≤ 1× openpyxl",
        ),
        Row(
            "7",
            what,
            seconds(imported),
            f"python-calamine {seconds(calamine_seconds)}",
            ratio(imported, calamine_seconds),
            "(floor)",
        ),
    ]
