"""The entitlement ledger: the one row per amount the product may pay, and its moves.

The decisions (`assessment.engine.decision`) say what is due; the functions here write it down,
once: `entitlements_record_campaign` for a campaign's results, `entitlement_one_time_decide` for
a first recognition that no campaign decided, `entitlement_start_up_decide` for the start-up
grant. Claims (`subsidies`) are filed against these rows and move them: committed when a claim
goes on a payee notice, open again when that claim is refused or reopened, paid when paid.

A change to a committed or paid entitlement is refused (`EntitlementLocked`) with the stations
and the amounts, so a correction can never silently change money the public has seen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from assessment.engine.decision import UnitDecision, decide_one_time, decide_start_up
from assessment.models import Campaign, Entitlement, Policy
from assessment.scoring import compiled_policy
from assessment.services.policies import policy_freeze
from core.workflow import audit_entry, record_audit, record_audit_many, transition, update_rows
from stations.models import Station, User

E = Entitlement.Status
ENTITLEMENT_TRANSITIONS: dict[str, set[str]] = {
    E.OPEN: {E.COMMITTED},
    E.COMMITTED: {E.OPEN, E.PAID},
    E.PAID: set(),
}


class EntitlementRefused(ValidationError):
    """Nothing is due (no policy, not in the year, no level…); the message says why."""


class EntitlementLocked(ValidationError):
    """A correction would change an amount already on a payee notice, approved or paid."""


@dataclass(frozen=True, slots=True)
class _Due:
    kind: str
    amount: Decimal
    explanation: str


def entitlements_record_campaign(
    *, campaign: Campaign, decisions: dict[int, UnitDecision], actor: User
) -> dict[tuple[int, str], Entitlement]:
    """Write the campaign's decisions into the ledger; return its rows by (station id, kind).

    Call inside the transaction that holds the campaign's lock. New amounts are created, changed
    ones updated (each change leaves an audit row with the amounts before and after), unchanged
    ones kept, all in bulk. Raises EntitlementLocked, changing nothing, when any change would
    touch a committed or paid entitlement.
    """
    now = timezone.now()
    # The ledger rows alone: their stations are read only for the few rows a message or an audit
    # row names (and are not locked along with them).
    existing = {
        (row.station_id, row.kind): row
        for row in Entitlement.objects.select_for_update().filter(campaign=campaign)
    }
    due: dict[tuple[int, str], _Due] = {}
    for station_id, decision in decisions.items():
        grants = [decision.performance] + ([decision.one_time] if decision.one_time is not None else [])
        for grant in grants:
            due[(station_id, grant.kind)] = _Due(
                grant.kind, grant.amount, f"{campaign.name}：{grant.explanation}"
            )

    for key, row in existing.items():
        if key not in due and row.kind == Entitlement.Kind.ONE_TIME and row.status != E.OPEN:
            due[key] = _Due(row.kind, row.amount, row.explanation)  # locked by a claim: kept as it is
    locked = [
        (row, due[key].amount)
        for key, row in existing.items()
        if key in due and row.status != E.OPEN and row.amount != due[key].amount
    ]
    locked += [
        (row, Decimal("0.00"))
        for key, row in existing.items()
        if key not in due and row.status != E.OPEN and row.amount
    ]
    if locked:
        _with_stations([row for row, _ in locked[:10]])
        changes = "；".join(
            f"{row.station.code} {row.get_kind_display()} {row.amount} 元 → {amount} 元（{row.get_status_display()}）"
            for row, amount in locked[:10]
        )
        raise EntitlementLocked(
            f"重新计算会改变已列入补助对象公示、已批准或已拨付的金额：{changes}。"
            "请先在“补助申报”中将该站点的申报“撤回重审”（写明原因）；已拨付的金额不能再更正。"
        )

    to_create = []
    # (row, amount, explanation, why the amount changed or "" when only the explanation did)
    changed: list[tuple[Entitlement, Decimal, str, str]] = []
    for key, wanted in due.items():
        row = existing.get(key)
        if row is None:
            to_create.append(
                Entitlement(
                    station_id=key[0],
                    year=campaign.year,
                    kind=wanted.kind,
                    amount=wanted.amount,
                    policy_id=campaign.policy_id,
                    basis=(
                        Entitlement.Basis.CAMPAIGN_RESULT
                        if wanted.kind == Entitlement.Kind.PERFORMANCE
                        else Entitlement.Basis.FIRST_RECOGNITION
                    ),
                    campaign=campaign,
                    explanation=wanted.explanation,
                    decided_at=now,
                )
            )
        elif row.status == E.OPEN and (row.amount, row.explanation) != (wanted.amount, wanted.explanation):
            why = (
                f"考核批次 {campaign.code} 重新计算（评分更正或站点资料变更）"
                if row.amount != wanted.amount
                else ""
            )
            changed.append((row, wanted.amount, wanted.explanation, why))
    # A station's one-time amount decided by an earlier computation of this campaign and no longer
    # due (its recognition date was corrected) is set to 0, not deleted: a claim may point to it.
    for key, row in existing.items():
        if key not in due and row.amount:
            changed.append(
                (row, Decimal("0.00"), "重新计算后不再应享", f"考核批次 {campaign.code} 重新计算后不再应享")
            )

    audited = [(row, amount, why) for row, amount, _, why in changed if why]
    _with_stations([row for row, _, _ in audited])
    # Built before the rows change, so each names the entitlement with its amount before.
    audits = [
        audit_entry(
            target=row,
            actor=actor,
            action="entitlement.correct",
            station=row.station,
            reason=why,
            changes={"amount": [str(row.amount), str(amount)]},
        )
        for row, amount, why in audited
    ]
    for row, amount, explanation, _ in changed:
        row.amount, row.explanation, row.decided_at = amount, explanation, now
    Entitlement.objects.bulk_create(to_create, batch_size=2000)
    update_rows([row for row, *_ in changed], ["amount", "explanation", "decided_at"])
    record_audit_many(audits)
    rows = {(row.station_id, row.kind): row for row in to_create}
    rows.update(existing)
    return rows


def _with_stations(rows: list[Entitlement]) -> None:
    """Attach their stations (with regions) to a few ledger rows, in one query."""
    stations = Station.objects.select_related("region").in_bulk({row.station_id for row in rows})
    for row in rows:
        row.station = stations[row.station_id]


def one_time_decided_elsewhere(*, campaign: Campaign, station_ids: Iterable[int] | QuerySet) -> set[int]:
    """Stations whose one-time amount something other than this campaign decided (another campaign,
    or their recognition)."""
    decided = Entitlement.objects.filter(station_id__in=station_ids, kind=Entitlement.Kind.ONE_TIME).exclude(
        campaign=campaign
    )
    return set(decided.values_list("station_id", flat=True))


def one_time_kept(*, campaign: Campaign, station_ids: Iterable[int] | QuerySet) -> set[int]:
    """Stations whose one-time amount a recomputation of this campaign must not decide again.

    Those decided elsewhere, and those this campaign decided whose amount a claim has since locked
    (committed or paid): a correction of another station's sheet must not reopen them.
    """
    locked = Entitlement.objects.filter(
        campaign=campaign, station_id__in=station_ids, kind=Entitlement.Kind.ONE_TIME
    ).exclude(status=E.OPEN)
    return one_time_decided_elsewhere(campaign=campaign, station_ids=station_ids) | set(
        locked.values_list("station_id", flat=True)
    )


def policy_for_grant(*, station: Station, basis: str, year: int) -> Policy | None:
    """The policy that grants `station` a one-time amount on `basis` for `year`, newest first.

    Of each policy code, the newest frozen version counts (the one campaigns and claims already
    use); a draft being edited counts only while no version of its code is frozen.
    """
    candidates = (
        Policy.objects.select_related("region")
        .filter(one_time_basis=basis, year__lte=year)
        .order_by("-year", "-version")
    )
    chosen: dict[str, Policy] = {}
    for policy in candidates:
        if station.kind not in policy.kinds or not policy.region.contains(station.region):
            continue
        current = chosen.get(policy.code)
        if current is None or (policy.is_frozen and not current.is_frozen):
            chosen[policy.code] = policy
    ordered = sorted(chosen.values(), key=lambda p: (p.year, p.version), reverse=True)
    return ordered[0] if ordered else None


def _entitlement_create(
    *, station: Station, year: int, policy: Policy, basis: str, grant, actor: User | None
):
    entitlement = Entitlement.objects.create(
        station=station,
        year=year,
        kind=grant.kind,
        amount=grant.amount,
        policy=policy,
        basis=basis,
        explanation=f"{policy.name}：{grant.explanation}",
        decided_at=timezone.now(),
    )
    record_audit(
        target=entitlement,
        actor=actor,
        action="entitlement.grant",
        station=station,
        to_state=entitlement.status,
        reason=entitlement.explanation,
    )
    # The amount rests on this policy: from now on it changes only by a new version.
    policy_freeze(policy=policy, actor=actor, reason=f"应享补助 {entitlement} 使用")
    return entitlement


def entitlement_one_time_decide(*, station: Station, actor: User | None) -> Entitlement:
    """The station's one-time entitlement: the one already decided, or decided now, once.

    A station recognised in the product (or whose recognition year no campaign covered) has it
    decided on its recognition day: the policy's amount for its kind, or 0 while a purchase-of-
    services contract runs that day. Raises EntitlementRefused when no policy pays one.
    """
    with transaction.atomic():
        Station.objects.select_for_update().filter(pk=station.pk).first()
        existing = Entitlement.objects.filter(station=station, kind=Entitlement.Kind.ONE_TIME).first()
        if existing is not None:
            return existing
        if station.recognized_on is None:
            raise EntitlementRefused("一次性运营补助依据首次认定；本站没有登记认定日期。")
        policy = policy_for_grant(station=station, basis="first_recognition", year=station.recognized_on.year)
        if policy is None:
            raise EntitlementRefused(f"没有适用于本站（{station.get_kind_display()}）的一次性运营补助政策。")
        spec, _ = compiled_policy(policy)
        grant = decide_one_time(
            spec,
            kind=station.kind,
            recognized_on=station.recognized_on,
            decided_on=station.recognized_on,
            purchase_contract=station.purchase_contract,
        )
        if grant is None:
            raise EntitlementRefused(f"政策“{policy}”没有为{station.get_kind_display()}规定一次性运营补助。")
        return _entitlement_create(
            station=station,
            year=station.recognized_on.year,
            policy=policy,
            basis=Entitlement.Basis.FIRST_RECOGNITION,
            grant=grant,
            actor=actor,
        )


def entitlement_start_up_decide(*, station: Station, year: int, actor: User | None) -> Entitlement:
    """The start-up entitlement of a unit chosen at the start of `year` (it has a recognition level).

    Decided once per station and year; raises EntitlementRefused when no policy of that year pays
    one for the station's kind, or the station has no level.
    """
    with transaction.atomic():
        Station.objects.select_for_update().filter(pk=station.pk).first()
        existing = Entitlement.objects.filter(
            station=station, kind=Entitlement.Kind.START_UP, year=year
        ).first()
        if existing is not None:
            return existing
        policy = policy_for_grant(station=station, basis="start_up", year=year)
        if policy is None or policy.year != year:
            raise EntitlementRefused(f"{year} 年没有适用的启动资金政策。")
        spec, _ = compiled_policy(policy)
        grant = decide_start_up(spec, kind=station.kind, level=station.recognition_level or None, year=year)
        if grant is None:
            raise EntitlementRefused("启动资金只发给年初确定的建设单位（须有认定级别）。")
        return _entitlement_create(
            station=station,
            year=year,
            policy=policy,
            basis=Entitlement.Basis.START_UP_SELECTION,
            grant=grant,
            actor=actor,
        )


def _entitlement_move(
    entitlement: Entitlement, *, to: str, action: str, actor: User, reason: str
) -> Entitlement:
    return transition(
        entitlement,
        to=to,
        table=ENTITLEMENT_TRANSITIONS,
        actor=actor,
        action=action,
        reason=reason,
        station=entitlement.station,
    )


def entitlement_commit(*, entitlement: Entitlement, actor: User, reason: str) -> Entitlement:
    """Lock the amount: a claim on it went on a payee notice (the public sees the amount)."""
    return _entitlement_move(
        entitlement, to=E.COMMITTED, action="entitlement.commit", actor=actor, reason=reason
    )


def entitlement_release(*, entitlement: Entitlement, actor: User, reason: str) -> Entitlement:
    """Unlock the amount: the claim on it was refused or reopened for a new review (with a reason)."""
    return _entitlement_move(entitlement, to=E.OPEN, action="entitlement.release", actor=actor, reason=reason)


def entitlement_mark_paid(*, entitlement: Entitlement, actor: User, reason: str) -> Entitlement:
    """The amount was paid: it can never change again."""
    return _entitlement_move(entitlement, to=E.PAID, action="entitlement.paid", actor=actor, reason=reason)
