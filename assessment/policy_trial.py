"""试算: a few typed cases run through a policy's engine on its admin page, before a campaign.

A clerk who has just typed a county's 评分细则 into a policy wants to see, for a handful of
made-up stations, every item's points with the engine's explanation, the total, the tier (or band)
and the amount. Nothing is saved and nothing is personal, so nothing is recorded either.

The scoring is the campaign's own: `CompiledRubric.parse_inputs` / `score_sheet` for each case
and `decide_campaign`, the one function that decides tiers and money, for all cases together.
Two things differ from a campaign and the page says so (`TrialResult.notes`):

- a monthly policy scores the case as one month's sheet, and takes the year's score as if every
  month had scored the same (the mean of twelve equal months is that month's score);
- a ranked scheme ranks the cases among themselves: bands, elimination and the group deduction
  are worked out over these few cases, not over every unit of the campaign.

`run_trial` is the service; `trial_page` builds the page's forms and tables from the request's
data around it, so the admin view only finds the policy and renders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms

from assessment.engine.decimal_math import format_plain, round_half_up
from assessment.engine.decision import DecisionUnit, UnitDecision, decide_campaign
from assessment.engine.inputs import InputProblem
from assessment.engine.scoring import (
    CompiledRubric,
    ItemResult,
    RubricError,
    SheetResult,
    annual_score,
    compile_rubric,
)
from assessment.engine.simulate import uses_recognition
from assessment.engine.specs import PolicySpec
from assessment.engine.validation import validate_rubric
from assessment.forms import SheetInputsForm
from stations.models import Station, StationKind

MAX_CASES = 5
DEFAULT_CASES = 3


# ---------------------------------------------------------------------------------------------
# The service
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrialCase:
    """One case as the clerk typed it.

    `inputs` are the raw values by input name (strings as typed, flags as bool), checked by the
    engine exactly as a score sheet's are. `level` and `group` matter to a ranked scheme;
    `recognized_on` and `under_contract` (the assessment day falls in a purchase-of-services
    contract) to a policy with recognition rules.
    """

    inputs: Mapping[str, Any]
    level: str | None = None
    group: str | None = None
    recognized_on: date | None = None
    under_contract: bool = False


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    """What one case came to: its problems, or its sheet, score and (when decided) its decision."""

    number: int  # 1-based, as the page numbers the cases
    problems: tuple[InputProblem, ...] = ()
    sheet: SheetResult | None = None
    score: Decimal | None = None
    decision: UnitDecision | None = None


@dataclass(frozen=True, slots=True)
class TrialResult:
    """Every typed case's outcome (empty cases left out), how they were decided, or why they were not."""

    cases: tuple[CaseOutcome, ...]
    notes: tuple[str, ...] = ()
    undecided: str = ""  # why no tier or amount is shown; "" when the cases were decided


def kind_label(kind: str) -> str:
    return StationKind(kind).label if kind in StationKind.values else kind


def level_choices(spec: PolicySpec) -> list[tuple[str, str]]:
    """The recognition levels a ranked scheme knows, with the words a clerk reads, then "none"."""
    scheme = spec.tier_scheme
    known = dict(Station.RecognitionLevel.choices)
    choices = [
        (level, known.get(level) or scheme.level_band_labels.get(level) or f"第 {index} 种级别")
        for index, level in enumerate(scheme.levels, start=1)
    ]
    return [*choices, ("", "无认定级别")]


def trial_rubric(spec: PolicySpec) -> tuple[CompiledRubric | None, list[str]]:
    """The policy's rubric compiled, or the validator's reasons why it cannot be (in Chinese)."""
    if not spec.kinds:
        return None, ["本政策还没有选择适用的站点类型，选择后才能试算。"]
    try:
        compiled = compile_rubric(spec.rubric, kinds=spec.kinds)
    except RubricError as error:
        return None, [_finding_text(finding) for finding in error.findings]
    # What compiles may still not add up (sections over the sheet's maximum): a campaign could not
    # open on it, so a trial would show tiers and amounts the policy can never give.
    errors = [f for f in validate_rubric(spec.rubric, spec.kinds) if f.severity == "error"]
    if errors:
        return None, [_finding_text(finding) for finding in errors]
    return compiled, []


