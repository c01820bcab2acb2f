"""The rule kinds that give an item its points, each with a one-line explanation in Chinese.

One class per rule kind of DOMAIN.md "Score sheets". A rule is built once from its `ItemSpec`
(parameters parsed, decimals converted, expressions parsed) and then scores any number of sheets.
`score()` takes already validated values (see `assessment.engine.inputs`) and returns the item's
points, rounded half-up to 2 decimals exactly once, kept within 0..max, and the explanation line.

Parameters of the rules (decimals as strings):

- manual: input (a points input).
- per_count_deduction: input (a count), step; mode "each" (default; optional free_allowance) or
  "below" (required: each one below it deducts); unit （measure word, default 个）； label.
- rate_vs_target: the measure, target, step; optional per (default 1), shortfall ("points" or
  "relative"; default points for a percentage, relative for a count), partial_steps ("prorate"
  default, "whole_started", "whole_completed"), zero_denominator ("met" default, or "unmet"),
  label, unit.
- rate_vs_reference: as rate_vs_target, with reference (an input) instead of target; optional
  reference_factor (default 1), reference_minimum, reference_label.
- proportional: the measure (a percentage); points = max x rate / 100.
- gated_proportional: the measure and gates (conditions); 0 unless every gate holds.
- all_or_nothing: conditions; otherwise (default 0); label.
- capped_sum: no parameters; the sum of the sub-items, capped at the item's max.
- per_count_award: input (a count), points_each (> 0); unit (measure word, default 个); label.
  count x points_each, capped at the max ("每完成一人得1分，最高X分").
- step_table: the measure; steps (a list of {at_least, optional below (exclusive; omitted on the
  top step), points}, in any order, without gaps or overlaps); otherwise (points below every step,
  default 0); zero_denominator ("met" default: counts as 100%, or "unmet": otherwise); unit; label.
- per_condition: conditions, each with its points (> 0); label. The points of the conditions that
  hold, summed and capped at the max.
- per_unmet_deduction: conditions (each may carry its own step), step (for a condition without
  one); label. max - the steps of the conditions not met, not below 0 ("扣完为止").
- discretionary_deduction: input (a points input: the points deducted), reason (a text input),
  most (the largest deduction, default the max); label. max - deduction; a deduction needs a reason.

The measure is either numerator and denominator (expressions; the rate is 100 x n / d percent) or
value (an expression taken as it is). A condition is {"input", and one of "at_least", "at_most",
"equals"}.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar

from assessment.engine.decimal_math import (
    ZERO,
    NumberProblem,
    as_fraction,
    format_plain,
    format_two_places,
    parse_decimal,
    round_half_up,
)
from assessment.engine.expressions import Expression, ExpressionError, parse_expression
from assessment.engine.inputs import InputProblem
from assessment.engine.specs import InputSpec, ItemSpec

Values = Mapping[str, Any]


class RuleError(ValueError):
    """An item whose rule kind or parameters cannot be used; the message names the item."""


def _param_decimal(item: ItemSpec, params: Mapping[str, Any], name: str, default: Any = None) -> Decimal:
    raw = params.get(name, default)
    if raw is None:
        raise RuleError(f"缺少参数 {name}")
    if isinstance(raw, (bool, float)):
        # Floats would carry binary noise into money and points; policies write "0.05".
        raise RuleError(f'参数 {name} 应写成文本形式的小数，如 "0.05"')
    try:
        # Bounded: "1e99999999" would otherwise become a Fraction of a hundred million digits.
        return parse_decimal(raw)
    except NumberProblem as problem:
        shown = str(raw) if len(str(raw)) <= 24 else f"{str(raw)[:24]}…"
        raise RuleError(f"参数 {name} {problem}：{shown}") from None


def _param_step(item: ItemSpec, params: Mapping[str, Any]) -> Decimal:
    # A negative step would turn a deduction into a bonus; the cap would hide it.
    step = _param_decimal(item, params, "step")
    if step < 0:
        raise RuleError(f"参数 step 不能为负数：{step}")
    return step


def _param_whole_number(item: ItemSpec, params: Mapping[str, Any], name: str, default: Any = None) -> int:
    value = _param_decimal(item, params, name, default)
    if value != value.to_integral_value() or value < 0:
        raise RuleError(f"参数 {name} 应为不小于 0 的整数，而不是 {value}")
    return int(value)


def _param_expression(item: ItemSpec, params: Mapping[str, Any], name: str) -> Expression:
    try:
        return parse_expression(params.get(name))
    except ExpressionError as error:
        raise RuleError(f"参数 {name}：{error}") from error


def _param_choice(
    item: ItemSpec, params: Mapping[str, Any], name: str, choices: Sequence[str], default: str
) -> str:
    value = params.get(name, default)
    if value not in choices:
        raise RuleError(f"参数 {name} 应为 {'、'.join(choices)} 之一，而不是 {value!r}")
    return value


def _input_name(
    params: Mapping[str, Any],
    inputs: Mapping[str, InputSpec],
    types: Sequence[str],
    kind: str,
    name: str = "input",
) -> str:
    """The declared input a parameter names, refused unless it has one of `types`."""
    value = params.get(name)
    spec = inputs.get(value) if isinstance(value, str) else None
    if spec is None:
        raise RuleError(f"{kind} 规则的参数 {name} 应为已声明的输入，而不是 {value!r}")
    if spec.type not in types:
        raise RuleError(
            f"{kind} 规则的参数 {name} 应为 {'、'.join(types)} 类型的输入，{value} 是 {spec.type}"
        )
    return value


def _clamped_points(exact: Decimal | Fraction, max_points: Decimal) -> Decimal:
    """Keep an exact value within 0..max, then round it once, half-up to 2 decimals."""
    if exact <= 0:
        return ZERO
    if exact >= max_points:
        return round_half_up(max_points)
    return round_half_up(exact)


def _percent(value: Fraction | Decimal) -> str:
    return f"{format_two_places(value)}%"


def _spaced(unit: str) -> str:
    """A measure word after a number: " 次" (a space, as the other lines have), or nothing."""
    return f" {unit}" if unit else ""


@dataclass(frozen=True, slots=True)
class Condition:
    """A test on one input: at least, at most, or equal to a value (true/false for a flag)."""

    input: str
    operator: str
    value: Any
    label: str
    input_type: str

    def holds(self, values: Values) -> bool:
        actual = values[self.input]
        if self.operator == "at_least":
            return actual >= self.value
        if self.operator == "at_most":
            return actual <= self.value
        return actual == self.value

    def describe(self, values: Values) -> str:
        """ "跟踪回访率 98% 未达到 100%" or "培训达标：是"; says whether the condition holds."""
        actual = values[self.input]
        if self.input_type == "flag":
            return f"{self.label}：{'是' if actual else '否'}"
        suffix = "%" if self.input_type == "rate" else ""
        shown, wanted = f"{format_plain(actual)}{suffix}", f"{format_plain(self.value)}{suffix}"
        if self.operator == "at_least":
            verdict = "达到" if self.holds(values) else "未达到"
            return f"{self.label} {shown} {verdict} {wanted}"
        if self.operator == "at_most":
            verdict = "未超过" if self.holds(values) else "超过"
            return f"{self.label} {shown} {verdict} {wanted}"
        verdict = "等于" if self.holds(values) else "不等于"
        return f"{self.label} {shown} {verdict} {wanted}"


def _parse_conditions(
    item: ItemSpec, raw: Any, inputs: Mapping[str, InputSpec], name: str
) -> tuple[Condition, ...]:
    if not isinstance(raw, list) or not raw:
        raise RuleError(f"参数 {name} 应为非空的条件列表")
    conditions = []
    for entry in raw:
        if not isinstance(entry, Mapping) or "input" not in entry:
            raise RuleError(f"条件 {entry!r} 缺少 input")
        operators = [op for op in ("at_least", "at_most", "equals") if op in entry]
        if len(operators) != 1:
            raise RuleError(f"条件 {entry!r} 应有且只有 at_least、at_most、equals 之一")
        operator = operators[0]
        spec = inputs.get(entry["input"])
        if spec is None:
            raise RuleError(f"条件读取未声明的输入 {entry['input']}")
        if spec.type == "text":
            raise RuleError(f"条件不能读取文字输入 {spec.name}（文字只用于写明理由）")
        if spec.type == "flag":
            if operator != "equals" or not isinstance(entry[operator], bool):
                raise RuleError(f"条件对标志 {spec.name} 只能写 equals: true/false")
            value: Any = entry[operator]
        else:
            value = _param_decimal(item, entry, operator)
        conditions.append(
            Condition(input=spec.name, operator=operator, value=value, label=spec.label, input_type=spec.type)
        )
    return tuple(conditions)


class Measure:
    """What a rate rule compares: a percentage from a numerator and a denominator, or a value.

    `evaluate` returns the exact value as a `Fraction`, or None when a denominator is 0.
    """

    __slots__ = ("denominator", "is_percentage", "label_of_denominator", "numerator", "value")

    def __init__(self, item: ItemSpec, params: Mapping[str, Any], inputs: Mapping[str, InputSpec]):
        has_ratio = "numerator" in params or "denominator" in params
        if has_ratio == ("value" in params):
            raise RuleError("应给出 numerator 与 denominator，或者 value，二者取一")
        self.numerator: Expression | None = None
        self.denominator: Expression | None = None
        self.value: Expression | None = None
        if has_ratio:
            self.numerator = _param_expression(item, params, "numerator")
            self.denominator = _param_expression(item, params, "denominator")
            self.is_percentage = True
            labels = {name: spec.label for name, spec in inputs.items()}
            self.label_of_denominator = self.denominator.describe(labels)
        else:
            self.value = _param_expression(item, params, "value")
            # A value read from percentage inputs is a percentage; anything else is a count.
            self.is_percentage = all(
                inputs[name].type == "rate" for name in self.value.names if name in inputs
            )
            self.label_of_denominator = ""
        texts = [name for name in self.names if name in inputs and inputs[name].type == "text"]
        if texts:
            raise RuleError(f"文字输入 {'、'.join(texts)} 不能参与计算（文字只用于写明理由）")

    @property
    def names(self) -> tuple[str, ...]:
        if self.value is not None:
            return self.value.names
        return self.numerator.names + self.denominator.names

    def evaluate(self, values: Values) -> Fraction | None:
        if self.value is not None:
            return as_fraction(self.value.evaluate(values))
        denominator = self.denominator.evaluate(values)
        if denominator == 0:
            return None
        numerator = self.numerator.evaluate(values)
        if type(numerator) is int and type(denominator) is int:
            return Fraction(100 * numerator, denominator)
        return as_fraction(numerator) * 100 / as_fraction(denominator)

    def show(self, value: Fraction, unit: str = "") -> str:
        return _percent(value) if self.is_percentage else f"{format_plain(value)}{_spaced(unit)}"


class Rule:
    """Base of the rule kinds: holds the item's code, title and max, and the inputs it reads."""

    kind: ClassVar[str] = ""

    def __init__(self, item: ItemSpec, inputs: Mapping[str, InputSpec]):
        self.code = item.code
        self.title = item.title
        self.max_points = item.max_points
        self.max_shown = format_plain(item.max_points)
        self.max_fraction = as_fraction(item.max_points)
        self.full_points = round_half_up(item.max_points)
        self.label = item.params.get("label") or item.title

    @property
    def reads(self) -> tuple[str, ...]:
        """The input names the rule reads."""
        return ()

    def score(self, values: Values, explain: bool) -> tuple[Decimal, str]:
        raise NotImplementedError

    def check(self, values: Values) -> list[InputProblem]:
        """What is wrong with the item's inputs taken together, beyond each value's own type.

        `values` holds the values that passed their type check (a field may be missing); the
        rubric calls this for every rule on the sheet while checking a unit's inputs.
        """
        return []

    def points_bounds(self) -> dict[str, Decimal]:
        """The largest value each points input the rule reads may take (0..bound), by input name."""
        return {}

    def _full(self, lead: str, explain: bool) -> tuple[Decimal, str]:
        return self.full_points, (f"{lead}，得满分 {self.max_shown} 分" if explain else "")

    def _after_deduction(
        self, lead: str, deduction: Decimal | Fraction, explain: bool
    ) -> tuple[Decimal, str]:
        """Points after an exact deduction from the max, with "扣 x 分，得 y 分" or "扣完为止"."""
        # Decimal and Fraction do not mix in arithmetic; a Fraction deduction stays a Fraction.
        exact = self.max_fraction - deduction if type(deduction) is Fraction else self.max_points - deduction
        points = _clamped_points(exact, self.max_points)
        if not explain:
            return points, ""
        if points == 0 and deduction >= self.max_points:
            return points, f"{lead}，应扣 {format_two_places(deduction)} 分，扣完为止，得 0.00 分"
        # The deduction shown is max - points, so the line adds up to what the sheet shows.
        shown = round_half_up(self.max_points) - points
        return points, f"{lead}，扣 {shown} 分，得 {points} 分"


