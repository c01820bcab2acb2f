"""Recommendation and recognition up the hierarchy （推荐认定）, 004's timetable and 001's selection.

A county's published campaign recommends units to its city (by 10 December); the city scores each
in its own column and forwards it to the province or does not (11–20 December); the province scores
it in its column and recognises it at a level, or refuses it with a reason (to January). Each level's
column is written once, by its own move, and the lower levels' columns are kept as they were. The
recognised level and its date go to the station through `station_recognition_set` (recorded), and
the next campaign's decision reads it (`decide_campaign` ranks province and city units 3:4:3 and
pays district units their fixed amount).

001's provincial evaluation is a province's own campaign over every station: its published results
rank the stations, and `demonstrations_select` records the best of them as demonstration stations
（服务示范零工驿站）, kept with the rank and score they were chosen on.
"""

import datetime
from bisect import bisect_right
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg
from django.utils import timezone

from assessment.engine.decimal_math import NumberProblem, parse_decimal, round_half_up
from assessment.models import Campaign, CampaignResult, Demonstration, Evidence, Recommendation, ScoreSheet
from core.permissions import is_superuser, may_manage, require
from core.workflow import Move, audit_entry, record_audit, record_audit_many, transition
from stations.models import Region, Station, User
from stations.services import station_recognition_set

S = Recommendation.Status
RECOMMENDATION_TRANSITIONS: dict[str, set[str]] = {
    # The city scores and forwards, or does not forward (with its reason); the county may take back
    # a recommendation the city has not reviewed yet.
    S.RECOMMENDED: {S.CITY_REVIEWED, S.REFUSED, S.WITHDRAWN},
    S.CITY_REVIEWED: {S.RECOGNISED, S.REFUSED},
    S.RECOGNISED: set(),
    S.REFUSED: set(),
    S.WITHDRAWN: set(),
}


def acts_for(actor: User | None, region: Region) -> bool:
    """Bureau staff of exactly `region` (or a superuser): a level's column is that level's own work,
    so a province clerk does not score in the city's column, nor a county clerk in either."""
    return may_manage(actor, region) and (is_superuser(actor) or actor.region_id == region.pk)


RECOMMENDATION_MOVES = (
    Move(
        "withdraw",
        "撤回推荐",
        to=S.WITHDRAWN,
        allowed=lambda rec, actor: acts_for(actor, rec.campaign.region),
    ),
    Move(
        "city_review",
        "市级评分",
        to={S.CITY_REVIEWED, S.REFUSED},
        at=S.RECOMMENDED,
        allowed=lambda rec, actor: acts_for(actor, rec.city),
    ),
    Move(
        "decide",
        "省级审定",
        to={S.RECOGNISED, S.REFUSED},
        at=S.CITY_REVIEWED,
        allowed=lambda rec, actor: acts_for(actor, rec.province),
    ),
)


def _score(raw, *, what: str, campaign: Campaign) -> Decimal:
    """A level's score, 0 up to the rubric's maximum, rounded half-up to 2 places."""
    top = campaign.policy.rubric_max_points
    try:
        value = parse_decimal(raw)
    except NumberProblem as problem:
        raise ValidationError(f"{what}{problem}，请填写 0 到 {top} 之间的分数。") from None
    if not Decimal(0) <= value <= top:
        raise ValidationError(f"{what}须在 0 到 {top} 分之间。")
    return round_half_up(value)


def _text(raw: str, *, what: str, required: bool) -> str:
    text = (raw or "").strip()
    if required and not text:
        raise ValidationError(f"请填写{what}。")
    if len(text) > 1000:
        raise ValidationError(f"{what}最多 1000 字。")
    return text


def recommendation_papers(recommendation: Recommendation):
    """The unit's papers: its evidence in the campaign it is recommended from (not copied)."""
    return Evidence.objects.filter(
        sheet__campaign_id=recommendation.campaign_id, sheet__station_id=recommendation.station_id
    ).select_related("uploaded_by")


