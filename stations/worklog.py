"""The work log (工作日志台账): reading a station's logged services over a period.

Writes (the portal's day form, the Excel import) live beside this as services; every reader of a
period's totals (the on-site sheet, contract progress, the annual report, the construction summary)
calls `work_log_totals`, one grouped SUM over the (station, day) index whatever the period's length.
"""

from __future__ import annotations

import copy
import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from core.audit import changed_fields
from core.filechecks import safe_display_name
from core.permissions import operates, require
from core.scoping import register_scope
from core.workflow import audit_entry, record_audit, record_audit_many, update_rows
from stations.models import WORK_LOG_FIELDS, Station, User, WorkLogDay
from stations.selectors import station_list
from stations.validators import mask_personal_data, personal_data_found

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


# ---- reading, scoped by the acting user


def work_log_day_list(*, actor: User) -> QuerySet[WorkLogDay]:
    """The logged days the actor may see: those of the stations `station_list` gives them (operators
    their stations, bureau staff and auditors their region's, assessors the stations a campaign
    assigns them). A subquery on the station's pk keeps one row per day."""
    return WorkLogDay.objects.select_related("station", "recorded_by").filter(
        station__in=station_list(actor=actor).values("pk")
    )


def work_log_days(
    *, actor: User, station: Station, start: datetime.date, end: datetime.date
) -> QuerySet[WorkLogDay]:
    """The station's logged days from `start` to `end` (both included), oldest first; none when the
    station is out of the actor's reach."""
    return (
        work_log_day_list(actor=actor).filter(station=station, day__gte=start, day__lte=end).order_by("day")
    )


register_scope(WorkLogDay, work_log_day_list)


# ---- writing: the portal's day form and the Excel import

WORK_LOG_MAX_COUNT = 100_000
# A ledger is kept as the days go; a late entry is allowed for a year and the first weeks of the
# next (the year is assessed then). Older days are settled: what the assessor saw stays what it was.
WORK_LOG_BACKDATE_DAYS = 400
WORK_LOG_NOTE_MAX = 200
WORK_LOG_IMPORT_MAX_ROWS = 1_000
WORK_LOG_IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_COLUMNS: list[str] = [
    "日期",
    *(f"{label}（{unit}）" for _name, label, unit in WORK_LOG_FIELDS),
    "备注",
]
_COUNT_COLUMN_OF = {name: IMPORT_COLUMNS[index + 1] for index, name in enumerate(LOG_FIELD_NAMES)}

_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


@dataclass(frozen=True)
class WorkLogSaved:
    """What `work_log_day_save` did: the day's row, and "created", "changed" or "unchanged"."""

    row: WorkLogDay
    outcome: str
    changes: dict[str, list[str]]


@dataclass(frozen=True)
class WorkLogImported:
    created: int
    changed: int
    unchanged: int
    first_day: datetime.date
    last_day: datetime.date


@dataclass(frozen=True)
class WorkLogProblem:
    row: int
    column: str  # the column's header, as the template names it
    message: str

    def __str__(self) -> str:
        letter = chr(ord("A") + IMPORT_COLUMNS.index(self.column)) if self.column in IMPORT_COLUMNS else ""
        where = f"{letter} 列（{self.column}）" if letter else self.column
        return f"第 {self.row} 行 {where}：{self.message}"


class WorkLogRefused(Exception):
    """A work-log file that cannot be imported; `problems` lists every row and column at fault."""

    def __init__(self, problems: list[WorkLogProblem] | list[str]):
        self.problems = problems
        super().__init__(f"工作日志未导入：共 {len(problems)} 处问题，没有保存任何一天。")


def work_log_day_problem(station: Station, day: datetime.date, *, today: datetime.date) -> str | None:
    """Why `day` cannot be logged for `station` (in the future, before its recognition, too long
    ago), or None."""
    if day > today:
        return f"{day:%Y-%m-%d} 还没有到，不能记录今天以后的日期。"
    if station.recognized_on and day < station.recognized_on:
        return f"{day:%Y-%m-%d} 早于本站点的认定日期 {station.recognized_on:%Y-%m-%d}，不能记录。"
    if day < today - datetime.timedelta(days=WORK_LOG_BACKDATE_DAYS):
        return (
            f"{day:%Y-%m-%d} 已超过 {WORK_LOG_BACKDATE_DAYS} 天，不能再补录或修改"
            f"（可记录 {today - datetime.timedelta(days=WORK_LOG_BACKDATE_DAYS):%Y-%m-%d} 以后的日期）。"
        )
    return None


def work_log_editable(station: Station, day: datetime.date, *, today: datetime.date) -> bool:
    return work_log_day_problem(station, day, today=today) is None


