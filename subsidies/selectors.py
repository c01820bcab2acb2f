"""Reads of claims, rosters and funds, scoped by the acting user (see stations.selectors)."""

from django.db.models import Count, QuerySet

from core.scoping import register_scope
from stations.models import User
from stations.selectors import can_read_everything, is_regional, station_list
from subsidies.models import (
    ClaimMaterial,
    Fund,
    PayeeNotice,
    Payout,
    Placement,
    PlacementRoster,
    SubsidyClaim,
)


def claim_list(*, actor: User) -> QuerySet[SubsidyClaim]:
    claims = SubsidyClaim.objects.select_related("station__region", "fund", "notice")
    if can_read_everything(actor):
        return claims
    if is_regional(actor):
        return claims.filter(station__region__path__startswith=actor.region.path)
    if actor.is_authenticated and actor.is_active and actor.role == User.Role.OPERATOR:
        return claims.filter(station__operators=actor)
    return claims.none()


def disbursement_claim_list(*, actor: User) -> QuerySet[SubsidyClaim]:
    """The claims of the disbursement list (拨付表): approved (to pay first) and paid, with their payouts."""
    return (
        claim_list(actor=actor)
        .filter(status__in=[SubsidyClaim.Status.APPROVED, SubsidyClaim.Status.PAID])
        .select_related("payout")
        # "approved" sorts before "paid": what is still to pay comes first.
        .order_by("status", "station__code", "kind", "year")
    )


def payee_notice_claims(notice: PayeeNotice) -> QuerySet[SubsidyClaim]:
    """The claims a payee notice lists, on its public page and its admin page alike: a claim refused
    after the notice began is no longer a payee."""
    return (
        notice.claims.exclude(status=SubsidyClaim.Status.REJECTED)
        .select_related("station__region")
        .order_by("station__code", "kind")
    )


def claim_material_list(*, actor: User) -> QuerySet[ClaimMaterial]:
    return ClaimMaterial.objects.select_related("claim").filter(claim__in=claim_list(actor=actor))


def roster_list(*, actor: User) -> QuerySet[PlacementRoster]:
    rosters = PlacementRoster.objects.select_related("station__region", "imported_by")
    if can_read_everything(actor):
        return rosters
    if is_regional(actor):
        return rosters.filter(station__region__path__startswith=actor.region.path)
    if actor.is_authenticated and actor.is_active and actor.role == User.Role.OPERATOR:
        return rosters.filter(station__in=station_list(actor=actor))
    return rosters.none()


def placement_list(*, actor: User) -> QuerySet[Placement]:
    return Placement.objects.select_related("roster", "station").filter(roster__in=roster_list(actor=actor))


def duplicate_person_ids(*, actor: User, year: int | None = None) -> QuerySet:
    """People placed by more than one station in the same year, among the rosters the actor sees:
    rows of `year` and `id_number_hash` (the ID number's keyed hash; the number is stored encrypted).

    The comparison runs over every station of the year (a person placed in two counties counts),
    but only people on a roster in the actor's reach are returned.
    """
    visible = placement_list(actor=actor)
    placements = Placement.objects.all()
    if year is not None:
        visible = visible.filter(year=year)
        # Count that year's stations only: a person placed twice in another year is no duplicate here.
        placements = placements.filter(year=year)
    repeated = (
        placements.filter(id_number_hash__in=visible.values("id_number_hash"))
        .values("year", "id_number_hash")
        .annotate(stations=Count("station", distinct=True))
        .filter(stations__gt=1)
    )
    return repeated


def fund_list(*, actor: User) -> QuerySet[Fund]:
    funds = Fund.objects.select_related("region")
    if can_read_everything(actor):
        return funds
    if is_regional(actor):
        return funds.filter(region__path__startswith=actor.region.path)
    return funds.none()


def payee_notice_list(*, actor: User) -> QuerySet[PayeeNotice]:
    notices = PayeeNotice.objects.select_related("region")
    if can_read_everything(actor):
        return notices
    if is_regional(actor):
        return notices.filter(region__path__startswith=actor.region.path)
    return notices.none()


def payout_list(*, actor: User) -> QuerySet[Payout]:
    return Payout.objects.select_related("claim__station").filter(claim__in=claim_list(actor=actor))


def placements_of_duplicates(*, actor: User, year: int) -> QuerySet[Placement]:
    people = duplicate_person_ids(actor=actor, year=year).values("id_number_hash")
    # By hash: each person's rows together (the order of the people themselves means nothing).
    return (
        placement_list(actor=actor)
        .filter(year=year, id_number_hash__in=people)
        .order_by("id_number_hash", "station__code")
    )


register_scope(SubsidyClaim, claim_list)
register_scope(ClaimMaterial, claim_material_list)
register_scope(PlacementRoster, roster_list)
register_scope(Placement, placement_list)
register_scope(Fund, fund_list)
register_scope(PayeeNotice, payee_notice_list)
register_scope(Payout, payout_list)
