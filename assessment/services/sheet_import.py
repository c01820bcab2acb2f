"""Filling the inputs of many sheets at once from an Excel file （数据分析）， all or nothing.

The template has one row per station and period of the campaign and one column per input of
the rubric, and for each count taken from the work log a column for the reason its figure differs
from the logged total (a row whose figure differs without one is refused, as on site). An upload
is checked row by row first, every error reported with its row and column; nothing is saved
unless every row is valid, and then all rows are saved in one transaction.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from assessment.contract_inputs import campaign_contract_targets, target_bound_inputs
from assessment.engine.inputs import TEXT_MAX_CHARS
from assessment.models import Campaign, ScoreSheet
from assessment.scoring import compiled_policy, input_names, unpack_with
from assessment.services.campaigns import require_bureau
from assessment.services.sheet_batch import SheetBatchError, sheets_record_onsite
from assessment.worklog_inputs import bound_inputs, campaign_log_totals, log_reason_key
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


#: What the guide sheet says each column takes, by input type.
INPUT_GUIDE = {
    "count": "整数",
    "rate": "百分比 0–100",
    "number": "数值",
    "flag": "是/否",
    "points": "分值",
    "text": f"文字，最多 {TEXT_MAX_CHARS} 字（扣分时写明理由）",
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


LOG_REASON_SUFFIX = "与工作日志不一致的理由"
TARGET_REASON_SUFFIX = "与运营合同目标不一致的理由"


def _log_reason_columns(campaign: Campaign, columns: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """(input name, header) of the reason column of every input taken from the work log or a
    contract's target, in column order (the reasons the on-site form asks beside them)."""
    logged = bound_inputs(campaign.policy)
    targets = target_bound_inputs(campaign.policy)
    return [
        (name, f"{title}{LOG_REASON_SUFFIX if name in logged else TARGET_REASON_SUFFIX}")
        for name, _, title in columns
        if name in logged or name in targets
    ]


def import_header(campaign: Campaign) -> list[str]:
    """The data sheet's header: the fixed columns, the inputs, then the bound inputs' reasons."""
    columns = _input_columns(campaign)
    reasons = _log_reason_columns(campaign, columns)
    return FIXED_COLUMNS + [title for _, _, title in columns] + [title for _, title in reasons]


def import_template(*, campaign: Campaign) -> bytes:
    """The Excel template as bytes (see `import_template_sheets`)."""
    return write_xlsx(import_template_sheets(campaign=campaign))


def import_template_sheets(*, campaign: Campaign) -> list[XlsxSheet]:
    """The Excel template: one row per sheet of the campaign, the inputs as already recorded on site.

    Reads four columns of the sheets a chunk at a time (no model objects), so a province's
    template streams into its file with flat memory.
    """
    columns = _input_columns(campaign)
    reason_columns = _log_reason_columns(campaign, columns)
    header = import_header(campaign)
    names = input_names(campaign.policy)
    values = (
        ScoreSheet.objects.filter(campaign=campaign)
        .order_by("station__code", "period")
        .values_list("station__code", "period", "station__name", "onsite_packed", "station_id", "gap_reasons")
    )
    # Counts taken from the work log start at the logged totals, as the on-site form does.
    logged = campaign_log_totals(campaign)
    bound = bound_inputs(campaign.policy)
    # Counts taken from a contract's target start at it, as on site (none without a contract).
    targets = campaign_contract_targets(campaign)
    target_bound = target_bound_inputs(campaign.policy)

    def rows():
        for code, period, name, packed, station_id, reasons in values.iterator(chunk_size=2000):
            inputs = unpack_with(names, packed)
            cells = []
            for input_name, input_type, _ in columns:
                value = inputs.get(input_name)
                if value is None and input_name in bound and station_id in logged.get(period, {}):
                    value = logged[period][station_id][bound[input_name]]
                if value is None and input_name in target_bound:
                    value = targets.get(period, {}).get(station_id, {}).get(target_bound[input_name])
                if input_type == "flag" and value is not None:
                    value = "是" if value else "否"
                cells.append(value)
            cells += [(reasons or {}).get(log_reason_key(input_name)) for input_name, _ in reason_columns]
            yield [code, period, name, *cells]

    guide_rows = [
        [
            title,
            INPUT_GUIDE[t],
        ]
        for _, t, title in columns
    ]
    guide_rows += [
        [title, "文字：所填数与工作日志合计不同时必填，写明核实情况"] for _, title in reason_columns
    ]
    text_columns = [index for index, (_, t, _) in enumerate(columns) if t == "text"]
    text_columns += range(len(columns), len(columns) + len(reason_columns))
    return [
        XlsxSheet(
            title="数据",
            header=header,
            rows=rows(),
            column_widths=[12, 9, 28]
            + [40 if t == "text" else 14 for _, t, _ in columns]
            + [40] * len(reason_columns),
            # A reason column is text throughout, so a reason typed as "2" or "3-1" stays as typed.
            column_formats={len(FIXED_COLUMNS) + index: "@" for index in text_columns},
        ),
        XlsxSheet(title="填写说明", header=["列", "填写"], rows=guide_rows, column_widths=[40, 20]),
    ]


