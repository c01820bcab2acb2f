"""A campaign's life: open it, assign assessors, compute results, give notice, publish."""

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import closing
from decimal import Decimal
from itertools import groupby
from operator import itemgetter

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessment.engine.decision import DecisionUnit, decide_campaign, eligibility_refusal
from assessment.engine.scoring import annual_score
from assessment.models import Campaign, CampaignResult, CampaignStation, Entitlement, Objection, ScoreSheet
from assessment.scoring import compiled_policy, input_names, unpack_with
from assessment.services.entitlements import entitlements_record_campaign, one_time_kept
from assessment.services.policies import policy_freeze
from core.fields import CompactJSONField
from core.notify import notify_after_commit
from core.people import person_name
from core.permissions import is_assigned_assessor, may_manage, require
from core.workflow import (
    BULK_CHUNK,
    InvalidTransition,
    Move,
    audit_entry,
    chunked,
    insert_combinations,
    record_audit,
    record_audit_many,
    transition,
)
from core.working_days import day_end, day_start, earliest_last_day, notice_period, notice_period_refusal
from stations.models import Station, User
from stations.selectors import bureau_staff_for

CAMPAIGN_TRANSITIONS: dict[str, set[str]] = {
    Campaign.Status.DRAFT: {Campaign.Status.OPEN},
    Campaign.Status.OPEN: {Campaign.Status.RESULTS},
    Campaign.Status.RESULTS: {Campaign.Status.NOTICE},
    Campaign.Status.NOTICE: {Campaign.Status.PUBLISHED},
    Campaign.Status.PUBLISHED: set(),
}
# Results stand but are not final: a correction of a sheet recomputes them.
RESULTS_STANDING = frozenset({Campaign.Status.RESULTS, Campaign.Status.NOTICE})
# The result list is public from the notice on: the notice page and the links to it.
RESULTS_PUBLIC = frozenset({Campaign.Status.NOTICE, Campaign.Status.PUBLISHED})


def _runs_campaign(campaign: Campaign, actor: User | None) -> bool:
    return may_manage(actor, campaign.region)


CAMPAIGN_MOVES = (
    Move("open", "开始考核", to=Campaign.Status.OPEN, allowed=_runs_campaign),
    Move("import", "导入数据（Excel）", at=Campaign.Status.OPEN, allowed=_runs_campaign),
    Move("lock_assessed", "锁定全部已评估评分表", at=Campaign.Status.OPEN, allowed=_runs_campaign),
    Move("results", "计算结果", to=Campaign.Status.RESULTS, allowed=_runs_campaign),
    Move("recompute", "重新计算结果", at=RESULTS_STANDING, allowed=_runs_campaign),
    Move("notice", "开始公示", to=Campaign.Status.NOTICE, allowed=_runs_campaign),
    Move("publish", "通报结果", to=Campaign.Status.PUBLISHED, allowed=_runs_campaign),
)


def require_bureau(actor: User, campaign: Campaign) -> None:
    """Only bureau staff of the campaign's region (or a superuser) run it; anyone else is Forbidden."""
    require(may_manage(actor, campaign.region), "只有本区域的人社局工作人员可以办理此事项。")


# What enrolling a station reads of it (the rest of a station's row stays in the database).
_ENROLMENT_FIELDS = ("code", "name", "kind", "status", "recognized_on", "region__name", "region__path")


def eligible_stations(campaign: Campaign) -> tuple[list[Station], list[tuple[Station, str]]]:
    """Stations of the campaign's region that may take part, and those left out with the reason.

    A station takes part when the policy covers its kind, it is active (not rectifying or
    revoked), and it was recognised long enough before the assessment day when the policy says so.
    The stations come with their region and only the fields enrolling them reads.
    """
    policy = campaign.policy
    spec, _ = compiled_policy(policy)
    candidates = (
        Station.objects.filter(region__path__startswith=campaign.region.path, kind__in=policy.kinds)
        .select_related("region")
        .only(*_ENROLMENT_FIELDS)
    )
    taking_part, left_out = [], []
    for station in candidates.order_by("code").iterator(chunk_size=BULK_CHUNK):
        refusal = eligibility_refusal(
            spec, recognized_on=station.recognized_on, assessed_on=campaign.assessed_on
        )
        if station.status != Station.Status.ACTIVE:
            left_out.append((station, f"站点状态为“{station.get_status_display()}”"))
        elif refusal:
            left_out.append((station, refusal))
        else:
            taking_part.append(station)
    return taking_part, left_out


