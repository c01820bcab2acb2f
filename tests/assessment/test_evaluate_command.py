"""`manage.py evaluate`: the issue 3 contract, on cases worked by hand, and every class of bad input."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.assessment.builders import heshan_perfect_month

# The command reads the policies from the database, where migrate installed the seeds.
pytestmark = pytest.mark.django_db


def run_evaluate(tmp_path, code, payload, *, raw=None):
    """Run the command on a file; return (exit status, stdout, stderr lines)."""
    path = tmp_path / "cases.json"
    path.write_text(raw if raw is not None else json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    stdout, stderr = io.StringIO(), io.StringIO()
    status = 0
    try:
        call_command("evaluate", code, str(path), stdout=stdout, stderr=stderr)
    except SystemExit as leaving:
        status = leaving.code
    return status, stdout.getvalue(), stderr.getvalue().splitlines()


def evaluate_ok(tmp_path, code, payload):
    status, out, err = run_evaluate(tmp_path, code, payload)
    assert (status, err) == (0, [])
    return json.loads(out)


def evaluate_refused(tmp_path, code, payload=None, *, raw=None):
    status, out, err = run_evaluate(tmp_path, code, payload, raw=raw)
    assert status == 1
    assert out == ""
    assert err, "a refusal must say why"
    return err


# --- yunmeng-2024 -----------------------------------------------------------------------------


def test_yunmeng_scores_round_half_up_before_the_tier(tmp_path):
    result = evaluate_ok(
        tmp_path,
        "yunmeng-2024",
        {
            "units": [
                {"code": "Y1", "kind": "gig_station", "score": 90},
                {"code": "Y2", "kind": "gig_station", "score": "89.995"},  # -> 90.00 excellent
                {"code": "Y3", "kind": "doorstep_station", "score": "89.994"},  # -> 89.99 good
                {"code": "Y4", "kind": "doorstep_station", "score": 70},
                {"code": "Y5", "kind": "gig_station", "score": 69.999},  # JSON number -> 70.00 pass
                {"code": "Y6", "kind": "doorstep_station", "score": 0},
            ]
        },
    )
    assert result == {
        "policy": "yunmeng-2024",
        "units": [
            {"code": "Y1", "score": "90.00", "tier": "excellent", "subsidy": "60000.00"},
            {"code": "Y2", "score": "90.00", "tier": "excellent", "subsidy": "60000.00"},
            {"code": "Y3", "score": "89.99", "tier": "good", "subsidy": "15000.00"},
            {"code": "Y4", "score": "70.00", "tier": "pass", "subsidy": "10000.00"},
            {"code": "Y5", "score": "70.00", "tier": "pass", "subsidy": "40000.00"},
            {"code": "Y6", "score": "0.00", "tier": "fail", "subsidy": "0.00"},
        ],
    }


# --- quanzhou-2023 ----------------------------------------------------------------------------


def test_quanzhou_eligibility_stars_one_time_and_contracts(tmp_path):
    result = evaluate_ok(
        tmp_path,
        "quanzhou-2023",
        {
            "assessed_on": "2023-11-30",
            "units": [
                # recognised 05-30 + 6 months = 11-30: eligible; 90 five-star 100,000; 2023 first time: 60,000
                {"code": "Q1", "kind": "gig_market", "score": 90, "recognized_on": "2023-05-30",
                 "one_time_paid": False, "purchase_contract": None},
                # 06-01 + 6 months = 12-01, after 11-30: not assessed; one-time still due
                {"code": "Q2", "kind": "gig_market", "score": "85.5", "recognized_on": "2023-06-01",
                 "one_time_paid": False, "purchase_contract": None},
                # 79.995 -> 80.00 four-star 20,000; recognised 2022: no one-time
                {"code": "Q3", "kind": "gig_station", "score": "79.995", "recognized_on": "2022-03-01",
                 "one_time_paid": True, "purchase_contract": None},
                # contract ends on the assessment day: tier shown, no money of either kind
                {"code": "Q4", "kind": "gig_station", "score": 95, "recognized_on": "2023-01-10",
                 "one_time_paid": False, "purchase_contract": {"start": "2023-01-01", "end": "2023-11-30"}},
                # contract starts later: 69.99 no stars, no one-time (recognised 2022)
                {"code": "Q5", "kind": "gig_market", "score": "69.99", "recognized_on": "2022-12-31",
                 "one_time_paid": False, "purchase_contract": {"start": "2023-12-01", "end": "2024-06-30"}},
                # 70 three-star 10,000; one-time already paid
                {"code": "Q6", "kind": "gig_station", "score": 70, "recognized_on": "2023-02-28",
                 "one_time_paid": True, "purchase_contract": None},
            ],
        },
    )  # fmt: skip
    assert result == {
        "policy": "quanzhou-2023",
        "units": [
            {"code": "Q1", "score": "90.00", "eligible": True, "tier": "five_star",
             "performance_subsidy": "100000.00", "one_time_subsidy": "60000.00"},
            {"code": "Q2", "score": "85.50", "eligible": False, "tier": None,
             "performance_subsidy": "0.00", "one_time_subsidy": "60000.00"},
            {"code": "Q3", "score": "80.00", "eligible": True, "tier": "four_star",
             "performance_subsidy": "20000.00", "one_time_subsidy": "0.00"},
            {"code": "Q4", "score": "95.00", "eligible": True, "tier": "five_star",
             "performance_subsidy": "0.00", "one_time_subsidy": "0.00"},
            {"code": "Q5", "score": "69.99", "eligible": True, "tier": "none",
             "performance_subsidy": "0.00", "one_time_subsidy": "0.00"},
            {"code": "Q6", "score": "70.00", "eligible": True, "tier": "three_star",
             "performance_subsidy": "10000.00", "one_time_subsidy": "0.00"},
        ],
    }  # fmt: skip


# --- heshan-2024 ------------------------------------------------------------------------------


def _month(kind="community", **changes):
    return heshan_perfect_month(kind) | changes


def test_heshan_months_bands_elimination_and_group_deduction(tmp_path):
    payload = {
        "units": [
            # 100 in January and in April -> 100.00
            {"code": "C1", "kind": "community", "level": "province", "group": "G1",
             "months": {"2024-04": _month(), "2024-01": _month()}},
            # 2 long-term unemployed: 100 - 1 = 99.00
            {"code": "C2", "kind": "community", "level": "city", "group": "G1",
             "months": {"2024-01": _month(long_term_unemployed=2)}},
            # 5 complaints and 2 long-term unemployed: 100 - 5 - 1 = 94.00
            {"code": "V1", "kind": "village", "level": "city", "group": "G2",
             "months": {"2024-05": _month("village", valid_complaints=5, long_term_unemployed=2)}},
            # 3 complaints: 97.00
            {"code": "V2", "kind": "village", "level": "district", "group": "G2",
             "months": {"2024-06": _month("village", valid_complaints=3)}},
            # February 96 (4 complaints), March 97 (3 complaints): mean 96.50
            {"code": "C3", "kind": "community", "level": None, "group": "G1",
             "months": {"2024-02": _month(valid_complaints=4), "2024-03": _month(valid_complaints=3)}},
        ]
    }  # fmt: skip
    result = evaluate_ok(tmp_path, "heshan-2024", payload)
    units = result["units"]
    assert [unit["code"] for unit in units] == ["C1", "C2", "V1", "V2", "C3"]
    # Months come out in calendar order, every item with 2 decimals.
    assert list(units[0]["months"]) == ["2024-01", "2024-04"]
    assert units[0]["months"]["2024-01"]["total"] == "100.00"
    assert units[0]["months"]["2024-01"]["items"]["4.2.1"] == "3.00"
    assert len(units[0]["months"]["2024-01"]["items"]) == 29
    assert units[2]["months"]["2024-05"]["items"]["3.3"] == "0.00"
    assert units[2]["months"]["2024-05"]["items"]["1.4"] == "5.00"
    # Ranked (province + city): C1 100, C2 99, V1 94 -> 3 units -> A 1, B 1, C 1.
    # Lowest 3 of all five: V1 94, C3 96.50, V2 97 -> only V1 is below 95 -> eliminated.
    # Group G2 loses 10,000 on V2: 30,000 -> 20,000. C3 has no level: no band, 0.
    summary = [(u["code"], u["score"], u["band"], u["eliminated"], u["subsidy"]) for u in units]
    assert summary == [
        ("C1", "100.00", "A", False, "60000.00"),
        ("C2", "99.00", "B", False, "50000.00"),
        ("V1", "94.00", "C", True, "0.00"),
        ("V2", "97.00", "district", False, "20000.00"),
        ("C3", "96.50", None, False, "0.00"),
    ]
    assert set(units[0]) == {"code", "months", "score", "band", "eliminated", "subsidy"}
    assert set(units[0]["months"]["2024-01"]) == {"total", "items"}


def test_heshan_month_totals_use_the_section_caps(tmp_path):
    payload = {
        "units": [
            {"code": "C1", "kind": "community", "level": "city", "group": None,
             "months": {"2024-03": _month(staff_training_met=False, new_staff_trained=False),
                        "2024-04": _month(staff_training_met=False, new_staff_trained=False)}},
        ]
    }  # fmt: skip
    (unit,) = evaluate_ok(tmp_path, "heshan-2024", payload)["units"]
    # March: 4.2.1 and 4.2.2 not yet scored -> 100. April: 0 + 1 -> 97. Mean 98.50.
    assert unit["months"]["2024-03"]["total"] == "100.00"
    assert unit["months"]["2024-04"]["total"] == "97.00"
    assert unit["score"] == "98.50"


def test_stdin_is_read_when_the_file_is_a_dash(monkeypatch):
    payload = {"units": [{"code": "Y1", "kind": "gig_station", "score": "88"}]}
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(payload)))
    stdout = io.StringIO()
    call_command("evaluate", "yunmeng-2024", "-", stdout=stdout, stderr=io.StringIO())
    assert json.loads(stdout.getvalue())["units"] == [
        {"code": "Y1", "score": "88.00", "tier": "good", "subsidy": "50000.00"}
    ]


def test_explain_adds_lines_a_clerk_can_read(tmp_path):
    path = tmp_path / "cases.json"
    path.write_text(json.dumps({"units": [{"code": "Y1", "kind": "gig_station", "score": "79.99"}]}))
    stdout = io.StringIO()
    call_command("evaluate", "yunmeng-2024", str(path), "--explain", stdout=stdout, stderr=io.StringIO())
    (unit,) = json.loads(stdout.getvalue())["units"]
    assert unit["explanation"] == ["得分 79.99 分，达到合格线 70 分，绩效补助 40000.00 元"]


# --- bad input: exit 1, nothing on stdout, one line per problem naming unit, month and field --


def test_unknown_policy_is_refused(tmp_path):
    (line,) = evaluate_refused(tmp_path, "atlantis-2024", {"units": []})
    assert "atlantis-2024" in line


def test_malformed_json_is_refused(tmp_path):
    (line,) = evaluate_refused(tmp_path, "yunmeng-2024", raw='{"units": [')
    assert "不是有效的 JSON" in line


def test_json_that_is_not_an_object_is_refused(tmp_path):
    (line,) = evaluate_refused(tmp_path, "yunmeng-2024", [1, 2])
    assert "JSON 对象" in line


def test_nan_is_refused(tmp_path):
    evaluate_refused(
        tmp_path, "yunmeng-2024", raw='{"units": [{"code": "Y1", "kind": "gig_station", "score": NaN}]}'
    )


def test_duplicate_keys_are_refused(tmp_path):
    raw = '{"units": [{"code": "Y1", "kind": "gig_station", "score": 95, "score": 50}]}'
    (line,) = evaluate_refused(tmp_path, "yunmeng-2024", raw=raw)
    assert "重复" in line


def test_missing_file_is_refused(tmp_path):
    stderr = io.StringIO()
    with pytest.raises(SystemExit) as leaving:
        call_command(
            "evaluate", "yunmeng-2024", str(tmp_path / "nope.json"), stdout=io.StringIO(), stderr=stderr
        )
    assert leaving.value.code == 1
    assert "nope.json" in stderr.getvalue()


def test_unknown_kind_is_refused(tmp_path):
    (line,) = evaluate_refused(
        tmp_path, "yunmeng-2024", {"units": [{"code": "Y1", "kind": "gig_market", "score": 90}]}
    )
    assert "Y1" in line
    assert "kind" in line


@pytest.mark.parametrize("score", ["100.01", -1, "abc", None, True])
def test_score_outside_zero_to_one_hundred_or_not_a_number_is_refused(tmp_path, score):
    (line,) = evaluate_refused(
        tmp_path, "yunmeng-2024", {"units": [{"code": "Y9", "kind": "gig_station", "score": score}]}
    )
    assert line.startswith("单位 Y9，字段 score：")


def test_missing_score_and_missing_code_are_refused(tmp_path):
    lines = evaluate_refused(
        tmp_path,
        "yunmeng-2024",
        {"units": [{"code": "Y1", "kind": "gig_station"}, {"kind": "gig_station", "score": 90}]},
    )
    assert lines == [
        "单位 Y1，字段 score：缺少该项",
        "单位 第 2 个（无编号），字段 code：缺少单位编号，或编号不是非空文本",
    ]


def test_duplicate_unit_codes_are_refused(tmp_path):
    units = [
        {"code": "Y1", "kind": "gig_station", "score": 90},
        {"code": "Y1", "kind": "gig_station", "score": 80},
    ]
    (line,) = evaluate_refused(tmp_path, "yunmeng-2024", {"units": units})
    assert "Y1" in line and "重复" in line


QUANZHOU_UNIT = {
    "code": "Q1",
    "kind": "gig_market",
    "score": 90,
    "recognized_on": "2023-01-01",
    "one_time_paid": False,
    "purchase_contract": None,
}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"recognized_on": "2023-02-30"}, "recognized_on"),
        ({"recognized_on": "2023/01/01"}, "recognized_on"),
        ({"recognized_on": "2023-12-01"}, "recognized_on"),  # after the assessment day
        ({"one_time_paid": "no"}, "one_time_paid"),
        ({"purchase_contract": {"start": "2023-13-01", "end": "2023-12-31"}}, "purchase_contract.start"),
        ({"purchase_contract": {"start": "2023-06-01", "end": "2023-05-31"}}, "purchase_contract.end"),
        ({"purchase_contract": "2023"}, "purchase_contract"),
    ],
)
def test_quanzhou_bad_dates_and_flags_are_refused(tmp_path, changes, field):
    payload = {"assessed_on": "2023-11-30", "units": [QUANZHOU_UNIT | changes]}
    (line,) = evaluate_refused(tmp_path, "quanzhou-2023", payload)
    assert line.startswith(f"单位 Q1，字段 {field}：")


def test_quanzhou_bad_assessment_date_is_refused(tmp_path):
    (line,) = evaluate_refused(
        tmp_path, "quanzhou-2023", {"assessed_on": "30/11/2023", "units": [QUANZHOU_UNIT]}
    )
    assert line.startswith("输入，字段 assessed_on：")


def _heshan(months, **unit):
    return {
        "units": [
            {"code": "H7", "kind": "community", "level": "city", "group": "G1", "months": months} | unit
        ]
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"labor_force": -5}, "labor_force"),
        ({"valid_complaints": "1.5"}, "valid_complaints"),
        ({"phone_check_accuracy": 100.5}, "phone_check_accuracy"),
        ({"survey_points": 4}, "survey_points"),
        ({"registered_unemployed": 1001}, "registered_unemployed"),
        ({"staff_training_met": "true"}, "staff_training_met"),
        ({"labour_force": 1}, "labour_force"),
    ],
)
def test_heshan_bad_inputs_name_unit_month_and_field(tmp_path, changes, field):
    (line,) = evaluate_refused(tmp_path, "heshan-2024", _heshan({"2024-05": _month(**changes)}))
    assert line.startswith(f"单位 H7，月份 2024-05，字段 {field}：")


def test_heshan_missing_input_is_named(tmp_path):
    month = _month()
    del month["market_entities"]
    (line,) = evaluate_refused(tmp_path, "heshan-2024", _heshan({"2024-07": month}))
    assert line == "单位 H7，月份 2024-07，字段 market_entities：缺少该项（当地市场主体数量）"


@pytest.mark.parametrize("month", ["2024-13", "2024-1", "2023-12", "May"])
def test_heshan_bad_or_foreign_month_is_refused(tmp_path, month):
    (line,) = evaluate_refused(tmp_path, "heshan-2024", _heshan({month: _month()}))
    assert line.startswith(f"单位 H7，月份 {month}，字段 months：")


@pytest.mark.parametrize(
    ("unit", "field"),
    [({"level": "county"}, "level"), ({"group": ""}, "group"), ({"kind": "town"}, "kind")],
)
def test_heshan_bad_level_group_or_kind_is_refused(tmp_path, unit, field):
    (line,) = evaluate_refused(tmp_path, "heshan-2024", _heshan({"2024-05": _month()}, **unit))
    assert line.startswith(f"单位 H7，字段 {field}：")


def test_heshan_unit_without_months_is_refused(tmp_path):
    (line,) = evaluate_refused(tmp_path, "heshan-2024", _heshan({}))
    assert line.startswith("单位 H7，字段 months：")


def test_every_problem_gets_its_own_line(tmp_path):
    payload = _heshan(
        {"2024-05": _month(labor_force=-1, survey_points=9), "2024-06": _month(inactive_accounts=-2)}
    )
    lines = evaluate_refused(tmp_path, "heshan-2024", payload)
    assert [line.split("：")[0] for line in lines] == [
        "单位 H7，月份 2024-05，字段 labor_force",
        "单位 H7，月份 2024-05，字段 survey_points",
        "单位 H7，月份 2024-06，字段 inactive_accounts",
    ]


def test_a_real_process_exits_one_without_a_traceback(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    # A database of its own, migrated (which installs the seed policies), as a newcomer would have.
    database = f"sqlite:///{tmp_path / 'evaluate.sqlite3'}"
    environment = os.environ | {"DJANGO_DEBUG": "true", "PYTHONIOENCODING": "utf-8", "DATABASE_URL": database}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=Path(settings.BASE_DIR),
        env=environment,
        check=True,
    )
    finished = subprocess.run(  # noqa: S603 - fixed arguments, our own manage.py
        [sys.executable, "manage.py", "evaluate", "heshan-2024", str(path)],
        cwd=Path(settings.BASE_DIR),
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert finished.returncode == 1
    assert finished.stdout == ""
    assert "Traceback" not in finished.stderr
    assert finished.stderr.count("\n") == 1
