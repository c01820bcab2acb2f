"""Filling many sheets at once from Excel in the admin: the template, a valid file, a file with errors."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from assessment.models import ScoreSheet
from assessment.services.campaigns import campaign_open
from assessment.services.sheet_import import SheetImportError, sheets_import_inputs
from core.models import AuditEntry
from tests.assessment.builders import heshan_perfect_month
from tests.assessment.steps import points_inputs
from tests.factories import make_station

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def two_station_campaign(world, campaign):
    make_station(region=world.town_a, code="AAA-02", kind="doorstep_station", name="甲县城关家门口就业服务站")
    return campaign_open(campaign=campaign, actor=world.bureau_a)


def template(client, campaign) -> bytes:
    response = client.get(reverse("admin:assessment_campaign_import_template", args=[campaign.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    return b"".join(response.streaming_content)  # streamed from a temporary file


def filled(template_bytes: bytes, rows: dict[str, dict[str, object]]) -> bytes:
    """The template with the cells of each station's row set by input name ({code: {name: value}})."""
    book = load_workbook(io.BytesIO(template_bytes))
    sheet = book["数据"]
    header = [cell.value for cell in sheet[1]]
    column_of = {title.rsplit("（", 1)[-1].rstrip("）"): index + 1 for index, title in enumerate(header)}
    for row in sheet.iter_rows(min_row=2):
        for name, value in rows.get(row[0].value, {}).items():
            sheet.cell(row=row[0].row, column=column_of[name], value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def import_through_admin(client, campaign, content: bytes):
    return client.post(
        reverse("admin:assessment_campaign_import", args=[campaign.pk]),
        {"file": SimpleUploadedFile("现场数据.xlsx", content, content_type=XLSX_TYPE)},
        follow=True,
    )


def test_the_template_has_one_row_per_sheet_and_one_column_per_input(client, world, two_station_campaign):
    client.force_login(world.bureau_a)
    book = load_workbook(io.BytesIO(template(client, two_station_campaign)), read_only=True)
    rows = list(book["数据"].iter_rows(values_only=True))
    book.close()
    assert rows[0][:3] == ("站点编码", "期间", "站点名称")
    assert len(rows[0]) == 3 + 14  # the fourteen items of the Yunmeng sheet
    assert "场所与硬件设施得分（item_1_1_points）" in rows[0]
    assert [row[:3] for row in rows[1:]] == [
        ("AAA-01", "2024", "甲县城关零工驿站"),
        ("AAA-02", "2024", "甲县城关家门口就业服务站"),
    ]


def test_a_valid_file_fills_the_on_site_inputs_of_every_row(client, world, two_station_campaign):
    client.force_login(world.bureau_a)
    numbers = {
        "AAA-01": {k: float(v) for k, v in points_inputs(two_station_campaign, kind="gig_station").items()},
        "AAA-02": {
            k: int(Decimal(v))
            for k, v in points_inputs(two_station_campaign, kind="doorstep_station", total=80).items()
        },
    }
    numbers["AAA-01"]["item_1_1_points"] = 7.5  # typed as a decimal in Excel

    response = import_through_admin(
        client, two_station_campaign, filled(template(client, two_station_campaign), numbers)
    )

    assert "已导入 2 张评分表的数据。" in response.content.decode()
    sheets = {
        s.station.code: s
        for s in ScoreSheet.objects.filter(campaign=two_station_campaign).select_related("station")
    }
    assert {code: (s.status, s.onsite_total, s.assessed_by) for code, s in sheets.items()} == {
        "AAA-01": ("assessed", Decimal("99.50"), world.bureau_a),
        "AAA-02": ("assessed", Decimal("80.00"), world.bureau_a),
    }
    assert AuditEntry.objects.filter(action="sheet.import").count() == 2


def test_errors_in_two_rows_are_all_reported_with_row_and_column_and_nothing_is_saved(
    client, world, two_station_campaign
):
    client.force_login(world.bureau_a)
    good = {k: int(Decimal(v)) for k, v in points_inputs(two_station_campaign, kind="gig_station").items()}
    rows = {
        "AAA-01": good | {"item_1_1_points": 9},  # worth 8 at most; column D
        "AAA-02": good | {"item_1_2_points": None},  # left empty; column E
    }

    response = import_through_admin(
        client, two_station_campaign, filled(template(client, two_station_campaign), rows)
    )

    page = response.content.decode()
    assert "共 2 处错误，未导入任何数据。" in page
    assert "第 2 行 D 列" in page
    assert "第 3 行 E 列：缺少该项（人员配置得分）" in page
    assert set(
        ScoreSheet.objects.filter(campaign=two_station_campaign).values_list("status", "onsite_total")
    ) == {("draft", None)}
    assert not AuditEntry.objects.filter(action="sheet.import").exists()


def test_a_locked_sheet_is_not_overwritten_by_an_import(world, two_station_campaign):
    from tests.assessment.steps import assign_assessor, score_onsite

    sheet = ScoreSheet.objects.select_related("campaign__policy", "station").get(station__code="AAA-01")
    assign_assessor(sheet, assessor=world.assessor_a, bureau=world.bureau_a)
    score_onsite(
        sheet,
        assessor=world.assessor_a,
        raw=points_inputs(two_station_campaign, kind="gig_station", total=90),
    )
    from assessment.services.sheets import sheet_lock

    sheet_lock(sheet=sheet, actor=world.bureau_a)
    from assessment.services.sheet_import import import_template

    content = filled(
        import_template(campaign=two_station_campaign),
        {
            "AAA-01": dict.fromkeys(points_inputs(two_station_campaign, kind="gig_station"), 0),
            "AAA-02": dict.fromkeys(points_inputs(two_station_campaign, kind="gig_station"), 5),
        },
    )
    with pytest.raises(SheetImportError) as refused:
        sheets_import_inputs(campaign=two_station_campaign, actor=world.bureau_a, file=io.BytesIO(content))
    assert [str(p) for p in refused.value.problems] == ["第 2 行：评分表已审定锁定，请在后台用“更正”修改"]
    sheet.refresh_from_db()
    assert sheet.onsite_total == Decimal("90.00")
    assert ScoreSheet.objects.get(station__code="AAA-02").status == "draft"


def test_a_monthly_campaign_imports_number_cells_and_true_false_cells(client, heshan_world):
    campaign, bureau, _, _ = heshan_world
    campaign_open(campaign=campaign, actor=bureau)
    client.force_login(bureau)
    # As Excel gives them back: numbers typed with decimals are floats, 是/否 ticked as TRUE/FALSE.
    month = {
        name: value if isinstance(value, bool) else float(value)
        for name, value in heshan_perfect_month().items()
    }
    rows = dict.fromkeys(["HS-01", "HS-02", "HS-03"], month)

    response = import_through_admin(client, campaign, filled(template(client, campaign), rows))

    assert "已导入 36 张评分表的数据。" in response.content.decode()
    assert set(ScoreSheet.objects.filter(campaign=campaign).values_list("status", "onsite_total")) == {
        ("assessed", Decimal("100.00"))
    }
