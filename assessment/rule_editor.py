"""A rubric item's rule as labelled fields a clerk fills in, and back: no JSON, no codes.

The admin's item form (`assessment.admin_forms.RubricItemForm`) shows a rule's parameters as
fields: names of the data read, units, points, a step table as rows, conditions as rows. This
module is the pure mapping between those field values and what the engine compiles:

- `fields_from_item(rule, params, inputs)`: the stored item as field values, or None when the
  fields cannot show it exactly (a rule written in a policy file with an expression such as
  "a - b", a reference value, a gate): such an item keeps its parameters untouched.
- `item_from_fields(rule, values, code=…, title=…, before=…, taken=…)`: the cleaned field
  values as `(params, inputs)`, or `FieldProblems` naming the field and what to fix.

Input names are made from the item's code ("item_2_3", "item_2_3_c1"); an edited item keeps the
names it had for data of the same kind (and, for conditions, the same name or row), so the sheets
already filled in still read: a stored value is never read under another meaning.

Field values: numbers are `Decimal` or None, texts are str, rows (steps, conditions) are lists
of dicts of the typed strings with their row number ("row"), as the form's row tables give them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from assessment.engine.decimal_math import NotANumber, NumberProblem, format_plain, parse_decimal
from assessment.engine.specs import LOG_FIELDS

# The rules a clerk edits here, in the order the list offers them.
EDITABLE_RULES: tuple[str, ...] = (
    "manual",
    "per_count_deduction",
    "per_count_award",
    "rate_vs_target",
    "proportional",
    "step_table",
    "all_or_nothing",
    "per_condition",
    "per_unmet_deduction",
    "discretionary_deduction",
    "capped_sum",
)

MEASURE_CHOICES = (
    ("rate", "直接填写百分比"),
    ("ratio", "完成数 ÷ 目标数（自动算出百分比）"),
    ("count", "个数（整数）"),
    ("number", "数值（可带小数，如面积）"),
)
# Rules whose measure must be a percentage (the engine refuses a count for them).
PERCENT_ONLY = ("rate_vs_target", "proportional")
MEASURE_RULES = ("rate_vs_target", "proportional", "step_table")
MODE_CHOICES = (("each", "每出现一个扣分"), ("below", "比要求每少一个扣分"))
PARTIAL_CHOICES = (
    ("prorate", "按比例扣（差半个百分点扣半档）"),
    ("whole_started", "开始即扣（不足一档按一档扣）"),
    ("whole_completed", "满一档才扣（不足一档不扣）"),
)
ZERO_CHOICES = (("met", "视为完成（按 100% 计）"), ("unmet", "视为未完成（不得分）"))
TEST_CHOICES = (("flag", "做到了（是/否）"), ("count", "个数至少"))
# 从工作日志取数: none (typed on the form), or one of the work log's fields.
LOG_CHOICES = (("", "否：评分时填写"), *((name, f"是：{label}") for name, label in LOG_FIELDS.items()))

STEP_ROWS = 6
CONDITION_ROWS = 6
STEP_COLUMNS = ("at_least", "below", "points")
CONDITION_COLUMNS = ("name", "test", "least", "points")

MANUAL_INPUT_NOTE = "评估人员评分"
DEDUCTION_LABEL = "扣分"
REASON_LABEL = "扣分理由"

_SIMPLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class FieldProblems(ValueError):
    """What to fix in the rule's fields: field name → Chinese messages ("" for the whole rule)."""

    def __init__(self, problems: Mapping[str, Sequence[str]]):
        self.problems = {name: list(messages) for name, messages in problems.items()}
        super().__init__("；".join(m for messages in self.problems.values() for m in messages))


@dataclass(frozen=True)
class Before:
    """The item as stored before this edit: its rule, parameters, inputs and title."""

    rule: str
    params: Mapping[str, Any]
    inputs: Sequence[Mapping[str, Any]]
    title: str = ""


# ---------------------------------------------------------------- numbers


def _decimal(value: Any) -> Decimal | None:
    """A stored or typed number as a Decimal; None when it is not one a rubric can use (bools are
    not numbers; "1e999999999" is refused as the engine refuses it, never overflowing on show)."""
    try:
        return parse_decimal(value)
    except NumberProblem:
        return None


def _text(value: Decimal | None) -> str:
    """A number as a policy writes it: "0.5", "3" (a string, as the engine's params are)."""
    return "" if value is None else format_plain(value)


