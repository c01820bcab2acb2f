"""The one place that writes and reads Excel files: a safe streaming writer and a strict reader.

Exports are opened by auditors in Excel or WPS, so every text value is written as text that can
never become a formula, however it starts ("=HYPERLINK(...)" typed into a station name stays
those characters). Imports come from operators' uploads, so the reader refuses anything it would
have to trust: zip bombs, macros, formulas, links to other workbooks, oversized sheets and
headers that differ from the template, each with a message that says which row and column to fix.

Both ends are built for a province's volumes: the writer serialises SpreadsheetML itself, row by
row into the compressed part (several times faster than openpyxl's write-only mode, memory flat),
and the reader takes values from python-calamine after a byte scan of the sheet's XML has shown
there is nothing in it openpyxl would have to judge cell by cell.
"""

import contextlib
import datetime
import io
import math
import os
import re
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO
from xml.etree import ElementTree

from django.http import FileResponse
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

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
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class XlsxError(Exception):
    """An uploaded Excel file was refused; the message tells the clerk what to fix."""


@dataclass(frozen=True)
class XlsxSheet:
    """One worksheet to write. ``rows`` may be a generator; it is consumed once, row by row.

    ``column_widths`` apply to columns A, B, ... in order. ``number_formats`` maps a 0-based column
    index to an Excel number format for the numbers and dates in that column. ``column_formats`` maps
    a 0-based column index to the format of the whole column, cells not yet typed included: "@"
    (Text) keeps an ID number typed into a template as text instead of 4.20923E+17.
    """

    title: str
    header: list[str]
    rows: Iterable[Sequence[object]]
    column_widths: list[int] | None = None
    number_formats: dict[int, str] | None = None
    column_formats: dict[int, str] | None = None
    # Lines above the header, in bold, one per row (a document's title, its period, a notice): what
    # a sheet printed and filed needs to say what it is. The panes freeze below the header still.
    caption: Sequence[str] = ()


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
    """Write the sheets to an .xlsx file and return its bytes (small files; see `write_xlsx_to`)."""
    buffer = io.BytesIO()
    write_xlsx_to(sheets, buffer)
    return buffer.getvalue()


def xlsx_response(sheets: Iterable[XlsxSheet], filename: str) -> FileResponse:
    """A download of the sheets, written first to a temporary file and then sent from it.

    Memory stays flat however many rows there are, and a row source that fails does so before
    the response starts (an error page, not a truncated file). The file is deleted when the
    response is closed.
    """
    file = tempfile.TemporaryFile()  # noqa: SIM115 -- FileResponse closes it when sent
    try:
        write_xlsx_to(sheets, file)
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return FileResponse(file, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


def write_xlsx_to(sheets: Iterable[XlsxSheet], target: BinaryIO) -> None:
    """Write the sheets as an .xlsx file into ``target`` (a writable binary file).

    Each sheet gets a bold header row with the panes frozen below it. Values: str (and anything
    not listed here, through str()) as text that is never evaluated; Decimal as a number formatted
    DECIMAL_FORMAT; int and float as numbers; date as DATE_FORMAT; datetime (converted to local
    time) as DATETIME_FORMAT; bool as "是"/"否"; None as an empty cell. A column's entry in
    ``number_formats`` replaces the default format for numbers and dates. Text loses the control
    characters that XML cannot carry, has "\\r\\n" and "\\r" turned into "\\n" (Excel's line
    break) and is cut at Excel's 32,767 characters; text starting with a formula trigger carries
    Excel's quote prefix. Rows are serialised straight into the compressed sheet part as they come,
    so memory stays flat however many rows there are. Raises ValueError for a NaN or infinite
    number and when there is no sheet.
    """
    sheets = list(sheets)
    if not sheets:
        raise ValueError("write_xlsx needs at least one sheet; Excel cannot open a workbook without one.")
    titles = _unique_titles([_sheet_title(sheet.title) for sheet in sheets])
    styles = _Styles()
    archive = zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=_COMPRESS_LEVEL)
    try:
        archive.writestr("[Content_Types].xml", _content_types(len(sheets)))
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _workbook_xml(titles))
        archive.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets)))
        for number, sheet in enumerate(sheets, start=1):
            with archive.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=True) as part:
                _write_sheet(part, sheet, styles, selected=number == 1)
        archive.writestr("xl/styles.xml", styles.xml())
    except BaseException:
        with contextlib.suppress(Exception):
            archive.close()  # the caller discards the half-written file
        raise
    archive.close()