class ManualRule(Rule):
    """Points entered by the assessor, 0..max (validated with the inputs)."""

    kind = "manual"

    def __init__(self, item: ItemSpec, inputs: Mapping[str, InputSpec]):
        super().__init__(item, inputs)
        self.input = _input_name(item.params, inputs, ("points",), self.kind)

    @property
    def reads(self) -> tuple[str, ...]:
        return (self.input,)

    def points_bounds(self) -> dict[str, Decimal]:
        return {self.input: self.max_points}

    def score(self, values: Values, explain: bool) -> tuple[Decimal, str]:
        points = _clamped_points(values[self.input], self.max_points)
        return points, (f"{self.label}：评定得 {points} 分（满分 {self.max_shown} 分）" if explain else "")


class PerCountDeductionRule(Rule):
    """max - counted x step, not below 0; counted is each occurrence or each one below a requirement."""

    kind = "per_count_deduction"

    def __init__(self, item: ItemSpec, inputs: Mapping[str, InputSpec]):
        super().__init__(item, inputs)
        params = item.params
        self.input = _input_name(params, inputs, ("count",), self.kind)
        self.step = _param_step(item, params)
        self.step_shown = format_plain(self.step)
        self.mode = _param_choice(item, params, "mode", ("each", "below"), "each")
        self.unit = params.get("unit", "个")
        if self.mode == "below":
            self.required = _param_whole_number(item, params, "required")
            if "free_allowance" in params:
                raise RuleError("free_allowance 只用于 mode each")
        else:
            self.free_allowance = _param_whole_number(item, params, "free_allowance", 0)
            if "required" in params:
                raise RuleError("required 只用于 mode below")

    @property
    def reads(self) -> tuple[str, ...]:
        return (self.input,)

    def score(self, values: Values, explain: bool) -> tuple[Decimal, str]:
        count = values[self.input]
        unit = self.unit
        if self.mode == "below":
            missing = self.required - count
            lead = f"{self.label} {count} {unit}" if explain else ""
            if missing <= 0:
                return self._full(f"{lead}，达到要求的 {self.required} {unit}", explain)
            lead = (
                f"{lead}，比要求的 {self.required} {unit}少 {missing} {unit}，"
                f"每少 1 {unit}扣 {self.step_shown} 分"
            )
            return self._after_deduction(lead, missing * self.step, explain)
        counted = count - self.free_allowance
        lead = f"{self.label} {count} {unit}" if explain else ""
        if counted <= 0:
            if self.free_allowance and count:
                lead = f"{lead}，未超过不扣分的 {self.free_allowance} {unit}"
            return self._full(lead, explain)
        if self.free_allowance:
            lead = f"{lead}，超出不扣分的 {self.free_allowance} {unit} {counted} {unit}"
        return self._after_deduction(f"{lead}，每{unit}扣 {self.step_shown} 分", counted * self.step, explain)


