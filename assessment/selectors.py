"""Reads of policies, scoped by the acting user, and the rebuilding of a policy's spec from its rows."""

from decimal import Decimal

from django.db.models import Case, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When

from assessment.engine.specs import (
    EligibilitySpec,
    EliminationSpec,
    GroupDeductionSpec,
    GroupRewardSpec,
    InputSpec,
    ItemSpec,
    NoticeSpec,
    PartWholeSpec,
    PolicySpec,
    RankedBandSpec,
    RubricSpec,
    SectionSpec,
    SubsidyScheduleSpec,
    ThresholdTierSpec,
    TierSchemeSpec,
)
from assessment.models import Policy, RubricItem, RubricSection
from core.scoping import register_scope
from stations.models import Region, User
from stations.selectors import can_read_everything, is_regional


def policy_list(*, actor: User) -> QuerySet[Policy]:
    """Policies made in the actor's region or below it, and those of the regions above it that apply there."""
    policies = Policy.objects.select_related("region")
    if can_read_everything(actor):
        return policies
    if is_regional(actor):
        path = actor.region.path
        ancestor_paths = [path[: i + 1] for i in range(1, len(path)) if path[i] == "/"]
        return policies.filter(Q(region__path__startswith=path) | Q(region__path__in=ancestor_paths))
    return policies.none()


def policy_latest(code: str) -> Policy | None:
    """The newest version of the policy with this code, or None."""
    return Policy.objects.filter(code=code).order_by("-version").first()


def first_recognition_regions() -> list[Region]:
    """The regions where a new station is recognised on application: those whose current policy pays
    a one-time subsidy on first recognition (Quanzhou's 002). Of each policy code the newest frozen
    version counts, a draft only while no version is frozen (as the entitlement's policy_for_grant)."""
    current: dict[str, Policy] = {}
    for policy in Policy.objects.select_related("region").order_by("code", "-version"):
        chosen = current.get(policy.code)
        if chosen is None or (policy.is_frozen and not chosen.is_frozen):
            current[policy.code] = policy
    regions = {p.region.pk: p.region for p in current.values() if p.one_time_basis == "first_recognition"}
    return sorted(regions.values(), key=lambda region: region.path)


def policy_with_rows(policy_id: int) -> Policy:
    """A policy with every row its spec needs, in a fixed number of queries."""
    items = RubricItem.objects.order_by("position", "id")
    return Policy.objects.prefetch_related(
        "thresholds",
        "bands",
        "subsidy_amounts",
        "one_time_amounts",
        Prefetch(
            "sections", queryset=RubricSection.objects.prefetch_related(Prefetch("items", queryset=items))
        ),
    ).get(pk=policy_id)


def _item_spec(item: RubricItem, children_of: dict[int | None, list[RubricItem]]) -> ItemSpec:
    return ItemSpec(
        code=item.code,
        title=item.title,
        max_points=item.max_points,
        rule=item.rule,
        params=dict(item.params),
        inputs=tuple(InputSpec.from_dict(spec) for spec in item.inputs),
        scored_from_month=item.scored_from_month,
        kinds=tuple(item.kinds),
        children=tuple(_item_spec(child, children_of) for child in children_of.get(item.pk, [])),
        note=item.note,
    )


def subsidy_schedule(policy: Policy) -> SubsidyScheduleSpec:
    """The policy's subsidy schedule from its amount rows alone (prefetch "subsidy_amounts" and
    "one_time_amounts" to read many policies'): for a list asking only what a policy pays."""
    amounts: dict[str, dict[str, Decimal]] = {}
    for row in policy.subsidy_amounts.all():
        amounts.setdefault(row.kind, {})[row.tier] = row.amount
    return SubsidyScheduleSpec(
        amounts=amounts,
        one_time_amounts={row.kind: row.amount for row in policy.one_time_amounts.all()},
        one_time_basis=policy.one_time_basis,
        one_time_label=policy.one_time_label,
    )


