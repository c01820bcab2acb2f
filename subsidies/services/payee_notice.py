"""The public list of payees (拟补助对象公示) before approval."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from assessment.services.entitlements import entitlement_commit
from core.permissions import may_manage, require
from core.workflow import transition
from core.working_days import notice_period_refusal
from stations.models import Region, User
from subsidies.models import PayeeNotice, SubsidyClaim
from subsidies.services.claims import CLAIM_TRANSITIONS, claim_amount_refresh, require_bureau_for_claims

S = SubsidyClaim.Status


def payee_notice_period_refusal(*, starts_at, ends_at, claims: list[SubsidyClaim]) -> str:
    """Why the period is shorter than the claims' policies ask (`payee_notice_working_days`), or "".

    The longest minimum among the policies of the claims' entitlements applies; the days counted
    are the China dates from the first to the last, both included, on the working calendar.
    """
    # One query for all the claims' policies, not one per claim.
    minimum = (
        SubsidyClaim.objects.filter(pk__in=[claim.pk for claim in claims]).aggregate(
            days=Max("entitlement__policy__payee_notice_working_days")
        )["days"]
        or 0
    )
    return notice_period_refusal(
        first=timezone.localdate(starts_at), last=timezone.localdate(ends_at), minimum=minimum
    )


def payee_notice_publish(
    *, region: Region, year: int, title: str, starts_at, ends_at, claims: list[SubsidyClaim], actor: User
) -> PayeeNotice:
    """Publish the payee list (拟补助对象公示) of reviewed claims for a notice period.

    Before: the actor is bureau staff of `region` (or above), every claim is reviewed, lies in the
    region and is of `year`, and the period ends in the future and holds the working days the
    claims' policies ask (`payee_notice_period_refusal`). After: the notice exists and every
    claim is on it ("noticed") with its entitlement's amount, and that entitlement is committed (a
    correction can no longer change it), all or none. Raises Forbidden, ValidationError,
    InvalidTransition.
    """
    require(
        may_manage(actor, region),
        f"只有{region.name}（或上级）人社局的工作人员可以发布该区域的补助对象公示。",
    )
    if not claims:
        raise ValidationError("请选择要公示的申报。")
    if ends_at <= starts_at or ends_at <= timezone.now():
        raise ValidationError("公示结束时间必须晚于开始时间和当前时间。")
    for claim in claims:
        require_bureau_for_claims(actor, claim.station)
        if not region.contains(claim.station.region):
            raise ValidationError(f"{claim} 不在{region.name}。")
        if claim.year != year:
            raise ValidationError(f"{claim} 不是 {year} 年度的申报。")
    refusal = payee_notice_period_refusal(starts_at=starts_at, ends_at=ends_at, claims=claims)
    if refusal:
        raise ValidationError(refusal)
    with transaction.atomic():
        notice = PayeeNotice.objects.create(
            region=region,
            year=year,
            title=title.strip(),
            starts_at=starts_at,
            ends_at=ends_at,
            published_by=actor,
        )
        for claim in claims:
            # The public sees the entitlement's amount as it is now; from here on it is locked.
            entitlement = claim_amount_refresh(claim)
            transition(
                claim,
                to=S.NOTICED,
                table=CLAIM_TRANSITIONS,
                actor=actor,
                action="claim.notice",
                station=claim.station,
                extra_fields={"notice": notice},
            )
            entitlement_commit(entitlement=entitlement, actor=actor, reason=f"列入“{notice.title}”")
    return notice
