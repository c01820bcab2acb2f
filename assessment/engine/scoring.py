"""Scoring a score sheet: compile a rubric once, then score any number of sheets with it.

`compile_rubric` turns a `RubricSpec` into a `CompiledRubric`: every rule built and every table a
sheet needs (items per station kind, input fields per kind, part-whole checks) worked out in
advance, so scoring a province's hundreds of thousands of monthly sheets does no parsing at all.

Points follow DOMAIN.md: an item is rounded half-up to 2 decimals once and kept within 0..max; an
item with sub-items is their sum capped at its max; a section is the sum of its items capped at
its max; a sheet is the sum of its sections. An item "scored from month M" earns full points in
earlier months.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from assessment.engine.decimal_math import ZERO, format_plain, round_half_up
from assessment.engine.expressions import Expression, ExpressionError, parse_expression
from assessment.engine.inputs import InputProblem, parse_input_value
from assessment.engine.rules import DiscretionaryDeductionRule, Measure, Rule, RuleError, build_rule
from assessment.engine.specs import INPUT_TYPES, LOG_FIELDS, InputSpec, ItemSpec, RubricSpec


@dataclass(frozen=True, slots=True)
class RubricFinding:
    """Something wrong or doubtful in a rubric; "error" stops compiling, "warning" is scored through."""

    code: str
    message: str
    severity: str = "error"


class RubricError(ValueError):
    """A rubric that cannot be scored; `findings` lists every reason."""

    def __init__(self, findings: Sequence[RubricFinding]):
        self.findings = tuple(findings)
        super().__init__(";".join(f"{finding.code}:{finding.message}" for finding in self.findings))


@dataclass(frozen=True, slots=True)
class ItemResult:
    """An item's points with its explanation; `children` holds sub-item results (capped_sum)."""

    code: str
    title: str
    points: Decimal
    max_points: Decimal
    explanation: str
    children: tuple[ItemResult, ...] = ()
    capped: bool = False

    def leaves(self) -> Iterator[ItemResult]:
        """This result when it has no sub-items, else the leaf results below it, in order."""
        if not self.children:
            yield self
            return
        for child in self.children:
            yield from child.leaves()


@dataclass(frozen=True, slots=True)
class SectionResult:
    """A section's total, capped at its max (`capped` says when the cap took points away)."""

    code: str
    title: str
    points: Decimal
    max_points: Decimal
    capped: bool
    explanation: str
    items: tuple[ItemResult, ...]


@dataclass(frozen=True, slots=True)
class SheetResult:
    """A scored sheet: the total (sum of the sections) and every section's and item's result."""

    total: Decimal
    sections: tuple[SectionResult, ...]

    def items(self) -> Iterator[ItemResult]:
        """Every item result, top-level items only, in sheet order."""
        for section in self.sections:
            yield from section.items

    def leaf_points(self) -> dict[str, Decimal]:
        """The points of every leaf item (sub-items instead of their heading), keyed by item code."""
        return {leaf.code: leaf.points for item in self.items() for leaf in item.leaves()}

    def explanation_lines(self) -> list[str]:
        """One line per section and per item, indented by level, for a printed or exported sheet."""
        lines = []
        for section in self.sections:
            lines.append(f"{section.code} {section.title}:{section.explanation}")
            for item in section.items:
                lines.extend(_item_lines(item, depth=1))
        lines.append(f"合计 {self.total} 分")
        return lines


def _item_lines(item: ItemResult, depth: int) -> list[str]:
    lines = [f"{'  ' * depth}{item.code} {item.title}：{item.points} 分。{item.explanation}"]
    for child in item.children:
        lines.extend(_item_lines(child, depth + 1))
    return lines


