"""A campaign's life: open it, assign assessors, compute results, give notice, publish."""

from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assessment.engine.scoring import annual_score
from assessment.engine.subsidy import (
    RankedUnit,
    decide_ranked_outcomes,
    decide_yearly_outcome,
    is_recognised_long_enough,
)
from assessment.models import Campaign, CampaignResult, CampaignStation, Objection, ScoreSheet
from assessment.scoring import compiled_policy
from assessment.services.notify import notify_after_commit
from assessment.services.policies import policy_freeze
from stations.models import Station, User
from stations.workflow import InvalidTransition, record_audit, transition

CAMPAIGN_TRANSITIONS: dict[str, set[str]] = {
    Campaign.Status.DRAFT: {Campaign.Status.OPEN},
    Campaign.Status.OPEN: {Campaign.Status.RESULTS},
    Campaign.Status.RESULTS: {Campaign.Status.NOTICE},
    Campaign.Status.NOTICE: {Campaign.Status.PUBLISHED},
    Campaign.Status.PUBLISHED: set(),
}


def require_bureau(actor: User, campaign: Campaign) -> None:
    """Only bureau staff of the campaign's region (or a superuser) run it."""
    if not (
        actor.is_superuser or (actor.is_bureau and actor.region and actor.region.contains(campaign.region))
    ):
        raise PermissionError("只有本区域的人社局工作人员可以办理此事项。")


def eligible_stations(campaign: Campaign) -> tuple[list[Station], list[tuple[Station, str]]]:
    """Stations of the campaign's region that may take part, and those left out with the reason.

    A station takes part when the policy covers its kind, it is active (not rectifying or
    revoked), and it was recognised long enough before the assessment day when the policy says so.
    """
    policy = campaign.policy
    candidates = Station.objects.filter(region__path__startswith=campaign.region.path, kind__in=policy.kinds)
    taking_part, left_out = [], []
    for station in candidates.order_by("code"):
        if station.status != Station.Status.ACTIVE:
            left_out.append((station, f"站点状态为“{station.get_status_display()}”"))
        elif policy.min_months_recognised and not station.recognized_on:
            left_out.append((station, "没有认定日期"))
        elif policy.min_months_recognised and not is_recognised_long_enough(
            station.recognized_on, campaign.assessed_on, policy.min_months_recognised
        ):
            left_out.append(
                (
                    station,
                    f"认定于 {station.recognized_on}，至 {campaign.assessed_on} "
                    f"未满 {policy.min_months_recognised} 个月",
                )
            )
        else:
            taking_part.append(station)
    return taking_part, left_out


def _require_scorable(policy) -> None:
    """A campaign freezes its policy: refuse one whose rubric the engine cannot score."""
    from assessment.engine.scoring import RubricError

    try:
        compiled_policy(policy)
    except RubricError as exc:
        problems = "；".join(f"{finding.code} {finding.message}" for finding in exc.findings[:5])
        raise ValidationError(f"政策“{policy}”的评分表有错误，不能用于考核：{problems}") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(f"政策“{policy}”的评分表数据无法读取：{exc}") from exc


