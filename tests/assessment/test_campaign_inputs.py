"""`export_campaign_inputs` and `compute_results` (issue 10, items 2 and 3).

For each seed policy a small campaign runs through the real services to its results; its inputs
are exported and `evaluate` is run on the file. The stored results (computed by the campaign's
service) are the oracle: `evaluate` must reproduce every unit's score, tier or band, elimination
and amounts exactly.
"""

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from assessment.models import Campaign, CampaignResult, Entitlement, Policy, ScoreSheet
from assessment.services.campaigns import campaign_open, campaign_results_compute
from assessment.services.entitlements import entitlement_commit, entitlement_one_time_decide
from assessment.services.sheets import sheet_lock, sheet_onsite_save, sheet_onsite_submit
from stations.models import Region, User
from tests.assessment.builders import heshan_perfect_month
from tests.assessment.steps import assign_assessor, lock_sheets, points_inputs, score_onsite
from tests.factories import make_region, make_station, make_user


def export(campaign: Campaign, tmp_path) -> tuple[dict, str]:
    path = tmp_path / f"{campaign.code}.json"
    stdout = io.StringIO()
    call_command("export_campaign_inputs", campaign=campaign.code, out=str(path), stdout=stdout)
    return json.loads(path.read_text(encoding="utf-8")), str(path)


def run_evaluate(code: str, path: str) -> tuple[int, dict | None, list[str]]:
    stdout, stderr = io.StringIO(), io.StringIO()
    status = 0
    try:
        call_command("evaluate", code, path, stdout=stdout, stderr=stderr)
    except SystemExit as leaving:
        status = leaving.code
    out = stdout.getvalue()
    return status, (json.loads(out) if out else None), stderr.getvalue().splitlines()


def evaluated(code: str, path: str) -> dict[str, dict]:
    status, result, errors = run_evaluate(code, path)
    assert (status, errors) == (0, [])
    assert result["policy"] == code
    return {unit["code"]: unit for unit in result["units"]}


def stored(campaign: Campaign) -> dict[str, CampaignResult]:
    results = CampaignResult.objects.filter(campaign=campaign).select_related(
        "station", "entitlement", "one_time_entitlement"
    )
    return {result.station.code: result for result in results}


def two(value: Decimal) -> str:
    return f"{value:.2f}"


# --- yunmeng-2024: yearly, thresholds -----------------------------------------------------------


@pytest.fixture
def yunmeng_results(world, campaign):
    """County A's Yunmeng campaign: four stations of two kinds across the tiers, results computed."""
    for code, kind in (
        ("AAA-02", "gig_station"),
        ("AAA-03", "doorstep_station"),
        ("AAA-04", "doorstep_station"),
    ):
        make_station(region=world.town_a, code=code, kind=kind)
    campaign_open(campaign=campaign, actor=world.bureau_a)
    totals = {"AAA-01": 95, "AAA-02": 89, "AAA-03": 72, "AAA-04": 55}
    lock_sheets(campaign, totals=totals, assessor=world.assessor_a, bureau=world.bureau_a)
    campaign_results_compute(campaign=campaign, actor=world.bureau_a)
    return campaign


def test_yunmeng_export_is_evaluate_input_and_reproduces_the_results(yunmeng_results, tmp_path):
    cases, path = export(yunmeng_results, tmp_path)
    assert cases == {
        "policy": "yunmeng-2024",
        "units": [
            {"code": "AAA-01", "kind": "gig_station", "score": "95.00"},
            {"code": "AAA-02", "kind": "gig_station", "score": "89.00"},
            {"code": "AAA-03", "kind": "doorstep_station", "score": "72.00"},
            {"code": "AAA-04", "kind": "doorstep_station", "score": "55.00"},
        ],
    }
    out, results = evaluated("yunmeng-2024", path), stored(yunmeng_results)
    assert set(out) == set(results)
    for code, result in results.items():
        unit = out[code]
        assert (unit["score"], unit["tier"] or "", unit["subsidy"]) == (
            two(result.score),
            result.tier,
            two(result.subsidy),
        ), code
    assert len({unit["tier"] for unit in out.values()}) >= 3  # the case covers several tiers


# --- quanzhou-2023: yearly, recognition rules and the one-time amount ----------------------------