def _canonical(value: Any) -> Any:
    """For comparing parameters: numbers by value ("5" == 5 == "5.0"), the rest as they are."""
    if isinstance(value, Mapping):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    number = _decimal(value)
    return ("number", number.normalize()) if number is not None else value


# Parameters at their default are the same as absent: "otherwise": "0" is no "otherwise".
_DEFAULTS: dict[str, dict[str, Any]] = {
    "per_count_deduction": {"mode": "each", "free_allowance": "0", "unit": "个"},
    "per_count_award": {"unit": "个"},
    "rate_vs_target": {"per": "1", "partial_steps": "prorate", "zero_denominator": "met"},
    "proportional": {"zero_denominator": "met"},
    "step_table": {"otherwise": "0", "zero_denominator": "met", "unit": ""},
    "all_or_nothing": {"otherwise": "0"},
}


def same_params(rule: str, first: Mapping[str, Any], second: Mapping[str, Any]) -> bool:
    """Whether two parameter sets score alike: equal numbers by value, defaults as absent."""
    defaults = _DEFAULTS.get(rule, {})
    return _canonical({**defaults, **dict(first)}) == _canonical({**defaults, **dict(second)})


def same_inputs(first: Sequence[Mapping[str, Any]], second: Sequence[Mapping[str, Any]]) -> bool:
    def key(specs):
        return sorted(
            (s.get("name"), s.get("type"), s.get("label", ""), s.get("log") or "", s.get("target") or "")
            for s in specs
            if isinstance(s, Mapping)
        )

    return key(first) == key(second)


# ---------------------------------------------------------------- stored item → fields


