"""A claim's life: filed against an entitlement, papers and account, submit, review, refuse, reopen.

A claim carries the amount of its entitlement (`assessment.models.Entitlement`), refreshed from
that row at submission, at review and when it goes on the payee notice; once on the notice the
entitlement is committed and a correction can no longer change it. Every move goes through
`core.workflow.transition`.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from assessment.models import Campaign, Entitlement
from assessment.services.entitlements import (
    EntitlementRefused,
    entitlement_one_time_decide,
    entitlement_release,
    entitlement_start_up_decide,
)
from core.notify import notify_after_commit
from core.permissions import may_manage, operates, require
from core.workflow import Move, record_audit, transition
from stations.models import Station, User
from stations.selectors import bureau_staff_for
from subsidies.models import ClaimKind, ClaimMaterial, PlacementRoster, SubsidyClaim
from subsidies.rules import MATERIALS, ROSTER_REQUIREMENT, requirement_label

S = SubsidyClaim.Status
CLAIM_TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.SUBMITTED},
    S.SUBMITTED: {S.REVIEWED, S.RETURNED, S.REJECTED},
    S.RETURNED: {S.SUBMITTED},
    S.REVIEWED: {S.NOTICED, S.REJECTED},
    # Back to "submitted" is the recorded reopening that lets a correction change the amount.
    S.NOTICED: {S.APPROVED, S.REJECTED, S.SUBMITTED},
    S.APPROVED: {S.PAID, S.SUBMITTED},
    S.REJECTED: set(),
    S.PAID: set(),
}
EDITABLE = {S.DRAFT, S.RETURNED}


def _handles_claims(claim: SubsidyClaim, actor: User | None) -> bool:
    return may_manage(actor, claim.station.region)


# Several moves reach "submitted" and "rejected": `at` says which one starts where.
CLAIM_MOVES = (
    Move(
        "submit",
        "提交申报",
        to=S.SUBMITTED,
        at=EDITABLE,
        allowed=lambda claim, actor: operates(actor, claim.station),
    ),
    Move("review", "审核", to={S.REVIEWED, S.RETURNED, S.REJECTED}, at=S.SUBMITTED, allowed=_handles_claims),
    Move("notice", "列入补助对象公示", to=S.NOTICED, allowed=_handles_claims),
    Move("reject", "不予补助", to=S.REJECTED, at={S.REVIEWED, S.NOTICED}, allowed=_handles_claims),
    Move("approve", "批准", to=S.APPROVED, allowed=_handles_claims),
    Move("reopen", "撤回重审", to=S.SUBMITTED, at={S.NOTICED, S.APPROVED}, allowed=_handles_claims),
    Move("pay", "登记拨付", to=S.PAID, allowed=_handles_claims),
)


class ClaimRefused(ValidationError):
    """The station may not claim this (not eligible, no amount, already claimed); the message says why."""


def require_bureau_for_claims(actor: User, station: Station) -> None:
    require(
        may_manage(actor, station.region),
        "只有站点所在区域的人社局工作人员可以办理补助审核、公示、批准和拨付。",
    )


def claim_entitlement(*, station: Station, kind: str, year: int, actor: User | None) -> Entitlement:
    """The entitlement a new claim of `kind` for `year` is filed against, or ClaimRefused saying why not.

    performance: the one the station's published campaign of that year granted (final results
    only). one_time: the station's first-recognition entitlement, decided now if nothing decided
    it yet. start_up: the start-up entitlement of that year, likewise. An amount of 0 is refused
    with the entitlement's own explanation.
    """
    if station.status == Station.Status.REVOKED:
        raise ClaimRefused("站点资格已撤销，不能申报补助。")
    try:
        if kind == ClaimKind.PERFORMANCE:
            granted = list(
                Entitlement.objects.select_related("campaign", "policy").filter(
                    station=station,
                    kind=Entitlement.Kind.PERFORMANCE,
                    year=year,
                    campaign__status=Campaign.Status.PUBLISHED,
                )
            )
            if len(granted) > 1:
                raise ClaimRefused(
                    f"本站 {year} 年度有多个已通报的考核结果，请联系人社局确定依据哪一批次申报。"
                )
            if not granted:
                raise ClaimRefused(f"{year} 年度没有已通报的考核结果，结果通报后才能申报年度绩效补助。")
            entitlement = granted[0]
        elif kind == ClaimKind.ONE_TIME:
            entitlement = _one_time_entitlement(station=station, year=year, actor=actor)
        elif kind == ClaimKind.START_UP:
            entitlement = entitlement_start_up_decide(station=station, year=year, actor=actor)
        else:
            raise ClaimRefused("未知的补助类型。")
    except EntitlementRefused as exc:
        raise ClaimRefused(exc.messages[0]) from None
    if entitlement.amount <= 0:
        if kind == ClaimKind.PERFORMANCE:
            raise ClaimRefused(f"按 {year} 年度考核结果，本站没有年度补助：{entitlement.explanation}")
        raise ClaimRefused(f"本站没有{ClaimKind(kind).label}：{entitlement.explanation}")
    return entitlement


def _one_time_entitlement(*, station: Station, year: int, actor: User | None) -> Entitlement:
    """The one-time entitlement a claim for `year` rests on (002: decided once, by first recognition).

    A station taking part in a campaign of its recognition year has it decided by that campaign
    (on the assessment day, shown on its public notice), so the claim waits for the published
    result; any other has it decided by its recognition (`entitlement_one_time_decide`).
    """
    live = SubsidyClaim.objects.filter(station=station, kind=ClaimKind.ONE_TIME).exclude(status=S.REJECTED)
    if live.exists():
        raise ClaimRefused("一次性运营补助每个站点只能申报一次，本站已申报过。")
    if station.recognized_on is None:
        raise ClaimRefused("一次性运营补助在首次认定当年申报；本站认定日期为 未登记。")
    entitlement = Entitlement.objects.filter(station=station, kind=Entitlement.Kind.ONE_TIME).first()
    deciding_campaign = (
        Campaign.objects.filter(
            entries__station=station,
            year=station.recognized_on.year,
            policy__one_time_basis="first_recognition",
        )
        .order_by("assessed_on")
        .first()
    )
    if entitlement is None and deciding_campaign is None:
        # Decided now, by the recognition; inside the claim's transaction, so a refusal keeps nothing.
        entitlement = entitlement_one_time_decide(station=station, actor=actor)
    campaign = entitlement.campaign if entitlement is not None else deciding_campaign
    if campaign is not None and campaign.status != Campaign.Status.PUBLISHED:
        raise ClaimRefused(
            f"本站的一次性运营补助由“{campaign.name}”确定，结果通报后才能申报（现为“{campaign.get_status_display()}”）。"
        )
    if entitlement is None:
        raise ClaimRefused(f"按“{campaign.name}”的结果，本站没有一次性运营补助。")
    if entitlement.year != year:
        raise ClaimRefused(
            f"一次性运营补助在首次认定当年申报；本站认定日期为 {station.recognized_on}，"
            f"一次性运营补助依据 {entitlement.year} 年的首次认定。"
        )
    return entitlement


def claim_create(*, station: Station, kind: str, year: int, actor: User) -> SubsidyClaim:
    """Start a claim against the station's entitlement; it carries that entitlement's amount."""
    require(
        operates(actor, station) or may_manage(actor, station.region),
        "只有本站点的运营人员或所在区域的人社局工作人员可以申报。",
    )
    try:
        with transaction.atomic():
            # One transaction with the decision: a refused claim leaves no entitlement behind.
            entitlement = claim_entitlement(station=station, kind=kind, year=year, actor=actor)
            claim = SubsidyClaim.objects.create(
                station=station,
                kind=kind,
                year=year,
                entitlement=entitlement,
                campaign=entitlement.campaign,
                policy=entitlement.policy,
                amount=entitlement.amount,
                explanation=entitlement.explanation,
                payee_name=station.operator_organisation,
                created_by=actor,
            )
            record_audit(
                target=claim, actor=actor, action="claim.create", station=station, to_state=claim.status
            )
    except IntegrityError:
        # The database's own constraint: one claim per station, kind and year (and one one-time claim ever).
        raise ClaimRefused(f"本站 {year} 年度的{ClaimKind(kind).label}已经申报过，不能重复申报。") from None
    return claim


def claim_amount_refresh(claim: SubsidyClaim) -> Entitlement:
    """Copy the entitlement's amount onto the claim (a correction may have changed it); refuse 0.

    Call inside a transaction; the claim and then the entitlement row are locked until it ends
    (claim before entitlement, the order every move here takes, so two moves cannot deadlock).
    """
    SubsidyClaim.objects.select_for_update().filter(pk=claim.pk).first()
    entitlement = Entitlement.objects.select_for_update().get(pk=claim.entitlement_id)
    if entitlement.amount <= 0:
        raise ClaimRefused(f"更正后本站没有{claim.get_kind_display()}：{entitlement.explanation}")
    if (claim.amount, claim.explanation) != (entitlement.amount, entitlement.explanation):
        SubsidyClaim.objects.filter(pk=claim.pk).update(
            amount=entitlement.amount, explanation=entitlement.explanation
        )
        claim.amount, claim.explanation = entitlement.amount, entitlement.explanation
    return entitlement


def _require_editable(claim: SubsidyClaim, actor: User) -> None:
    require(
        operates(actor, claim.station) or may_manage(actor, claim.station.region),
        "只有本站点的运营人员可以修改申报。",
    )
    if claim.status not in EDITABLE:
        raise ValidationError(f"申报当前为“{claim.get_status_display()}”，不能再修改。")


def claim_payee_update(
    *, claim: SubsidyClaim, actor: User, name: str, bank: str, account: str
) -> SubsidyClaim:
    """Record the account the money goes to (the station's operator organisation's account)."""
    _require_editable(claim, actor)
    account = account.replace(" ", "")
    if not account.isdigit() or not 8 <= len(account) <= 32:
        raise ValidationError({"payee_account": "银行账号应为 8 到 32 位数字。"})
    if not name.strip() or not bank.strip():
        raise ValidationError("请填写收款单位和开户银行。")
    with transaction.atomic():
        SubsidyClaim.objects.filter(pk=claim.pk).update(
            payee_name=name.strip(), payee_bank=bank.strip(), payee_account=account
        )
        record_audit(
            target=claim,
            actor=actor,
            action="claim.payee",
            station=claim.station,
            changes={"银行账号": f"****{account[-4:]}"},
        )
    claim.payee_name, claim.payee_bank, claim.payee_account = name.strip(), bank.strip(), account
    return claim


def claim_material_add(*, claim: SubsidyClaim, actor: User, requirement: str, uploaded) -> ClaimMaterial:
    """Attach a required paper, checked by its content and stored under a random name."""
    from core.uploads import stored_upload

    _require_editable(claim, actor)
    codes = [code for code, _ in MATERIALS[claim.kind] if code != ROSTER_REQUIREMENT]
    if requirement not in codes:
        raise ValidationError("请选择本类补助要求的材料。")
    with stored_upload(uploaded, prefix="claims") as upload, transaction.atomic():
        material = ClaimMaterial.objects.create(
            claim=claim,
            requirement=requirement,
            file=upload.name,
            original_name=upload.display_name,
            content_type=upload.check.content_type,
            size=upload.check.size,
            sha256=upload.check.sha256,
            uploaded_by=actor,
        )
        record_audit(
            target=claim,
            actor=actor,
            action="claim.material_add",
            station=claim.station,
            reason=f"{requirement_label(claim.kind, requirement)}：{material.original_name}",
        )
    return material


def missing_materials(claim: SubsidyClaim) -> list[str]:
    """Labels of the required materials not yet there (the roster counts when imported with rows)."""
    have = set(claim.materials.values_list("requirement", flat=True))
    missing = []
    for code, label in MATERIALS[claim.kind]:
        if code == ROSTER_REQUIREMENT:
            if not PlacementRoster.objects.filter(
                station=claim.station, year=claim.year, row_count__gt=0
            ).exists():
                missing.append(label)
        elif code not in have:
            missing.append(label)
    return missing


def claim_submit(*, claim: SubsidyClaim, actor: User) -> SubsidyClaim:
    """Submit the claim: every required paper there, the account given, the amount as entitled now."""
    _require_editable(claim, actor)
    missing = missing_materials(claim)
    if missing:
        raise ValidationError(f"还缺少以下材料，不能提交：{'、'.join(missing)}。")
    if not (claim.payee_name and claim.payee_bank and claim.payee_account):
        raise ValidationError("请先填写收款单位、开户银行和银行账号。")
    with transaction.atomic():
        claim_amount_refresh(claim)
        transition(
            claim,
            to=S.SUBMITTED,
            table=CLAIM_TRANSITIONS,
            actor=actor,
            action="claim.submit",
            station=claim.station,
            extra_fields={"submitted_at": timezone.now()},
        )
        notify_after_commit(
            recipients=bureau_staff_for(claim.station.region),
            subject=f"补助申报待审核：{claim}",
            body=f"{claim.station.name}提交了{claim.get_kind_display()}申报，金额 {claim.amount} 元。",
        )
    return claim


def claim_review(*, claim: SubsidyClaim, actor: User, decision: str, note: str) -> SubsidyClaim:
    """Review a submitted claim: pass it on to the payee notice, return it for changes, or reject it.

    Passing refreshes the amount from the entitlement (a correction may have changed it since).
    """
    require_bureau_for_claims(actor, claim.station)
    targets = {"pass": S.REVIEWED, "return": S.RETURNED, "reject": S.REJECTED}
    if decision not in targets:
        raise ValidationError("请选择审核结论。")
    if decision != "pass" and not note.strip():
        raise ValidationError("退回或不予补助时，请写明原因。")
    with transaction.atomic():
        if decision == "pass":
            claim_amount_refresh(claim)
        transition(
            claim,
            to=targets[decision],
            table=CLAIM_TRANSITIONS,
            actor=actor,
            action=f"claim.review.{decision}",
            reason=note.strip(),
            station=claim.station,
            extra_fields={"review_note": note.strip()},
        )
        if decision != "pass":
            notify_after_commit(
                recipients=claim.station.operators.all(),
                subject=f"补助申报{'退回修改' if decision == 'return' else '不予补助'}：{claim}",
                body=f"审核意见：{note.strip()}",
            )
    return claim


def claim_reject(*, claim: SubsidyClaim, actor: User, note: str) -> SubsidyClaim:
    """Refuse a claim already reviewed or on the payee notice (e.g. after an objection to the notice).

    A claim on the notice had committed its entitlement: refusing it opens the entitlement again.
    """
    require_bureau_for_claims(actor, claim.station)
    if not note.strip():
        raise ValidationError("不予补助时，请写明原因。")
    with transaction.atomic():
        was = SubsidyClaim.objects.select_for_update().values_list("status", flat=True).get(pk=claim.pk)
        transition(
            claim,
            to=S.REJECTED,
            table=CLAIM_TRANSITIONS,
            actor=actor,
            action="claim.reject",
            reason=note.strip(),
            station=claim.station,
            extra_fields={"review_note": note.strip()},
        )
        if was == S.NOTICED:
            entitlement_release(
                entitlement=claim.entitlement, actor=actor, reason=f"申报 {claim} 不予补助：{note.strip()}"
            )
        notify_after_commit(
            recipients=claim.station.operators.all(),
            subject=f"补助申报不予补助：{claim}",
            body=f"审核意见：{note.strip()}",
        )
    return claim


def claim_reopen(*, claim: SubsidyClaim, actor: User, reason: str) -> SubsidyClaim:
    """Take a claim on the payee notice, or approved and not yet paid, back to review (撤回重审).

    The recorded move that lets a correction change an amount the public has seen: the claim goes
    back to "submitted", its approval (and the fund it drew on) is undone, and its entitlement is
    open again. After the correction it is reviewed and noticed anew. A paid claim cannot be
    reopened (the table has no such move). Raises ValidationError without a reason.
    """
    require_bureau_for_claims(actor, claim.station)
    if not reason.strip():
        raise ValidationError("撤回重审须写明原因，如“考核结果更正”。")
    with transaction.atomic():
        transition(
            claim,
            to=S.SUBMITTED,
            table=CLAIM_TRANSITIONS,
            actor=actor,
            action="claim.reopen",
            reason=reason.strip(),
            station=claim.station,
            extra_fields={
                "notice": None,
                "approved_amount": None,
                "fund": None,
                "approved_at": None,
                "approved_by": None,
            },
        )
        entitlement_release(
            entitlement=claim.entitlement, actor=actor, reason=f"申报 {claim} 撤回重审：{reason.strip()}"
        )
        notify_after_commit(
            recipients=claim.station.operators.all(),
            subject=f"补助申报撤回重审：{claim}",
            body=f"原因：{reason.strip()}。重新审核并公示后才能批准拨付。",
        )
    return claim