def _finding_text(finding) -> str:
    return f"{finding.code}：{finding.message}" if finding.code else finding.message


def default_assessed_on(spec: PolicySpec) -> date:
    """The last day of the policy's year: a campaign is usually judged at the year's end."""
    return date(spec.year, 12, 31)


def default_recognized_on(spec: PolicySpec) -> date:
    """The first day of the year before: a station recognised long enough and not newly this year."""
    return date(spec.year - 1, 1, 1)


def _case_problems(spec: PolicySpec, case: TrialCase, assessed_on: date | None) -> list[InputProblem]:
    """The checks the decision needs beyond the sheet's inputs (dates of a recognition policy)."""
    if not uses_recognition(spec):
        return []
    if case.recognized_on is None:
        return [InputProblem(field="recognized_on", message="请填写认定日期")]
    if assessed_on is not None and case.recognized_on > assessed_on:
        return [
            InputProblem(
                field="recognized_on",
                message=f"认定日期 {case.recognized_on} 晚于考核基准日 {assessed_on}",
            )
        ]
    return []


def trial_notes(spec: PolicySpec, *, month: int | None, assessed_on: date | None, count: int) -> list[str]:
    """What the page must say about how the trial differs from a campaign, in the clerk's words."""
    notes = []
    if spec.period == "monthly":
        notes.append(
            f"按 {month} 月的评分表计分；年度得分是各月得分的平均分，试算按每个月都得同样的分计算，"
            "所以年度得分就是本月得分。"
        )
    if spec.tier_scheme.method == "ranked":
        notes.append(
            f"排名只在本次填写的 {count} 个案例之间进行：分档、末位淘汰和小组扣减都按这几个案例计算；"
            "正式考核中与全部参评单位一起排名，结果可能不同。"
        )
        elimination = spec.tier_scheme.elimination
        if elimination is not None and count <= elimination.lowest_count:
            # With 3 cases and 004's 全区倒数3名, every case, the best included, is among the lowest 3.
            notes.append(
                f"本政策对得分低于 {format_plain(elimination.below_score)} 分的倒数 {elimination.lowest_count} 名"
                f"末位淘汰；只有 {count} 个案例时，每个案例都在倒数 {elimination.lowest_count} 名之内，"
                f"低于 {format_plain(elimination.below_score)} 分的都会被淘汰。"
                f"要看排名靠前的单位能得多少，请填写 {elimination.lowest_count + 1} 个以上的案例。"
            )
    if uses_recognition(spec) and assessed_on is not None:
        notes.append(f"认定时长、一次性补助和政府购买服务合同期都按考核基准日 {assessed_on} 判断。")
    return notes


def run_trial(
    spec: PolicySpec,
    rubric: CompiledRubric,
    *,
    kind: str,
    cases: Sequence[TrialCase | None],
    month: int | None = None,
    assessed_on: date | None = None,
) -> TrialResult:
    """Score each typed case under `spec` and decide them all together with `decide_campaign`.

    `cases` are numbered from 1 in order; None is a case left empty, skipped but keeping its
    number. `month` (1..12) is required for a monthly policy, `assessed_on` for one with
    recognition rules. A ranked scheme ranks the cases among themselves, so it decides nothing
    while any case has a problem: the ranking of the others would change once it is corrected.
    """
    if kind not in spec.kinds:
        raise ValueError(f"本政策不适用于类型 {kind!r}")
    monthly = spec.period == "monthly"
    if monthly and not (isinstance(month, int) and 1 <= month <= 12):
        raise ValueError("按月考核的政策须指定月份（1 到 12）")
    if uses_recognition(spec) and assessed_on is None:
        raise ValueError("该政策须指定考核基准日")

    outcomes: list[CaseOutcome] = []
    units: list[tuple[int, DecisionUnit]] = []
    for number, case in enumerate(cases, start=1):
        if case is None:
            continue
        values, problems = rubric.parse_inputs(dict(case.inputs), kind=kind, month=month if monthly else None)
        problems = [*problems, *_case_problems(spec, case, assessed_on)]
        if problems:
            outcomes.append(CaseOutcome(number=number, problems=tuple(problems)))
            continue
        sheet = rubric.score_sheet(values, kind=kind, month=month if monthly else None)
        # One month scored stands for twelve equal ones: their mean is the month's own total.
        score = annual_score([sheet.total]) if monthly else round_half_up(sheet.total)
        outcomes.append(CaseOutcome(number=number, sheet=sheet, score=score))
        contract = (assessed_on, assessed_on) if case.under_contract and assessed_on is not None else None
        units.append(
            (
                len(outcomes) - 1,
                DecisionUnit(
                    code=f"案例 {number}",
                    kind=kind,
                    score=score,
                    level=case.level or None,
                    group=(case.group or "").strip() or None,
                    recognized_on=case.recognized_on,
                    purchase_contract=contract,
                ),
            )
        )

    notes = tuple(trial_notes(spec, month=month, assessed_on=assessed_on, count=len(outcomes)))
    if not outcomes:
        return TrialResult(cases=(), notes=notes, undecided="没有填写任何案例。")
    wrong = [outcome.number for outcome in outcomes if outcome.problems]
    if wrong and spec.tier_scheme.method == "ranked":
        numbers = "、".join(str(number) for number in wrong)
        return TrialResult(
            cases=tuple(outcomes),
            notes=notes,
            undecided=f"案例 {numbers} 的输入有误：各案例要一起排名，请更正后再试算，才能看到档次和金额。",
        )
    if units:
        decisions = decide_campaign(spec, [unit for _, unit in units], assessed_on=assessed_on)
        for (position, _), decision in zip(units, decisions, strict=True):
            outcomes[position] = CaseOutcome(
                number=outcomes[position].number,
                sheet=outcomes[position].sheet,
                score=outcomes[position].score,
                decision=decision,
            )
    return TrialResult(cases=tuple(outcomes), notes=notes)


