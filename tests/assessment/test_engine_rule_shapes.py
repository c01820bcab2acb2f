"""The five rule shapes of other counties' 细则, at and around their edges.

Expected points and lines are worked by hand in the comments, never taken from the engine.
"""

from decimal import Decimal

import pytest

from assessment.engine.scoring import compile_rubric
from assessment.engine.specs import InputSpec, ItemSpec
from assessment.engine.validation import validate_rubric
from tests.assessment.builders import KIND, item, rubric_of, score_item

D = Decimal


def problems_of(spec: ItemSpec, values: dict) -> list[tuple[str, str]]:
    compiled = compile_rubric(rubric_of(spec), kinds=(KIND,))
    _, problems = compiled.parse_inputs(values, kind=KIND)
    return [(problem.field, problem.message) for problem in problems]


def errors_of(spec: ItemSpec) -> list[str]:
    return [
        finding.message
        for finding in validate_rubric(rubric_of(spec), (KIND,))
        if finding.severity == "error"
    ]


# --- per_count_award: 每完成一人得1分，最高20分 -------------------------------------------------

REFERRALS = item(
    "per_count_award",
    {"input": "referred", "points_each": "1", "unit": "人", "label": "完成岗位推荐"},
    {"referred": "count"},
    max_points="20",
)


def test_each_one_done_earns_its_points():
    # 3 x 1 = 3
    result = score_item(REFERRALS, {"referred": 3})
    assert result.points == D("3.00")
    assert result.explanation == "完成岗位推荐 3 人，每人得 1 分，计 3 分，得 3.00 分"


def test_none_done_earns_nothing():
    result = score_item(REFERRALS, {"referred": 0})
    assert result.points == D("0.00")
    assert result.explanation == "完成岗位推荐 0 人，每人得 1 分，计 0 分，得 0.00 分"


def test_exactly_reaching_the_max_is_not_called_capped():
    # 20 x 1 = 20 = the max
    result = score_item(REFERRALS, {"referred": 20})
    assert result.points == D("20.00")
    assert "超过" not in result.explanation


def test_above_the_cap_earns_the_max_and_says_so():
    # 30 x 1 = 30 > 20
    result = score_item(REFERRALS, {"referred": 30})
    assert result.points == D("20.00")
    assert result.explanation == "完成岗位推荐 30 人，每人得 1 分，计 30 分，超过满分 20 分，得 20.00 分"


def test_fractional_points_each_are_rounded_half_up_once():
    spec = item("per_count_award", {"input": "n", "points_each": "0.335"}, {"n": "count"}, max_points="5")
    # 3 x 0.335 = 1.005 -> 1.01 (half-up, once; 0.34 x 3 would give 1.02)
    assert score_item(spec, {"n": 3}).points == D("1.01")


@pytest.mark.parametrize(
    ("value", "message"),
    [(-1, "不能为负数（referred）"), ("2.5", "应为整数（referred）"), (2.5, "应为整数（referred）")],
)
def test_negative_or_fractional_count_is_refused(value, message):
    assert problems_of(REFERRALS, {"referred": value}) == [("referred", message)]


@pytest.mark.parametrize("points_each", ["0", "-1"])
def test_points_each_must_be_above_zero(points_each):
    spec = item("per_count_award", {"input": "n", "points_each": points_each}, {"n": "count"})
    (message,) = errors_of(spec)
    assert "points_each（每个得分）应大于 0" in message


# --- step_table: 达到90%计3分，80%至90%计2分，50%至80%计1分；一半以下不得分 ------------------------

STEPS = [
    # Given out of order on purpose: a clerk types the rows as the 细则 lists them.
    {"at_least": "80", "below": "90", "points": "2"},
    {"at_least": "90", "points": "3"},
    {"at_least": "50", "below": "80", "points": "1"},
]
EMPLOYMENT = item(
    "step_table",
    {"numerator": "employed", "denominator": "registered", "steps": STEPS, "label": "就业率"},
    {"employed": "count", "registered": "count"},
    max_points="3",
)


def employment(employed: int, registered: int = 100):
    return score_item(EMPLOYMENT, {"employed": employed, "registered": registered})


def test_value_inside_a_step_earns_its_points():
    result = employment(85)
    assert result.points == D("2.00")
    assert result.explanation == "就业率 85.00%，在 80%（含）至 90% 一档，得 2.00 分"


def test_exactly_on_a_lower_bound_counts_in_that_step():
    # at_least is inclusive: 80% is in 80..90, 90% in the top step
    assert employment(80).points == D("2.00")
    result = employment(90)
    assert result.points == D("3.00")
    assert result.explanation == "就业率 90.00%，在 90%（含）以上一档，得 3.00 分"


