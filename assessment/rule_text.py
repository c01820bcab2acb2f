"""A rubric item's rule and parameters in the words of a 评分细则, for clerks who read, not edit, them.

The admin shows an item's rule this way instead of its stored JSON ("每少 1 人扣 2 分，扣完为止").
Pure functions over the stored shapes (`RubricItem.params`, `RubricItem.inputs`); what the engine
itself says about a scored sheet is its explanation line (`assessment.engine.rules`).
"""

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from assessment.engine.decimal_math import NumberProblem, format_plain, parse_decimal

RULE_LABELS: dict[str, str] = {
    "manual": "评估人员评分",
    "per_count_deduction": "按个数扣分",
    "rate_vs_target": "未达目标按差距扣分",
    "proportional": "按比例得分",
    "gated_proportional": "满足前提后按比例得分",
    "all_or_nothing": "条件全部达到得满分",
    "rate_vs_reference": "对照参照值按差距扣分",
    "capped_sum": "各子项合计（封顶）",
    "per_count_award": "按个数得分（封顶）",
    "step_table": "分档计分",
    "per_condition": "按达到的条件得分",
    "per_unmet_deduction": "每项未达到扣分",
    "discretionary_deduction": "酌情扣分（须写明理由）",
}

INPUT_TYPE_LABELS: dict[str, str] = {
    "count": "个数",
    "rate": "百分比",
    "number": "数值",
    "flag": "是/否",
    "points": "评定分值",
    "text": "文字",
}

# Parameter names in Chinese, for any parameter the sentences below do not cover.
PARAM_LABELS: dict[str, str] = {
    "input": "读取的数据",
    "label": "名称",
    "step": "每档扣分",
    "mode": "计数方式",
    "unit": "单位",
    "free_allowance": "不扣分的个数",
    "required": "要求的个数",
    "target": "目标值",
    "per": "每档大小",
    "shortfall": "差距计算",
    "partial_steps": "不足一档",
    "zero_denominator": "分母为 0 时",
    "numerator": "分子",
    "denominator": "分母",
    "value": "数值",
    "reference": "参照值",
    "reference_factor": "参照值倍数",
    "reference_minimum": "目标下限",
    "reference_label": "参照值名称",
    "gates": "前提条件",
    "conditions": "条件",
    "otherwise": "未达到时得分",
    "points_each": "每个得分",
    "steps": "分档",
    "at_least": "不低于",
    "below": "低于",
    "points": "得分",
    "reason": "扣分理由",
    "most": "最多扣分",
}

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _number(value: Any) -> str:
    """ "2" for "2.00", "0.5" for "0.50": the way a 细则 writes a number."""
    try:
        # Bounded: "1e999999999" would overflow the decimal context when normalised.
        number = parse_decimal(value)
    except NumberProblem:
        text = str(value)  # shown as written; the engine refuses it by name
        return text if len(text) <= 24 else f"{text[:24]}…"
    return format_plain(number)


def _expression(text: Any, labels: Mapping[str, str]) -> str:
    """An expression of input names ("a + b") with each name replaced by its label."""
    return _NAME.sub(lambda match: labels.get(match.group(0), match.group(0)), str(text)).replace(" ", "")


def _measure(
    params: Mapping[str, Any], labels: Mapping[str, str], types: Mapping[str, str]
) -> tuple[str, bool]:
    """What a rate rule measures, and whether it is a percentage."""
    if "numerator" in params or "denominator" in params:
        numerator = _expression(params.get("numerator", ""), labels)
        denominator = _expression(params.get("denominator", ""), labels)
        return f"{numerator}占{denominator}的比例", True
    value = params.get("value", "")
    names = _NAME.findall(str(value))
    # A value read from percentage inputs is a percentage, as the engine reads it.
    return _expression(value, labels), bool(names) and all(types.get(name) == "rate" for name in names)


