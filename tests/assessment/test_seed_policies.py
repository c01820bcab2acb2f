"""The seeds' policies on sheets worked by hand, their round trip through JSON, and their drift check."""

import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from assessment.engine.scoring import compile_rubric
from assessment.engine.spec_diff import spec_differences
from assessment.engine.specs import PolicySpec
from assessment.models import Policy, SubsidyAmount
from assessment.policies import SEED_POLICIES, get_policy_spec
from assessment.selectors import policy_spec
from assessment.services.policies import policy_freeze, policy_new_version
from core.models import AuditEntry
from tests.assessment.builders import heshan_perfect_month

D = Decimal
HESHAN = SEED_POLICIES["heshan-2024"]
HESHAN_RUBRIC = compile_rubric(HESHAN.rubric, kinds=HESHAN.kinds)


def _score(inputs, kind, month):
    values, problems = HESHAN_RUBRIC.parse_inputs(inputs, kind=kind, month=month)
    assert problems == []
    return HESHAN_RUBRIC.score_sheet(values, kind=kind, month=month)


def test_registry_holds_the_seed_policy_files():
    # The three seeds of 000, 002 and 004, and Huizhou's star rating built from 003 (issue 14).
    assert set(SEED_POLICIES) == {"yunmeng-2024", "quanzhou-2023", "heshan-2024", "huizhou-2024"}


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["yunmeng-2024", "quanzhou-2023", "heshan-2024", "huizhou-2024"])
def test_migrate_installs_each_seed_policy_and_its_rows_rebuild_the_same_spec(code):
    # Every section, item, rule parameter, tier and amount survives the trip into database rows.
    assert get_policy_spec(code) == SEED_POLICIES[code]


@pytest.mark.django_db
def test_an_unknown_policy_code_finds_nothing():
    assert get_policy_spec("nowhere-2024") is None


@pytest.mark.parametrize("code", sorted(SEED_POLICIES))
def test_policy_survives_a_round_trip_through_json(code):
    policy = SEED_POLICIES[code]
    text = json.dumps(policy.to_dict(), ensure_ascii=False)
    assert PolicySpec.from_dict(json.loads(text)) == policy


def test_rebuilt_heshan_policy_scores_like_the_original():
    rebuilt = PolicySpec.from_dict(json.loads(json.dumps(HESHAN.to_dict())))
    rubric = compile_rubric(rebuilt.rubric, kinds=rebuilt.kinds)
    inputs = heshan_perfect_month() | {"valid_complaints": 2}
    values, _ = rubric.parse_inputs(inputs, kind="community", month=6)
    assert rubric.score_sheet(values, kind="community", month=6).total == D("98.00")


def test_heshan_rubric_has_issue_three_items_and_section_caps():
    assert [(section.code, section.max_points) for section in HESHAN.rubric.sections] == [
        ("1", D(20)),
        ("2", D(45)),
        ("3", D(25)),
        ("4", D(10)),
    ]
    assert HESHAN_RUBRIC.leaf_codes("community") == (
        "1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3.1", "2.3.2", "2.3.3", "2.3.4",
        "2.4.1", "2.4.2", "2.4.3", "2.5.1", "2.5.2", "2.5.3", "2.6.1", "2.6.2", "2.6.3",
        "3.1", "3.2.1", "3.2.2", "3.2.3", "3.3", "4.1.1", "4.1.2", "4.2.1", "4.2.2", "4.3",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "month"), [("community", 1), ("community", 4), ("village", 3), ("village", 12)]
)
def test_heshan_perfect_month_scores_one_hundred(kind, month):
    # January to March 4.2.1 + 4.2.2 = 3 + 2 capped at 4; from April the same with the flags true.
    assert _score(heshan_perfect_month(kind), kind, month).total == D("100.00")