class ShortfallRule(Rule):
    """max when the measure reaches its target, else max - shortfall x step (prorated), not below 0.

    Serves rate_vs_target (a fixed target) and rate_vs_reference (the target is an input, times an
    optional factor, at least an optional minimum).
    """

    kind = "rate_vs_target"

    def __init__(self, item: ItemSpec, inputs: Mapping[str, InputSpec]):
        super().__init__(item, inputs)
        params = item.params
        self.measure = Measure(item, params, inputs)
        self.step = _param_step(item, params)
        self.per = as_fraction(_param_decimal(item, params, "per", "1"))
        if self.per <= 0:
            raise RuleError("参数 per 须大于 0")
        self.step_fraction = as_fraction(self.step)
        default_shortfall = "points" if self.measure.is_percentage else "relative"
        self.shortfall_mode = _param_choice(
            item, params, "shortfall", ("points", "relative"), default_shortfall
        )
        self.partial_steps = _param_choice(
            item, params, "partial_steps", ("prorate", "whole_started", "whole_completed"), "prorate"
        )
        self.zero_denominator_met = (
            _param_choice(item, params, "zero_denominator", ("met", "unmet"), "met") == "met"
        )
        self.unit = params.get("unit", "")
        self._init_target(item, params, inputs)

    def _init_target(
        self, item: ItemSpec, params: Mapping[str, Any], inputs: Mapping[str, InputSpec]
    ) -> None:
        if "reference" in params:
            raise RuleError("rate_vs_target 用固定的 target；目标取自输入时请用 rate_vs_reference")
        self.target = as_fraction(_param_decimal(item, params, "target"))
        suffix = "%" if self.measure.is_percentage else _spaced(self.unit)
        self.target_shown = f"目标 {format_plain(self.target)}{suffix}"

    @property
    def reads(self) -> tuple[str, ...]:
        return self.measure.names

    def target_for(self, values: Values) -> Fraction:
        return self.target

    def describe_target(self, target: Fraction, values: Values) -> str:
        return self.target_shown

    def score(self, values: Values, explain: bool) -> tuple[Decimal, str]:
        measured = self.measure.evaluate(values)
        if measured is None:
            if self.zero_denominator_met:
                return self._full(f"{self.label}：{self.measure.label_of_denominator}为 0，视为达标", explain)
            return ZERO, (f"{self.label}：{self.measure.label_of_denominator}为 0，不得分" if explain else "")
        target = self.target_for(values)
        if measured >= target or target <= 0:
            if not explain:
                return self.full_points, ""
            shown = self.measure.show(measured, self.unit)
            return self._full(f"{self.label} {shown} 达到{self.describe_target(target, values)}", explain)
        if self.shortfall_mode == "points":
            shortfall = target - measured
            shortfall_unit = " 个百分点"
        else:
            shortfall = (target - measured) * 100 / target
            shortfall_unit = "%"
        units = shortfall / self.per if self.per != 1 else shortfall
        if self.partial_steps == "whole_started":
            units = Fraction(math.ceil(units))
        elif self.partial_steps == "whole_completed":
            units = Fraction(math.floor(units))
        deduction = units * self.step_fraction
        if not explain:
            return self._after_deduction("", deduction, explain)
        lead = (
            f"{self.label} {self.measure.show(measured, self.unit)} "
            f"低于{self.describe_target(target, values)}，少 {format_two_places(shortfall)}{shortfall_unit}"
        )
        if self.partial_steps != "prorate":
            lead = f"{lead}，按 {units} 档计"
        return self._after_deduction(lead, deduction, explain)


