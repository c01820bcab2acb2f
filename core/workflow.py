"""The one way a status field changes.

Each workflow declares its allowed moves as one table, `{from: {to, ...}}`. `transition` locks
the row, refuses any move not in the table, saves only the status field, and writes the audit
entry in the same transaction, so concurrent conflicting moves cannot both win: the second one
sees the first one's state after the lock and is refused.

Next to its table each workflow names the moves people make (`Move`: a name, the label of its
button, the state or states it leads to, who may make it). Buttons, admin actions and portal links
ask `available_moves(obj, actor, table=…, moves=…)` which of them are open now, so no page keeps
its own list of states.

Batch moves do the same for a province's rows at once: `transition_many` moves a whole set under
the same table (locked, checked, one UPDATE per chunk, one audit row per row written in bulk),
`record_audit_many` writes audit rows built by `audit_entry` in bulk, `update_rows` writes rows
that each have their own values, and `insert_combinations` creates one row per combination of
values (a sheet per station and period). Each writes exactly what its one-row counterpart writes.

Places in the region tree are duck-typed: a `region` has a `path`, a `station` has a `region`.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice, product
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone

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


def audit_entry(
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
    """The audit row for `target`, not yet saved: `record_audit` saves one, `record_audit_many` many.

    `station` or `region` places the row in the tree, so the people of that region see it. The
    station's region is read from it: load it with the station (`select_related`) when there are many.
    """
    place = station.region if station is not None else region
    return AuditEntry(
        actor=actor,
        action=action,
        content_type=ContentType.objects.get_for_model(target),
        object_id=str(target.pk),
        object_repr=str(target)[:200],
        station=station,
        region_path=place.path if place is not None else "",
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        changes=changes or {},
    )


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
    entry = audit_entry(
        target=target,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        changes=changes,
        station=station,
        region=region,
    )
    entry.save(force_insert=True)
    return entry


def record_audit_many(entries: Iterable[AuditEntry], *, batch_size: int = 1000) -> int:
    """Write many rows built by `audit_entry` in bulk, inside the transaction that made the changes.

    The rows are the ones `record_audit` would write one by one (same fields, `at` set on insert);
    the iterable is consumed `batch_size` rows at a time, so a province's rows need not fit in memory.
    """
    written = 0
    for batch in chunked(entries, batch_size):
        AuditEntry.objects.bulk_create(batch)
        written += len(batch)
    return written


def chunked(items: Iterable, size: int) -> Iterator[list]:
    """`items` in lists of at most `size`, in order; the last one may be shorter."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


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


# Rows locked and written per statement by the bulk moves: small enough for SQLite's limit on query
# parameters and for a short statement, large enough that a province takes a few hundred of them.
BULK_CHUNK = 1000
# How many refused rows a bulk move's message names; the count says how many there are in all.
NAMED_IN_MESSAGE = 20


def update_rows(rows: Sequence[models.Model], fields: Sequence[str]) -> int:
    """Write `fields` of already-loaded rows, each its own values, in one statement per BULK_CHUNK rows.

    On PostgreSQL one `UPDATE … FROM unnest(…)` joins the new values, sent as one array per field,
    by primary key; elsewhere one prepared UPDATE run for every row (Django's `bulk_update` builds a
    CASE per field that costs milliseconds a row). The caller holds the rows' locks. Returns how
    many rows were written.
    """
    if not rows:
        return 0
    model = type(rows[0])
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    qn = connection.ops.quote_name
    table = qn(meta.db_table)
    if connection.vendor != "postgresql":
        return _update_rows_one_statement(rows, columns, table)
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in columns)
    names = ", ".join(qn(field.column) for field in columns)
    assignments = ", ".join(f"{qn(field.column)} = v.{qn(field.column)}" for field in columns[1:])
    # Only quoted names of the model's own table and columns are formatted in; values are parameters.
    sql = (
        f"UPDATE {table} SET {assignments} FROM unnest({arrays}) AS v({names}) "  # noqa: S608
        f"WHERE {table}.{qn(meta.pk.column)} = v.{qn(meta.pk.column)}"
    )
    written = 0
    with connection.cursor() as cursor:
        for chunk in chunked(rows, BULK_CHUNK):
            values = [
                [field.get_db_prep_save(getattr(row, field.attname), connection) for row in chunk]
                for field in columns
            ]
            cursor.execute(sql, values)
            written += cursor.rowcount
    return written


def _update_rows_one_statement(rows: Sequence[models.Model], columns: list, table: str) -> int:
    """`update_rows` where arrays cannot be joined (SQLite): the same UPDATE, executed per row."""
    qn = connection.ops.quote_name
    assignments = ", ".join(f"{qn(field.column)} = %s" for field in columns[1:])
    # Only quoted names of the model's own table and columns are formatted in; values are parameters.
    sql = f"UPDATE {table} SET {assignments} WHERE {qn(columns[0].column)} = %s"  # noqa: S608
    written = 0
    with connection.cursor() as cursor:
        for chunk in chunked(rows, BULK_CHUNK):
            cursor.executemany(
                sql,
                [
                    [
                        *(
                            field.get_db_prep_save(getattr(row, field.attname), connection)
                            for field in columns[1:]
                        ),
                        columns[0].get_db_prep_save(getattr(row, columns[0].attname), connection),
                    ]
                    for row in chunk
                ],
            )
            written += cursor.rowcount
    return written


