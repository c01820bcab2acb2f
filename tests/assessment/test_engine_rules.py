"""Every rule kind at and around its edges. Expected points are worked by hand in the comments."""

from decimal import Decimal

import pytest

from assessment.engine.scoring import compile_rubric
from tests.assessment.builders import KIND, item, rubric_of, score_item

D = Decimal


# --- manual -----------------------------------------------------------------------------------


def test_manual_points_are_taken_as_entered():
    spec = item("manual", {"input": "survey"}, {"survey": "points"}, max_points="3")
    result = score_item(spec, {"survey": "2.5"})
    assert result.points == D("2.50")
    assert "2.50" in result.explanation


def test_manual_points_with_three_decimals_are_rounded_half_up_first():
    spec = item("manual", {"input": "survey"}, {"survey": "points"}, max_points="3")
    # 2.345 -> 2.35 (half-up); banker's rounding would give 2.34.
    assert score_item(spec, {"survey": "2.345"}).points == D("2.35")


def test_manual_points_at_zero_and_at_max_are_accepted():
    spec = item("manual", {"input": "survey"}, {"survey": "points"}, max_points="3")
    assert score_item(spec, {"survey": 0}).points == D("0.00")
    assert score_item(spec, {"survey": 3}).points == D("3.00")


# --- per-count deduction ----------------------------------------------------------------------

EACH_HALF_POINT = item(
    "per_count_deduction",
    {"input": "people", "step": "0.5", "unit": "人", "label": "长期失业人员"},
    {"people": "count"},
)


def test_count_of_zero_earns_full_points_with_a_line():
    result = score_item(EACH_HALF_POINT, {"people": 0})
    assert result.points == D("5.00")
    assert result.explanation == "长期失业人员 0 人，得满分 5 分"


def test_each_counted_case_deducts_one_step():
    # 5 - 3 x 0.5 = 3.50
    result = score_item(EACH_HALF_POINT, {"people": 3})
    assert result.points == D("3.50")
    assert result.explanation == "长期失业人员 3 人，每人扣 0.5 分，扣 1.50 分，得 3.50 分"


def test_deduction_that_exactly_uses_up_the_max_gives_zero():
    # 5 - 10 x 0.5 = 0
    assert score_item(EACH_HALF_POINT, {"people": 10}).points == D("0.00")


def test_deduction_beyond_the_max_stops_at_zero():
    # 5 - 11 x 0.5 = -0.5, floored at 0
    result = score_item(EACH_HALF_POINT, {"people": 11})
    assert result.points == D("0.00")
    assert "扣完为止" in result.explanation


def test_one_case_short_of_the_floor_keeps_one_step():
    # 5 - 9 x 0.5 = 0.50
    assert score_item(EACH_HALF_POINT, {"people": 9}).points == D("0.50")


def test_small_step_deductions_stay_exact():
    spec = item("per_count_deduction", {"input": "rows", "step": "0.2"}, {"rows": "count"}, max_points="2")
    # 2 - 7 x 0.2 = 0.60 (in binary floating point this would be 0.5999...)
    assert score_item(spec, {"rows": 7}).points == D("0.60")


def test_free_allowance_is_not_deducted():
    spec = item(
        "per_count_deduction", {"input": "cases", "step": "1", "free_allowance": 1}, {"cases": "count"}
    )
    assert score_item(spec, {"cases": 1}).points == D("5.00")
    # 3 cases, 1 free: 5 - 2 x 1 = 3.00
    assert score_item(spec, {"cases": 3}).points == D("3.00")


BELOW_FIVE = item(
    "per_count_deduction",
    {"input": "firms", "mode": "below", "required": 5, "step": "0.4", "unit": "家", "label": "新增企业"},
    {"firms": "count"},
    max_points="2",
)


def test_count_exactly_at_the_requirement_earns_full_points():
    result = score_item(BELOW_FIVE, {"firms": 5})
    assert result.points == D("2.00")
    assert result.explanation == "新增企业 5 家，达到要求的 5 家，得满分 2 分"


def test_count_above_the_requirement_earns_full_points():
    assert score_item(BELOW_FIVE, {"firms": 9}).points == D("2.00")