class CompiledItem:
    """An item ready to score: its rule built, or its sub-items compiled for a capped sum."""

    __slots__ = (
        "children",
        "code",
        "full_points",
        "max_points",
        "max_shown",
        "rule",
        "scored_from_month",
        "title",
    )

    def __init__(self, spec: ItemSpec, rule: Rule | None, children: tuple[CompiledItem, ...]):
        self.code = spec.code
        self.title = spec.title
        self.max_points = spec.max_points
        self.max_shown = format_plain(spec.max_points)
        self.full_points = round_half_up(spec.max_points)
        self.scored_from_month = spec.scored_from_month
        self.rule = rule
        self.children = children

    def score(self, values: Mapping[str, Any], month: int | None, explain: bool) -> ItemResult:
        if self.children:
            return self._score_capped_sum(values, month, explain)
        if self.scored_from_month is not None and month is not None and month < self.scored_from_month:
            explanation = (
                f"{self.scored_from_month} 月起计分，{month} 月得满分 {self.max_shown} 分" if explain else ""
            )
            return ItemResult(self.code, self.title, self.full_points, self.max_points, explanation)
        points, explanation = self.rule.score(values, explain)
        return ItemResult(self.code, self.title, points, self.max_points, explanation)

    def _score_capped_sum(self, values: Mapping[str, Any], month: int | None, explain: bool) -> ItemResult:
        children = tuple(child.score(values, month, explain) for child in self.children)
        subtotal = sum((child.points for child in children), ZERO)
        capped = subtotal > self.max_points
        points = self.full_points if capped else subtotal
        explanation = ""
        if explain:
            parts = " + ".join(f"{child.code} {child.points}" for child in children)
            explanation = f"分项合计 {parts} = {subtotal} 分"
            if capped:
                explanation = f"{explanation}，超过本项满分 {self.max_shown} 分，按 {self.max_shown} 分计"
        return ItemResult(self.code, self.title, points, self.max_points, explanation, children, capped)


class CompiledSection:
    """A section's items for one station kind."""

    __slots__ = ("code", "full_points", "items", "max_points", "max_shown", "title")

    def __init__(self, code: str, title: str, max_points: Decimal, items: tuple[CompiledItem, ...]):
        self.code = code
        self.title = title
        self.max_points = max_points
        self.max_shown = format_plain(max_points)
        self.full_points = round_half_up(max_points)
        self.items = items

    def score(self, values: Mapping[str, Any], month: int | None, explain: bool) -> SectionResult:
        items = tuple(item.score(values, month, explain) for item in self.items)
        subtotal = sum((item.points for item in items), ZERO)
        capped = subtotal > self.max_points
        points = self.full_points if capped else subtotal
        explanation = ""
        if explain:
            explanation = f"合计 {subtotal} 分"
            if capped:
                explanation = f"{explanation}，超过本部分满分 {self.max_shown} 分，按 {self.max_shown} 分计"
        return SectionResult(self.code, self.title, points, self.max_points, capped, explanation, items)


@dataclass(frozen=True, slots=True)
class FieldRule:
    """How one input field is read for one station kind: its spec, and from which month it is needed."""

    spec: InputSpec
    needed_from_month: int | None  # None: never needed for this kind (another kind's field)
    points_max: Decimal | None
    # A discretionary deduction's points: the points taken off, so its messages say 扣分.
    deduction: bool = False