def _count(value: object) -> tuple[int | None, str | None]:
    """A count as typed (a form's int, an Excel cell's int, float or text): a whole number 0..MAX."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "必填，没有请填 0"
    if isinstance(value, bool):
        return None, "应为整数"
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None, "应为整数"
    elif isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
    else:
        return None, "应为整数"
    if not number.is_finite():
        return None, "应为整数"
    if number < 0:
        return None, "不能为负数"
    if number > WORK_LOG_MAX_COUNT:
        return None, f"不能超过 {WORK_LOG_MAX_COUNT}"
    if number != number.to_integral_value():
        return None, "应为整数，不能有小数"
    return int(number), None


def _note(value: object) -> tuple[str, str | None]:
    text = "" if value is None else str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if len(text) > WORK_LOG_NOTE_MAX:
        return text, f"不超过 {WORK_LOG_NOTE_MAX} 字（现有 {len(text)} 字）"
    # The note is about the services, never about a person: the history and every reader of the
    # ledger would carry an ID number or a mobile number typed here.
    if personal_data_found(text):
        return text, "不要写身份证号、手机号等个人信息，只写服务概况"
    return text, None


def _day(value: object) -> tuple[datetime.date | None, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "必填"
    if isinstance(value, datetime.datetime):
        return value.date(), None
    if isinstance(value, datetime.date):
        return value, None
    if isinstance(value, str):
        match = _DATE_TEXT.match(value.strip())
        if match:
            try:
                return datetime.date(*(int(part) for part in match.groups())), None
            except ValueError:
                return None, f"“{value.strip()[:20]}”不是有效日期"
    return None, "应为日期，如 2024-03-05"


def work_log_day_save(
    *, station: Station, day: datetime.date, counts: dict[str, object], note: str, actor: User
) -> WorkLogSaved:
    """Record the station's services on `day`, or change that day's record.

    Before: the actor operates the station; `day` is not in the future, not before the station's
    recognition and not more than WORK_LOG_BACKDATE_DAYS ago; every count is a whole number from 0
    to WORK_LOG_MAX_COUNT; the note is at most 200 characters with no ID or mobile number. After: the
    day's row holds these figures; a change of an existing row is recorded (worklog.save, each
    changed field old → new). Raises Forbidden for anyone else, ValidationError (nothing saved) with
    a message per field.
    """
    require(operates(actor, station), "只有本站点的运营人员可以记录工作日志。")
    errors: dict[str, str] = {}
    if (problem := work_log_day_problem(station, day, today=timezone.localdate())) is not None:
        errors["day"] = problem
    figures: dict[str, int] = {}
    for name in LOG_FIELD_NAMES:
        value, message = _count(counts.get(name))
        if message:
            errors[name] = f"{LOG_FIELD_LABELS[name]}：{message}"
        else:
            figures[name] = value
    note, message = _note(note)
    if message:
        errors["note"] = f"备注：{message}"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # One writer per station at a time (the form, an import): the day's row is read and written
        # under the station's lock, so two saves of a new day never both insert it.
        Station.objects.select_for_update().filter(pk=station.pk).exists()
        row = WorkLogDay.objects.filter(station=station, day=day).first()
        if row is None:
            row = WorkLogDay.objects.create(station=station, day=day, note=note, recorded_by=actor, **figures)
            return WorkLogSaved(row, "created", {})
        row.station = station
        before = copy.copy(row)
        for name, value in figures.items():
            setattr(row, name, value)
        row.note = note
        changes = changed_fields(before, row, AUDITED_FIELDS)
        if not changes:
            return WorkLogSaved(row, "unchanged", {})
        row.recorded_by = actor
        row.save(update_fields=[*AUDITED_FIELDS, "recorded_by", "updated_at"])
        record_audit(
            target=row,
            actor=actor,
            action="worklog.save",
            station=station,
            reason=f"修改 {day:%Y-%m-%d} 的工作日志",
            changes=changes,
        )
    return WorkLogSaved(row, "changed", changes)


AUDITED_FIELDS: tuple[str, ...] = (*LOG_FIELD_NAMES, "note")


@dataclass(frozen=True)
class _ImportRow:
    row_number: int
    day: datetime.date
    figures: dict[str, int]
    note: str


def check_work_log_rows(
    rows: list[tuple[int, dict]], *, station: Station, today: datetime.date
) -> tuple[list[_ImportRow], list[WorkLogProblem]]:
    """Check every row of a work-log sheet; return the rows (complete only without problems) and
    every problem, each naming its row and column."""
    checked: list[_ImportRow] = []
    problems: list[WorkLogProblem] = []
    first_row_of: dict[datetime.date, int] = {}
    for row_number, cells in rows:
        row_problems: list[WorkLogProblem] = []
        day, message = _day(cells.get("日期"))
        if message is None:
            if day in first_row_of:
                message = f"与第 {first_row_of[day]} 行是同一天（{day:%Y-%m-%d}），每天只填一行"
            else:
                first_row_of[day] = row_number
                message = work_log_day_problem(station, day, today=today)
        if message:
            row_problems.append(WorkLogProblem(row_number, "日期", message))
        figures: dict[str, int] = {}
        for name, column in _COUNT_COLUMN_OF.items():
            value, message = _count(cells.get(column))
            if message:
                row_problems.append(WorkLogProblem(row_number, column, message))
            else:
                figures[name] = value
        note, message = _note(cells.get("备注"))
        if message:
            row_problems.append(WorkLogProblem(row_number, "备注", message))
        if row_problems:
            problems.extend(row_problems)
        else:
            checked.append(_ImportRow(row_number, day, figures, note))
    if not rows:
        problems.append(WorkLogProblem(2, "日期", "文件中没有任何一天的记录"))
    return checked, problems


def work_log_import(*, station: Station, file, actor: User) -> WorkLogImported:
    """Import an Excel work log (one row per day): every row checked first, all or nothing.

    New days are added, logged days whose figures differ are changed (each recorded old → new, as
    the day form does), identical days are left alone; one worklog.import row sums it up. Raises
    WorkLogRefused with every problem (nothing saved), or Forbidden.
    """
    from core.xlsx import XlsxError, read_xlsx_rows

    require(operates(actor, station), "只有本站点的运营人员可以导入工作日志。")
    try:
        table = read_xlsx_rows(
            file,
            max_rows=WORK_LOG_IMPORT_MAX_ROWS,
            max_bytes=WORK_LOG_IMPORT_MAX_BYTES,
            expected_header=IMPORT_COLUMNS,
        )
    except XlsxError as exc:
        # The reader quotes header cells it did not expect: a wrong file (a roster) may put an ID
        # number or a phone there. `from None`: the unmasked text must not ride along.
        raise WorkLogRefused([mask_personal_data(str(exc))]) from None
    rows, problems = check_work_log_rows(table.rows, station=station, today=timezone.localdate())
    if problems:
        raise WorkLogRefused(problems)
    # The file's name goes into the history: a roster named after a person's phone is masked there.
    source = mask_personal_data(safe_display_name(getattr(file, "name", "") or ""))[:100]
    now = timezone.now()
    with transaction.atomic():
        Station.objects.select_for_update().filter(pk=station.pk).exists()
        existing = {
            row.day: row for row in WorkLogDay.objects.filter(station=station, day__in=[r.day for r in rows])
        }
        new, changed, entries = [], [], []
        for checked in rows:
            row = existing.get(checked.day)
            if row is None:
                new.append(
                    WorkLogDay(
                        station=station,
                        day=checked.day,
                        note=checked.note,
                        recorded_by=actor,
                        **checked.figures,
                    )
                )
                continue
            row.station = station
            before = copy.copy(row)
            for name, value in checked.figures.items():
                setattr(row, name, value)
            row.note = checked.note
            changes = changed_fields(before, row, AUDITED_FIELDS)
            if not changes:
                continue
            row.recorded_by = actor
            row.updated_at = now  # auto_now is not applied by a bulk update
            changed.append(row)
            entries.append(
                audit_entry(
                    target=row,
                    actor=actor,
                    action="worklog.save",
                    station=station,
                    reason=f"导入“{source}”，修改 {checked.day:%Y-%m-%d} 的工作日志",
                    changes=changes,
                )
            )
        WorkLogDay.objects.bulk_create(new, batch_size=500)
        update_rows(changed, [*AUDITED_FIELDS, "recorded_by", "updated_at"])
        record_audit_many(entries)
        unchanged = len(rows) - len(new) - len(changed)
        record_audit(
            target=station,
            actor=actor,
            action="worklog.import",
            station=station,
            reason=f"导入“{source}”：新增 {len(new)} 天，修改 {len(changed)} 天，未变 {unchanged} 天",
        )
    days = [r.day for r in rows]
    return WorkLogImported(len(new), len(changed), unchanged, min(days), max(days))


def work_log_template() -> list:
    """The import template's sheets: the header to fill (dates as dates, counts as whole numbers,
    the note as text) and a sheet that says what each column takes."""
    from core.xlsx import XlsxSheet

    notes = [
        ["日期", "必填。格式 YYYY-MM-DD（如 2024-03-05），每天一行，同一天不要填两行"],
        ["", f"不能填今天以后的日期、本站点认定日期以前的日期，或 {WORK_LOG_BACKDATE_DAYS} 天以前的日期"],
        *(
            [f"{label}（{unit}）", f"必填。当天的数量，0 到 {WORK_LOG_MAX_COUNT} 的整数；没有请填 0"]
            for _name, label, unit in WORK_LOG_FIELDS
        ),
        ["备注", f"选填。当天服务概况，不超过 {WORK_LOG_NOTE_MAX} 字；不要写姓名、身份证号、手机号"],
        ["", "已记录过的日期会按本表修改（修改会留下操作记录）；表中任何一行有误，整个文件都不导入"],
    ]
    return [
        XlsxSheet(
            title="工作日志",
            header=IMPORT_COLUMNS,
            rows=[],
            column_widths=[12, *([14] * len(WORK_LOG_FIELDS)), 40],
            column_formats={
                0: "yyyy-mm-dd",
                **dict.fromkeys(range(1, len(WORK_LOG_FIELDS) + 1), "0"),
                len(IMPORT_COLUMNS) - 1: "@",
            },
        ),
        XlsxSheet(title="填写说明", header=["列", "要求"], rows=notes, column_widths=[24, 70]),
    ]
