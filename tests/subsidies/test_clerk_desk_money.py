"""What the clerks who review and pay a claim meet (issue 13): the account in full for those who pay it,
and a record of each look; the duplicate-placement warning before the review; the payee notice's
admin page; the operator's account form; the roster template's text columns."""

import datetime
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.models import AuditEntry
from core.personal_data import EXPORT, VIEW
from subsidies.models import SubsidyClaim
from subsidies.services.claims import claim_create
from tests.factories import make_station
from tests.subsidies.steps import (
    ACCOUNT,
    approved_claim,
    import_roster,
    notice_payees,
    pay,
    published_campaign,
    reviewed_claim,
    submitted_claim,
)

MASKED = f"{ACCOUNT[:4]}****{ACCOUNT[-4:]}"


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def access_records(action: str = VIEW):
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


def assert_number_not_recorded(entry: AuditEntry) -> None:
    """The record says who saw what and why, never the account itself."""
    stored = f"{entry.object_repr} {entry.reason} {entry.changes}"
    assert ACCOUNT not in stored
    assert ACCOUNT[-8:] not in stored


@pytest.fixture
def approved(world, published, fund_a) -> SubsidyClaim:
    """AAA-01's performance claim, approved against county A's fund: the next move is to pay it."""
    return approved_claim(world.station_a, operator=world.operator_a, bureau=world.bureau_a, fund=fund_a)


def claim_page(client, claim) -> str:
    return text_of(client.get(reverse("admin:subsidies_subsidyclaim_change", args=[claim.pk])))


def payout_form(client, claim) -> str:
    return text_of(client.get(reverse("admin:subsidies_subsidyclaim_pay", args=[claim.pk])))


# --- 1. the account in full for those who pay it ------------------------------------------------


def test_bureau_staff_see_the_full_account_on_the_claim_page_and_the_look_is_recorded(
    client, world, approved
):
    client.force_login(world.bureau_a)

    page = claim_page(client, approved)

    assert ACCOUNT in page
    assert "中国工商银行云梦支行" in page and "云梦县某人力资源公司" in page
    [entry] = access_records()
    assert entry.actor == world.bureau_a
    assert entry.object_id == str(approved.pk)
    assert entry.station == world.station_a
    assert entry.changes["用途"] == "支付核对"
    assert entry.changes["人数"] == 1
    assert_number_not_recorded(entry)


def test_an_auditor_reads_the_claim_page_masked_and_nothing_is_recorded(client, world, approved):
    client.force_login(world.auditor_a)

    page = claim_page(client, approved)

    assert MASKED in page
    assert ACCOUNT not in page
    assert access_records() == []


def test_the_payout_form_shows_whoever_pays_the_full_account_and_records_it(client, world, approved):
    client.force_login(world.bureau_a)

    page = payout_form(client, approved)

    assert ACCOUNT in page
    assert "中国工商银行云梦支行" in page
    assert "60,000.00" in page
    [entry] = access_records()
    assert (entry.actor, entry.object_id, entry.changes["用途"]) == (
        world.bureau_a,
        str(approved.pk),
        "支付核对",
    )
    assert_number_not_recorded(entry)


def test_a_superuser_pays_with_the_full_account_too(client, world, approved):
    client.force_login(world.superuser)

    assert ACCOUNT in payout_form(client, approved)
    assert [e.actor for e in access_records()] == [world.superuser]


def test_the_payout_form_is_closed_to_an_auditor_and_to_another_countys_bureau(client, world, approved):
    url = reverse("admin:subsidies_subsidyclaim_pay", args=[approved.pk])
    client.force_login(world.auditor_a)
    assert client.get(url).status_code == 403
    client.force_login(world.bureau_b)
    assert client.get(url).status_code == 404
    assert access_records() == []


def test_paying_still_works_from_the_form_that_shows_the_account(client, world, approved):
    paid_on = timezone.localtime(approved.approved_at) + datetime.timedelta(days=1)

    with time_machine.travel(paid_on, tick=False):
        client.force_login(world.bureau_a)  # a session of that day
        response = client.post(
            reverse("admin:subsidies_subsidyclaim_pay", args=[approved.pk]),
            {"paid_on": paid_on.date().isoformat(), "voucher_number": "记-2024-0901"},
        )

    assert response.status_code == 302, response.context_data["form"].errors
    assert response["Location"] == reverse("admin:subsidies_subsidyclaim_change", args=[approved.pk])
    approved.refresh_from_db()
    assert approved.status == "paid"
    assert approved.payout.account == ACCOUNT