class CompiledRubric:
    """A rubric compiled for a policy's station kinds; scores and checks sheets without re-parsing.

    Build it with `compile_rubric`. It is immutable after construction and safe to share.
    """

    def __init__(
        self,
        spec: RubricSpec,
        kinds: tuple[str, ...],
        inputs: dict[str, InputSpec],
        sections_by_kind: dict[str, tuple[CompiledSection, ...]],
        fields_by_kind: dict[str, dict[str, FieldRule]],
        part_whole: tuple[tuple[str, Expression], ...],
        denominators_by_kind: dict[str, tuple[tuple[Expression, int | None], ...]],
        checks_by_kind: dict[str, tuple[tuple[Rule, int | None], ...]] | None = None,
    ):
        self.spec = spec
        self.kinds = kinds
        self.inputs = inputs
        self._sections_by_kind = sections_by_kind
        self._fields_by_kind = fields_by_kind
        self._part_whole = part_whole
        self._denominators_by_kind = denominators_by_kind
        # The rules with checks of their own (a deduction needs its reason), with their first month.
        self._checks_by_kind = checks_by_kind or {}
        self._labels = {name: input_spec.label for name, input_spec in inputs.items()}

    def _sections(self, kind: str) -> tuple[CompiledSection, ...]:
        try:
            return self._sections_by_kind[kind]
        except KeyError:
            raise ValueError(f"考核表不适用于类型 {kind!r}") from None

    def leaf_codes(self, kind: str) -> tuple[str, ...]:
        """The codes of the leaf items on a sheet of `kind`, in sheet order."""

        def leaves(item: CompiledItem) -> Iterator[str]:
            if not item.children:
                yield item.code
            for child in item.children:
                yield from leaves(child)

        return tuple(
            code for section in self._sections(kind) for item in section.items for code in leaves(item)
        )

    def field_names(self, kind: str, month: int | None = None) -> tuple[str, ...]:
        """The input fields a sheet of `kind` must give in `month` (None: a yearly sheet)."""
        return tuple(
            name
            for name, rule in self._fields_by_kind[kind].items()
            if rule.needed_from_month is not None and (month is None or month >= rule.needed_from_month)
        )

    def field_rules(self, kind: str, month: int | None = None) -> tuple[FieldRule, ...]:
        """The fields a sheet of `kind` asks for in `month`, each with its spec and points bound, in order.

        This is what a form needs to draw the sheet: name, type and label from `FieldRule.spec`, and
        for a manual item the largest points it accepts (`FieldRule.points_max`).
        """
        fields = self._fields_by_kind[kind]
        return tuple(fields[name] for name in self.field_names(kind, month))

    def score_sheet(
        self, values: Mapping[str, Any], *, kind: str, month: int | None = None, explain: bool = True
    ) -> SheetResult:
        """Score one sheet of a unit of `kind` for `month` (1..12; None for a yearly sheet).

        `values` must be the checked values from `parse_inputs` (exact types, every needed field
        present); scoring does not check them again, so a bulk run pays for checking once. With
        `explain=False` no explanation text is built, for bulk runs that only need the points.
        Raises ValueError for a kind the rubric was not compiled for.
        """
        sections = tuple(section.score(values, month, explain) for section in self._sections(kind))
        total = sum((section.points for section in sections), ZERO)
        return SheetResult(total=total, sections=sections)

    def parse_inputs(
        self, raw: Any, *, kind: str, month: int | None = None
    ) -> tuple[dict[str, Any], list[InputProblem]]:
        """Check a unit's raw inputs for a sheet of `kind` in `month`; return (values, problems).

        Reports every problem at once: a missing field, a value of the wrong type, a negative
        number, a count that is not whole, a percentage outside 0..100, manual points outside
        0..max, a part larger than its whole, a field the rubric does not know, and what a rule
        checks itself (a discretionary deduction without its reason). Fields of items not yet scored
        in `month` (scored from a later month) and fields of another station kind may be left out;
        when given they are still checked. A text field left out reads as "" (its rule decides
        whether it is needed). `values` is complete only without problems.
        """
        if not isinstance(raw, Mapping):
            return {}, [InputProblem(field="", message="输入项应为一个对象（字段名： 值）")]
        fields = self._fields_by_kind.get(kind)
        if fields is None:
            return {}, [InputProblem(field="kind", message=f"考核表不适用于类型 {kind!r}")]
        values: dict[str, Any] = {}
        problems: list[InputProblem] = []
        for name, rule in fields.items():
            needed = rule.needed_from_month is not None and (month is None or month >= rule.needed_from_month)
            if name not in raw:
                if rule.spec.type == "text":
                    # A form leaves an empty reason out; no reason is "", not a missing field.
                    values[name] = ""
                elif needed:
                    problems.append(InputProblem(field=name, message=f"缺少该项（{rule.spec.label}）"))
                continue
            value, message = parse_input_value(rule.spec.type, raw[name], rule.points_max)
            if message is not None:
                if rule.deduction:
                    message = f"扣分{message}"
                problems.append(InputProblem(field=name, message=f"{message}（{rule.spec.label}）"))
            else:
                values[name] = value
        for name in raw:
            if name not in fields:
                problems.append(InputProblem(field=str(name), message="不是本考核表的输入项"))
        problems.extend(self._part_whole_problems(values, fields))
        for checked, scored_from_month in self._checks_by_kind.get(kind, ()):
            if scored_from_month is not None and month is not None and month < scored_from_month:
                continue
            problems.extend(checked.check(values))
        if not problems:
            problems.extend(self._denominator_problems(values, kind, month))
        return values, problems

    def _part_whole_problems(
        self, values: dict[str, Any], fields: Mapping[str, FieldRule]
    ) -> list[InputProblem]:
        problems = []
        for part, whole in self._part_whole:
            names = (part, *whole.names)
            # Only for the fields this kind reads, and only once each field is itself valid.
            if any(fields.get(name) is None or fields[name].needed_from_month is None for name in names):
                continue
            if any(name not in values for name in names):
                continue
            whole_value = whole.evaluate(values)
            if values[part] > whole_value:
                problems.append(
                    InputProblem(
                        field=part,
                        message=(
                            f"{self._labels[part]} {format_plain(values[part])} 大于"
                            f" {whole.describe(self._labels)} {format_plain(whole_value)}"
                        ),
                    )
                )
        return problems

    def _denominator_problems(
        self, values: dict[str, Any], kind: str, month: int | None
    ) -> list[InputProblem]:
        # A denominator with a subtraction can go negative when no part-whole check covers it; a
        # negative rate would then read as a shortfall nobody can explain, so it is refused here.
        problems = []
        for denominator, scored_from_month in self._denominators_by_kind[kind]:
            if scored_from_month is not None and month is not None and month < scored_from_month:
                continue
            if any(name not in values for name in denominator.names):
                continue
            value = denominator.evaluate(values)
            if value < 0:
                problems.append(
                    InputProblem(
                        field=denominator.names[-1],
                        message=(
                            f"{denominator.describe(self._labels)} 为负数（{format_plain(value)}），无法计算比率"
                        ),
                    )
                )
        return problems