def test_heshan_community_january_sheet_worked_by_hand():
    inputs = heshan_perfect_month("community") | {
        "registered_unemployed": 68,  # 1.1: 932/1000 = 93.2%， 1.8 short x 1 -> 3.20
        "long_term_unemployed": 2,  # 1.2: 5 - 2 x 0.5 -> 4.00
        "hard_to_employ": 30,  # 1.3: 970/1000 = 97% = target -> 5.00
        "labor_records_updated": 900,  # 2.1: 90% vs 92.5: 2.5 x 0.5 = 1.25 -> 3.75
        "provincial_update_coverage": "92.5",
        "registration_applications": 40,  # 2.2: 37/40 = 92.5% x 3 = 2.775 -> 2.78
        "registration_overdue": 3,
        "confirmations_missing": 1,  # 2.3.1: 2 - 0.2 -> 1.80
        "job_recommended": 18,  # 2.3.2: 18 / (15 + 6 - 1) = 90%： 10 x 0.5 = 5 > 4 -> 0.00
        "unemployed_willing_at_start": 15,
        "newly_registered_unemployed": 6,
        "recommended_and_employed": 1,
        "training_recommended": 10,  # 2.3.4: 10 / (8 + 3 - 1) = 100% -> 4.00
        "training_willing_at_start": 8,
        "training_willing_new": 3,
        "training_recommended_and_employed": 1,
        "graduate_employment_rate": "90",  # 2.4.2: gates 100/100; 3 x 90% -> 2.70
        "new_posting_enterprises": 3,  # 2.5.1: 2 below 5 x 0.4 = 0.8 -> 1.20
        "new_platform_enterprises": 1,  # 2.5.2: target 20000 x 0.00007 = 1.4; 0.4/1.4 = 28.571%
        "market_entities": 20000,  #        x 0.05 = 1.428571 -> 4 - 1.428571 = 2.571429 -> 2.57
        "phone_check_accuracy": "88.5",  # 2.6.1: 1.5 x 0.1 = 0.15 -> 2.85
        "survey_points": "2.5",  # 2.6.2: 2.50
        "service_count": 80,  # 3.1: 20% below 100 x 0.2 = 4 -> 6.00
        "provincial_avg_service_count": "100",
        "match_success": 5,  # 3.2.1: 50% vs 60: 10 x 0.05 = 0.5 -> 3.50
        "matched_people": 10,
        "training_referrals": 3,  # 3.2.2: 3/9 = 33.333% vs 40.05: 6.71666 x 0.3 = 2.015 -> 1.985 -> 1.99
        "registered_unemployed_cumulative": 9,
        "provincial_training_coverage": "40.05",
        "training_subsidized": 1,  # 3.2.3: 1/3 = 33.333% vs 50: 16.6667 x 0.05 = 0.83333 -> 1.16667 -> 1.17
        "provincial_subsidy_coverage": "50",
        "staff_training_met": False,  # 4.2.1 and 4.2.2 not scored in January: full 3 and 2
        "new_staff_trained": False,
    }
    sheet = _score(inputs, "community", 1)
    assert {code: str(points) for code, points in sheet.leaf_points().items()} == {
        "1.1": "3.20", "1.2": "4.00", "1.3": "5.00", "1.4": "5.00",
        "2.1": "3.75", "2.2": "2.78",
        "2.3.1": "1.80", "2.3.2": "0.00", "2.3.3": "2.00", "2.3.4": "4.00",
        "2.4.1": "3.00", "2.4.2": "2.70", "2.4.3": "3.00",
        "2.5.1": "1.20", "2.5.2": "2.57", "2.5.3": "2.00",
        "2.6.1": "2.85", "2.6.2": "2.50", "2.6.3": "2.00",
        "3.1": "6.00", "3.2.1": "3.50", "3.2.2": "1.99", "3.2.3": "1.17", "3.3": "5.00",
        "4.1.1": "2.00", "4.1.2": "2.00", "4.2.1": "3.00", "4.2.2": "2.00", "4.3": "2.00",
    }  # fmt: skip
    # Sections: 3.20+4+5+5 = 17.20; 3.75+2.78+7.80+8.70+5.77+7.35 = 36.15; 6+6.66+5 = 17.66;
    # 4 + min(3+2, 4) + 2 = 10. Total 81.01.
    assert [section.points for section in sheet.sections] == [D("17.20"), D("36.15"), D("17.66"), D("10.00")]
    assert sheet.total == D("81.01")


