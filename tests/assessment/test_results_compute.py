"""Computing a campaign's results (issue 10, item 2): section points, refusals, the ledger's audit."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from assessment.models import CampaignResult, Entitlement, ScoreSheet
from assessment.scoring import compiled_policy
from assessment.services.campaigns import campaign_open, campaign_results_compute
from assessment.services.sheets import sheet_correct, sheet_lock, sheet_onsite_save, sheet_onsite_submit
from core.models import AuditEntry
from tests.assessment.builders import heshan_perfect_month
from tests.assessment.steps import assign_assessor, lock_sheets, points_inputs

# Station code -> the month's valid complaints (3.3 "群众满意度" loses a point per complaint, 5 at most).
COMPLAINTS = {
    "HS-01": lambda month: 0,
    "HS-02": lambda month: 1 if month == 1 else 0,  # 25 - 1/12 = 24.9166…: rounded half-up once
    "HS-03": lambda month: 2,
}


@pytest.fixture
def heshan_locked(heshan_world):
    campaign, bureau, assessor, _ = heshan_world
    campaign_open(campaign=campaign, actor=bureau)
    assigned = set()
    for sheet in ScoreSheet.objects.filter(campaign=campaign).select_related("campaign__policy", "station"):
        if sheet.station_id not in assigned:
            assign_assessor(sheet, assessor=assessor, bureau=bureau)
            assigned.add(sheet.station_id)
        raw = heshan_perfect_month() | {"valid_complaints": COMPLAINTS[sheet.station.code](sheet.month)}
        sheet_onsite_save(sheet=sheet, actor=assessor, raw=raw, gap_reasons={}, findings="")
        sheet_onsite_submit(sheet=sheet, actor=assessor)
        sheet_lock(sheet=sheet, actor=bureau)
    return campaign, bureau


def test_each_result_keeps_its_sections_mean_over_the_months(heshan_locked):
    campaign, bureau = heshan_locked
    campaign_results_compute(campaign=campaign, actor=bureau)
    results = {
        r.station.code: r for r in CampaignResult.objects.filter(campaign=campaign).select_related("station")
    }
    assert {code: (str(r.score), r.section_points) for code, r in results.items()} == {
        "HS-01": ("100.00", {"1": "20.00", "2": "45.00", "3": "25.00", "4": "10.00"}),
        "HS-02": ("99.92", {"1": "20.00", "2": "45.00", "3": "24.92", "4": "10.00"}),
        "HS-03": ("98.00", {"1": "20.00", "2": "45.00", "3": "23.00", "4": "10.00"}),
    }


def test_a_yearly_result_keeps_its_sheets_section_points(world, open_campaign):
    lock_sheets(open_campaign, totals={"AAA-01": 87}, assessor=world.assessor_a, bureau=world.bureau_a)
    campaign_results_compute(campaign=open_campaign, actor=world.bureau_a)
    result = CampaignResult.objects.get(campaign=open_campaign)
    spec, _ = compiled_policy(open_campaign.policy)
    assert list(result.section_points) == [section.code for section in spec.rubric.sections]
    assert sum(Decimal(points) for points in result.section_points.values()) == result.score == 87


def test_a_locked_sheet_the_policy_cannot_score_is_named_and_nothing_is_written(heshan_locked):
    campaign, bureau = heshan_locked
    # Only a hand edit of the database can leave such a sheet: the lock scores what it settles.
    ScoreSheet.objects.filter(campaign=campaign, station__code="HS-02", period="2024-05").update(
        final_packed={"labor_force": "很多"}
    )
    with pytest.raises(ValidationError, match="站点 HS-02 2024-05 的审定数据不能按政策计分"):
        campaign_results_compute(campaign=campaign, actor=bureau)
    assert not CampaignResult.objects.filter(campaign=campaign).exists()
    assert not Entitlement.objects.filter(campaign=campaign).exists()
    campaign.refresh_from_db()
    assert campaign.status == "open"


def test_a_correction_that_changes_an_amount_leaves_its_audit_row(world, open_campaign):
    lock_sheets(open_campaign, totals={"AAA-01": 95}, assessor=world.assessor_a, bureau=world.bureau_a)
    campaign_results_compute(campaign=open_campaign, actor=world.bureau_a)
    entitlement = Entitlement.objects.get(campaign=open_campaign, kind=Entitlement.Kind.PERFORMANCE)
    before = entitlement.amount

    sheet = ScoreSheet.objects.select_related("campaign__policy", "station").get(campaign=open_campaign)
    lower = points_inputs(open_campaign, kind="gig_station", total=60)
    sheet_correct(sheet=sheet, actor=world.bureau_a, final_inputs=lower, reason="台账核对后更正")

    entitlement.refresh_from_db()
    assert entitlement.amount < before  # the same ledger row, recomputed
    audit = AuditEntry.objects.get(action="entitlement.correct", object_id=str(entitlement.pk))
    assert audit.changes == {"amount": [str(before), str(entitlement.amount)]}
    assert audit.actor == world.bureau_a
    assert audit.region_path == world.station_a.region.path
    assert f"{before} 元" in audit.object_repr  # names the entitlement as it was
