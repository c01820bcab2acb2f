"""Recommendation and recognition up the hierarchy (issue 15, item 2; seed 004's timetable).

County A (云梦县) recommends from its published campaign to its city (孝感市), which scores and
forwards to the province (湖北省), which scores and recognises at a level written to the station.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assessment.models import Campaign, CampaignResult, Entitlement, Recommendation, ScoreSheet
from assessment.services.campaigns import campaign_open, campaign_publish, campaign_results_compute
from assessment.services.recommendations import (
    RECOMMENDATION_MOVES,
    RECOMMENDATION_TRANSITIONS,
    demonstrations_select,
    recommendation_city_review,
    recommendation_decide,
    recommendation_withdraw,
    recommendations_create,
)
from assessment.services.sheets import sheet_lock, sheet_onsite_save, sheet_onsite_submit
from core.models import AuditEntry
from core.permissions import Forbidden
from core.workflow import InvalidTransition, available_moves
from stations.models import Region, Station, User
from tests.assessment.builders import heshan_perfect_month
from tests.assessment.steps import assign_assessor, lock_sheets, points_inputs, self_evaluate, start_notice
from tests.factories import make_region, make_station, make_user

S = Recommendation.Status


def test_the_table_is_written_out():
    assert {
        "recommended": {"city_reviewed", "refused", "withdrawn"},
        "city_reviewed": {"recognised", "refused"},
        "recognised": set(),
        "refused": set(),
        "withdrawn": set(),
    } == RECOMMENDATION_TRANSITIONS
    assert [(m.name, m.label) for m in RECOMMENDATION_MOVES] == [
        ("withdraw", "撤回推荐"),
        ("city_review", "市级评分"),
        ("decide", "省级审定"),
    ]


@pytest.fixture
def people(world):
    return {
        "city": make_user("bureau_city", role=User.Role.BUREAU, region=world.city),
        "province": make_user("bureau_prov", role=User.Role.BUREAU, region=world.province),
        "auditor_city": make_user("auditor_city", role=User.Role.AUDITOR, region=world.city),
        # Another city of the same province: none of this is theirs.
        "other_city": make_user(
            "bureau_other",
            role=User.Role.BUREAU,
            region=make_region("420100", "武汉市", Region.Level.CITY, world.province),
        ),
    }


@pytest.fixture
def published(world, open_campaign):
    """County A's campaign, published: AAA-01 self-evaluated at 90 (with a ledger), scored 87 on site."""
    sheet = ScoreSheet.objects.get(campaign=open_campaign, station=world.station_a)
    self_evaluate(
        sheet, operator=world.operator_a, raw=points_inputs(open_campaign, kind="gig_station", total=88)
    )
    lock_sheets(open_campaign, totals={"AAA-01": 87}, assessor=world.assessor_a, bureau=world.bureau_a)
    start_notice(open_campaign, bureau=world.bureau_a)
    # The notice ran its days: dated as it was, as the demo replays it.
    now = timezone.now()
    Campaign.objects.filter(pk=open_campaign.pk).update(
        notice_start=now - datetime.timedelta(days=10), notice_end=now - datetime.timedelta(days=1)
    )
    open_campaign.refresh_from_db()
    return campaign_publish(campaign=open_campaign, actor=world.bureau_a)


def recommend(world, campaign, level="city"):
    (rec,) = recommendations_create(
        campaign=campaign,
        stations=[world.station_a],
        actor=world.bureau_a,
        requested_level=level,
        note="服务成效突出",
    )
    return rec


def test_the_county_recommends_with_the_self_and_county_columns(world, published):
    rec = recommend(world, published)
    assert (rec.status, rec.city, rec.province) == (S.RECOMMENDED, world.city, world.province)
    assert (rec.score_self, rec.score_county, rec.score_city, rec.score_province) == (
        Decimal("88.00"),
        Decimal("87.00"),
        None,
        None,
    )
    entry = AuditEntry.objects.get(action="recommendation.create")
    assert (entry.actor, entry.station, entry.to_state) == (world.bureau_a, world.station_a, "recommended")