def campaign_open(*, campaign: Campaign, actor: User, stations: list[Station] | None = None) -> Campaign:
    """Open a draft campaign: freeze its policy, enrol the eligible stations and create their sheets.

    Before: the campaign is a draft, its policy covers its year, the monthly/yearly period matches
    the policy. After: the policy is frozen, one CampaignStation per station and one ScoreSheet per
    station and period exist, the campaign is open, and the operators are told. `stations` narrows
    the eligible list (never widens it). Raises ValidationError, InvalidTransition, PermissionError.
    """
    require_bureau(actor, campaign)
    if campaign.year != campaign.policy.year:
        raise ValidationError(
            f"考核年度 {campaign.year} 与政策“{campaign.policy}”的年度 {campaign.policy.year} 不一致。"
        )
    if (campaign.policy.period == "monthly") != bool(campaign.months):
        raise ValidationError("按月评分的政策须填写评分月份；按年度评分的政策不填月份。")
    months = campaign.months or []
    # Checked here because the months become sheet periods: a repeated month would break the
    # one-sheet-per-period constraint halfway through, and "13" would be scored as a month.
    if (
        not isinstance(months, list)
        or any(type(month) is not int or not 1 <= month <= 12 for month in months)
        or len(set(months)) != len(months)
    ):
        raise ValidationError("评分月份须为 1 到 12 之间不重复的整数，如 [1, 2, 3]。")
    if not campaign.region.contains(campaign.policy.region) and not campaign.policy.region.contains(
        campaign.region
    ):
        raise ValidationError("考核区域与政策的适用区域不一致。")
    _require_scorable(campaign.policy)
    eligible, _ = eligible_stations(campaign)
    if stations is not None:
        allowed = {s.pk for s in eligible}
        refused = [s.code for s in stations if s.pk not in allowed]
        if refused:
            raise ValidationError(f"这些站点不符合参评条件：{'、'.join(refused)}")
        eligible = stations
    if not eligible:
        raise ValidationError("没有符合参评条件的站点。")
    with transaction.atomic():
        transition(
            campaign,
            to=Campaign.Status.OPEN,
            table=CAMPAIGN_TRANSITIONS,
            actor=actor,
            action="campaign.open",
            region=campaign.region,
        )
        policy_freeze(policy=campaign.policy, actor=actor, reason=f"考核批次 {campaign.code} 使用")
        CampaignStation.objects.bulk_create(CampaignStation(campaign=campaign, station=s) for s in eligible)
        ScoreSheet.objects.bulk_create(
            ScoreSheet(campaign=campaign, station=s, period=period)
            for s in eligible
            for period in campaign.periods
        )
        operators = User.objects.filter(operated_stations__in=eligible).distinct()
        notify_after_commit(
            recipients=operators,
            subject=f"{campaign.name}已开始",
            body=(
                f"请在 {timezone.localtime(campaign.self_evaluation_due):%Y-%m-%d %H:%M} 前"
                "登录站点门户完成自评并上传佐证材料。"
            ),
        )
    return campaign


def assessor_assign(*, entry: CampaignStation, assessor: User | None, actor: User) -> CampaignStation:
    """Assign (or clear) the assessor of a station in a campaign; a new assessor must declare again."""
    require_bureau(actor, entry.campaign)
    if entry.campaign.status != Campaign.Status.OPEN:
        raise ValidationError("只有进行中的考核批次可以指派评估人员。")
    if assessor is not None and assessor.role not in {User.Role.ASSESSOR, User.Role.BUREAU}:
        raise ValidationError("只能指派评估人员或人社局工作人员。")
    with transaction.atomic():
        locked = CampaignStation.objects.select_for_update().get(pk=entry.pk)
        before = locked.assessor
        locked.assessor = assessor
        locked.declaration = CampaignStation.Declaration.PENDING
        locked.declared_at = None
        locked.save(update_fields=["assessor", "declaration", "declared_at"])
        record_audit(
            target=locked,
            actor=actor,
            action="campaign.assessor_assign",
            station=locked.station,
            changes={"assessor": [str(before or ""), str(assessor or "")]},
        )
        if assessor is not None:
            notify_after_commit(
                recipients=[assessor],
                subject=f"评估任务：{locked.station.name}",
                body="请登录系统，先声明与该站点无利益冲突，再查看评分表并进行现场评估。",
            )
    entry.assessor, entry.declaration, entry.declared_at = assessor, locked.declaration, None
    return entry


def conflict_declare(
    *, entry: CampaignStation, actor: User, has_conflict: bool, statement: str = ""
) -> CampaignStation:
    """The assigned assessor declares whether they have a conflict of interest with the station.

    No conflict: the assessor may now see and score the sheet. A conflict: the assignment is
    handed back (assessor cleared) for the bureau to reassign, and the bureau is told. Either way
    the declaration is recorded in the history.
    """
    from assessment.services.notify import bureau_staff_for

    with transaction.atomic():
        locked = (
            CampaignStation.objects.select_for_update().select_related("station__region").get(pk=entry.pk)
        )
        if locked.assessor_id != actor.pk:
            raise PermissionError("只有被指派的评估人员可以声明。")
        if has_conflict:
            if not statement.strip():
                raise ValidationError("请说明利益冲突的情况。")
            locked.assessor = None
            locked.declaration = CampaignStation.Declaration.PENDING
            locked.declared_at = None
            action = "campaign.conflict_declared"
            notify_after_commit(
                recipients=bureau_staff_for(locked.station.region),
                subject=f"评估人员申报利益冲突：{locked.station.name}",
                body=(
                    f"{actor.get_full_name() or actor.username} 申报与该站点存在利益冲突，请重新指派评估人员。"
                ),
            )
        else:
            locked.declaration = CampaignStation.Declaration.NO_CONFLICT
            locked.declared_at = timezone.now()
            action = "campaign.no_conflict_declared"
        locked.save(update_fields=["assessor", "declaration", "declared_at"])
        record_audit(
            target=locked, actor=actor, action=action, station=locked.station, reason=statement.strip()
        )
    entry.assessor_id, entry.declaration, entry.declared_at = (
        locked.assessor_id,
        locked.declaration,
        locked.declared_at,
    )
    return entry


