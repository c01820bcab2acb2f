"""The December construction summary a county (or city) sends up: counts, money paid, placements.

The world, built through the services where money moves: 孝感市 with 云梦县 (county A) and 应城市
(county B). County A's 2024 Yunmeng campaign is published with AAA-01 (92, 优秀, 60,000),
AAA-07 (85, 良好, 50,000) and AAA-08 (75, 合格, 40,000), all gig stations recognised 2023-01-01;
the three claims are approved, AAA-01's and AAA-07's paid, AAA-08's not yet. Then:

云梦县: AAA-01 and AAA-08 gig; AAA-07 gig, revoked after payment;
        AAA-02 gig, 2024-05-10; AAA-03 doorstep, 2024-02-01; AAA-04 gig, 2024-03-01, revoked;
        AAA-05 gig, recognised 2025-02-01 (after the year); AAA-06 gig, not recognised yet.
应城市: BBB-01 gig, 2023-01-01; BBB-02 doorstep, 2024-07-01.

Work log placements: AAA-01 3 (2024-03-01) + 2 (2024-12-31), and 4 on 2023-12-31 and 7 on
2025-01-01 outside the year; AAA-03 1 (2024-01-01); BBB-02 5 (2024-06-01).
"""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from assessment.models import Campaign, Policy
from stations.models import Station, WorkLogDay
from subsidies.construction import ConstructionSummaryTable
from tests.factories import make_station
from tests.jobs_steps import download_through_job
from tests.subsidies.steps import approved_claim, make_fund, pay, published_campaign

D = Decimal
HEADER = [
    "县（市、区）",
    "站点类型",
    "站点数（个）",
    "2024年新认定（个）",
    "累计认定（个）",
    "2024年度已拨付年度绩效补助（元）",
    "花名册登记就业人数（人）",
    "工作日志记录推荐就业人数（人，全年）",
]
FORBIDDEN = ("附件7", "附件", "seeds/", "泉人社规", "云人社", ".py", ".yaml", "yunmeng-2024")


@pytest.fixture
def built(world, media):
    station_b7 = make_station(region=world.town_a, code="AAA-07", kind="gig_station")
    unpaid = make_station(region=world.town_a, code="AAA-08", kind="gig_station")
    for station in (station_b7, unpaid):
        station.operators.add(world.operator_a)
    published_campaign(world, totals={"AAA-01": 92, "AAA-07": 85, "AAA-08": 75})
    fund = make_fund(world.county_a, budget="1000000.00")
    for number, station in enumerate((world.station_a, station_b7), start=1):
        claim = approved_claim(station, operator=world.operator_a, bureau=world.bureau_a, fund=fund)
        pay(claim, bureau=world.bureau_a, voucher=f"记-2024-{number:04d}")
    # Approved, not yet paid: not money paid.
    approved_claim(unpaid, operator=world.operator_a, bureau=world.bureau_a, fund=fund)
    make_station(region=world.town_a, code="AAA-02", recognized_on=datetime.date(2024, 5, 10))
    doorstep = make_station(
        region=world.town_a, code="AAA-03", kind="doorstep_station", recognized_on=datetime.date(2024, 2, 1)
    )
    revoked = make_station(region=world.town_a, code="AAA-04", recognized_on=datetime.date(2024, 3, 1))
    make_station(region=world.town_a, code="AAA-05", recognized_on=datetime.date(2025, 2, 1))
    make_station(region=world.town_a, code="AAA-06", recognized_on=None)
    Station.objects.filter(pk__in=[revoked.pk, station_b7.pk]).update(status=Station.Status.REVOKED)
    town_b = world.station_b.region
    doorstep_b = make_station(
        region=town_b, code="BBB-02", kind="doorstep_station", recognized_on=datetime.date(2024, 7, 1)
    )
    for station, day, placements in (
        (world.station_a, datetime.date(2024, 3, 1), 3),
        (world.station_a, datetime.date(2024, 12, 31), 2),
        (world.station_a, datetime.date(2023, 12, 31), 4),
        (world.station_a, datetime.date(2025, 1, 1), 7),
        (doorstep, datetime.date(2024, 1, 1), 1),
        (doorstep_b, datetime.date(2024, 6, 1), 5),
    ):
        WorkLogDay.objects.create(station=station, day=day, placements=placements, matches=placements + 10)
    return world


def _campaign(region, code="summary-2024"):
    return Campaign.objects.create(
        code=code,
        name=f"{region.name}2024年度零工驿站考核",
        policy=Policy.objects.get(code="yunmeng-2024", version=1),
        region=region,
        year=2024,
        self_evaluation_due=timezone.now() + datetime.timedelta(days=10),
        onsite_due=timezone.localdate() + datetime.timedelta(days=20),
        assessed_on=datetime.date(2024, 12, 31),
    )


def _sheet(data: bytes):
    workbook = load_workbook(io.BytesIO(data))
    return workbook, workbook["建设情况汇总"]


def _rows(worksheet) -> list[list[object]]:
    return [[cell.value for cell in row] for row in worksheet.iter_rows()][3:]  # below the caption