def _condition(entry: Any, labels: Mapping[str, str], types: Mapping[str, str]) -> str:
    if not isinstance(entry, Mapping):
        return str(entry)
    name = entry.get("input", "")
    label = labels.get(name, name)
    suffix = "%" if types.get(name) == "rate" else ""
    if "at_least" in entry:
        return f"{label}不低于 {_number(entry['at_least'])}{suffix}"
    if "at_most" in entry:
        return f"{label}不超过 {_number(entry['at_most'])}{suffix}"
    if "equals" in entry:
        wanted = entry["equals"]
        if isinstance(wanted, bool):
            return f"{label}：{'是' if wanted else '否'}"
        return f"{label}等于 {_number(wanted)}{suffix}"
    return label


def _conditions(raw: Any, labels: Mapping[str, str], types: Mapping[str, str]) -> str:
    entries = raw if isinstance(raw, list) else [raw]
    return "、".join(_condition(entry, labels, types) for entry in entries)


def _shortfall(params: Mapping[str, Any], percentage: bool, target: str) -> str:
    per = _number(params.get("per", "1"))
    shortfall = params.get("shortfall", "points" if percentage else "relative")
    step = _number(params.get("step", "0"))
    partial = {
        "prorate": "不足一档按比例扣",
        "whole_started": "不足一档按一档扣",
        "whole_completed": "不足一档不扣",
    }.get(params.get("partial_steps", "prorate"), "")
    zero = (
        "；分母为 0 时不得分"
        if params.get("zero_denominator") == "unmet"
        else ("；分母为 0 时视为达标" if "zero_denominator" in params else "")
    )
    short = f"每少 {per} 个百分点" if shortfall == "points" else f"每比目标少 {per}%"
    return f"达到{target}得满分；{short}扣 {step} 分（{partial}），扣完为止{zero}"


def _steps(params: Mapping[str, Any], percentage: bool) -> str:
    """ "达到 90% 得 3 分；80% 至 90% 得 2 分；低于 80% 得 0 分", highest step first."""
    suffix = "%" if percentage else (f" {params['unit']}" if params.get("unit") else "")
    steps = [step for step in params.get("steps") or [] if isinstance(step, Mapping)]

    def lower(step: Mapping[str, Any]) -> Decimal:
        try:
            return parse_decimal(step.get("at_least"))
        except NumberProblem:
            return Decimal(0)

    steps.sort(key=lower, reverse=True)
    parts = []
    for step in steps:
        at_least = f"{_number(step.get('at_least', ''))}{suffix}"
        points = _number(step.get("points", ""))
        if step.get("below") is None:
            parts.append(f"达到 {at_least} 得 {points} 分")
        else:
            parts.append(f"{at_least} 至 {_number(step['below'])}{suffix}（不含）得 {points} 分")
    if steps:
        parts.append(
            f"低于 {_number(steps[-1].get('at_least', ''))}{suffix} 得 {_number(params.get('otherwise', '0'))} 分"
        )
    text = "；".join(parts)
    if params.get("zero_denominator") == "unmet":
        text += "；分母为 0 时按最低得分"
    return text


