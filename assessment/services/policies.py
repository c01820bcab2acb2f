"""Writes of policies: installing a spec as rows, freezing, making a new version, and the shipped seeds."""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone

from assessment.engine.spec_diff import spec_differences
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
from core.workflow import record_audit
from stations.models import Region, StationKind, User


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
        level_band_labels=dict(scheme.level_band_labels),
        elimination_lowest_count=scheme.elimination.lowest_count if scheme.elimination else None,
        elimination_below_score=scheme.elimination.below_score if scheme.elimination else None,
        elimination_scope=scheme.elimination.scope if scheme.elimination else "",
        group_deduction_amount=scheme.group_deduction.amount if scheme.group_deduction else None,
        group_reward_amount=scheme.group_reward.amount if scheme.group_reward else None,
        group_reward_rule=scheme.group_reward.rule if scheme.group_reward else "",
        one_time_basis=schedule.one_time_basis,
        one_time_label=schedule.one_time_label,
        min_months_recognised=eligibility.min_months_recognised,
        purchase_of_services_excluded=eligibility.purchase_of_services_excluded,
        result_notice_working_days=spec.notice.result_working_days,
        payee_notice_working_days=spec.notice.payee_working_days,
        annual_report=spec.annual_report,
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


class PolicyImportRefused(ValueError):
    """A policy file that cannot be installed here (its region is unknown, or not the actor's)."""


def _spec_region(spec: PolicySpec) -> Region:
    region = Region.objects.filter(code=spec.region).first()
    if region is None:
        raise PolicyImportRefused(
            f"政策的适用区域代码 {spec.region} 在本系统中不存在。请先在“区域”中添加该区域，"
            "或把文件中的 region 改为已有区域的代码。"
        )
    return region


def policy_import(*, spec: PolicySpec, actor: User | None) -> Policy:
    """Install a spec read from a policy file as the next version of its code (version 1 if new).

    Before: the spec was read and checked by `assessment.policy_file.read_policy_file`; its region
    code names a region in the database that is the region of the code's existing versions, if any
    (else PolicyImportRefused), and that `actor`, when given, may manage (else PermissionDenied).
    After: a new policy version, unfrozen, with an audit row ("policy.import"). No existing
    version is ever changed: a frozen one is what campaigns scored with, and a draft may hold a
    clerk's edits in progress.
    """
    from core.permissions import may_manage

    region = _spec_region(spec)
    if actor is not None and not may_manage(actor, region):
        raise PermissionDenied(f"您不能为{region.name}导入政策：该区域不在您的管辖范围内。")
    with transaction.atomic():
        newest = Policy.objects.select_for_update().filter(code=spec.code).order_by("-version").first()
        if newest is not None and newest.region_id != region.pk:
            # A code names one region's policy; a file must not add versions to another county's.
            raise PolicyImportRefused(
                f"政策编码 {spec.code} 已是{newest.region.name}的政策（{newest}），而文件的适用区域是{region.name}。"
                f"请改用新的政策编码，或把 region 改为 {newest.region.code}。"
            )
        policy = policy_install(spec=spec, region=region, version=1 if newest is None else newest.version + 1)
        reason = (
            f"由政策文件导入为 {spec.code} 的第 1 版"
            if newest is None
            else f"由政策文件导入为 {spec.code} 的 v{policy.version}（原最新版本 v{newest.version} 保持不变）"
        )
        record_audit(
            target=policy,
            actor=actor,
            action="policy.import",
            reason=reason,
            changes={"from_version": newest.version if newest else None},
            region=region,
        )
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


def policy_copy_code(*, policy: Policy, year: int) -> str:
    """The code a copy for `year` takes: the same code for the same year, else the year's own code.

    "yunmeng-2024" copied for 2025 becomes "yunmeng-2025" (a code without its year gets "-2025"),
    so the 2025 policy is not the 2024 one's next version and `evaluate yunmeng-2025` finds it.
    """
    if year == policy.year:
        return policy.code
    old = str(policy.year)
    if old in policy.code:
        head, _, tail = policy.code.rpartition(old)
        return f"{head}{year}{tail}"
    return f"{policy.code}-{year}"