def test_each_one_below_the_requirement_deducts_a_step():
    # 4 firms: 1 below 5, 2 - 0.4 = 1.60; 3 firms: 2 below, 2 - 0.8 = 1.20
    assert score_item(BELOW_FIVE, {"firms": 4}).points == D("1.60")
    result = score_item(BELOW_FIVE, {"firms": 3})
    assert result.points == D("1.20")
    assert (
        result.explanation
        == "新增企业 3 家，比要求的 5 家少 2 家，每少 1 家扣 0.4 分，扣 0.80 分，得 1.20 分"
    )


def test_none_at_all_below_the_requirement_deducts_down_to_zero():
    # 0 firms: 5 below, 2 - 5 x 0.4 = 0.00 exactly
    assert score_item(BELOW_FIVE, {"firms": 0}).points == D("0.00")


# --- rate against a target --------------------------------------------------------------------

EMPLOYMENT_RATE = item(
    "rate_vs_target",
    {
        "numerator": "labor_force - unemployed",
        "denominator": "labor_force",
        "target": "95",
        "step": "1",
        "label": "就业率",
    },
    {"labor_force": "count", "unemployed": "count"},
)


def test_rate_exactly_on_target_earns_full_points():
    # (1000 - 50) / 1000 = 95.00%
    result = score_item(EMPLOYMENT_RATE, {"labor_force": 1000, "unemployed": 50})
    assert result.points == D("5.00")
    assert result.explanation == "就业率 95.00% 达到目标 95%，得满分 5 分"


def test_rate_just_below_target_loses_the_prorated_shortfall():
    # 949 / 1000 = 94.9%， 0.1 points short x 1 = 0.1: 4.90
    assert score_item(EMPLOYMENT_RATE, {"labor_force": 1000, "unemployed": 51}).points == D("4.90")


def test_rate_short_by_a_fraction_of_a_step_is_prorated_with_the_issue_line():
    # 932 / 1000 = 93.2%， short 1.8 points, -1.8: 3.20
    result = score_item(EMPLOYMENT_RATE, {"labor_force": 1000, "unemployed": 68})
    assert result.points == D("3.20")
    assert result.explanation == "就业率 93.20% 低于目标 95%，少 1.80 个百分点，扣 1.80 分，得 3.20 分"


def test_rate_above_target_earns_full_points():
    assert score_item(EMPLOYMENT_RATE, {"labor_force": 1000, "unemployed": 10}).points == D("5.00")


def test_rate_far_below_target_stops_at_zero():
    # 80% is 15 points short: 5 - 15 < 0 -> 0
    assert score_item(EMPLOYMENT_RATE, {"labor_force": 1000, "unemployed": 200}).points == D("0.00")


def test_zero_denominator_counts_as_fully_met():
    result = score_item(EMPLOYMENT_RATE, {"labor_force": 0, "unemployed": 0})
    assert result.points == D("5.00")
    assert "为 0，视为达标" in result.explanation


def test_zero_denominator_can_be_configured_to_earn_nothing():
    spec = item(
        "rate_vs_target",
        {
            "numerator": "done",
            "denominator": "due",
            "target": "100",
            "step": "1",
            "zero_denominator": "unmet",
        },
        {"done": "count", "due": "count"},
    )
    assert score_item(spec, {"done": 0, "due": 0}).points == D("0.00")


def test_percentage_shortfall_defaults_to_percentage_points():
    spec = item(
        "rate_vs_target",
        {"value": "accuracy", "target": "95", "step": "1"},
        {"accuracy": "rate"},
        max_points="10",
    )
    # 90 against 95: 5 points short -> 10 - 5 = 5.00. (Relative would be 5/95 = 5.26% -> 4.74.)
    assert score_item(spec, {"accuracy": 90}).points == D("5.00")


def test_count_shortfall_defaults_to_percent_of_the_target():
    spec = item(
        "rate_vs_target",
        {"value": "services", "target": "100", "step": "0.2", "unit": "次"},
        {"services": "count"},
        max_points="10",
    )
    # 80 against 100: 20% short x 0.2 = 4 -> 6.00
    result = score_item(spec, {"services": 80})
    assert result.points == D("6.00")
    assert result.explanation == "项目1.1 80 次 低于目标 100 次，少 20.00%，扣 4.00 分，得 6.00 分"