@pytest.fixture
def quanzhou_results(db):
    """A Quanzhou district's 2023 campaign: a market, stations recognised this year, one whose
    one-time amount was decided on its recognition day (elsewhere), one recognised during a
    purchase-of-services contract that ended before the assessment day."""
    district = make_region("350503", "丰泽区", Region.Level.COUNTY, Region.objects.get(code="350500"))
    bureau = make_user("bureau_qz", role=User.Role.BUREAU, region=district)
    assessor = make_user("assessor_qz", role=User.Role.ASSESSOR, region=district)
    make_station(
        region=district, code="QZ-GM-01", kind="gig_market", recognized_on=datetime.date(2023, 1, 10)
    )
    make_station(region=district, code="QZ-GS-01", recognized_on=datetime.date(2023, 3, 1))
    decided = make_station(region=district, code="QZ-GS-02", recognized_on=datetime.date(2023, 2, 1))
    make_station(
        region=district,
        code="QZ-GS-09",
        recognized_on=datetime.date(2023, 3, 1),
        operating_mode="purchased",
        purchase_contract_start=datetime.date(2023, 1, 1),
        purchase_contract_end=datetime.date(2023, 6, 30),
    )
    make_station(  # still under contract on the assessment day: takes part, is not paid
        region=district,
        code="QZ-GS-10",
        recognized_on=datetime.date(2023, 1, 5),
        operating_mode="purchased",
        purchase_contract_start=datetime.date(2023, 1, 1),
        purchase_contract_end=datetime.date(2024, 6, 30),
    )
    entitlement_one_time_decide(station=decided, actor=bureau)
    now = timezone.now()
    campaign = Campaign.objects.create(
        code="fengze-2023",
        name="2023年度丰泽区零工驿站考核",
        policy=Policy.objects.get(code="quanzhou-2023", version=1),
        region=district,
        year=2023,
        self_evaluation_due=now + datetime.timedelta(days=10),
        onsite_due=timezone.localdate() + datetime.timedelta(days=20),
        assessed_on=datetime.date(2023, 11, 30),
    )
    campaign_open(campaign=campaign, actor=bureau)
    totals = {"QZ-GM-01": 93, "QZ-GS-01": 84, "QZ-GS-02": 91, "QZ-GS-09": 92, "QZ-GS-10": 95}
    lock_sheets(campaign, totals=totals, assessor=assessor, bureau=bureau)
    campaign_results_compute(campaign=campaign, actor=bureau)
    return campaign


def test_quanzhou_export_carries_recognition_and_reproduces_the_results(quanzhou_results, tmp_path):
    cases, path = export(quanzhou_results, tmp_path)
    assert cases["policy"] == "quanzhou-2023"
    assert cases["assessed_on"] == "2023-11-30"
    units = {unit["code"]: unit for unit in cases["units"]}
    assert units["QZ-GS-09"] == {
        "code": "QZ-GS-09",
        "kind": "gig_station",
        "score": "92.00",
        "recognized_on": "2023-03-01",
        "one_time_paid": False,
        "purchase_contract": {"start": "2023-01-01", "end": "2023-06-30"},
    }
    assert units["QZ-GS-02"]["one_time_paid"] is True  # decided on its recognition day, not here
    assert units["QZ-GS-01"]["one_time_paid"] is False
    assert units["QZ-GS-01"]["purchase_contract"] is None

    out, results = evaluated("quanzhou-2023", path), stored(quanzhou_results)
    assert set(out) == set(results)
    for code, result in results.items():
        unit = out[code]
        assert (
            unit["score"],
            unit["eligible"],
            unit["tier"] or "",
            unit["performance_subsidy"],
            unit["one_time_subsidy"],
        ) == (
            two(result.score),
            result.eligible,
            result.tier,
            two(result.subsidy),
            two(result.one_time_subsidy),
        ), code
    # The case covers a unit unpaid under a running contract, a one-time amount this campaign
    # pays and one it does not pay again.
    assert (out["QZ-GS-10"]["performance_subsidy"], out["QZ-GS-10"]["one_time_subsidy"]) == ("0.00", "0.00")
    assert Decimal(out["QZ-GS-01"]["one_time_subsidy"]) > 0
    assert out["QZ-GS-02"]["one_time_subsidy"] == "0.00"
    assert Entitlement.objects.filter(station__code="QZ-GS-02", kind=Entitlement.Kind.ONE_TIME).count() == 1


