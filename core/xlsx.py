"""The one place that writes and reads Excel files: a safe streaming writer and a strict reader.

Exports are opened by auditors in Excel or WPS, so every text value is written as text that can
never become a formula, however it starts ("=HYPERLINK(...)" typed into a station name stays
those characters). Imports come from operators' uploads, so the reader refuses anything it would
have to trust: zip bombs, macros, formulas, oversized sheets and headers that differ from the
template, each with a message that says which row and column to fix.
"""

import contextlib
import datetime
import io
import math
import os
import re
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from core.filechecks import XLSX, EvidenceError, check_office_zip, format_size, safe_display_name

DECIMAL_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MAX_XLSX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_CELL_CHARS = 32_767  # Excel's limit; longer text makes Excel "repair" the file
EMPTY_ROWS_AFTER_CAP = 10_000  # blank rows tolerated below the last allowed row before refusing

# Characters that make Excel, WPS or a CSV export treat a typed value as a formula (OWASP list).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

_SHEET_TITLE_FORBIDDEN = re.compile(r"[\\/?*\[\]:]")
_SHEET_TITLE_CHARS = 31
_BOLD = Font(bold=True)


class XlsxError(Exception):
    """An uploaded Excel file was refused; the message tells the clerk what to fix."""


@dataclass(frozen=True)
class XlsxSheet:
    """One worksheet to write. ``rows`` may be a generator; it is consumed once, row by row.

    ``column_widths`` apply to columns A, B, ... in order. ``number_formats`` maps a 0-based column
    index to an Excel number format for the numbers and dates in that column.
    """

    title: str
    header: list[str]
    rows: Iterable[Sequence[object]]
    column_widths: list[int] | None = None
    number_formats: dict[int, str] | None = None


@dataclass(frozen=True)
class XlsxTable:
    """The rows of an accepted sheet: (row number as Excel shows it, {header: value})."""

    header: list[str]
    rows: list[tuple[int, dict[str, object]]]


def column_letter(index: int) -> str:
    """The Excel letter of a 0-based column index: 0 -> "A", 26 -> "AA"."""
    if index < 0:
        raise ValueError(f"Column index must be 0 or more, not {index}.")
    return get_column_letter(index + 1)


def write_xlsx(sheets: Iterable[XlsxSheet]) -> bytes:
    """Write the sheets to an .xlsx file and return its bytes.

    Each sheet gets a bold header row with the panes frozen below it. Values: str (and anything
    not listed here, through str()) as text that is never evaluated; Decimal as a number formatted
    DECIMAL_FORMAT; int and float as numbers; date as DATE_FORMAT; datetime (converted to local
    time) as DATETIME_FORMAT; bool as "是"/"否"; None as an empty cell. A column's entry in
    ``number_formats`` replaces the default format for numbers and dates. Text loses the control
    characters that XML cannot carry, has "\\r\\n" and "\\r" turned into "\\n" (Excel's line
    break) and is cut at Excel's 32,767 characters. Rows are streamed through openpyxl's
    write-only mode, so memory stays flat however many rows there are; only the finished file is
    held in memory. Raises ValueError for a NaN or infinite number and when there is no sheet.
    """
    workbook = Workbook(write_only=True)
    try:
        return _write_sheets(workbook, sheets)
    except BaseException:
        _discard(workbook)
        raise


def _write_sheets(workbook: Workbook, sheets: Iterable[XlsxSheet]) -> bytes:
    for sheet in sheets:
        worksheet = workbook.create_sheet(title=_sheet_title(sheet.title))
        for index, width in enumerate(sheet.column_widths or ()):
            worksheet.column_dimensions[column_letter(index)].width = width
        worksheet.freeze_panes = "A2"  # must be set before the first row is written
        worksheet.append([_text_cell(worksheet, str(title), bold=True) for title in sheet.header])
        formats = sheet.number_formats or {}
        for row in sheet.rows:
            worksheet.append([_cell(worksheet, value, formats.get(index)) for index, value in enumerate(row)])
    if not workbook.worksheets:
        raise ValueError("write_xlsx needs at least one sheet; Excel cannot open a workbook without one.")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _discard(workbook: Workbook) -> None:
    """Close and delete the temporary files of a write-only workbook that will not be saved.

    openpyxl streams each sheet into a temporary file; when a row generator or a value fails
    halfway, those files would stay on disk and their half-written XML streams would fail noisily
    when garbage-collected.
    """
    for worksheet in workbook.worksheets:
        with contextlib.suppress(Exception):
            worksheet.close()
        writer = getattr(worksheet, "_writer", None)
        if writer is not None:
            with contextlib.suppress(OSError, ValueError):
                writer.cleanup()