def test_half_up_rounding_at_exactly_five_thousandths():
    spec = item(
        "rate_vs_target", {"value": "accuracy", "target": "90", "step": "0.1"}, {"accuracy": "rate"}, "3"
    )
    # 89.85: 0.15 points short x 0.1 = 0.015; 3 - 0.015 = 2.985 -> 2.99 (half-up, not 2.98)
    assert score_item(spec, {"accuracy": "89.85"}).points == D("2.99")


def test_rates_are_exact_so_a_third_does_not_tip_the_rounding():
    spec = item(
        "rate_vs_reference",
        {"numerator": "referred", "denominator": "registered", "reference": "province", "step": "0.3"},
        {"referred": "count", "registered": "count", "province": "rate"},
        max_points="4",
    )
    # 1 / 3 = 33.333...%； against 40.05: short 6.71666...; x 0.3 = 2.015 exactly; 4 - 2.015 = 1.985 -> 1.99.
    # A rate rounded to 28 digits first would give 1.98499... -> 1.98.
    assert score_item(spec, {"referred": 1, "registered": 3, "province": "40.05"}).points == D("1.99")


def test_whole_started_steps_count_a_partial_step_as_whole():
    spec = item(
        "rate_vs_target",
        {"value": "rate", "target": "95", "step": "1", "partial_steps": "whole_started"},
        {"rate": "rate"},
    )
    # 93.2: 1.8 short -> 2 started steps -> 3.00
    assert score_item(spec, {"rate": "93.2"}).points == D("3.00")


def test_whole_completed_steps_ignore_a_partial_step():
    spec = item(
        "rate_vs_target",
        {"value": "rate", "target": "95", "step": "1", "partial_steps": "whole_completed"},
        {"rate": "rate"},
    )
    # 93.2: 1.8 short -> 1 completed step -> 4.00
    assert score_item(spec, {"rate": "93.2"}).points == D("4.00")


def test_step_per_several_units():
    spec = item(
        "rate_vs_target", {"value": "rate", "target": "95", "step": "1", "per": "2"}, {"rate": "rate"}
    )
    # 92: 3 points short, 1 point per 2 -> 1.5 -> 3.50
    assert score_item(spec, {"rate": 92}).points == D("3.50")


# --- rate against a reference -----------------------------------------------------------------

COVERAGE = item(
    "rate_vs_reference",
    {
        "numerator": "updated",
        "denominator": "labor_force",
        "reference": "province",
        "reference_label": "全省平均水平",
        "step": "0.5",
        "label": "覆盖率",
    },
    {"updated": "count", "labor_force": "count", "province": "rate"},
)


def test_rate_exactly_on_the_reference_earns_full_points():
    # 950 / 1000 = 95% against 95
    assert score_item(COVERAGE, {"updated": 950, "labor_force": 1000, "province": 95}).points == D("5.00")


def test_rate_below_the_reference_loses_half_a_point_per_point():
    # 900 / 1000 = 90% against 92.5: 2.5 short x 0.5 = 1.25 -> 3.75
    result = score_item(COVERAGE, {"updated": 900, "labor_force": 1000, "province": "92.5"})
    assert result.points == D("3.75")
    assert (
        result.explanation == "覆盖率 90.00% 低于全省平均水平 92.5%，少 2.50 个百分点，扣 1.25 分，得 3.75 分"
    )


PLATFORM_FIRMS = item(
    "rate_vs_reference",
    {
        "value": "firms",
        "reference": "entities",
        "reference_factor": "0.00007",
        "reference_minimum": "1",
        "shortfall": "relative",
        "step": "0.05",
    },
    {"firms": "count", "entities": "count"},
    max_points="4",
)


def test_reference_times_factor_is_not_rounded():
    # 30000 x 0.7 per 10,000 = 2.1 firms. 2 firms: 0.1 / 2.1 = 4.7619% short x 0.05 = 0.238095...
    # 4 - 0.238095 = 3.761904... -> 3.76. (A target rounded to 2 would give 4.00.)
    assert score_item(PLATFORM_FIRMS, {"firms": 2, "entities": 30000}).points == D("3.76")


def test_reference_below_its_minimum_uses_the_minimum():
    # 10000 x 0.00007 = 0.7 -> at least 1: 1 firm meets it, 0 firms are 100% short -> 4 - 5 < 0 -> 0
    assert score_item(PLATFORM_FIRMS, {"firms": 1, "entities": 10000}).points == D("4.00")
    assert score_item(PLATFORM_FIRMS, {"firms": 0, "entities": 10000}).points == D("0.00")
    assert score_item(PLATFORM_FIRMS, {"firms": 0, "entities": 0}).points == D("0.00")