def test_each_level_scores_in_its_own_column_and_the_lower_ones_are_kept(world, published, people):
    rec = recommend(world, published)
    recommendation_city_review(
        recommendation=rec, actor=people["city"], score="91.235", forward=True, opinion=""
    )
    recommendation_decide(
        recommendation=rec,
        actor=people["province"],
        score=Decimal("93.5"),
        level="province",
        on=datetime.date(2025, 1, 15),
        opinion="综合评估合格",
    )
    rec.refresh_from_db()
    assert (rec.score_self, rec.score_county, rec.score_city, rec.score_province) == (
        Decimal("88.00"),
        Decimal("87.00"),
        Decimal("91.24"),  # rounded half-up to 2 places
        Decimal("93.50"),
    )
    assert (rec.status, rec.decided_level, rec.decided_on) == (
        S.RECOGNISED,
        "province",
        datetime.date(2025, 1, 15),
    )
    assert (rec.city_reviewed_by, rec.decided_by) == (people["city"], people["province"])


def test_the_decision_writes_the_level_to_the_station_with_an_audit_row(world, published, people):
    Station.objects.filter(pk=world.station_a.pk).update(recognition_level="district", recognized_on=None)
    rec = recommend(world, published)
    recommendation_city_review(recommendation=rec, actor=people["city"], score="90", forward=True, opinion="")
    recommendation_decide(
        recommendation=rec,
        actor=people["province"],
        score="92",
        level="city",
        on=datetime.date(2025, 1, 8),
        opinion="",
    )
    station = Station.objects.get(pk=world.station_a.pk)
    # A station without a recognition date gets this one as its first; the level is the decided one.
    assert (station.recognition_level, station.recognized_on) == ("city", datetime.date(2025, 1, 8))
    assert station.recognition_level_on == datetime.date(2025, 1, 8)
    entry = AuditEntry.objects.get(action="station.recognition_set")
    assert entry.actor == people["province"] and entry.station == world.station_a
    assert entry.changes["recognition_level"] == ["区（县）级", "市级"]
    assert entry.changes["recognition_level_on"] == ["", "2025-01-08"]


def test_a_later_level_keeps_the_first_recognition_date(world, published, people):
    first = datetime.date(2022, 3, 1)
    Station.objects.filter(pk=world.station_a.pk).update(recognized_on=first)
    rec = recommend(world, published)
    recommendation_city_review(recommendation=rec, actor=people["city"], score="90", forward=True, opinion="")
    recommendation_decide(
        recommendation=rec,
        actor=people["province"],
        score="92",
        level="province",
        on=datetime.date(2025, 1, 8),
        opinion="",
    )
    station = Station.objects.get(pk=world.station_a.pk)
    # The first recognition stays; the level and its own date are the decision's.
    assert (station.recognition_level, station.recognized_on) == ("province", first)
    assert station.recognition_level_on == datetime.date(2025, 1, 8)
    changes = AuditEntry.objects.get(action="station.recognition_set").changes
    assert "recognized_on" not in changes and changes["recognition_level_on"] == ["", "2025-01-08"]


def test_refusals_need_a_reason_and_leave_the_station_alone(world, published, people):
    Station.objects.filter(pk=world.station_a.pk).update(recognition_level="district")
    rec = recommend(world, published)
    with pytest.raises(ValidationError, match="不予推荐的理由"):
        recommendation_city_review(
            recommendation=rec, actor=people["city"], score="70", forward=False, opinion=" "
        )
    recommendation_city_review(recommendation=rec, actor=people["city"], score="90", forward=True, opinion="")
    with pytest.raises(ValidationError, match="不予认定的理由"):
        recommendation_decide(
            recommendation=rec, actor=people["province"], score="60", level=None, on=None, opinion=""
        )
    recommendation_decide(
        recommendation=rec, actor=people["province"], score="60", level=None, on=None, opinion="服务数据不实"
    )
    rec.refresh_from_db()
    assert (rec.status, rec.decided_level, rec.score_province) == (S.REFUSED, "", Decimal("60.00"))
    assert Station.objects.get(pk=world.station_a.pk).recognition_level == "district"
    assert AuditEntry.objects.get(action="recommendation.decide").reason == "省级评分 60.00 分；服务数据不实"