# ---------------------------------------------------------------------------------------------
# The page: its forms and the tables it draws
# ---------------------------------------------------------------------------------------------


class TrialCaseForm(SheetInputsForm):
    """One case's input fields, drawn as the score sheet draws them (SheetInputsForm), each name
    carrying the case's prefix (case2-…) so that several cases share one page."""

    def __init__(self, *args, fields: list[tuple[str, str, str, Decimal | None]], **kwargs):
        super().__init__(*args, fields=fields, values={}, **kwargs)
        self.text_names = {name for name, input_type, _label, _most in fields if input_type == "text"}

    def is_blank(self) -> bool:
        """Whether the clerk typed nothing in this case (it is then skipped, not refused)."""
        if not self.is_bound:
            return True
        return all(not str(self.data.get(self.add_prefix(name), "")).strip() for name in self.input_names)

    def raw_inputs(self) -> dict:
        raw = super().raw_inputs()
        for name in self.text_names:
            # A reason left empty is still given: the rule decides when one is required.
            raw[name] = self.cleaned_data.get(name, "").strip()
        return raw


class TrialExtrasForm(forms.Form):
    """A case's own facts the decision reads: level and group (ranked), recognition (002-like)."""

    def __init__(self, *args, spec: PolicySpec, **kwargs):
        super().__init__(*args, **kwargs)
        if spec.tier_scheme.method == "ranked":
            choices = level_choices(spec)
            self.fields["level"] = forms.ChoiceField(
                label="认定级别", choices=choices, required=False, initial=choices[0][0]
            )
            self.fields["group"] = forms.CharField(
                label="捆绑组",
                required=False,
                max_length=32,
                help_text="同组的案例填相同的组名；不分组可不填",
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )
        if uses_recognition(spec):
            self.fields["recognized_on"] = forms.DateField(
                label="认定日期",
                required=False,
                initial=default_recognized_on(spec),
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                error_messages={"invalid": "请按 年-月-日 填写认定日期"},
            )
            if spec.eligibility.purchase_of_services_excluded:
                self.fields["under_contract"] = forms.BooleanField(
                    label="考核基准日在政府购买服务合同期内", required=False
                )


class TrialCommonForm(forms.Form):
    """What all cases share: the assessment day of a policy with recognition rules."""

    def __init__(self, *args, spec: PolicySpec, **kwargs):
        super().__init__(*args, **kwargs)
        if uses_recognition(spec):
            self.fields["assessed_on"] = forms.DateField(
                label="考核基准日",
                initial=default_assessed_on(spec),
                help_text="认定时长、购买服务合同期按此日判断",
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                error_messages={"required": "请填写考核基准日", "invalid": "请按 年-月-日 填写考核基准日"},
            )