def policy_new_code(*, region: Region, year: int) -> str:
    """A code for a policy a clerk creates in the admin, who never types one: region and year.

    "420923-2025", or "420923-2025-2" when taken. The code names the policy in exported files and
    on the command line (`evaluate`); pages and paper show its name and version.
    """
    base = f"{region.code}-{year}"
    code, number = base, 1
    while Policy.objects.filter(code=code).exists():
        number += 1
        code = f"{base}-{number}"
    return code


def policy_new_version(
    *, policy: Policy, actor: User, year: int | None = None, name: str | None = None
) -> Policy:
    """Copy a policy, unfrozen, for editing: the next version of its code, or a new year's policy.

    With no `year` (or the policy's own), the copy is the next version of the same code, e.g. to
    change a frozen policy. With another year, the copy is that year's policy: its code carries the
    new year (`policy_copy_code`), version 1 (or the next, when that code exists), and its name is
    `name` (default: the old name with the year changed), so nothing printed from it names the
    year it was copied from. The copy is made through the spec, so it holds exactly what the
    engine would score with.
    """
    import dataclasses

    from assessment.selectors import policy_spec

    year = year or policy.year
    code = policy_copy_code(policy=policy, year=year)
    if name is None:
        name = policy.name if year == policy.year else policy.name.replace(str(policy.year), str(year))
    spec = dataclasses.replace(policy_spec(policy), code=code, name=name, year=year)
    with transaction.atomic():
        latest = Policy.objects.select_for_update().filter(code=code).order_by("-version").first()
        copy = policy_install(spec=spec, region=policy.region, version=latest.version + 1 if latest else 1)
        record_audit(
            target=copy,
            actor=actor,
            action="policy.new_version",
            reason=f"由“{policy}”复制",
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
    "huizhou-2024": [("440000", "广东省", 1), ("441300", "惠州市", 2)],
}


class SeedStatus(models.TextChoices):
    CURRENT = "current", "已是最新"
    MISSING = "missing", "未安装"
    DIFFERS = "differs", "与数据库不同"


@dataclass(frozen=True)
class SeedPolicyState:
    """How one shipped seed policy stands against the newest version of its code in the database.

    `differences` are lines like "补助标准 零工驿站·优秀 50000 → 60000" (database → shipped).
    """

    code: str
    status: SeedStatus
    version: int | None = None
    frozen: bool = False
    differences: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeedPoliciesReport:
    installed: list[Policy] = field(default_factory=list)
    differing: list[SeedPolicyState] = field(default_factory=list)


class SeedPolicyUnknown(LookupError):
    """No seed policy with this code is shipped."""


def _seed_spec(code: str) -> PolicySpec:
    from assessment.policies import SEED_POLICIES

    try:
        return SEED_POLICIES[code]
    except KeyError:
        known = "、".join(SEED_POLICIES)
        raise SeedPolicyUnknown(f"没有编码为 {code!r} 的随附政策；随附政策有：{known}。") from None


def _seed_state(code: str, newest: Policy | None) -> SeedPolicyState:
    from assessment.selectors import policy_spec

    if newest is None:
        return SeedPolicyState(code=code, status=SeedStatus.MISSING)
    try:
        stored = policy_spec(newest)
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:
        # Rows edited outside the admin may not make a spec; say so rather than fail a migrate.
        differences = [f"数据库中的 v{newest.version} 无法读取为政策（{type(error).__name__}: {error}）"]
    else:
        differences = spec_differences(stored, _seed_spec(code), kind_labels=dict(StationKind.choices))
    return SeedPolicyState(
        code=code,
        status=SeedStatus.DIFFERS if differences else SeedStatus.CURRENT,
        version=newest.version,
        frozen=newest.is_frozen,
        differences=tuple(differences),
    )


