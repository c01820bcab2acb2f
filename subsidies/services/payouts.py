"""Approval against a fund's budget, and the payment: the approved amount, once, with its voucher."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from assessment.models import Entitlement
from assessment.services.entitlements import entitlement_mark_paid
from core.notify import notify_after_commit
from core.permissions import Forbidden
from core.workflow import transition
from stations.models import Station, User
from subsidies.models import Fund, Payout, SubsidyClaim
from subsidies.services.claims import CLAIM_TRANSITIONS, require_bureau_for_claims

S = SubsidyClaim.Status


def fund_remaining(fund: Fund) -> Decimal:
    """The budget less every approved or paid amount drawn on it."""
    used = fund.claims.filter(status__in=[S.APPROVED, S.PAID]).aggregate(total=Sum("approved_amount"))[
        "total"
    ]
    return fund.budget - (used or Decimal(0))


def claim_approve(*, claim: SubsidyClaim, actor: User, fund: Fund) -> SubsidyClaim:
    """Approve after the payee notice ended: the amount is recomputed and snapshot, drawn on `fund`.

    Refused while the notice runs, for a fund of another region or year, and when the fund's
    remaining budget is short (the message gives the figures). The fund row is locked, so two
    approvals at once cannot both spend the same remainder.
    """
    require_bureau_for_claims(actor, claim.station)
    if claim.notice is None or timezone.now() < claim.notice.ends_at:
        ends = timezone.localtime(claim.notice.ends_at).strftime("%Y-%m-%d %H:%M") if claim.notice else "—"
        raise ValidationError(f"补助对象公示期至 {ends} 结束，期满后才能批准。")
    if fund.year != claim.year or not fund.region.contains(claim.station.region):
        raise ValidationError(f"资金“{fund}”不是本站所在区域 {claim.year} 年度的资金。")
    from subsidies.selectors import fund_list

    if not fund_list(actor=actor).filter(pk=fund.pk).exists():
        raise Forbidden(f"资金“{fund}”不在您的管理范围内，请由其所属区域的工作人员批准。")
    if Station.objects.filter(pk=claim.station_id, status=Station.Status.REVOKED).exists():
        raise ValidationError("站点资格已撤销，不能批准补助；请将该申报不予补助。")
    entitlement = Entitlement.objects.get(pk=claim.entitlement_id)
    amount, why = entitlement.amount, entitlement.explanation
    if amount != claim.amount or entitlement.status != Entitlement.Status.COMMITTED:
        # Cannot happen through the services (a committed entitlement does not change); a guard
        # against rows changed by hand: the public saw the noticed amount.
        raise ValidationError(
            f"应补助金额已由公示时的 {claim.amount:,.2f} 元变为 {amount:,.2f} 元（{why}），"
            "请将申报撤回重审并重新公示。"
        )
    with transaction.atomic():
        locked_fund = Fund.objects.select_for_update().get(pk=fund.pk)
        remaining = fund_remaining(locked_fund)
        if amount > remaining:
            used = locked_fund.budget - remaining
            raise ValidationError(
                f"预算不足：资金“{locked_fund}”预算 {locked_fund.budget:,.2f} 元，已批准 {used:,.2f} 元，"
                f"剩余 {remaining:,.2f} 元，本笔 {amount:,.2f} 元。"
            )
        transition(
            claim,
            to=S.APPROVED,
            table=CLAIM_TRANSITIONS,
            actor=actor,
            action="claim.approve",
            reason=f"批准 {amount} 元，列支“{locked_fund}”",
            station=claim.station,
            extra_fields={
                "approved_amount": amount,
                "fund": locked_fund,
                "approved_at": timezone.now(),
                "approved_by": actor,
                "explanation": why,
            },
        )
    return claim


def claim_pay(*, claim: SubsidyClaim, actor: User, paid_on: datetime.date, voucher_number: str) -> Payout:
    """Record the payment of an approved claim: the approved amount, to the claim's account, once.

    Refused (ValidationError) without a voucher number, for a date after today or before the
    approval, and for a voucher number already used; a second payment of the same claim, even at
    the same moment, is an InvalidTransition (the claim row is locked). Nothing is saved then.
    """
    require_bureau_for_claims(actor, claim.station)
    voucher_number = voucher_number.strip()
    if not voucher_number:
        raise ValidationError("请填写凭证号。")
    if paid_on > timezone.localdate():
        raise ValidationError("拨付日期不能晚于今天。")
    # Read from the row: the caller's copy may predate the approval. It never changes once set.
    approved_at = SubsidyClaim.objects.filter(pk=claim.pk).values_list("approved_at", flat=True).first()
    if approved_at is not None and paid_on < timezone.localdate(approved_at):
        raise ValidationError(f"拨付日期 {paid_on} 早于批准日期 {timezone.localdate(approved_at)}，请核对。")
    try:
        with transaction.atomic():
            transition(
                claim,
                to=S.PAID,
                table=CLAIM_TRANSITIONS,
                actor=actor,
                action="claim.pay",
                reason=f"凭证 {voucher_number}",
                station=claim.station,
            )
            locked = SubsidyClaim.objects.select_related("entitlement").get(pk=claim.pk)
            entitlement_mark_paid(
                entitlement=locked.entitlement,
                actor=actor,
                reason=f"申报 {locked} 拨付，凭证 {voucher_number}",
            )
            payout = Payout.objects.create(
                claim=locked,
                paid_on=paid_on,
                amount=locked.approved_amount,
                account=locked.payee_account,
                voucher_number=voucher_number,
                recorded_by=actor,
            )
            notify_after_commit(
                recipients=claim.station.operators.all(),
                subject=f"补助已拨付：{claim}",
                body=f"{locked.approved_amount} 元已于 {paid_on} 拨付至尾号 {locked.payee_account[-4:]} 的账户。",
            )
    except IntegrityError:
        raise ValidationError(f"凭证号 {voucher_number} 已被使用，请核对。") from None
    return payout