def recommendations_create(
    *, campaign: Campaign, stations: list[Station], actor: User, requested_level: str, note: str = ""
) -> list[Recommendation]:
    """The county recommends units of its published campaign to its city, all or none.

    Before: the actor is bureau staff of the campaign's county (or a superuser), the campaign is a
    county's and published, and each unit has a result in it, was not eliminated, was eligible, is
    not revoked, and was not recommended from it before. After: one recommendation per unit,
    addressed to the county's city and province, with the self-evaluation (the mean of its sheets'
    self totals, when it made one) and the county's result score in their columns, and an audit row
    each. Raises Forbidden or ValidationError naming the units refused (nothing saved).
    """
    require(acts_for(actor, campaign.region), "只有本考核批次所在县（区）的人社局工作人员可以推荐单位。")
    region = campaign.region
    city = region.parent
    province = city.parent if city is not None else None
    if region.level != Region.Level.COUNTY or city is None or province is None:
        raise ValidationError("只有县（区）级考核批次的结果可以向市、省推荐。")
    if campaign.status != Campaign.Status.PUBLISHED:
        raise ValidationError(f"考核批次“{campaign}”尚未通报，结果确定后才能推荐。")
    if requested_level not in Station.RecognitionLevel.values:
        raise ValidationError("请选择申报的认定级别。")
    if not stations:
        raise ValidationError("请选择要推荐的单位。")
    note = _text(note, what="推荐意见", required=False)
    ids = [station.pk for station in stations]
    results = {
        r.station_id: r
        for r in CampaignResult.objects.filter(campaign=campaign, station_id__in=ids).select_related(
            "station"
        )
    }
    already = set(
        Recommendation.objects.filter(campaign=campaign, station_id__in=ids).values_list(
            "station_id", flat=True
        )
    )
    self_scores = dict(
        ScoreSheet.objects.filter(campaign=campaign, station_id__in=ids, self_total__isnull=False)
        .values("station_id")
        .annotate(mean=Avg("self_total"))
        .values_list("station_id", "mean")
    )
    refusals = []
    for station in stations:
        result = results.get(station.pk)
        if result is None:
            refusals.append(f"“{station}”在本批次没有考核结果")
        elif result.eliminated:
            refusals.append(f"“{station}”末位淘汰，不能推荐")
        elif not result.eligible:
            refusals.append(f"“{station}”不符合参评条件，不能推荐")
        elif result.station.status == Station.Status.REVOKED:
            refusals.append(f"“{station}”已撤销认定，不能推荐")
        elif station.pk in already:
            refusals.append(f"“{station}”已从本批次推荐过")
    if refusals:
        raise ValidationError("；".join(refusals) + "。未推荐任何单位。")
    created = []
    try:
        with transaction.atomic():
            for station in stations:
                mean = self_scores.get(station.pk)
                rec = Recommendation.objects.create(
                    campaign=campaign,
                    station=station,
                    city=city,
                    province=province,
                    requested_level=requested_level,
                    score_self=round_half_up(Decimal(mean)) if mean is not None else None,
                    score_county=results[station.pk].score,
                    note=note,
                    recommended_by=actor,
                )
                record_audit(
                    target=rec,
                    actor=actor,
                    action="recommendation.create",
                    to_state=rec.status,
                    reason=note,
                    station=station,
                    changes={"县（区）级评分": ["", f"{rec.score_county}"], "推荐至": ["", city.name]},
                )
                created.append(rec)
    except IntegrityError:  # a colleague recommended the same unit meanwhile
        raise ValidationError("所选单位已被他人推荐，请刷新后重试。") from None
    return created