def test_heshan_village_april_sheet_worked_by_hand():
    inputs = heshan_perfect_month("village") | {
        "labor_force": 800,
        "registered_unemployed": 48,  # 1.1: 752/800 = 94%： 1 short -> 4.00
        "long_term_unemployed": 1,  # 1.2: 4.50
        "hard_to_employ": 20,  # 1.3: 780/800 = 97.5% -> 5.00
        "rural_transferred": 300,  # 1.4: 300/500 = 60% vs last year 62.5: 2.5 short -> 2.50
        "rural_labor_force": 500,
        "rural_transfer_rate_last_year": "62.5",
        "labor_records_updated": 760,  # 2.1: 760/800 = 95% = provincial 95 -> 5.00
        "registration_applications": 0,  # 2.2: no applications -> fully met, 3.00
        "confirmations_missing": 3,  # 2.3.1: 2 - 0.6 -> 1.40
        "job_recommended": 19,  # 2.3.2: 19 / (18 + 4 - 2) = 95%： 5 x 0.5 = 2.5 -> 1.50
        "unemployed_willing_at_start": 18,
        "newly_registered_unemployed": 4,
        "recommended_and_employed": 2,
        "matches_not_followed_up": 5,  # 2.3.3: 2 - 2.5 -> 0.00
        "training_recommended": 0,  # 2.3.4: denominator 0 -> 4.00
        "training_willing_at_start": 0,
        "training_willing_new": 0,
        "hard_to_employ_unassisted": 2,  # 2.4.1: 3 - 0.4 -> 2.60
        "graduate_service_rate": "99.5",  # 2.4.2: a gate missed -> 0.00
        "graduate_employment_rate": 80,
        "new_platform_enterprises": 1,  # 2.5.2: 10000 x 0.00007 = 0.7, at least 1 -> met, 4.00
        "market_entities": 10000,
        "invalid_feedback": 25,  # 2.5.3: 2 - 2.5 -> 0.00
        "survey_points": "2.25",  # 2.6.2: 2.25
        "data_overdue": 1,  # 2.6.3: 1.50
        "service_count": 150,  # 3.1: above the average 120.5 -> 10.00
        "provincial_avg_service_count": "120.5",
        "match_success": 3,  # 3.2.1: 37.5% vs 40: 2.5 x 0.05 = 0.125 -> 3.875 -> 3.88
        "matched_people": 8,
        "provincial_success_rate": 40,
        "training_referrals": 4,  # 3.2.2: 4/50 = 8% vs 10: 2 x 0.3 = 0.6 -> 3.40
        "registered_unemployed_cumulative": 50,
        "training_subsidized": 4,  # 3.2.3: 100% vs 80 -> 2.00
        "provincial_subsidy_coverage": 80,
        "valid_complaints": 2,  # 3.3: 3.00
        "realname_accounts": 3,  # 4.1.1: 2.00
        "inactive_accounts": 1,  # 4.1.2: 1.00
        "staff_training_met": False,  # 4.2.1 from April: 0.00
        "new_staff_trained": False,  # 4.2.2 from April: 1.00
        "promotion_points": "1.5",  # 4.3: 1.50
    }
    sheet = _score(inputs, "village", 4)
    points = {code: str(value) for code, value in sheet.leaf_points().items()}
    assert points["1.4"] == "2.50"
    assert points["3.2.1"] == "3.88"
    assert (points["4.2.1"], points["4.2.2"]) == ("0.00", "1.00")
    # Section 1: 4 + 4.5 + 5 + 2.5 = 16.00
    # Section 2: 5 + 3 + (1.4 + 1.5 + 0 + 4) + (2.6 + 0 + 3) + (2 + 4 + 0) + (3 + 2.25 + 1.5) = 33.25
    # Section 3: 10 + (3.88 + 3.4 + 2) + 3 = 22.28
    # Section 4: (2 + 1) + (0 + 1) + 1.5 = 5.50
    assert [section.points for section in sheet.sections] == [D("16.00"), D("33.25"), D("22.28"), D("5.50")]
    assert sheet.total == D("77.03")


def test_heshan_staff_training_counts_from_april():
    inputs = heshan_perfect_month() | {"staff_training_met": False, "new_staff_trained": False}
    # March: not scored, full points -> 100. April: 4.2.1 0 + 4.2.2 1 = 1 -> section 4 is 2+2+1+2 = 7 -> 97.
    assert _score(inputs, "community", 3).total == D("100.00")
    assert _score(inputs, "community", 4).total == D("97.00")


