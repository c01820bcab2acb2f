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
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assessment.engine.decision import DecisionUnit, decide_campaign
from assessment.models import Campaign, Entitlement, Policy, ScoreSheet
from assessment.scoring import compiled_policy
from assessment.services.campaigns import campaign_open, campaign_publish
from assessment.services.entitlements import EntitlementLocked, entitlements_record_campaign
from assessment.services.sheets import sheet_correct
from core.workflow import InvalidTransition
from stations.models import Station, User
from subsidies.services.claims import claim_create, claim_reopen
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
from tests.subsidies.test_claim_rules import refusal

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


def opened_quanzhou_campaign(quanzhou, station: Station, *, total: int = 92) -> Campaign:
    """Quanzhou's 2023 campaign of the district (assessed 30 November), its sheets scored and locked."""
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
    return campaign


def publish(campaign: Campaign, *, bureau: User) -> None:
    with time_machine.travel(campaign.notice_end + datetime.timedelta(seconds=1), tick=False):
        campaign_publish(campaign=campaign, actor=bureau)


def published_quanzhou_campaign(quanzhou, station: Station) -> Campaign:
    campaign = start_notice(opened_quanzhou_campaign(quanzhou, station), bureau=quanzhou[1])
    publish(campaign, bureau=quanzhou[1])
    return campaign


def approved_one_time_claim(quanzhou, station: Station):
    """The station's one-time claim through the published campaign, review, payee notice and approval."""
    district, bureau, operator = quanzhou
    published_quanzhou_campaign(quanzhou, station)
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
    _, bureau, operator = quanzhou
    campaign = opened_quanzhou_campaign(quanzhou, station)

    # Claimed before the campaign decided: refused, and nothing is decided on the side.
    too_early = refusal(lambda: claim_create(station=station, kind="one_time", year=2023, actor=operator))
    start_notice(campaign, bureau=bureau)
    notice_page = client.get(reverse("notice:detail", args=[campaign.code])).content.decode()
    during_notice = refusal(lambda: claim_create(station=station, kind="one_time", year=2023, actor=operator))
    publish(campaign, bureau=bureau)
    claim = claim_create(station=station, kind="one_time", year=2023, actor=operator)

    assert "结果通报后才能申报（现为“自评与现场评估中”）" in too_early
    assert "结果通报后才能申报（现为“公示中”）" in during_notice
    assert "另一次性补助 30,000.00" in notice_page
    assert claim.amount == ONE_TIME_GIG_STATION
    assert "2023-03-01 首次认定" in claim.explanation
    assert Entitlement.objects.filter(station=station, kind="one_time").count() == 1


def test_a_station_recognised_too_late_for_the_campaign_has_it_decided_by_its_recognition(quanzhou):
    _, _, operator = quanzhou
    late = quanzhou_station(quanzhou, code="QZ-GS-10", recognized_on=datetime.date(2023, 7, 1))
    # The district's campaign runs, but a station recognised in July is not assessed by 30 November.
    opened_quanzhou_campaign(
        quanzhou, quanzhou_station(quanzhou, code="QZ-GS-11", recognized_on=datetime.date(2022, 5, 1))
    )

    claim = claim_create(station=late, kind="one_time", year=2023, actor=operator)

    assert (claim.amount, claim.entitlement.basis, claim.entitlement.campaign) == (
        ONE_TIME_GIG_STATION,
        "first_recognition",
        None,
    )


def test_a_recomputation_that_would_change_a_locked_amount_is_refused_and_changes_nothing(
    quanzhou, recognised_during_a_contract
):
    station = recognised_during_a_contract
    _, bureau, _ = quanzhou
    campaign = start_notice(opened_quanzhou_campaign(quanzhou, station), bureau=bureau)
    entitlement = Entitlement.objects.get(campaign=campaign, station=station, kind="performance")
    Entitlement.objects.filter(pk=entitlement.pk).update(status="committed")
    decision = decide_campaign(
        compiled_policy(campaign.policy)[0],
        [
            DecisionUnit(
                code=station.code,
                kind=station.kind,
                score=Decimal("75.00"),
                recognized_on=station.recognized_on,
                purchase_contract=station.purchase_contract,
                one_time_decided=True,
            )
        ],
        assessed_on=campaign.assessed_on,
    )[0]

    with pytest.raises(EntitlementLocked) as refused:
        entitlements_record_campaign(campaign=campaign, decisions={station.pk: decision}, actor=bureau)

    assert "QZ-GS-09 年度绩效补助 30000.00 元 → 10000.00 元（已锁定）" in refused.value.messages[0]
    assert "撤回重审" in refused.value.messages[0]
    entitlement.refresh_from_db()
    assert entitlement.amount == Decimal("30000.00")


def test_a_published_result_is_not_corrected_and_its_entitlements_stay(
    quanzhou, recognised_during_a_contract
):
    station = recognised_during_a_contract
    _, bureau, _ = quanzhou
    campaign = published_quanzhou_campaign(quanzhou, station)
    sheet = ScoreSheet.objects.get(campaign=campaign, station=station)

    with pytest.raises(ValidationError, match="结果已通报，不能再更正"):
        sheet_correct(
            sheet=sheet,
            actor=bureau,
            final_inputs=points_inputs(campaign, kind=station.kind, total=75),
            reason="复核",
        )

    amounts = dict(Entitlement.objects.filter(station=station).values_list("kind", "amount"))
    assert amounts == {"performance": Decimal("30000.00"), "one_time": ONE_TIME_GIG_STATION}


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
    published_quanzhou_campaign(quanzhou, station)
    claim = reviewed_claim(station, operator=operator, bureau=bureau, kind="one_time", year=2023)
    notice_payees([claim], bureau=bureau)

    with pytest.raises(ValidationError, match="须写明原因"):
        claim_reopen(claim=claim, actor=bureau, reason="  ")
