"""Budget lines (补助资金) created and changed by the bureau: every change recorded with old, new and why."""

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import changed_fields
from core.permissions import may_manage, require
from core.workflow import record_audit
from stations.models import User
from subsidies.models import Fund
from subsidies.services.payouts import fund_remaining

FUND_FIELDS = ("region", "year", "code", "name", "budget")
REFUSAL = "只有资金所属区域的人社局工作人员可以新增或修改补助资金。"


def fund_save(*, fund: Fund, actor: User, reason: str) -> Fund:
    """Create a fund or save the changes made to it, recording each changed fact and why.

    Before: the actor manages the fund's region (and the region it had), a reason is given, and
    `fund` carries the new values. After: the fund is saved and one audit entry (`fund.create` /
    `fund.change`) lists region, year, code, name and budget as [old, new]. The budget is checked
    under the lock an approval takes, so it never drops below what is already approved. Raises
    Forbidden or ValidationError (nothing saved).
    """
    require(may_manage(actor, fund.region), REFUSAL)
    if not (reason or "").strip():
        raise ValidationError("请填写变更原因。")
    with transaction.atomic():
        before = Fund.objects.select_for_update().filter(pk=fund.pk).first() if fund.pk else None
        if before is not None:
            require(may_manage(actor, before.region), REFUSAL)
            used = before.budget - fund_remaining(before)
            if fund.budget < used:
                raise ValidationError(f"该资金已批准 {used:,.2f} 元，预算不能低于此数。")
        changes = changed_fields(before or Fund(), fund, FUND_FIELDS)
        fund.save()
        if changes or before is None:
            record_audit(
                target=fund,
                actor=actor,
                action="fund.change" if before is not None else "fund.create",
                region=fund.region,
                reason=reason.strip(),
                changes=changes,
            )
    return fund
