"""The policy simulator behind `manage.py evaluate`: cases in, scores, tiers and money out.

`evaluate_cases(policy, payload)` reads the JSON cases of issue 3's contract, checks all of them,
and either returns the result object (every number a string with exactly 2 decimals, units in
input order) or every problem found, each naming the unit code, the month and the field. The
shape of a case follows from the policy itself, so a policy defined in the database later needs
no new code here:

- a monthly policy reads `months` {"YYYY-MM": {inputs}} and scores each month's sheet; a yearly
  policy reads a `score`, or instead the `inputs` of its sheet {name: value}, which are checked
  and scored with the policy's rubric (the total is the score; the unit's output then also has
  "items", the points of every leaf item, and with `explain` the sheet's lines);
- a ranked tier scheme reads `level` and `group` and answers `band`, `eliminated`, `subsidy`;
  a threshold scheme answers `tier` and `subsidy`;
- a policy with recognition rules (months recognised, one-time on first recognition, the
  purchase-of-services exclusion) reads `assessed_on` and, per unit, `recognized_on`,
  `one_time_paid`, `purchase_contract`, and answers `eligible`, `tier`, `performance_subsidy`,
  `one_time_subsidy`.

A top-level "policy" (as `manage.py export_campaign_inputs` writes) is optional; when given it must
be the code of the policy evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from assessment.engine.decimal_math import format_two_places, round_half_up
from assessment.engine.decision import DecisionUnit, decide_campaign
from assessment.engine.inputs import read_number
from assessment.engine.scoring import CompiledRubric, annual_score, compile_rubric
from assessment.engine.specs import PolicySpec

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")


@dataclass(frozen=True, slots=True)
class CaseError:
    """One problem in the cases: which unit (its code, or its position), month and field."""

    unit: str | None
    month: str | None
    field: str
    message: str

    def __str__(self) -> str:
        where = [f"单位 {self.unit}" if self.unit is not None else "输入"]
        if self.month is not None:
            where.append(f"月份 {self.month}")
        if self.field:
            where.append(f"字段 {self.field}")
        return f"{'，'.join(where)}：{self.message}"


def uses_recognition(policy: PolicySpec) -> bool:
    eligibility = policy.eligibility
    return (
        eligibility.min_months_recognised is not None
        or eligibility.purchase_of_services_excluded
        or policy.subsidy_schedule.one_time_basis == "first_recognition"
    )


def _unit_keys(policy: PolicySpec) -> tuple[str, ...]:
    """The keys every unit must give (a yearly unit may give "inputs" in place of "score")."""
    keys = ["code", "kind"]
    keys.append("months" if policy.period == "monthly" else "score")
    if policy.tier_scheme.method == "ranked":
        keys += ["level", "group"]
    if uses_recognition(policy):
        keys += ["recognized_on", "one_time_paid", "purchase_contract"]
    return tuple(keys)


def _parse_date(raw: Any) -> date | None:
    if not isinstance(raw, str) or not _DATE.fullmatch(raw):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _parse_score(raw: Any) -> tuple[Decimal | None, str | None]:
    number = read_number(raw)
    if number is None:
        return None, "得分应为数字"
    if not 0 <= number <= 100:
        return None, f"得分 {raw} 不在 0 到 100 之间"
    # A score with more decimals is rounded half-up to 2 first; the tier is decided on that.
    return round_half_up(Decimal(number)), None


class _CaseReader:
    """Reads and checks the cases, collecting every error; one instance per `evaluate_cases` call."""

    def __init__(self, policy: PolicySpec, rubric: CompiledRubric | None):
        self.policy = policy
        self.rubric = rubric
        self.errors: list[CaseError] = []
        self.unit_keys = _unit_keys(policy)
        self.allowed_keys = self.unit_keys + (("inputs",) if policy.period == "yearly" else ())

    def yearly_rubric(self) -> CompiledRubric:
        # Compiled only when a unit gives inputs: a case of scores never needs the rubric.
        if self.rubric is None:
            self.rubric = compile_rubric(self.policy.rubric, kinds=self.policy.kinds)
        return self.rubric

    def error(self, unit: str | None, field: str, message: str, month: str | None = None) -> None:
        self.errors.append(CaseError(unit=unit, month=month, field=field, message=message))

    def read_unit(self, index: int, raw: Any, assessed_on: date | None) -> dict[str, Any] | None:
        label = f"第 {index + 1} 个（无编号）"
        if not isinstance(raw, Mapping):
            self.error(label, "", "每个单位应为一个对象")
            return None
        code = raw.get("code")
        if isinstance(code, str) and code.strip():
            label = code
        else:
            self.error(label, "code", "缺少单位编号，或编号不是非空文本")
        errors_before = len(self.errors)
        gives_inputs = "inputs" in raw and "inputs" in self.allowed_keys
        for key in self.unit_keys:
            if key == "code" or (key == "score" and gives_inputs):
                continue  # a missing code is reported above; inputs stand in for the score
            if key not in raw:
                self.error(label, key, "缺少该项")
        for key in raw:
            if key not in self.allowed_keys:
                self.error(label, str(key), "不是本政策模拟输入中的字段")
        if gives_inputs and "score" in raw:
            self.error(label, "inputs", "得分（score）与考核表输入（inputs）只能给出其一")
        unit: dict[str, Any] = {"code": label}

        kind = raw.get("kind")
        if "kind" in raw and kind not in self.policy.kinds:
            self.error(label, "kind", f"未知类型 {kind!r}，本政策适用于 {'、'.join(self.policy.kinds)}")
        unit["kind"] = kind

        if self.policy.period == "monthly":
            unit["months"] = self._read_months(label, raw.get("months"), kind) if "months" in raw else None
        elif gives_inputs:
            unit["inputs"] = self._read_inputs(label, raw["inputs"], kind)
        elif "score" in raw:
            score, message = _parse_score(raw["score"])
            if message:
                self.error(label, "score", message)
            unit["score"] = score

        if self.policy.tier_scheme.method == "ranked":
            self._read_level_and_group(label, raw, unit)
        if uses_recognition(self.policy):
            self._read_recognition(label, raw, unit, assessed_on)
        return unit if len(self.errors) == errors_before and label == code else None

    def _read_months(self, label: str, raw: Any, kind: Any) -> list[tuple[str, int, dict[str, Any]]] | None:
        if not isinstance(raw, Mapping) or not raw:
            self.error(label, "months", '应为至少含一个月的对象 {"YYYY-MM": {...}}')
            return None
        months = []
        for key, inputs in raw.items():
            match = _MONTH.fullmatch(key) if isinstance(key, str) else None
            if match is None or not 1 <= int(match.group(2)) <= 12:
                self.error(label, "months", f"月份 {key!r} 应写作 YYYY-MM", month=str(key))
                continue
            if int(match.group(1)) != self.policy.year:
                self.error(label, "months", f"月份不在政策年度 {self.policy.year} 年内", month=key)
                continue
            if kind not in self.policy.kinds:
                continue  # reported once for the unit; inputs cannot be checked without a kind
            values, problems = self.rubric.parse_inputs(inputs, kind=kind, month=int(match.group(2)))
            for problem in problems:
                self.error(label, problem.field, problem.message, month=key)
            months.append((key, int(match.group(2)), values))
        return sorted(months, key=lambda month: month[0])

    def _read_inputs(self, label: str, raw: Any, kind: Any) -> dict[str, Any] | None:
        """A yearly sheet's inputs, checked as a campaign checks them; problems name the field."""
        if not isinstance(raw, Mapping):
            self.error(label, "inputs", '应为考核表输入的对象 {"输入名": 值, ...}')
            return None
        if kind not in self.policy.kinds:
            return None  # reported once for the unit; inputs cannot be checked without a kind
        values, problems = self.yearly_rubric().parse_inputs(raw, kind=kind)
        for problem in problems:
            field = f"inputs.{problem.field}" if problem.field else "inputs"
            self.error(label, field, problem.message)
        return values

    def _read_level_and_group(self, label: str, raw: Mapping[str, Any], unit: dict[str, Any]) -> None:
        levels = self.policy.tier_scheme.levels
        level = raw.get("level")
        if "level" in raw and level is not None and level not in levels:
            self.error(label, "level", f"未知级别 {level!r}，应为 {'、'.join(levels)} 或 null")
        group = raw.get("group")
        if "group" in raw and group is not None and not (isinstance(group, str) and group.strip()):
            self.error(label, "group", "小组应为非空文本或 null")
        unit["level"], unit["group"] = level, group

    def _read_recognition(
        self, label: str, raw: Mapping[str, Any], unit: dict[str, Any], assessed_on: date | None
    ) -> None:
        recognized_on = _parse_date(raw.get("recognized_on"))
        if "recognized_on" in raw and recognized_on is None:
            self.error(label, "recognized_on", f"日期 {raw.get('recognized_on')!r} 无效，应写作 YYYY-MM-DD")
        elif recognized_on is not None and assessed_on is not None and recognized_on > assessed_on:
            self.error(label, "recognized_on", f"认定日期 {recognized_on} 晚于考核日期 {assessed_on}")
        unit["recognized_on"] = recognized_on

        one_time_paid = raw.get("one_time_paid")
        if "one_time_paid" in raw and not isinstance(one_time_paid, bool):
            self.error(label, "one_time_paid", "应为 true 或 false")
        unit["one_time_paid"] = one_time_paid

        contract = raw.get("purchase_contract")
        unit["purchase_contract"] = None
        if contract is None:
            return
        if not isinstance(contract, Mapping):
            self.error(label, "purchase_contract", '应为 null 或 {"start": 日期， "end": 日期}')
            return
        for key in contract:
            if key not in {"start", "end"}:
                self.error(label, f"purchase_contract.{key}", "不是购买服务合同的字段")
        start, end = _parse_date(contract.get("start")), _parse_date(contract.get("end"))
        for key, value in (("start", start), ("end", end)):
            if value is None:
                self.error(
                    label, f"purchase_contract.{key}", f"日期 {contract.get(key)!r} 无效，应写作 YYYY-MM-DD"
                )
        if start is not None and end is not None:
            if start > end:
                self.error(label, "purchase_contract.end", f"合同结束日 {end} 早于开始日 {start}")
            unit["purchase_contract"] = (start, end)


