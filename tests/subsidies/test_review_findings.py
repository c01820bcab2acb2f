"""What the second review found in the money trail, held in place: each test failed before its fix."""

import datetime
import io

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.permissions import Forbidden
from subsidies.models import Payout, SubsidyClaim
from subsidies.services.claims import claim_reject
from subsidies.services.payouts import claim_approve
from subsidies.services.rosters import RosterRefused, roster_import
from tests.subsidies.rosters import id_number
from tests.subsidies.steps import after_notice, make_fund, notice_payees, reviewed_claim


@pytest.fixture
def noticed_claim(world, published):
    claim = reviewed_claim(world.station_a, operator=world.operator_a, bureau=world.bureau_a)
    notice = notice_payees([claim], bureau=world.bureau_a)
    claim.refresh_from_db()
    return claim, notice


def test_a_county_clerk_cannot_approve_against_a_fund_above_their_reach(client, world, noticed_claim):
    claim, notice = noticed_claim
    province_fund = make_fund(world.province, budget="1000000.00", code="province-2024")
    own_fund = make_fund(world.county_a, budget="1000000.00", code="county-2024")
    with after_notice(notice), pytest.raises(Forbidden, match="不在您的管理范围内"):
        claim_approve(claim=claim, actor=world.bureau_a, fund=province_fund)
    claim.refresh_from_db()
    assert claim.status == "noticed"
    # The admin's approval page offers only the clerk's own funds.
    client.force_login(world.bureau_a)
    page = client.get(reverse("admin:subsidies_subsidyclaim_approve", args=[claim.pk])).content.decode()
    assert f'value="{own_fund.pk}"' in page
    assert f'value="{province_fund.pk}"' not in page


def test_a_funds_place_and_year_are_fixed_once_money_is_approved_on_it(client, world, noticed_claim):
    claim, notice = noticed_claim
    fund = make_fund(world.county_a, budget="1000000.00")
    with after_notice(notice):
        claim_approve(claim=claim, actor=world.bureau_a, fund=fund)
    client.force_login(world.bureau_a)
    url = reverse("admin:subsidies_fund_change", args=[fund.pk])
    client.post(
        url,
        {
            "region": world.town_a.pk,
            "year": 2030,
            "code": "moved",
            "name": "改名",
            "budget": "1000000.00",
            "change_reason": "名称规范",
        },
    )
    fund.refresh_from_db()
    assert (fund.region, fund.year, fund.code) == (world.county_a, 2024, "jiuye-2024")
    assert fund.name == "改名"  # the name is only a label


def test_a_claim_refused_during_its_payee_notice_leaves_the_public_list(client, world, noticed_claim):
    claim, notice = noticed_claim
    url = reverse("subsidies_public:payee_notice", args=[notice.pk])
    assert world.station_a.name in client.get(url).content.decode()
    claim_reject(claim=claim, actor=world.bureau_a, note="公示期间接到举报并核实")
    assert world.station_a.name not in client.get(url).content.decode()


def test_a_failed_payout_leaves_the_page_ready_to_try_again(client, world, noticed_claim):
    claim, notice = noticed_claim
    fund = make_fund(world.county_a, budget="1000000.00")
    with after_notice(notice):
        claim_approve(claim=claim, actor=world.bureau_a, fund=fund)
    # A voucher number already used by another payout (written directly: the setup, not the test).
    other = SubsidyClaim.objects.create(
        station=world.station_a,
        kind="start_up",
        year=2024,
        entitlement=claim.entitlement,
        policy=claim.policy,
        amount=1,
        approved_amount=1,
        explanation="x",
        created_by=world.bureau_a,
        status="paid",
    )
    Payout.objects.create(
        claim=other,
        paid_on=datetime.date(2024, 5, 1),
        amount=1,
        account="1",
        voucher_number="V-1",
        recorded_by=world.bureau_a,
    )
    pay_url = reverse("admin:subsidies_subsidyclaim_pay", args=[claim.pk])
    client.force_login(world.bureau_a)
    claim.refresh_from_db()
    with time_machine.travel(claim.approved_at + datetime.timedelta(days=1), tick=False):
        page = client.post(pay_url, {"paid_on": timezone.localdate().isoformat(), "voucher_number": "V-1"})
    page = page.content.decode()
    assert "凭证号 V-1 已被使用" in page
    assert "当前状态下不能办理此事项" not in page
    claim.refresh_from_db()
    assert claim.status == "approved"


def test_a_phone_typed_with_spaces_is_masked_in_a_refusal(world):
    from core.xlsx import XlsxSheet, write_xlsx

    # No header row: the reader quotes the first row's cells in its message.
    row = ["张三", id_number(1), "138 1234 5679", "某公司", "普工", "2024-03-01", "3000"]
    content = write_xlsx([XlsxSheet(title="花名册", header=row, rows=[])])
    with pytest.raises(RosterRefused) as refused:
        roster_import(
            station=world.station_a, year=2024, file=io.BytesIO(content), source_name="r.xlsx", actor=None
        )
    text = " ".join(str(p) for p in refused.value.problems)
    assert "138 1234 5679" not in text
    assert "5679" in text  # enough left to recognise the cell
