"""The entitlement ledger: what the notice shows is what the claim carries and what is paid.

Quanzhou's one-time subsidy is the case that used to disagree: a station recognised during a
purchase-of-services contract that had ended by the assessment day was shown the one-time amount
on the public notice (decided on the assessment day) and then refused it when it claimed (checked
on the recognition day). Now the campaign's decision writes one entitlement and both read it; a
correction that would change it once the public has seen it on a payee notice is refused until
the claim is reopened by a recorded move.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assessment.models import Campaign, CampaignResult, Entitlement, Policy, ScoreSheet
from assessment.services.campaigns import campaign_open
from assessment.services.entitlements import EntitlementLocked
from assessment.services.sheets import sheet_correct
from core.models import AuditEntry
from core.workflow import InvalidTransition
from stations.models import Station, User
from subsidies.services.claims import ClaimRefused, claim_create, claim_reopen, claim_review
from subsidies.services.payouts import claim_approve
from tests.assessment.steps import lock_sheets, points_inputs, start_notice
from tests.factories import make_user
from tests.subsidies.steps import (
    after_notice,
    make_fund,
    notice_payees,
    pay,
    quanzhou_station,
    reviewed_claim,
)

ONE_TIME_GIG_STATION = Decimal("30000.00")


@pytest.fixture
def recognised_during_a_contract(quanzhou):
    """A gig station first recognised on 2023-03-01, inside a purchase contract that ended 2023-06-30."""
    return quanzhou_station(
        quanzhou,
        code="QZ-GS-09",
        recognized_on=datetime.date(2023, 3, 1),
        operating_mode="purchased",
        purchase_contract_start=datetime.date(2023, 1, 1),
        purchase_contract_end=datetime.date(2023, 6, 30),
    )


def noticed_quanzhou_campaign(quanzhou, station: Station, *, total: int = 92) -> Campaign:
    """Quanzhou's 2023 campaign of the district (assessed 30 November), on public notice."""
    district, bureau, _ = quanzhou
    now = timezone.now()
    campaign = Campaign.objects.create(
        code="fengze-2023",
        name="2023年度丰泽区零工驿站考核",
        policy=Policy.objects.get(code="quanzhou-2023", version=1),
        region=district,
        year=2023,
        self_evaluation_due=now + datetime.timedelta(days=10),
        onsite_due=timezone.localdate() + datetime.timedelta(days=20),
        assessed_on=datetime.date(2023, 11, 30),
    )
    campaign_open(campaign=campaign, actor=bureau)
    assessor = make_user("assessor_qz", role=User.Role.ASSESSOR, region=district)
    lock_sheets(campaign, totals={station.code: total}, assessor=assessor, bureau=bureau)
    return start_notice(campaign, bureau=bureau)


def approved_one_time_claim(quanzhou, station: Station):
    """The station's one-time claim through the campaign, review, payee notice and approval."""
    district, bureau, operator = quanzhou
    noticed_quanzhou_campaign(quanzhou, station)
    fund = make_fund(district, budget="100000.00", year=2023)
    claim = reviewed_claim(station, operator=operator, bureau=bureau, kind="one_time", year=2023)
    notice = notice_payees([claim], bureau=bureau)
    with after_notice(notice):
        claim.refresh_from_db()
        claim_approve(claim=claim, actor=bureau, fund=fund)
    return claim, fund


def test_the_one_time_amount_on_the_public_notice_is_the_one_claimed(
    client, quanzhou, recognised_during_a_contract
):
    station = recognised_during_a_contract
    _, _, operator = quanzhou
    campaign = noticed_quanzhou_campaign(quanzhou, station)

    notice_page = client.get(reverse("notice:detail", args=[campaign.code])).content.decode()
    claim = claim_create(station=station, kind="one_time", year=2023, actor=operator)

    result = CampaignResult.objects.get(campaign=campaign, station=station)
    assert "30,000.00" in notice_page
    assert result.one_time_subsidy == ONE_TIME_GIG_STATION
    assert claim.amount == ONE_TIME_GIG_STATION
    assert claim.entitlement == result.one_time_entitlement
    assert Entitlement.objects.filter(station=station, kind="one_time").count() == 1