def _require_scorable(policy) -> None:
    """A campaign freezes its policy: refuse one whose rubric the engine cannot score."""
    from assessment.engine import validate_rubric
    from assessment.engine.scoring import RubricError

    try:
        spec, _ = compiled_policy(policy)
        # What compiles may still not add up: sections summing to more or less than the sheet's max.
        errors = [f for f in validate_rubric(spec.rubric, spec.kinds) if f.severity == "error"]
        if errors:
            raise RubricError(errors)
    except RubricError as exc:
        problems = "；".join(
            f"{finding.code} {finding.message}" if finding.code else finding.message
            for finding in exc.findings[:5]
        )
        raise ValidationError(f"政策“{policy}”的评分表有错误，不能用于考核：{problems}") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(f"政策“{policy}”的评分表数据无法读取：{exc}") from exc


def campaign_open(*, campaign: Campaign, actor: User, stations: list[Station] | None = None) -> Campaign:
    """Open a draft campaign: freeze its policy, enrol the eligible stations and create their sheets.

    Before: the campaign is a draft, its policy covers its year, the monthly/yearly period matches
    the policy. After: the policy is frozen, one CampaignStation per station and one ScoreSheet per
    station and period exist, the campaign is open, and the operators are told. Each station's
    default assessor (if still an active assessor) is copied into its entry, declaration pending,
    recorded and told as `assessor_assign` would; later changes to either leave the other alone.
    `stations` narrows the eligible list (never widens it). Raises ValidationError,
    InvalidTransition, Forbidden.
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
        chosen, allowed = {s.pk for s in stations}, {s.pk for s in eligible}
        refused = sorted(s.code for s in stations if s.pk not in allowed)
        if refused:
            raise ValidationError(f"这些站点不符合参评条件：{'、'.join(refused)}")
        # The eligible list's own objects (with their regions), each once however often it was named.
        eligible = [s for s in eligible if s.pk in chosen]
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
        _entries_create(campaign=campaign, stations=eligible, actor=actor)
        _sheets_create(campaign=campaign, stations=eligible)
        operators = (
            User.objects.filter(operated_stations__campaign_entries__campaign=campaign)
            .distinct()
            .only("email", "is_active")
        )
        notify_after_commit(
            recipients=operators,
            subject=f"{campaign.name}已开始",
            body=(
                f"请在 {timezone.localtime(campaign.self_evaluation_due):%Y-%m-%d %H:%M} 前"
                "登录站点门户完成自评并上传佐证材料。"
            ),
        )
    return campaign


def _entries_create(*, campaign: Campaign, stations: list[Station], actor: User) -> None:
    """One CampaignStation per station, with its default assessor when that is an active assessor.

    Each copied assignment is recorded as `assessor_assign` records one, and each assessor is told
    once of all their stations. The defaults are read afresh: the station objects may have been
    loaded before the bureau changed them.
    """
    assessors = {
        user.pk: user
        for user in User.objects.filter(
            role=User.Role.ASSESSOR,
            is_active=True,
            pk__in=Station.objects.filter(
                region__path__startswith=campaign.region.path, default_assessor__isnull=False
            ).values("default_assessor"),
        )
    }
    defaults = dict(
        Station.objects.filter(
            region__path__startswith=campaign.region.path, default_assessor__in=list(assessors)
        ).values_list("pk", "default_assessor")
    )
    assigned: dict[User, list[Station]] = defaultdict(list)
    for batch in chunked(stations, BULK_CHUNK):
        entries = CampaignStation.objects.bulk_create(
            CampaignStation(campaign=campaign, station=s, assessor=assessors.get(defaults.get(s.pk)))
            for s in batch
        )
        copied = [entry for entry in entries if entry.assessor is not None]
        record_audit_many(
            audit_entry(
                target=entry,
                actor=actor,
                action="campaign.assessor_assign",
                station=entry.station,
                reason="开始考核时复制站点的默认评估人员",
                changes={"assessor": ["", str(entry.assessor)]},
            )
            for entry in copied
        )
        for entry in copied:
            assigned[entry.assessor].append(entry.station)
    for assessor, assessed in assigned.items():
        _assessor_notify(assessor=assessor, stations=assessed)


def _sheets_create(*, campaign: Campaign, stations: list[Station]) -> None:
    """One draft ScoreSheet per station and period, built by the database a chunk of stations at a time."""
    insert_combinations(
        ScoreSheet(campaign=campaign), vary={"station": [s.pk for s in stations], "period": campaign.periods}
    )


def assessor_assign(
    *, entry: CampaignStation, assessor: User | None, actor: User, reason: str = ""
) -> CampaignStation:
    """Assign (or clear) the assessor of a station in a campaign; a new assessor must declare again.

    `reason` is the clerk's 变更原因, kept in the history with the old and new assessor."""
    require_bureau(actor, entry.campaign)
    if entry.campaign.status != Campaign.Status.OPEN:
        raise ValidationError("只有进行中的考核批次可以指派评估人员。")
    if assessor is not None and assessor.role not in {User.Role.ASSESSOR, User.Role.BUREAU}:
        raise ValidationError("只能指派评估人员或人社局工作人员。")
    if not reason.strip():
        raise ValidationError("请填写变更原因：将与原指派和新指派一起记入操作记录。")
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
            reason=reason.strip(),
            changes={"assessor": [str(before or ""), str(assessor or "")]},
        )
        if assessor is not None:
            _assessor_notify(assessor=assessor, stations=[locked.station])
    entry.assessor, entry.declaration, entry.declared_at = assessor, locked.declaration, None
    return entry


