"""Recognising a new station from its application: the station, its operator account and its
one-time entitlement, in one transaction.

It lives here, not in `stations.applications`, because the one-time amount is decided by the
region's policy (`entitlement_one_time_decide`, assessment), and stations may not import
assessment. The admin's 予以认定 and the demo call this; nothing else recognises an application.
"""

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from assessment.models import Entitlement
from assessment.services.entitlements import EntitlementRefused, entitlement_one_time_decide
from stations.applications import application_station_create
from stations.models import Station, StationApplication, User


@dataclass(frozen=True)
class Recognition:
    station: Station
    operator: User
    password: str  # shown once to the clerk who recognised; never stored in clear
    entitlement: Entitlement | None  # None when no policy of the region pays a one-time amount
    no_entitlement_reason: str = ""


def application_recognise(
    *, application: StationApplication, actor: User, decided_on: date | None = None
) -> Recognition:
    """Recognise the station an application asks for (已现场核查 → 已认定).

    Before: the actor is bureau staff of the application's county (or a superuser) and the
    application has been checked on site. After, in one transaction: the station exists (recognised
    on the decision day, active), its operator account with a one-time password, the application
    points to both, and the one-time entitlement of 002 is decided on the recognition day by the
    region's policy (none when no policy pays one: recognition does not wait for money). Each
    write leaves its audit row. Raises Forbidden, ValidationError or InvalidTransition (nothing saved).
    """
    with transaction.atomic():
        station, operator, password = application_station_create(
            application=application, actor=actor, decided_on=decided_on
        )
        try:
            entitlement = entitlement_one_time_decide(station=station, actor=actor)
        except EntitlementRefused as exc:
            return Recognition(station, operator, password, None, exc.messages[0])
    return Recognition(station, operator, password, entitlement)
