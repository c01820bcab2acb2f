"""Rectification orders （整改）： issue, respond, verify; a lapsed order may lead to revocation."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assessment.models import Campaign, RectificationOrder
from core.models import AuditEntry
from core.notify import notify_after_commit
from core.permissions import Forbidden, is_superuser, may_manage, operates, require
from core.workflow import Move, record_audit, transition
from stations.models import Station, User
from stations.services import station_status_change

RECTIFICATION_TRANSITIONS: dict[str, set[str]] = {
    RectificationOrder.Status.ISSUED: {
        RectificationOrder.Status.RESPONDED,
        RectificationOrder.Status.REVOCATION_PROPOSED,
    },
    # Verification either accepts the answer or sends the order back to be done again.
    RectificationOrder.Status.RESPONDED: {
        RectificationOrder.Status.VERIFIED,
        RectificationOrder.Status.ISSUED,
    },
    RectificationOrder.Status.REVOCATION_PROPOSED: {
        RectificationOrder.Status.REVOKED,
        RectificationOrder.Status.ISSUED,
    },
    RectificationOrder.Status.VERIFIED: set(),
    RectificationOrder.Status.REVOKED: set(),
}


def _manages(order: RectificationOrder, actor: User | None) -> bool:
    return may_manage(actor, order.station.region)


RECTIFICATION_MOVES = (
    Move(
        "respond",
        "提交整改情况",
        to=RectificationOrder.Status.RESPONDED,
        allowed=lambda order, actor: operates(actor, order.station),
    ),
    Move(
        "verify",
        "核实整改",
        to={RectificationOrder.Status.VERIFIED, RectificationOrder.Status.ISSUED},
        at=RectificationOrder.Status.RESPONDED,
        allowed=_manages,
    ),
    Move("propose", "提请撤销资格", to=RectificationOrder.Status.REVOCATION_PROPOSED, allowed=_manages),
    Move(
        "decide",
        "审批撤销资格",
        to={RectificationOrder.Status.REVOKED, RectificationOrder.Status.ISSUED},
        at=RectificationOrder.Status.REVOCATION_PROPOSED,
        allowed=_manages,
    ),
)

OPEN_STATUSES = {
    RectificationOrder.Status.ISSUED,
    RectificationOrder.Status.RESPONDED,
    RectificationOrder.Status.REVOCATION_PROPOSED,
}


def _require_bureau_for(actor: User, station: Station) -> None:
    require(may_manage(actor, station.region), "只有站点所在区域的人社局工作人员可以办理整改事项。")


def deadline_refusal(deadline: datetime.date | None, *, what: str = "整改期限") -> str | None:
    """Why `deadline` cannot be a rectification deadline, or None when it can.

    The one rule every form that sets a deadline checks before anything is saved (the admin's
    issue form, the verify and revocation forms) and every service checks again: the station
    needs at least one whole day, so the earliest deadline is tomorrow (China time).
    """
    today = timezone.localdate()
    if deadline is None:
        return f"请填写{what}。"
    if deadline <= today:
        return (
            f"{what}必须晚于今天（{today:%Y年%m月%d日}），"
            f"最早为 {today + datetime.timedelta(days=1):%Y年%m月%d日}。"
        )
    return None


def revocation_opens_on(order: RectificationOrder) -> datetime.date:
    """The first day a lapsed order may be proposed for revocation: the day after its deadline."""
    return order.deadline + datetime.timedelta(days=1)


def revocation_note(order: RectificationOrder) -> str:
    """What the order's page says about revocation, in words a clerk acts on."""
    if order.status != RectificationOrder.Status.ISSUED:
        return ""
    opens = revocation_opens_on(order)
    if timezone.localdate() < opens:
        return (
            f"整改期限 {order.deadline:%Y年%m月%d日} 尚未届满：自 {opens:%Y年%m月%d日} 起，"
            "站点仍未提交整改情况的，可以提请撤销资格（须由另一位工作人员审批）。"
        )
    return (
        f"整改期限 {order.deadline:%Y年%m月%d日} 已过，站点未提交整改情况：可以提请撤销资格"
        "（须由另一位工作人员审批），或在审批时不予撤销并给出新的期限。"
    )