def policy_spec(policy: Policy) -> PolicySpec:
    """Rebuild the PolicySpec the engine scores with from the policy's rows (see models.py)."""
    policy = policy_with_rows(policy.pk)
    sections = []
    for section in policy.sections.all():
        children_of: dict[int | None, list[RubricItem]] = {}
        for item in section.items.all():
            children_of.setdefault(item.parent_id, []).append(item)
        sections.append(
            SectionSpec(
                code=section.code,
                title=section.title,
                max_points=section.max_points,
                items=tuple(_item_spec(item, children_of) for item in children_of.get(None, [])),
            )
        )
    elimination = None
    if policy.elimination_lowest_count:
        elimination = EliminationSpec(
            lowest_count=policy.elimination_lowest_count,
            below_score=policy.elimination_below_score,
            scope=policy.elimination_scope or "all_units",
        )
    return PolicySpec(
        code=policy.code,
        name=policy.name,
        region=policy.region.code,
        year=policy.year,
        period=policy.period,
        kinds=tuple(policy.kinds),
        rubric=RubricSpec(
            max_points=policy.rubric_max_points,
            sections=tuple(sections),
            part_whole=tuple(PartWholeSpec.from_dict(pw) for pw in policy.part_whole),
        ),
        tier_scheme=TierSchemeSpec(
            method=policy.tier_method,
            thresholds=tuple(
                ThresholdTierSpec(code=t.code, label=t.label, min_score=t.min_score)
                for t in policy.thresholds.all()
            ),
            fallback_tier=policy.fallback_tier,
            fallback_label=policy.fallback_label,
            bands=tuple(
                RankedBandSpec(code=b.code, label=b.label, weight=b.weight) for b in policy.bands.all()
            ),
            ranked_levels=tuple(policy.ranked_levels),
            level_bands=dict(policy.level_bands),
            level_band_labels=dict(policy.level_band_labels),
            elimination=elimination,
            group_deduction=(
                GroupDeductionSpec(amount=policy.group_deduction_amount)
                if policy.group_deduction_amount
                else None
            ),
            # 0 is kept (a reward whose amount is still open), unlike the deduction's 0.
            group_reward=(
                GroupRewardSpec(
                    amount=policy.group_reward_amount, rule=policy.group_reward_rule or "group_best"
                )
                if policy.group_reward_amount is not None
                else None
            ),
        ),
        subsidy_schedule=subsidy_schedule(policy),
        eligibility=EligibilitySpec(
            min_months_recognised=policy.min_months_recognised,
            purchase_of_services_excluded=policy.purchase_of_services_excluded,
        ),
        notice=NoticeSpec(
            result_working_days=policy.result_notice_working_days,
            payee_working_days=policy.payee_notice_working_days,
        ),
        source=policy.source,
        notes=policy.notes,
        annual_report=policy.annual_report,
    )


register_scope(Policy, policy_list)
register_scope(
    RubricSection, lambda *, actor: RubricSection.objects.filter(policy__in=policy_list(actor=actor))
)
register_scope(
    RubricItem, lambda *, actor: RubricItem.objects.filter(section__policy__in=policy_list(actor=actor))
)


def policy_tiers(policy: Policy) -> list[tuple[str, str]]:
    """The policy's tiers or bands as (code, Chinese name), in the policy's own order.

    The order a clerk reads in the policy: a threshold policy's tiers from the highest line down,
    then its fallback; a ranked policy's bands in their order, then the fixed bands. Every list of
    tiers (filters, the amounts table) follows it, never the labels' or codes' alphabet.
    """
    if policy is None or policy.pk is None:
        return []
    if policy.tier_method == Policy.TierMethod.RANKED:
        tiers = [
            (band.code, band.label) for band in sorted(policy.bands.all(), key=lambda b: (b.position, b.pk))
        ]
        labels = policy.level_band_labels or {}
        for level, code in (policy.level_bands or {}).items():
            if code not in dict(tiers):
                tiers.append((code, labels.get(level, code)))
        return tiers
    tiers = [(tier.code, tier.label) for tier in sorted(policy.thresholds.all(), key=lambda t: -t.min_score)]
    if policy.fallback_tier:
        tiers.append((policy.fallback_tier, policy.fallback_label or "未达最低分数线"))
    return tiers


def tier_position(tiers: list[tuple[str, str]], field: str = "tier") -> Case:
    """An expression ordering rows by their tier code's place in `tiers` (unknown codes last)."""
    return Case(
        *(When(**{field: code}, then=Value(index)) for index, (code, _) in enumerate(tiers)),
        default=Value(len(tiers)),
        output_field=IntegerField(),
    )