def _by_name(inputs: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {spec.get("name"): spec for spec in inputs if isinstance(spec, Mapping)}


def _input(inputs: Mapping[str, Mapping[str, Any]], name: Any, *types: str) -> Mapping[str, Any] | None:
    spec = inputs.get(name) if isinstance(name, str) else None
    return spec if spec is not None and spec.get("type") in types else None


def _measure_fields(rule: str, params: Mapping[str, Any], inputs) -> dict[str, Any] | None:
    if "numerator" in params or "denominator" in params:
        done = _input(inputs, params.get("numerator"), "count")
        total = _input(inputs, params.get("denominator"), "count")
        if done is None or total is None or done is total or "value" in params:
            return None  # an expression ("a - b"), or a rate of rates: the policy file's to change
        return {
            "measure_kind": "ratio",
            "done_label": done.get("label", ""),
            "total_label": total.get("label", ""),
            "zero_denominator": params.get("zero_denominator", "met"),
        }
    spec = _input(inputs, params.get("value"), "rate", "count", "number")
    if spec is None or "zero_denominator" in params:
        return None
    kind = spec["type"]
    if kind != "rate" and rule in PERCENT_ONLY:
        return None
    if kind == "rate":
        return {"measure_kind": "rate", "rate_label": spec.get("label", "")}
    return {"measure_kind": kind, "value_label": spec.get("label", ""), "value_unit": params.get("unit", "")}


def _condition_rows(params: Mapping[str, Any], inputs, extra: str | None) -> list[dict[str, str]] | None:
    raw = params.get("conditions")
    if not isinstance(raw, list) or not raw:
        return None
    rows = []
    for number, entry in enumerate(raw, start=1):
        if not isinstance(entry, Mapping):
            return None
        allowed = {"input", "equals", "at_least"} | ({extra} if extra else set())
        if set(entry) - allowed:
            return None
        flag = _input(inputs, entry.get("input"), "flag")
        count = _input(inputs, entry.get("input"), "count")
        if flag is not None and entry.get("equals") is True and "at_least" not in entry:
            row = {"row": number, "name": flag.get("label", ""), "test": "flag", "least": ""}
        elif count is not None and "at_least" in entry and "equals" not in entry:
            least = _decimal(entry["at_least"])
            if least is None:
                return None
            row = {"row": number, "name": count.get("label", ""), "test": "count", "least": _text(least)}
        else:
            return None
        row["points"] = _text(_decimal(entry.get(extra))) if extra and entry.get(extra) is not None else ""
        rows.append(row)
    return rows


def _fields(rule: str, params: Mapping[str, Any], inputs_list) -> dict[str, Any] | None:
    """The field values for a stored item, before the round-trip check of `fields_from_item`."""
    inputs = _by_name(inputs_list)
    number = _decimal
    if rule == "capped_sum":
        return {}
    if rule == "manual":
        return {} if _input(inputs, params.get("input"), "points") else None
    if rule in ("per_count_deduction", "per_count_award"):
        spec = _input(inputs, params.get("input"), "count")
        if spec is None:
            return None
        values = {
            "count_label": spec.get("label", ""),
            "count_unit": params.get("unit", "个"),
            "count_log": spec.get("log") or "",
        }
        if rule == "per_count_award":
            return {**values, "award_each": number(params.get("points_each"))}
        return {
            **values,
            "deduct_mode": params.get("mode", "each"),
            "deduct_step": number(params.get("step")),
            "deduct_required": number(params.get("required")),
            "deduct_free": number(params.get("free_allowance")),
        }
    if rule in MEASURE_RULES:
        values = _measure_fields(rule, params, inputs)
        if values is None:
            return None
        counted = _input(inputs, params.get("numerator") or params.get("value"), "count")
        values["measure_log"] = (counted or {}).get("log") or ""
        if rule == "rate_vs_target":
            values.update(
                target=number(params.get("target")),
                target_per=number(params.get("per", "1")),
                target_step=number(params.get("step")),
                target_partial=params.get("partial_steps", "prorate"),
            )
        elif rule == "step_table":
            steps = params.get("steps")
            if not isinstance(steps, list) or not all(isinstance(s, Mapping) for s in steps):
                return None
            values["steps"] = [
                {
                    "row": row,
                    "at_least": _text(number(s.get("at_least"))),
                    "below": _text(number(s.get("below"))),
                    "points": _text(number(s.get("points"))),
                }
                for row, s in enumerate(steps, start=1)
            ]
            values["steps_otherwise"] = number(params.get("otherwise", "0"))
        return values
    if rule == "all_or_nothing":
        rows = _condition_rows(params, inputs, None)
        return (
            None
            if rows is None
            else {"all_conditions": rows, "all_otherwise": number(params.get("otherwise", "0"))}
        )
    if rule == "per_condition":
        rows = _condition_rows(params, inputs, "points")
        return None if rows is None else {"cond_rows": rows}
    if rule == "per_unmet_deduction":
        rows = _condition_rows(params, inputs, "step")
        return None if rows is None else {"unmet_rows": rows, "unmet_step": number(params.get("step"))}
    if rule == "discretionary_deduction":
        if (
            _input(inputs, params.get("input"), "points") is None
            or _input(inputs, params.get("reason"), "text") is None
        ):
            return None
        return {"most": number(params.get("most"))}
    return None


def fields_from_item(
    rule: str,
    params: Mapping[str, Any],
    inputs: Sequence[Mapping[str, Any]],
    *,
    title: str = "",
    code: str = "",
) -> dict[str, Any] | None:
    """The item's rule as field values, or None when the fields cannot show it exactly.

    Exactly means: the values saved back give the same parameters and inputs. Anything else (an
    expression, a reference value, a gate, a parameter the fields do not have) stays as stored.
    """
    if rule not in EDITABLE_RULES or not isinstance(params, Mapping):
        return None
    values = _fields(rule, params, inputs)
    if values is None:
        return None
    before = Before(rule=rule, params=params, inputs=inputs, title=title)
    try:
        new_params, new_inputs = item_from_fields(rule, values, code=code or "x", title=title, before=before)
    except FieldProblems:
        return None
    if not (same_params(rule, new_params, params) and same_inputs(new_inputs, inputs)):
        return None
    return values


# ---------------------------------------------------------------- fields → params and inputs


def _slug(code: str) -> str:
    return re.sub(r"\W", "_", code or "", flags=re.ASCII).strip("_")


def _roles(before: Before | None) -> tuple[dict[str, Mapping[str, Any]], list[Mapping[str, Any]]]:
    """The inputs the item read before, by what they were (a count, a rate…) and its conditions."""
    if before is None or not isinstance(before.params, Mapping):
        return {}, []
    inputs, params = _by_name(before.inputs), before.params
    roles: dict[str, Mapping[str, Any]] = {}

    def put(role: str, name: Any) -> None:
        if isinstance(name, str) and name in inputs:
            roles[role] = inputs[name]

    if before.rule == "manual":
        put("score", params.get("input"))
    elif before.rule in ("per_count_deduction", "per_count_award"):
        put("count", params.get("input"))
    elif before.rule == "discretionary_deduction":
        put("deduction", params.get("input"))
        put("reason", params.get("reason"))
    elif before.rule in MEASURE_RULES:
        put("done", params.get("numerator"))
        put("total", params.get("denominator"))
        value = params.get("value")
        if isinstance(value, str) and value in inputs:
            put("rate" if inputs[value].get("type") == "rate" else "count", value)
    conditions = [
        inputs[entry["input"]]
        for entry in params.get("conditions") or []
        if isinstance(entry, Mapping) and isinstance(entry.get("input"), str) and entry["input"] in inputs
    ]
    return roles, conditions


class _Inputs:
    """The inputs the new rule reads, named as before where the data is the same kind."""

    def __init__(self, code: str, before: Before | None, taken: set[str]):
        self.base = "item_" + (_slug(code) or "x")
        self.roles, self.conditions = _roles(before)
        before_names = {
            spec.get("name") for spec in (before.inputs if before else []) if isinstance(spec, Mapping)
        }
        # A fresh name is never one the item read before: a stored value of another kind of
        # data must not be read under the new meaning.
        self.avoid = set(taken) | before_names
        self.prior_specs = [spec for spec in (before.inputs if before else []) if isinstance(spec, Mapping)]
        self.used: set[str] = set()
        self.specs: list[dict[str, str]] = []

    def _fresh(self, suffix: str) -> str:
        name, number = f"{self.base}{suffix}", 2
        while name in self.avoid or name in self.used:
            name, number = f"{self.base}{suffix}_{number}", number + 1
        return name

    def _add(self, name: str, kind: str, label: str) -> str:
        self.used.add(name)
        self.specs.append({"name": name, "type": kind, "label": label})
        return name

    def role(self, role: str, kind: str, label: str, suffix: str = "") -> str:
        prior = self.roles.get(role)
        if prior is not None and prior.get("type") == kind and prior.get("name") not in self.used:
            return self._add(prior["name"], kind, label)
        return self._add(self._fresh(suffix), kind, label)

    def conditions_named(self, wanted: Sequence[tuple[str, str]]) -> list[str]:
        """Names for the condition rows (label, type): the stored condition of the same name, else
        the one that stood on the same row (renamed), else a new name."""
        chosen: list[str | None] = [None] * len(wanted)
        claimed: set[str] = set()
        for index, (label, kind) in enumerate(wanted):
            for prior in self.conditions:
                name = prior.get("name")
                if prior.get("label") == label and prior.get("type") == kind and name not in claimed:
                    chosen[index] = name
                    claimed.add(name)
                    break
        for index, (_, kind) in enumerate(wanted):
            if chosen[index] is None and index < len(self.conditions):
                prior = self.conditions[index]
                if prior.get("type") == kind and prior.get("name") not in claimed:
                    chosen[index] = prior["name"]
                    claimed.add(prior["name"])
        names = []
        for index, (label, kind) in enumerate(wanted):
            names.append(self._add(chosen[index] or self._fresh(f"_c{index + 1}"), kind, label))
        return names

    def label_of(self, role: str) -> str | None:
        prior = self.roles.get(role)
        return None if prior is None else prior.get("label", "")


class _Problems:
    def __init__(self):
        self.found: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.found.setdefault(name, []).append(message)

    def raise_any(self) -> None:
        if self.found:
            raise FieldProblems(self.found)


def _required_text(values, name: str, problems: _Problems, message: str) -> str:
    text = (values.get(name) or "").strip()
    if not text:
        problems.add(name, message)
    return text


def _required_number(
    values, name: str, problems: _Problems, message: str, *, positive: bool = False, whole: bool = False
) -> Decimal | None:
    number = values.get(name)
    if number is None:
        problems.add(name, message)
        return None
    if number < 0 or (positive and number == 0):
        problems.add(name, "应大于 0。" if positive else "不能为负数。")
    elif whole and number != number.to_integral_value():
        problems.add(name, "应为整数。")
    return number


def _row_number(
    row: Mapping[str, Any], column: str, title: str, problems: _Problems, field: str, *, required=True
):
    raw = (row.get(column) or "").strip()
    if not raw:
        if required:
            problems.add(field, f"第 {row['row']} 行：请填写“{title}”。")
        return None
    try:
        number = parse_decimal(raw)
    except NotANumber:
        problems.add(field, f"第 {row['row']} 行：“{title}”应填数字，而不是“{raw}”。")
        return None
    except NumberProblem as problem:
        shown = raw if len(raw) <= 24 else f"{raw[:24]}…"
        problems.add(field, f"第 {row['row']} 行：“{title}”{problem}（填的是“{shown}”）。")
        return None
    if number < 0:
        problems.add(field, f"第 {row['row']} 行：“{title}”不能为负数。")
        return None
    return number


def _measure(rule: str, values, names: _Inputs, problems: _Problems) -> tuple[dict[str, Any], str | None]:
    """The measure's params, and the data name that names it (None for a ratio)."""
    kind = values.get("measure_kind") or "rate"
    if rule in PERCENT_ONLY and kind not in ("rate", "ratio"):
        problems.add("measure_kind", "这种计分方式按百分比计分：请选择“直接填写百分比”或“完成数 ÷ 目标数”。")
        return {}, None
    if kind == "rate":
        label = _required_text(values, "rate_label", problems, "请填写百分比的名称，如“培训合格率”。")
        return {"value": names.role("rate", "rate", label)}, label
    if kind == "ratio":
        done = _required_text(values, "done_label", problems, "请填写完成数的名称，如“已培训人数”。")
        total = _required_text(values, "total_label", problems, "请填写目标数的名称，如“应培训人数”。")
        params = {
            "numerator": names.role("done", "count", done, "_done"),
            "denominator": names.role("total", "count", total, "_total"),
        }
        if values.get("zero_denominator") == "unmet":
            params["zero_denominator"] = "unmet"
        return params, None
    label = _required_text(values, "value_label", problems, "请填写数值的名称，如“服务场所面积”。")
    params = {"value": names.role("count", kind, label)}
    unit = (values.get("value_unit") or "").strip()
    if unit:
        params["unit"] = unit
    return params, label


def _conditions(
    values, field: str, names: _Inputs, problems: _Problems, extra: str | None, extra_title: str
) -> list[dict[str, Any]]:
    """The condition rows as the engine's conditions (a flag wanted true, or a count at least N)."""
    typed = [c for c in CONDITION_COLUMNS if c != "test"]
    rows = [row for row in values.get(field) or [] if any((row.get(c) or "").strip() for c in typed)]
    if not rows:
        problems.add(field, "请至少填写一个条件。")
        return []
    seen: set[str] = set()
    kept = []
    for row in rows:
        name = (row.get("name") or "").strip()
        if not name:
            problems.add(field, f"第 {row['row']} 行：请填写条件名称。")
            continue
        if name in seen:
            problems.add(field, f"第 {row['row']} 行：条件“{name}”重复了，每个条件写一次。")
            continue
        seen.add(name)
        test = "count" if row.get("test") == "count" else "flag"
        entry: dict[str, Any] = {}
        if test == "count":
            least = _row_number(row, "least", "至少", problems, field)
            if least is not None and least != least.to_integral_value():
                problems.add(field, f"第 {row['row']} 行：“至少”应为整数。")
            entry["at_least"] = _text(least)
        else:
            entry["equals"] = True
        if extra:
            amount = _row_number(row, "points", extra_title, problems, field, required=extra == "points")
            if extra == "points" and amount == 0:
                problems.add(field, f"第 {row['row']} 行：“{extra_title}”应大于 0。")
            if amount is not None:
                entry[extra] = _text(amount)
        kept.append((name, test, entry))
    input_names = names.conditions_named([(name, test) for name, test, _ in kept])
    return [
        {"input": input_name, **entry} for input_name, (_, _, entry) in zip(input_names, kept, strict=True)
    ]


def _label(
    rule: str, params: dict[str, Any], data_name: str | None, data_role: str | None, *, title, before, names
):
    """The name the explanation line starts with (params "label").

    Kept as stored while what it names is unchanged; renaming the datum (or a hand-scored item's
    title) renames it. Rules named by the item's title have no label of their own unless stored.
    """
    same_rule = before is not None and before.rule == rule and isinstance(before.params, Mapping)
    stored_has = same_rule and "label" in before.params
    stored = before.params.get("label") if stored_has else None
    if rule == "manual":
        unchanged = same_rule and before.title == title
    elif data_name is not None:
        unchanged = same_rule and data_role is not None and names.label_of(data_role) == data_name
    else:
        unchanged = True  # named by the title: nothing of the label's is on the form
    if unchanged:
        if stored_has:
            params["label"] = stored
    elif rule == "manual":
        params["label"] = title
    else:
        params["label"] = data_name


def item_from_fields(
    rule: str,
    values: Mapping[str, Any],
    *,
    code: str,
    title: str,
    before: Before | None = None,
    taken: set[str] | frozenset[str] = frozenset(),
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The rule's parameters and inputs from the cleaned field values; `FieldProblems` if unusable.

    `before` is the stored item (None for a new one): its input names are kept for data of the
    same kind. `taken` are the input names other items of the policy read; a new name avoids them.
    """
    problems = _Problems()
    names = _Inputs(code, before, set(taken))
    params: dict[str, Any] = {}
    data_name: str | None = None
    data_role: str | None = None
    if rule == "capped_sum":
        return {}, []
    if rule == "manual":
        same = before is not None and before.rule == "manual" and before.title == title
        label = (names.label_of("score") if same else None) or title
        params["input"] = names.role("score", "points", label)
    elif rule in ("per_count_deduction", "per_count_award"):
        data_name = _required_text(values, "count_label", problems, "请填写数据名称，如“未按时办结的业务”。")
        data_role = "count"
        params["input"] = names.role("count", "count", data_name)
        if rule == "per_count_award":
            each = _required_number(values, "award_each", problems, "请填写每个得几分。", positive=True)
            params["points_each"] = _text(each)
        else:
            step = _required_number(values, "deduct_step", problems, "请填写每个扣几分。", positive=True)
            params["step"] = _text(step)
            if values.get("deduct_mode") == "below":
                params["mode"] = "below"
                required = _required_number(
                    values, "deduct_required", problems, "“比要求每少一个扣分”须填写要求数量。", whole=True
                )
                params["required"] = _text(required)
            else:
                free = values.get("deduct_free")
                if free is not None and (free < 0 or free != free.to_integral_value()):
                    problems.add("deduct_free", "应为不小于 0 的整数。")
                elif free:
                    params["free_allowance"] = _text(free)
        params["unit"] = (values.get("count_unit") or "").strip() or "个"
    elif rule in MEASURE_RULES:
        measure, data_name = _measure(rule, values, names, problems)
        params.update(measure)
        data_role = {"rate": "rate", "ratio": None}.get(values.get("measure_kind") or "rate", "count")
        if rule == "rate_vs_target":
            target = _required_number(values, "target", problems, "请填写目标百分比。", positive=True)
            if target is not None and target > 100:
                problems.add("target", "目标是百分比，应在 0 到 100 之间。")
            per = values.get("target_per")
            if per is not None and per <= 0:
                problems.add("target_per", "应大于 0。")
            step = _required_number(values, "target_step", problems, "请填写每差一档扣几分。", positive=True)
            params.update(target=_text(target), step=_text(step))
            if per is not None and per != 1:
                params["per"] = _text(per)
            partial = values.get("target_partial") or "prorate"
            if partial != "prorate":
                params["partial_steps"] = partial
            if before is not None and before.rule == rule and before.params.get("shortfall") == "points":
                params["shortfall"] = "points"  # written out in the seeds; the default for percentages
        elif rule == "step_table":
            rows = [
                row
                for row in values.get("steps") or []
                if any((row.get(c) or "").strip() for c in STEP_COLUMNS)
            ]
            if not rows:
                problems.add("steps", "请至少填写一档：不低于多少、得几分。")
            steps = []
            for row in rows:
                at_least = _row_number(row, "at_least", "不低于", problems, "steps")
                below = _row_number(row, "below", "低于", problems, "steps", required=False)
                points = _row_number(row, "points", "得分", problems, "steps")
                step = {"at_least": _text(at_least), "points": _text(points)}
                if below is not None:
                    step["below"] = _text(below)
                steps.append(step)
            params["steps"] = steps
            otherwise = values.get("steps_otherwise")
            if otherwise is not None and otherwise < 0:
                problems.add("steps_otherwise", "不能为负数。")
            elif otherwise:
                params["otherwise"] = _text(otherwise)
    elif rule == "all_or_nothing":
        params["conditions"] = _conditions(values, "all_conditions", names, problems, None, "")
        otherwise = values.get("all_otherwise")
        if otherwise is not None and otherwise < 0:
            problems.add("all_otherwise", "不能为负数。")
        elif otherwise:
            params["otherwise"] = _text(otherwise)
    elif rule == "per_condition":
        params["conditions"] = _conditions(values, "cond_rows", names, problems, "points", "得分")
    elif rule == "per_unmet_deduction":
        params["conditions"] = _conditions(values, "unmet_rows", names, problems, "step", "扣分")
        step = values.get("unmet_step")
        if step is not None and step <= 0:
            problems.add("unmet_step", "应大于 0。")
        elif step is not None:
            params["step"] = _text(step)
        elif any("step" not in entry for entry in params["conditions"]):
            problems.add("unmet_step", "有条件没有填写扣分：请填写统一每项扣分，或在每一行填写扣分。")
    elif rule == "discretionary_deduction":
        same = before is not None and before.rule == rule
        # Named after the item ("服务台账扣分"): a sheet with two such items shows two fields each.
        params["input"] = names.role(
            "deduction",
            "points",
            (names.label_of("deduction") if same else None) or f"{title}{DEDUCTION_LABEL}",
        )
        params["reason"] = names.role(
            "reason",
            "text",
            (names.label_of("reason") if same else None) or f"{title}{REASON_LABEL}",
            "_reason",
        )
        most = values.get("most")
        if most is not None and most <= 0:
            problems.add("most", "应大于 0。")
        elif most is not None:
            params["most"] = _text(most)
    else:
        raise FieldProblems({"rule": ["这种计分规则的参数请在政策文件中修改。"]})
    _bind_to_log(rule, values, params, names, problems)
    problems.raise_any()
    _label(rule, params, data_name, data_role, title=title, before=before, names=names)
    return params, names.specs


def _bind_to_log(rule: str, values, params: dict[str, Any], names: _Inputs, problems: _Problems) -> None:
    """从工作日志取数: the item's count (a ratio's 完成数) bound to a work-log field, as chosen.

    Without the choice among the values (a form that does not show it), every input keeps the
    binding it had under the same name and type, so an edit never drops one silently.
    """
    prior = {spec.get("name"): spec for spec in names.prior_specs}
    for spec in names.specs:
        kept = prior.get(spec["name"])
        if kept is not None and kept.get("type") == spec["type"] and kept.get("log"):
            spec["log"] = kept["log"]
        # A contract-target binding (`target`) has no field on the editor's form: always kept.
        if kept is not None and kept.get("type") == spec["type"] and kept.get("target"):
            spec["target"] = kept["target"]
    key = "count_log" if rule in ("per_count_deduction", "per_count_award") else "measure_log"
    if (rule not in MEASURE_RULES and key == "measure_log") or key not in values:
        return
    chosen = values.get(key) or ""
    target = params.get("input") if key == "count_log" else params.get("numerator") or params.get("value")
    spec = next((spec for spec in names.specs if spec["name"] == target), None)
    if spec is None:
        return
    if chosen and chosen not in LOG_FIELDS:
        problems.add(key, "请从列表中选择工作日志的数据。")
    elif chosen and spec["type"] != "count":
        problems.add(key, "只有个数（整数）可以从工作日志取数：请选择“个数”或“完成数 ÷ 目标数”，或选“否”。")
    elif chosen:
        spec["log"] = chosen
    else:
        spec.pop("log", None)


# ---------------------------------------------------------------- messages in words

_PARAM_IN_BRACKETS = re.compile(r"参数\s*([A-Za-z_]+)（([^）]*)）")
_PARAM = re.compile(r"参数\s*([A-Za-z_]+)")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def in_words(message: str, input_labels: Mapping[str, str]) -> str:
    """An engine message with its codes replaced by what a clerk reads on the form.

    "参数 otherwise（低于各档时得分）应在…" → "“低于各档时得分”应在…"; an input's name → its label; a
    rule's code → its Chinese name.
    """
    from assessment.rule_text import PARAM_LABELS, RULE_LABELS

    message = _PARAM_IN_BRACKETS.sub(lambda m: f"“{m.group(2)}”", message)
    message = _PARAM.sub(lambda m: f"“{PARAM_LABELS.get(m.group(1), m.group(1))}”", message)

    def word(match: re.Match) -> str:
        text = match.group(0)
        if text in input_labels:
            return f"“{input_labels[text]}”"
        if text in RULE_LABELS:
            return f"“{RULE_LABELS[text]}”"
        if text in PARAM_LABELS:
            return PARAM_LABELS[text]
        return text

    return _WORD.sub(word, message)