def _setup_choice(spec: PolicySpec, query: Mapping[str, str]) -> tuple[str, int | None, int]:
    """Kind, month and number of cases from the query string; anything unknown falls back to the default."""
    kind = query.get("kind")
    if kind not in spec.kinds:
        kind = spec.kinds[0]
    month = None
    if spec.period == "monthly":
        month_text = query.get("month", "")
        # December by default: every item is scored by then, including those "scored from month M".
        month = int(month_text) if month_text.isdigit() and 1 <= int(month_text) <= 12 else 12
    count_text = query.get("cases", "")
    count = int(count_text) if count_text.isdigit() and 1 <= int(count_text) <= MAX_CASES else DEFAULT_CASES
    return kind, month, count


def _parts(sheet: SheetResult) -> list[tuple[bool, int, Any]]:
    """A sheet's sections and items (sub-items after their heading) in order: (is section, depth, result)."""

    def items(results: Sequence[ItemResult], depth: int):
        for item in results:
            yield False, depth, item
            yield from items(item.children, depth + 1)

    parts: list[tuple[bool, int, Any]] = []
    for section in sheet.sections:
        parts.append((True, 0, section))
        parts.extend(items(section.items, 1))
    return parts


def result_table(
    spec: PolicySpec, result: TrialResult, loose: Mapping[int, list[str]] | None = None
) -> dict[str, Any]:
    """The results as rows (sections, items) by columns (the typed cases), for the template.

    All cases are of one kind and month, so their sheets have the same rows in the same order; a
    case with problems has an empty column. `loose` holds, by case number, the problems that
    name no field of the form (shown in the case's column).
    """
    loose = loose or {}
    parts_by_case = [_parts(outcome.sheet) if outcome.sheet is not None else None for outcome in result.cases]
    template = next((parts for parts in parts_by_case if parts is not None), [])
    rows = []
    for index, (is_section, depth, part) in enumerate(template):
        cells = []
        for parts in parts_by_case:
            if parts is None:
                cells.append(None)
                continue
            shown = parts[index][2]
            cells.append({"points": shown.points, "explanation": shown.explanation})
        rows.append(
            {
                "section": is_section,
                "depth": depth,
                "code": part.code,
                "title": part.title,
                "max": format_plain(part.max_points),
                "cells": cells,
            }
        )
    schedule = spec.subsidy_schedule
    columns = []
    for outcome in result.cases:
        decision = outcome.decision
        columns.append(
            {
                "number": outcome.number,
                "wrong": bool(outcome.problems),
                "loose": loose.get(outcome.number, []),
                "total": outcome.sheet.total if outcome.sheet is not None else None,
                "score": outcome.score,
                "tier": tier_text(decision) if decision is not None else "",
                "amount": decision.performance_subsidy if decision is not None else None,
                "one_time": decision.one_time.amount if decision and decision.one_time else None,
                "explanation": decision.explanation if decision is not None else "",
            }
        )
    return {
        "columns": columns,
        "rows": rows,
        "max_total": format_plain(
            sum((part.max_points for is_section, _, part in template if is_section), Decimal(0))
        ),
        "monthly": spec.period == "monthly",
        "tier_heading": "档次" if spec.tier_scheme.method == "ranked" else "等次",
        "one_time_heading": (
            (schedule.one_time_label or "一次性补助")
            if any(column["one_time"] is not None for column in columns)
            else ""
        ),
        "decided": any(outcome.decision is not None for outcome in result.cases),
        # A rating that pays nothing (Huizhou's stars) shows no amount row: 0.00 reads as money withheld.
        "pays_money": not schedule.pays_nothing,
    }


def tier_text(decision: UnitDecision) -> str:
    """The tier or band a clerk reads; a unit not taking part says so instead of a blank."""
    if not decision.eligible:
        return "不参加考核"
    if decision.eliminated:
        # The engine keeps the band of an eliminated unit; what the clerk must notice is that it is out.
        return f"{decision.tier_label}（末位淘汰）"
    return decision.tier_label or "—"


