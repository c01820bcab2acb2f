"""Writes to stations and people. Views, admin actions and commands call these; none sets a
status field itself."""

from django.core.exceptions import ValidationError
from django.db import transaction

from core.permissions import may_manage, operates, require
from core.workflow import Move, record_audit, transition
from stations.models import Region, Station, User
from stations.validators import mask_phone

STATION_STATUS_TRANSITIONS: dict[str, set[str]] = {
    Station.Status.ACTIVE: {Station.Status.RECTIFYING, Station.Status.REVOKED},
    Station.Status.RECTIFYING: {Station.Status.ACTIVE, Station.Status.REVOKED},
    # Revocation is final: a revoked station comes back only through a new recognition.
    Station.Status.REVOKED: set(),
}
# One form chooses the new state among those the table allows.
STATION_MOVES = (
    Move(
        "status",
        "变更状态",
        to=Station.Status.values,
        allowed=lambda station, actor: may_manage(actor, station.region),
    ),
)

# Facts an operator keeps current from the portal; the registry facts stay with the bureau.
OPERATOR_EDITABLE_FIELDS = (
    "opening_hours",
    "service_phone",
    "complaint_channel",
    "station_head",
    "station_head_phone",
)
# Personal phone numbers are recorded masked in the history.
MASKED_IN_HISTORY = {"station_head_phone"}


def station_status_change(*, station: Station, to: str, actor: User, reason: str) -> Station:
    """Move a station between active, rectifying and revoked.

    Before: the actor is bureau staff whose region contains the station (or a superuser), and a
    reason is given. After: the status is saved and an audit entry records who, when, from, to
    and why. Raises Forbidden for anyone else, ValidationError without a reason, and
    InvalidTransition for a move the table does not allow (e.g. out of revoked).
    """
    require(may_manage(actor, station.region), "只有站点所在区域的人社局工作人员可以变更站点状态。")
    if not reason.strip():
        raise ValidationError("请填写变更状态的原因。")
    return transition(
        station,
        to=to,
        table=STATION_STATUS_TRANSITIONS,
        actor=actor,
        action="station.status_change",
        reason=reason.strip(),
        station=station,
    )


def station_contact_update(*, station: Station, actor: User, data: dict[str, str]) -> list[str]:
    """Save the contact facts an operator keeps current, and return the names of changed fields.

    Before: the actor operates the station. After: the changed fields are validated with the
    model's own validators, saved with `update_fields`, and one audit entry lists old and new
    values (personal phones masked). Raises Forbidden for anyone else and ValidationError
    (nothing saved) for a bad value.
    """
    require(operates(actor, station), "只有本站点的运营人员可以修改联系信息。")
    with transaction.atomic():
        # Compare with the locked row, not the caller's object: a bound form may have changed it.
        locked = Station.objects.select_for_update().get(pk=station.pk)
        changes = {}
        for name in OPERATOR_EDITABLE_FIELDS:
            if name in data and (new := (data[name] or "").strip()) != getattr(locked, name):
                changes[name] = (getattr(locked, name), new)
        if not changes:
            return []
        for name, (_, new) in changes.items():
            setattr(locked, name, new)
        locked.full_clean(exclude=[f.name for f in Station._meta.fields if f.name not in changes])
        locked.save(update_fields=[*changes, "updated_at"])
        record_audit(
            target=locked,
            actor=actor,
            action="station.contact_update",
            station=locked,
            changes={
                name: [mask_phone(old), mask_phone(new)] if name in MASKED_IN_HISTORY else [old, new]
                for name, (old, new) in changes.items()
            },
        )
    for name, (_, new) in changes.items():
        setattr(station, name, new)
    return list(changes)


def user_sync_staff_flag(user: User) -> None:
    """Admin access follows the role: bureau staff and auditors use the admin, others the portal."""
    user.is_staff = user.is_superuser or user.role in {User.Role.BUREAU, User.Role.AUDITOR}


def region_create(*, code: str, name: str, level: int, parent: Region | None) -> Region:
    """Add a region under `parent`, computing its path. Raises ValidationError on a bad level."""
    if parent is not None and level <= parent.level:
        raise ValidationError(f"“{name}”的层级必须低于上级“{parent.name}”。")
    path = f"{parent.path if parent else '/'}{code}/"
    return Region.objects.create(code=code, name=name, level=level, parent=parent, path=path)


__all__ = [
    "OPERATOR_EDITABLE_FIELDS",
    "STATION_MOVES",
    "STATION_STATUS_TRANSITIONS",
    "region_create",
    "station_contact_update",
    "station_status_change",
    "user_sync_staff_flag",
]