def _station_score(sheets: list[ScoreSheet]) -> tuple[Decimal, str]:
    """The year's score of one station from its locked sheets, with how it was reached."""
    if len(sheets) == 1 and sheets[0].month is None:
        return sheets[0].final_total, f"年度评分 {sheets[0].final_total} 分"
    totals = [sheet.final_total for sheet in sorted(sheets, key=lambda s: s.period)]
    score = annual_score(totals)
    return score, f"{len(totals)} 个月月度得分平均 {score} 分"


def _one_time_already_paid(station_ids: list[int]) -> set[int]:
    """Stations whose one-time subsidy has been claimed (and not refused): a result shows none again."""
    from subsidies.models import ClaimKind, SubsidyClaim

    claimed = SubsidyClaim.objects.filter(station_id__in=station_ids, kind=ClaimKind.ONE_TIME).exclude(
        status=SubsidyClaim.Status.REJECTED
    )
    return set(claimed.values_list("station_id", flat=True))


def _result_rows(campaign: Campaign, sheets: list[ScoreSheet]) -> list[CampaignResult]:
    """The campaign's results from its locked sheets, through the policy engine."""
    spec, _ = compiled_policy(campaign.policy)
    by_station: dict[int, list[ScoreSheet]] = defaultdict(list)
    for sheet in sheets:
        by_station[sheet.station_id].append(sheet)
    stations = {s.station_id: s.station for s in sheets}
    now = timezone.now()
    rows: list[CampaignResult] = []
    if spec.tier_scheme.method == "ranked":
        scored = {sid: _station_score(group) for sid, group in by_station.items()}
        units = [
            RankedUnit(
                code=stations[sid].code,
                kind=stations[sid].kind,
                level=stations[sid].recognition_level or None,
                group=stations[sid].assessment_group or None,
                score=scored[sid][0],
            )
            for sid in sorted(scored, key=lambda sid: stations[sid].code)
        ]
        by_code = {stations[sid].code: sid for sid in scored}
        labels = {band.code: band.label for band in spec.tier_scheme.bands}
        labels.update(dict.fromkeys(spec.tier_scheme.level_bands.values(), "区级"))
        for outcome in decide_ranked_outcomes(spec, units):
            sid = by_code[outcome.code]
            rows.append(
                CampaignResult(
                    campaign=campaign,
                    station=stations[sid],
                    score=scored[sid][0],
                    tier=outcome.band or "",
                    tier_label=labels.get(outcome.band, "") if outcome.band else "不分档",
                    eliminated=outcome.eliminated,
                    subsidy=outcome.amount,
                    explanation=f"{scored[sid][1]}；{outcome.explanation}",
                    computed_at=now,
                )
            )
    else:
        already_paid = _one_time_already_paid(list(stations))
        for sid, group in sorted(by_station.items(), key=lambda pair: stations[pair[0]].code):
            station = stations[sid]
            score, how = _station_score(group)
            contract = None
            if station.purchase_contract_start and station.purchase_contract_end:
                contract = (station.purchase_contract_start, station.purchase_contract_end)
            outcome = decide_yearly_outcome(
                spec,
                kind=station.kind,
                score=score,
                assessed_on=campaign.assessed_on,
                recognized_on=station.recognized_on,
                one_time_paid=sid in already_paid,
                purchase_contract=contract,
            )
            rows.append(
                CampaignResult(
                    campaign=campaign,
                    station=station,
                    score=score,
                    eligible=outcome.eligible,
                    tier=outcome.tier or "",
                    tier_label=outcome.tier_label,
                    subsidy=outcome.performance_subsidy,
                    one_time_subsidy=outcome.one_time_subsidy,
                    explanation=f"{how}；{outcome.explanation}",
                    computed_at=now,
                )
            )
    return rows


