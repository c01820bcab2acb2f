"""Review → payee notice → approval against a budget → payout: every yuan traceable to a voucher."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessment.models import Entitlement
from core.permissions import Forbidden
from core.workflow import InvalidTransition
from stations.models import Station
from stations.services import station_status_change
from subsidies.models import PayeeNotice, Payout, SubsidyClaim
from subsidies.services.claims import claim_review, claim_submit
from subsidies.services.payee_notice import payee_notice_publish
from subsidies.services.payouts import claim_approve, claim_pay, fund_remaining
from tests.factories import make_station
from tests.subsidies.steps import (
    ACCOUNT,
    after_notice,
    approved_claim,
    make_fund,
    notice_payees,
    pay,
    published_campaign,
    reviewed_claim,
    submitted_claim,
)

S = SubsidyClaim.Status


def message_of(call, exception=ValidationError) -> str:
    with pytest.raises(exception) as refused:
        call()
    error = refused.value
    return error.messages[0] if isinstance(error, ValidationError) else str(error)


@pytest.fixture
def two_published(world):
    """AAA-01 and AAA-02 of county A both excellent (60,000 each) in the published campaign."""
    second = make_station(region=world.town_a, code="AAA-02", name="甲县第二零工驿站")
    second.operators.add(world.operator_a)
    published_campaign(world, totals={"AAA-01": 92, "AAA-02": 95})
    return world.station_a, second


# --- review ----------------------------------------------------------------------------------------


def test_bureau_passes_a_submitted_claim_on_to_the_payee_notice(world, published):
    claim = submitted_claim(world.station_a, actor=world.operator_a)

    claim_review(claim=claim, actor=world.bureau_a, decision="pass", note="")

    claim.refresh_from_db()
    assert claim.status == S.REVIEWED


def test_a_returned_claim_can_be_corrected_and_submitted_again(world, published):
    claim = submitted_claim(world.station_a, actor=world.operator_a)

    assert message_of(
        lambda: claim_review(claim=claim, actor=world.bureau_a, decision="return", note=" ")
    ) == ("退回或不予补助时，请写明原因。")
    claim_review(claim=claim, actor=world.bureau_a, decision="return", note="花名册缺少 3 月的人员")
    claim.refresh_from_db()
    assert (claim.status, claim.review_note) == (S.RETURNED, "花名册缺少 3 月的人员")

    claim_submit(claim=claim, actor=world.operator_a)
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED


@pytest.mark.parametrize("who", ["auditor_a", "operator_a", "bureau_b"])
def test_only_the_stations_bureau_reviews(world, published, who):
    claim = submitted_claim(world.station_a, actor=world.operator_a)

    with pytest.raises(Forbidden):
        claim_review(claim=claim, actor=getattr(world, who), decision="pass", note="")

    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED


# --- the payee notice ---------------------------------------------------------------------------


def test_the_payee_notice_puts_every_reviewed_claim_on_notice(world, two_published):
    claims = [
        reviewed_claim(s, operator=world.operator_a, bureau=world.bureau_a, roster_first=n * 10)
        for n, s in enumerate(two_published)
    ]

    notice = notice_payees(claims, bureau=world.bureau_a)

    assert sorted(notice.claims.values_list("station__code", "status")) == [
        ("AAA-01", S.NOTICED),
        ("AAA-02", S.NOTICED),
    ]
    assert notice.published_by == world.bureau_a


def test_a_notice_with_an_unreviewed_claim_publishes_nothing(world, two_published):
    reviewed = reviewed_claim(two_published[0], operator=world.operator_a, bureau=world.bureau_a)
    submitted = submitted_claim(two_published[1], actor=world.operator_a, roster_first=20)

    with pytest.raises(InvalidTransition):
        notice_payees([reviewed, submitted], bureau=world.bureau_a)

    assert not PayeeNotice.objects.exists()
    reviewed.refresh_from_db()
    assert reviewed.status == S.REVIEWED


def test_a_notice_that_has_already_ended_is_refused(world, published):
    claim = reviewed_claim(world.station_a, operator=world.operator_a, bureau=world.bureau_a)
    now = timezone.now()

    message = message_of(
        lambda: payee_notice_publish(
            region=world.county_a,
            year=2024,
            title="公示",
            starts_at=now - datetime.timedelta(days=8),
            ends_at=now - datetime.timedelta(days=1),
            claims=[claim],
            actor=world.bureau_a,
        )
    )

    assert message == "公示结束时间必须晚于开始时间和当前时间。"


def test_a_notice_lists_the_claims_of_its_own_year_only(world, published):
    claim = reviewed_claim(world.station_a, operator=world.operator_a, bureau=world.bureau_a)
    now = timezone.now()

    message = message_of(
        lambda: payee_notice_publish(
            region=world.county_a,
            year=2025,
            title="2025年度公示",
            starts_at=now,
            ends_at=now + datetime.timedelta(days=5),
            claims=[claim],
            actor=world.bureau_a,
        )
    )

    assert message == f"{claim} 不是 2025 年度的申报。"
    assert not PayeeNotice.objects.exists()


def test_a_clerk_cannot_publish_a_notice_for_a_region_above_their_own(world, published):
    claim = reviewed_claim(world.station_a, operator=world.operator_a, bureau=world.bureau_a)
    now = timezone.now()

    with pytest.raises(Forbidden):
        payee_notice_publish(
            region=world.province,
            year=2024,
            title="湖北省公示",
            starts_at=now,
            ends_at=now + datetime.timedelta(days=5),
            claims=[claim],
            actor=world.bureau_a,
        )
    assert not PayeeNotice.objects.exists()


# --- approval -------------------------------------------------------------------------------------


@pytest.fixture
def noticed(world, published):
    claim = reviewed_claim(world.station_a, operator=world.operator_a, bureau=world.bureau_a)
    notice = notice_payees([claim], bureau=world.bureau_a)
    claim.refresh_from_db()
    return claim, notice


def test_approval_waits_for_the_end_of_the_payee_notice(world, noticed, fund_a):
    claim, notice = noticed

    with time_machine.travel(notice.ends_at - datetime.timedelta(seconds=1), tick=False):
        message = message_of(lambda: claim_approve(claim=claim, actor=world.bureau_a, fund=fund_a))
    ends = timezone.localtime(notice.ends_at).strftime("%Y-%m-%d %H:%M")
    assert message == f"补助对象公示期至 {ends} 结束，期满后才能批准。"
    claim.refresh_from_db()
    assert claim.status == S.NOTICED

    with after_notice(notice):
        claim_approve(claim=claim, actor=world.bureau_a, fund=fund_a)
        approved_at = timezone.now()
    claim.refresh_from_db()
    assert (claim.status, claim.approved_amount, claim.fund, claim.approved_by, claim.approved_at) == (
        S.APPROVED,
        Decimal("60000.00"),
        fund_a,
        world.bureau_a,
        approved_at,
    )


def test_the_noticed_amount_is_locked_approved_and_paid_as_the_public_saw_it(world, noticed, fund_a):
    claim, notice = noticed
    entitlement = Entitlement.objects.get(pk=claim.entitlement_id)
    assert (entitlement.amount, entitlement.status) == (Decimal("60000.00"), "committed")

    # A row changed behind the services' back (they refuse to change a committed entitlement):
    # the public saw 60,000, so approval stops with both figures.
    Entitlement.objects.filter(pk=entitlement.pk).update(amount=Decimal("50000.00"))
    with after_notice(notice), pytest.raises(ValidationError, match=r"60,000\.00 元变为 50,000\.00 元"):
        claim_approve(claim=claim, actor=world.bureau_a, fund=fund_a)
    claim.refresh_from_db()
    assert (claim.status, claim.approved_amount) == ("noticed", None)

    Entitlement.objects.filter(pk=entitlement.pk).update(amount=Decimal("60000.00"))
    with after_notice(notice):
        claim_approve(claim=claim, actor=world.bureau_a, fund=fund_a)
    payout = pay(claim, bureau=world.bureau_a)
    claim.refresh_from_db()
    entitlement.refresh_from_db()
    assert (claim.approved_amount, payout.amount) == (Decimal("60000.00"), Decimal("60000.00"))
    assert entitlement.status == "paid"
    assert fund_remaining(fund_a) == Decimal("940000.00")


def test_an_approval_beyond_the_funds_remainder_is_refused_with_the_figures(world, two_published):
    fund = make_fund(world.county_a, budget="100000.00")
    first, second = (
        reviewed_claim(s, operator=world.operator_a, bureau=world.bureau_a, roster_first=n * 10)
        for n, s in enumerate(two_published)
    )
    notice = notice_payees([first, second], bureau=world.bureau_a)
    first.refresh_from_db()
    second.refresh_from_db()

    with after_notice(notice):
        claim_approve(claim=first, actor=world.bureau_a, fund=fund)
        message = message_of(lambda: claim_approve(claim=second, actor=world.bureau_a, fund=fund))

    assert message == (
        "预算不足：资金“2024 就业补助资金”预算 100,000.00 元，已批准 60,000.00 元，"
        "剩余 40,000.00 元，本笔 60,000.00 元。"
    )
    second.refresh_from_db()
    assert (second.status, second.approved_amount, second.fund) == (S.NOTICED, None, None)
    assert fund_remaining(fund) == Decimal("40000.00")


def test_an_approval_that_exactly_uses_up_the_budget_passes(world, noticed):
    claim, notice = noticed
    fund = make_fund(world.county_a, budget="60000.00")

    with after_notice(notice):
        claim_approve(claim=claim, actor=world.bureau_a, fund=fund)

    assert fund_remaining(fund) == Decimal("0.00")


@pytest.mark.parametrize(("region", "year"), [("county_b", 2024), ("county_a", 2023)])
def test_a_fund_of_another_region_or_year_is_refused(world, noticed, region, year):
    claim, notice = noticed
    fund = make_fund(getattr(world, region), budget="1000000.00", year=year)

    with after_notice(notice):
        message = message_of(lambda: claim_approve(claim=claim, actor=world.bureau_a, fund=fund))

    assert "不是本站所在区域 2024 年度的资金" in message


def test_a_station_revoked_during_the_notice_is_not_approved(world, noticed, fund_a):
    claim, notice = noticed
    station_status_change(station=world.station_a, to="revoked", actor=world.bureau_a, reason="弄虚作假")
    claim.station = Station.objects.get(pk=world.station_a.pk)

    with after_notice(notice):
        message = message_of(lambda: claim_approve(claim=claim, actor=world.bureau_a, fund=fund_a))

    assert "资格已撤销" in message
    assert fund_remaining(fund_a) == Decimal("1000000.00")


@pytest.mark.parametrize("who", ["auditor_a", "operator_a", "bureau_b"])
def test_only_the_stations_bureau_approves(world, noticed, fund_a, who):
    claim, notice = noticed
    with after_notice(notice), pytest.raises(Forbidden):
        claim_approve(claim=claim, actor=getattr(world, who), fund=fund_a)


# --- payout ---------------------------------------------------------------------------------------


@pytest.fixture
def approved(world, published, fund_a):
    return approved_claim(world.station_a, operator=world.operator_a, bureau=world.bureau_a, fund=fund_a)


def test_the_payout_records_the_approved_amount_to_the_claims_account_with_its_voucher(world, approved):
    payout = pay(approved, bureau=world.bureau_a, voucher="记-2024-0815")

    approved.refresh_from_db()
    assert approved.status == S.PAID
    assert (payout.amount, payout.account, payout.voucher_number, payout.recorded_by) == (
        Decimal("60000.00"),
        ACCOUNT,
        "记-2024-0815",
        world.bureau_a,
    )
    assert payout.paid_on == timezone.localdate(approved.approved_at) + datetime.timedelta(days=1)


def test_a_claim_is_paid_once(world, approved):
    pay(approved, bureau=world.bureau_a, voucher="记-2024-0001")

    with pytest.raises(InvalidTransition):
        pay(approved, bureau=world.bureau_a, voucher="记-2024-0002")

    assert list(Payout.objects.values_list("voucher_number", flat=True)) == ["记-2024-0001"]


def test_a_voucher_number_is_used_once(world, two_published, fund_a):
    first, second = (
        approved_claim(s, operator=world.operator_a, bureau=world.bureau_a, fund=fund_a, roster_first=n * 10)
        for n, s in enumerate(two_published)
    )
    pay(first, bureau=world.bureau_a, voucher="记-2024-0001")

    message = message_of(lambda: pay(second, bureau=world.bureau_a, voucher="记-2024-0001"))

    assert message == "凭证号 记-2024-0001 已被使用，请核对。"
    second.refresh_from_db()
    assert second.status == S.APPROVED
    assert Payout.objects.count() == 1


def test_a_payout_dated_in_the_future_is_refused(world, approved):
    approved.refresh_from_db()
    with time_machine.travel(approved.approved_at + datetime.timedelta(days=1), tick=False):
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        message = message_of(
            lambda: claim_pay(claim=approved, actor=world.bureau_a, paid_on=tomorrow, voucher_number="记-1")
        )
    assert message == "拨付日期不能晚于今天。"
    assert not Payout.objects.exists()


def test_a_payout_dated_before_the_approval_is_refused(world, approved):
    approved.refresh_from_db()
    approved_on = timezone.localdate(approved.approved_at)

    message = message_of(
        lambda: pay(approved, bureau=world.bureau_a, paid_on=approved_on - datetime.timedelta(days=1))
    )

    assert "早于批准日期" in message
    assert not Payout.objects.exists()


def test_a_payout_needs_a_voucher_number(world, approved):
    assert message_of(lambda: pay(approved, bureau=world.bureau_a, voucher="  ")) == "请填写凭证号。"


@pytest.mark.parametrize("who", ["auditor_a", "bureau_b"])
def test_only_the_stations_bureau_records_a_payout(world, approved, who):
    with pytest.raises(Forbidden):
        pay(approved, bureau=getattr(world, who))
    assert not Payout.objects.exists()
