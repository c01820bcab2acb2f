"""Writes of policies: installing a spec as rows, freezing, and making a new version."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from assessment.engine.specs import ItemSpec, PolicySpec
from assessment.models import (
    OneTimeAmount,
    Policy,
    RankedBand,
    RubricItem,
    RubricSection,
    SubsidyAmount,
    TierThreshold,
)
from stations.models import Region, User
from stations.workflow import record_audit


class PolicyFrozen(PermissionDenied):
    """The policy has been used by a campaign; its rows stay as they were. Make a new version.

    The admin already offers no way to change a frozen policy; this is the guard behind it (403).
    """


def _install_item(
    item: ItemSpec, *, section: RubricSection, parent: RubricItem | None, position: int
) -> None:
    row = RubricItem.objects.create(
        section=section,
        parent=parent,
        position=position,
        code=item.code,
        title=item.title,
        max_points=item.max_points,
        rule=item.rule,
        params=dict(item.params),
        inputs=[spec.to_dict() for spec in item.inputs],
        scored_from_month=item.scored_from_month,
        kinds=list(item.kinds),
        note=item.note,
    )
    for child_position, child in enumerate(item.children):
        _install_item(child, section=section, parent=row, position=child_position)


@transaction.atomic
def policy_install(*, spec: PolicySpec, region: Region, version: int = 1) -> Policy:
    """Write `spec` as a new policy row set (version `version`) and return it.

    Before: no policy with this code and version exists. After: the policy, its tier rows, amounts,
    sections and items exist and `selectors.policy_spec` rebuilds an equal spec from them.
    """
    scheme, schedule, eligibility = spec.tier_scheme, spec.subsidy_schedule, spec.eligibility
    policy = Policy.objects.create(
        code=spec.code,
        version=version,
        name=spec.name,
        region=region,
        year=spec.year,
        period=spec.period,
        kinds=list(spec.kinds),
        source=spec.source,
        notes=spec.notes,
        rubric_max_points=spec.rubric.max_points,
        part_whole=[pw.to_dict() for pw in spec.rubric.part_whole],
        tier_method=scheme.method,
        fallback_tier=scheme.fallback_tier,
        fallback_label=scheme.fallback_label,
        ranked_levels=list(scheme.ranked_levels),
        level_bands=dict(scheme.level_bands),
        elimination_lowest_count=scheme.elimination.lowest_count if scheme.elimination else None,
        elimination_below_score=scheme.elimination.below_score if scheme.elimination else None,
        elimination_scope=scheme.elimination.scope if scheme.elimination else "",
        group_deduction_amount=scheme.group_deduction.amount if scheme.group_deduction else None,
        one_time_basis=schedule.one_time_basis,
        one_time_label=schedule.one_time_label,
        min_months_recognised=eligibility.min_months_recognised,
        purchase_of_services_excluded=eligibility.purchase_of_services_excluded,
    )
    TierThreshold.objects.bulk_create(
        TierThreshold(policy=policy, code=t.code, label=t.label, min_score=t.min_score)
        for t in scheme.thresholds
    )
    RankedBand.objects.bulk_create(
        RankedBand(policy=policy, position=i, code=b.code, label=b.label, weight=b.weight)
        for i, b in enumerate(scheme.bands)
    )
    SubsidyAmount.objects.bulk_create(
        SubsidyAmount(policy=policy, kind=kind, tier=tier, amount=amount)
        for kind, by_tier in schedule.amounts.items()
        for tier, amount in by_tier.items()
    )
    OneTimeAmount.objects.bulk_create(
        OneTimeAmount(policy=policy, kind=kind, amount=amount)
        for kind, amount in schedule.one_time_amounts.items()
    )
    for position, section_spec in enumerate(spec.rubric.sections):
        section = RubricSection.objects.create(
            policy=policy,
            position=position,
            code=section_spec.code,
            title=section_spec.title,
            max_points=section_spec.max_points,
        )
        for item_position, item in enumerate(section_spec.items):
            _install_item(item, section=section, parent=None, position=item_position)
    return policy


def policy_freeze(*, policy: Policy, actor: User | None, reason: str) -> Policy:
    """Mark the policy as used (by a campaign): from now on its rows are read-only. Idempotent."""
    with transaction.atomic():
        locked = Policy.objects.select_for_update().get(pk=policy.pk)
        if locked.frozen_at is None:
            locked.frozen_at = timezone.now()
            locked.save(update_fields=["frozen_at"])
            record_audit(
                target=locked, actor=actor, action="policy.freeze", reason=reason, region=locked.region
            )
    policy.frozen_at = locked.frozen_at
    return policy


def policy_new_version(*, policy: Policy, actor: User) -> Policy:
    """Copy a policy into the next version of its code, unfrozen, for editing.

    The copy is made through the spec, so it holds exactly what the engine would score with.
    """
    from assessment.selectors import policy_spec

    with transaction.atomic():
        latest = Policy.objects.select_for_update().filter(code=policy.code).order_by("-version").first()
        copy = policy_install(spec=policy_spec(policy), region=policy.region, version=latest.version + 1)
        record_audit(
            target=copy,
            actor=actor,
            action="policy.new_version",
            reason=f"由 v{policy.version} 复制",
            region=policy.region,
        )
    return copy


def ensure_policy_editable(policy: Policy) -> None:
    if policy.is_frozen:
        raise PolicyFrozen(f"“{policy}”已被考核批次使用，不能再修改。请使用“复制为新版本”，在新版本上修改。")


# The region each seed policy belongs to, with the chain above it, so a fresh database can hold
# the seed policies right after `migrate` (load_demo adds the rest of the tree).
SEED_POLICY_REGIONS: dict[str, list[tuple[str, str, int]]] = {
    "yunmeng-2024": [("420000", "湖北省", 1), ("420900", "孝感市", 2), ("420923", "云梦县", 3)],
    "quanzhou-2023": [("350000", "福建省", 1), ("350500", "泉州市", 2)],
    "heshan-2024": [("430000", "湖南省", 1), ("430900", "益阳市", 2), ("430903", "赫山区", 3)],
}


def seed_policies_install() -> list[Policy]:
    """Install each seed policy that is not in the database yet; never touch one that is.

    Runs after every `migrate` (see apps.py) and from load_demo, so `evaluate` works on a fresh
    database; a bureau's edits live in later versions and are never overwritten.
    """
    from assessment.policies import SEED_POLICIES
    from stations.services import region_create

    installed = []
    with transaction.atomic():
        for code, spec in SEED_POLICIES.items():
            if Policy.objects.filter(code=code).exists():
                continue
            parent = None
            for region_code, name, level in SEED_POLICY_REGIONS[code]:
                parent = Region.objects.filter(code=region_code).first() or region_create(
                    code=region_code, name=name, level=level, parent=parent
                )
            installed.append(policy_install(spec=spec, region=parent))
    return installed