class ReferenceShortfallRule(ShortfallRule):
    """rate_vs_target with the target read from an input (a provincial average, last year's rate)."""

    kind = "rate_vs_reference"

    def _init_target(
        self, item: ItemSpec, params: Mapping[str, Any], inputs: Mapping[str, InputSpec]
    ) -> None:
        if "target" in params:
            raise RuleError("rate_vs_reference 的目标取自 reference 输入，不用 target")
        self.reference = _input_name(params, inputs, ("count", "rate", "number"), self.kind, "reference")
        spec = inputs[self.reference]
        self.reference_factor = as_fraction(_param_decimal(item, params, "reference_factor", "1"))
        minimum = params.get("reference_minimum")
        self.reference_minimum = (
            None if minimum is None else as_fraction(_param_decimal(item, params, "reference_minimum"))
        )
        self.reference_label = params.get("reference_label") or spec.label
        self.target_suffix = "%" if spec.type == "rate" else _spaced(self.unit)

    @property
    def reads(self) -> tuple[str, ...]:
        return (*self.measure.names, self.reference)

    def target_for(self, values: Values) -> Fraction:
        target = as_fraction(values[self.reference])
        if self.reference_factor != 1:
            target *= self.reference_factor
        if self.reference_minimum is not None and target < self.reference_minimum:
            return self.reference_minimum
        return target

    def describe_target(self, target: Fraction, values: Values) -> str:
        return f"{self.reference_label} {format_plain(target)}{self.target_suffix}"