def result_tier_labels(results: QuerySet) -> list[str]:
    """The tier labels `results` carry, in their policies' tier order (`policy_tiers`).

    A label no policy lists (a ranked unit without a band: "不分档") comes after those that are;
    labels shared by several policies are listed once. Three queries, however many results.
    """
    rows = set(
        results.order_by()
        .exclude(tier_label="")
        .values_list("campaign__policy_id", "tier", "tier_label")
        .distinct()
    )
    policies = Policy.objects.filter(pk__in={row[0] for row in rows}).prefetch_related("thresholds", "bands")
    place = {
        (policy.pk, code): index
        for policy in policies
        for index, (code, _) in enumerate(policy_tiers(policy))
    }
    unknown = len(place) + 1
    ordered = sorted(rows, key=lambda row: (place.get((row[0], row[1]), unknown), row[2]))
    return list(dict.fromkeys(label for _, _, label in ordered))


def campaign_list(*, actor: User) -> QuerySet:
    """Campaigns of the actor's region subtree; operators and assessors reach theirs through sheets."""
    from assessment.models import Campaign

    campaigns = Campaign.objects.select_related("policy", "region")
    if can_read_everything(actor):
        return campaigns
    if is_regional(actor):
        return campaigns.filter(region__path__startswith=actor.region.path)
    if actor.is_authenticated and actor.is_active:
        return campaigns.filter(pk__in=sheet_list(actor=actor).values("campaign_id"))
    return campaigns.none()


def sheet_list(*, actor: User) -> QuerySet:
    """Score sheets the actor may read.

    Bureau staff and auditors: those of stations under their region. Operators: their stations'.
    Assessors: the sheets of stations assigned to them, only after they declared no conflict of
    interest with the station.
    """
    from assessment.models import CampaignStation, ScoreSheet

    sheets = ScoreSheet.objects.select_related("campaign__policy", "station__region")
    if can_read_everything(actor):
        return sheets
    if is_regional(actor):
        return sheets.filter(station__region__path__startswith=actor.region.path)
    if not (actor.is_authenticated and actor.is_active):
        return sheets.none()
    if actor.role == User.Role.OPERATOR:
        return sheets.filter(station__operators=actor)
    if actor.role == User.Role.ASSESSOR:
        declared = CampaignStation.objects.filter(
            campaign_id=OuterRef("campaign_id"),
            station_id=OuterRef("station_id"),
            assessor=actor,
            declaration=CampaignStation.Declaration.NO_CONFLICT,
        )
        return sheets.filter(Exists(declared))
    return sheets.none()


def sheet_get(*, actor: User, pk: int):
    from django.http import Http404

    from assessment.models import ScoreSheet

    try:
        return sheet_list(actor=actor).get(pk=pk)
    except ScoreSheet.DoesNotExist:
        raise Http404("没有这张评分表，或您无权查看。") from None


def assignment_list(*, actor: User) -> QuerySet:
    """A user's campaign assignments as assessor (declared or not)."""
    from assessment.models import CampaignStation

    if not (actor.is_authenticated and actor.is_active):
        return CampaignStation.objects.none()
    return CampaignStation.objects.select_related("campaign", "station").filter(assessor=actor)


def campaign_entry_list(*, actor: User) -> QuerySet:
    from assessment.models import CampaignStation

    return (
        CampaignStation.objects.select_related("campaign", "station", "assessor")
        .filter(campaign__in=campaign_list(actor=actor))
        .filter(station__in=_stations_for(actor))
    )


def _stations_for(actor: User) -> QuerySet:
    from stations.selectors import station_list

    return station_list(actor=actor)


def evidence_list(*, actor: User) -> QuerySet:
    """Evidence files attached to sheets the actor may read, or to their stations' rectification orders."""
    from assessment.models import Evidence

    return Evidence.objects.select_related("sheet", "rectification").filter(
        Q(sheet__in=sheet_list(actor=actor)) | Q(rectification__in=rectification_list(actor=actor))
    )


def result_list(*, actor: User) -> QuerySet:
    from assessment.models import CampaignResult

    results = CampaignResult.objects.select_related("campaign", "station__region")
    if can_read_everything(actor):
        return results
    if is_regional(actor):
        return results.filter(station__region__path__startswith=actor.region.path)
    if actor.is_authenticated and actor.is_active and actor.role == User.Role.OPERATOR:
        return results.filter(station__operators=actor, campaign__status="published")
    return results.none()


