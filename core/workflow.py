"""The one way a status field changes.

Each workflow declares its allowed moves as one table, `{from: {to, ...}}`. `transition` locks
the row, refuses any move not in the table, saves only the status field, and writes the audit
entry in the same transaction, so concurrent conflicting moves cannot both win: the second one
sees the first one's state after the lock and is refused.

Next to its table each workflow names the moves people make (`Move`: a name, the label of its
button, the state or states it leads to, who may make it). Buttons, admin actions and portal links
ask `available_moves(obj, actor, table=…, moves=…)` which of them are open now, so no page keeps
its own list of states.

Places in the region tree are duck-typed: a `region` has a `path`, a `station` has a `region`.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction

from core.models import AuditEntry


class InvalidTransition(ValidationError):
    """A move the workflow's table does not allow; the message is meant for the clerk.

    A ValidationError, so every view and admin page that shows a refused input shows this too,
    e.g. when a second click arrives after the first already moved the row.
    """

    def __str__(self) -> str:
        return self.messages[0]


def anyone(obj: Any, actor: Any) -> bool:
    return True


def _states(value: str | Iterable[str] | None) -> frozenset[str] | None:
    # A status is a str (TextChoices included): one state, never its characters.
    if value is None or isinstance(value, str):
        return None if value is None else frozenset({value})
    return frozenset(value)


@dataclass(frozen=True)
class Move:
    """A move a person makes on a row: its name, the label of its button, where it leads, who may.

    `to` is the state the move leads to, or several when one form chooses among them (a review
    passes, returns or rejects): the move is open when the table allows any of them from the row's
    state. `at` narrows the states it starts from where two moves lead to the same state (an
    operator's submission and the bureau's reopening both lead to "submitted"). A move without `to`
    is work that leaves the state as it is (importing data, correcting a locked sheet): it is open
    in the states `at` names. `allowed(obj, actor)` says what the table cannot: who may make the
    move (a predicate of `core.permissions`) and any other fact about the row.
    """

    name: str
    label: str
    to: frozenset[str] = frozenset()
    at: frozenset[str] | None = None
    allowed: Callable[[Any, Any], bool] = anyone

    def __post_init__(self):
        object.__setattr__(self, "to", _states(self.to) or frozenset())
        object.__setattr__(self, "at", _states(self.at))
        if not self.to and self.at is None:
            raise ValueError(f"Move {self.name!r} leads nowhere and names no state it is open in.")

    def opens_from(self, state: str, table: Mapping[str, set[str]]) -> bool:
        """Whether the table lets this move start from `state` (who may make it is not asked)."""
        if self.at is not None and state not in self.at:
            return False
        return not self.to or bool(self.to & set(table.get(state, ())))


def available_moves(
    obj: models.Model,
    actor: models.Model | None,
    *,
    table: Mapping[str, set[str]],
    moves: Sequence[Move],
    field: str = "status",
) -> list[Move]:
    """The moves of `moves` that `actor` may make on `obj` now, in their declared order."""
    state = getattr(obj, field)
    return [move for move in moves if move.opens_from(state, table) and move.allowed(obj, actor)]


def move_named(moves: Sequence[Move], name: str) -> Move:
    """The move called `name`; a KeyError names a move the workflow does not have."""
    for move in moves:
        if move.name == name:
            return move
    raise KeyError(name)


def states_open_to(move: Move, table: Mapping[str, set[str]]) -> set[str]:
    """The states the table lets `move` start from: for a list's filter or a bulk action."""
    return {state for state in table if move.opens_from(state, table)}


def record_audit(
    *,
    target: models.Model,
    actor: models.Model | None,
    action: str,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    changes: dict | None = None,
    station: models.Model | None = None,
    region: models.Model | None = None,
) -> AuditEntry:
    """Write one audit row for `target`. Call inside the transaction that made the change.

    `station` or `region` places the row in the tree, so the people of that region see it.
    """
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
    actor: models.Model | None,
    action: str,
    reason: str = "",
    field: str = "status",
    station: models.Model | None = None,
    region: models.Model | None = None,
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