class ProportionalRule(Rule):
    """rate x max / 100 for a percentage measure; a 0 denominator counts as 100% by default."""

    kind = "proportional"

    def __init__(self, item: ItemSpec, inputs: Mapping[str, InputSpec]):
        super().__init__(item, inputs)
        self.measure = Measure(item, item.params, inputs)
        if not self.measure.is_percentage:
            raise RuleError(f" {self.kind} 规则须按百分比计分")
        self.zero_denominator_met = (
            _param_choice(item, item.params, "zero_denominator", ("met", "unmet"), "met") == "met"
        )

    @property
    def reads(self) -> tuple[str, ...]:
        return self.measure.names

    def _proportional(self, values: Values, explain: bool, lead_in: str = "") -> tuple[Decimal, str]:
        measured = self.measure.evaluate(values)
        if measured is None:
            if self.zero_denominator_met:
                return self._full(
                    f"{lead_in}{self.label}：{self.measure.label_of_denominator}为 0，视为 100%", explain
                )
            return ZERO, (
                f"{lead_in}{self.label}：{self.measure.label_of_denominator}为 0，不得分" if explain else ""
            )
        if measured >= 100:
            return self._full(f"{lead_in}{self.label} {_percent(measured)}", explain)
        points = _clamped_points(measured * self.max_fraction / 100, self.max_points)
        if not explain:
            return points, ""
        shown = _percent(measured)
        return points, f"{lead_in}{self.label} {shown}，按 {shown} × {self.max_shown} 分计，得 {points} 分"

    def score(self, values: Values, explain: bool) -> tuple[Decimal, str]:
        return self._proportional(values, explain)


class GatedProportionalRule(ProportionalRule):
    """As proportional when every gate holds, else 0 (Heshan 2.4.2)."""

    kind = "gated_proportional"

    def __init__(self, item: ItemSpec, inputs: Mapping[str, InputSpec]):
        super().__init__(item, inputs)
        self.gates = _parse_conditions(item, item.params.get("gates"), inputs, "gates")

    @property
    def reads(self) -> tuple[str, ...]:
        return (*(gate.input for gate in self.gates), *self.measure.names)

    def score(self, values: Values, explain: bool) -> tuple[Decimal, str]:
        failing = [gate for gate in self.gates if not gate.holds(values)]
        if failing:
            reason = "、".join(gate.describe(values) for gate in failing) if explain else ""
            return ZERO, (f"{reason}，{self.label}不计分，得 0.00 分" if explain else "")
        lead_in = f"{'、'.join(gate.label for gate in self.gates)}均达到要求，" if explain else ""
        return self._proportional(values, explain, lead_in)


class AllOrNothingRule(Rule):
    """max when every condition holds, else a fixed lower value (0 unless `otherwise` says)."""

    kind = "all_or_nothing"

    def __init__(self, item: ItemSpec, inputs: Mapping[str, InputSpec]):
        super().__init__(item, inputs)
        self.conditions = _parse_conditions(item, item.params.get("conditions"), inputs, "conditions")
        otherwise = _param_decimal(item, item.params, "otherwise", "0")
        if not 0 <= otherwise <= item.max_points:
            raise RuleError("参数 otherwise 须在 0 与满分之间")
        self.otherwise = round_half_up(otherwise)

    @property
    def reads(self) -> tuple[str, ...]:
        return tuple(condition.input for condition in self.conditions)

    def score(self, values: Values, explain: bool) -> tuple[Decimal, str]:
        failing = [condition for condition in self.conditions if not condition.holds(values)]
        if not failing:
            described = (
                "、".join(condition.describe(values) for condition in self.conditions) if explain else ""
            )
            return self._full(described, explain)
        if not explain:
            return self.otherwise, ""
        described = "、".join(condition.describe(values) for condition in failing)
        return self.otherwise, f"{described}，得 {self.otherwise} 分（满分 {self.max_shown} 分）"