def rectification_issue(
    *, station: Station, actor: User, problems: str, deadline: datetime.date, campaign: Campaign | None = None
) -> RectificationOrder:
    """Order a station to rectify the problems found, by `deadline`; the station becomes "rectifying"."""
    _require_bureau_for(actor, station)
    if not problems.strip():
        raise ValidationError("请写明需要整改的问题。")
    if refusal := deadline_refusal(deadline):
        raise ValidationError(refusal)
    with transaction.atomic():
        order = RectificationOrder.objects.create(
            station=station, campaign=campaign, problems=problems.strip(), deadline=deadline, issued_by=actor
        )
        record_audit(
            target=order, actor=actor, action="rectification.issue", station=station, to_state=order.status
        )
        if station.status == Station.Status.ACTIVE:
            station_status_change(
                station=station,
                to=Station.Status.RECTIFYING,
                actor=actor,
                reason=f"下达整改通知：{order.problems[:100]}",
            )
        notify_after_commit(
            recipients=station.operators.all(),
            subject=f"整改通知：{station.name}",
            body=f"请于 {deadline:%Y年%m月%d日} 前完成整改，并在站点门户提交整改情况和佐证材料。\n问题：{order.problems}",
        )
    return order


def rectification_respond(*, order: RectificationOrder, actor: User, response: str) -> RectificationOrder:
    """The station's operator reports what was done, before the deadline."""
    require(operates(actor, order.station), "只有本站点的运营人员可以提交整改情况。")
    if not response.strip():
        raise ValidationError("请填写整改情况。")
    if timezone.localdate() > order.deadline:
        raise ValidationError(
            f"整改期限 {order.deadline:%Y年%m月%d日} 已过，不能再提交。请联系县公共就业和人才服务中心。"
        )
    return transition(
        order,
        to=RectificationOrder.Status.RESPONDED,
        table=RECTIFICATION_TRANSITIONS,
        actor=actor,
        action="rectification.respond",
        station=order.station,
        extra_fields={"response": response.strip(), "responded_at": timezone.now()},
    )


def _require_response_open(order: RectificationOrder, actor: User) -> None:
    require(operates(actor, order.station), "只有本站点的运营人员可以提交整改材料。")
    if order.status != RectificationOrder.Status.ISSUED:
        raise ValidationError(f"整改通知当前为“{order.get_status_display()}”，不能再上传材料。")
    if timezone.localdate() > order.deadline:
        raise ValidationError(f"整改期限 {order.deadline:%Y年%m月%d日} 已过，不能再上传材料。")


def rectification_evidence_add(*, order: RectificationOrder, actor: User, uploaded, kind: str):
    """Attach a file to the operator's rectification answer (before it is submitted, before the deadline)."""
    from assessment.services.evidence import evidence_store

    _require_response_open(order, actor)
    return evidence_store(
        uploaded=uploaded,
        actor=actor,
        kind=kind,
        owner=order,
        station=order.station,
        action="rectification.evidence_add",
        rectification=order,
    )