def campaign_results_compute(*, campaign: Campaign, actor: User) -> list[CampaignResult]:
    """Turn every locked sheet of the campaign into results, all at once (rankings need every sheet).

    Before: every sheet is locked. The first computation moves the campaign to "results"; while
    results or the public notice stand, a correction is followed by a recomputation (recorded).
    After: one CampaignResult per station replaces the previous ones. The campaign row is locked
    before the sheets are read, so a recomputation that started earlier can never write its older
    numbers over a correction's.
    """
    require_bureau(actor, campaign)
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status not in {Campaign.Status.OPEN, Campaign.Status.RESULTS, Campaign.Status.NOTICE}:
            raise InvalidTransition(
                f"考核批次“{locked}”当前为“{locked.get_status_display()}”，不能计算结果。"
            )
        sheets = list(ScoreSheet.objects.filter(campaign=locked).select_related("station"))
        unlocked = sorted({s.station.code for s in sheets if s.status != ScoreSheet.Status.LOCKED})
        if unlocked:
            raise ValidationError(
                f"还有 {len(unlocked)} 个站点的评分表未审定锁定：{'、'.join(unlocked[:10])}"
            )
        rows = _result_rows(locked, sheets)
        CampaignResult.objects.filter(campaign=locked).delete()
        CampaignResult.objects.bulk_create(rows)
        if locked.status == Campaign.Status.OPEN:
            transition(
                campaign,
                to=Campaign.Status.RESULTS,
                table=CAMPAIGN_TRANSITIONS,
                actor=actor,
                action="campaign.results",
                region=campaign.region,
            )
        else:
            record_audit(
                target=locked,
                actor=actor,
                action="campaign.results_recomputed",
                reason="更正后重新计算",
                region=campaign.region,
            )
    return rows


def campaign_notice_start(*, campaign: Campaign, actor: User, start, end) -> Campaign:
    """Publish the result list for public notice （公示） from `start` to `end`."""
    require_bureau(actor, campaign)
    if end <= start:
        raise ValidationError("公示结束时间必须晚于开始时间。")
    if end <= timezone.now():
        # A notice that has already ended would give the public no chance to object.
        raise ValidationError("公示结束时间已过，请重新确定公示期。")
    return transition(
        campaign,
        to=Campaign.Status.NOTICE,
        table=CAMPAIGN_TRANSITIONS,
        actor=actor,
        action="campaign.notice",
        region=campaign.region,
        reason=(
            f"公示期 {timezone.localtime(start):%Y-%m-%d %H:%M} 至 {timezone.localtime(end):%Y-%m-%d %H:%M}"
        ),
        extra_fields={"notice_start": start, "notice_end": end},
    )


def campaign_publish(*, campaign: Campaign, actor: User) -> Campaign:
    """Make the results final （通报）. Refused while any objection is unanswered or the notice period runs."""
    require_bureau(actor, campaign)
    with transaction.atomic():
        # Lock the campaign first so an objection filed at the same moment waits for this decision.
        Campaign.objects.select_for_update().get(pk=campaign.pk)
        open_count = Objection.objects.filter(campaign=campaign, status=Objection.Status.OPEN).count()
        if open_count:
            raise ValidationError(f"还有 {open_count} 件异议未答复，答复后才能通报结果。")
        if campaign.notice_end and timezone.now() < campaign.notice_end:
            raise ValidationError(
                f"公示期至 {timezone.localtime(campaign.notice_end):%Y-%m-%d %H:%M} 结束，"
                "公示期满后才能通报结果。"
            )
        transition(
            campaign,
            to=Campaign.Status.PUBLISHED,
            table=CAMPAIGN_TRANSITIONS,
            actor=actor,
            action="campaign.publish",
            region=campaign.region,
        )
        operators = User.objects.filter(operated_stations__campaign_entries__campaign=campaign).distinct()
        notify_after_commit(
            recipients=operators,
            subject=f"{campaign.name}结果已通报",
            body="请登录站点门户查看本站考核结果。",
        )
    return campaign
