"""Steps of the money end of the cycle, taken through the real services.

A published Yunmeng campaign of county A gives the performance subsidy its result; a claim then
walks create → materials and roster → submit → review → payee notice → approve → pay, each step
done by the person who does it in the product.
"""

import datetime
from decimal import Decimal
from pathlib import Path

import time_machine
from django.utils import timezone

from assessment.models import Campaign, Policy
from assessment.services.campaigns import campaign_open, campaign_publish
from core.working_days import day_end, earliest_last_day
from stations.models import Station, User
from subsidies.models import Fund, PayeeNotice, SubsidyClaim
from subsidies.rules import MATERIALS, ROSTER_REQUIREMENT
from subsidies.services.claims import (
    claim_create,
    claim_material_add,
    claim_payee_update,
    claim_review,
    claim_submit,
)
from subsidies.services.payee_notice import payee_notice_publish
from subsidies.services.payouts import claim_approve, claim_pay
from subsidies.services.rosters import roster_import
from tests.assessment.steps import lock_sheets, start_notice
from tests.core.test_filechecks import make_pdf
from tests.factories import make_station
from tests.subsidies.rosters import person, roster_upload, upload

ACCOUNT = "6222021234567890123"


def noticed_campaign(world, *, totals: dict[str, int], code: str = "yunmeng-2024-subsidies") -> Campaign:
    """County A's 2024 Yunmeng campaign, scored (station code -> total) and on public notice."""
    now = timezone.now()
    campaign = Campaign.objects.create(
        code=code,
        name="2024年度云梦县零工驿站运营考核",
        policy=Policy.objects.get(code="yunmeng-2024", version=1),
        region=world.county_a,
        year=2024,
        self_evaluation_due=now + datetime.timedelta(days=10),
        onsite_due=timezone.localdate() + datetime.timedelta(days=20),
        assessed_on=datetime.date(2024, 12, 31),
    )
    campaign_open(campaign=campaign, actor=world.bureau_a)
    lock_sheets(campaign, totals=totals, assessor=world.assessor_a, bureau=world.bureau_a)
    return start_notice(campaign, bureau=world.bureau_a)


def published_campaign(world, *, totals: dict[str, int], code: str = "yunmeng-2024-subsidies") -> Campaign:
    """The same campaign with its notice over and its results published (final)."""
    campaign = noticed_campaign(world, totals=totals, code=code)
    with time_machine.travel(campaign.notice_end + datetime.timedelta(seconds=1), tick=False):
        campaign_publish(campaign=campaign, actor=world.bureau_a)
    campaign.refresh_from_db()
    return campaign


def add_materials(claim: SubsidyClaim, *, actor: User) -> None:
    """Every paper the claim's kind requires, as PDFs (the roster is imported, not uploaded)."""
    for code, _ in MATERIALS[claim.kind]:
        if code != ROSTER_REQUIREMENT:
            claim_material_add(
                claim=claim, actor=actor, requirement=code, uploaded=upload(f"{code}.pdf", make_pdf())
            )


def import_roster(station: Station, *, actor: User | None, year: int = 2024, first: int = 1, count: int = 3):
    people = [person(serial, start_date=datetime.date(year, 3, 1)) for serial in range(first, first + count)]
    return roster_import(
        station=station, year=year, file=roster_upload(people), source_name="花名册.xlsx", actor=actor
    )


def submitted_claim(
    station: Station,
    *,
    actor: User,
    kind: str = "performance",
    year: int = 2024,
    roster_first: int = 1,
    payee_name: str = "云梦县某人力资源公司",
) -> SubsidyClaim:
    """A claim with every material, the payee's account and (for performance) a roster, submitted."""
    claim = claim_create(station=station, kind=kind, year=year, actor=actor)
    add_materials(claim, actor=actor)
    if kind == "performance":
        import_roster(station, actor=actor, year=year, first=roster_first)
    claim_payee_update(
        claim=claim, actor=actor, name=payee_name, bank="中国工商银行云梦支行", account=ACCOUNT
    )
    return claim_submit(claim=claim, actor=actor)


def reviewed_claim(station: Station, *, operator: User, bureau: User, **kwargs) -> SubsidyClaim:
    claim = submitted_claim(station, actor=operator, **kwargs)
    return claim_review(claim=claim, actor=bureau, decision="pass", note="材料齐全")


def notice_payees(claims: list[SubsidyClaim], *, bureau: User, days: int = 5) -> PayeeNotice:
    """The payee list on public notice from an hour ago to the end of its `days`-th working day."""
    now = timezone.now()
    last_day = earliest_last_day(timezone.localdate(), days)
    station = claims[0].station
    region = bureau.region if bureau.region is not None else station.region
    return payee_notice_publish(
        region=region,
        year=claims[0].year,
        title=f"{claims[0].year}年度站点补助拟补助对象公示",
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=day_end(last_day),
        claims=claims,
        actor=bureau,
    )


def after_notice(notice: PayeeNotice):
    """The clock one second after the payee notice ends (the approval may happen then)."""
    return time_machine.travel(notice.ends_at + datetime.timedelta(seconds=1), tick=False)


def make_fund(region, *, budget: str, year: int = 2024, code: str = "jiuye-2024") -> Fund:
    """A budget line, as bureau staff enter it in the admin."""
    return Fund.objects.create(
        region=region, year=year, code=code, name="就业补助资金", budget=Decimal(budget)
    )


def approved_claim(station: Station, *, operator: User, bureau: User, fund: Fund, **kwargs) -> SubsidyClaim:
    claim = reviewed_claim(station, operator=operator, bureau=bureau, **kwargs)
    notice = notice_payees([claim], bureau=bureau)
    with after_notice(notice):
        claim.refresh_from_db()
        return claim_approve(claim=claim, actor=bureau, fund=fund)


def pay(claim: SubsidyClaim, *, bureau: User, voucher: str = "记-2024-0001", paid_on=None):
    """Record the payout on the day after the notice ended (so after the approval)."""
    claim.refresh_from_db()
    with time_machine.travel(claim.approved_at + datetime.timedelta(days=1), tick=False):
        return claim_pay(
            claim=claim, actor=bureau, paid_on=paid_on or timezone.localdate(), voucher_number=voucher
        )


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def quanzhou_station(quanzhou, *, code: str, kind: str = "gig_station", **fields) -> Station:
    district, _, operator = quanzhou
    fields.setdefault("recognized_on", datetime.date(2024, 3, 1))
    station = make_station(region=district, code=code, kind=kind, **fields)
    station.operators.add(operator)
    return station