def _walk(items: Sequence[ItemSpec]) -> Iterator[ItemSpec]:
    for item in items:
        yield item
        yield from _walk(item.children)


def _log_binding_findings(code: str, input_spec: InputSpec) -> list[RubricFinding]:
    """A work-log binding is a count over the period: only a count input, only a field the log has."""
    if not input_spec.log:
        return []
    named = input_spec.label or input_spec.name
    if input_spec.log not in LOG_FIELDS:
        known = "、".join(f"{name}（{label}）" for name, label in LOG_FIELDS.items())
        return [
            RubricFinding(code, f"输入“{named}”取数的工作日志数据 {input_spec.log} 不存在；可用的有：{known}")
        ]
    if input_spec.type != "count":
        return [
            RubricFinding(
                code,
                f"输入“{named}”是{_TYPE_WORDS.get(input_spec.type, input_spec.type)}，"
                "只有个数（整数）输入可以从工作日志取数",
            )
        ]
    return []


def _target_binding_findings(code: str, input_spec: InputSpec) -> list[RubricFinding]:
    """A contract-target binding is the contract's target for a work-log field over the period:
    only a count input, only a field the log (and so a contract's targets) has, and not also the
    log's own figure (a target and what was done against it are two inputs)."""
    if not input_spec.target:
        return []
    named = input_spec.label or input_spec.name
    if input_spec.target not in LOG_FIELDS:
        known = "、".join(f"{name}（{label}）" for name, label in LOG_FIELDS.items())
        return [
            RubricFinding(code, f"输入“{named}”取数的合同目标 {input_spec.target} 不存在；可用的有：{known}")
        ]
    if input_spec.type != "count":
        return [
            RubricFinding(
                code,
                f"输入“{named}”是{_TYPE_WORDS.get(input_spec.type, input_spec.type)}，"
                "只有个数（整数）输入可以取运营合同目标",
            )
        ]
    if input_spec.log:
        return [
            RubricFinding(
                code,
                f"输入“{named}”不能既从工作日志取数又取运营合同目标：完成数和目标数请分为两项输入",
            )
        ]
    return []


_TYPE_WORDS = {
    "rate": "百分比",
    "number": "数值",
    "flag": "是/否",
    "points": "评估人员评分",
    "text": "文字",
}