def test_who_may_make_each_move(world, published, people):
    rec = recommend(world, published)
    open_to = {
        name: [
            m.name
            for m in available_moves(rec, user, table=RECOMMENDATION_TRANSITIONS, moves=RECOMMENDATION_MOVES)
        ]
        for name, user in [
            ("county", world.bureau_a),
            ("city", people["city"]),
            ("province", people["province"]),
            ("auditor", people["auditor_city"]),
            ("other_city", people["other_city"]),
            ("other_county", world.bureau_b),
        ]
    }
    assert open_to == {
        "county": ["withdraw"],
        "city": ["city_review"],
        # The province manages the city's region, but the city's column is the city's own work.
        "province": [],
        "auditor": [],
        "other_city": [],
        "other_county": [],
    }
    for actor in (world.bureau_a, people["province"], people["auditor_city"]):
        with pytest.raises(Forbidden):
            recommendation_city_review(recommendation=rec, actor=actor, score="90", forward=True, opinion="")
    with pytest.raises(Forbidden):
        recommendation_decide(
            recommendation=rec,
            actor=people["city"],
            score="90",
            level="city",
            on=timezone.localdate(),
            opinion="",
        )
    # The province decides only what the city forwarded.
    with pytest.raises(InvalidTransition):
        recommendation_decide(
            recommendation=rec,
            actor=people["province"],
            score="90",
            level="city",
            on=timezone.localdate(),
            opinion="",
        )
    with pytest.raises(Forbidden):
        recommendations_create(
            campaign=published, stations=[world.station_a], actor=people["city"], requested_level="city"
        )


def test_the_county_withdraws_only_before_the_city_reviews(world, published, people):
    rec = recommend(world, published)
    recommendation_city_review(recommendation=rec, actor=people["city"], score="90", forward=True, opinion="")
    with pytest.raises(InvalidTransition):
        recommendation_withdraw(recommendation=rec, actor=world.bureau_a, reason="误报")


def test_a_unit_is_recommended_once_and_only_from_a_published_campaign(world, open_campaign, published):
    recommend(world, published)
    with pytest.raises(ValidationError, match="已从本批次推荐过"):
        recommend(world, published)
    Campaign.objects.filter(pk=published.pk).update(status=Campaign.Status.NOTICE)
    published.refresh_from_db()
    with pytest.raises(ValidationError, match="尚未通报"):
        recommendations_create(
            campaign=published, stations=[world.station_b], actor=world.bureau_a, requested_level="city"
        )


def test_an_ineligible_or_revoked_unit_is_not_recommended(world, published):
    CampaignResult.objects.filter(campaign=published, station=world.station_a).update(eligible=False)
    with pytest.raises(ValidationError, match="不符合参评条件，不能推荐。未推荐任何单位"):
        recommend(world, published)
    CampaignResult.objects.filter(campaign=published, station=world.station_a).update(eligible=True)
    Station.objects.filter(pk=world.station_a.pk).update(status=Station.Status.REVOKED)
    with pytest.raises(ValidationError, match="已撤销认定，不能推荐"):
        recommend(world, published)
    assert not Recommendation.objects.exists()


def test_a_recognition_date_after_today_or_before_the_campaign_year_is_refused(world, published, people):
    Station.objects.filter(pk=world.station_a.pk).update(recognized_on=None, recognition_level="")
    rec = recommend(world, published)
    recommendation_city_review(recommendation=rec, actor=people["city"], score="90", forward=True, opinion="")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    for on, words in (
        (tomorrow, "认定日期不能晚于今天"),
        (datetime.date(2023, 12, 31), "不能早于推荐所依据的2024年度考核"),
    ):
        with pytest.raises(ValidationError, match=words):
            recommendation_decide(
                recommendation=rec, actor=people["province"], score="92", level="city", on=on, opinion=""
            )
    rec.refresh_from_db()
    station = Station.objects.get(pk=world.station_a.pk)
    # Nothing moved: the recommendation still awaits the province, the station has no date.
    assert (rec.status, station.recognized_on) == (S.CITY_REVIEWED, None)
    recommendation_decide(
        recommendation=rec,
        actor=people["province"],
        score="92",
        level="city",
        on=datetime.date(2024, 1, 1),
        opinion="",
    )
    assert Station.objects.get(pk=world.station_a.pk).recognized_on == datetime.date(2024, 1, 1)