def rule_description(
    *, rule: str, params: Mapping[str, Any], inputs: Sequence[Mapping[str, Any]], max_points: Any
) -> str:
    """The item's rule as one Chinese sentence, e.g. "培训人数 每少 1 人扣 2 分，扣完为止"."""
    labels = {spec.get("name", ""): spec.get("label") or spec.get("name", "") for spec in inputs}
    types = {spec.get("name", ""): spec.get("type", "") for spec in inputs}
    params = params if isinstance(params, Mapping) else {}
    top = _number(max_points)
    label = params.get("label") or ""
    if rule == "manual":
        return f"评估人员按细则评定 0 至 {top} 分"
    if rule == "per_count_deduction":
        unit = params.get("unit", "个")
        counted = label or labels.get(params.get("input", ""), "")
        step = _number(params.get("step", "0"))
        if params.get("mode") == "below":
            required = _number(params.get("required", "0"))
            return f"{counted}应达到 {required} {unit}，每少 1 {unit}扣 {step} 分，扣完为止"
        free = params.get("free_allowance")
        allowance = f"，{_number(free)} {unit}以内不扣分" if free not in (None, 0, "0") else ""
        return f"{counted}每有 1 {unit}扣 {step} 分{allowance}，扣完为止"
    if rule == "rate_vs_target":
        measure, percentage = _measure(params, labels, types)
        suffix = "%" if percentage else (f" {params['unit']}" if params.get("unit") else "")
        target = f"目标 {_number(params.get('target', ''))}{suffix}"
        return f"{label or measure}：" + _shortfall(params, percentage, target)
    if rule == "rate_vs_reference":
        measure, percentage = _measure(params, labels, types)
        target = params.get("reference_label") or ""
        if not target:  # a written reference label already says the factor and the minimum
            factor = params.get("reference_factor")
            target = labels.get(params.get("reference", ""), "参照值")
            target += f"的 {_number(factor)} 倍" if factor not in (None, "1") else ""
            if params.get("reference_minimum") is not None:
                target += f"（不低于 {_number(params['reference_minimum'])}）"
        return f"{label or measure}：" + _shortfall(params, percentage, target)
    if rule == "proportional":
        measure, _ = _measure(params, labels, types)
        return f"{label or measure}：得分 = {top} 分 × 比例"
    if rule == "gated_proportional":
        measure, _ = _measure(params, labels, types)
        gates = _conditions(params.get("gates", []), labels, types)
        return f"{gates}时，按{label or measure}计分（{top} 分 × 比例）；否则不得分"
    if rule == "all_or_nothing":
        conditions = _conditions(params.get("conditions", []), labels, types)
        otherwise = _number(params.get("otherwise", "0"))
        return f"{conditions}，全部达到得 {top} 分，否则得 {otherwise} 分"
    if rule == "capped_sum":
        return f"各子项得分相加，最多 {top} 分"
    if rule == "per_count_award":
        unit = params.get("unit") or "个"
        counted = label or labels.get(params.get("input", ""), "")
        return f"{counted}每 1 {unit}得 {_number(params.get('points_each', '0'))} 分，最多 {top} 分"
    if rule == "step_table":
        measure, percentage = _measure(params, labels, types)
        return f"{label or measure}：" + _steps(params, percentage)
    if rule == "per_condition":
        entries = params.get("conditions") if isinstance(params.get("conditions"), list) else []
        each = [
            f"{_condition(entry, labels, types)}，得 {_number(entry.get('points', '0'))} 分"
            for entry in entries
            if isinstance(entry, Mapping)
        ]
        return "；".join(each) + f"；合计最多 {top} 分"
    if rule == "per_unmet_deduction":
        entries = params.get("conditions") if isinstance(params.get("conditions"), list) else []
        entries = [entry for entry in entries if isinstance(entry, Mapping)]
        if any("step" in entry for entry in entries):
            default = params.get("step", "0")
            listed = "、".join(
                f"{_condition(entry, labels, types)}（未达到扣 {_number(entry.get('step', default))} 分）"
                for entry in entries
            )
            return f"{listed}，全部达到得 {top} 分，扣完为止"
        listed = _conditions(entries, labels, types)
        step = _number(params.get("step", "0"))
        return f"{listed}，全部达到得 {top} 分，每有一项未达到扣 {step} 分，扣完为止"
    if rule == "discretionary_deduction":
        most = _number(params.get("most", max_points))
        lead = f"{label}：" if label else ""
        return f"{lead}未完成的由评估人员酌情扣 0 至 {most} 分，扣分须写明理由"
    # A rule this text does not know: its parameters with Chinese names, never the stored JSON.
    return "；".join(f"{PARAM_LABELS.get(key, key)}：{value}" for key, value in params.items())


def inputs_description(inputs: Sequence[Mapping[str, Any]]) -> str:
    """ "培训人数（个数）、是否建档（是/否）": what the item reads, by label and kind of value."""
    return "、".join(
        f"{spec.get('label') or spec.get('name', '')}（{INPUT_TYPE_LABELS.get(spec.get('type', ''), '')}）"
        for spec in inputs
        if isinstance(spec, Mapping)
    )


def part_whole_description(part_whole: Sequence[Mapping[str, Any]], labels: Mapping[str, str]) -> list[str]:
    """Each check as "登记失业人数 不大于 劳动力人数"."""
    return [
        f"{_expression(check.get('part', ''), labels)} 不大于 {_expression(check.get('whole', ''), labels)}"
        for check in part_whole
        if isinstance(check, Mapping)
    ]