def entitlement_list(*, actor: User) -> QuerySet:
    """The ledger rows the actor may read: the region's for bureau staff and auditors, an operator's own."""
    from assessment.models import Entitlement

    rows = Entitlement.objects.select_related("station__region", "policy", "campaign")
    if can_read_everything(actor):
        return rows
    if is_regional(actor):
        return rows.filter(station__region__path__startswith=actor.region.path)
    if actor.is_authenticated and actor.is_active and actor.role == User.Role.OPERATOR:
        return rows.filter(station__operators=actor)
    return rows.none()


def objection_list(*, actor: User) -> QuerySet:
    from assessment.models import Objection

    objections = Objection.objects.select_related("campaign", "station")
    if can_read_everything(actor):
        return objections
    if is_regional(actor):
        return objections.filter(station__region__path__startswith=actor.region.path)
    return objections.none()


def rectification_list(*, actor: User) -> QuerySet:
    from assessment.models import RectificationOrder

    orders = RectificationOrder.objects.select_related("station__region", "campaign")
    if can_read_everything(actor):
        return orders
    if is_regional(actor):
        return orders.filter(station__region__path__startswith=actor.region.path)
    if actor.is_authenticated and actor.is_active and actor.role == User.Role.OPERATOR:
        return orders.filter(station__operators=actor)
    return orders.none()


def _register_campaign_scopes() -> None:
    from assessment.models import (
        Campaign,
        CampaignResult,
        CampaignStation,
        Entitlement,
        Evidence,
        Objection,
        RectificationOrder,
        ScoreSheet,
    )

    register_scope(Campaign, campaign_list)
    register_scope(CampaignStation, campaign_entry_list)
    register_scope(ScoreSheet, sheet_list)
    register_scope(Evidence, evidence_list)
    register_scope(CampaignResult, result_list)
    register_scope(Entitlement, entitlement_list)
    register_scope(Objection, objection_list)
    register_scope(RectificationOrder, rectification_list)


_register_campaign_scopes()


def annual_report_list(*, actor: User) -> QuerySet:
    """Annual reports the actor may read: exactly those of the score sheets they may read.

    Bureau staff and auditors: stations under their region. Operators: their stations'.
    Assessors: the stations assigned to them in the campaign, after declaring no conflict.
    """
    from assessment.models import AnnualReport

    sheets = sheet_list(actor=actor).filter(
        campaign_id=OuterRef("campaign_id"), station_id=OuterRef("station_id")
    )
    reports = AnnualReport.objects.select_related("campaign", "station__region", "submitted_by")
    if can_read_everything(actor):
        return reports
    if is_regional(actor):
        return reports.filter(station__region__path__startswith=actor.region.path)
    return reports.filter(Exists(sheets))


def _register_annual_report_scope() -> None:
    from assessment.models import AnnualReport

    register_scope(AnnualReport, annual_report_list)


_register_annual_report_scope()


def recommendation_list(*, actor: User) -> QuerySet:
    """Recommendations the actor may read: those of units under their region.

    The county that recommended, the city and the province it went to all contain the unit, so one
    prefix match serves every level; a sibling county or another city sees none. Operators and
    assessors have no part in it.
    """
    from assessment.models import Recommendation

    rows = Recommendation.objects.select_related(
        "campaign__region", "campaign__policy", "station__region", "city", "province"
    )
    if can_read_everything(actor):
        return rows
    if is_regional(actor):
        return rows.filter(station__region__path__startswith=actor.region.path)
    return rows.none()


def demonstration_list(*, actor: User) -> QuerySet:
    """Demonstration stations the actor may read: those under their region (the public notice of the
    title is the province's own publication, outside the product)."""
    from assessment.models import Demonstration

    rows = Demonstration.objects.select_related("campaign", "station__region")
    if can_read_everything(actor):
        return rows
    if is_regional(actor):
        return rows.filter(station__region__path__startswith=actor.region.path)
    return rows.none()


def _register_recommendation_scope() -> None:
    from assessment.models import Demonstration, Recommendation

    register_scope(Recommendation, recommendation_list)
    register_scope(Demonstration, demonstration_list)


_register_recommendation_scope()