def test_quanzhou_one_time_amount_committed_by_a_claim_is_still_this_campaigns_decision(
    quanzhou_results, tmp_path
):
    """A claim's payee notice commits the one-time amount this campaign decided; the export must
    not call it decided elsewhere, or evaluate would answer 0 where the result stands at 30000."""
    bureau = User.objects.get(username="bureau_qz")
    own = Entitlement.objects.get(station__code="QZ-GS-01", kind=Entitlement.Kind.ONE_TIME)
    assert own.campaign_id == quanzhou_results.pk
    entitlement_commit(entitlement=own, actor=bureau, reason="领取人名单公示")
    cases, path = export(quanzhou_results, tmp_path)
    assert {unit["code"]: unit["one_time_paid"] for unit in cases["units"]} == {
        "QZ-GM-01": False,
        "QZ-GS-01": False,
        "QZ-GS-02": True,
        "QZ-GS-09": False,
        "QZ-GS-10": False,
    }
    out = evaluated("quanzhou-2023", path)
    assert out["QZ-GS-01"]["one_time_subsidy"] == two(stored(quanzhou_results)["QZ-GS-01"].one_time_subsidy)
    assert out["QZ-GS-01"]["one_time_subsidy"] == "30000.00"


# --- heshan-2024: monthly, ranked bands, elimination, group deduction ----------------------------


HESHAN_MONTHS = {
    # station code -> (level, group, inputs changed from a perfect month, as a function of the month)
    "HS-01": ("province", "G1", lambda month: {}),
    "HS-02": ("city", "G1", lambda month: {"valid_complaints": 1 if month <= 6 else 0}),
    "HS-03": ("city", "", lambda month: {"valid_complaints": 2}),
    "HS-04": ("city", "G1", lambda month: {"valid_complaints": 5, "labor_records_updated": 800}),
    "HS-05": ("province", "", lambda month: {"valid_complaints": month % 4}),
}


@pytest.fixture
def heshan_results(heshan_world):
    campaign, bureau, assessor, stations = heshan_world
    town = stations[0].region
    for code in ("HS-04", "HS-05"):
        make_station(region=town, code=code, kind="community")
    for station in type(stations[0]).objects.filter(code__in=HESHAN_MONTHS):
        level, group, _ = HESHAN_MONTHS[station.code]
        station.recognition_level, station.assessment_group = level, group
        station.save(update_fields=["recognition_level", "assessment_group"])
    campaign_open(campaign=campaign, actor=bureau)
    sheets = ScoreSheet.objects.filter(campaign=campaign).select_related("campaign__policy", "station")
    assigned = set()
    for sheet in sheets:
        if sheet.station_id not in assigned:
            assign_assessor(sheet, assessor=assessor, bureau=bureau)
            assigned.add(sheet.station_id)
        raw = heshan_perfect_month() | HESHAN_MONTHS[sheet.station.code][2](sheet.month)
        sheet_onsite_save(sheet=sheet, actor=assessor, raw=raw, gap_reasons={}, findings="")
        sheet_onsite_submit(sheet=sheet, actor=assessor)
        sheet_lock(sheet=sheet, actor=bureau)
    campaign_results_compute(campaign=campaign, actor=bureau)
    return campaign


def test_heshan_export_carries_twelve_months_and_reproduces_the_results(heshan_results, tmp_path):
    cases, path = export(heshan_results, tmp_path)
    assert set(cases) == {"policy", "units"}
    assert cases["policy"] == "heshan-2024"
    units = {unit["code"]: unit for unit in cases["units"]}
    assert list(units) == sorted(HESHAN_MONTHS)
    assert (units["HS-01"]["level"], units["HS-01"]["group"]) == ("province", "G1")
    assert (units["HS-03"]["level"], units["HS-03"]["group"]) == ("city", None)
    assert list(units["HS-04"]["months"]) == [f"2024-{month:02d}" for month in range(1, 13)]
    sheet = ScoreSheet.objects.get(campaign=heshan_results, station__code="HS-04", period="2024-03")
    assert units["HS-04"]["months"]["2024-03"] == sheet.final_inputs

    out, results = evaluated("heshan-2024", path), stored(heshan_results)
    assert set(out) == set(results)
    for code, result in results.items():
        unit = out[code]
        assert (unit["score"], unit["band"] or "", unit["eliminated"], unit["subsidy"]) == (
            two(result.score),
            result.tier,
            result.eliminated,
            two(result.subsidy),
        ), code
    # The case covers an eliminated unit (HS-04) and its group's deduction (G1: 60000 - 10000).
    assert out["HS-04"]["eliminated"] is True
    assert (out["HS-01"]["band"], out["HS-01"]["subsidy"]) == ("A", "50000.00")


