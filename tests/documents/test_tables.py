import io
from decimal import Decimal

from django.urls import reverse
from openpyxl import load_workbook

from assessment.documents.tables import (
    XLSX_CONTENT_TYPE,
    CampaignResultTable,
    NoticeListTable,
)
from assessment.models import CampaignResult, ScoreSheet
from assessment.scoring import column_result
from tests.documents.conftest import FORMULA_NAME
from tests.jobs_steps import download_through_job


def workbook_of(data: bytes):
    return load_workbook(io.BytesIO(data))  # full mode: formulas would show as formulas


def values(worksheet) -> list[list[object]]:
    return [[cell.value for cell in row] for row in worksheet.iter_rows()]


def assert_no_formula(workbook) -> None:
    for worksheet in workbook.worksheets:
        for row in worksheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{worksheet.title}!{cell.coordinate} is a formula"


def test_result_table_round_trips_values_and_types(world, scored_campaign):
    table = CampaignResultTable(campaign=scored_campaign, actor=world.auditor_a)
    expected = list(table.rows())
    workbook = workbook_of(table.xlsx())

    worksheet = workbook["考核结果"]
    caption, rows = values(worksheet)[:2], values(worksheet)[2:]
    assert caption[0][0] == "2024年度云梦县零工驿站运营考核结果表"
    assert caption[1][0].startswith("说明：本表考核项目分值为示例")  # said once, not on every section
    assert rows[0] == table.header()
    assert rows[0][4] == "1 驿站建设（满分15，审定）"
    assert len(rows) - 1 == len(expected) == 2
    for written, read in zip(expected, rows[1:], strict=True):
        for want, got in zip(written, read, strict=True):
            if want is None or want == "":
                assert got is None
            elif isinstance(want, Decimal):
                assert isinstance(got, int | float), (want, got)
                assert Decimal(str(got)) == want
            else:
                assert type(got) is str and got == want
    assert_no_formula(workbook)

    by_code = {row[0]: row for row in rows[1:]}
    sheet = ScoreSheet.objects.get(campaign=scored_campaign, station=world.station_a)
    sections = [Decimal(s["points"]) for s in column_result(sheet, "final")["sections"]]
    assert [Decimal(str(v)) for v in by_code["AAA-01"][4:8]] == sections
    assert by_code["AAA-01"][8:12] == [92, "优秀", 60000, 0]
    assert by_code["AAA-02"][1] == FORMULA_NAME  # user text stays text
    assert by_code["AAA-02"][8:11] == [85, "良好", 15000]
    number_format = worksheet.cell(row=4, column=9).number_format
    assert number_format == "#,##0.00"


def test_result_table_before_results_says_so(world, evidence_campaign):
    rows = list(CampaignResultTable(campaign=evidence_campaign, actor=world.bureau_a).rows())
    assert [row[9] for row in rows] == ["尚未计算", "尚未计算"]
    assert rows[0][8] is None  # no final score yet: submitted, not assessed


def test_notice_list_is_the_notice_page_in_rank_order(world, scored_campaign):
    workbook = workbook_of(NoticeListTable(campaign=scored_campaign, actor=world.auditor_a).xlsx())
    rows = values(workbook.worksheets[0])

    assert workbook.worksheets[0].title == "结果名单（未公示）"
    assert rows[0] == NoticeListTable.HEADER
    assert [row[:7] for row in rows[1:]] == [
        [1, "AAA-01", "甲县城关零工驿站", "城关镇", 92, "优秀", 60000],
        [2, "AAA-02", FORMULA_NAME, "城关镇", 85, "良好", 15000],
    ]
    explanation = CampaignResult.objects.get(campaign=scored_campaign, station=world.station_a).explanation
    assert rows[1][8] == explanation
    assert_no_formula(workbook)


def test_exports_download_as_xlsx_from_the_admin(client, world, scored_campaign):
    client.force_login(world.auditor_a)
    for name, title in (
        ("results_xlsx", "考核结果"),
        ("notice_xlsx", "结果名单（未公示）"),
        ("construction_xlsx", "建设情况汇总"),
    ):
        response = download_through_job(
            client, reverse(f"admin:assessment_campaign_{name}", args=[scored_campaign.pk])
        )
        assert response.status_code == 200
        assert response["Content-Type"] == XLSX_CONTENT_TYPE
        assert response["Content-Disposition"].startswith(f'attachment; filename="{scored_campaign.code}-')
        assert workbook_of(b"".join(response.streaming_content)).worksheets[0].title == title


def test_result_table_reads_each_sections_points_from_the_result(world, scored_campaign):
    # The result carries the annual points of every section, written when results were computed;
    # the table shows those, without scoring a sheet again.
    result = CampaignResult.objects.get(campaign=scored_campaign, station=world.station_a)
    codes = list(result.section_points)
    result.section_points = {code: f"{index}.25" for index, code in enumerate(codes, start=1)}
    result.save(update_fields=["section_points"])

    rows = {
        row[0]: row for row in CampaignResultTable(campaign=scored_campaign, actor=world.auditor_a).rows()
    }

    assert rows["AAA-01"][4 : 4 + len(codes)] == [Decimal(f"{i}.25") for i in range(1, len(codes) + 1)]
