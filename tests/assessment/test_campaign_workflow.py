"""A campaign from draft to results: who takes part, the frozen policy, and the tiers and money."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assessment.models import Campaign, CampaignResult, CampaignStation, Policy, ScoreSheet
from assessment.services.campaigns import campaign_open, campaign_results_compute, eligible_stations
from assessment.services.policies import policy_new_version
from assessment.services.sheets import sheet_lock, sheet_onsite_save, sheet_onsite_submit
from core.models import AuditEntry
from core.permissions import Forbidden
from core.workflow import InvalidTransition
from stations.models import Region, User
from stations.services import station_status_change
from tests.assessment.builders import heshan_perfect_month
from tests.assessment.steps import assign_assessor, lock_sheets
from tests.factories import make_region, make_station, make_user

# --- opening and eligibility ------------------------------------------------------------------


def test_opening_enrols_eligible_stations_and_leaves_out_the_rest(world, campaign):
    doorstep = make_station(region=world.town_a, code="AAA-02", kind="doorstep_station")
    make_station(region=world.town_a, code="AAA-03", kind="community")  # a kind Yunmeng does not assess
    rectifying = make_station(region=world.town_a, code="AAA-04")
    station_status_change(station=rectifying, to="rectifying", actor=world.bureau_a, reason="台账不全")
    revoked = make_station(region=world.town_a, code="AAA-05")
    station_status_change(station=revoked, to="revoked", actor=world.bureau_a, reason="逾期未整改")

    _, left_out = eligible_stations(campaign)
    campaign_open(campaign=campaign, actor=world.bureau_a)

    enrolled = set(CampaignStation.objects.filter(campaign=campaign).values_list("station__code", flat=True))
    assert enrolled == {"AAA-01", "AAA-02"}  # not AAA-03 (kind), AAA-04/05 (status), BBB-01 (county B)
    assert {s.code: why for s, why in left_out} == {
        "AAA-04": "站点状态为“整改中”",
        "AAA-05": "站点状态为“已撤销”",
    }
    assert set(ScoreSheet.objects.filter(campaign=campaign).values_list("station__code", "period")) == {
        ("AAA-01", "2024"),
        (doorstep.code, "2024"),
    }
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.OPEN


def test_opening_tells_the_operators_after_commit(world, campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        campaign_open(campaign=campaign, actor=world.bureau_a)
        assert mail.outbox == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    assert [m.to for m in mail.outbox] == [["operator_a@example.cn"]]
    assert campaign.name in mail.outbox[0].subject


def test_opening_narrowed_to_an_ineligible_station_is_refused(world, campaign):
    rectifying = make_station(region=world.town_a, code="AAA-04")
    station_status_change(station=rectifying, to="rectifying", actor=world.bureau_a, reason="台账不全")
    with pytest.raises(ValidationError, match="AAA-04"):
        campaign_open(campaign=campaign, actor=world.bureau_a, stations=[world.station_a, rectifying])
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    assert not ScoreSheet.objects.filter(campaign=campaign).exists()


def test_opening_is_refused_to_another_countys_bureau(world, campaign):
    with pytest.raises(Forbidden):
        campaign_open(campaign=campaign, actor=world.bureau_b)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_an_open_campaign_cannot_be_opened_again(world, open_campaign):
    with pytest.raises(InvalidTransition):
        campaign_open(campaign=open_campaign, actor=world.bureau_a)
    assert ScoreSheet.objects.filter(campaign=open_campaign).count() == 1


def test_opening_under_a_policy_of_another_year_is_refused(world, campaign):
    campaign.year = 2025  # the 2024 rubric and amounts do not apply to 2025
    campaign.save()
    with pytest.raises(ValidationError, match="年度"):
        campaign_open(campaign=campaign, actor=world.bureau_a)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    assert not ScoreSheet.objects.filter(campaign=campaign).exists()


@pytest.fixture
def quanzhou_world(db):
    city = Region.objects.get(code="350500")  # installed with the seed policy
    county = make_region("350502", "鲤城区", Region.Level.COUNTY, city)
    town = make_region("350502001", "海滨街道", Region.Level.TOWNSHIP, county)
    bureau = make_user("bureau_qz", role=User.Role.BUREAU, region=city)
    return town, bureau


def test_quanzhou_leaves_out_stations_recognised_less_than_six_months_before(quanzhou_world):
    town, bureau = quanzhou_world
    make_station(region=town, code="QZ-OLD", recognized_on=datetime.date(2023, 1, 1))
    make_station(region=town, code="QZ-EDGE", recognized_on=datetime.date(2023, 5, 30))
    make_station(region=town, code="QZ-NEW", recognized_on=datetime.date(2023, 6, 1))
    make_station(region=town, code="QZ-MKT", kind="gig_market", recognized_on=datetime.date(2022, 1, 1))
    campaign = Campaign.objects.create(
        code="quanzhou-2023-test",
        name="2023年度泉州市零工市场（驿站）考核",
        policy=Policy.objects.get(code="quanzhou-2023"),
        region=town.parent.parent,
        year=2023,
        self_evaluation_due=timezone.now() + datetime.timedelta(days=10),
        onsite_due=datetime.date(2023, 11, 30),
        assessed_on=datetime.date(2023, 11, 30),
    )

    _, left_out = eligible_stations(campaign)
    campaign_open(campaign=campaign, actor=bureau)

    enrolled = set(campaign.entries.values_list("station__code", flat=True))
    assert enrolled == {"QZ-OLD", "QZ-EDGE", "QZ-MKT"}
    assert [s.code for s, _ in left_out] == ["QZ-NEW"]
    assert "未满 6 个月" in left_out[0][1]


# --- the frozen policy ------------------------------------------------------------------------


def test_opening_freezes_the_policy_and_records_it(world, campaign, yunmeng):
    assert yunmeng.frozen_at is None
    campaign_open(campaign=campaign, actor=world.bureau_a)
    yunmeng.refresh_from_db()
    assert yunmeng.frozen_at is not None
    assert AuditEntry.objects.filter(action="policy.freeze", object_id=str(yunmeng.pk)).count() == 1


def test_policy_change_page_has_a_save_button_until_the_policy_is_frozen(client, world, campaign, yunmeng):
    client.force_login(world.bureau_a)
    url = reverse("admin:assessment_policy_change", args=[yunmeng.pk])
    assert 'name="_save"' in client.get(url).content.decode()

    campaign_open(campaign=campaign, actor=world.bureau_a)

    page = client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()


def test_posting_to_a_frozen_policy_is_refused_and_changes_nothing(client, world, open_campaign, yunmeng):
    client.force_login(world.bureau_a)
    url = reverse("admin:assessment_policy_change", args=[yunmeng.pk])
    response = client.post(url, {"name": "改过的名称", "code": yunmeng.code, "year": 2024})
    assert response.status_code == 403
    yunmeng.refresh_from_db()
    assert yunmeng.name == "2024年度云梦县零工驿站（家门口就业服务站）运营考核"


def test_a_new_version_of_a_frozen_policy_is_version_two_and_editable(client, world, open_campaign, yunmeng):
    yunmeng.refresh_from_db()
    copy = policy_new_version(policy=yunmeng, actor=world.bureau_a)
    assert (copy.code, copy.version, copy.frozen_at) == ("yunmeng-2024", 2, None)
    assert copy.sections.count() == yunmeng.sections.count()
    client.force_login(world.bureau_a)
    page = client.get(reverse("admin:assessment_policy_change", args=[copy.pk]))
    assert 'name="_save"' in page.content.decode()
    # The campaign keeps scoring with the version it froze.
    assert Campaign.objects.get(pk=open_campaign.pk).policy_id == yunmeng.pk


# --- results ----------------------------------------------------------------------------------


def test_results_are_refused_while_any_sheet_is_unlocked(world, open_campaign):
    with pytest.raises(ValidationError, match="AAA-01"):
        campaign_results_compute(campaign=open_campaign, actor=world.bureau_a)
    open_campaign.refresh_from_db()
    assert open_campaign.status == Campaign.Status.OPEN
    assert not CampaignResult.objects.exists()


def test_yunmeng_results_follow_the_thresholds_with_the_amount_of_each_kind(world, campaign):
    make_station(region=world.town_a, code="AAA-02", kind="doorstep_station")
    make_station(region=world.town_a, code="AAA-03")
    make_station(region=world.town_a, code="AAA-04", kind="doorstep_station")
    campaign_open(campaign=campaign, actor=world.bureau_a)
    lock_sheets(
        campaign,
        totals={"AAA-01": 90, "AAA-02": 85, "AAA-03": 70, "AAA-04": 69},
        assessor=world.assessor_a,
        bureau=world.bureau_a,
    )

    campaign_results_compute(campaign=campaign, actor=world.bureau_a)

    results = {
        r.station.code: (r.score, r.tier_label, r.subsidy)
        for r in CampaignResult.objects.filter(campaign=campaign).select_related("station")
    }
    assert results == {
        "AAA-01": (Decimal("90.00"), "优秀", Decimal("60000.00")),
        "AAA-02": (Decimal("85.00"), "良好", Decimal("15000.00")),
        "AAA-03": (Decimal("70.00"), "合格", Decimal("40000.00")),
        "AAA-04": (Decimal("69.00"), "不合格", Decimal("0.00")),
    }
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RESULTS


def test_result_list_in_the_admin_shows_each_station_and_tier(client, world, open_campaign):
    lock_sheets(open_campaign, totals={"AAA-01": 92}, assessor=world.assessor_a, bureau=world.bureau_a)
    campaign_results_compute(campaign=open_campaign, actor=world.bureau_a)
    client.force_login(world.bureau_a)
    page = client.get(reverse("admin:assessment_campaignresult_changelist")).content.decode()
    assert "AAA-01" in page
    assert "优秀" in page


def test_monthly_policy_opens_one_sheet_per_station_and_month(heshan_world):
    campaign, bureau, _, _ = heshan_world
    campaign_open(campaign=campaign, actor=bureau)
    periods = ScoreSheet.objects.filter(campaign=campaign, station__code="HS-01").values_list(
        "period", flat=True
    )
    assert sorted(periods) == [f"2024-{m:02d}" for m in range(1, 13)]
    assert ScoreSheet.objects.filter(campaign=campaign).count() == 36


def test_monthly_policy_without_months_is_refused(heshan_world):
    campaign, bureau, _, _ = heshan_world
    campaign.months = []
    campaign.save()
    with pytest.raises(ValidationError, match="评分月份"):
        campaign_open(campaign=campaign, actor=bureau)
    assert not ScoreSheet.objects.filter(campaign=campaign).exists()


@pytest.mark.parametrize("months", [[1, 2, 2], [0, 1], [12, 13], ["1", "2"]])
def test_monthly_campaign_with_impossible_months_is_refused_with_a_message(heshan_world, months):
    campaign, bureau, _, _ = heshan_world
    campaign.months = months
    campaign.save()
    with pytest.raises(ValidationError, match="评分月份须为 1 到 12"):
        campaign_open(campaign=campaign, actor=bureau)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    assert not ScoreSheet.objects.filter(campaign=campaign).exists()


def test_heshan_scores_are_the_monthly_mean_and_bands_rank_the_whole_campaign(heshan_world):
    campaign, bureau, assessor, stations = heshan_world
    campaign_open(campaign=campaign, actor=bureau)
    complaints = {
        "HS-01": lambda month: 0,  # 100 every month
        "HS-02": lambda month: 1 if month <= 6 else 0,  # 99 for half the year, 100 after: 99.50
        "HS-03": lambda month: 2,  # 98 every month
    }
    for station in stations:
        sheets = ScoreSheet.objects.filter(campaign=campaign, station=station).select_related(
            "campaign__policy", "station"
        )
        assign_assessor(sheets[0], assessor=assessor, bureau=bureau)
        for sheet in sheets:
            raw = heshan_perfect_month() | {"valid_complaints": complaints[station.code](sheet.month)}
            sheet_onsite_save(sheet=sheet, actor=assessor, raw=raw, gap_reasons={}, findings="")
            sheet_onsite_submit(sheet=sheet, actor=assessor)
            sheet_lock(sheet=sheet, actor=bureau)

    campaign_results_compute(campaign=campaign, actor=bureau)

    results = {
        r.station.code: (r.score, r.tier, r.subsidy, r.eliminated)
        for r in CampaignResult.objects.filter(campaign=campaign).select_related("station")
    }
    assert results == {
        "HS-01": (Decimal("100.00"), "A", Decimal("60000.00"), False),
        "HS-02": (Decimal("99.50"), "B", Decimal("50000.00"), False),
        "HS-03": (Decimal("98.00"), "C", Decimal("40000.00"), False),
    }
    assert "12 个月月度得分平均 99.50 分" in CampaignResult.objects.get(station__code="HS-02").explanation


def test_a_campaign_cannot_open_on_a_rubric_whose_sections_exceed_the_sheet_max(world, campaign):
    # A clerk raised section 1's 满分 from 15 to 26: the sections add up to 111 on a 100-point sheet,
    # so a station could total 111 and be tiered and paid on it.
    from assessment.models import RubricSection

    RubricSection.objects.filter(policy=campaign.policy, code="1").update(max_points=Decimal(26))

    with pytest.raises(ValidationError) as refusal:
        campaign_open(campaign=campaign, actor=world.bureau_a)

    assert "各部分满分合计 111 分，与考核表满分 100 分不一致" in str(refusal.value)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    assert not ScoreSheet.objects.filter(campaign=campaign).exists()
