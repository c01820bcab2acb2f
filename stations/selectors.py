"""Reads that reach a user, always scoped by the acting user.

Bureau staff and auditors reach everything under their region; operators their own stations;
assessors the stations of the campaigns they are assigned to assess; a superuser everything;
anybody else nothing. Every list, detail page, admin changelist, autocomplete, filter choice and
export starts from one of these functions, so scoping is decided in one place.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from core.models import AuditEntry
from core.scoping import register_scope
from stations.models import Region, Station, User

REGIONAL_ROLES = frozenset({User.Role.BUREAU, User.Role.AUDITOR})


def is_regional(actor: User) -> bool:
    return (
        actor.is_authenticated
        and actor.is_active
        and actor.role in REGIONAL_ROLES
        and actor.region_id is not None
    )


def can_read_everything(actor: User) -> bool:
    return actor.is_authenticated and actor.is_active and actor.is_superuser


def region_list(*, actor: User) -> QuerySet[Region]:
    """Regions the actor may pick or filter by: their region's subtree, or their stations' regions."""
    regions = Region.objects.all()
    if can_read_everything(actor):
        return regions
    if is_regional(actor):
        return regions.filter(path__startswith=actor.region.path)
    if actor.is_authenticated and actor.is_active:
        return regions.filter(pk__in=station_list(actor=actor).values("region_id"))
    return regions.none()


def station_list(*, actor: User) -> QuerySet[Station]:
    """Stations the actor may see."""
    stations = Station.objects.select_related("region")
    if not (actor.is_authenticated and actor.is_active):
        return stations.none()
    if actor.is_superuser:
        return stations
    if is_regional(actor):
        return stations.filter(region__path__startswith=actor.region.path)
    if actor.role == User.Role.OPERATOR:
        return stations.filter(operators=actor)
    if actor.role == User.Role.ASSESSOR:
        # Only the campaigns' assignments: a station's default assessor is what a new campaign
        # copies, not a reach of its own. A subquery on pk rather than a join keeps one row per
        # station however many campaigns assign it.
        return stations.filter(pk__in=Station.objects.filter(campaign_entries__assessor=actor).values("pk"))
    return stations.none()


def station_get(*, actor: User, code: str) -> Station:
    """One station the actor may see, by code; 404 for any other, so its existence is not revealed."""
    try:
        return station_list(actor=actor).get(code=code)
    except Station.DoesNotExist:
        raise Http404("没有这个站点，或您无权查看。") from None


def operated_station_list(*, actor: User) -> QuerySet[Station]:
    """Stations whose data the actor may edit as their operator."""
    if not (actor.is_authenticated and actor.is_active and actor.role == User.Role.OPERATOR):
        return Station.objects.none()
    return Station.objects.select_related("region").filter(operators=actor)


def user_list(*, actor: User) -> QuerySet[User]:
    """People the actor may see: those under their region and those working on their stations."""
    users = User.objects.select_related("region")
    if can_read_everything(actor):
        return users
    if is_regional(actor):
        in_scope = station_list(actor=actor)
        return users.filter(
            Q(region__path__startswith=actor.region.path)
            | Q(operated_stations__in=in_scope)
            | Q(default_assessed_stations__in=in_scope)
            | Q(campaign_assignments__station__in=in_scope)
        ).distinct()
    if actor.is_authenticated and actor.is_active:
        return users.filter(pk=actor.pk)
    return users.none()


def audit_entry_list(*, actor: User) -> QuerySet[AuditEntry]:
    """The history rows about objects in the actor's reach."""
    entries = AuditEntry.objects.select_related("actor", "content_type", "station")
    if can_read_everything(actor):
        return entries
    if is_regional(actor):
        return entries.filter(region_path__startswith=actor.region.path)
    if actor.is_authenticated and actor.is_active:
        return entries.filter(station__in=station_list(actor=actor))
    return entries.none()


def bureau_staff_for(region: Region) -> list[User]:
    """Active bureau staff whose region contains `region`: the people a station's matters go to."""
    paths = [region.path[: i + 1] for i in range(1, len(region.path)) if region.path[i] == "/"]
    return list(User.objects.filter(role=User.Role.BUREAU, is_active=True, region__path__in=paths))


# Which selector scopes these models wherever they appear as a choice (admin dropdowns,
# autocompletes, filters); see core.scoping.
register_scope(Region, region_list)
register_scope(Station, station_list)
register_scope(User, user_list)
register_scope(AuditEntry, audit_entry_list)