def _sheet_title(title: str) -> str:
    """A title Excel accepts: no \\ / ? * [ ] :, not quoted, at most 31 characters."""
    clean = _SHEET_TITLE_FORBIDDEN.sub("_", title).strip("'")[:_SHEET_TITLE_CHARS]
    return clean or "Sheet"


def _cell(worksheet: WriteOnlyWorksheet, value: object, number_format: str | None) -> Cell | None:
    # Every value goes through an explicit cell: a plain str handed to openpyxl would become a
    # formula when it starts with "=".
    if value is None:
        return None
    if isinstance(value, bool):
        return _text_cell(worksheet, "是" if value else "否")
    if isinstance(value, str):
        # The characters themselves: str() of a str-based Enum member would give "Class.MEMBER".
        return _text_cell(worksheet, str.__str__(value))
    if isinstance(value, Decimal | int | float):
        finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
        if not finite:
            raise ValueError(f"Excel cannot hold the number {value!r}.")
        cell = WriteOnlyCell(worksheet, value=value)
        default = DECIMAL_FORMAT if isinstance(value, Decimal) else None
        if number_format or default:
            cell.number_format = number_format or default
        return cell
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)  # Excel has no time zones
        cell = WriteOnlyCell(worksheet, value=value)
        cell.number_format = number_format or DATETIME_FORMAT
        return cell
    if isinstance(value, datetime.date):
        cell = WriteOnlyCell(worksheet, value=value)
        cell.number_format = number_format or DATE_FORMAT
        return cell
    return _text_cell(worksheet, str(value))


def _text_cell(worksheet: WriteOnlyWorksheet, text: str, *, bold: bool = False) -> Cell:
    text = ILLEGAL_CHARACTERS_RE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")[:MAX_CELL_CHARS]
    cell = WriteOnlyCell(worksheet, value=text)
    # openpyxl turns "=..." into a formula and "#N/A" into an error on assignment; forcing the type
    # afterwards writes the characters as an inline string, which Excel shows as they are.
    cell.data_type = "s"
    if text.startswith(FORMULA_TRIGGERS):
        # Excel's own mark for "typed with a leading apostrophe": the cell stays text even when a
        # user edits it and presses Enter, instead of turning into a live formula then.
        cell.quotePrefix = True
    if bold:
        cell.font = _BOLD
    return cell


def read_xlsx_rows(
    file: BinaryIO | bytes,
    *,
    max_rows: int,
    max_bytes: int,
    expected_header: list[str] | None = None,
    sheet_name: str | None = None,
) -> XlsxTable:
    """Read the data rows of one sheet of an uploaded .xlsx, refusing anything suspicious.

    ``file`` is a Django UploadedFile, any seekable binary file, or bytes. Row 1 is the header;
    with ``expected_header`` it must match exactly (cell text stripped of surrounding spaces), and
    every column that differs is named by its letter; without it, header cells must be non-empty
    and distinct. Data may occupy rows 2 to ``max_rows`` + 1: a sheet whose recorded size or
    content goes further is refused before or while reading, never read to the end. Refuses
    files over ``max_bytes``, anything that is not an .xlsx zip, zip bombs, macros, encrypted
    files, formula cells (with their row and column) and data in a column without a header.
    Returns the non-empty rows with values as openpyxl gives them (str, int, float, datetime,
    bool; strings not stripped); missing cells are None. The file position is back at 0
    afterwards. Raises XlsxError with a message for the clerk.
    """
    if isinstance(file, bytes | bytearray):
        file = io.BytesIO(file)
    if expected_header is not None and len(set(expected_header)) != len(expected_header):
        raise ValueError("expected_header has duplicate names; rows could not be keyed by them.")
    name = getattr(file, "name", None)
    label = f"文件“{safe_display_name(name)}”" if isinstance(name, str) and name else "上传的文件"
    try:
        _check_container(file, label=label, max_bytes=max_bytes)
        file.seek(0)
        return _read_sheet(
            file,
            label=label,
            max_rows=max_rows,
            expected_header=expected_header,
            sheet_name=sheet_name,
        )
    finally:
        file.seek(0)