def _assessor_notify(*, assessor: User, stations: list[Station]) -> None:
    """Tell an assessor of new assignments: one message, however many stations a campaign gives them."""
    if len(stations) == 1:
        subject = f"评估任务：{stations[0].name}"
        body = "请登录系统，先声明与该站点无利益冲突，再查看评分表并进行现场评估。"
    else:
        subject = f"评估任务：{stations[0].name}等 {len(stations)} 个站点"
        body = (
            f"您被指派评估：{'、'.join(station.name for station in stations)}。"
            "请登录系统，逐一声明与这些站点无利益冲突，再查看评分表并进行现场评估。"
        )
    notify_after_commit(recipients=[assessor], subject=subject, body=body)


def conflict_declare(
    *, entry: CampaignStation, actor: User, has_conflict: bool, statement: str = ""
) -> CampaignStation:
    """The assigned assessor declares whether they have a conflict of interest with the station.

    No conflict: the assessor may now see and score the sheet. A conflict: the assignment is
    handed back (assessor cleared) for the bureau to reassign, and the bureau is told. Either way
    the declaration is recorded in the history.
    """
    with transaction.atomic():
        locked = (
            CampaignStation.objects.select_for_update().select_related("station__region").get(pk=entry.pk)
        )
        require(is_assigned_assessor(actor, locked), "只有被指派的评估人员可以声明。")
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
                body=f"{person_name(actor)} 申报与该站点存在利益冲突，请重新指派评估人员。",
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


# Sheets read per round trip when computing results: memory holds one station's sheets at a time,
# and a province's 360,000 sheets take a few hundred trips.
RESULT_CHUNK = 2000


def _station_score(totals: list[Decimal], *, yearly: bool) -> tuple[Decimal, str]:
    """The year's score of one station from its locked sheets' final totals (in period order)."""
    if yearly and len(totals) == 1:
        return totals[0], f"年度评分 {totals[0]} 分"
    score = annual_score(totals)
    return score, f"{len(totals)} 个月月度得分平均 {score} 分"