def evaluate_cases(
    policy: PolicySpec, payload: Any, *, explain: bool = False
) -> tuple[dict[str, Any] | None, list[CaseError]]:
    """Score, tier and pay the cases in `payload` under `policy`; return (result, errors).

    `payload` is the parsed JSON (decimals preferably as `Decimal`, e.g. `json.loads(...,
    parse_float=Decimal)`). When anything is wrong the result is None and `errors` lists every
    problem, never raising for bad input; otherwise `errors` is empty and the result follows the
    contract of issue 3. With `explain`, each unit also carries "explanation" lines (an addition
    to the contract, off by default so the contract's shape stays exact).
    """
    rubric = compile_rubric(policy.rubric, kinds=policy.kinds) if policy.period == "monthly" else None
    reader = _CaseReader(policy, rubric)
    if not isinstance(payload, Mapping):
        reader.error(None, "", '应为一个 JSON 对象，如 {"units": [...]}')
        return None, reader.errors

    # "policy" is optional: a file exported from a campaign names its policy, and must name this one.
    if "policy" in payload and payload["policy"] != policy.code:
        reader.error(None, "policy", f"文件的政策 {payload['policy']} 与命令的政策 {policy.code} 不一致")
        return None, reader.errors
    top_keys = {"units", "policy"} | ({"assessed_on"} if uses_recognition(policy) else set())
    for key in payload:
        if key not in top_keys:
            reader.error(None, str(key), "不是本政策模拟输入中的字段")
    assessed_on = None
    if "assessed_on" in top_keys:
        assessed_on = _parse_date(payload.get("assessed_on"))
        if assessed_on is None:
            reader.error(
                None, "assessed_on", f"考核日期 {payload.get('assessed_on')!r} 无效，应写作 YYYY-MM-DD"
            )
    raw_units = payload.get("units")
    if not isinstance(raw_units, list):
        reader.error(None, "units", "应为单位列表")
        return None, reader.errors

    units = [reader.read_unit(index, raw, assessed_on) for index, raw in enumerate(raw_units)]
    # Duplicates are looked for among all given codes, so they show up with the other problems.
    seen: set[str] = set()
    for raw in raw_units:
        code = raw.get("code") if isinstance(raw, Mapping) else None
        if isinstance(code, str) and code.strip():
            if code in seen:
                reader.error(code, "code", "单位编号重复")
            seen.add(code)
    if reader.errors:
        return None, reader.errors

    if policy.period == "monthly":
        outputs = _score_months(policy, rubric, units, explain)
    else:
        outputs = _score_years(reader.rubric, units, explain)

    _apply_decision(policy, units, outputs, assessed_on, explain)
    return {"policy": policy.code, "units": outputs}, []