def trial_page(
    spec: PolicySpec, *, query: Mapping[str, str], data: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Everything the 试算 page shows: the setup, the case forms by field rows, and the results.

    `query` is the request's query string (kind, month, number of cases); `data` the posted
    form, or None before the first 试算.
    """
    rubric, rubric_errors = trial_rubric(spec)
    if rubric is None:
        return {"rubric_errors": rubric_errors}
    kind, month, count = _setup_choice(spec, query)
    fields = [
        (rule.spec.name, rule.spec.type, rule.spec.label, rule.points_max)
        for rule in rubric.field_rules(kind, month if spec.period == "monthly" else None)
    ]
    case_forms = [TrialCaseForm(data, fields=fields, prefix=f"case{n}") for n in range(1, count + 1)]
    extras_forms = [TrialExtrasForm(data, spec=spec, prefix=f"extra{n}") for n in range(1, count + 1)]
    common = TrialCommonForm(data, spec=spec)

    result = None
    loose: dict[int, list[str]] = {}
    if data is not None:
        # Every form is checked (no short cut), so each shows its own errors at once.
        checked = [form.is_valid() for form in (common, *case_forms, *extras_forms)]
        if all(checked):
            assessed_on = common.cleaned_data.get("assessed_on")
            cases = []
            for case_form, extras in zip(case_forms, extras_forms, strict=True):
                if case_form.is_blank():
                    cases.append(None)
                    continue
                extra = extras.cleaned_data
                cases.append(
                    TrialCase(
                        inputs=case_form.raw_inputs(),
                        level=extra.get("level") or None,
                        group=extra.get("group") or None,
                        recognized_on=extra.get("recognized_on"),
                        under_contract=bool(extra.get("under_contract")),
                    )
                )
            result = run_trial(spec, rubric, kind=kind, cases=cases, month=month, assessed_on=assessed_on)
            loose = _show_problems(result, case_forms, extras_forms)

    months = [(m, f"{m} 月") for m in range(1, 13)] if spec.period == "monthly" else []
    return {
        "rubric_errors": [],
        "kinds": [(code, kind_label(code)) for code in spec.kinds],
        "kind": kind,
        "kind_label": kind_label(kind),
        "tier_heading": "档次" if spec.tier_scheme.method == "ranked" else "等次",
        "months": months,
        "month": month,
        "count_choices": list(range(1, MAX_CASES + 1)),
        "count": count,
        "common": common,
        "numbers": list(range(1, count + 1)),
        "extra_rows": _field_rows(extras_forms),
        "input_rows": _field_rows(case_forms),
        "result": result,
        "table": result_table(spec, result, loose) if result is not None else None,
    }


def _show_problems(
    result: TrialResult, case_forms: list[TrialCaseForm], extras_forms: list[TrialExtrasForm]
) -> dict[int, list[str]]:
    """Put each problem next to its field; return, by case, the others (naming no field of the
    form, or a second problem of a field that already shows one), shown in the case's column."""
    loose_by_case: dict[int, list[str]] = {}
    for outcome in result.cases:
        if not outcome.problems:
            continue
        case_form = case_forms[outcome.number - 1]
        extras = extras_forms[outcome.number - 1]
        by_field: dict[str, str] = {}
        loose = []
        for problem in outcome.problems:
            if problem.field in case_form.fields and problem.field not in by_field:
                by_field[problem.field] = problem.message
            elif problem.field in extras.fields:
                extras.fields[problem.field].warning = problem.message
            else:
                loose.append(problem.message)
        case_form.warn(by_field)
        if loose:
            loose_by_case[outcome.number] = loose
    return loose_by_case


def _field_rows(forms_by_case: Sequence[forms.Form]) -> list[dict[str, Any]]:
    """One row per field, one cell per case: the input table reads across the cases."""
    if not forms_by_case:
        return []
    rows = []
    for name, first in forms_by_case[0].fields.items():
        cells = []
        for number, form in enumerate(forms_by_case, start=1):
            bound = form[name]
            cells.append(
                {
                    "field": bound,
                    # The row's label names the first case's box; every box says which case it is.
                    "widget": bound.as_widget(attrs={"aria-label": f"案例 {number}：{first.label}"}),
                    "warning": getattr(form.fields[name], "warning", ""),
                    "errors": bound.errors,
                }
            )
        rows.append({"label": first.label, "hint": first.help_text, "cells": cells})
    return rows