def _station_figures(
    campaign: Campaign, stations: dict[int, tuple], progress: Callable | None = None
) -> Iterator[tuple[int, Decimal, str, dict[str, str]]]:
    """(station id, score, how it was reached, section points) of each station, from its sheets.

    The sheets are read in chunks, only the columns needed, one station after the other, so memory
    holds one station's sheets at a time. Section points are the final inputs scored again by the
    frozen policy (as `evaluate` scores them), each section's mean over the months rounded half-up
    once like the annual score; the score stays the mean of the stored final totals, as locked. A
    locked sheet whose final inputs the policy cannot score is refused with its station and period.
    """
    _, rubric = compiled_policy(campaign.policy)
    names = input_names(campaign.policy)
    rows = (
        ScoreSheet.objects.filter(campaign=campaign)
        .order_by("station_id", "period")
        .annotate(inputs=Coalesce("final_packed", "onsite_packed", output_field=CompactJSONField()))
        .values_list("station_id", "period", "final_total", "inputs")
    )
    # Closed as soon as the loop ends, a refusal included: PostgreSQL reads through a server-side
    # cursor, which must go before the transaction rolls back, not whenever it is collected.
    with closing(rows.iterator(chunk_size=RESULT_CHUNK)) as streamed:
        for done, (station_id, sheets) in enumerate(groupby(streamed, key=itemgetter(0)), start=1):
            code, kind = stations[station_id][:2]
            totals: list[Decimal] = []
            sections: dict[str, list[Decimal]] = {}
            month = None
            for _, period, total, packed in sheets:
                month = int(period[5:7]) if len(period) == 7 else None
                values, problems = rubric.parse_inputs(unpack_with(names, packed), kind=kind, month=month)
                if problems:
                    raise ValidationError(
                        f"站点 {code} {period} 的审定数据不能按政策计分："
                        + "；".join(f"{p.field} {p.message}" for p in problems[:5])
                    )
                totals.append(total)
                for section in rubric.score_sheet(values, kind=kind, month=month, explain=False).sections:
                    sections.setdefault(section.code, []).append(section.points)
            score, how = _station_score(totals, yearly=month is None)
            means = {section: str(annual_score(points)) for section, points in sections.items()}
            if progress is not None:
                progress(done, len(stations))
            yield station_id, score, how, means


def _result_rows(campaign: Campaign, actor: User, progress: Callable | None = None) -> list[CampaignResult]:
    """The campaign's results from its locked sheets: one decision, written into the ledger.

    Reads only the columns the decision needs, the sheets in chunks (`_station_figures`), so time
    grows with the sheets and memory with the stations only.
    """
    spec, _ = compiled_policy(campaign.policy)
    in_campaign = ScoreSheet.objects.filter(campaign=campaign).values("station_id")
    stations = {
        pk: rest
        for pk, *rest in Station.objects.filter(pk__in=in_campaign).values_list(
            "pk",
            "code",
            "kind",
            "recognition_level",
            "assessment_group",
            "recognized_on",
            "purchase_contract_start",
            "purchase_contract_end",
        )
    }
    figures = {sid: rest for sid, *rest in _station_figures(campaign, stations, progress)}
    order = sorted(figures, key=lambda sid: stations[sid][0])
    decided_elsewhere = one_time_kept(campaign=campaign, station_ids=in_campaign)
    units = []
    for sid in order:
        code, kind, level, group, recognized_on, contract_start, contract_end = stations[sid]
        units.append(
            DecisionUnit(
                code=code,
                kind=kind,
                score=figures[sid][0],
                level=level or None,
                group=group or None,
                recognized_on=recognized_on,
                # As Station.purchase_contract: a contract is both of its days.
                purchase_contract=(contract_start, contract_end) if contract_start and contract_end else None,
                one_time_decided=sid in decided_elsewhere,
            )
        )
    decisions = dict(zip(order, decide_campaign(spec, units, assessed_on=campaign.assessed_on), strict=True))
    ledger = entitlements_record_campaign(campaign=campaign, decisions=decisions, actor=actor)
    now = timezone.now()
    return [
        CampaignResult(
            campaign=campaign,
            station_id=sid,
            score=decision.score,
            eligible=decision.eligible,
            tier=decision.tier or "",
            tier_label=decision.tier_label,
            eliminated=decision.eliminated,
            entitlement=ledger[(sid, Entitlement.Kind.PERFORMANCE)],
            one_time_entitlement=ledger.get((sid, Entitlement.Kind.ONE_TIME)),
            explanation=f"{figures[sid][1]}；{decision.explanation}",
            section_points=figures[sid][2],
            computed_at=now,
        )
        for sid, decision in decisions.items()
    ]