def seed_policy_states() -> list[SeedPolicyState]:
    """Each shipped seed policy compared with the newest version of its code; changes nothing."""
    from assessment.policies import SEED_POLICIES

    return [
        _seed_state(code, Policy.objects.filter(code=code).order_by("-version").first())
        for code in SEED_POLICIES
    ]


def _seed_region(code: str) -> Region:
    from stations.services import region_create

    if code not in SEED_POLICY_REGIONS:
        # A shipped file whose region chain is not listed above: its region must already exist.
        return _spec_region(_seed_spec(code))
    region = None
    for region_code, name, level in SEED_POLICY_REGIONS[code]:
        region = Region.objects.filter(code=region_code).first() or region_create(
            code=region_code, name=name, level=level, parent=region
        )
    return region


def seed_policy_install(*, code: str) -> Policy | None:
    """Install the shipped seed policy `code` as the next version of its code, if it is not there.

    Before: `code` is a shipped seed (else SeedPolicyUnknown). When the newest version in the
    database already equals the shipped spec, nothing changes and None is returned. Otherwise the
    spec is installed as version 1 (no version yet) or newest + 1, with an audit row (no actor; the
    reason names the seed and the differences), and the new policy is returned.

    Existing versions are never changed, frozen or not. A frozen one is what campaigns scored
    with. A draft (unfrozen) newest version could be rewritten in place, but it may hold a
    bureau's edits in progress or be the policy of a campaign about to open; a new version loses
    nothing, and the draft stays there to compare with or to delete in the admin.
    """
    spec = _seed_spec(code)
    with transaction.atomic():
        # The lock makes two concurrent installs of the same code take turns; the second then
        # finds the first one's version equal to the seed and does nothing.
        newest = Policy.objects.select_for_update().filter(code=code).order_by("-version").first()
        state = _seed_state(code, newest)
        if state.status == SeedStatus.CURRENT:
            return None
        policy = policy_install(
            spec=spec, region=_seed_region(code), version=1 if newest is None else newest.version + 1
        )
        _record_seed_install(policy, state)
    return policy


def _record_seed_install(policy: Policy, state: SeedPolicyState) -> None:
    if state.status == SeedStatus.MISSING:
        reason = f"按随附种子政策 {policy.code} 安装（数据库中原无此政策）"
    else:
        frozen = "已冻结" if state.frozen else "未冻结"
        reason = (
            f"按随附种子政策 {policy.code} 安装为 v{policy.version}；"
            f"原最新版本 v{state.version}（{frozen}，保持不变）与之不同：" + "；".join(state.differences)
        )
    record_audit(
        target=policy,
        actor=None,
        action="policy.seed_install",
        reason=reason,
        changes={"from_version": state.version, "differences": list(state.differences)},
        region=policy.region,
    )


def seed_policies_install() -> SeedPoliciesReport:
    """Install each seed policy that is not in the database yet; report, never change, the others.

    Runs after every `migrate` (see apps.py) and from load_demo, so `evaluate` works on a fresh
    database. A code already there is compared with the shipped spec: a fix to a seed must not
    silently miss an existing database, nor silently replace what a bureau runs with. The
    differing ones are returned; `manage.py seed_policies --install CODE` installs one as a new
    version.
    """
    from assessment.policies import SEED_POLICIES

    report = SeedPoliciesReport()
    with transaction.atomic():
        # A fresh database getting its seeds is set-up, like Django's content types, and leaves no
        # audit row; a seed added to a database in use is a change and does.
        in_use = Policy.objects.exists()
        for code in SEED_POLICIES:
            newest = Policy.objects.filter(code=code).order_by("-version").first()
            state = _seed_state(code, newest)
            if state.status == SeedStatus.DIFFERS:
                report.differing.append(state)
            elif state.status == SeedStatus.MISSING:
                policy = policy_install(spec=SEED_POLICIES[code], region=_seed_region(code))
                if in_use:
                    _record_seed_install(policy, state)
                report.installed.append(policy)
    return report