def test_heshan_sheet_explains_every_item_in_chinese():
    sheet = _score(heshan_perfect_month() | {"registered_unemployed": 68}, "community", 5)
    lines = sheet.explanation_lines()
    assert (
        "  1.1 登记失业人员就业率：3.20 分。"
        "登记失业人员就业率 93.20% 低于目标 95%，少 1.80 个百分点，扣 1.80 分，得 3.20 分"
    ) in lines
    assert any(line.startswith("  4.2 人员配置及培训：4.00 分。") and "按 4 分计" in line for line in lines)
    assert lines[-1] == "合计 98.20 分"


# Seeds that cannot drift silently: the database's newest version of each shipped policy is
# compared with the shipped spec; `manage.py seed_policies` reports and, on request, installs the
# shipped spec as a new version. Lines read "database value → shipped value".


def _yunmeng_with(change) -> PolicySpec:
    data = SEED_POLICIES["yunmeng-2024"].to_dict()
    change(data)
    return PolicySpec.from_dict(data)


def _item(data, code):
    return next(
        item for section in data["rubric"]["sections"] for item in section["items"] if item["code"] == code
    )


def test_equal_policies_have_no_differences_whatever_the_decimal_places():
    # The database keeps 10.00 where the seed says 10: the same number, not a difference.
    stored = _yunmeng_with(lambda data: _item(data, "2.1").update(max_points="10.00"))
    assert spec_differences(stored, SEED_POLICIES["yunmeng-2024"]) == []


def test_differences_name_the_item_tier_amount_and_condition_that_changed():
    def change(data):
        _item(data, "2.1")["max_points"] = "8"
        data["tier_scheme"]["thresholds"][0]["min_score"] = "85"
        data["subsidy_schedule"]["amounts"]["gig_station"]["excellent"] = "50000.00"
        data["eligibility"]["min_months_recognised"] = 6
        data["rubric"]["sections"][3]["items"].pop()  # 4.2 is missing from the database

    lines = spec_differences(
        _yunmeng_with(change), SEED_POLICIES["yunmeng-2024"], kind_labels={"gig_station": "零工驿站"}
    )
    assert lines == [
        "评分项目 2.1 满分 8 → 10",
        "评分项目 4.2 仅在随附版本中",
        "等次 优秀 最低分 85 → 90",
        "补助标准 零工驿站·优秀 50000 → 60000",
        "参评条件 认定满几个月方可参评 6 → 无",
    ]


def test_heshan_elimination_missing_from_the_database_is_named():
    data = HESHAN.to_dict()
    data["tier_scheme"]["elimination"] = None
    assert spec_differences(PolicySpec.from_dict(data), HESHAN) == [
        "末位淘汰 无 → 名额 3，分数线（低于） 95，比较范围 全部参评单位"
    ]