def test_a_city_gets_a_row_per_county_and_kind_then_the_totals(built):
    table = ConstructionSummaryTable(campaign=_campaign(built.city), actor=None)
    _, worksheet = _sheet(table.xlsx())
    rows = _rows(worksheet)

    assert rows[0] == HEADER
    assert rows[1:] == [
        ["云梦县", "零工驿站", 4, 1, 3, D("110000.00"), 9, 5],
        ["云梦县", "家门口就业服务站", 1, 1, 1, D("0.00"), 0, 1],
        ["应城市", "零工驿站", 1, 0, 1, D("0.00"), 0, 0],
        ["应城市", "家门口就业服务站", 1, 1, 1, D("0.00"), 0, 5],
        ["孝感市合计", "零工驿站", 5, 1, 4, D("110000.00"), 9, 5],
        ["孝感市合计", "家门口就业服务站", 2, 2, 2, D("0.00"), 0, 6],
        ["孝感市合计", "全部类型", 7, 3, 6, D("110000.00"), 9, 11],
    ]


def test_counts_and_money_carry_their_excel_formats(built):
    _, worksheet = _sheet(ConstructionSummaryTable(campaign=_campaign(built.city), actor=None).xlsx())
    first = 5  # the header's row: title, period and issuer above it
    assert worksheet.cell(row=first + 1, column=3).number_format == "0"
    assert worksheet.cell(row=first + 1, column=6).number_format == "#,##0.00"
    assert worksheet.cell(row=first + 1, column=7).number_format == "0"
    assert worksheet.cell(row=first + 1, column=8).number_format == "0"
    assert worksheet.cell(row=first + 1, column=6).data_type == "n"  # a number, not text


def test_the_county_campaign_reports_its_own_county_only(built):
    rows = _rows(_sheet(ConstructionSummaryTable(campaign=_campaign(built.county_a), actor=None).xlsx())[1])
    assert [row[:2] for row in rows[1:]] == [
        ["云梦县", "零工驿站"],
        ["云梦县", "家门口就业服务站"],
        ["云梦县合计", "零工驿站"],
        ["云梦县合计", "家门口就业服务站"],
        ["云梦县合计", "全部类型"],
    ]
    assert rows[-1][2:] == [5, 2, 4, D("110000.00"), 9, 6]


def test_a_reader_counts_only_the_stations_in_reach(built):
    # County A's auditor reading the city's figures: 应城市's stations are out of reach.
    rows = _rows(
        _sheet(ConstructionSummaryTable(campaign=_campaign(built.city), actor=built.auditor_a).xlsx())[1]
    )
    by_row = {(row[0], row[1]): row[2:] for row in rows[1:]}
    assert (
        by_row[("应城市", "零工驿站")] == by_row[("应城市", "家门口就业服务站")] == [0, 0, 0, D("0.00"), 0, 0]
    )
    assert by_row[("孝感市合计", "全部类型")] == [5, 2, 4, D("110000.00"), 9, 6]


def test_a_policy_with_a_one_time_subsidy_shows_it_and_the_total_column(quanzhou_world):
    campaign, _ = quanzhou_world
    header = _rows(_sheet(ConstructionSummaryTable(campaign=campaign, actor=None).xlsx())[1])[0]
    assert header[5:] == [
        "2024年度已拨付年度绩效补助（元）",
        "2024年度已拨付一次性运营补助（元）",
        "2024年度已拨付补助合计（元）",
        "花名册登记就业人数（人）",
        "工作日志记录推荐就业人数（人，全年）",
    ]


@pytest.fixture
def quanzhou_world(db):
    from stations.models import Region
    from tests.factories import make_region

    city = Region.objects.get(code="350500")
    district = make_region("350503", "丰泽区", Region.Level.COUNTY, city)
    make_station(region=district, code="QZ-01", kind="gig_market", recognized_on=datetime.date(2024, 3, 1))
    campaign = Campaign.objects.create(
        code="qz-2024",
        name="丰泽区2024年度零工市场（驿站）考核",
        policy=Policy.objects.filter(code="quanzhou-2023").order_by("-version").first(),
        region=district,
        year=2024,
        self_evaluation_due=timezone.now() + datetime.timedelta(days=10),
        onsite_due=timezone.localdate() + datetime.timedelta(days=20),
        assessed_on=datetime.date(2024, 11, 30),
    )
    return campaign, district