_COMPRESS_LEVEL = 1  # a sheet is repetitive XML: level 1 is ~3x faster than 6 for a few % in size
_FLUSH_ROWS = 500
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_ROOT_RELS = (
    f'{_XML_HEAD}<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
    f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_EXCEL_EPOCH = datetime.datetime(1899, 12, 30)  # noqa: DTZ001 -- Excel's serial dates have no time zone
_TAB_SELECTED = ' tabSelected="1"'


def _content_types(count: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for n in range(1, count + 1)
    )
    return (
        f'{_XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f"{sheets}</Types>"
    )


def _workbook_xml(titles: list[str]) -> str:
    sheets = "".join(
        f'<sheet name="{_escape_attr(title)}" sheetId="{n}" r:id="rId{n}"/>'
        for n, title in enumerate(titles, start=1)
    )
    return (
        f'{_XML_HEAD}<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
        f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{sheets}</sheets></workbook>'
    )


def _workbook_rels(count: int) -> str:
    rels = "".join(
        f'<Relationship Id="rId{n}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, count + 1)
    )
    styles = f'<Relationship Id="rId{count + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
    return f'{_XML_HEAD}<Relationships xmlns="{_PKG_REL_NS}">{rels}{styles}</Relationships>'


# Formats Excel knows by number: written as such, as Excel itself does, not as custom formats.
_BUILTIN_FORMAT_IDS = {"@": 49}


class _Styles:
    """The cell formats a workbook uses, numbered as they are first needed."""

    def __init__(self) -> None:
        self.formats: dict[str, int] = {}
        self.xfs: dict[tuple[str | None, bool, bool], int] = {(None, False, False): 0}

    def attr(self, number_format: str | None = None, *, bold: bool = False, quote: bool = False) -> str:
        """The ` s="N"` attribute of a cell in this format ("" for the default format)."""
        key = (number_format, bold, quote)
        index = self.xfs.get(key)
        if index is None:
            if (
                number_format is not None
                and number_format not in self.formats
                and number_format not in _BUILTIN_FORMAT_IDS
            ):
                self.formats[number_format] = 164 + len(self.formats)  # first custom format id
            index = self.xfs[key] = len(self.xfs)
        return f' s="{index}"' if index else ""

    def index(self, number_format: str) -> int:
        """The number of the cell format with this number format (a column's style refers to it)."""
        self.attr(number_format)
        return self.xfs[(number_format, False, False)]

    def xml(self) -> str:
        formats = "".join(
            f'<numFmt numFmtId="{n}" formatCode="{_escape_attr(code)}"/>' for code, n in self.formats.items()
        )
        xfs = []
        for number_format, bold, quote in self.xfs:
            number = (
                0
                if number_format is None
                else _BUILTIN_FORMAT_IDS.get(number_format) or self.formats[number_format]
            )
            xfs.append(
                f'<xf numFmtId="{number}" fontId="{int(bold)}" fillId="0" borderId="0" xfId="0"'
                + (' applyNumberFormat="1"' if number else "")
                + (' applyFont="1"' if bold else "")
                + (' quotePrefix="1"' if quote else "")
                + "/>"
            )
        return (
            f'{_XML_HEAD}<styleSheet xmlns="{_MAIN_NS}">'
            + (f'<numFmts count="{len(self.formats)}">{formats}</numFmts>' if self.formats else "")
            + '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attr(text: str) -> str:
    return _escape(text).replace('"', "&quot;")


def _write_sheet(part: BinaryIO, sheet: XlsxSheet, styles: _Styles, *, selected: bool) -> None:
    widths = sheet.column_widths or []
    formats = sheet.column_formats or {}
    cols = []
    for index in range(max(len(widths), max(formats, default=-1) + 1)):
        width = f' width="{widths[index]}" customWidth="1"' if index < len(widths) else ""
        style = f' style="{styles.index(formats[index])}"' if index in formats else ""
        if width or style:
            cols.append(f'<col min="{index + 1}" max="{index + 1}"{width}{style}/>')
    widths = "".join(cols)
    header_row = len(sheet.caption) + 1
    part.write(
        (
            f'{_XML_HEAD}<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
            f'<sheetViews><sheetView{_TAB_SELECTED if selected else ""} workbookViewId="0">'
            f'<pane ySplit="{header_row}" topLeftCell="A{header_row + 1}" activePane="bottomLeft" state="frozen"/>'
            f'<selection pane="bottomLeft" activeCell="A{header_row + 1}" sqref="A{header_row + 1}"/>'
            "</sheetView></sheetViews>"
            '<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{widths}</cols>" if widths else "")
            + "<sheetData>"
        ).encode()
    )
    row_writer = _RowWriter(styles, sheet.number_formats or {})
    bold = [styles.attr(bold=True), styles.attr(bold=True, quote=True)]
    buffered = [
        f'<row r="{number}">{_text_xml(f"A{number}", line, bold)}</row>'
        for number, line in enumerate(sheet.caption, start=1)
    ]
    header = "".join(
        _text_xml(f"{column_letter(index)}{header_row}", str(title), bold)
        for index, title in enumerate(sheet.header)
    )
    buffered.append(f'<row r="{header_row}">{header}</row>')
    for row_number, row in enumerate(sheet.rows, start=header_row + 1):
        buffered.append(row_writer.row(row_number, row))
        if len(buffered) >= _FLUSH_ROWS:
            part.write("".join(buffered).encode())
            buffered.clear()
    buffered.append(
        '</sheetData><pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
        "</worksheet>"
    )
    part.write("".join(buffered).encode())


def _clean_text(text: str) -> str:
    if ILLEGAL_CHARACTERS_RE.search(text):
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text[:MAX_CELL_CHARS]


def _text_xml(ref: str, text: str, style: list[str]) -> str:
    """An inline-string cell: the characters as they are, never a formula, never an error value.

    ``style`` is the attribute for plain text and for text that starts with a formula trigger,
    which carries Excel's own mark for "typed with a leading apostrophe", so the cell stays text
    even when a user edits it and presses Enter.
    """
    text = _clean_text(text)
    if not text:
        return ""  # an empty cell, as openpyxl writes an empty string
    s = style[1] if text.startswith(FORMULA_TRIGGERS) else style[0]
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{_escape(text)}</t></is></c>'


class _RowWriter:
    """Serialises the rows of one sheet; the style of each (column, kind of value) is looked up once."""

    def __init__(self, styles: _Styles, number_formats: dict[int, str]):
        self.styles = styles
        self.number_formats = number_formats
        self.letters: list[str] = []
        self.text_style = [styles.attr(), styles.attr(quote=True)]
        self.number_styles: dict[tuple[int, type], str] = {}

    def letter(self, index: int) -> str:
        while len(self.letters) <= index:
            self.letters.append(column_letter(len(self.letters)))
        return self.letters[index]

    def number_style(self, index: int, kind: type) -> str:
        key = (index, kind)
        style = self.number_styles.get(key)
        if style is None:
            default = {
                Decimal: DECIMAL_FORMAT,
                datetime.date: DATE_FORMAT,
                datetime.datetime: DATETIME_FORMAT,
            }
            style = self.number_styles[key] = self.styles.attr(
                self.number_formats.get(index) or default.get(kind)
            )
        return style

    def row(self, row_number: int, values: Sequence[object]) -> str:
        r = str(row_number)
        cells = []
        for index, value in enumerate(values):
            if value is None:
                continue
            ref = (self.letters[index] if index < len(self.letters) else self.letter(index)) + r
            kind = type(value)
            if kind is str:
                if value:  # "" is an empty cell, as None is
                    cells.append(_text_xml(ref, value, self.text_style))
            elif kind is Decimal:
                if not value.is_finite():
                    raise ValueError(f"Excel cannot hold the number {value!r}.")
                cells.append(f'<c r="{ref}"{self.number_style(index, Decimal)}><v>{value}</v></c>')
            elif kind is int:
                cells.append(f'<c r="{ref}"{self.number_style(index, int)}><v>{value}</v></c>')
            else:
                cells.append(self.other(ref, index, value))
        return f'<row r="{r}">{"".join(cells)}</row>'

    def other(self, ref: str, index: int, value: object) -> str:
        if isinstance(value, bool):
            return _text_xml(ref, "是" if value else "否", self.text_style)
        if isinstance(value, str):
            # The characters themselves: str() of a str-based Enum member would give "Class.MEMBER".
            text = str.__str__(value)
            return _text_xml(ref, text, self.text_style) if text else ""
        if isinstance(value, Decimal | int | float):
            finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
            if not finite:
                raise ValueError(f"Excel cannot hold the number {value!r}.")
            kind = Decimal if isinstance(value, Decimal) else int
            number = repr(float(value)) if isinstance(value, float) else str(value)
            return f'<c r="{ref}"{self.number_style(index, kind)}><v>{number}</v></c>'
        if isinstance(value, datetime.datetime):
            if timezone.is_aware(value):
                value = timezone.localtime(value).replace(tzinfo=None)  # Excel has no time zones
            days = (value - _EXCEL_EPOCH) / datetime.timedelta(days=1)
            return f'<c r="{ref}"{self.number_style(index, datetime.datetime)}><v>{days!r}</v></c>'
        if isinstance(value, datetime.date):
            days = (value - _EXCEL_EPOCH.date()).days
            return f'<c r="{ref}"{self.number_style(index, datetime.date)}><v>{days}</v></c>'
        return _text_xml(ref, str(value), self.text_style)


def _sheet_title(title: str) -> str:
    """A title Excel accepts: no \\ / ? * [ ] :, not quoted, at most 31 characters."""
    clean = _SHEET_TITLE_FORBIDDEN.sub("_", title).strip("'")[:_SHEET_TITLE_CHARS]
    return clean or "Sheet"


def _unique_titles(titles: list[str]) -> list[str]:
    """Excel refuses two sheets of the same name (in any case): later ones get a number."""
    seen: set[str] = set()
    unique = []
    for title in titles:
        candidate, n = title, 0
        while candidate.lower() in seen:
            n += 1
            candidate = f"{title[: _SHEET_TITLE_CHARS - len(str(n))]}{n}"
        seen.add(candidate.lower())
        unique.append(candidate)
    return unique


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
    files, links to other workbooks, formula cells (with their row and column) and data in a
    column without a header. Returns the non-empty rows with values as openpyxl gives them (str,
    int, float, datetime, bool; strings not stripped); missing cells are None. The file position
    is back at 0 afterwards. Raises XlsxError with a message for the clerk.

    The sheet's XML is scanned first (streamed, never parsed into a tree); a plain sheet, one
    without formulas, error values or cells out of place, is then read by python-calamine, about
    six times faster than openpyxl. Anything else (a refusal, mostly) goes through openpyxl, which
    names each cell at fault.
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
        plain = _plain_sheet(
            file, label=label, max_rows=max_rows, expected_header=expected_header, sheet_name=sheet_name
        )
        file.seek(0)
        if plain is not None:
            return _read_plain_sheet(
                file, plain, label=label, max_rows=max_rows, expected_header=expected_header
            )
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
    """Size, magic bytes and zip directory, before any reader sees a single byte."""
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


# --- The scan: what the sheet's XML holds, learnt with byte patterns over a stream -----------------

# Cells live only inside <sheetData>; everything the scan looks for is looked for there, after
# learning the prefix the sheet gives its tags ("<x:c ...>" as well as "<c ...>").
_SHEET_DATA = re.compile(rb"<([A-Za-z_][\w.\-]*:)?sheetData(?=[\s/>])[^>]*?(/?)>")
_DIMENSION = re.compile(rb'<(?:[A-Za-z_][\w.\-]*:)?dimension\s[^>]*?\bref="([^"]*)"')
_TAG_PREFIX = re.compile(rb"</?([A-Za-z_][\w.\-]*):")
# A comment, CDATA section, DOCTYPE or processing instruction can carry "</sheetData>" or a cell
# that a byte scan would take for markup (or miss); Excel never writes them, openpyxl parses them.
_NOT_PLAIN_MARKUP = re.compile(rb"<[!?]")
_XML_DECLARATION = re.compile(rb"(?:\xef\xbb\xbf)?<\?xml\s[^<>]*\?>")
_ANY_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?f[\s/>]")
# After the end of <sheetData> there are no rows or cells; one there means the end was not the end
# a parser sees (quick-xml, under calamine, takes "</sheetData>" inside an attribute value as text).
_CELLS_AFTER_DATA = re.compile(rb"</?(?:[A-Za-z_][\w.\-]*:)?(?:sheetData|row|c)[\s/>]")
_SCAN_CHUNK = 1024 * 1024
# Calamine holds the sheet as a dense grid of its extent: a few far-apart cells must not make it
# allocate gigabytes (it aborts the process when it cannot), so a larger extent goes to openpyxl.
MAX_DENSE_CELLS = 5_000_000
_MAX_PART_BYTES = 5 * 1024 * 1024  # workbook.xml and its relationships are a few kB in real files
_WORKSHEET_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_SHEET_REL_ID = f"{{{_REL_NS}}}id"  # the r:id of a <sheet>, whatever prefix the file gives it
_EXTERNAL_LINK = "/externalLink"


@dataclass(frozen=True)
class _PlainSheet:
    title: str
    max_column: int  # 1-based column of the right-most cell with content, 0 for an empty sheet


def _plain_sheet(
    file: BinaryIO,
    *,
    label: str,
    max_rows: int,
    expected_header: list[str] | None,
    sheet_name: str | None,
) -> _PlainSheet | None:
    """The sheet to read with calamine, or None when openpyxl must read it (or say what is wrong).

    Refuses a workbook that links to other workbooks, whatever reader follows, and one whose list
    of parts cannot be read to find out.
    """
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise XlsxError(_unreadable(label)) from exc
    with archive:
        names = set(archive.namelist())
        rels = _checked_relationships(archive, names, label=label)
        try:
            sheets = _worksheets(archive, rels)
            if sheets is None:
                return None
            if sheet_name is not None:
                chosen = next(((title, part) for title, part in sheets if title == sheet_name), None)
            else:
                chosen = sheets[0] if sheets else None
            if chosen is None or chosen[1] not in names:
                return None  # openpyxl words the refusal
            return _scan_sheet(archive, chosen, max_rows=max_rows)
        except (
            zipfile.BadZipFile,
            ElementTree.ParseError,
            KeyError,
            ValueError,
            OSError,
            EOFError,
            zlib.error,
        ):
            return None  # openpyxl says the file is unreadable, in the same words as ever


def _linked(label: str) -> str:
    return (
        f"{label}引用了其他工作簿的数据（外部链接）。请在 Excel 中点“数据 → 编辑链接 → 断开链接”"
        "（WPS：“数据 → 编辑链接 → 断开链接”），或复制后用“选择性粘贴 → 数值”粘贴回原处，保存后再上传。"
    )


def _checked_relationships(
    archive: zipfile.ZipFile, names: set[str], *, label: str
) -> dict[str, tuple[str, str]] | None:
    """The workbook's relationships {id: (type, target)}, after refusing links to other workbooks.

    A linked-workbook part is looked for by name before anything is parsed, so no failure to
    parse can skip the check; relationships that cannot be read are refused, not passed on to
    openpyxl (which never checks for links). None when they could be read two ways (an id given
    twice, a relationship nested where readers disagree): openpyxl then reads the sheet.
    """
    if any(n.replace("\\", "/").lstrip("/").lower().startswith("xl/externallinks/") for n in names):
        raise XlsxError(_linked(label))
    try:
        relationships, plain = _relationships(archive, "xl/_rels/workbook.xml.rels")
    except Exception as exc:
        raise XlsxError(_unreadable(label)) from exc
    if any(kind.endswith(_EXTERNAL_LINK) for _, kind, _ in relationships):
        raise XlsxError(_linked(label))
    by_id = {rel_id: (kind, target) for rel_id, kind, target in relationships}
    return by_id if plain and len(by_id) == len(relationships) else None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _relationships(archive: zipfile.ZipFile, part: str) -> tuple[list[tuple[str, str, str]], bool]:
    """Every (id, type, target) of a relationships part (none when there is no part), and whether
    they all sit directly under its root, where every reader looks for them."""
    try:
        info = archive.getinfo(part)
    except KeyError:
        return [], True
    if info.file_size > _MAX_PART_BYTES:
        raise ValueError(f"{part} is too large")
    # A few kB, size-checked; expat (2.4.1+) refuses entity expansion bombs and ElementTree never
    # fetches external entities.
    root = ElementTree.fromstring(archive.read(info))  # noqa: S314
    found = [element for element in root.iter() if _local(element.tag) == "Relationship"]
    holders = sum(1 for element in root.iter() if _local(element.tag) == "Relationships")
    direct = sum(1 for element in root if _local(element.tag) == "Relationship")
    plain = _local(root.tag) == "Relationships" and holders == 1 and direct == len(found)
    return [(rel.get("Id", ""), rel.get("Type", ""), rel.get("Target", "")) for rel in found], plain


def _worksheets(
    archive: zipfile.ZipFile, rels: dict[str, tuple[str, str]] | None
) -> list[tuple[str, str]] | None:
    """(title, part name) of every worksheet in the workbook's order, as openpyxl lists them.

    None when calamine could take a sheet's title to a part other than the one scanned: a <sheet>
    anywhere but directly in <sheets>, a relationship id in any attribute other than r:id, two
    sheets of one title, a title with characters parsers normalise differently, or a part name
    readers resolve differently.
    """
    if rels is None:
        return None
    info = archive.getinfo("xl/workbook.xml")
    if info.file_size > _MAX_PART_BYTES:
        return None
    # A few kB, size-checked; expat (2.4.1+) refuses entity expansion bombs and ElementTree never
    # fetches external entities.
    root = ElementTree.fromstring(archive.read(info))  # noqa: S314
    holders = [element for element in root if _local(element.tag) == "sheets"]
    if _local(root.tag) != "workbook" or len(holders) != 1:
        return None
    listed = [element for element in holders[0] if _local(element.tag) == "sheet"]
    counts = {"workbook": 0, "sheets": 0, "sheet": 0}
    for element in root.iter():
        local = _local(element.tag)
        if local in counts:
            counts[local] += 1
    if counts != {"workbook": 1, "sheets": 1, "sheet": len(listed)}:
        return None
    sheets = []
    titles: set[str] = set()
    for element in listed:
        ids = [key for key in element.attrib if _local(key) == "id"]
        title = element.get("name", "")
        if ids != [_SHEET_REL_ID] or title in titles or any(c in title for c in "\t\n\r"):
            return None
        titles.add(title)
        kind, target = rels.get(element.get(_SHEET_REL_ID, ""), ("", ""))
        if kind != _WORKSHEET_TYPE:
            continue  # a chart sheet or a dialog sheet: openpyxl does not list them either
        part = _part_name(target)
        if part is None:
            return None
        sheets.append((title, part))
    return sheets


def _part_name(target: str) -> str | None:
    """The zip member a workbook relationship's target names, or None when readers could differ."""
    if target.startswith("/"):
        part = target[1:]
    elif target.startswith("xl/"):
        return None  # relative to xl/ by the standard, but some readers take it from the root
    else:
        part = f"xl/{target}"
    if "\\" in part or any(segment in ("", ".", "..") for segment in part.split("/")):
        return None  # calamine looks the name up as written; openpyxl normalises it first
    return part


def _scan_sheet(archive: zipfile.ZipFile, chosen: tuple[str, str], *, max_rows: int) -> _PlainSheet | None:
    """Stream the sheet's XML and say whether calamine may read it.

    No: a formula (<f>, <f t="shared" .../>) anywhere in the part, an error value (t="e", which
    calamine reads as empty), a cell or row whose place is not written out, a namespace declared
    inside the data, a row or cell after the end of <sheetData>, a comment, CDATA section or
    processing instruction (other than the XML declaration) anywhere in the part, rows beyond what
    openpyxl would refuse, or an extent whose dense grid would be too large. Only byte counts and
    a few simple patterns run over the data, so a 50,000-row sheet takes a fraction of what
    reading it takes.
    """
    title, part = chosen
    last_allowed_row = max_rows + 1
    scan: _DataScan | None = None
    ended = False  # the end of <sheetData> has gone by
    with archive.open(part) as stream:
        carry = b""
        at_start = True
        while True:
            block = stream.read(_SCAN_CHUNK)
            data = carry + block
            if block:
                cut = data.rfind(b">") + 1  # every tag before the cut is whole
                data, carry = data[:cut], data[cut:]
            if at_start and data:
                at_start = False
                declaration = _XML_DECLARATION.match(data)
                if declaration is not None:
                    data = data[declaration.end() :]
            if _NOT_PLAIN_MARKUP.search(data):
                return None  # openpyxl parses comments and the like for what they are
            if scan is None:
                dimension = _DIMENSION.search(data)
                recorded = [int(n) for n in re.findall(rb"[0-9]+", dimension.group(1))] if dimension else []
                if recorded and max(recorded) > last_allowed_row:
                    return None  # openpyxl refuses it from the recorded size, before reading rows
                start = _SHEET_DATA.search(data)
                if _ANY_FORMULA.search(data if start is None else data[: start.start()]):
                    return None
                if start is not None:
                    scan = _DataScan(start.group(1) or b"")
                    data = data[start.end() :]
                    ended = bool(start.group(2))  # <sheetData/>: no cells at all
            if scan is not None and not ended:
                end = data.find(scan.end_tag)
                if not scan.feed(data if end < 0 else data[:end]):
                    return None
                if scan.max_row > last_allowed_row + EMPTY_ROWS_AFTER_CAP:
                    return None  # openpyxl words the refusal
                if end >= 0:
                    ended = True
                    data = data[end + len(scan.end_tag) :]
            if scan is not None and ended and (scan.formula.search(data) or _CELLS_AFTER_DATA.search(data)):
                return None  # the end found was not the end a parser finds
            if not block:
                break
    if scan is None or not ended or scan.max_row * scan.max_column > MAX_DENSE_CELLS:
        return None  # no (end of) <sheetData>: openpyxl says what is wrong
    return _PlainSheet(title=title, max_column=scan.max_column)


class _DataScan:
    """What the scan learns from the inside of <sheetData>, fed one piece (whole tags) at a time."""

    def __init__(self, prefix: bytes):
        self.prefix = prefix
        lt = b"<" + prefix
        self.end_tag = b"</" + prefix + b"sheetData>"
        self.cell_start = lt + b"c"
        self.not_cells = [lt + b"charset", lt + b"color", lt + b"condense"]  # rich text in a cell
        self.row_start = lt + b"row"
        placed = re.escape(lt + b'c r="')
        self.formula = re.compile(re.escape(lt) + rb"f[\s/>]")
        self.cell_rows = re.compile(placed + rb'[A-Z]{1,3}([0-9]+)"')
        self.wide_cell = re.compile(placed + rb"[A-Z]{2}")
        self.cell_columns = re.compile(placed + rb'([A-Z]{1,3})[0-9]+"')
        self.rows = re.compile(re.escape(lt + b'row r="') + rb'([0-9]+)"')
        self.max_row = 0
        self.max_column = 0

    def feed(self, data: bytes) -> bool:
        if b"xmlns" in data or b't="e"' in data or b"t='e'" in data or self.formula.search(data):
            return False
        if b":" in data and any(  # a tag of another prefix could be a cell or formula unseen
            found + b":" != self.prefix for found in set(_TAG_PREFIX.findall(data))
        ):
            return False
        cell_rows = self.cell_rows.findall(data)
        cells = data.count(self.cell_start)
        if cells != len(cell_rows):
            cells -= sum(data.count(tag) for tag in self.not_cells)
            if cells != len(cell_rows):
                return False  # a cell without its place, or written in a way this scan does not follow
        rows = self.rows.findall(data)
        if len(rows) != data.count(self.row_start):
            return False
        if cell_rows:
            self.max_row = max(self.max_row, *map(int, set(cell_rows)))
            if self.wide_cell.search(data):
                columns = set(self.cell_columns.findall(data))
                self.max_column = max(self.max_column, *map(_column_number, columns))
            else:
                self.max_column = max(self.max_column, 26)  # at most Z
        if rows:
            self.max_row = max(self.max_row, *map(int, rows))
        return True


def _column_number(letters: bytes) -> int:
    number = 0
    for byte in letters:
        number = number * 26 + byte - 64
    return number


def _read_plain_sheet(
    file: BinaryIO,
    plain: _PlainSheet,
    *,
    label: str,
    max_rows: int,
    expected_header: list[str] | None,
) -> XlsxTable:
    try:
        workbook = CalamineWorkbook.from_filelike(file)
        try:
            sheet = workbook.get_sheet_by_name(plain.title)
            lead = [None] * (sheet.start[1] if sheet.start else 0)  # rows start at the first filled column
            value_rows = ([*lead, *map(_calamine_value, row)] for row in sheet.iter_rows())
            return _collect_rows(
                value_rows,
                title=plain.title,
                label=label,
                max_rows=max_rows,
                expected_header=expected_header,
            )
        finally:
            workbook.close()
    except XlsxError:
        raise
    except Exception as exc:
        raise XlsxError(_unreadable(label)) from exc


_EXACT_INT = 2**53


def _calamine_value(value: object) -> object:
    """A value as openpyxl gives it: None for an empty cell, whole numbers as int, dates as datetime."""
    kind = type(value)
    if kind is str:
        return value or None
    if kind is float:
        # Excel writes 3500 as "3500", which openpyxl reads as an int; calamine gives 3500.0.
        return int(value) if value.is_integer() and -_EXACT_INT < value < _EXACT_INT else value
    if kind is datetime.date:
        return datetime.datetime(value.year, value.month, value.day)  # noqa: DTZ001 -- as openpyxl gives it
    return value


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

    # The recorded size lets an honest oversized sheet be refused without reading a single row.
    if worksheet.max_row is not None and worksheet.max_row > max_rows + 1:
        raise _too_many(worksheet.title, max_rows, f"但表格范围到了第 {worksheet.max_row} 行")
    # The recorded size is only a claim; openpyxl would stop at it and silently drop rows below.
    worksheet.reset_dimensions()

    formulas: list[str] = []

    def value_rows() -> Iterator[list[object]]:
        for row_number, cells in enumerate(worksheet.iter_rows(), start=1):
            formulas.extend(_formula_cells(cells, row_number=row_number))
            yield [cell.value for cell in cells]

    table = _collect_rows(
        value_rows(), title=worksheet.title, label=label, max_rows=max_rows, expected_header=expected_header
    )
    if formulas:
        shown = "、".join(formulas[:10]) + (f" 等 {len(formulas)} 处" if len(formulas) > 10 else "")
        raise XlsxError(
            f"{label}中有公式：{shown}。系统不接受公式，请选中表格，复制后用“选择性粘贴 → 数值”"
            "粘贴回原处，保存后再上传。"
        )
    return table


def _too_many(title: str, max_rows: int, detail: str) -> XlsxError:
    return XlsxError(
        f"工作表“{title}”最多只能有 {max_rows} 行数据（第 2 行到第 {max_rows + 1} 行），"
        f"{detail}。如果实际数据没有这么多，可能是下方有设置过格式的空行，请整行删除后再上传。"
    )


def _collect_rows(
    value_rows: Iterator[list[object]],
    *,
    title: str,
    label: str,
    max_rows: int,
    expected_header: list[str] | None,
) -> XlsxTable:
    """The header checked and the non-empty rows keyed by it; rows are lists of values from row 1 on."""
    last_allowed_row = max_rows + 1
    header = _checked_header(next(value_rows, []), expected_header=expected_header, label=label)
    width = len(header)
    table_rows: list[tuple[int, dict[str, object]]] = []
    for row_number, values in enumerate(value_rows, start=2):
        last = len(values) - 1  # the right-most filled column, -1 for a blank row
        while last >= 0 and _is_blank(values[last]):
            last -= 1
        if row_number > last_allowed_row:
            if last >= 0:
                raise _too_many(title, max_rows, f"但第 {row_number} 行还有内容")
            if row_number > last_allowed_row + EMPTY_ROWS_AFTER_CAP:
                raise _too_many(title, max_rows, f"但表格下方有大量空行（超过第 {row_number} 行）")
            continue
        if last < 0:
            continue
        if last >= width:
            raise XlsxError(
                f"第 {row_number} 行 {column_letter(last)} 列有内容，但这一列没有表头。"
                "请删除表格右侧多余的内容后再上传。"
            )
        if len(values) < width:
            values = [*values, *([None] * (width - len(values)))]
        table_rows.append((row_number, dict(zip(header, values[:width], strict=True))))
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


def _checked_header(values: Sequence, *, expected_header: list[str] | None, label: str) -> list[str]:
    actual = [_header_text(value) for value in values]
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