def _declared_inputs(rubric: RubricSpec, findings: list[RubricFinding]) -> dict[str, InputSpec]:
    declared: dict[str, InputSpec] = {}
    for section in rubric.sections:
        for item in _walk(section.items):
            for input_spec in item.inputs:
                if input_spec.type not in INPUT_TYPES:
                    findings.append(
                        RubricFinding(item.code, f"输入 {input_spec.name} 的类型 {input_spec.type!r} 未知")
                    )
                    continue
                findings.extend(_log_binding_findings(item.code, input_spec))
                findings.extend(_target_binding_findings(item.code, input_spec))
                known = declared.get(input_spec.name)
                if known is None:
                    declared[input_spec.name] = input_spec
                elif known.type != input_spec.type:
                    findings.append(
                        RubricFinding(
                            item.code,
                            f"输入 {input_spec.name} 在各项中类型不一致（{known.type} 与 {input_spec.type}）",
                        )
                    )
                elif known.log != input_spec.log:
                    findings.append(
                        RubricFinding(
                            item.code,
                            f"输入 {input_spec.name} 在各项中取自不同的工作日志数据，"
                            "同一输入只能取自一项工作日志数据",
                        )
                    )
                elif known.target != input_spec.target:
                    findings.append(
                        RubricFinding(
                            item.code,
                            f"输入 {input_spec.name} 在各项中取自不同的运营合同目标，"
                            "同一输入只能取自一项合同目标",
                        )
                    )
    return declared


def _compile_item(
    item: ItemSpec,
    declared: dict[str, InputSpec],
    findings: list[RubricFinding],
    compiled: dict[int, CompiledItem],
) -> CompiledItem | None:
    """Compile an item and its sub-items, recording each compiled node in `compiled` by spec id."""
    if item.max_points < 0:
        findings.append(RubricFinding(item.code, "满分不能为负数"))
    if item.scored_from_month is not None and not 1 <= item.scored_from_month <= 12:
        findings.append(RubricFinding(item.code, f"起始计分月份 {item.scored_from_month} 应在 1 到 12 之间"))
    node: CompiledItem | None = None
    if item.rule == "capped_sum":
        if not item.children:
            findings.append(RubricFinding(item.code, "capped_sum 规则需要分项"))
            return None
        if item.scored_from_month is not None:
            findings.append(RubricFinding(item.code, "起始计分月份应写在分项上，而不是 capped_sum 合计项上"))
        if any(child.kinds for child in item.children):
            findings.append(RubricFinding(item.code, "分项随上级项目适用，不能单独限定适用类型"))
        children = tuple(_compile_item(child, declared, findings, compiled) for child in item.children)
        if all(child is not None for child in children):
            node = CompiledItem(item, rule=None, children=children)
    elif item.children:
        findings.append(RubricFinding(item.code, f"有分项的项目应使用 capped_sum 规则，而不是 {item.rule}"))
    else:
        try:
            node = CompiledItem(item, rule=build_rule(item, declared), children=())
        except RuleError as error:
            findings.append(RubricFinding(item.code, str(error)))
    if node is not None:
        compiled[id(item)] = node
    return node


def _points_bounds(compiled: Mapping[int, CompiledItem]) -> tuple[dict[str, Decimal], set[str]]:
    """For each points input, the bound its rules set (the smallest, if several); and which of them
    are deductions (a discretionary deduction's, bounded by its `most`)."""
    bounds: dict[str, Decimal] = {}
    deductions: set[str] = set()
    for node in compiled.values():
        if node.rule is None:
            continue
        for name, bound in node.rule.points_bounds().items():
            if name not in bounds or bound < bounds[name]:
                bounds[name] = bound
            if isinstance(node.rule, DiscretionaryDeductionRule):
                deductions.add(name)
    return bounds, deductions