def test_the_workbook_reads_as_the_bureaus_document_with_nothing_internal(built):
    campaign = _campaign(built.city, code="xiaogan-summary-2024")
    workbook, worksheet = _sheet(ConstructionSummaryTable(campaign=campaign, actor=None).xlsx())
    title, period, issuer = (row[0].value for row in worksheet.iter_rows(max_row=3))
    assert title == "孝感市2024年度零工驿站、家门口就业服务站建设情况汇总表"
    assert period.startswith("统计年度：2024年")
    assert issuer.startswith(
        "填报单位：孝感市人力资源和社会保障局（盖章）　　报送：湖北省人力资源和社会保障厅"
    )
    text = "\n".join(
        str(cell.value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value
    )
    for forbidden in (*FORBIDDEN, campaign.code):
        assert forbidden not in text, forbidden
    assert not re.search(r"〔\d{4}〕\d+号", text)  # no document numbers
    notes = {row[0].value: row[1].value for row in workbook["统计口径"].iter_rows(min_row=2)}
    assert "已撤销资格的站点不计" in notes["站点数（个）"]
    assert "2024 年 1 月 1 日至 12 月 31 日" in notes["工作日志记录推荐就业人数（人，全年）"]
    assert all(
        cell.data_type != "f" for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
    )


def test_the_city_downloads_it_from_the_campaign_page_through_a_job(client, built, city_auditor):
    campaign = _campaign(built.city)
    url = reverse("admin:assessment_campaign_construction_xlsx", args=[campaign.pk])
    client.force_login(built.auditor_a)
    assert client.get(url).status_code == 404  # county A does not reach the city's campaign
    client.force_login(city_auditor)
    response = download_through_job(client, url)
    assert response.status_code == 200
    _, worksheet = _sheet(b"".join(response.streaming_content))
    assert _rows(worksheet)[-1] == ["孝感市合计", "全部类型", 7, 3, 6, D("110000.00"), 9, 11]


# --- browser-walk fixes: the rosters beside the log, notes for the columns present ----------------


def _roster_rows(station, year: int, count: int) -> None:
    from subsidies.models import Placement, PlacementRoster

    roster = PlacementRoster.objects.create(station=station, year=year, source_name="r.xlsx", row_count=count)
    for row in range(count):
        Placement.objects.create(
            roster=roster,
            row_number=row + 2,
            name=f"某{row}",
            id_number="11010519491231002X",
            phone="13800138000",
            employer="某公司",
            job="普工",
            start_date=datetime.date(year, 3, 1),
            wage=D("3000"),
            year=year,
            station=station,
        )


def test_the_roster_column_counts_the_people_behind_the_years_handed_in_claims(built):
    from subsidies.models import SubsidyClaim

    # AAA-01 (paid), AAA-07 (paid, revoked since) and AAA-08 (approved) have 3 people each on
    # their 2024 rosters. AAA-08's claim sent back for correction: its roster may change, so it
    # does not count; AAA-01's 2025 roster is another year's.
    SubsidyClaim.objects.filter(station__code="AAA-08").update(status=SubsidyClaim.Status.RETURNED)
    _roster_rows(built.station_a, 2025, 2)
    # BBB-01 has a 2024 roster but no claim at all: not counted either.
    _roster_rows(built.station_b, 2024, 4)

    rows = _rows(_sheet(ConstructionSummaryTable(campaign=_campaign(built.city), actor=None).xlsx())[1])

    by_row = {(row[0], row[1]): row[-2:] for row in rows[1:]}  # [花名册, 工作日志]
    assert by_row[("云梦县", "零工驿站")] == [6, 5]  # 3 + 3 on the rosters; the log's 3 + 2
    assert by_row[("应城市", "零工驿站")] == [0, 0]
    assert by_row[("孝感市合计", "全部类型")] == [6, 11]


def test_the_notes_explain_each_column_present_and_say_plainly_which_stations_count(built):
    workbook, _ = _sheet(ConstructionSummaryTable(campaign=_campaign(built.city), actor=None).xlsx())
    notes = {row[0].value: row[1].value for row in workbook["统计口径"].iter_rows(min_row=2)}
    assert list(notes)[2:] == HEADER[2:]  # one line per column, in the sheet's order
    assert "（或尚未认定）" not in notes["站点数（个）"]
    assert notes["站点数（个）"] == (
        "导出时资格未被撤销的站点，包括认定日期在 2024 年 12 月 31 日及以前的站点，和已登记但还没有认定日期的站点；"
        "认定日期在 2025 年 1 月 1 日及以后的、已撤销资格的站点不计。"
    )
    assert "绩效补助申报已提交" in notes["花名册登记就业人数（人）"]


def test_a_policy_paying_nothing_has_no_money_column_nor_a_note_about_money(db):
    from stations.models import Region
    from tests.factories import make_region

    city = Region.objects.get(code="350500")
    county = make_region("350599", "某区", Region.Level.COUNTY, city)
    campaign = Campaign.objects.create(
        code="hz-like-2024",
        name="某区2024年度就业服务站星级评定",
        policy=Policy.objects.filter(code="huizhou-2024").order_by("-version").first(),
        region=county,
        year=2024,
        self_evaluation_due=timezone.now() + datetime.timedelta(days=10),
        onsite_due=timezone.localdate() + datetime.timedelta(days=20),
        assessed_on=datetime.date(2024, 11, 30),
    )
    workbook, worksheet = _sheet(ConstructionSummaryTable(campaign=campaign, actor=None).xlsx())
    header = _rows(worksheet)[0]
    notes = [row[0].value for row in workbook["统计口径"].iter_rows(min_row=2)]
    assert not any("拨付" in name for name in (*header, *notes))
    assert notes[2:] == header[2:]