@pytest.fixture
def disbursed(world, fund_a):
    """AAA-01 paid, AAA-02 approved and not yet paid (both county A)."""
    station_2 = make_station(region=world.town_a, code="AAA-02", name="甲县第二零工驿站")
    station_2.operators.add(world.operator_a)
    published_campaign(world, totals={"AAA-01": 92, "AAA-02": 85})
    paid = approved_claim(world.station_a, operator=world.operator_a, bureau=world.bureau_a, fund=fund_a)
    pay(paid, bureau=world.bureau_a, voucher="记-2024-0815")
    approved_claim(station_2, operator=world.operator_a, bureau=world.bureau_a, fund=fund_a)
    return world


def disbursement_page(client) -> str:
    return text_of(client.get(reverse("admin:subsidies_subsidyclaim_disbursement")))


def test_the_disbursement_page_lists_full_accounts_for_who_pays_with_one_record(client, disbursed):
    client.force_login(disbursed.bureau_a)

    page = disbursement_page(client)

    assert page.count(ACCOUNT) == 2
    assert "AAA-01" in page and "AAA-02" in page
    assert "记-2024-0815" in page
    assert "登记拨付" in page  # the approved one is paid from here
    [entry] = access_records()  # one for the page, not one per row
    assert entry.changes["人数"] == 2
    assert entry.changes["站点"] == "AAA-01、AAA-02"
    assert entry.changes["用途"] == "支付核对"
    assert_number_not_recorded(entry)


def test_the_disbursement_page_is_masked_for_an_auditor_without_a_record(client, disbursed):
    client.force_login(disbursed.auditor_a)

    page = disbursement_page(client)

    assert page.count(MASKED) == 2
    assert ACCOUNT not in page
    assert "登记拨付" not in page
    assert access_records() == []


def test_the_disbursement_page_reads_the_same_number_of_rows_whatever_its_length(client, world, fund_a):
    station_2 = make_station(region=world.town_a, code="AAA-02", name="甲县第二零工驿站")
    station_2.operators.add(world.operator_a)
    published_campaign(world, totals={"AAA-01": 92, "AAA-02": 85})
    approved_claim(world.station_a, operator=world.operator_a, bureau=world.bureau_a, fund=fund_a)
    client.force_login(world.bureau_a)
    disbursement_page(client)  # the session and the like, read once
    with CaptureQueriesContext(connection) as one:
        disbursement_page(client)
    approved_claim(station_2, operator=world.operator_a, bureau=world.bureau_a, fund=fund_a)
    with CaptureQueriesContext(connection) as two:
        disbursement_page(client)

    assert len(two) == len(one)


