"""Reads that reach a user, always scoped by the acting user.

Bureau staff and auditors reach everything under their region; operators their own stations;
assessors the stations assigned to them; a superuser everything; anybody else nothing. Every
list, detail page, admin changelist, autocomplete, filter choice and export starts from one of
these functions, so scoping is decided in one place.
"""

from collections.abc import Callable

from django.contrib.auth.models import Group, Permission
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from stations.models import AuditEntry, Region, Station, User

REGIONAL_ROLES = frozenset({User.Role.BUREAU, User.Role.AUDITOR})


def is_regional(actor: User) -> bool:
    return actor.is_authenticated and actor.role in REGIONAL_ROLES and actor.region_id is not None


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
        # Standing assignments, and the stations of campaigns they are assigned to assess.
        return stations.filter(
            Q(pk__in=Station.assessors.through.objects.filter(user=actor).values("station_id"))
            | Q(pk__in=_campaign_assigned_station_ids(actor))
        )
    return stations.none()


def _campaign_assigned_station_ids(actor: User) -> QuerySet:
    from assessment.models import CampaignStation

    return CampaignStation.objects.filter(assessor=actor).values("station_id")


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
            | Q(assessed_stations__in=in_scope)
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


def superuser_only_list(model: type[Model]) -> Callable[..., QuerySet]:
    """Groups and permissions are a superuser's tools; roles and regions decide everyone else's reach."""

    def selector(*, actor: User) -> QuerySet:
        return model.objects.all() if can_read_everything(actor) else model.objects.none()

    return selector


# Which selector scopes a model wherever it appears as a choice (admin dropdowns, autocompletes,
# filters). Other apps add their models with `register_scope`.
SCOPES: dict[type[Model], Callable[..., QuerySet]] = {
    Region: region_list,
    Station: station_list,
    User: user_list,
    AuditEntry: audit_entry_list,
    Group: superuser_only_list(Group),
    Permission: superuser_only_list(Permission),
}


def register_scope(model: type[Model], selector: Callable[..., QuerySet]) -> None:
    SCOPES[model] = selector


def scoped_queryset(model: type[Model], *, actor: User) -> QuerySet:
    """The rows of `model` the actor may see. A model without a registered scope is refused."""
    try:
        selector = SCOPES[model]
    except KeyError:
        raise LookupError(f"No scope is registered for {model.__name__}; register one in its app.") from None
    return selector(actor=actor)