def recommendation_withdraw(*, recommendation: Recommendation, actor: User, reason: str) -> Recommendation:
    """The county takes back a recommendation the city has not reviewed yet, with a reason."""
    require(
        acts_for(actor, recommendation.campaign.region),
        "只有推荐单位所在县（区）的人社局工作人员可以撤回推荐。",
    )
    return transition(
        recommendation,
        to=S.WITHDRAWN,
        table=RECOMMENDATION_TRANSITIONS,
        actor=actor,
        action="recommendation.withdraw",
        reason=_text(reason, what="撤回原因", required=True),
        station=recommendation.station,
    )


def recommendation_city_review(
    *, recommendation: Recommendation, actor: User, score, forward: bool, opinion: str
) -> Recommendation:
    """The city scores a recommended unit in its column and forwards it to the province, or not.

    Before: the actor is bureau staff of the city the recommendation is addressed to (or a
    superuser) and it awaits the city. After: `score_city`, the opinion, who and when are saved with
    the move to "待省级审定", or to "不予认定" (the opinion is then required: it is the reason the
    unit hears); an audit row records it. Raises Forbidden, ValidationError, InvalidTransition.
    """
    require(acts_for(actor, recommendation.city), "只有受理推荐的市级人社局工作人员可以进行市级评分。")
    value = _score(score, what="市级评分", campaign=recommendation.campaign)
    opinion = _text(opinion, what="不予推荐的理由" if not forward else "市级审核意见", required=not forward)
    return transition(
        recommendation,
        to=S.CITY_REVIEWED if forward else S.REFUSED,
        table=RECOMMENDATION_TRANSITIONS,
        actor=actor,
        action="recommendation.city_review",
        reason=f"市级评分 {value} 分" + (f"；{opinion}" if opinion else ""),
        station=recommendation.station,
        extra_fields={
            "score_city": value,
            "city_opinion": opinion,
            "city_reviewed_by": actor,
            "city_reviewed_at": timezone.now(),
        },
    )


def recommendation_decide(
    *,
    recommendation: Recommendation,
    actor: User,
    score,
    level: str | None,
    on: datetime.date | None,
    opinion: str,
) -> Recommendation:
    """The province scores a forwarded unit in its column and recognises it at `level`, or refuses.

    Before: the actor is bureau staff of the province (or a superuser) and the city forwarded the
    unit. After, in one transaction: `score_province`, the opinion, who and when are saved with the
    move to "已认定" (with `level` and the date `on`, which `station_recognition_set` writes to the
    station, recorded) or to "不予认定" (`level` None; the opinion, the reason, is required; the
    station is left as it is). Raises Forbidden, ValidationError, InvalidTransition.
    """
    require(acts_for(actor, recommendation.province), "只有省级人社部门工作人员可以审定推荐单位。")
    value = _score(score, what="省级评分", campaign=recommendation.campaign)
    recognise = level is not None
    opinion = _text(
        opinion, what="不予认定的理由" if not recognise else "省级审定意见", required=not recognise
    )
    if recognise and level not in Station.RecognitionLevel.values:
        raise ValidationError("请选择认定级别：省级、市级或区（县）级。")
    if recognise and on is None:
        raise ValidationError("请填写认定日期。")
    # The date may become the station's first recognition (station_recognition_set), from which the
    # one-time subsidy and eligibility count: it is a decision already made, within this round.
    if recognise and on > timezone.localdate():
        raise ValidationError("认定日期不能晚于今天。")
    if recognise and on.year < recommendation.campaign.year:
        raise ValidationError(f"认定日期不能早于推荐所依据的{recommendation.campaign.year}年度考核。")
    fields = {
        "score_province": value,
        "province_opinion": opinion,
        "decided_by": actor,
        "decided_at": timezone.now(),
    }
    if recognise:
        fields |= {"decided_level": level, "decided_on": on}
    label = Station.RecognitionLevel(level).label if recognise else ""
    with transaction.atomic():
        transition(
            recommendation,
            to=S.RECOGNISED if recognise else S.REFUSED,
            table=RECOMMENDATION_TRANSITIONS,
            actor=actor,
            action="recommendation.decide",
            reason=(f"省级评分 {value} 分，认定为{label}" if recognise else f"省级评分 {value} 分")
            + (f"；{opinion}" if opinion else ""),
            station=recommendation.station,
            extra_fields=fields,
        )
        if recognise:
            station_recognition_set(
                station=recommendation.station,
                level=level,
                on=on,
                actor=actor,
                reason=f"{recommendation.campaign.year}年度推荐认定：{recommendation.province.name}审定为{label}",
            )
    return recommendation