# --- refusals ------------------------------------------------------------------------------------


def test_a_campaign_with_an_unlocked_sheet_is_not_exported(world, campaign, tmp_path):
    make_station(region=world.town_a, code="AAA-02")
    campaign_open(campaign=campaign, actor=world.bureau_a)
    sheet = ScoreSheet.objects.select_related("campaign__policy", "station").get(station__code="AAA-01")
    # Only AAA-01 is scored and locked; AAA-02's sheet is still with the operator.
    assign_assessor(sheet, assessor=world.assessor_a, bureau=world.bureau_a)
    score_onsite(sheet, assessor=world.assessor_a, raw=points_inputs(campaign, kind="gig_station", total=90))
    sheet_lock(sheet=sheet, actor=world.bureau_a)
    path = tmp_path / "out.json"
    with pytest.raises(CommandError, match="还有 1 个站点的评分表未审定锁定，不能导出：AAA-02") as refused:
        call_command("export_campaign_inputs", campaign=campaign.code, out=str(path))
    assert refused.value.returncode == 1
    assert not path.exists()


def test_an_unknown_campaign_is_not_exported(db, tmp_path):
    with pytest.raises(CommandError, match="没有编码为“nope”的考核批次"):
        call_command("export_campaign_inputs", campaign="nope", out=str(tmp_path / "out.json"))


def test_evaluate_refuses_a_file_of_another_policy(yunmeng_results, tmp_path):
    _, path = export(yunmeng_results, tmp_path)
    status, result, errors = run_evaluate("quanzhou-2023", path)
    assert (status, result) == (1, None)
    assert errors == ["输入，字段 policy：文件的政策 yunmeng-2024 与命令的政策 quanzhou-2023 不一致"]


# --- compute_results -----------------------------------------------------------------------------


def test_compute_results_computes_as_the_bureau_and_refuses_another_county(world, campaign):
    campaign_open(campaign=campaign, actor=world.bureau_a)
    lock_sheets(campaign, totals={"AAA-01": 91}, assessor=world.assessor_a, bureau=world.bureau_a)

    with pytest.raises(CommandError, match="只有本区域的人社局工作人员可以办理此事项") as refused:
        call_command("compute_results", campaign=campaign.code, user="bureau_b")
    assert refused.value.returncode == 1
    assert not CampaignResult.objects.filter(campaign=campaign).exists()

    stdout = io.StringIO()
    call_command("compute_results", campaign=campaign.code, user="bureau_a", stdout=stdout)
    assert "已计算 1 个站点的结果，用时" in stdout.getvalue()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RESULTS
    result = CampaignResult.objects.get(campaign=campaign)
    assert (result.score, result.tier) == (Decimal("91.00"), "excellent")


@pytest.mark.parametrize(
    ("campaign_code", "user", "message"),
    [("nope", "bureau_a", "没有编码为“nope”的考核批次"), (None, "nobody", "没有用户名为“nobody”的用户")],
)
def test_compute_results_refuses_an_unknown_campaign_or_user(world, campaign, campaign_code, user, message):
    with pytest.raises(CommandError, match=message):
        call_command("compute_results", campaign=campaign_code or campaign.code, user=user)


def test_compute_results_refuses_a_campaign_with_unlocked_sheets(world, campaign):
    campaign_open(campaign=campaign, actor=world.bureau_a)
    with pytest.raises(CommandError, match="还有 1 个站点的评分表未审定锁定：AAA-01"):
        call_command("compute_results", campaign=campaign.code, user="bureau_a")
