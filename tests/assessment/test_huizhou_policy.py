"""huizhou-2024: the star rating of 003's 30 pilot stations, shipped as a policy file.

003 publishes requirements, not a score sheet: the file turns them into items of the new rule
shapes with illustrative points. The cases below are worked by hand from the file's values.
"""

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from assessment.engine.validation import validate_rubric
from assessment.policies.illustrative import ILLUSTRATIVE_MARK, uses_illustrative_values
from assessment.policy_file import read_policy_file

POLICY_FILE = Path(settings.BASE_DIR) / "assessment" / "policies" / "huizhou-2024.yaml"

# A station as an assessor might find it; each item's points worked out by hand beside it.
STATION = {
    "service_area": "18.5",  # 1.1: 15 to 20 m² -> 4 (of 7)
    "has_computer": True,  # 1.2: three of four at 2 -> 6 (of 8)
    "has_display": True,
    "has_monitoring": False,
    "has_meeting_room": True,
    "unified_name": True,  # 2.1: 10 - 3 for the decoration -> 7
    "unified_decoration": False,
    "provincial_plaque": True,
    "shows_services": True,  # 2.2: 5 - 1 (jobs) - 2 (complaint line) -> 2
    "shows_policies": True,
    "shows_jobs": False,
    "shows_complaint_line": False,
    "free_of_charge_rule": True,  # 3.1: three of four at 2 -> 6 (of 8)
    "attendance_rule": True,
    "conduct_rule": False,
    "information_review_rule": True,
    "follows_work_rules": True,  # 3.2: both -> 4
    "has_service_process": True,
    "ledger_deduction": "2.5",  # 3.3: 8 - 2.5 -> 5.5
    "ledger_deduction_reason": "2024年7—9月求职登记台账缺联系电话",
    "has_station_head": True,  # 4.1: 4 + 3 -> 7
    "has_county_supervisor": True,
    "staff_trained": 3,  # 4.2: 3 x 2 -> 6 (of 8)
    "jobs_collected": 850,  # 5.1: 85% of the contract's 1000 -> the 80%..90% step -> 6
    "jobs_target": 1000,
    "enterprises_visited": 33,  # 5.2: 33 x 0.25 -> 8.25
    "placements": 45,  # 5.3: 40..60 people -> 7
    "valid_complaints": 1,  # 5.4: 5 - 2.5 -> 2.5
}
# 4 + 6 + 7 + 2 + 6 + 4 + 5.5 + 7 + 6 + 6 + 8.25 + 7 + 2.5 = 71.25 -> 三星 (70 and above)
STATION_ITEMS = {
    "1.1": "4.00",
    "1.2": "6.00",
    "2.1": "7.00",
    "2.2": "2.00",
    "3.1": "6.00",
    "3.2": "4.00",
    "3.3": "5.50",
    "4.1": "7.00",
    "4.2": "6.00",
    "5.1": "6.00",
    "5.2": "8.25",
    "5.3": "7.00",
    "5.4": "2.50",
}


def evaluate(tmp_path, payload, *args):
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    stdout, stderr = io.StringIO(), io.StringIO()
    status = 0
    try:
        call_command("evaluate", *args, str(path), stdout=stdout, stderr=stderr)
    except SystemExit as leaving:
        status = leaving.code
    return status, stdout.getvalue(), stderr.getvalue().splitlines()


def unit(code="HZ-ES-01", **changes):
    return {"code": code, "kind": "employment_station", "inputs": STATION | changes}


# --- the file ---------------------------------------------------------------------------------


def test_the_file_reads_and_the_rubric_has_no_error_and_no_warning():
    spec = read_policy_file(POLICY_FILE.read_bytes())
    assert (spec.code, spec.region, spec.year, spec.period) == ("huizhou-2024", "441300", 2024, "yearly")
    assert spec.kinds == ("employment_station",)
    # No finding at all: every item is well formed and every section adds up to its heading.
    assert validate_rubric(spec.rubric, spec.kinds) == []
    assert [section.max_points for section in spec.rubric.sections] == [15, 15, 20, 15, 35]


def test_the_file_uses_the_new_rule_shapes():
    spec = read_policy_file(POLICY_FILE.read_bytes())
    rules = {item.rule for section in spec.rubric.sections for item in section.items}
    assert {
        "step_table",
        "per_condition",
        "per_unmet_deduction",
        "discretionary_deduction",
        "per_count_award",
    } <= rules


def test_every_point_value_is_marked_illustrative_and_cites_the_implementation_plan():
    spec = read_policy_file(POLICY_FILE.read_bytes())
    assert uses_illustrative_values(spec)
    for section in spec.rubric.sections:
        assert ILLUSTRATIVE_MARK in section.title
        for item in section.items:
            assert ILLUSTRATIVE_MARK in item.title, item.code
            # The clause of 003 (《实施方案》) each item rests on, in the words a clerk knows it by.
            assert "依据：《实施方案》" in item.note and "示例分值" in item.note, item.code
            assert "003" not in item.note, item.code