class PerCountAwardRule(Rule):
    """count x points_each, capped at the max: "每完成一人得1分，最高10分"."""

    kind = "per_count_award"

    def __init__(self, item: ItemSpec, inputs: Mapping[str, InputSpec]):
        super().__init__(item, inputs)
        params = item.params
        self.input = _input_name(params, inputs, ("count",), self.kind)
        self.points_each = _param_decimal(item, params, "points_each")
        if self.points_each <= 0:
            raise RuleError(f"参数 points_each（每个得分）应大于 0，而不是 {format_plain(self.points_each)}")
        self.each_shown = format_plain(self.points_each)
        self.unit = params.get("unit") or "个"

    @property
    def reads(self) -> tuple[str, ...]:
        return (self.input,)

    def score(self, values: Values, explain: bool) -> tuple[Decimal, str]:
        count = values[self.input]
        earned = count * self.points_each
        points = _clamped_points(earned, self.max_points)
        if not explain:
            return points, ""
        line = f"{self.label} {count} {self.unit}，每{self.unit}得 {self.each_shown} 分，计 {format_plain(earned)} 分"
        if earned > self.max_points:
            line = f"{line}，超过满分 {self.max_shown} 分"
        return points, f"{line}，得 {points} 分"


@dataclass(frozen=True, slots=True)
class Step:
    """A row of a step table: at_least (inclusive) up to below (exclusive; None on the top step)."""

    at_least: Fraction
    below: Fraction | None
    points: Decimal

    @property
    def span(self) -> str:
        """ "85 至 95" or "90 以上", as a step is named in a message about the table."""
        if self.below is None:
            return f"{format_plain(self.at_least)} 以上"
        return f"{format_plain(self.at_least)} 至 {format_plain(self.below)}"


def _parse_steps(item: ItemSpec, raw: Any) -> tuple[Step, ...]:
    """The steps in ascending order; refused unless they cover everything from the lowest one up."""
    if not isinstance(raw, list) or not raw:
        raise RuleError("分档表没有任何档次（参数 steps 应为档次列表）")
    steps = []
    for number, entry in enumerate(raw, start=1):
        if not isinstance(entry, Mapping):
            raise RuleError(f"分档表第 {number} 档应写明 at_least（下限）与 points（得分）")
        unknown = [key for key in entry if key not in ("at_least", "below", "points")]
        if unknown:
            raise RuleError(
                f"分档表第 {number} 档有不认识的参数 {'、'.join(map(str, unknown))}（可用 at_least、below、points）"
            )
        try:
            at_least = _param_decimal(item, entry, "at_least")
            points = _param_decimal(item, entry, "points")
            below = None if entry.get("below") is None else _param_decimal(item, entry, "below")
        except RuleError as error:
            raise RuleError(f"分档表第 {number} 档：{error}") from error
        if at_least < 0:
            raise RuleError(f"分档表第 {number} 档的下限 {format_plain(at_least)} 不能为负数")
        if points < 0:
            raise RuleError(f"分档表第 {number} 档的得分 {format_plain(points)} 不能为负数")
        if below is not None and below <= at_least:
            raise RuleError(
                f"分档表第 {number} 档的上限 {format_plain(below)} 应大于下限 {format_plain(at_least)}"
            )
        step = Step(
            as_fraction(at_least), None if below is None else as_fraction(below), round_half_up(points)
        )
        if points > item.max_points:
            raise RuleError(
                f"分档表“{step.span}”一档得 {format_plain(points)} 分，超过本项满分 {format_plain(item.max_points)} 分"
            )
        steps.append(step)
    steps.sort(key=lambda step: step.at_least)
    for lower, upper in itertools.pairwise(steps):
        if lower.below is None or lower.below > upper.at_least:
            raise RuleError(f"分档表“{lower.span}”与“{upper.span}”重叠")
        if lower.below < upper.at_least:
            raise RuleError(
                f"分档表 {format_plain(lower.below)} 至 {format_plain(upper.at_least)} 之间没有对应的档次"
            )
    top = steps[-1]
    if top.below is not None:
        # A top step "80 至 100" would leave 100% itself without points.
        raise RuleError(
            f"分档表最高一档“{top.span}”设了上限，{format_plain(top.below)} 及以上没有对应的档次；最高一档不写上限"
        )
    return tuple(steps)