def test_a_score_out_of_range_is_refused_in_words(world, published, people):
    rec = recommend(world, published)
    for raw, words in (("101", "须在 0 到 100.00 分之间"), ("九十", "市级评分不是数字"), ("-1", "须在 0 到")):
        with pytest.raises(ValidationError, match=words):
            recommendation_city_review(
                recommendation=rec, actor=people["city"], score=raw, forward=True, opinion=""
            )


# ---- the admin: scoped lists, the county's action, the city's and province's pages


def test_the_admin_list_is_scoped_and_constant_in_queries(
    client, world, published, people, django_assert_max_num_queries
):
    recommend(world, published)
    url = reverse("admin:assessment_recommendation_changelist")
    for user, sees in (
        (world.bureau_a, True),
        (people["city"], True),
        (people["province"], True),
        (people["auditor_city"], True),
        (people["other_city"], False),
        (world.bureau_b, False),
    ):
        client.force_login(user)
        body = client.get(url).content.decode()
        assert ("甲县城关零工驿站" in body) is sees, user
    rec = Recommendation.objects.get()
    client.force_login(people["other_city"])
    assert client.get(reverse("admin:assessment_recommendation_change", args=[rec.pk])).status_code == 404
    assert (
        client.get(reverse("admin:assessment_recommendation_city_review", args=[rec.pk])).status_code == 404
    )
    # More rows, same queries.
    client.force_login(people["province"])
    with django_assert_max_num_queries(12) as one_row:
        client.get(url)
    for n in range(5):
        station = make_station(region=world.town_a, code=f"AAA-1{n}")
        Recommendation.objects.create(
            campaign=published,
            station=station,
            city=world.city,
            province=world.province,
            requested_level="city",
            score_county=Decimal("80"),
            recommended_by=world.bureau_a,
        )
    with django_assert_max_num_queries(len(one_row.captured_queries)):
        client.get(url)


def test_the_county_recommends_from_its_results_list(client, world, published):
    result = CampaignResult.objects.get(campaign=published)
    client.force_login(world.bureau_a)
    response = client.post(
        reverse("admin:assessment_campaignresult_changelist"),
        {"action": "recommend_province", "_selected_action": [result.pk]},
        follow=True,
    )
    assert "已向孝感市推荐 1 个单位（申报省级），待市级审核。" in response.content.decode()
    assert Recommendation.objects.get().requested_level == "province"


def test_only_a_county_sees_the_recommend_action(client, world, published, people):
    client.force_login(people["city"])
    page = client.get(reverse("admin:assessment_campaignresult_changelist")).content.decode()
    assert "甲县城关零工驿站" in page and "推荐至上级" not in page
    client.force_login(world.bureau_a)
    assert (
        "推荐至上级（申报市级）"
        in client.get(reverse("admin:assessment_campaignresult_changelist")).content.decode()
    )


def test_the_city_scores_on_its_page_and_the_province_decides_on_its_own(client, world, published, people):
    rec = recommend(world, published)
    client.force_login(people["city"])
    page = client.get(reverse("admin:assessment_recommendation_change", args=[rec.pk])).content.decode()
    assert "市级评分" in page and "省级审定" not in page.split("办理")[1][:200]
    response = client.post(
        reverse("admin:assessment_recommendation_city_review", args=[rec.pk]),
        {"score": "90.5", "forward": "true", "opinion": "同意报送"},
        follow=True,
    )
    assert "市级评分已记录" in response.content.decode()
    client.force_login(people["province"])
    response = client.post(
        reverse("admin:assessment_recommendation_decide", args=[rec.pk]),
        {"score": "95", "outcome": "province", "on": "2025-01-10", "opinion": ""},
        follow=True,
    )
    assert "已认定为省级" in response.content.decode()
    assert Station.objects.get(pk=world.station_a.pk).recognition_level == "province"
    # An auditor of the city reads the page, with no button to press.
    client.force_login(people["auditor_city"])
    assert client.get(reverse("admin:assessment_recommendation_change", args=[rec.pk])).status_code == 200
    assert (
        client.post(reverse("admin:assessment_recommendation_decide", args=[rec.pk]), {}).status_code == 403
    )


