"""The one way a status field changes.

Each workflow declares its allowed moves as one table, `{from: {to, ...}}`. `transition` locks
the row, refuses any move not in the table, saves only the status field, and writes the audit
entry in the same transaction, so concurrent conflicting moves cannot both win: the second one
sees the first one's state after the lock and is refused.
"""

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import models, transaction

from stations.models import AuditEntry, Region, Station, User


class InvalidTransition(ValidationError):
    """A move the workflow's table does not allow; the message is meant for the clerk.

    A ValidationError, so every view and admin page that shows a refused input shows this too,
    e.g. when a second click arrives after the first already moved the row.
    """

    def __str__(self) -> str:
        return self.messages[0]


def record_audit(
    *,
    target: models.Model,
    actor: User | None,
    action: str,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    changes: dict | None = None,
    station: Station | None = None,
    region: Region | None = None,
) -> AuditEntry:
    """Write one audit row for `target`. Call inside the transaction that made the change.

    `station` or `region` places the row in the tree, so the people of that region see it.
    """
    from django.contrib.contenttypes.models import ContentType

    place = station.region if station is not None else region
    region_path = place.path if place is not None else ""
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        content_type=ContentType.objects.get_for_model(target),
        object_id=str(target.pk),
        object_repr=str(target)[:200],
        station=station,
        region_path=region_path,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        changes=changes or {},
    )


def transition(
    obj: models.Model,
    *,
    to: str,
    table: Mapping[str, set[str]],
    actor: User | None,
    action: str,
    reason: str = "",
    field: str = "status",
    station: Station | None = None,
    region: Region | None = None,
    extra_fields: Mapping[str, object] | None = None,
) -> models.Model:
    """Move `obj` to the state `to` if `table` allows it from the state it is in now.

    Before: `obj` is saved. After: the row is locked, re-read, moved and saved with
    `update_fields`, and an AuditEntry records who, when, from, to and why. Raises
    InvalidTransition (nothing saved) when the table has no such move. `extra_fields` are set on
    the same save, e.g. a timestamp of the move.
    """
    label = dict(obj._meta.get_field(field).choices or [])
    with transaction.atomic():
        locked = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
        current = getattr(locked, field)
        if to not in table.get(current, set()):
            raise InvalidTransition(
                f"“{locked}”当前为“{label.get(current, current)}”，不能改为“{label.get(to, to)}”。"
            )
        setattr(locked, field, to)
        update_fields = [field]
        for name, value in (extra_fields or {}).items():
            setattr(locked, name, value)
            update_fields.append(name)
        if any(f.name == "updated_at" for f in locked._meta.fields):
            update_fields.append("updated_at")
        locked.save(update_fields=update_fields)
        record_audit(
            target=locked,
            actor=actor,
            action=action,
            from_state=current,
            to_state=to,
            reason=reason,
            station=station,
            region=region,
        )
    for name in [field, *(extra_fields or {})]:
        setattr(obj, name, getattr(locked, name))
    return obj