def _check_container(file: BinaryIO, *, label: str, max_bytes: int) -> None:
    """Size, magic bytes and zip directory, before openpyxl sees a single byte."""
    declared = getattr(file, "size", None)
    if isinstance(declared, int) and declared > max_bytes:
        raise XlsxError(_too_big(label, max_bytes=max_bytes, size=declared))
    size = file.seek(0, os.SEEK_END)  # the real length, whatever was declared
    if size > max_bytes:
        raise XlsxError(_too_big(label, max_bytes=max_bytes, size=size))
    if size == 0:
        raise XlsxError(f"{label}是空的（0 字节），请重新选择文件后上传。")
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise XlsxError(
            f"{label}是旧版 Excel(.xls)文件或设置了打开密码的文件。"
            "请在 Excel 或 WPS 中取消密码，另存为 .xlsx 后再上传。"
        )
    if not head.startswith(b"PK\x03\x04"):
        raise XlsxError(
            f"{label}不是 Excel(.xlsx)文件。请在 Excel 或 WPS 中另存为 .xlsx(Excel 工作簿)后再上传。"
        )
    try:
        with zipfile.ZipFile(file) as archive:
            kind = check_office_zip(archive, label=label, max_uncompressed_bytes=MAX_XLSX_UNCOMPRESSED_BYTES)
    except EvidenceError as exc:
        raise XlsxError(str(exc)) from exc
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise XlsxError(f"{label}已损坏，无法作为 Excel 文件打开。请重新保存为 .xlsx 后再上传。") from exc
    if kind != XLSX:
        raise XlsxError(f"{label}是 Word 文档，不是 Excel 表格。请上传按模板填写的 .xlsx 文件。")


def _too_big(label: str, *, max_bytes: int, size: int) -> str:
    return f"{label}超过 {format_size(max_bytes)} 上限（实际 {format_size(size)}），请拆分后再上传。"


def _unreadable(label: str) -> str:
    return f"{label}已损坏或不是标准的 .xlsx 文件，无法读取。请用 Excel 或 WPS 另存为 .xlsx 后再上传。"


def _read_sheet(
    file: BinaryIO,
    *,
    label: str,
    max_rows: int,
    expected_header: list[str] | None,
    sheet_name: str | None,
) -> XlsxTable:
    # openpyxl warns about parts it drops (data validation extensions, drawings); they do not
    # matter for reading values and must not fail a request or a test run.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl(\.|$)")
        try:
            workbook = load_workbook(file, read_only=True, data_only=False)
        except Exception as exc:
            # openpyxl reports a malformed part with whatever exception its parser hits (KeyError,
            # ValueError, TypeError, ParseError ...); to the clerk they all mean the same thing.
            raise XlsxError(_unreadable(label)) from exc
        try:
            return _read_rows(
                workbook,
                label=label,
                max_rows=max_rows,
                expected_header=expected_header,
                sheet_name=sheet_name,
            )
        except XlsxError:
            raise
        except Exception as exc:
            raise XlsxError(_unreadable(label)) from exc
        finally:
            workbook.close()


