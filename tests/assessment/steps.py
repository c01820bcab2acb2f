"""Steps of the yearly cycle, taken through the real services, for the campaign workflow tests.

Each step is what one person does in the product (the operator submits, the assessor scores, the
bureau locks), so a test reads like the cycle in DOMAIN.md and never writes a status by hand.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from assessment.models import Campaign, CampaignStation, ScoreSheet
from assessment.scoring import input_fields
from assessment.services.campaigns import (
    assessor_assign,
    campaign_notice_start,
    campaign_results_compute,
    conflict_declare,
)
from assessment.services.sheets import (
    evidence_add,
    sheet_lock,
    sheet_onsite_save,
    sheet_onsite_submit,
    sheet_self_save,
    sheet_self_submit,
)
from stations.models import User


def points_inputs(campaign: Campaign, *, kind: str, total: int | Decimal = 100) -> dict[str, str]:
    """Inputs of a points-only rubric (Yunmeng, Quanzhou) that add up to `total`.

    Every item starts at its maximum; one point at a time is taken off each item in turn, last
    item first, until the sum is `total`. So two sheets a few points apart differ by about a point
    per item (no gap that needs a reason), and the same call always gives the same sheet.
    """
    fields = input_fields(campaign.policy, kind=kind, month=None)
    assert all(input_type == "points" for _, input_type, _, _ in fields), "only for points rubrics"
    values = {name: Decimal(maximum) for name, _, _, maximum in fields}
    to_remove = sum(values.values()) - Decimal(total)
    assert to_remove >= 0
    while to_remove > 0:
        for name, _, _, _ in reversed(fields):
            cut = min(values[name], to_remove, Decimal(1))
            values[name] -= cut
            to_remove -= cut
    return {name: str(value) for name, value in values.items()}


def entry_of(sheet: ScoreSheet) -> CampaignStation:
    return CampaignStation.objects.get(campaign_id=sheet.campaign_id, station_id=sheet.station_id)


# A minimal PDF the content check accepts: the evidence a submission needs.
EVIDENCE_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def attach_evidence(sheet: ScoreSheet, *, operator: User, name: str = "服务台账.pdf"):
    """The operator uploads one evidence file (a self-evaluation is submitted with at least one)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return evidence_add(
        sheet=sheet, actor=operator, uploaded=SimpleUploadedFile(name, EVIDENCE_PDF), kind="ledger"
    )


def self_evaluate(sheet: ScoreSheet, *, operator: User, raw: dict) -> ScoreSheet:
    sheet_self_save(sheet=sheet, actor=operator, raw=raw)
    attach_evidence(sheet, operator=operator)
    return sheet_self_submit(sheet=sheet, actor=operator)


def assign_assessor(sheet: ScoreSheet, *, assessor: User, bureau: User, declare: bool = True) -> None:
    """The bureau assigns `assessor`, who declares no conflict of interest (unless `declare` is False)."""
    entry = assessor_assign(entry=entry_of(sheet), assessor=assessor, actor=bureau, reason="指派")
    if declare:
        conflict_declare(entry=entry, actor=assessor, has_conflict=False)


def score_onsite(
    sheet: ScoreSheet, *, assessor: User, raw: dict, reasons: dict | None = None, findings: str = ""
) -> ScoreSheet:
    sheet_onsite_save(sheet=sheet, actor=assessor, raw=raw, gap_reasons=reasons or {}, findings=findings)
    return sheet_onsite_submit(sheet=sheet, actor=assessor)


def lock_sheets(campaign: Campaign, *, totals: dict[str, int], assessor: User, bureau: User) -> None:
    """Score every sheet of a points-rubric campaign on site (station code -> total) and lock it."""
    assigned = set()
    for sheet in ScoreSheet.objects.filter(campaign=campaign).select_related("station", "campaign__policy"):
        if sheet.station_id not in assigned:
            assign_assessor(sheet, assessor=assessor, bureau=bureau)
            assigned.add(sheet.station_id)
        raw = points_inputs(campaign, kind=sheet.station.kind, total=totals[sheet.station.code])
        score_onsite(sheet, assessor=assessor, raw=raw)
        sheet_lock(sheet=sheet, actor=bureau)


def start_notice(campaign: Campaign, *, bureau: User, days: int = 7) -> Campaign:
    """Compute the results and put them on public notice from today for `days` days after today."""
    campaign_results_compute(campaign=campaign, actor=bureau)
    today = timezone.localdate()
    return campaign_notice_start(
        campaign=campaign, actor=bureau, first_day=today, last_day=today + datetime.timedelta(days=days)
    )