def test_just_below_an_upper_bound_stays_in_the_lower_step():
    # below is exclusive: 899/1000 = 89.9% is still in 80..90
    assert employment(899, 1000).points == D("2.00")


def test_below_every_step_earns_otherwise():
    result = employment(49)
    assert result.points == D("0.00")
    assert result.explanation == "就业率 49.00%，低于最低一档 50%，得 0.00 分"


def test_a_third_is_compared_exactly_not_after_rounding():
    # 1/2 = 50% exactly -> the 50..80 step; 149/300 = 49.666...% is below it though it shows 49.67
    assert employment(1, 2).points == D("1.00")
    assert employment(149, 300).points == D("0.00")


def test_zero_of_zero_counts_as_one_hundred_percent_by_default():
    result = employment(0, 0)
    assert result.points == D("3.00")
    assert "视为 100%" in result.explanation


def test_zero_of_zero_unmet_earns_otherwise():
    spec = item(
        "step_table",
        {
            "numerator": "a",
            "denominator": "b",
            "steps": STEPS,
            "zero_denominator": "unmet",
            "otherwise": "0.5",
        },
        {"a": "count", "b": "count"},
        max_points="3",
    )
    result = score_item(spec, {"a": 0, "b": 0})
    assert result.points == D("0.50")
    assert result.explanation.endswith("为 0，得 0.50 分")


def test_a_count_measure_uses_its_unit():
    spec = item(
        "step_table",
        {
            "value": "events",
            "unit": "场",
            "steps": [{"at_least": "4", "points": "2"}, {"at_least": "2", "below": "4", "points": "1"}],
        },
        {"events": "count"},
        max_points="2",
    )
    result = score_item(spec, {"events": 3})
    assert result.points == D("1.00")
    assert result.explanation == "项目1.1 3 场，在 2 场（含）至 4 场 一档，得 1.00 分"


@pytest.mark.parametrize(("value", "message"), [(-3, "不能为负数（events）"), ("1.5", "应为整数（events）")])
def test_step_table_on_a_count_refuses_negative_or_fractional_counts(value, message):
    spec = item(
        "step_table", {"value": "events", "steps": [{"at_least": "2", "points": "1"}]}, {"events": "count"}
    )
    assert problems_of(spec, {"events": value}) == [("events", message)]


def step_table(steps, max_points="3"):
    return item("step_table", {"value": "rate", "steps": steps}, {"rate": "rate"}, max_points=max_points)


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (
            [{"at_least": "90", "points": "3"}, {"at_least": "50", "below": "80", "points": "1"}],
            "分档表 80 至 90 之间没有对应的档次",
        ),
        (
            [{"at_least": "90", "points": "3"}, {"at_least": "85", "below": "95", "points": "2"}],
            "分档表“85 至 95”与“90 以上”重叠",
        ),
        (
            [
                {"at_least": "80", "below": "90", "points": "2"},
                {"at_least": "70", "below": "85", "points": "1"},
            ],
            "分档表“70 至 85”与“80 至 90”重叠",
        ),
        (
            [{"at_least": "90", "points": "3"}, {"at_least": "90", "points": "2"}],
            "分档表“90 以上”与“90 以上”重叠",
        ),
        ([{"at_least": "90", "points": "5"}], "分档表“90 以上”一档得 5 分，超过本项满分 3 分"),
        ([{"at_least": "90", "below": "80", "points": "1"}], "分档表第 1 档的上限 80 应大于下限 90"),
        ([{"at_least": "90", "below": "90", "points": "1"}], "分档表第 1 档的上限 90 应大于下限 90"),
        ([{"at_least": "50", "points": "-1"}], "分档表第 1 档的得分 -1 不能为负数"),
        ([], "分档表没有任何档次"),
        (
            [{"at_least": "80", "below": "100", "points": "3"}],
            "分档表最高一档“80 至 100”设了上限，100 及以上没有对应的档次",
        ),
        ([{"points": "1"}], "分档表第 1 档：缺少参数 at_least"),
    ],
)
def test_step_tables_that_do_not_work_are_refused_in_words(steps, message):
    (error,) = errors_of(step_table(steps))
    assert message in error


def test_adjacent_steps_given_in_any_order_are_accepted():
    assert errors_of(EMPLOYMENT) == []


# --- per_condition: 落实的得1分，建立的得2分 ---------------------------------------------------

LEDGERS = item(
    "per_condition",
    {
        "conditions": [
            {"input": "rules_posted", "equals": True, "points": "1"},
            {"input": "ledger_kept", "equals": True, "points": "2"},
            {"input": "visit_rate", "at_least": "90", "points": "2"},
        ]
    },
    {"rules_posted": "flag", "ledger_kept": "flag", "visit_rate": "rate"},
    max_points="4",
)