def _score_years(
    rubric: CompiledRubric | None, units: list[dict[str, Any]], explain: bool
) -> list[dict[str, Any]]:
    """A yearly unit's score as given, or its sheet's total when it gave the sheet's inputs."""
    outputs = []
    for unit in units:
        if "inputs" not in unit:
            unit["final_score"] = unit["score"]
            outputs.append({"code": unit["code"], "score": format_two_places(unit["score"])})
            continue
        sheet = rubric.score_sheet(unit["inputs"], kind=unit["kind"], explain=explain)
        # The sheet's total is already rounded item by item; the tier is decided on it as shown.
        unit["final_score"] = round_half_up(sheet.total)
        output: dict[str, Any] = {
            "code": unit["code"],
            "items": {code: format_two_places(points) for code, points in sheet.leaf_points().items()},
            "score": format_two_places(unit["final_score"]),
        }
        if explain:
            output["explanation"] = sheet.explanation_lines()
        outputs.append(output)
    return outputs


def _score_months(
    policy: PolicySpec, rubric: CompiledRubric, units: list[dict[str, Any]], explain: bool
) -> list[dict[str, Any]]:
    outputs = []
    for unit in units:
        months_out: dict[str, Any] = {}
        totals = []
        lines: list[str] = []
        for key, month, values in unit["months"]:
            sheet = rubric.score_sheet(values, kind=unit["kind"], month=month, explain=explain)
            totals.append(sheet.total)
            months_out[key] = {
                "total": format_two_places(sheet.total),
                "items": {code: format_two_places(points) for code, points in sheet.leaf_points().items()},
            }
            if explain:
                months_out[key]["explanation"] = sheet.explanation_lines()
        score = annual_score(totals)
        unit["final_score"] = score
        if explain:
            lines.append(f"{len(totals)} 个月得分的平均值 {score} 分")
        output = {"code": unit["code"], "months": months_out, "score": format_two_places(score)}
        if explain:
            output["explanation"] = lines
        outputs.append(output)
    return outputs


