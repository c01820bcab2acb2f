"""The rule editor: a clerk picks a rule from a list and fills in labelled fields, never JSON.

The pure mapping (assessment/rule_editor.py) is checked on parameters written by hand, as a policy
file has them; the admin's section page is posted as a browser posts it, and what it stores is
scored by the engine against points worked out by hand.
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from assessment.engine.rules import build_rule
from assessment.models import Policy, RubricItem
from assessment.rule_editor import Before, FieldProblems, fields_from_item, item_from_fields
from assessment.selectors import policy_spec
from assessment.services.policies import policy_new_version
from tests.assessment.test_policy_forms import visible_text

# ---------------------------------------------------------------- the pure mapping

COUNT = [{"name": "complaints", "type": "count", "label": "群众有效投诉例数"}]
RATE = [{"name": "pass_rate", "type": "rate", "label": "培训合格率"}]
RATIO = [
    {"name": "jobs_done", "type": "count", "label": "归集岗位数"},
    {"name": "jobs_goal", "type": "count", "label": "岗位归集目标"},
]
FLAGS = [
    {"name": "has_ledger", "type": "flag", "label": "建立服务台账"},
    {"name": "has_rules", "type": "flag", "label": "制度上墙"},
]

# One stored item per editable rule, written as a policy file writes it (numbers as text or not).
STORED = {
    "manual": (
        {"input": "item_1_1_points", "label": "场所"},
        [{"name": "item_1_1_points", "type": "points", "label": "场所得分"}],
    ),
    "per_count_deduction": (
        {"input": "complaints", "step": "1", "unit": "例", "label": "群众有效投诉"},
        COUNT,
    ),
    "per_count_deduction below": (
        {"input": "complaints", "mode": "below", "required": 5, "step": "0.4", "unit": "家", "label": "企业"},
        COUNT,
    ),
    "per_count_award": (
        {"input": "complaints", "points_each": "0.25", "unit": "家", "label": "走访企业"},
        COUNT,
    ),
    "rate_vs_target": (
        {"value": "pass_rate", "target": "90", "step": "0.1", "shortfall": "points", "label": "培训合格率"},
        RATE,
    ),
    "rate_vs_target ratio": (
        {
            "numerator": "jobs_done",
            "denominator": "jobs_goal",
            "target": "95",
            "per": "2",
            "step": "1",
            "partial_steps": "whole_started",
            "zero_denominator": "unmet",
        },
        RATIO,
    ),
    "proportional": ({"numerator": "jobs_done", "denominator": "jobs_goal", "label": "归集率"}, RATIO),
    "step_table": (
        {
            "numerator": "jobs_done",
            "denominator": "jobs_goal",
            "steps": [
                {"at_least": 100, "points": 10},
                {"at_least": 80, "below": 100, "points": 6},
                {"at_least": 50, "below": 80, "points": "2.5"},
            ],
            "otherwise": 0,
            "label": "岗位归集完成率",
        },
        RATIO,
    ),
    "step_table number": (
        {
            "value": "area",
            "steps": [{"at_least": "20", "points": "7"}, {"at_least": "15", "below": "20", "points": "4"}],
            "unit": "平方米",
            "label": "服务面积",
        },
        [{"name": "area", "type": "number", "label": "服务面积（平方米）"}],
    ),
    "all_or_nothing": (
        {
            "conditions": [{"input": "has_ledger", "equals": True}, {"input": "staff", "at_least": "2"}],
            "otherwise": "1",
        },
        [FLAGS[0], {"name": "staff", "type": "count", "label": "专职工作人员"}],
    ),
    "per_condition": (
        {
            "conditions": [
                {"input": "has_ledger", "equals": True, "points": "1"},
                {"input": "has_rules", "equals": True, "points": "2"},
            ],
            "label": "制度",
        },
        FLAGS,
    ),
    "per_unmet_deduction": (
        {
            "conditions": [
                {"input": "has_ledger", "equals": True},
                {"input": "has_rules", "equals": True, "step": 4},
            ],
            "step": 3,
        },
        FLAGS,
    ),
    "discretionary_deduction": (
        {"input": "cut", "reason": "cut_reason", "most": "3"},
        [
            {"name": "cut", "type": "points", "label": "扣分"},
            {"name": "cut_reason", "type": "text", "label": "扣分理由"},
        ],
    ),
    "capped_sum": ({}, []),
}


@pytest.mark.parametrize("case", list(STORED))
def test_every_editable_rule_reads_into_fields_and_back_to_the_same_parameters(case):
    rule = case.split()[0]
    params, inputs = STORED[case]

    fields = fields_from_item(rule, params, inputs, title="示例项目", code="2.3")
    assert fields is not None, case
    before = Before(rule=rule, params=params, inputs=inputs, title="示例项目")
    again, again_inputs = item_from_fields(rule, fields, code="2.3", title="示例项目", before=before)

    # The same meaning: numbers by value ("5" == 5), input names kept so stored sheets still read.
    def numbers(value):
        if isinstance(value, dict):
            return {
                k: numbers(v)
                for k, v in value.items()
                if not (isinstance(v, str | int) and (k, v) in DEFAULTS)
            }
        if isinstance(value, list):
            return [numbers(v) for v in value]
        if isinstance(value, bool):
            return value
        try:
            return Decimal(str(value)).normalize()
        except ArithmeticError:
            return value

    DEFAULTS = {("otherwise", 0), ("shortfall", "points")}
    assert numbers(again) == numbers(dict(params))
    assert sorted(map(str, again_inputs)) == sorted(map(str, inputs))


@pytest.mark.parametrize(
    "rule, params, inputs",
    [
        # An expression, a reference value, a gate: what the fields cannot show stays as stored.
        (
            "rate_vs_target",
            {"numerator": "a - b", "denominator": "a", "target": "95", "step": "1"},
            [
                {"name": "a", "type": "count", "label": "劳动力"},
                {"name": "b", "type": "count", "label": "失业"},
            ],
        ),
        (
            "rate_vs_reference",
            {"value": "a", "reference": "b", "step": "1"},
            [{"name": "a", "type": "rate", "label": "本地"}, {"name": "b", "type": "rate", "label": "全省"}],
        ),
        (
            "per_condition",
            {"conditions": [{"input": "a", "at_most": "3", "points": "1"}]},
            [{"name": "a", "type": "count", "label": "x"}],
        ),
        (
            "per_count_deduction",
            {"input": "a", "step": "1", "surprise": "1"},
            [{"name": "a", "type": "count", "label": "x"}],
        ),
    ],
)
def test_a_rule_the_fields_cannot_show_is_left_alone(rule, params, inputs):
    assert fields_from_item(rule, params, inputs, title="t") is None


def test_a_new_items_inputs_are_named_from_its_code_and_avoid_names_in_use():
    params, inputs = item_from_fields(
        "per_unmet_deduction",
        {
            "unmet_rows": [
                {"row": 1, "name": "统一命名", "test": "flag", "least": "", "points": ""},
                {"row": 3, "name": "悬挂牌匾", "test": "flag", "least": "", "points": "4"},
            ],
            "unmet_step": Decimal("3"),
        },
        code="2.1",
        title="统一标识",
        taken={"item_2_1_c1"},
    )
    assert params == {
        "conditions": [
            {"input": "item_2_1_c1_2", "equals": True},
            {"input": "item_2_1_c2", "equals": True, "step": "4"},
        ],
        "step": "3",
    }
    assert inputs == [
        {"name": "item_2_1_c1_2", "type": "flag", "label": "统一命名"},
        {"name": "item_2_1_c2", "type": "flag", "label": "悬挂牌匾"},
    ]


def test_an_edited_item_keeps_the_names_of_the_same_data_and_never_reuses_one_for_other_data():
    params, inputs = STORED["per_condition"]
    before = Before(rule="per_condition", params=params, inputs=inputs, title="制度")
    # The first condition removed, the second renamed: it still reads has_rules.
    new, new_inputs = item_from_fields(
        "per_condition",
        {"cond_rows": [{"row": 1, "name": "管理制度上墙", "test": "flag", "least": "", "points": "2"}]},
        code="3.1",
        title="制度",
        before=before,
    )
    assert [c["input"] for c in new["conditions"]] == ["has_ledger"]  # the row's own name, renamed
    assert new_inputs == [{"name": "has_ledger", "type": "flag", "label": "管理制度上墙"}]

    new, _ = item_from_fields(
        "per_condition",
        {"cond_rows": [{"row": 1, "name": "制度上墙", "test": "flag", "least": "", "points": "2"}]},
        code="3.1",
        title="制度",
        before=before,
    )
    assert [c["input"] for c in new["conditions"]] == ["has_rules"]  # found by its name

    # A count item turned into a percentage: a stored count must not be read as a percentage.
    count_params, count_inputs = STORED["per_count_award"]
    before = Before(rule="per_count_award", params=count_params, inputs=count_inputs, title="走访")
    new, new_inputs = item_from_fields(
        "rate_vs_target",
        {"measure_kind": "rate", "rate_label": "走访率", "target": Decimal(90), "target_step": Decimal(1)},
        code="5.2",
        title="走访",
        before=before,
        taken={"complaints"},
    )
    assert new["value"] == "item_5_2" and new_inputs[0]["type"] == "rate"


def test_missing_fields_are_named_in_chinese():
    with pytest.raises(FieldProblems) as refused:
        item_from_fields("per_count_deduction", {"deduct_mode": "below"}, code="1", title="t")
    assert refused.value.problems == {
        "count_label": ["请填写数据名称，如“未按时办结的业务”。"],
        "deduct_step": ["请填写每个扣几分。"],
        "deduct_required": ["“比要求每少一个扣分”须填写要求数量。"],
    }
    with pytest.raises(FieldProblems) as refused:
        item_from_fields(
            "step_table",
            {
                "measure_kind": "rate",
                "rate_label": "完成率",
                "steps": [{"row": 2, "at_least": "八十", "below": "", "points": ""}],
            },
            code="1",
            title="t",
        )
    assert refused.value.problems["steps"] == [
        "第 2 行：“不低于”应填数字，而不是“八十”。",
        "第 2 行：请填写“得分”。",
    ]


# ---------------------------------------------------------------- the admin's section page

RAW_CODES = re.compile(
    r"per_count_award|per_count_deduction|step_table|per_condition|per_unmet_deduction|discretionary_deduction"
    r"|rate_vs_|all_or_nothing|capped_sum|\bmanual\b|proportional|item_\d|[\[\]{}]"
)


@pytest.fixture
def draft(world, yunmeng):
    return policy_new_version(policy=yunmeng, actor=world.bureau_a)


def form_data(client, url):
    """The section page's current values, as a browser posts them back; a row table's cells each
    under its own name (items-0-steps_0, items-0-steps_1, …), as its inputs are named."""
    from django import forms

    response = client.get(url)
    data = {}
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
        for inline in formset.formset.forms:
            for name, field in inline.fields.items():
                value = inline[name].value()
                if value is None or field.disabled or value is False:
                    continue
                if isinstance(field, forms.MultiValueField):
                    for index, cell in enumerate(field.widget.flat(value)):
                        data[f"{inline.prefix}-{name}_{index}"] = cell
                    continue
                data[f"{inline.prefix}-{name}"] = value
    form = response.context["adminform"].form
    for name in form.fields:
        if form[name].value() is not None and not form.fields[name].disabled:
            data[name] = form[name].value()
    return data


def section_url(section):
    return reverse("admin:assessment_rubricsection_change", args=[section.pk])


def add_item(data, **fields):
    """A new item block filled in as a clerk fills it (the extra block's own defaults kept)."""
    index = int(data["items-TOTAL_FORMS"])
    data["items-TOTAL_FORMS"] = str(index + 1)
    defaults = {
        "rule": "manual",
        "count_unit": "个",
        "deduct_mode": "each",
        "measure_kind": "rate",
        "zero_denominator": "met",
        "target_per": "1",
        "target_partial": "prorate",
    }
    for row in range(6):
        for table in ("all_conditions", "cond_rows", "unmet_rows"):
            data[f"items-{index}-{table}_{row * (4 if table != 'all_conditions' else 3) + 1}"] = "flag"
    for name, value in {**defaults, **fields}.items():
        data[f"items-{index}-{name}"] = value
    return index


def rows(table, width, *cells_by_row):
    """Cells of a row table as posted: table_0, table_1, … row after row."""
    posted = {}
    for row, cells in enumerate(cells_by_row):
        for column, value in enumerate(cells):
            posted[f"{table}_{row * width + column}"] = value
    return posted


def score(item: RubricItem, values) -> Decimal:
    """The stored item scored by the engine, as the policy compiles it."""
    spec = policy_spec(item.section.policy)
    leaf = next(i for s in spec.rubric.sections for i in s.items if i.code == item.code)
    rule = build_rule(leaf, {i.name: i for i in leaf.inputs})
    return rule.score(values, explain=False)[0]


def test_a_clerk_adds_a_step_table_a_condition_list_and_a_discretionary_deduction(client, world, draft):
    section = draft.sections.get(code="2")
    client.force_login(world.bureau_a)
    url = section_url(section)
    data = form_data(client, url)
    data["items-TOTAL_FORMS"] = str(int(data["items-TOTAL_FORMS"]) - 1)  # the empty extra block
    add_item(
        data,
        code="2.8",
        position="8",
        title="岗位归集完成情况",
        max_points="10",
        rule="step_table",
        measure_kind="ratio",
        done_label="归集发布岗位信息条数",
        total_label="合同约定归集目标条数",
        **{f"steps_{i}": v for i, v in enumerate(["100", "", "10", "80", "100", "6", "50", "80", "2.5"])},
    )
    index = add_item(
        data,
        code="2.9",
        position="9",
        title="设施设备",
        max_points="4",
        rule="per_condition",
    )
    data.update(
        {
            f"items-{index}-{k}": v
            for k, v in rows(
                "cond_rows",
                4,
                ["配有电脑", "flag", "", "1"],
                ["设有洽谈室", "flag", "", "2"],
                ["专职人员", "count", "2", "2"],
            ).items()
        }
    )
    # Another rule's fields, typed before the clerk changed the rule (or shown without JavaScript): ignored.
    add_item(
        data,
        code="2.10",
        position="10",
        title="服务规范",
        max_points="3",
        rule="discretionary_deduction",
        most="2",
        count_label="不用的名称",
        steps_0="八十",
    )

    response = client.post(url, data, follow=True)

    page = response.content.decode()
    assert response.redirect_chain, visible_text(page)[:3000]
    steps = RubricItem.objects.get(section=section, code="2.8")
    assert steps.rule == "step_table"
    assert steps.params == {
        "numerator": "item_2_8_done",
        "denominator": "item_2_8_total",
        "steps": [
            {"at_least": "100", "points": "10"},
            {"at_least": "80", "below": "100", "points": "6"},
            {"at_least": "50", "below": "80", "points": "2.5"},
        ],
    }
    assert steps.inputs == [
        {"name": "item_2_8_done", "type": "count", "label": "归集发布岗位信息条数"},
        {"name": "item_2_8_total", "type": "count", "label": "合同约定归集目标条数"},
    ]
    # 45 of 50 = 90%: the 80–100 step, 6 points; 24 of 50 = 48%: below every step, 0.
    assert score(steps, {"item_2_8_done": 45, "item_2_8_total": 50}) == Decimal("6.00")
    assert score(steps, {"item_2_8_done": 40, "item_2_8_total": 50}) == Decimal("6.00")  # exactly 80%
    assert score(steps, {"item_2_8_done": 26, "item_2_8_total": 50}) == Decimal("2.50")
    assert score(steps, {"item_2_8_done": 24, "item_2_8_total": 50}) == Decimal("0.00")
    assert score(steps, {"item_2_8_done": 60, "item_2_8_total": 50}) == Decimal("10.00")

    conditions = RubricItem.objects.get(section=section, code="2.9")
    assert conditions.inputs == [
        {"name": "item_2_9_c1", "type": "flag", "label": "配有电脑"},
        {"name": "item_2_9_c2", "type": "flag", "label": "设有洽谈室"},
        {"name": "item_2_9_c3", "type": "count", "label": "专职人员"},
    ]
    # A computer (1) and 3 staff (2): 3 of 4 points; everything: 1 + 2 + 2 = 5, capped at 4.
    assert score(conditions, {"item_2_9_c1": True, "item_2_9_c2": False, "item_2_9_c3": 3}) == Decimal("3.00")
    assert score(conditions, {"item_2_9_c1": True, "item_2_9_c2": True, "item_2_9_c3": 2}) == Decimal("4.00")

    judged = RubricItem.objects.get(section=section, code="2.10")
    assert judged.params == {"input": "item_2_10", "reason": "item_2_10_reason", "most": "2"}
    assert judged.inputs == [
        {"name": "item_2_10", "type": "points", "label": "服务规范扣分"},
        {"name": "item_2_10_reason", "type": "text", "label": "服务规范扣分理由"},
    ]
    assert score(judged, {"item_2_10": Decimal("1.5"), "item_2_10_reason": "台账不全"}) == Decimal("1.50")

    # The section's items now add up to more than its 55 points: said after saving.
    said = [str(message) for message in response.context["messages"]]
    assert any(m.startswith("评分表检查 · 提示：2 ") and "超过本部分满分 55 分" in m for m in said), said


def test_a_gap_in_the_step_table_is_a_chinese_error_and_nothing_is_saved(client, world, draft):
    section = draft.sections.get(code="2")
    client.force_login(world.bureau_a)
    url = section_url(section)
    data = form_data(client, url)
    data["items-TOTAL_FORMS"] = str(int(data["items-TOTAL_FORMS"]) - 1)
    add_item(
        data,
        code="2.8",
        position="8",
        title="培训合格率",
        max_points="3",
        rule="step_table",
        rate_label="培训合格率",
        **{f"steps_{i}": v for i, v in enumerate(["90", "", "3", "80", "85", "2"])},
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert "分档表 85 至 90 之间没有对应的档次" in visible_text(response.content.decode())
    assert not RubricItem.objects.filter(section=section, code="2.8").exists()


def test_a_missing_field_is_shown_next_to_it_and_nothing_is_saved(client, world, draft):
    section = draft.sections.get(code="2")
    client.force_login(world.bureau_a)
    url = section_url(section)
    data = form_data(client, url)
    data["items-TOTAL_FORMS"] = str(int(data["items-TOTAL_FORMS"]) - 1)
    add_item(
        data,
        code="2.8",
        position="8",
        title="投诉",
        max_points="3",
        rule="per_count_deduction",
        deduct_step="1",
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert "请填写数据名称" in visible_text(response.content.decode())
    assert not RubricItem.objects.filter(section=section, code="2.8").exists()


def test_an_item_rescored_reads_a_new_input_never_the_old_ones_value(client, world, draft):
    section = draft.sections.get(code="1")
    item = section.items.get(code="1.1")
    before = (item.params, item.inputs)
    client.force_login(world.bureau_a)
    url = section_url(section)
    data = form_data(client, url)
    index = next(i for i in range(int(data["items-TOTAL_FORMS"])) if data.get(f"items-{i}-code") == "1.1")
    # Rescored: from a person's score to a deduction per problem found.
    data[f"items-{index}-rule"] = "per_count_deduction"
    data[f"items-{index}-count_label"] = "场所问题"
    data[f"items-{index}-count_unit"] = "处"
    data[f"items-{index}-deduct_step"] = "2"

    assert client.post(url, data).status_code == 302
    item.refresh_from_db()
    assert item.params == {"input": "item_1_1", "step": "2", "unit": "处", "label": "场所问题"}
    assert item.inputs == [{"name": "item_1_1", "type": "count", "label": "场所问题"}]
    assert before[0]["input"] != "item_1_1"  # a points input is not read as a count
    assert score(item, {"item_1_1": 3}) == Decimal("2.00")  # 8 − 3 × 2


def test_an_unchanged_section_keeps_every_item_to_the_letter(client, world):
    heshan = policy_new_version(
        policy=Policy.objects.get(code="heshan-2024", version=1), actor=world.superuser
    )
    client.force_login(world.superuser)
    for section in heshan.sections.all():
        stored = list(section.items.order_by("pk").values_list("rule", "params", "inputs"))
        url = section_url(section)
        response = client.post(url, form_data(client, url))
        assert response.status_code == 302, re.findall(
            r"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S
        )
        assert list(section.items.order_by("pk").values_list("rule", "params", "inputs")) == stored


def test_a_reference_rule_keeps_its_parameters_when_the_title_is_edited(client, world):
    heshan = policy_new_version(
        policy=Policy.objects.get(code="heshan-2024", version=1), actor=world.superuser
    )
    section = heshan.sections.get(code="2")
    item = section.items.get(code="2.1")
    assert item.rule == "rate_vs_reference"
    stored = (item.params, item.inputs)
    client.force_login(world.superuser)
    url = section_url(section)
    page = client.get(url).content.decode()
    assert "此规则来自政策文件，参数请在政策文件中修改" in visible_text(page)
    data = form_data(client, url)
    index = next(i for i in range(int(data["items-TOTAL_FORMS"])) if data.get(f"items-{i}-code") == "2.1")
    data[f"items-{index}-title"] = "劳动力信息采集与更新"
    data[f"items-{index}-rule"] = "manual"  # a disabled list: a forged choice changes nothing

    assert client.post(url, data).status_code == 302
    item.refresh_from_db()
    assert item.title == "劳动力信息采集与更新"
    assert (item.rule, item.params, item.inputs) == ("rate_vs_reference", *stored)


def test_the_section_page_shows_no_json_and_no_rule_codes(client, world, draft):
    heshan = policy_new_version(
        policy=Policy.objects.get(code="heshan-2024", version=1), actor=world.superuser
    )
    client.force_login(world.superuser)
    for section in [*heshan.sections.all(), draft.sections.get(code="2")]:
        page = client.get(section_url(section)).content.decode()
        assert '{"' not in page
        text = visible_text(page)
        assert not RAW_CODES.findall(text), RAW_CODES.findall(text)[:5]
    # The rule list, the step table's columns and the units are there, in Chinese.
    text = visible_text(client.get(section_url(draft.sections.get(code="2"))).content.decode())
    for words in (
        "分档计分",
        "酌情扣分",
        "不低于",
        "低于（最高一档空着）",
        "得分",
        "单位",
        "完成数 ÷ 目标数",
        "直接填写百分比",
    ):
        assert words in text, words
    assert 'src="/static/js/rule-editor.js"' in page or "js/rule-editor.js" in page
    assert "<script>" not in page.split('id="content"', 1)[-1]  # no inline script (CSP)


def test_a_frozen_policys_items_read_as_sentences_without_fields(client, world):
    from assessment.services.policies import policy_freeze

    heshan = Policy.objects.get(code="heshan-2024", version=1)
    policy_freeze(policy=heshan, actor=None, reason="测试")
    client.force_login(world.superuser)
    response = client.get(section_url(heshan.sections.get(code="4")))
    page = response.content.decode()

    assert response.status_code == 200
    assert 'name="items-0-rule"' not in page and "steps_0" not in page
    text = visible_text(page)
    assert "条件全部达到得满分" in text  # the rule by its name
    assert "实名制账号应达到 2 个，每少 1 个扣 1 分，扣完为止" in text
    assert not RAW_CODES.findall(text)


# ---------------------------------------------------------------- review: rows, huge numbers, queries


def _section_of(draft, count: int):
    """A section of `count` items: a parent with two sub-items, conditions, a step table, the rest
    hand-scored, so every kind of form and a chosen parent are on the page."""
    from assessment.models import RubricSection

    section = RubricSection.objects.create(
        policy=draft, position=9, code="9", title="测试部分", max_points=Decimal(count * 2)
    )
    parent = RubricItem.objects.create(
        section=section, position=1, code="9.1", title="合计项", max_points=2, rule="capped_sum"
    )
    for number in range(2, count + 1):
        code = f"9.{number}"
        name = f"item_9_{number}"
        if number == 2:
            rule, params = "per_condition", {"conditions": [{"input": name, "equals": True, "points": "1"}]}
            inputs = [{"name": name, "type": "flag", "label": "建立台账"}]
        else:
            rule, params = "manual", {"input": name}
            inputs = [{"name": name, "type": "points", "label": f"第 {number} 项"}]
        RubricItem.objects.create(
            section=section,
            parent=parent if number <= 3 else None,
            position=number,
            code=code,
            title=f"第 {number} 项",
            max_points=1,
            rule=rule,
            params=params,
            inputs=inputs,
        )
    return section


def test_the_section_page_costs_the_same_queries_for_3_items_as_for_12(client, world, draft):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.bureau_a)
    counts = {}
    for size in (3, 12):
        url = section_url(_section_of(draft, size))
        data = form_data(client, url)
        with CaptureQueriesContext(connection) as shown:
            assert client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as saved:
            response = client.post(url, data)
        assert response.status_code == 302, re.findall(
            r"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S
        )
        counts[size] = (len(shown), len(saved))
        draft.sections.get(code="9").delete()
    assert counts[3] == counts[12], counts


def test_items_with_seven_rows_keep_every_row_when_only_a_title_is_edited(client, world, draft):
    # From a policy file: seven conditions and a seven-step table, one row more than the usual six.
    section = draft.sections.get(code="2")
    flags = [{"name": f"c{n}", "type": "flag", "label": f"条件{n}"} for n in range(1, 8)]
    conditions = RubricItem.objects.create(
        section=section,
        position=8,
        code="2.8",
        title="设施",
        max_points=7,
        rule="per_condition",
        params={"conditions": [{"input": f"c{n}", "equals": True, "points": "1"} for n in range(1, 8)]},
        inputs=flags,
    )
    bounds = ["90", "80", "70", "60", "50", "40", "30"]
    steps = RubricItem.objects.create(
        section=section,
        position=9,
        code="2.9",
        title="培训合格率",
        max_points=7,
        rule="step_table",
        params={
            "value": "pass_rate",
            "steps": [
                {"at_least": low, "points": str(7 - n), **({"below": bounds[n - 1]} if n else {})}
                for n, low in enumerate(bounds)
            ],
        },
        inputs=RATE,
    )
    stored = {item.pk: (item.params, item.inputs) for item in (conditions, steps)}
    client.force_login(world.bureau_a)
    url = section_url(section)
    data = form_data(client, url)
    for item in (conditions, steps):
        index = next(
            i for i in range(int(data["items-TOTAL_FORMS"])) if data.get(f"items-{i}-code") == item.code
        )
        data[f"items-{index}-title"] = item.title + "（改）"

    response = client.post(url, data)

    assert response.status_code == 302, re.findall(
        r"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S
    )
    for item in (conditions, steps):
        item.refresh_from_db()
        assert item.title.endswith("（改）")
        assert (item.params, item.inputs) == stored[item.pk]
    # The seventh condition is on the page, and an empty eighth row to add another.
    page = client.get(url).content.decode()
    assert 'value="条件7"' in page
    assert "第 8 行 条件名称" in page


def test_a_number_too_large_typed_in_a_cell_or_a_field_is_a_chinese_error(client, world, draft):
    section = draft.sections.get(code="2")
    client.force_login(world.bureau_a)
    url = section_url(section)
    data = form_data(client, url)
    data["items-TOTAL_FORMS"] = str(int(data["items-TOTAL_FORMS"]) - 1)
    add_item(
        data,
        code="2.8",
        position="8",
        title="培训合格率",
        max_points="3",
        rule="step_table",
        rate_label="培训合格率",
        **{f"steps_{i}": v for i, v in enumerate(["1e999999999", "", "3"])},
    )
    add_item(
        data, code="2.9", position="9", title="走访企业", max_points="3", rule="per_count_award",
        count_label="走访企业", award_each="1e999999999",
    )  # fmt: skip

    response = client.post(url, data)

    assert response.status_code == 200
    text = visible_text(response.content.decode())
    assert "第 1 行：“不低于”数值过大（填的是“1e999999999”）" in text
    assert "数值过大，请检查填写的数字" in text
    assert not RubricItem.objects.filter(section=section, code__in=["2.8", "2.9"]).exists()


def test_a_stored_number_too_large_to_show_leaves_the_rule_as_stored():
    from assessment.rule_text import rule_description

    params = {"input": "complaints", "points_each": "1e999999999", "unit": "例"}
    # Not shown as fields (saving them back would change it): the policy file's to correct.
    assert fields_from_item("per_count_award", params, COUNT) is None
    sentence = rule_description(rule="per_count_award", params=params, inputs=COUNT, max_points=Decimal(5))
    assert "1e999999999" in sentence


def test_an_added_item_offers_only_this_sections_items_as_its_parent(client, world):
    # 添加另一个评分项目 draws an empty form; its 上级项目 once listed every version's items.
    import re

    from assessment.models import RubricSection
    from assessment.services.policies import policy_new_version

    copy = policy_new_version(
        policy=Policy.objects.get(code="yunmeng-2024"), actor=world.bureau_a, year=2024, name="副本"
    )
    section = RubricSection.objects.get(policy=copy, code="2")
    client.force_login(world.bureau_a)

    html = client.get(reverse("admin:assessment_rubricsection_change", args=[section.pk])).content.decode()

    empty = re.search(r'<select name="items-__prefix__-parent"[^>]*>(.*?)</select>', html, re.S)
    assert empty is not None
    assert len(re.findall(r"<option", empty.group(1))) == 1 + 7  # "---------" and 2.1 … 2.7