class StepTableRule(Rule):
    """The points of the step the measure falls in: "达到90%计3分，80%至90%计2分……；一半以下不得分"."""

    kind = "step_table"

    def __init__(self, item: ItemSpec, inputs: Mapping[str, InputSpec]):
        super().__init__(item, inputs)
        params = item.params
        self.measure = Measure(item, params, inputs)
        self.steps = _parse_steps(item, params.get("steps"))
        # Highest first, so the first step at or below the value is the one it falls in.
        self.descending = tuple(reversed(self.steps))
        otherwise = _param_decimal(item, params, "otherwise", "0")
        if not 0 <= otherwise <= item.max_points:
            raise RuleError(f"参数 otherwise（低于各档时得分）应在 0 与本项满分 {self.max_shown} 分之间")
        self.otherwise = round_half_up(otherwise)
        self.zero_denominator_met = (
            _param_choice(item, params, "zero_denominator", ("met", "unmet"), "met") == "met"
        )
        self.unit = params.get("unit", "")

    @property
    def reads(self) -> tuple[str, ...]:
        return self.measure.names

    def _bound(self, value: Fraction) -> str:
        return (
            f"{format_plain(value)}%"
            if self.measure.is_percentage
            else f"{format_plain(value)}{_spaced(self.unit)}"
        )

    def _placed(self, measured: Fraction, lead: str, explain: bool) -> tuple[Decimal, str]:
        for step in self.descending:
            if measured >= step.at_least:
                if not explain:
                    return step.points, ""
                if step.below is None:
                    where = f"在 {self._bound(step.at_least)}（含）以上一档"
                else:
                    where = f"在 {self._bound(step.at_least)}（含）至 {self._bound(step.below)} 一档"
                return step.points, f"{lead}，{where}，得 {step.points} 分"
        if not explain:
            return self.otherwise, ""
        return (
            self.otherwise,
            f"{lead}，低于最低一档 {self._bound(self.steps[0].at_least)}，得 {self.otherwise} 分",
        )

    def score(self, values: Values, explain: bool) -> tuple[Decimal, str]:
        measured = self.measure.evaluate(values)
        if measured is None:
            zero = f"{self.label}：{self.measure.label_of_denominator}为 0" if explain else ""
            if self.zero_denominator_met:
                return self._placed(Fraction(100), f"{zero}，视为 100%", explain)
            return self.otherwise, (f"{zero}，得 {self.otherwise} 分" if explain else "")
        lead = f"{self.label} {self.measure.show(measured, self.unit)}" if explain else ""
        return self._placed(measured, lead, explain)


def _condition_phrase(condition: Condition, values: Values) -> str:
    """A condition in a list of met or unmet ones: a flag wanted true by its label, else described."""
    if condition.input_type == "flag" and condition.value is True:
        return condition.label
    return condition.describe(values)


class PerConditionRule(Rule):
    """The points of each condition that holds, summed, capped at the max: "落实的得1分，建立的得2分"."""

    kind = "per_condition"

    def __init__(self, item: ItemSpec, inputs: Mapping[str, InputSpec]):
        super().__init__(item, inputs)
        raw = item.params.get("conditions")
        self.conditions = _parse_conditions(item, raw, inputs, "conditions")
        points = []
        for number, entry in enumerate(raw, start=1):
            try:
                value = _param_decimal(item, entry, "points")
            except RuleError as error:
                raise RuleError(f"第 {number} 个条件：{error}") from error
            if value <= 0:
                raise RuleError(f"第 {number} 个条件的得分（points）应大于 0，而不是 {format_plain(value)}")
            points.append(value)
        self.points = tuple(points)

    @property
    def reads(self) -> tuple[str, ...]:
        return tuple(condition.input for condition in self.conditions)

    def score(self, values: Values, explain: bool) -> tuple[Decimal, str]:
        earned = sum(
            (
                points
                for condition, points in zip(self.conditions, self.points, strict=True)
                if condition.holds(values)
            ),
            Decimal(0),
        )
        points = _clamped_points(earned, self.max_points)
        if not explain:
            return points, ""
        met, unmet = [], []
        for condition, each in zip(self.conditions, self.points, strict=True):
            if condition.holds(values):
                met.append(f"{_condition_phrase(condition, values)}（{format_plain(each)} 分）")
            else:
                unmet.append(_condition_phrase(condition, values))
        parts = []
        if met:
            parts.append(f"达到：{'、'.join(met)}")
        if unmet:
            parts.append(f"未达到：{'、'.join(unmet)}")
        line = f"{'；'.join(parts)}；合计 {format_plain(earned)} 分"
        if earned > self.max_points:
            line = f"{line}，超过满分 {self.max_shown} 分"
        return points, f"{line}，得 {points} 分"