def _read_rows(
    workbook: Workbook,
    *,
    label: str,
    max_rows: int,
    expected_header: list[str] | None,
    sheet_name: str | None,
) -> XlsxTable:
    worksheets = workbook.worksheets
    if sheet_name is not None:
        worksheet = next((ws for ws in worksheets if ws.title == sheet_name), None)
        if worksheet is None:
            existing = "、".join(f"“{ws.title}”" for ws in worksheets) or "无"
            raise XlsxError(f"{label}中找不到名为“{sheet_name}”的工作表（现有：{existing}）。")
    elif worksheets:
        worksheet = worksheets[0]
    else:
        raise XlsxError(f"{label}中没有工作表。")

    last_allowed_row = max_rows + 1

    def too_many(detail: str) -> XlsxError:
        return XlsxError(
            f"工作表“{worksheet.title}”最多只能有 {max_rows} 行数据（第 2 行到第 {last_allowed_row} 行），"
            f"{detail}。如果实际数据没有这么多，可能是下方有设置过格式的空行，请整行删除后再上传。"
        )

    # The recorded size lets an honest oversized sheet be refused without reading a single row.
    if worksheet.max_row is not None and worksheet.max_row > last_allowed_row:
        raise too_many(f"但表格范围到了第 {worksheet.max_row} 行")
    # The recorded size is only a claim; openpyxl would stop at it and silently drop rows below.
    worksheet.reset_dimensions()

    rows = worksheet.iter_rows()
    header_cells = next(rows, ())
    formulas = _formula_cells(header_cells, row_number=1)
    header = _checked_header(header_cells, expected_header=expected_header, label=label)
    width = len(header)

    table_rows: list[tuple[int, dict[str, object]]] = []
    for row_number, cells in enumerate(rows, start=2):
        formulas.extend(_formula_cells(cells, row_number=row_number))
        values = [cell.value for cell in cells]
        filled = [index for index, value in enumerate(values) if not _is_blank(value)]
        if row_number > last_allowed_row:
            if filled:
                raise too_many(f"但第 {row_number} 行还有内容")
            if row_number > last_allowed_row + EMPTY_ROWS_AFTER_CAP:
                raise too_many(f"但表格下方有大量空行（超过第 {row_number} 行）")
            continue
        if not filled:
            continue
        if filled[-1] >= width:
            raise XlsxError(
                f"第 {row_number} 行 {column_letter(filled[-1])} 列有内容，但这一列没有表头。"
                "请删除表格右侧多余的内容后再上传。"
            )
        values.extend([None] * (width - len(values)))
        table_rows.append((row_number, dict(zip(header, values[:width], strict=True))))

    if formulas:
        shown = "、".join(formulas[:10]) + (f" 等 {len(formulas)} 处" if len(formulas) > 10 else "")
        raise XlsxError(
            f"{label}中有公式：{shown}。系统不接受公式，请选中表格，复制后用“选择性粘贴 → 数值”"
            "粘贴回原处，保存后再上传。"
        )
    return XlsxTable(header=header, rows=table_rows)


def _formula_cells(cells: Sequence, *, row_number: int) -> list[str]:
    return [
        f"第 {row_number} 行 {column_letter(index)} 列"
        for index, cell in enumerate(cells)
        if getattr(cell, "data_type", None) == "f"
    ]


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _checked_header(cells: Sequence, *, expected_header: list[str] | None, label: str) -> list[str]:
    actual = [_header_text(cell.value) for cell in cells]
    while actual and not actual[-1]:
        actual.pop()
    if expected_header is not None:
        problems = []
        for index in range(max(len(expected_header), len(actual))):
            letter = column_letter(index)
            want = expected_header[index] if index < len(expected_header) else None
            have = actual[index] if index < len(actual) else ""
            if want is None:
                problems.append(f"{letter} 列“{have}”不在模板中")
            elif not have:
                problems.append(f"{letter} 列缺少“{want}”")
            elif have != want:
                problems.append(f"{letter} 列应为“{want}”，实际是“{have}”")
        if problems:
            shown = "；".join(problems[:10]) + (f" 等 {len(problems)} 处" if len(problems) > 10 else "")
            raise XlsxError(
                f"{label}的表头（第 1 行）与模板不一致：{shown}。请使用下载的模板，不要增删或改动表头。"
            )
        return list(expected_header)
    if not actual:
        raise XlsxError(f"{label}的第 1 行是空的，第 1 行应是表头。")
    seen: dict[str, int] = {}
    for index, title in enumerate(actual):
        letter = column_letter(index)
        if not title:
            raise XlsxError(f"{label}的表头（第 1 行）{letter} 列是空的，请填写列名或删除这一列。")
        if title in seen:
            raise XlsxError(
                f"{label}的表头（第 1 行）{column_letter(seen[title])} 列和 {letter} 列都叫“{title}”，"
                "请改为不同的列名。"
            )
        seen[title] = index
    return actual