def test_points_of_the_conditions_met_are_summed():
    # 1 (rules) + 2 (visits at exactly 90, inclusive) = 3; the ledger is not kept
    result = score_item(LEDGERS, {"rules_posted": True, "ledger_kept": False, "visit_rate": 90})
    assert result.points == D("3.00")
    assert result.explanation == (
        "达到：rules_posted（1 分）、visit_rate 90% 达到 90%（2 分）；未达到：ledger_kept；合计 3 分，得 3.00 分"
    )


def test_conditions_worth_more_than_the_max_are_capped():
    # 1 + 2 + 2 = 5 > 4
    result = score_item(LEDGERS, {"rules_posted": True, "ledger_kept": True, "visit_rate": 95})
    assert result.points == D("4.00")
    assert result.explanation.endswith("合计 5 分，超过满分 4 分，得 4.00 分")


def test_no_condition_met_earns_nothing():
    result = score_item(LEDGERS, {"rules_posted": False, "ledger_kept": False, "visit_rate": D("89.99")})
    assert result.points == D("0.00")
    assert result.explanation.startswith("未达到：rules_posted、ledger_kept、visit_rate 89.99% 未达到 90%")


@pytest.mark.parametrize("points", ["0", "-1"])
def test_a_condition_must_be_worth_more_than_zero(points):
    spec = item(
        "per_condition", {"conditions": [{"input": "f", "equals": True, "points": points}]}, {"f": "flag"}
    )
    (message,) = errors_of(spec)
    assert "第 1 个条件的得分（points）应大于 0" in message


# --- per_unmet_deduction: 全部完成的得3分，一项未完成的扣1分，扣完为止 ------------------------------

DUTIES = item(
    "per_unmet_deduction",
    {
        "step": "1",
        "conditions": [
            {"input": "head_named", "equals": True},
            {"input": "supervisor_named", "equals": True},
            {"input": "rules_posted", "equals": True},
        ],
    },
    {"head_named": "flag", "supervisor_named": "flag", "rules_posted": "flag"},
    max_points="3",
)


def test_every_condition_met_earns_the_max():
    result = score_item(DUTIES, {"head_named": True, "supervisor_named": True, "rules_posted": True})
    assert result.points == D("3.00")
    assert result.explanation == "head_named、supervisor_named、rules_posted均达到要求，得满分 3 分"


def test_each_unmet_condition_deducts_one_step():
    # 3 - 2 x 1 = 1
    result = score_item(DUTIES, {"head_named": False, "supervisor_named": False, "rules_posted": True})
    assert result.points == D("1.00")
    assert result.explanation == "未达到：head_named、supervisor_named，每项扣 1 分，扣 2.00 分，得 1.00 分"


def test_deductions_stop_at_zero():
    spec = item(
        "per_unmet_deduction",
        {
            "step": "1",
            "conditions": [{"input": "a", "equals": True}, {"input": "b", "equals": True, "step": "2"}],
        },
        {"a": "flag", "b": "flag"},
        max_points="2",
    )
    # 2 - (1 + 2) = -1 -> 0
    result = score_item(spec, {"a": False, "b": False})
    assert result.points == D("0.00")
    assert result.explanation == "未达到：a（扣 1 分）、b（扣 2 分），应扣 3.00 分，扣完为止，得 0.00 分"


def test_a_condition_without_a_step_anywhere_is_refused():
    spec = item("per_unmet_deduction", {"conditions": [{"input": "a", "equals": True}]}, {"a": "flag"})
    (message,) = errors_of(spec)
    assert "第 1 个条件没有扣分" in message


def test_a_negative_step_is_refused():
    spec = item(
        "per_unmet_deduction", {"step": "-1", "conditions": [{"input": "a", "equals": True}]}, {"a": "flag"}
    )
    (message,) = errors_of(spec)
    assert "step 不能为负数" in message


# --- discretionary_deduction: 未完成酌情扣分，写明理由 ---------------------------------------------

JUDGED = item(
    "discretionary_deduction",
    {"input": "deducted", "reason": "why", "most": "5"},
    {"deducted": "points", "why": "text"},
    max_points="10",
)


def test_a_deduction_with_its_reason_is_taken_off_the_max():
    # 10 - 2 = 8; the reason is stripped
    result = score_item(JUDGED, {"deducted": "2", "why": "  台账不全 "})
    assert result.points == D("8.00")
    assert result.explanation == "酌情扣 2 分（理由：台账不全），得 8.00 分"


def test_no_deduction_needs_no_reason():
    # The form leaves an empty reason out entirely: no reason is not a missing field.
    result = score_item(JUDGED, {"deducted": "0"})
    assert result.points == D("10.00")
    assert result.explanation == "未扣分，得满分 10 分"