def test_stars_from_five_to_one_and_no_money():
    spec = read_policy_file(POLICY_FILE.read_bytes())
    scheme = spec.tier_scheme
    assert [(t.label, t.min_score) for t in scheme.thresholds] == [
        ("五星", 90),
        ("四星", 80),
        ("三星", 70),
        ("二星", 60),
        ("一星", 50),
    ]
    assert scheme.fallback_label == "未评定星级"
    assert set(spec.subsidy_schedule.amounts["employment_station"].values()) == {Decimal(0)}
    assert "金额均为 0" in spec.notes


# --- evaluated by code (migrate installed the shipped file) -----------------------------------


@pytest.mark.django_db
def test_a_station_given_by_its_inputs_gets_the_hand_computed_total_and_star(tmp_path):
    status, out, err = evaluate(tmp_path, {"units": [unit()]}, "huizhou-2024")
    assert (status, err) == (0, [])
    assert json.loads(out) == {
        "policy": "huizhou-2024",
        "units": [
            {
                "code": "HZ-ES-01",
                "items": STATION_ITEMS,
                "score": "71.25",
                "tier": "three_star",
                "subsidy": "0.00",
            }
        ],
    }


@pytest.mark.django_db
def test_the_star_edges(tmp_path):
    # Everything met: 100, five stars. Nothing met but the 20 m² (1.1: 7 points): no star.
    perfect = {
        **{name: True for name, value in STATION.items() if isinstance(value, bool)},
        "service_area": 20,
        "ledger_deduction": 0,
        "ledger_deduction_reason": "",
        "staff_trained": 4,
        "jobs_collected": 1000,
        "jobs_target": 1000,
        "enterprises_visited": 40,
        "placements": 60,
        "valid_complaints": 0,
    }
    nothing = {
        **{name: False for name, value in STATION.items() if isinstance(value, bool)},
        "service_area": 20,
        "ledger_deduction": 8,
        "ledger_deduction_reason": "无任何服务台账",
        "staff_trained": 0,
        "jobs_collected": 0,
        "jobs_target": 1000,
        "enterprises_visited": 0,
        "placements": 0,
        "valid_complaints": 2,
    }
    # Exactly on the 一星 line: the hand case without 5.2 (8.25), 5.3 (7) and 4.2 (6) -> 50.00.
    fifty = STATION | {"enterprises_visited": 0, "placements": 0, "staff_trained": 0}
    payload = {
        "units": [
            {"code": "P", "kind": "employment_station", "inputs": perfect},
            {"code": "N", "kind": "employment_station", "inputs": nothing},
            {"code": "F", "kind": "employment_station", "inputs": fifty},
        ]
    }
    status, out, err = evaluate(tmp_path, payload, "huizhou-2024")
    assert (status, err) == (0, [])
    result = [(u["code"], u["score"], u["tier"]) for u in json.loads(out)["units"]]
    assert result == [("P", "100.00", "five_star"), ("N", "7.00", "no_star"), ("F", "50.00", "one_star")]


@pytest.mark.django_db
def test_explain_gives_the_engine_lines_of_the_sheet(tmp_path):
    status, out, err = evaluate(tmp_path, {"units": [unit()]}, "huizhou-2024", "--explain")
    assert (status, err) == (0, [])
    lines = json.loads(out)["units"][0]["explanation"]
    assert any(
        line.strip().startswith("3.3 ") and "2024年7—9月求职登记台账缺联系电话" in line for line in lines
    )
    assert any(line.strip().startswith("5.1 ") and "85.00%" in line for line in lines)
    assert "合计 71.25 分" in lines
    assert lines[-1].startswith("得分 71.25 分") and "三星" in lines[-1]


@pytest.mark.django_db
def test_a_deduction_without_a_reason_is_refused_naming_unit_and_field(tmp_path):
    status, out, err = evaluate(tmp_path, {"units": [unit(ledger_deduction_reason="  ")]}, "huizhou-2024")
    assert (status, out) == (1, "")
    assert err == [
        "单位 HZ-ES-01，字段 inputs.ledger_deduction_reason：酌情扣分须写明理由（服务台账扣分理由）"
    ]


@pytest.mark.django_db
def test_each_bad_input_is_named_by_unit_and_field(tmp_path):
    inputs = dict(STATION, staff_trained="2.5", ledger_deduction=9)
    del inputs["service_area"]
    payload = {"units": [{"code": "HZ-ES-07", "kind": "employment_station", "inputs": inputs}]}
    status, out, err = evaluate(tmp_path, payload, "huizhou-2024")
    assert (status, out) == (1, "")
    fields = sorted(line.split("：")[0] for line in err)
    assert fields == [
        "单位 HZ-ES-07，字段 inputs.ledger_deduction",
        "单位 HZ-ES-07，字段 inputs.service_area",
        "单位 HZ-ES-07，字段 inputs.staff_trained",
    ]
    assert "单位 HZ-ES-07，字段 inputs.service_area：缺少该项（服务面积（平方米））" in err
