"""`manage.py evaluate` for any policy: a yearly sheet given by its inputs, a policy file not
installed, and a policy installed from a file evaluated by its code at once."""

import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from assessment.models import Policy
from assessment.policy_file import read_policy_file
from assessment.services.policies import policy_install
from tests.factories import make_region

pytestmark = pytest.mark.django_db

HUIZHOU_FILE = Path(settings.BASE_DIR) / "assessment" / "policies" / "huizhou-2024.yaml"


def run(tmp_path, payload, *args):
    """Run the command on a cases file; return (exit status, stdout, stderr lines)."""
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    stdout, stderr = io.StringIO(), io.StringIO()
    status = 0
    try:
        call_command("evaluate", *args, str(path), stdout=stdout, stderr=stderr)
    except SystemExit as leaving:
        status = leaving.code
    return status, stdout.getvalue(), stderr.getvalue().splitlines()


def ok(tmp_path, payload, *args):
    status, out, err = run(tmp_path, payload, *args)
    assert (status, err) == (0, [])
    return json.loads(out)


def refused(tmp_path, payload, *args):
    status, out, err = run(tmp_path, payload, *args)
    assert (status, out) == (1, "")
    assert err
    return err


# Yunmeng's illustrative sheet: each item is the assessor's points (item_<code>_points).
YUNMENG_POINTS = {
    "item_1_1_points": "8",
    "item_1_2_points": "7",
    "item_2_1_points": "10",
    "item_2_2_points": "9",
    "item_2_3_points": "8",
    "item_2_4_points": "6.5",
    "item_2_5_points": "7",
    "item_2_6_points": "7",
    "item_2_7_points": "5",
    "item_3_1_points": "8",
    "item_3_2_points": "6",
    "item_3_3_points": "4",
    "item_4_1_points": "5",
    "item_4_2_points": "4",
}  # 15 + 52.5 + 18 + 9 = 94.5


# --- a yearly unit given by its inputs --------------------------------------------------------


def test_a_yearly_seed_unit_may_give_its_sheet_instead_of_a_score(tmp_path):
    result = ok(
        tmp_path,
        {
            "units": [
                {"code": "Y1", "kind": "gig_station", "inputs": YUNMENG_POINTS},
                {"code": "Y2", "kind": "doorstep_station", "score": 85},
            ]
        },
        "yunmeng-2024",
    )
    y1, y2 = result["units"]
    assert (y1["score"], y1["tier"], y1["subsidy"]) == ("94.50", "excellent", "60000.00")
    assert y1["items"]["2.4"] == "6.50" and y1["items"]["3.3"] == "4.00"
    assert len(y1["items"]) == 14
    # A unit given by its score keeps the contract's shape exactly.
    assert y2 == {"code": "Y2", "score": "85.00", "tier": "good", "subsidy": "15000.00"}


def test_a_recognition_policy_still_reads_its_dates_beside_the_inputs(tmp_path):
    lines = refused(
        tmp_path,
        {"assessed_on": "2023-11-30", "units": [{"code": "Q1", "kind": "gig_market", "inputs": {}}]},
        "quanzhou-2023",
    )
    fields = [line.split("：")[0] for line in lines]
    assert "单位 Q1，字段 recognized_on" in fields
    assert "单位 Q1，字段 score" not in fields  # the inputs stand in for the score
    assert any(field.startswith("单位 Q1，字段 inputs.") for field in fields)


def test_score_and_inputs_together_are_refused(tmp_path):
    lines = refused(
        tmp_path,
        {"units": [{"code": "Y1", "kind": "gig_station", "score": 90, "inputs": YUNMENG_POINTS}]},
        "yunmeng-2024",
    )
    assert lines == ["单位 Y1，字段 inputs：得分（score）与考核表输入（inputs）只能给出其一"]


def test_an_input_problem_names_the_unit_and_the_field(tmp_path):
    inputs = dict(YUNMENG_POINTS, item_2_1_points="11")
    del inputs["item_4_2_points"]
    lines = refused(
        tmp_path, {"units": [{"code": "Y7", "kind": "gig_station", "inputs": inputs}]}, "yunmeng-2024"
    )
    assert [line.split("：")[0] for line in lines] == [
        "单位 Y7，字段 inputs.item_2_1_points",
        "单位 Y7，字段 inputs.item_4_2_points",
    ]
    assert "发布零工市场信息" in lines[0]  # the label a clerk knows the field by


def test_inputs_that_are_not_an_object_are_refused(tmp_path):
    (line,) = refused(
        tmp_path, {"units": [{"code": "Y1", "kind": "gig_station", "inputs": [1, 2]}]}, "yunmeng-2024"
    )
    assert line.startswith("单位 Y1，字段 inputs：")


def test_a_monthly_policy_reads_months_not_inputs(tmp_path):
    lines = refused(
        tmp_path,
        {"units": [{"code": "H1", "kind": "community", "level": None, "group": None, "inputs": {}}]},
        "heshan-2024",
    )
    assert "单位 H1，字段 months：缺少该项" in lines
    assert "单位 H1，字段 inputs：不是本政策模拟输入中的字段" in lines