# ---- the money: the next decision reads the level the province decided (004: district units 30,000)


def test_the_next_campaigns_money_follows_the_decided_level(heshan_world):
    campaign, bureau, assessor, _ = heshan_world
    county = campaign.region
    # HS-03 has no level yet: a unit outside the scheme gets nothing (see the engine's ranking tests).
    Station.objects.filter(code="HS-03").update(recognition_level="")
    hs03 = Station.objects.get(code="HS-03")
    city_clerk = make_user("bureau_yy", role=User.Role.BUREAU, region=county.parent)
    province_clerk = make_user("bureau_hn", role=User.Role.BUREAU, region=county.parent.parent)
    # The year before, published (its own workflow is tested elsewhere): HS-03's result is the basis.
    source = Campaign.objects.create(
        code="heshan-2023-src",
        name="赫山区2023年度考核",
        policy=campaign.policy,
        region=county,
        year=2023,
        months=list(range(1, 13)),
        self_evaluation_due=timezone.now(),
        onsite_due=timezone.localdate(),
        assessed_on=datetime.date(2023, 12, 31),
        status=Campaign.Status.PUBLISHED,
    )
    CampaignResult.objects.create(
        campaign=source,
        station=hs03,
        score=Decimal("97.00"),
        entitlement=Entitlement.objects.create(
            station=hs03,
            year=2023,
            kind="performance",
            amount=Decimal("0.00"),
            policy=campaign.policy,
            basis="campaign_result",
            campaign=source,
            explanation="无认定级别",
            decided_at=timezone.now(),
        ),
        computed_at=timezone.now(),
    )
    (rec,) = recommendations_create(
        campaign=source, stations=[hs03], actor=bureau, requested_level="district"
    )
    recommendation_city_review(recommendation=rec, actor=city_clerk, score="96", forward=True, opinion="")
    recommendation_decide(
        recommendation=rec,
        actor=province_clerk,
        score="96",
        level="district",
        on=datetime.date(2024, 1, 10),
        opinion="",
    )
    campaign_open(campaign=campaign, actor=bureau)
    assigned = set()
    for sheet in ScoreSheet.objects.filter(campaign=campaign).select_related("campaign__policy", "station"):
        if sheet.station_id not in assigned:
            assign_assessor(sheet, assessor=assessor, bureau=bureau)
            assigned.add(sheet.station_id)
        sheet_onsite_save(
            sheet=sheet, actor=assessor, raw=heshan_perfect_month(), gap_reasons={}, findings=""
        )
        sheet_onsite_submit(sheet=sheet, actor=assessor)
        sheet_lock(sheet=sheet, actor=bureau)
    campaign_results_compute(campaign=campaign, actor=bureau)
    result = CampaignResult.objects.get(campaign=campaign, station=hs03)
    # 004: "认定为区级充分就业社区(村)的，给予3万元".
    assert result.subsidy == Decimal("30000.00")
    assert "区级" in result.explanation


# ---- 001: the province selects demonstration stations from the top of its campaign's ranking


