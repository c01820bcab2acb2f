"""Filling the inputs of many sheets at once from an Excel file （数据分析）， all or nothing.

The template has one row per station and period of the campaign and one column per input of
the rubric. An upload is checked row by row first, every error reported with its row and column;
nothing is saved unless every row is valid, and then all rows are saved in one transaction.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from assessment.models import Campaign, ScoreSheet
from assessment.scoring import compiled_policy, score_inputs
from assessment.services.campaigns import require_bureau
from assessment.services.sheets import SHEET_TRANSITIONS
from core.workflow import record_audit, transition
from core.xlsx import XlsxError, XlsxSheet, column_letter, read_xlsx_rows, write_xlsx
from stations.models import User

FIXED_COLUMNS = ["站点编码", "期间", "站点名称"]
MAX_IMPORT_BYTES = 10 * 1024 * 1024
FLAG_TEXT = {
    "是": True,
    "否": False,
    "true": True,
    "false": False,
    "TRUE": True,
    "FALSE": False,
    "1": True,
    "0": False,
}


@dataclass(frozen=True)
class ImportProblem:
    row: int
    column: str  # a column letter, "" for the whole row
    message: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行" + (f" {self.column} 列" if self.column else "")
        return f"{where}：{self.message}"


class SheetImportError(Exception):
    def __init__(self, problems: list[ImportProblem]):
        self.problems = problems
        super().__init__(f"共 {len(problems)} 处错误，未导入任何数据。")


def _input_columns(campaign: Campaign) -> list[tuple[str, str, str]]:
    """(name, type, header) of every input any kind of the policy reads, in rubric order."""
    _, rubric = compiled_policy(campaign.policy)
    columns, seen = [], set()
    for kind in campaign.policy.kinds:
        for rule in rubric.field_rules(kind):
            name = rule.spec.name
            if name not in seen:
                seen.add(name)
                columns.append((name, rule.spec.type, f"{rule.spec.label}（{name}）"))
    return columns


def import_template(*, campaign: Campaign) -> bytes:
    """The Excel template: one row per sheet of the campaign, the inputs as already recorded on site."""
    columns = _input_columns(campaign)
    header = FIXED_COLUMNS + [title for _, _, title in columns]
    sheets = (
        ScoreSheet.objects.filter(campaign=campaign)
        .select_related("station")
        .order_by("station__code", "period")
    )

    def rows():
        for sheet in sheets.iterator(chunk_size=500):
            values = sheet.onsite_inputs
            cells = []
            for name, input_type, _ in columns:
                value = values.get(name)
                if input_type == "flag" and value is not None:
                    value = "是" if value else "否"
                cells.append(value)
            yield [sheet.station.code, sheet.period, sheet.station.name, *cells]

    guide_rows = [
        [
            title,
            {"count": "整数", "rate": "百分比 0–100", "number": "数值", "flag": "是/否", "points": "分值"}[t],
        ]
        for _, t, title in columns
    ]
    return write_xlsx(
        [
            XlsxSheet(
                title="数据", header=header, rows=rows(), column_widths=[12, 9, 28] + [14] * len(columns)
            ),
            XlsxSheet(title="填写说明", header=["列", "填写"], rows=guide_rows, column_widths=[40, 20]),
        ]
    )


def _cell_to_raw(value, input_type: str):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if input_type == "flag":
        if isinstance(value, bool):  # a TRUE/FALSE cell, not text
            return value
        return FLAG_TEXT.get(str(value).strip(), str(value))
    if isinstance(value, float):
        # Kept as text, as the portal's forms give it: the engine reads it exactly, and the JSON
        # column can store it (a Decimal cannot be serialised there).
        return format(Decimal(repr(value)), "f")
    return value.strip() if isinstance(value, str) else value


def sheets_import_inputs(*, campaign: Campaign, actor: User, file) -> int:
    """Check every row of an uploaded workbook, then save all of them or none. Returns the rows saved.

    Rows fill the on-site column (the bureau's data analysis) of sheets that are not locked yet;
    such a sheet counts as assessed by the importing clerk. Raises SheetImportError with every
    problem, or Forbidden.
    """
    require_bureau(actor, campaign)
    if campaign.status != Campaign.Status.OPEN:
        raise SheetImportError(
            [ImportProblem(0, "", f"考核批次当前为“{campaign.get_status_display()}”，不能导入数据。")]
        )
    columns = _input_columns(campaign)
    header = FIXED_COLUMNS + [title for _, _, title in columns]
    sheets = {
        (s.station.code, s.period): s
        for s in ScoreSheet.objects.filter(campaign=campaign).select_related("station", "campaign__policy")
    }
    try:
        table = read_xlsx_rows(
            file,
            max_rows=len(sheets) + 1000,
            max_bytes=MAX_IMPORT_BYTES,
            expected_header=header,
            sheet_name="数据",
        )
    except XlsxError as exc:
        raise SheetImportError([ImportProblem(0, "", str(exc))]) from exc

    letters = {title: column_letter(index) for index, title in enumerate(header)}
    by_name = {name: title for name, _, title in columns}
    problems: list[ImportProblem] = []
    planned: list[tuple[ScoreSheet, dict, dict, Decimal]] = []
    seen: dict[tuple[str, str], int] = {}
    for row_number, cells in table.rows:
        code = str(cells.get("站点编码") or "").strip()
        period = str(cells.get("期间") or "").strip()
        key = (code, period)
        sheet = sheets.get(key)
        if sheet is None:
            problems.append(
                ImportProblem(
                    row_number, "A", f"站点 {code or '(空)'} 在期间 {period or '(空)'} 没有本批次的评分表"
                )
            )
            continue
        if key in seen:
            problems.append(ImportProblem(row_number, "A", f"与第 {seen[key]} 行重复"))
            continue
        seen[key] = row_number
        if sheet.status == ScoreSheet.Status.LOCKED:
            problems.append(ImportProblem(row_number, "", "评分表已审定锁定，请在后台用“更正”修改"))
            continue
        raw = {}
        for name, input_type, title in columns:
            value = _cell_to_raw(cells.get(title), input_type)
            if value is not None:
                raw[name] = value
        result, total, input_problems = score_inputs(
            campaign.policy, kind=sheet.station.kind, month=sheet.month, raw=raw
        )
        for problem in input_problems:
            title = by_name.get(problem.field)
            problems.append(ImportProblem(row_number, letters.get(title, ""), problem.message))
        if not input_problems:
            planned.append((sheet, raw, result, total))
    if problems:
        raise SheetImportError(problems)

    now = timezone.now()
    with transaction.atomic():
        # Lock the rows and look again: a clerk may have locked a sheet since the file was checked.
        current = {
            s.pk: s.status
            for s in ScoreSheet.objects.select_for_update().filter(pk__in=[sheet.pk for sheet, *_ in planned])
        }
        now_locked = [sheet for sheet, *_ in planned if current[sheet.pk] == ScoreSheet.Status.LOCKED]
        if now_locked:
            raise SheetImportError(
                [
                    ImportProblem(0, "", f"{sheet} 刚刚已被审定锁定，未导入任何数据，请重新导出模板。")
                    for sheet in now_locked
                ]
            )
        for sheet, raw, result, total in planned:
            sheet.status = current[sheet.pk]
            ScoreSheet.objects.filter(pk=sheet.pk).update(
                onsite_inputs=raw, onsite_result=result, onsite_total=total, updated_at=now
            )
            if sheet.status != ScoreSheet.Status.ASSESSED:
                transition(
                    sheet,
                    to=ScoreSheet.Status.ASSESSED,
                    table=SHEET_TRANSITIONS,
                    actor=actor,
                    action="sheet.import",
                    reason="Excel 批量导入数据",
                    station=sheet.station,
                    extra_fields={"assessed_at": now, "assessed_by": actor},
                )
            else:
                record_audit(
                    target=sheet,
                    actor=actor,
                    action="sheet.import",
                    station=sheet.station,
                    reason="Excel 批量导入数据",
                )
    return len(planned)