def test_a_correction_cannot_change_an_amount_on_the_payee_notice_until_the_claim_is_reopened(
    quanzhou, recognised_during_a_contract
):
    station = recognised_during_a_contract
    _, bureau, operator = quanzhou
    campaign = noticed_quanzhou_campaign(quanzhou, station)
    claim = reviewed_claim(station, operator=operator, bureau=bureau, kind="one_time", year=2023)
    notice_payees([claim], bureau=bureau)
    # The contract turns out to run to the end of the year: the assessment day falls inside it.
    Station.objects.filter(pk=station.pk).update(purchase_contract_end=datetime.date(2023, 12, 31))
    sheet = ScoreSheet.objects.get(campaign=campaign, station=station)
    corrected = points_inputs(campaign, kind=station.kind, total=91)

    with pytest.raises(EntitlementLocked) as refused:
        sheet_correct(sheet=sheet, actor=bureau, final_inputs=corrected, reason="复核扣分")

    assert "QZ-GS-09 一次性运营补助 30000.00 元 → 0.00 元" in refused.value.messages[0]
    assert "撤回重审" in refused.value.messages[0]
    sheet.refresh_from_db()
    assert sheet.final_total == Decimal("92.00")  # the correction was not saved
    entitlement = Entitlement.objects.get(station=station, kind="one_time")
    assert (entitlement.amount, entitlement.status) == (ONE_TIME_GIG_STATION, "committed")

    claim.refresh_from_db()
    claim_reopen(claim=claim, actor=bureau, reason="购买服务合同期更正，考核结果须更正")
    sheet_correct(sheet=sheet, actor=bureau, final_inputs=corrected, reason="复核扣分")

    entitlement.refresh_from_db()
    claim.refresh_from_db()
    assert (entitlement.amount, entitlement.status) == (Decimal("0.00"), "open")
    assert (claim.status, claim.notice) == ("submitted", None)
    assert AuditEntry.objects.filter(action="claim.reopen", object_id=str(claim.pk)).exists()
    correction = AuditEntry.objects.get(action="entitlement.correct", object_id=str(entitlement.pk))
    assert correction.changes == {"amount": ["30000.00", "0.00"]}
    with pytest.raises(ClaimRefused, match="更正后本站没有一次性运营补助"):
        claim_review(claim=claim, actor=bureau, decision="pass", note="")


def test_reopening_an_approved_claim_gives_its_budget_back(quanzhou, recognised_during_a_contract):
    station = recognised_during_a_contract
    _, bureau, _ = quanzhou
    claim, fund = approved_one_time_claim(quanzhou, station)

    claim_reopen(claim=claim, actor=bureau, reason="收到举报，重新审核")

    claim.refresh_from_db()
    assert (claim.status, claim.approved_amount, claim.fund) == ("submitted", None, None)
    assert not fund.claims.filter(status__in=["approved", "paid"]).exists()


def test_a_paid_claim_is_never_reopened_and_its_entitlement_is_paid(quanzhou, recognised_during_a_contract):
    station = recognised_during_a_contract
    _, bureau, _ = quanzhou
    claim, _ = approved_one_time_claim(quanzhou, station)
    payout = pay(claim, bureau=bureau)

    with pytest.raises(InvalidTransition):
        claim_reopen(claim=claim, actor=bureau, reason="想改金额")

    assert payout.amount == ONE_TIME_GIG_STATION
    assert Entitlement.objects.get(station=station, kind="one_time").status == "paid"


def test_reopening_needs_a_reason(quanzhou, recognised_during_a_contract):
    station = recognised_during_a_contract
    _, bureau, operator = quanzhou
    noticed_quanzhou_campaign(quanzhou, station)
    claim = reviewed_claim(station, operator=operator, bureau=bureau, kind="one_time", year=2023)
    notice_payees([claim], bureau=bureau)

    with pytest.raises(ValidationError, match="须写明原因"):
        claim_reopen(claim=claim, actor=bureau, reason="  ")
