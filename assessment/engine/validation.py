"""Checks a bureau runs before trusting a rubric or a unit's inputs.

`validate_rubric` reads a rubric the way an auditor would: does it compile (a step table with a
gap or an overlap does not, and says where), and do the parts add up to their headings? 004's
section 四.2 lists 3 + 2 points under a 4-point heading; that is reported, never silently accepted
(the engine then caps 4.2.1 + 4.2.2 at 4).
Items that do not add up to their section are a warning (scored through, capped); sections that do
not add up to the sheet's maximum are an error: a campaign cannot open on such a policy and a
policy file with it is refused.
`validate_inputs` lists what is wrong with one unit's inputs for one sheet.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from assessment.engine.decimal_math import format_plain
from assessment.engine.inputs import InputProblem
from assessment.engine.scoring import CompiledRubric, RubricError, RubricFinding, compile_rubric
from assessment.engine.specs import ItemSpec, RubricSpec


def _kinds_of(rubric: RubricSpec) -> tuple[str, ...]:
    kinds: list[str] = []
    for section in rubric.sections:
        for item in section.items:
            kinds.extend(kind for kind in item.kinds if kind not in kinds)
    # A rubric without kind-specific items scores every kind alike; one stand-in kind checks it.
    return tuple(kinds) or ("",)


def _shown_sum(maxima: Sequence[Decimal]) -> str:
    return " + ".join(format_plain(value) for value in maxima)


def _sum_findings(rubric: RubricSpec, kinds: Sequence[str]) -> list[RubricFinding]:
    """Warnings for every heading whose parts' maxima do not add up to its own max, per kind."""
    messages: dict[tuple[str, str], list[str]] = {}

    def note(code: str, message: str, kind: str) -> None:
        messages.setdefault((code, message), []).append(kind)

    def check_children(item: ItemSpec, kind: str) -> None:
        if not item.children:
            return
        maxima = [child.max_points for child in item.children]
        total = sum(maxima, Decimal(0))
        if total > item.max_points:
            note(
                item.code,
                f"{item.title}：分项满分合计 {format_plain(total)} 分（{_shown_sum(maxima)}），"
                f"超过本项满分 {format_plain(item.max_points)} 分；"
                f"计分时分项合计按 {format_plain(item.max_points)} 分封顶",
                kind,
            )
        elif total < item.max_points:
            note(
                item.code,
                f"{item.title}：分项满分合计 {format_plain(total)} 分（{_shown_sum(maxima)}），"
                f"不足本项满分 {format_plain(item.max_points)} 分；本项得不到满分",
                kind,
            )
        for child in item.children:
            check_children(child, kind)

    for kind in kinds:
        section_total = Decimal(0)
        for section in rubric.sections:
            items = [item for item in section.items if item.applies_to(kind)]
            maxima = [item.max_points for item in items]
            total = sum(maxima, Decimal(0))
            section_total += section.max_points
            if total != section.max_points:
                verdict = "超过" if total > section.max_points else "不足"
                note(
                    section.code,
                    f"{section.title}：各项满分合计 {format_plain(total)} 分（{_shown_sum(maxima)}），"
                    f"{verdict}本部分满分 {format_plain(section.max_points)} 分",
                    kind,
                )
            for item in items:
                check_children(item, kind)
        if section_total != rubric.max_points:
            note(
                "",
                f"各部分满分合计 {format_plain(section_total)} 分，"
                f"与考核表满分 {format_plain(rubric.max_points)} 分不一致；"
                "请调整某一部分的满分或考核表满分，使二者相等",
                kind,
            )

    findings = []
    for (code, message), affected in messages.items():
        # Name the kinds only when the problem is not the same on every kind's sheet.
        if len(affected) < len(kinds) and any(affected):
            message = f"{message}(适用于 {'、'.join(affected)})"
        # Items that do not add up to their heading are capped and scored through (004's 四.2 does
        # so on purpose); sections that do not add up to the sheet's maximum are not: a total of
        # 111 on a 100-point sheet would be tiered and paid as if it were possible.
        severity = "error" if code == "" else "warning"
        findings.append(RubricFinding(code=code, message=message, severity=severity))
    return findings


def validate_rubric(rubric: RubricSpec, kinds: Sequence[str] | None = None) -> list[RubricFinding]:
    """Every finding about a rubric: structural errors ("error") and maxima that do not add up ("warning").

    `kinds` are the station kinds of the policy (default: the kinds the items name). An empty list
    means the rubric compiles and every heading equals the sum of its parts. Nothing is raised;
    a rubric with errors cannot be compiled (`compile_rubric` raises `RubricError` for it).
    """
    kinds = tuple(kinds) if kinds is not None else _kinds_of(rubric)
    findings: list[RubricFinding] = []
    try:
        compile_rubric(rubric, kinds=kinds)
    except RubricError as error:
        findings.extend(error.findings)
    findings.extend(_sum_findings(rubric, kinds))
    return findings


def validate_inputs(
    rubric: CompiledRubric, raw_inputs: Any, *, kind: str, month: int | None = None
) -> list[InputProblem]:
    """The problems with one unit's raw inputs for a sheet of `kind` in `month` (empty when fine).

    Each problem names the field and says what is wrong in words a clerk understands: missing,
    negative, not a whole count, a percentage outside 0..100, manual points outside 0..max, a part
    larger than its whole, a flag that is not true or false, a reason that is not text or is too
    long, a discretionary deduction above its most or without its reason, a field the rubric does
    not know.
    """
    _, problems = rubric.parse_inputs(raw_inputs, kind=kind, month=month)
    return problems