def compile_rubric(rubric: RubricSpec, *, kinds: Sequence[str]) -> CompiledRubric:
    """Compile a rubric for the station kinds of its policy; raise `RubricError` if it is unusable.

    Unusable means a structural error: an unknown rule kind, missing or malformed rule parameters,
    a rule reading an undeclared input, an input declared with two types, two items with one code
    on one kind's sheet, a part-whole check on unknown fields. Maxima that do not add up are not
    errors here (the caps absorb them); `validate_rubric` reports them as warnings.
    """
    kinds = tuple(kinds)
    findings: list[RubricFinding] = []
    declared = _declared_inputs(rubric, findings)
    compiled: dict[int, CompiledItem] = {}
    for section in rubric.sections:
        for item in section.items:
            unknown_kinds = [kind for kind in item.kinds if kind not in kinds]
            if unknown_kinds:
                findings.append(
                    RubricFinding(item.code, f"适用类型 {', '.join(unknown_kinds)} 不在本政策的类型中")
                )
            _compile_item(item, declared, findings, compiled)
    points_bounds, deductions = _points_bounds(compiled)

    sections_by_kind: dict[str, tuple[CompiledSection, ...]] = {}
    fields_by_kind: dict[str, dict[str, FieldRule]] = {}
    denominators_by_kind: dict[str, tuple[tuple[Expression, int | None], ...]] = {}
    checks_by_kind: dict[str, tuple[tuple[Rule, int | None], ...]] = {}
    for kind in kinds:
        seen_codes: set[str] = set()
        sections = []
        needed_from: dict[str, int] = {}
        denominators: list[tuple[Expression, int | None]] = []
        checks: list[tuple[Rule, int | None]] = []
        for section in rubric.sections:
            items = [item for item in section.items if item.applies_to(kind)]
            for leaf in _walk(items):
                if leaf.code in seen_codes:
                    findings.append(
                        RubricFinding(leaf.code, f"类型 {kind} 的考核表中有两个编号为 {leaf.code} 的项目")
                    )
                seen_codes.add(leaf.code)
                node = compiled.get(id(leaf))
                if node is None or node.rule is None:
                    continue
                start = leaf.scored_from_month or 1
                for name in node.rule.reads:
                    needed_from[name] = min(needed_from.get(name, start), start)
                measure = getattr(node.rule, "measure", None)
                if isinstance(measure, Measure) and measure.denominator is not None:
                    denominators.append((measure.denominator, leaf.scored_from_month))
                if type(node.rule).check is not Rule.check:
                    checks.append((node.rule, leaf.scored_from_month))
            if all(id(item) in compiled for item in items):
                compiled_items = tuple(compiled[id(item)] for item in items)
                sections.append(
                    CompiledSection(section.code, section.title, section.max_points, compiled_items)
                )
        sections_by_kind[kind] = tuple(sections)
        # Every declared field is known to every kind, so a village's field on a community's sheet
        # is checked when given but not required, and only truly unknown names are refused.
        fields_by_kind[kind] = {
            name: FieldRule(
                spec=input_spec,
                needed_from_month=needed_from.get(name),
                points_max=points_bounds.get(name),
                deduction=name in deductions,
            )
            for name, input_spec in declared.items()
        }
        denominators_by_kind[kind] = tuple(denominators)
        checks_by_kind[kind] = tuple(checks)

    part_whole = []
    for constraint in rubric.part_whole:
        try:
            whole = parse_expression(constraint.whole)
        except ExpressionError as error:
            findings.append(
                RubricFinding(constraint.part, f"部分-整体检查的整体 {constraint.whole!r}：{error}")
            )
            continue
        unknown = [name for name in (constraint.part, *whole.names) if name not in declared]
        if unknown:
            findings.append(
                RubricFinding(constraint.part, f"部分-整体检查引用未声明的输入：{', '.join(unknown)}")
            )
            continue
        texts = [name for name in (constraint.part, *whole.names) if declared[name].type == "text"]
        if texts:
            findings.append(
                RubricFinding(constraint.part, f"部分-整体检查不能引用文字输入：{', '.join(texts)}")
            )
            continue
        part_whole.append((constraint.part, whole))

    errors = [finding for finding in findings if finding.severity == "error"]
    if errors:
        raise RubricError(errors)
    return CompiledRubric(
        spec=rubric,
        kinds=kinds,
        inputs=declared,
        sections_by_kind=sections_by_kind,
        fields_by_kind=fields_by_kind,
        part_whole=tuple(part_whole),
        denominators_by_kind=denominators_by_kind,
        checks_by_kind=checks_by_kind,
    )


def annual_score(monthly_totals: Sequence[Decimal]) -> Decimal:
    """The year's score from monthly sheet totals: their mean, rounded half-up to 2 decimals once.

    The mean is computed exactly (as a fraction), so 12 months never lose a cent to an early
    rounding. Raises ValueError for an empty sequence: a year with no sheet has no score.
    """
    if not monthly_totals:
        raise ValueError("没有任何月度得分，无法计算年度得分")
    total = sum((Fraction(value) for value in monthly_totals), Fraction(0))
    return round_half_up(total / len(monthly_totals))