def test_explain_gives_a_sheet_its_item_lines_and_a_score_its_decision(tmp_path):
    payload = {
        "units": [
            {"code": "Y1", "kind": "gig_station", "inputs": YUNMENG_POINTS},
            {"code": "Y2", "kind": "gig_station", "score": "79.99"},
        ]
    }
    y1, y2 = ok(tmp_path, payload, "yunmeng-2024", "--explain")["units"]
    assert any("2.4 就业业务就近办" in line and "6.50 分" in line for line in y1["explanation"])
    assert "合计 94.50 分" in y1["explanation"]
    assert y1["explanation"][-1] == "得分 94.50 分，达到优秀线 90 分，绩效补助 60000.00 元"
    assert y2["explanation"] == ["得分 79.99 分，达到合格线 70 分，绩效补助 40000.00 元"]


# --- --policy-file: a policy evaluated without installing it ---------------------------------


def _draft_file(tmp_path, text=None):
    """Huizhou's file as a bureau's draft of next year: a code that is in no database."""
    text = text if text is not None else HUIZHOU_FILE.read_text(encoding="utf-8")
    path = tmp_path / "draft.yaml"
    path.write_text(text.replace("code: huizhou-2024", "code: huizhou-draft-2025"), encoding="utf-8")
    return path


HUIZHOU_FULL_MARKS = {
    "service_area": 25,
    "has_computer": True,
    "has_display": True,
    "has_monitoring": True,
    "has_meeting_room": True,
    "unified_name": True,
    "unified_decoration": True,
    "provincial_plaque": True,
    "shows_services": True,
    "shows_policies": True,
    "shows_jobs": True,
    "shows_complaint_line": True,
    "free_of_charge_rule": True,
    "attendance_rule": True,
    "conduct_rule": True,
    "information_review_rule": True,
    "follows_work_rules": True,
    "has_service_process": True,
    "ledger_deduction": 0,
    "ledger_deduction_reason": "",
    "has_station_head": True,
    "has_county_supervisor": True,
    "staff_trained": 5,
    "jobs_collected": 1200,
    "jobs_target": 1000,
    "enterprises_visited": 50,
    "placements": 80,
    "valid_complaints": 0,
}


def test_a_policy_file_is_evaluated_without_being_installed(tmp_path):
    path = _draft_file(tmp_path)
    payload = {
        "units": [
            {"code": "A", "kind": "employment_station", "inputs": HUIZHOU_FULL_MARKS},
            # 100 less 3.3's 8 points and 5.4's 5 (two complaints): 87 -> four stars.
            {
                "code": "B",
                "kind": "employment_station",
                "inputs": HUIZHOU_FULL_MARKS
                | {"ledger_deduction": 8, "ledger_deduction_reason": "无台账", "valid_complaints": 2},
            },
        ]
    }
    result = ok(tmp_path, payload, "--policy-file", str(path))
    assert result["policy"] == "huizhou-draft-2025"
    assert [(u["score"], u["tier"]) for u in result["units"]] == [
        ("100.00", "five_star"),
        ("87.00", "four_star"),
    ]
    assert not Policy.objects.filter(code="huizhou-draft-2025").exists()
    # The code may be given too, and must then be the file's.
    assert ok(tmp_path, payload, "huizhou-draft-2025", "--policy-file", str(path)) == result


def test_a_code_that_is_not_the_files_is_refused(tmp_path):
    (line,) = refused(tmp_path, {"units": []}, "huizhou-2024", "--policy-file", str(_draft_file(tmp_path)))
    assert "huizhou-2024" in line and "huizhou-draft-2025" in line


def test_a_policy_file_with_problems_is_refused_with_each_problem(tmp_path):
    text = HUIZHOU_FILE.read_text(encoding="utf-8").replace("max_points: 35", "max_points: thirty-five")
    lines = refused(tmp_path, {"units": []}, "--policy-file", str(_draft_file(tmp_path, text)))
    assert all(line.startswith(f"政策文件 {tmp_path / 'draft.yaml'}：") for line in lines)


def test_a_missing_policy_file_is_refused(tmp_path):
    (line,) = refused(tmp_path, {"units": []}, "--policy-file", str(tmp_path / "nope.yaml"))
    assert line.startswith("输入，字段 --policy-file：无法读取") and "nope.yaml" in line


def test_neither_code_nor_file_is_refused(tmp_path):
    (line,) = refused(tmp_path, {"units": []})
    assert line == "输入，字段 policy_code：请给出政策代码，或用 --policy-file 指定政策文件"


# --- a policy installed from a file is evaluated by its code ----------------------------------


def test_a_policy_installed_from_a_file_is_evaluated_by_its_code_at_once(tmp_path):
    spec = read_policy_file(_draft_file(tmp_path).read_bytes())
    policy_install(spec=spec, region=make_region("441300", "惠州市", 2))
    result = ok(
        tmp_path,
        {
            "units": [
                {"code": "A", "kind": "employment_station", "inputs": HUIZHOU_FULL_MARKS | {"placements": 59}}
            ]
        },
        "huizhou-draft-2025",
    )
    # 5.3: 59 people is the 40..60 step (7 of 10): 97, still five stars.
    assert result["units"] == [
        {
            "code": "A",
            "items": result["units"][0]["items"],
            "score": "97.00",
            "tier": "five_star",
            "subsidy": "0.00",
        }
    ]
    assert result["units"][0]["items"]["5.3"] == "7.00"