class PerUnmetDeductionRule(Rule):
    """max less a step for each condition not met, not below 0: "一项未完成的扣1分，扣完为止"."""

    kind = "per_unmet_deduction"

    def __init__(self, item: ItemSpec, inputs: Mapping[str, InputSpec]):
        super().__init__(item, inputs)
        params = item.params
        raw = params.get("conditions")
        self.conditions = _parse_conditions(item, raw, inputs, "conditions")
        default = _param_step(item, params) if params.get("step") is not None else None
        steps = []
        for number, entry in enumerate(raw, start=1):
            if entry.get("step") is None:
                if default is None:
                    raise RuleError(
                        f"第 {number} 个条件没有扣分：请写参数 step（每项扣分），或在该条件上写 step"
                    )
                steps.append(default)
                continue
            try:
                steps.append(_param_step(item, entry))
            except RuleError as error:
                raise RuleError(f"第 {number} 个条件：{error}") from error
        self.steps = tuple(steps)

    @property
    def reads(self) -> tuple[str, ...]:
        return tuple(condition.input for condition in self.conditions)

    def score(self, values: Values, explain: bool) -> tuple[Decimal, str]:
        unmet = [
            (condition, step)
            for condition, step in zip(self.conditions, self.steps, strict=True)
            if not condition.holds(values)
        ]
        if not unmet:
            if not explain:
                return self.full_points, ""
            return self._full(
                f"{'、'.join(condition.label for condition in self.conditions)}均达到要求", explain
            )
        deduction = sum((step for _, step in unmet), Decimal(0))
        if not explain:
            return self._after_deduction("", deduction, explain)
        if len({step for _, step in unmet}) == 1:
            listed = "、".join(_condition_phrase(condition, values) for condition, _ in unmet)
            lead = f"未达到：{listed}，每项扣 {format_plain(unmet[0][1])} 分"
        else:
            listed = "、".join(
                f"{_condition_phrase(condition, values)}（扣 {format_plain(step)} 分）"
                for condition, step in unmet
            )
            lead = f"未达到：{listed}"
        return self._after_deduction(lead, deduction, explain)


class DiscretionaryDeductionRule(Rule):
    """max less the points the assessor deducts (0..most), with the reason written: "未完成酌情扣分"."""

    kind = "discretionary_deduction"

    def __init__(self, item: ItemSpec, inputs: Mapping[str, InputSpec]):
        super().__init__(item, inputs)
        params = item.params
        self.input = _input_name(params, inputs, ("points",), self.kind)
        self.reason = _input_name(params, inputs, ("text",), self.kind, "reason")
        if self.reason == self.input:
            raise RuleError("参数 input（扣分）与 reason（理由）应为两个不同的输入")
        self.most = _param_decimal(item, params, "most", item.max_points)
        if not 0 < self.most <= item.max_points:
            raise RuleError(
                f"参数 most（最多扣分）应大于 0 且不超过本项满分 {self.max_shown} 分，而不是 {format_plain(self.most)}"
            )
        self.most_shown = format_plain(self.most)
        # Only a label the policy wrote leads the line; the item's title is shown beside it anyway.
        self.lead = f"{params['label']}：" if params.get("label") else ""
        self.input_label = inputs[self.input].label
        self.reason_label = inputs[self.reason].label

    @property
    def reads(self) -> tuple[str, ...]:
        return (self.input, self.reason)

    def points_bounds(self) -> dict[str, Decimal]:
        return {self.input: self.most}

    def check(self, values: Values) -> list[InputProblem]:
        deduction = values.get(self.input)
        if deduction is None:
            return []
        if not 0 <= deduction <= self.most:
            return [InputProblem(self.input, f"扣分应在 0 到 {self.most_shown} 分之间（{self.input_label}）")]
        # A reason that failed its own check (not text, too long) is reported once, by that check.
        if deduction > 0 and self.reason in values and not values[self.reason]:
            return [InputProblem(self.reason, f"酌情扣分须写明理由（{self.reason_label}）")]
        return []

    def score(self, values: Values, explain: bool) -> tuple[Decimal, str]:
        deduction = values[self.input]
        if deduction <= 0:
            return self._full(f"{self.lead}未扣分", explain)
        points = _clamped_points(self.max_points - deduction, self.max_points)
        if not explain:
            return points, ""
        reason = values.get(self.reason) or "未写明"
        return points, f"{self.lead}酌情扣 {format_plain(deduction)} 分（理由：{reason}），得 {points} 分"


RULE_CLASSES: dict[str, type[Rule]] = {
    rule.kind: rule
    for rule in (
        ManualRule,
        PerCountDeductionRule,
        ShortfallRule,
        ReferenceShortfallRule,
        ProportionalRule,
        GatedProportionalRule,
        AllOrNothingRule,
        PerCountAwardRule,
        StepTableRule,
        PerConditionRule,
        PerUnmetDeductionRule,
        DiscretionaryDeductionRule,
    )
}


def build_rule(item: ItemSpec, inputs: Mapping[str, InputSpec]) -> Rule:
    """Build the rule of a leaf item; raise `RuleError` when its kind or parameters are unusable.

    `inputs` maps every input name the rubric declares to its spec; a rule may read only those.
    capped_sum is not built here: it needs the item's sub-items and is handled by the rubric.
    """
    rule_class = RULE_CLASSES.get(item.rule)
    if rule_class is None:
        raise RuleError(f"计分规则 {item.rule!r} 未知")
    rule = rule_class(item, inputs)
    undeclared = [name for name in rule.reads if name not in inputs]
    if undeclared:
        raise RuleError(f"读取未声明的输入：{', '.join(undeclared)}")
    own = {spec.name for spec in item.inputs}
    not_listed = [name for name in rule.reads if name not in own]
    if not_listed:
        raise RuleError(f"读取的输入未列在本项 inputs 中：{', '.join(not_listed)}")
    return rule
