"""The rubric validator and the input checks: flagged, never silently accepted."""

from decimal import Decimal

import pytest

from assessment.engine.scoring import RubricError, compile_rubric
from assessment.engine.specs import ItemSpec, RubricSpec, SectionSpec
from assessment.engine.validation import validate_inputs, validate_rubric
from assessment.policies import SEED_POLICIES
from tests.assessment.builders import KIND, heshan_perfect_month, item, rubric_of

HESHAN = SEED_POLICIES["heshan-2024"]
HESHAN_RUBRIC = compile_rubric(HESHAN.rubric, kinds=HESHAN.kinds)


# --- the rubric -------------------------------------------------------------------------------


def test_heshan_rubric_is_flagged_for_three_plus_two_under_a_four_point_heading():
    findings = validate_rubric(HESHAN.rubric, HESHAN.kinds)
    assert len(findings) == 1
    (finding,) = findings
    assert finding.code == "4.2"
    assert finding.severity == "warning"
    assert "5 分（3 + 2）" in finding.message
    assert "超过本项满分 4 分" in finding.message


@pytest.mark.parametrize("code", ["yunmeng-2024", "quanzhou-2023"])
def test_illustrative_rubrics_add_up(code):
    policy = SEED_POLICIES[code]
    assert validate_rubric(policy.rubric, policy.kinds) == []


def test_section_whose_items_do_not_reach_its_max_is_flagged():
    lone = item("manual", {"input": "points"}, {"points": "points"}, max_points="3")
    rubric = RubricSpec(
        max_points=Decimal(5),
        sections=(SectionSpec(code="1", title="甲部分", max_points=Decimal(5), items=(lone,)),),
    )
    (finding,) = validate_rubric(rubric, (KIND,))
    assert finding.code == "1"
    assert "各项满分合计 3 分（3），不足本部分满分 5 分" in finding.message


def test_sections_that_do_not_add_up_to_the_sheet_max_are_flagged():
    lone = item("manual", {"input": "points"}, {"points": "points"}, max_points="5")
    rubric = RubricSpec(
        max_points=Decimal(100),
        sections=(SectionSpec(code="1", title="甲部分", max_points=Decimal(5), items=(lone,)),),
    )
    findings = validate_rubric(rubric, (KIND,))
    assert [finding.message for finding in findings] == [
        "各部分满分合计 5 分，与考核表满分 100 分不一致；请调整某一部分的满分或考核表满分，使二者相等"
    ]
    # An error, not a hint: a campaign would tier and pay totals the sheet cannot reach.
    assert [finding.severity for finding in findings] == ["error"]


def test_unknown_rule_kind_is_an_error_and_stops_compiling():
    broken = item("guess", {}, {"points": "points"})
    findings = validate_rubric(rubric_of(broken), (KIND,))
    assert [(finding.code, finding.severity) for finding in findings] == [("1.1", "error")]
    with pytest.raises(RubricError, match="guess"):
        compile_rubric(rubric_of(broken), kinds=(KIND,))


def test_rule_reading_an_undeclared_input_is_an_error():
    broken = item("per_count_deduction", {"input": "ghosts", "step": "1"}, {"people": "count"})
    with pytest.raises(RubricError, match="ghosts"):
        compile_rubric(rubric_of(broken), kinds=(KIND,))


def test_two_items_with_one_code_on_one_sheet_are_an_error():
    first = item("manual", {"input": "a"}, {"a": "points"}, code="1.1")
    second = item("manual", {"input": "b"}, {"b": "points"}, code="1.1")
    with pytest.raises(RubricError, match=r"两个编号为 1\.1"):
        compile_rubric(rubric_of(first, second), kinds=(KIND,))


def test_one_code_for_two_kinds_is_allowed_as_heshan_does_for_item_one_four():
    assert HESHAN_RUBRIC.leaf_codes("community").count("1.4") == 1
    assert HESHAN_RUBRIC.leaf_codes("village").count("1.4") == 1


def test_an_input_declared_with_two_types_is_an_error():
    first = item("manual", {"input": "x"}, {"x": "points"}, code="1.1")
    second = item("per_count_deduction", {"input": "x", "step": "1"}, {"x": "count"}, code="1.2")
    with pytest.raises(RubricError, match="类型不一致"):
        compile_rubric(rubric_of(first, second), kinds=(KIND,))


def test_capped_sum_without_sub_items_is_an_error():
    heading = ItemSpec(code="2", title="空合计", max_points=Decimal(4), rule="capped_sum")
    with pytest.raises(RubricError, match="需要分项"):
        compile_rubric(rubric_of(heading), kinds=(KIND,))


# --- a unit's inputs --------------------------------------------------------------------------


def _problems(month_inputs, kind="community", month=5):
    return [
        (problem.field, problem.message)
        for problem in validate_inputs(HESHAN_RUBRIC, month_inputs, kind=kind, month=month)
    ]


def _fields(month_inputs, kind="community", month=5):
    return [field for field, _ in _problems(month_inputs, kind, month)]


def test_perfect_month_has_no_problems():
    assert _problems(heshan_perfect_month()) == []
    assert _problems(heshan_perfect_month("village"), kind="village") == []


def test_missing_field_is_named():
    inputs = heshan_perfect_month()
    del inputs["labor_force"]
    assert _problems(inputs) == [("labor_force", "缺少该项（劳动力总数）")]


def test_negative_count_is_refused():
    inputs = heshan_perfect_month() | {"valid_complaints": -1}
    assert _problems(inputs) == [("valid_complaints", "不能为负数（群众有效投诉例数）")]