def _apply_decision(
    policy: PolicySpec,
    units: list[dict[str, Any]],
    outputs: list[dict[str, Any]],
    assessed_on: date | None,
    explain: bool,
) -> None:
    """The campaign's own decision (`decide_campaign`), written out in the simulator's shape."""
    decision_units = [
        DecisionUnit(
            code=unit["code"],
            kind=unit["kind"],
            score=unit["final_score"],
            level=unit.get("level"),
            group=unit.get("group"),
            recognized_on=unit.get("recognized_on"),
            purchase_contract=unit.get("purchase_contract"),
            one_time_decided=bool(unit.get("one_time_paid")),
        )
        for unit in units
    ]
    ranked = policy.tier_scheme.method == "ranked"
    with_recognition = uses_recognition(policy)
    decisions = decide_campaign(policy, decision_units, assessed_on=assessed_on)
    for output, decision in zip(outputs, decisions, strict=True):
        if ranked:
            output["band"] = decision.tier
            output["eliminated"] = decision.eliminated
            output["subsidy"] = format_two_places(decision.performance_subsidy)
        elif with_recognition:
            output["eligible"] = decision.eligible
            output["tier"] = decision.tier
            output["performance_subsidy"] = format_two_places(decision.performance_subsidy)
            output["one_time_subsidy"] = format_two_places(decision.one_time_subsidy)
        else:
            output["tier"] = decision.tier
            output["subsidy"] = format_two_places(decision.performance_subsidy)
        if explain:
            output.setdefault("explanation", []).append(decision.explanation)