def _seed_policies(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("seed_policies", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def _versions(code):
    return list(Policy.objects.filter(code=code).order_by("version").values_list("version", flat=True))


@pytest.mark.django_db
def test_an_up_to_date_database_is_reported_as_such_and_exits_zero():
    status, out, err = _seed_policies()
    assert status == 0
    # One line per shipped file, in the files' order (assessment/policies/*.yaml).
    assert out.splitlines() == [
        "heshan-2024：已是最新（数据库 v1）",
        "huizhou-2024：已是最新（数据库 v1）",
        "quanzhou-2023：已是最新（数据库 v1）",
        "yunmeng-2024：已是最新（数据库 v1）",
    ]
    assert err == ""


@pytest.mark.django_db
def test_a_changed_amount_in_the_database_is_reported_and_left_alone():
    SubsidyAmount.objects.filter(policy__code="yunmeng-2024", kind="gig_station", tier="excellent").update(
        amount=D(50000)
    )

    status, out, err = _seed_policies()

    assert status == 1
    assert "yunmeng-2024：与数据库不同（数据库最新 v1，未冻结；箭头左为数据库，右为随附版本）" in out
    assert "  补助标准 零工驿站·优秀 50000 → 60000" in out.splitlines()
    assert "heshan-2024：已是最新（数据库 v1）" in out
    assert "yunmeng-2024" in err and "--install" in err
    # Reporting changes nothing.
    assert _versions("yunmeng-2024") == [1]
    assert get_policy_spec("yunmeng-2024").subsidy_schedule.amounts["gig_station"]["excellent"] == 50000


@pytest.mark.django_db
def test_install_adds_the_fixed_seed_as_a_new_version_and_leaves_the_frozen_one(monkeypatch):
    frozen = Policy.objects.get(code="yunmeng-2024", version=1)
    policy_freeze(policy=frozen, actor=None, reason="考核批次已开始")
    frozen_spec = policy_spec(frozen)
    fixed = _yunmeng_with(lambda data: _item(data, "2.1").update(max_points="9"))
    monkeypatch.setitem(SEED_POLICIES, "yunmeng-2024", fixed)

    status, out, _ = _seed_policies()
    assert status == 1
    assert "  评分项目 2.1 满分 10 → 9" in out.splitlines()
    assert "数据库最新 v1，已冻结" in out

    status, out, _ = _seed_policies("--install", "yunmeng-2024")
    assert status == 0
    assert "yunmeng-2024：已安装为 v2；v1（已冻结）保持不变" in out
    assert "  评分项目 2.1 满分 10 → 9" in out.splitlines()
    assert _versions("yunmeng-2024") == [1, 2]
    assert policy_spec(Policy.objects.get(code="yunmeng-2024", version=2)) == fixed
    frozen.refresh_from_db()
    assert frozen.is_frozen
    assert policy_spec(frozen) == frozen_spec
    entry = AuditEntry.objects.get(action="policy.seed_install")
    assert entry.actor is None
    assert "随附种子政策" in entry.reason and "评分项目 2.1 满分 10 → 9" in entry.reason

    status, out, _ = _seed_policies()
    assert status == 0
    assert "yunmeng-2024：已是最新（数据库 v2）" in out


@pytest.mark.django_db
def test_install_never_rewrites_a_draft_newest_version_either(world):
    copy = policy_new_version(policy=Policy.objects.get(code="heshan-2024"), actor=world.bureau_a)
    SubsidyAmount.objects.filter(policy=copy, kind="community").update(amount=D(1))
    draft_spec = policy_spec(copy)

    status, out, _ = _seed_policies("--install-all")

    assert status == 0
    assert "heshan-2024：已安装为 v3；v2（未冻结）保持不变" in out
    assert "yunmeng-2024：已是最新（数据库 v1），未安装新版本" in out
    assert _versions("heshan-2024") == [1, 2, 3]
    assert _versions("yunmeng-2024") == [1]
    assert policy_spec(copy) == draft_spec
    assert get_policy_spec("heshan-2024") == HESHAN


@pytest.mark.django_db
def test_install_of_an_unknown_code_is_refused_by_name():
    status, out, err = _seed_policies("--install", "nowhere-2024")
    assert status == 1
    assert "没有编码为 'nowhere-2024' 的随附政策" in err
    assert out == ""


@pytest.mark.django_db
def test_migrate_warns_about_a_drifting_seed_and_changes_nothing():
    SubsidyAmount.objects.filter(policy__code="yunmeng-2024", kind="gig_station", tier="excellent").update(
        amount=D(50000)
    )
    out = io.StringIO()

    call_command("migrate", verbosity=1, interactive=False, stdout=out)

    warnings = [line for line in out.getvalue().splitlines() if "随附版本不同" in line]
    assert len(warnings) == 1
    assert "yunmeng-2024" in warnings[0]
    assert "补助标准 零工驿站·优秀 50000 → 60000" in warnings[0]
    assert "manage.py seed_policies --install yunmeng-2024" in warnings[0]
    assert _versions("yunmeng-2024") == [1]

    quiet = io.StringIO()
    call_command("migrate", verbosity=0, interactive=False, stdout=quiet)
    assert quiet.getvalue() == ""


@pytest.mark.django_db
def test_migrate_installs_a_seed_missing_from_a_database_in_use_and_records_it():
    Policy.objects.filter(code="quanzhou-2023").delete()

    call_command("migrate", verbosity=0, interactive=False)

    assert _versions("quanzhou-2023") == [1]
    assert get_policy_spec("quanzhou-2023") == SEED_POLICIES["quanzhou-2023"]
    entry = AuditEntry.objects.get(action="policy.seed_install")
    assert "quanzhou-2023" in entry.reason