def test_count_with_a_fraction_is_refused_but_a_whole_decimal_is_accepted():
    assert _fields(heshan_perfect_month() | {"valid_complaints": Decimal("1.5")}) == ["valid_complaints"]
    assert _fields(heshan_perfect_month() | {"valid_complaints": "2.0"}) == []


def test_true_is_not_a_count():
    assert _fields(heshan_perfect_month() | {"valid_complaints": True}) == ["valid_complaints"]


def test_percentage_must_lie_between_zero_and_one_hundred():
    assert _fields(heshan_perfect_month() | {"phone_check_accuracy": "100.01"}) == ["phone_check_accuracy"]
    assert _fields(heshan_perfect_month() | {"phone_check_accuracy": -1}) == ["phone_check_accuracy"]
    assert _fields(heshan_perfect_month() | {"phone_check_accuracy": 100}) == []
    assert _fields(heshan_perfect_month() | {"phone_check_accuracy": 0}) == []


def test_manual_points_must_lie_within_the_item():
    assert _problems(heshan_perfect_month() | {"survey_points": "3.01"}) == [
        ("survey_points", "应在 0 到 3 分之间（基层平台就业情况调查得分）")
    ]
    assert _fields(heshan_perfect_month() | {"promotion_points": 3}) == ["promotion_points"]


def test_a_flag_must_be_true_or_false():
    assert _fields(heshan_perfect_month() | {"staff_training_met": "yes"}) == ["staff_training_met"]
    assert _fields(heshan_perfect_month() | {"staff_training_met": 1}) == ["staff_training_met"]


def test_text_that_is_not_a_number_is_refused():
    assert _problems(heshan_perfect_month() | {"labor_force": "很多"}) == [
        ("labor_force", "应为数字（劳动力总数）")
    ]


@pytest.mark.parametrize(
    ("part", "whole_values"),
    [
        ("registered_unemployed", {"labor_force": 1000, "registered_unemployed": 1001}),
        ("hard_to_employ", {"labor_force": 1000, "hard_to_employ": 1001}),
        ("labor_records_updated", {"labor_force": 1000, "labor_records_updated": 1001}),
        ("registration_overdue", {"registration_applications": 10, "registration_overdue": 11}),
        (
            "recommended_and_employed",
            {
                "unemployed_willing_at_start": 8,
                "newly_registered_unemployed": 2,
                "recommended_and_employed": 11,
            },
        ),
        (
            "training_recommended_and_employed",
            {
                "training_willing_at_start": 4,
                "training_willing_new": 1,
                "training_recommended_and_employed": 6,
            },
        ),
        ("match_success", {"match_success": 11, "matched_people": 10}),
        ("training_subsidized", {"training_referrals": 4, "training_subsidized": 5}),
    ],
)
def test_part_larger_than_its_whole_is_refused(part, whole_values):
    assert _fields(heshan_perfect_month() | whole_values) == [part]


def test_part_equal_to_its_whole_is_accepted():
    assert _fields(heshan_perfect_month() | {"labor_force": 1000, "registered_unemployed": 1000}) == []


def test_part_larger_than_a_sum_says_both_sides():
    inputs = heshan_perfect_month() | {"recommended_and_employed": 11}
    ((field, message),) = _problems(inputs)
    assert field == "recommended_and_employed"
    assert message == "有推荐记录且已就业人数 11 大于 月初未就业有就业意愿人数+当月新增失业登记人数 10"


def test_rural_transfer_larger_than_rural_labour_is_refused_for_a_village():
    inputs = heshan_perfect_month("village") | {"rural_transferred": 501}
    assert _fields(inputs, kind="village") == ["rural_transferred"]


def test_a_community_must_give_its_own_item_one_four_but_not_the_villages():
    inputs = heshan_perfect_month("community")
    del inputs["zero_employment_households"]
    assert _fields(inputs) == ["zero_employment_households"]
    assert _fields(heshan_perfect_month("village"), kind="village") == []


def test_unknown_field_is_refused():
    assert _problems(heshan_perfect_month() | {"labour_force": 1000}) == [
        ("labour_force", "不是本考核表的输入项")
    ]


def test_flags_of_items_scored_from_april_are_needed_only_from_april():
    inputs = heshan_perfect_month()
    del inputs["staff_training_met"], inputs["new_staff_trained"]
    assert _fields(inputs, month=3) == []
    assert _fields(inputs, month=4) == ["staff_training_met", "new_staff_trained"]


def test_every_problem_is_reported_at_once():
    inputs = heshan_perfect_month() | {"valid_complaints": -1, "phone_check_accuracy": 101}
    del inputs["labor_force"]
    assert sorted(_fields(inputs)) == ["labor_force", "phone_check_accuracy", "valid_complaints"]


def test_inputs_that_are_not_an_object_are_refused():
    assert _problems([1, 2, 3]) == [("", "输入项应为一个对象（字段名： 值）")]


def test_field_rules_give_a_form_its_fields_in_sheet_order():
    rules = HESHAN_RUBRIC.field_rules("village", 2)
    names = [rule.spec.name for rule in rules]
    assert names[:3] == ["labor_force", "registered_unemployed", "long_term_unemployed"]
    assert "rural_transfer_rate_last_year" in names
    assert "zero_employment_households" not in names
    assert "staff_training_met" not in names  # scored from April
    survey = next(rule for rule in rules if rule.spec.name == "survey_points")
    assert (survey.spec.type, survey.points_max) == ("points", Decimal(3))