def test_the_largest_deduction_is_accepted():
    assert score_item(JUDGED, {"deducted": "5", "why": "未建立制度"}).points == D("5.00")


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_deduction_without_a_reason_is_refused(reason):
    values = {"deducted": "1"} if reason is None else {"deducted": "1", "why": reason}
    assert problems_of(JUDGED, values) == [("why", "酌情扣分须写明理由（why）")]


def test_a_deduction_above_most_is_refused():
    assert problems_of(JUDGED, {"deducted": "5.01", "why": "台账不全"}) == [
        ("deducted", "扣分应在 0 到 5 分之间（deducted）")
    ]


def test_most_defaults_to_the_max_and_bounds_the_form_field():
    spec = item(
        "discretionary_deduction", {"input": "d", "reason": "w"}, {"d": "points", "w": "text"}, max_points="4"
    )
    compiled = compile_rubric(rubric_of(spec), kinds=(KIND,))
    bound = {rule.spec.name: rule.points_max for rule in compiled.field_rules(KIND)}
    assert bound == {"d": D(4), "w": None}
    assert problems_of(spec, {"d": "4.5", "w": "x"}) == [("d", "扣分应在 0 到 4 分之间（d）")]


def test_most_above_the_max_is_refused():
    spec = item(
        "discretionary_deduction",
        {"input": "d", "reason": "w", "most": "12"},
        {"d": "points", "w": "text"},
        max_points="10",
    )
    (message,) = errors_of(spec)
    assert "most（最多扣分）应大于 0 且不超过本项满分 10 分" in message


def test_the_reason_must_be_a_text_input():
    spec = item("discretionary_deduction", {"input": "d", "reason": "w"}, {"d": "points", "w": "count"})
    (message,) = errors_of(spec)
    assert "reason" in message and "text" in message


# --- text inputs ---------------------------------------------------------------------------


def test_a_reason_that_is_not_text_or_too_long_is_refused():
    assert problems_of(JUDGED, {"deducted": "1", "why": 3}) == [("why", "应为文字（why）")]
    assert problems_of(JUDGED, {"deducted": "1", "why": "字" * 501}) == [
        ("why", "不能超过 500 字（现有 501 字）（why）")
    ]
    assert problems_of(JUDGED, {"deducted": "1", "why": "字" * 500}) == []


def test_a_text_input_cannot_be_computed_with():
    spec = ItemSpec(
        code="1.1",
        title="项目",
        max_points=D(5),
        rule="all_or_nothing",
        params={"conditions": [{"input": "note", "equals": "有"}]},
        inputs=(InputSpec("note", "text", "说明"),),
    )
    (message,) = errors_of(spec)
    assert "条件不能读取文字输入 note" in message
    measured = item("proportional", {"numerator": "a", "denominator": "note"}, {"a": "count", "note": "text"})
    (message,) = errors_of(measured)
    assert "文字输入 note 不能参与计算" in message


# --- numbers no rubric needs (a slip in a policy file) ---------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        # As an exact fraction this is an integer of a hundred million digits: refused at once.
        ("1e99999999", "参数 at_least 数值过大：1e99999999"),
        ("1000000000000", "参数 at_least 数值过大：1000000000000"),
        ("-1e-99999999", "参数 at_least 小数最多 6 位：-1e-99999999"),
        ("50.0000001", "参数 at_least 小数最多 6 位：50.0000001"),
        ("NaN", "参数 at_least 不是数字：NaN"),
    ],
)
def test_a_step_bound_no_rubric_needs_is_refused_in_words(raw, message):
    (error,) = errors_of(step_table([{"at_least": raw, "points": "1"}]))
    assert message in error


def test_points_each_too_large_to_show_is_refused_in_words():
    # 1e999999999 overflows the decimal context the moment it is normalised for display.
    spec = item("per_count_award", {"input": "n", "points_each": "1e999999999"}, {"n": "count"})
    (message,) = errors_of(spec)
    assert "参数 points_each 数值过大" in message


def test_six_decimals_and_trailing_zeros_are_still_numbers():
    # 50.00000000 is 50 (zeros beyond six places add no precision); six places are kept exactly:
    # 62.000001 is on the top step's bound, 62 just below it.
    spec = step_table(
        [
            {"at_least": "50.00000000", "below": "62.000001", "points": "1"},
            {"at_least": "62.000001", "points": "3"},
        ]
    )
    assert errors_of(spec) == []
    assert score_item(spec, {"rate": "62.000001"}).points == D("3.00")
    assert score_item(spec, {"rate": "62"}).points == D("1.00")
