"""The demo's recommendation up the hierarchy: 004's timetable on the published Heshan campaign.

赫山区 recommends its six best units to 益阳市 (12月10日); the city scores them, forwards four and
keeps one back with its reason (12月11日–20日), one still waits for it; the province scores the
forwarded ones and recognises three (2025年1月), one still waits for it. Each move goes through the
services, made by the district's, the city's and the province's clerks; the timestamps of the moves
are then dated as 004 sets them, as the demo does with the notice it replays.
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from assessment.models import Campaign, Recommendation
from assessment.services.recommendations import (
    recommendation_city_review,
    recommendation_decide,
    recommendations_create,
)
from stations.models import User

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
