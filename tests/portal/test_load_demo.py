import datetime
import io

from django.core.management import call_command
from django.db.models import Count

from assessment.models import Campaign
from stations.models import Station, User


def test_load_demo_builds_the_seed_counties_and_can_run_twice(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the demo's claim papers are real files
    call_command("load_demo", stdout=io.StringIO())
    first = set(Station.objects.values_list("code", "name", "status"))
    call_command("load_demo", stdout=io.StringIO())
    assert set(Station.objects.values_list("code", "name", "status")) == first

    by_kind = dict(Station.objects.values_list("kind").annotate(n=Count("id")))
    assert by_kind["employment_station"] == 30
    assert by_kind["community"] + by_kind["village"] == 36
    ym = Station.objects.filter(code__startswith="YM-")
    assert 10 <= ym.count() <= 14
    assert ym.filter(code="YM-GS-01", kind="gig_station").exists()
    groups = (
        Station.objects.filter(kind__in=["community", "village"])
        .values("assessment_group")
        .annotate(n=Count("id"))
    )
    assert sorted(g["n"] for g in groups) == [4] * 9
    huizhou = dict(
        Station.objects.filter(kind="employment_station").values_list("region__name").annotate(n=Count("id"))
    )
    assert huizhou["惠城区"] == 8 and huizhou["仲恺高新技术产业开发区"] == 6 and huizhou["龙门县"] == 2

    operator1 = User.objects.get(username="operator1")
    assert list(operator1.operated_stations.values_list("code", flat=True)) == ["YM-GS-01"]
    assert list(User.objects.get(username="operator2").operated_stations.values_list("code", flat=True)) == [
        "YM-GS-02"
    ]
    for username in [
        "admin",
        "bureau",
        "assessor1",
        "operator1",
        "operator2",
        "auditor",
        "hz-bureau",
        "hz-assessor",
    ]:
        assert User.objects.get(username=username).check_password("demo-pass-2024")
    for station in Station.objects.all():
        station.full_clean()  # every demo credit code passes its check character

    # 003's pilot stations rated by the city: all 30 scored, and the stars spread from high to low.
    rating = Campaign.objects.get(code="huizhou-2024")
    assert rating.region.code == "441300" and rating.status == Campaign.Status.RESULTS
    stars = dict(rating.results.values_list("tier_label").annotate(n=Count("id")))
    assert sum(stars.values()) == 30
    assert {"五星", "四星", "三星", "二星", "一星"} <= set(stars)

    # 004's timetable (assessment/demo_recommendations.py): 赫山区 → 益阳市 → 湖南省, the level on the station.
    from assessment.models import Recommendation

    recommendations = Recommendation.objects.filter(campaign__code="heshan-2024").select_related("station")
    assert sorted(recommendations.values_list("status", flat=True)) == sorted(
        ["recognised"] * 3 + ["city_reviewed", "refused", "recommended"]
    )
    assert {r.city.name for r in recommendations} == {"益阳市"}
    for rec in recommendations.filter(status="recognised"):
        assert rec.station.recognition_level == rec.decided_level
        assert rec.station.recognition_level_on == datetime.date(2025, 1, 10)
        assert rec.score_county is not None and rec.score_city is not None and rec.score_province is not None

    # 001's province-wide evaluation: published, and its three best (after two loads) are the
    # demonstration stations, ranked 1–3, with no station tied with the third left out.
    from assessment.models import Demonstration

    province = Campaign.objects.get(name="湖北省2024年度零工驿站服务绩效评价")
    assert (province.region.code, province.status) == ("420000", Campaign.Status.PUBLISHED)
    ranking = list(province.results.order_by("-score").values_list("station__code", "score"))
    assert len(ranking) == 7 and ranking[2][1] > ranking[3][1]
    chosen = Demonstration.objects.filter(campaign=province).order_by("rank")
    assert [(d.station.code, d.rank, d.title) for d in chosen] == [
        (code, rank, "服务示范零工驿站") for rank, (code, _) in enumerate(ranking[:3], start=1)
    ]
    assert User.objects.get(username="hb-bureau").check_password("demo-pass-2024")