def rectification_verify(
    *,
    order: RectificationOrder,
    actor: User,
    accepted: bool,
    note: str,
    new_deadline: datetime.date | None = None,
) -> RectificationOrder:
    """Staff check the answer: accepted closes the order (the station is active again when no other
    order is open); refused sends it back with a note and a new deadline."""
    _require_bureau_for(actor, order.station)
    if not note.strip():
        raise ValidationError("请填写核实意见。")
    with transaction.atomic():
        if accepted:
            transition(
                order,
                to=RectificationOrder.Status.VERIFIED,
                table=RECTIFICATION_TRANSITIONS,
                actor=actor,
                action="rectification.verify",
                reason=note.strip(),
                station=order.station,
                extra_fields={"verification_note": note.strip()},
            )
            still_open = order.station.rectification_orders.filter(status__in=OPEN_STATUSES).exists()
            station = Station.objects.get(pk=order.station_id)
            if not still_open and station.status == Station.Status.RECTIFYING:
                station_status_change(
                    station=station, to=Station.Status.ACTIVE, actor=actor, reason="整改已核实"
                )
        else:
            if refusal := deadline_refusal(new_deadline, what="退回重新整改的新期限"):
                raise ValidationError(refusal)
            transition(
                order,
                to=RectificationOrder.Status.ISSUED,
                table=RECTIFICATION_TRANSITIONS,
                actor=actor,
                action="rectification.return",
                reason=note.strip(),
                station=order.station,
                extra_fields={"verification_note": note.strip(), "deadline": new_deadline},
            )
            notify_after_commit(
                recipients=order.station.operators.all(),
                subject=f"整改未通过核实：{order.station.name}",
                body=f"核实意见：{note.strip()}\n请于 {new_deadline:%Y年%m月%d日} 前重新整改。",
            )
    return order


def rectification_propose_revocation(
    *, order: RectificationOrder, actor: User, reason: str
) -> RectificationOrder:
    """Propose revoking the station's qualification because the order lapsed (deadline passed, no answer)."""
    _require_bureau_for(actor, order.station)
    if timezone.localdate() < revocation_opens_on(order):
        raise ValidationError(
            f"整改期限 {order.deadline:%Y年%m月%d日} 尚未届满，"
            f"自 {revocation_opens_on(order):%Y年%m月%d日} 起才能提请撤销资格。"
        )
    if not reason.strip():
        raise ValidationError("请写明提请撤销资格的理由。")
    return transition(
        order,
        to=RectificationOrder.Status.REVOCATION_PROPOSED,
        table=RECTIFICATION_TRANSITIONS,
        actor=actor,
        action="rectification.propose_revocation",
        reason=reason.strip(),
        station=order.station,
    )


def rectification_decide_revocation(
    *,
    order: RectificationOrder,
    actor: User,
    approve: bool,
    reason: str,
    new_deadline: datetime.date | None = None,
) -> RectificationOrder:
    """Approve the proposal (the station is revoked) or decline it (a new deadline).

    The approver must not be the person who proposed it: a revocation needs two people.
    """
    from django.contrib.contenttypes.models import ContentType

    _require_bureau_for(actor, order.station)
    if not reason.strip():
        raise ValidationError("请写明审批意见。")
    proposer = (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(RectificationOrder),
            object_id=str(order.pk),
            action="rectification.propose_revocation",
        )
        .order_by("-at", "-id")
        .values_list("actor_id", flat=True)
        .first()
    )
    if approve and proposer == actor.pk and not is_superuser(actor):
        raise Forbidden("提请人不能审批自己的撤销提议，请由另一位工作人员审批。")
    with transaction.atomic():
        if approve:
            transition(
                order,
                to=RectificationOrder.Status.REVOKED,
                table=RECTIFICATION_TRANSITIONS,
                actor=actor,
                action="rectification.revoke",
                reason=reason.strip(),
                station=order.station,
            )
            station = Station.objects.get(pk=order.station_id)
            station_status_change(
                station=station,
                to=Station.Status.REVOKED,
                actor=actor,
                reason=f"逾期未整改，撤销资格：{reason.strip()}",
            )
        else:
            if refusal := deadline_refusal(new_deadline, what="不予撤销时的新整改期限"):
                raise ValidationError(refusal)
            transition(
                order,
                to=RectificationOrder.Status.ISSUED,
                table=RECTIFICATION_TRANSITIONS,
                actor=actor,
                action="rectification.revocation_declined",
                reason=reason.strip(),
                station=order.station,
                extra_fields={"deadline": new_deadline},
            )
    return order