def campaign_results_check(*, campaign: Campaign, actor: User) -> None:
    """Refuse at once what `campaign_results_compute` would refuse before its work begins.

    The admin asks this before it queues the job, so a clerk sees "还有 N 个站点未锁定" on the
    form rather than on a failed job; the job asks again, under the campaign's lock.
    Raises Forbidden, InvalidTransition, ValidationError (sheets not locked, named).
    """
    require_bureau(actor, campaign)
    if campaign.status != Campaign.Status.OPEN and campaign.status not in RESULTS_STANDING:
        raise InvalidTransition(
            f"考核批次“{campaign}”当前为“{campaign.get_status_display()}”，不能计算结果。"
        )
    unlocked = (
        Station.objects.filter(
            pk__in=ScoreSheet.objects.filter(campaign=campaign)
            .exclude(status=ScoreSheet.Status.LOCKED)
            .values("station_id")
        )
        .order_by("code")
        .values_list("code", flat=True)
    )
    named = list(unlocked[:10])
    if named:
        raise ValidationError(f"还有 {unlocked.count()} 个站点的评分表未审定锁定：{'、'.join(named)}")


def campaign_results_compute(
    *, campaign: Campaign, actor: User, progress: Callable | None = None
) -> list[CampaignResult]:
    """Turn every locked sheet of the campaign into results, all at once (rankings need every sheet).

    Before: every sheet is locked. The first computation moves the campaign to "results"; while
    results or the public notice stand, a correction is followed by a recomputation (recorded).
    After: one CampaignResult per station replaces the previous ones, with its score, tier, section
    points and entitlements. The campaign row is locked before the sheets are read, so a
    recomputation that started earlier can never write its older numbers over a correction's.
    `progress(done, total)` hears of each station scored (a job's progress, core.jobs.Progress).
    Raises ValidationError (a sheet not locked, or not scorable), InvalidTransition, Forbidden,
    EntitlementLocked.
    """
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        campaign_results_check(campaign=locked, actor=actor)
        rows = _result_rows(locked, actor, progress)
        CampaignResult.objects.filter(campaign=locked).delete()
        CampaignResult.objects.bulk_create(rows, batch_size=RESULT_CHUNK)
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


def campaign_notice_start(
    *,
    campaign: Campaign,
    actor: User,
    first_day: datetime.date,
    last_day: datetime.date | None = None,
) -> Campaign:
    """Publish the result list for public notice （公示） from `first_day` to `last_day` (China dates).

    Without `last_day` the notice lasts the policy's minimum: its last day is the earliest one
    that holds `Policy.result_notice_working_days` working days (what the demo, the generated
    province and the benchmarks use).

    Before: the results stand, the first day is not past, and the period holds at least the
    policy's minimum of working days (`Policy.result_notice_working_days`) on the bureau's working
    calendar (core.working_days). After: the campaign is in notice from 00:00 of the first
    day to the end of the last (the public page shows from the first day on) and the move is
    recorded with the period. Raises ValidationError (naming the earliest allowed last day),
    InvalidTransition, Forbidden.
    """
    require_bureau(actor, campaign)
    today = timezone.localdate()
    if last_day is None:
        last_day = earliest_last_day(first_day, campaign.policy.result_notice_working_days)
    if last_day < today:
        # A notice that has already ended would give the public no chance to object.
        raise ValidationError("公示结束时间已过，请重新确定公示期。")
    if first_day < today:
        # A notice that began before it was published would give the public fewer days than it says.
        raise ValidationError("公示的第一天不能早于今天。")
    refusal = notice_period_refusal(
        first=first_day, last=last_day, minimum=campaign.policy.result_notice_working_days
    )
    if refusal:
        raise ValidationError(refusal)
    period = notice_period(day_start(first_day), day_end(last_day))
    return transition(
        campaign,
        to=Campaign.Status.NOTICE,
        table=CAMPAIGN_TRANSITIONS,
        actor=actor,
        action="campaign.notice",
        region=campaign.region,
        reason=f"公示期：{period}",
        extra_fields={"notice_start": day_start(first_day), "notice_end": day_end(last_day)},
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