def exported_accounts(client) -> list:
    response = client.get(reverse("admin:subsidies_subsidyclaim_disbursement") + "?format=xlsx")
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(content))["拨付表"]
    header = [cell.value for cell in sheet[1]]
    column = header.index("银行账号")
    return [row[column] for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_the_disbursement_export_holds_full_accounts_for_who_pays_and_is_recorded(client, disbursed):
    client.force_login(disbursed.bureau_a)

    assert exported_accounts(client) == [ACCOUNT, ACCOUNT]
    [entry] = access_records(EXPORT)
    assert (entry.actor, entry.changes["人数"], entry.changes["用途"]) == (disbursed.bureau_a, 2, "支付核对")
    assert_number_not_recorded(entry)


def test_the_disbursement_export_is_masked_for_an_auditor(client, disbursed):
    client.force_login(disbursed.auditor_a)

    assert exported_accounts(client) == [MASKED, MASKED]
    assert access_records(EXPORT) == []


# --- 2. the duplicate-placement warning reaches the reviewer ------------------------------------


@pytest.fixture
def duplicated(world, published):
    """AAA-01's roster (people 1-3) shares people 2 and 3 with AAA-02's roster of the same year."""
    station_2 = make_station(region=world.town_a, code="AAA-02", name="甲县第二零工驿站")
    import_roster(station_2, actor=world.bureau_a, first=2, count=2)
    return submitted_claim(world.station_a, actor=world.operator_a)


def test_the_claim_page_tells_the_reviewer_of_people_placed_by_another_station(client, world, duplicated):
    client.force_login(world.bureau_a)

    page = claim_page(client, duplicated)

    assert "重复推荐提示" in page
    assert "花名册中有 2 人同年也在其他站点的花名册中" in page
    assert "第 3 行 张2：同年也在 AAA-02 的花名册中" in page
    assert reverse("admin:subsidies_placementroster_duplicates", args=[2024]) in page


def test_the_review_form_says_so_before_the_claim_is_passed(client, world, duplicated):
    client.force_login(world.bureau_a)

    page = text_of(client.get(reverse("admin:subsidies_subsidyclaim_review", args=[duplicated.pk])))

    assert "花名册中有 2 人同年也在其他站点的花名册中" in page
    assert "请核实是否重复申报后再审核" in page
    assert reverse("admin:subsidies_placementroster_duplicates", args=[2024]) in page


def test_a_claim_without_duplicates_says_none_were_found(client, world, published):
    claim = submitted_claim(world.station_a, actor=world.operator_a)
    client.force_login(world.bureau_a)

    page = claim_page(client, claim)

    assert "重复推荐提示" not in page
    assert "未发现同年被其他站点推荐的人员" in page


# --- 3. the payee notice's admin page lists its payees ------------------------------------------


def test_the_payee_notices_admin_page_lists_the_claims_the_public_page_lists(client, world, published):
    claim = reviewed_claim(world.station_a, operator=world.operator_a, bureau=world.bureau_a)
    notice = notice_payees([claim], bureau=world.bureau_a)

    public = text_of(client.get(reverse("subsidies_public:payee_notice", args=[notice.pk])))
    client.force_login(world.bureau_a)
    admin_page = text_of(client.get(reverse("admin:subsidies_payeenotice_change", args=[notice.pk])))

    assert world.station_a.name in public and "60,000.00" in public
    listing = admin_page.split("公示名单", 1)[1]
    assert world.station_a.name in listing
    assert "60,000.00 元" in listing


# --- 4. the operator's account form, the roster template ----------------------------------------


@pytest.fixture
def draft(world, published):
    return claim_create(station=world.station_a, kind="performance", year=2024, actor=world.operator_a)


def test_the_account_form_keeps_what_was_typed_when_the_account_is_refused(client, world, draft):
    client.force_login(world.operator_a)

    response = client.post(
        reverse("subsidies:claim_payee", args=[draft.pk]),
        {
            "payee_name": "云梦县某人力资源公司",
            "payee_bank": "中国农业银行云梦支行",
            "payee_account": "6228 48",
        },
    )

    page = text_of(response)
    assert "银行账号应为 8 到 32 位数字" in page
    assert 'value="云梦县某人力资源公司"' in page
    assert 'value="中国农业银行云梦支行"' in page
    assert 'value="6228 48"' in page
    draft.refresh_from_db()
    assert draft.payee_account == ""  # nothing saved


def test_the_account_form_names_a_missing_field_and_keeps_the_others(client, world, draft):
    client.force_login(world.operator_a)

    page = text_of(
        client.post(
            reverse("subsidies:claim_payee", args=[draft.pk]),
            {"payee_name": "云梦县某人力资源公司", "payee_bank": "", "payee_account": ACCOUNT},
        )
    )

    assert "这个字段是必填项" in page
    assert 'value="云梦县某人力资源公司"' in page
    assert f'value="{ACCOUNT}"' in page


def test_the_roster_template_keeps_id_numbers_and_phones_as_text(client, world):
    client.force_login(world.operator_a)

    response = client.get(reverse("subsidies:roster_template"))

    sheet = load_workbook(io.BytesIO(response.content))["花名册"]
    header = [cell.value for cell in sheet[1]]
    id_column = "ABCDEFG"[header.index("身份证号码")]
    phone_column = "ABCDEFG"[header.index("手机号码")]
    assert sheet.column_dimensions[id_column].number_format == "@"
    assert sheet.column_dimensions[phone_column].number_format == "@"
    assert sheet.column_dimensions["A"].number_format == "General"  # names are left alone