@pytest.fixture
def province_ranking(world, people, yunmeng):
    """A published province campaign (its workflow is tested elsewhere) ranking three stations."""
    campaign = Campaign.objects.create(
        code="hubei-2024",
        name="湖北省2024年度零工驿站服务绩效评价",
        policy=yunmeng,
        region=world.province,
        year=2024,
        self_evaluation_due=timezone.now(),
        onsite_due=timezone.localdate(),
        assessed_on=datetime.date(2024, 12, 31),
        status=Campaign.Status.PUBLISHED,
    )
    third = make_station(region=world.town_a, code="AAA-02", name="甲县第二零工驿站")
    results = {}
    for station, score in ((world.station_a, "91.00"), (world.station_b, "95.50"), (third, "91.00")):
        results[station.code] = CampaignResult.objects.create(
            campaign=campaign,
            station=station,
            score=Decimal(score),
            entitlement=Entitlement.objects.create(
                station=station,
                year=2024,
                kind="performance",
                amount=Decimal("0.00"),
                policy=yunmeng,
                basis="campaign_result",
                campaign=campaign,
                explanation="评价",
                decided_at=timezone.now(),
            ),
            computed_at=timezone.now(),
        )
    return campaign, results


def test_the_province_selects_the_top_of_its_ranking(world, people, province_ranking):
    campaign, results = province_ranking
    with pytest.raises(ValidationError, match="乙市城中零工驿站得分高于所选站点"):
        demonstrations_select(campaign=campaign, results=[results["AAA-01"]], actor=people["province"])
    for actor in (people["city"], world.bureau_a):
        with pytest.raises(Forbidden):
            demonstrations_select(campaign=campaign, results=[results["BBB-01"]], actor=actor)
    rows = demonstrations_select(
        campaign=campaign,
        results=[results["BBB-01"], results["AAA-01"], results["AAA-02"]],
        actor=people["province"],
    )
    # Ties share a rank.
    assert sorted((r.station.code, r.rank, str(r.score)) for r in rows) == [
        ("AAA-01", 2, "91.00"),
        ("AAA-02", 2, "91.00"),
        ("BBB-01", 1, "95.50"),
    ]
    assert AuditEntry.objects.filter(action="demonstration.select").count() == 3
    with pytest.raises(ValidationError, match="已选树过"):
        demonstrations_select(campaign=campaign, results=[results["BBB-01"]], actor=people["province"])


def test_the_province_selects_on_its_results_list_and_a_county_reads_its_own(
    client, world, people, province_ranking
):
    _, results = province_ranking
    url = reverse("admin:assessment_campaignresult_changelist")
    client.force_login(world.bureau_a)
    assert "选树为服务示范站" not in client.get(url).content.decode()
    client.force_login(people["province"])
    response = client.post(
        url, {"action": "select_demonstrations", "_selected_action": [results["BBB-01"].pk]}, follow=True
    )
    assert "已选树 1 个服务示范零工驿站。" in response.content.decode()
    listing = reverse("admin:assessment_demonstration_changelist")
    assert "乙市城中零工驿站" in client.get(listing).content.decode()
    client.force_login(world.bureau_a)
    assert "乙市城中零工驿站" not in client.get(listing).content.decode()


def test_a_decided_items_move_pages_show_the_reason_and_the_way_back_not_the_form(
    client, world, published, people
):
    rec = recommend(world, published)
    decide_url = reverse("admin:assessment_recommendation_decide", args=[rec.pk])
    recommendation_city_review(recommendation=rec, actor=people["city"], score="90", forward=True, opinion="")
    client.force_login(people["province"])
    assert 'name="outcome"' in client.get(decide_url).content.decode()  # awaiting the province: the form
    recommendation_decide(
        recommendation=rec,
        actor=people["province"],
        score="92",
        level="city",
        on=datetime.date(2025, 1, 8),
        opinion="",
    )
    change_url = reverse("admin:assessment_recommendation_change", args=[rec.pk])
    for user, url in (
        (people["province"], decide_url),
        (people["city"], reverse("admin:assessment_recommendation_city_review", args=[rec.pk])),
    ):
        client.force_login(user)
        page = client.get(url).content.decode()
        assert "当前状态下不能办理此事项。" in page
        assert "（已认定为市级）" in page
        assert f'<a href="{change_url}">返回推荐记录</a>' in page
        content = page.split('id="content"', 1)[1]
        assert "<form" not in content and 'name="score"' not in content
