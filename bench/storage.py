"""Figure 2: what a score sheet takes on disk (table, indexes and TOAST over the rows).

PostgreSQL: pg_total_relation_size('assessment_scoresheet') / count(*), beside the rows' own data
(the mean pg_column_size of a row), so the ratio is the overhead of pages, indexes and TOAST.
Measured right after the province is generated, before any other figure writes, and again after
VACUUM FULL: the sheets were written by several moves (opened, recorded, locked), and the dead
row versions those leave are reclaimed by autovacuum for later rows, not kept per sheet; the
compacted size is the one compared with the target. SQLite: from its dbstat table where the
library has it (the issue's target is for PostgreSQL), before and after VACUUM.
"""

from __future__ import annotations

from django.db import connection

from bench.common import Context, Row, ratio, size

TABLE = "assessment_scoresheet"
TARGET = 1.5 * 1024


def postgres_sizes(cursor) -> tuple[int, float]:
    cursor.execute(f"SELECT pg_total_relation_size('{TABLE}'), avg(pg_column_size(t.*)) FROM {TABLE} t")  # noqa: S608
    total, row_bytes = cursor.fetchone()
    return total, float(row_bytes)


def sqlite_sizes(cursor) -> tuple[int, float]:
    cursor.execute(
        "SELECT sum(pgsize), sum(CASE WHEN name = %s THEN payload ELSE 0 END) FROM dbstat "
        "WHERE name = %s OR name IN (SELECT name FROM sqlite_master WHERE tbl_name = %s AND type = 'index')",
        [TABLE, TABLE, TABLE],
    )
    return cursor.fetchone()


def run(ctx: Context) -> list[Row]:
    from assessment.models import ScoreSheet

    count = ScoreSheet.objects.count()
    monthly = ScoreSheet.objects.filter(period__contains="-").count()
    if not count:
        raise RuntimeError("no score sheets were generated")
    what = f"score sheet storage ({count} sheets, {monthly} monthly)"
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        try:
            as_generated, _ = postgres_sizes(cursor) if postgres else sqlite_sizes(cursor)
        except Exception:  # no dbstat in this SQLite build
            return [Row("2", what, "n/a (PostgreSQL only)", target="≤ 1.5 KB on PostgreSQL")]
        cursor.execute(f"VACUUM FULL {TABLE}" if postgres else "VACUUM")
        total, data = postgres_sizes(cursor) if postgres else sqlite_sizes(cursor)
    per_sheet = total / count
    row_data = data if postgres else data / count
    return [
        Row(
            "2",
            what + ("" if postgres else ", SQLite dbstat"),
            f"{size(per_sheet)} a sheet after {'VACUUM FULL' if postgres else 'VACUUM'} "
            f"({size(as_generated / count)} as generated)",
            f"row data {size(row_data)}",
            ratio(per_sheet, row_data),
            ("≤ 1.5 KB" + ("" if per_sheet <= TARGET else "  (over)"))
            if postgres
            else "≤ 1.5 KB on PostgreSQL",
        )
    ]