DEMONSTRATION_TITLE = "服务示范零工驿站"


def demonstrations_select(
    *, campaign: Campaign, results: list[CampaignResult], actor: User, title: str = DEMONSTRATION_TITLE
) -> list[Demonstration]:
    """The province selects the top of its campaign's ranking as demonstration stations (001), all or none.

    Before: the actor is bureau staff of the campaign's province (or a superuser), the campaign is a
    province's and published, and the chosen results are its best: no result left out ranks above a
    chosen one (eliminated and ineligible results take no part), and none was selected before.
    After: one row per station with its rank (competition ranking: ties share a rank) and score, and
    an audit row each. Raises Forbidden or ValidationError (nothing saved).
    """
    require(acts_for(actor, campaign.region), "只有本考核批次所在省的人社部门工作人员可以选树示范站。")
    if campaign.region.level != Region.Level.PROVINCE:
        raise ValidationError("服务示范站由省级考核批次的结果选树。")
    if campaign.status != Campaign.Status.PUBLISHED:
        raise ValidationError(f"考核批次“{campaign}”尚未通报，结果确定后才能选树示范站。")
    if not results or any(r.campaign_id != campaign.pk for r in results):
        raise ValidationError("请选择本考核批次的结果。")
    title = _text(title, what="称号", required=True)[:64]
    if any(r.eliminated or not r.eligible for r in results):
        raise ValidationError("末位淘汰或不符合参评条件的站点不能选树为示范站。")
    lowest = min(r.score for r in results)
    ranked = CampaignResult.objects.filter(campaign=campaign, eliminated=False, eligible=True)
    passed_over = ranked.filter(score__gt=lowest).exclude(pk__in=[r.pk for r in results])
    if passed_over.exists():
        names = "、".join(str(r.station.name) for r in passed_over.select_related("station")[:5])
        raise ValidationError(f"示范站按得分排名选树：{names}得分高于所选站点，须一并选树或不选其后的站点。")
    if Demonstration.objects.filter(
        campaign=campaign, station_id__in=[r.station_id for r in results]
    ).exists():
        raise ValidationError("所选站点已选树过，未做任何更改。")
    # Competition ranking over the whole list (ties share a rank): one read of the scores.
    scores = sorted(ranked.values_list("score", flat=True))
    rows = []
    try:
        with transaction.atomic():
            for result in results:
                rank = len(scores) - bisect_right(scores, result.score) + 1
                rows.append(
                    Demonstration.objects.create(
                        campaign=campaign,
                        station=result.station,
                        title=title,
                        rank=rank,
                        score=result.score,
                        selected_by=actor,
                    )
                )
            record_audit_many(
                audit_entry(
                    target=row,
                    actor=actor,
                    action="demonstration.select",
                    reason=f"{campaign.name}排名第 {row.rank} 位，得分 {row.score} 分",
                    station=row.station,
                )
                for row in rows
            )
    except IntegrityError:
        raise ValidationError("所选站点已被他人选树，请刷新后重试。") from None
    return rows


__all__ = [
    "DEMONSTRATION_TITLE",
    "RECOMMENDATION_MOVES",
    "RECOMMENDATION_TRANSITIONS",
    "acts_for",
    "demonstrations_select",
    "recommendation_city_review",
    "recommendation_decide",
    "recommendation_papers",
    "recommendation_withdraw",
    "recommendations_create",
]