def insert_combinations(template: models.Model, *, vary: Mapping[str, Sequence[Any]]) -> int:
    """Insert one row per combination of the `vary` values, every other field as in `template`.

    `template` is an unsaved row (its defaults, and `auto_now` fields, as `bulk_create` would
    write them); `vary` maps a field to its values, e.g. {"station": ids, "period": periods} gives
    one row per station and period. On PostgreSQL the database builds the rows (one INSERT … SELECT
    over the cross product of the arrays, BULK_CHUNK values of the first field at a time); elsewhere
    `bulk_create`. Returns how many rows were inserted.
    """
    model = type(template)
    meta = model._meta
    varying = {meta.get_field(name): list(values) for name, values in vary.items()}
    if connection.vendor != "postgresql":
        (_, first_values), *others = varying.items()
        common = {f.attname: getattr(template, f.attname) for f in meta.concrete_fields if f not in varying}
        written = 0
        for chunk in chunked(first_values, BULK_CHUNK):
            rows = [
                model(
                    **common, **{field.attname: value for field, value in zip(varying, values, strict=True)}
                )
                for values in product(chunk, *(values for _, values in others))
            ]
            written += len(model._default_manager.bulk_create(rows))
        return written
    fixed = [
        field
        for field in meta.concrete_fields
        if field not in varying and not (field.primary_key and getattr(template, field.attname) is None)
    ]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(field.column) for field in [*fixed, *varying])
    selected = ", ".join(
        [f"%s::{field.db_type(connection)}" for field in fixed] + [f"v{i}.value" for i in range(len(varying))]
    )
    sources = " CROSS JOIN ".join(
        f"unnest(%s::{field.db_type(connection)}[]) AS v{i}(value)" for i, field in enumerate(varying)
    )
    constants = [field.get_db_prep_save(field.pre_save(template, add=True), connection) for field in fixed]
    (_, first_values), *others = varying.items()
    written = 0
    with connection.cursor() as cursor:
        for chunk in chunked(first_values, BULK_CHUNK):
            arrays = [chunk, *(values for _, values in others)]
            # Only quoted names of the model's own table and columns are formatted in; values are parameters.
            cursor.execute(
                f"INSERT INTO {qn(meta.db_table)} ({columns}) SELECT {selected} FROM {sources}",  # noqa: S608
                [*constants, *arrays],
            )
            written += cursor.rowcount
    return written


def refusal_message(refusals: Sequence[str], *, what: str) -> str:
    """One message naming the first refused rows and how many there are; `what` reads "张评分表不能锁定"."""
    shown = "；".join(refusals[:NAMED_IN_MESSAGE])
    more = "……" if len(refusals) > NAMED_IN_MESSAGE else ""
    return f"{len(refusals)} {what}，未做任何更改：{shown}{more}。"


def transition_many(
    queryset: models.QuerySet,
    *,
    to: str,
    table: Mapping[str, set[str]],
    actor: models.Model | None,
    action: str,
    reason: str = "",
    field: str = "status",
    extra_fields: Mapping[str, object] | None = None,
    station: str | None = None,
    region: models.Model | None = None,
    load: Sequence[str] = (),
    check: Callable[[models.Model], str] | None = None,
    what: str = "条记录不能办理",
) -> int:
    """Move every row of `queryset` to `to`, all or none: `transition` for a whole set at once.

    Every row of the set is locked as it is listed (a single-row move made meanwhile either came
    first, and its row is no longer in the set, or waits and is then refused by the table); then,
    BULK_CHUNK rows at a time in id order, each is checked against `table` and by `check` (a
    refusal text, or ""), moved by one UPDATE per chunk and state with `extra_fields` (values or
    expressions alike, e.g. F("onsite_total")) and `updated_at`, and given the AuditEntry
    `transition` writes, in bulk. `station` names the rows' foreign key that places their audit rows (loaded with its
    region); `load` lists the fields `check` and `str(row)` read, so only those are read. Raises
    InvalidTransition naming the refused rows (nothing saved). Returns how many rows moved.
    """
    model = queryset.model
    label = dict(model._meta.get_field(field).choices or [])
    has_updated_at = any(f.name == "updated_at" for f in model._meta.fields)
    related = [f"{station}__region"] if station else []
    refusals: list[str] = []
    moved = 0
    with transaction.atomic():
        # Lock every row of the set before the first is moved: a row a single-row move changes
        # meanwhile is either not in the set or waits for this one (and is then refused by its table).
        pks = list(queryset.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True))
        for chunk in chunked(pks, BULK_CHUNK):
            rows = model._default_manager.select_for_update(of=("self",)).filter(pk__in=chunk).order_by("pk")
            if related:
                rows = rows.select_related(*related)
            if load:
                rows = rows.only(field, *load)
            by_state: dict[str, list[models.Model]] = {}
            for row in rows:
                current = getattr(row, field)
                if to not in table.get(current, set()):
                    refusals.append(f"“{row}”当前为“{label.get(current, current)}”")
                elif problem := (check(row) if check else ""):
                    refusals.append(f"“{row}”{problem}")
                else:
                    by_state.setdefault(current, []).append(row)
            if refusals:
                continue  # keep looking, to name every refused row; nothing more is written
            values = {field: to, **(extra_fields or {})}
            if has_updated_at:
                values.setdefault("updated_at", timezone.now())
            for current, group in by_state.items():
                changed = model._default_manager.filter(
                    pk__in=[row.pk for row in group], **{field: current}
                ).update(**values)
                if changed != len(group):  # cannot happen under the row locks; never write half a move
                    raise InvalidTransition(f"有记录在办理时被他人更改，未做任何更改，请重试。（{action}）")
            record_audit_many(
                audit_entry(
                    target=row,
                    actor=actor,
                    action=action,
                    from_state=current,
                    to_state=to,
                    reason=reason,
                    station=getattr(row, station) if station else None,
                    region=region,
                )
                for current, group in by_state.items()
                for row in group
            )
            moved += sum(len(group) for group in by_state.values())
        if refusals:
            raise InvalidTransition(refusal_message(refusals, what=what))
    return moved