def test_relative_shortfall_against_a_fractional_average():
    spec = item(
        "rate_vs_reference",
        {"value": "services", "reference": "average", "step": "0.2"},
        {"services": "count", "average": "number"},
        max_points="10",
    )
    # 100 against 123.5: 23.5 / 123.5 = 19.02834% short x 0.2 = 3.805668 -> 10 - 3.805668 = 6.194332 -> 6.19
    assert score_item(spec, {"services": 100, "average": "123.5"}).points == D("6.19")
    # An average of 0 cannot be missed.
    assert score_item(spec, {"services": 0, "average": 0}).points == D("10.00")


# --- proportional -----------------------------------------------------------------------------

ON_TIME = item(
    "proportional",
    {"numerator": "applications - overdue", "denominator": "applications", "label": "按期审核率"},
    {"applications": "count", "overdue": "count"},
    max_points="3",
)


def test_proportional_points_round_half_up():
    # 37 / 40 = 92.5% x 3 = 2.775 -> 2.78
    result = score_item(ON_TIME, {"applications": 40, "overdue": 3})
    assert result.points == D("2.78")
    assert result.explanation == "按期审核率 92.50%，按 92.50% × 3 分计，得 2.78 分"


def test_proportional_at_one_hundred_percent_earns_full_points():
    assert score_item(ON_TIME, {"applications": 40, "overdue": 0}).points == D("3.00")


def test_proportional_with_zero_denominator_earns_full_points():
    assert score_item(ON_TIME, {"applications": 0, "overdue": 0}).points == D("3.00")


def test_proportional_is_exact_for_thirds():
    # 1 / 3 x 3 = exactly 1
    assert score_item(ON_TIME, {"applications": 3, "overdue": 2}).points == D("1.00")


def test_proportional_with_everything_late_earns_nothing():
    assert score_item(ON_TIME, {"applications": 5, "overdue": 5}).points == D("0.00")


# --- gated proportional -----------------------------------------------------------------------

GRADUATES = item(
    "gated_proportional",
    {
        "gates": [{"input": "followup", "at_least": "100"}, {"input": "service", "at_least": "100"}],
        "value": "employment",
        "label": "就业率",
    },
    {"followup": "rate", "service": "rate", "employment": "rate"},
    max_points="3",
)


def test_gates_exactly_met_give_the_proportional_points():
    # 3 x 90% = 2.70
    assert score_item(GRADUATES, {"followup": 100, "service": 100, "employment": 90}).points == D("2.70")


def test_a_gate_just_missed_gives_zero_and_says_which():
    result = score_item(GRADUATES, {"followup": 100, "service": "99.99", "employment": 100})
    assert result.points == D("0.00")
    assert "service 99.99% 未达到 100%" in result.explanation
    assert "followup" not in result.explanation


def test_gated_proportional_rounds_half_up():
    # 3 x 33.5% = 1.005 -> 1.01
    assert score_item(GRADUATES, {"followup": 100, "service": 100, "employment": "33.5"}).points == D("1.01")


# --- all or nothing ---------------------------------------------------------------------------

TRAINED = item(
    "all_or_nothing",
    {"conditions": [{"input": "trained", "equals": True}], "otherwise": "1"},
    {"trained": "flag"},
    max_points="2",
)


def test_condition_met_gives_the_max():
    assert score_item(TRAINED, {"trained": True}).points == D("2.00")


def test_condition_missed_gives_the_fixed_lower_value():
    result = score_item(TRAINED, {"trained": False})
    assert result.points == D("1.00")
    assert result.explanation == "trained：否，得 1.00 分（满分 2 分）"


def test_numeric_condition_exactly_on_its_bound_holds():
    spec = item(
        "all_or_nothing",
        {"conditions": [{"input": "days", "at_least": "5"}]},
        {"days": "count"},
        max_points="3",
    )
    assert score_item(spec, {"days": 5}).points == D("3.00")
    assert score_item(spec, {"days": 4}).points == D("0.00")


# --- scored from month M ----------------------------------------------------------------------


