"""The demo's recommendation up the hierarchy: 004's timetable on the published Heshan campaign.

赫山区 recommends its six best units to 益阳市 (12月10日); the city scores them, forwards four and
keeps one back with its reason (12月11日–20日), one still waits for it; the province scores the
forwarded ones and recognises three (2025年1月), one still waits for it. Each move goes through the
services, made by the district's, the city's and the province's clerks; the timestamps of the moves
are then dated as 004 sets them, as the demo does with the notice it replays.

001's province-wide evaluation: 湖北省 runs its own campaign over the province's gig stations, scored
on site by the province's clerk (hb-bureau), published, and selects the top three of its ranking as
demonstration stations (服务示范零工驿站).
"""

import datetime
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from assessment.models import Campaign, Policy, Recommendation, ScoreSheet
from assessment.services.campaigns import campaign_open, campaign_results_compute
from assessment.services.recommendations import (
    demonstrations_select,
    recommendation_city_review,
    recommendation_decide,
    recommendations_create,
)
from assessment.services.sheets import sheet_lock
from stations.models import Region, Station, StationKind, User

SHANGHAI = ZoneInfo("Asia/Shanghai")
RECOMMENDED_AT = datetime.datetime(2024, 12, 10, 10, 0, tzinfo=SHANGHAI)
CITY_REVIEWED_AT = datetime.datetime(2024, 12, 18, 16, 0, tzinfo=SHANGHAI)
DECIDED_ON = datetime.date(2025, 1, 10)
# What happens to the six units, best first: (the city forwards?, the province's level or None to wait).
FATES = [
    (True, "province"),
    (True, "province"),
    (True, "city"),
    (True, None),  # awaits the province: hn-bureau decides it in the demo
    (False, None),  # the city keeps it back, with its reason
    (None, None),  # awaits the city: yy-bureau scores it in the demo
]


def load_heshan_recommendations(campaign: Campaign, users: dict[str, User]) -> None:
    district, city, province = users["hs-bureau"], users["yy-bureau"], users["hn-bureau"]
    best = list(
        campaign.results.filter(eliminated=False)
        .select_related("station")
        .order_by("-score", "station__code")[:6]
    )
    recommendations = recommendations_create(
        campaign=campaign,
        stations=[result.station for result in best],
        actor=district,
        requested_level="province",
        note="经区人社局资料核查、系统数据核实和实地调查，评为本区充分就业社区（村）建设先进单位。",
    )
    Recommendation.objects.filter(pk__in=[r.pk for r in recommendations]).update(
        recommended_at=RECOMMENDED_AT
    )
    for rec, (forward, level) in zip(recommendations, FATES, strict=True):
        if forward is None:
            continue
        recommendation_city_review(
            recommendation=rec,
            actor=city,
            score=rec.score_county - Decimal("0.40"),
            forward=forward,
            opinion="" if forward else "本年度向省厅推荐名额有限，择优报送，本单位暂不推荐。",
        )
        Recommendation.objects.filter(pk=rec.pk).update(city_reviewed_at=CITY_REVIEWED_AT)
        if level is None:
            continue
        recommendation_decide(
            recommendation=rec,
            actor=province,
            score=rec.score_county - Decimal("0.20"),
            level=level,
            on=DECIDED_ON,
            opinion="综合评估，建设合格。",
        )
        Recommendation.objects.filter(pk=rec.pk).update(
            decided_at=datetime.datetime(2025, 1, 10, 9, 30, tzinfo=SHANGHAI)
        )


def load_hubei_demonstrations(users: dict[str, User]) -> None:
    """001's province-wide evaluation. The demo's only Hubei policy is Yunmeng's (a county's); the
    province's campaign may use it (campaign_open accepts a policy of a region within the campaign's),
    and it is narrowed to the gig stations (零工驿站), the stations 001 selects from."""
    # Imported here: assessment.demo imports this module from inside its loaders.
    from assessment.demo import _import_rows, _points_inputs, notice_replayed_and_published

    rng = random.Random(2025)  # noqa: S311 -- demo figures; this seed leaves no tie at third place
    now = timezone.now()
    province = users["hb-bureau"]
    hubei = Region.objects.get(code="420000")
    campaign = Campaign.objects.create(
        code="hubei-2024",
        name="湖北省2024年度零工驿站服务绩效评价",
        policy=Policy.objects.filter(code="yunmeng-2024").order_by("-version").first(),
        region=hubei,
        year=2024,
        self_evaluation_due=now + datetime.timedelta(days=1),
        onsite_due=timezone.localdate() + datetime.timedelta(days=1),
        assessed_on=datetime.date(2024, 12, 31),
    )
    gig = Station.objects.filter(kind=StationKind.GIG_STATION, region__path__startswith=hubei.path)
    campaign_open(campaign=campaign, actor=province, stations=list(gig))
    # The province's on-site scores, entered by its clerk through the Excel import.
    quality = {code: 0.7 + 0.25 * rng.random() for code in gig.values_list("code", flat=True)}
    _import_rows(campaign, province, lambda s: _points_inputs(s, quality[s.station.code], rng))
    for sheet in ScoreSheet.objects.filter(campaign=campaign):
        sheet_lock(sheet=sheet, actor=province, reason="省级实地评价，与台账核对一致")
    campaign_results_compute(campaign=campaign, actor=province)
    notice_replayed_and_published(campaign, province)
    Campaign.objects.filter(pk=campaign.pk).update(
        self_evaluation_due=datetime.datetime(2025, 1, 10, 18, 0, tzinfo=SHANGHAI),
        onsite_due=datetime.date(2025, 1, 20),
    )
    best = campaign.results.filter(eliminated=False, eligible=True).order_by("-score", "station__code")[:3]
    demonstrations_select(campaign=campaign, results=list(best), actor=province)