def _cell_to_raw(value, input_type: str):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if input_type == "flag":
        if isinstance(value, bool):  # a TRUE/FALSE cell, not text
            return value
        return FLAG_TEXT.get(str(value).strip(), str(value))
    if input_type == "text":
        # A reason typed as a number or a date-like value is still the words in the cell.
        if isinstance(value, float):
            return format(Decimal(repr(value)), "f")
        return str(value).strip()
    if isinstance(value, float):
        # Kept as text, as the portal's forms give it: the engine reads it exactly, and the JSON
        # column can store it (a Decimal cannot be serialised there).
        return format(Decimal(repr(value)), "f")
    return value.strip() if isinstance(value, str) else value


def sheets_import_inputs(
    *, campaign: Campaign, actor: User, file, progress: Callable[..., None] | None = None
) -> int:
    """Check every row of an uploaded workbook, then save all of them or none. Returns the rows saved.

    Rows fill the on-site column (the bureau's data analysis) of sheets that are not locked yet;
    such a sheet counts as assessed by the importing clerk. The rows are written by
    `sheets_record_onsite`, a chunk of sheets per statement. Raises SheetImportError with every
    problem (row and column), or Forbidden. `progress` (a job's `core.jobs.Progress`) hears each
    step and the rows handed to the writer, `progress(done, total)`.
    """
    require_bureau(actor, campaign)
    if campaign.status != Campaign.Status.OPEN:
        raise SheetImportError(
            [ImportProblem(0, "", f"考核批次当前为“{campaign.get_status_display()}”，不能导入数据。")]
        )
    columns = _input_columns(campaign)
    reason_columns = _log_reason_columns(campaign, columns)
    header = import_header(campaign)
    # Only what matching a row needs, not the sheets' columns: a province has 360,000 of them.
    sheets = {
        (code, period): (pk, status, kind)
        for pk, code, period, status, kind in ScoreSheet.objects.filter(campaign=campaign).values_list(
            "pk", "station__code", "period", "status", "station__kind"
        )
    }
    if progress is not None:
        progress(0, step="正在读取文件")
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

    if progress is not None:
        progress(0, step=f"正在逐行核对 {len(table.rows)} 行")
    letters = {title: column_letter(index) for index, title in enumerate(header)}
    by_name = {name: title for name, _, title in columns}
    by_name |= {log_reason_key(name): title for name, title in reason_columns}
    problems: list[ImportProblem] = []
    entries: list[tuple] = []
    row_of: dict[int, int] = {}
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
        pk, status, _ = sheet
        if status == ScoreSheet.Status.LOCKED:
            problems.append(ImportProblem(row_number, "", "评分表已审定锁定，请在后台用“更正”修改"))
            continue
        raw = {}
        for name, input_type, title in columns:
            value = _cell_to_raw(cells.get(title), input_type)
            if value is not None:
                raw[name] = value
        if reason_columns:
            # The reasons of the bound counts, as the assessor's on site: an empty cell is none.
            reasons = {
                log_reason_key(name): _cell_to_raw(cells.get(title), "text") for name, title in reason_columns
            }
            entries.append((pk, raw, {key: text for key, text in reasons.items() if text}))
        else:
            entries.append((pk, raw))
        row_of[pk] = row_number

    def where(field: str) -> str:
        return letters.get(by_name.get(field), "")

    if problems:
        # Name the rows' input problems too, so that one corrected file goes through.
        _, rubric = compiled_policy(campaign.policy)
        kinds = {pk: kind for pk, _, kind in sheets.values()}
        months = {
            pk: int(period[5:7]) if len(period) == 7 else None for (_, period), (pk, _, _) in sheets.items()
        }
        for pk, raw, *_ in entries:
            _, input_problems = rubric.parse_inputs(raw, kind=kinds[pk], month=months[pk])
            problems += [ImportProblem(row_of[pk], where(p.field), p.message) for p in input_problems]
        raise SheetImportError(sorted(problems, key=lambda problem: problem.row))
    try:
        return sheets_record_onsite(
            campaign=campaign,
            actor=actor,
            entries=entries if progress is None else _counted(entries, progress),
            reason="Excel 批量导入数据",
            action="sheet.import",
            log_reasons=True,
        )
    except SheetBatchError as exc:
        # Checked and scored per sheet there, under the row locks (a sheet may have been locked
        # since the template was exported): each problem goes back to its row and column.
        raise SheetImportError(
            [ImportProblem(row_of.get(p.sheet_id, 0), where(p.field), p.message) for p in exc.problems]
        ) from exc


def _counted(entries: list, progress: Callable[..., None]) -> Iterator:
    """`entries` as the writer consumes them (a chunk at a time), each one reported done."""
    total = len(entries)
    progress(0, total, step=f"正在检查计分并写入 {total} 张评分表")
    for done, entry in enumerate(entries, start=1):
        yield entry
        progress(done, total)