def test_item_scored_from_april_earns_full_points_before_april():
    spec = item(
        "all_or_nothing",
        {"conditions": [{"input": "trained", "equals": True}]},
        {"trained": "flag"},
        max_points="3",
        scored_from_month=4,
    )
    result = score_item(spec, {"trained": False}, month=3)
    assert result.points == D("3.00")
    assert result.explanation == "4 月起计分，3 月得满分 3 分"
    assert score_item(spec, {"trained": False}, month=4).points == D("0.00")
    # A yearly sheet has no month: the rule always applies.
    assert score_item(spec, {"trained": False}, month=None).points == D("0.00")


def test_inputs_of_an_item_not_yet_scored_may_be_left_out():
    spec = item(
        "all_or_nothing",
        {"conditions": [{"input": "trained", "equals": True}]},
        {"trained": "flag"},
        max_points="3",
        scored_from_month=4,
    )
    assert score_item(spec, {}, month=1).points == D("3.00")


# --- capped sum and section caps --------------------------------------------------------------


def _flag_item(code: str, max_points: str):
    return item(
        "all_or_nothing",
        {"conditions": [{"input": f"f{code}", "equals": True}]},
        {f"f{code}": "flag"},
        max_points=max_points,
        code=code,
    )


def _heading(max_points: str, *children):
    from assessment.engine.specs import ItemSpec

    return ItemSpec(
        code="4.2", title="合计项", max_points=D(max_points), rule="capped_sum", children=children
    )


def _score_heading(heading, values):
    compiled = compile_rubric(rubric_of(heading), kinds=(KIND,))
    parsed, problems = compiled.parse_inputs(values, kind=KIND)
    assert problems == []
    return compiled.score_sheet(parsed, kind=KIND).sections[0].items[0]


def test_sub_items_above_their_heading_are_capped_at_the_heading():
    heading = _heading("4", _flag_item("4.2.1", "3"), _flag_item("4.2.2", "2"))
    result = _score_heading(heading, {"f4.2.1": True, "f4.2.2": True})
    # 3 + 2 = 5, capped at 4
    assert result.points == D("4.00")
    assert result.capped is True
    assert result.explanation == "分项合计 4.2.1 3.00 + 4.2.2 2.00 = 5.00 分，超过本项满分 4 分，按 4 分计"
    assert [child.points for child in result.children] == [D("3.00"), D("2.00")]


def test_sub_items_exactly_at_their_heading_are_not_capped():
    heading = _heading("4", _flag_item("4.2.1", "3"), _flag_item("4.2.2", "2"))
    result = _score_heading(heading, {"f4.2.1": False, "f4.2.2": True})
    assert result.points == D("2.00")
    assert result.capped is False


def test_section_total_is_capped_at_the_section_max():
    first, second = _flag_item("1.1", "3"), _flag_item("1.2", "3")
    compiled = compile_rubric(rubric_of(first, second, section_max="5"), kinds=(KIND,))
    parsed, _ = compiled.parse_inputs({"f1.1": True, "f1.2": True}, kind=KIND)
    sheet = compiled.score_sheet(parsed, kind=KIND)
    # 3 + 3 = 6, capped at 5
    assert sheet.sections[0].points == D("5.00")
    assert sheet.sections[0].capped is True
    assert "按 5 分计" in sheet.sections[0].explanation
    assert sheet.total == D("5.00")


def test_bulk_scoring_without_explanations_gives_the_same_points():
    compiled = compile_rubric(rubric_of(EMPLOYMENT_RATE), kinds=(KIND,))
    parsed, _ = compiled.parse_inputs({"labor_force": 1000, "unemployed": 68}, kind=KIND)
    quiet = compiled.score_sheet(parsed, kind=KIND, explain=False)
    assert quiet.total == D("3.20")
    assert quiet.sections[0].items[0].explanation == ""


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"input": "people"}, "step"),
        ({"input": "people", "step": 0.5}, "文本形式"),
        ({"input": "nobody", "step": "0.5"}, "nobody"),
        ({"input": "people", "step": "0.5", "mode": "sometimes"}, "mode"),
    ],
)
def test_unusable_rule_parameters_are_refused_when_compiling(params, fragment):
    from assessment.engine.scoring import RubricError

    spec = item("per_count_deduction", params, {"people": "count"})
    with pytest.raises(RubricError) as caught:
        compile_rubric(rubric_of(spec), kinds=(KIND,))
    assert fragment in str(caught.value)
