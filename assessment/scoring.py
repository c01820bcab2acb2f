"""The bridge between stored sheets and the pure engine: compile a policy once, score a column,
and keep the engine's result as JSON a page, a PDF or an export can show line by line."""

from decimal import Decimal
from functools import lru_cache
from typing import Any

from assessment.engine.inputs import InputProblem
from assessment.engine.scoring import CompiledRubric, ItemResult, SheetResult, compile_rubric
from assessment.engine.specs import PolicySpec
from assessment.models import Policy
from assessment.selectors import policy_spec


@lru_cache(maxsize=64)
def _compiled(policy_id: int, frozen_at: str) -> tuple[PolicySpec, CompiledRubric]:
    spec = policy_spec(Policy.objects.get(pk=policy_id))
    return spec, compile_rubric(spec.rubric, kinds=spec.kinds)


def compiled_policy(policy: Policy) -> tuple[PolicySpec, CompiledRubric]:
    """The policy's spec and compiled rubric, cached while the policy is frozen (its rows cannot change)."""
    if policy.frozen_at is None:
        spec = policy_spec(policy)
        return spec, compile_rubric(spec.rubric, kinds=spec.kinds)
    return _compiled(policy.pk, policy.frozen_at.isoformat())


def _item_json(item: ItemResult) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": item.code,
        "title": item.title,
        "points": str(item.points),
        "max": str(item.max_points),
        "explanation": item.explanation,
    }
    if item.children:
        data["children"] = [_item_json(child) for child in item.children]
    return data


def result_json(result: SheetResult) -> dict[str, Any]:
    """The engine's result as JSON: total, sections, items with points, max and explanation."""
    return {
        "total": str(result.total),
        "sections": [
            {
                "code": section.code,
                "title": section.title,
                "points": str(section.points),
                "max": str(section.max_points),
                "explanation": section.explanation,
                "items": [_item_json(item) for item in section.items],
            }
            for section in result.sections
        ],
    }


def leaf_points(result: dict[str, Any]) -> dict[str, Decimal]:
    """Points of every leaf item in a stored result, by item code."""
    points: dict[str, Decimal] = {}

    def walk(item: dict[str, Any]) -> None:
        if item.get("children"):
            for child in item["children"]:
                walk(child)
        else:
            points[item["code"]] = Decimal(item["points"])

    for section in result.get("sections", []):
        for item in section["items"]:
            walk(item)
    return points


def score_inputs(
    policy: Policy, *, kind: str, month: int | None, raw: dict[str, Any]
) -> tuple[dict[str, Any] | None, Decimal | None, list[InputProblem]]:
    """Check and score one column of inputs: (result JSON, total, problems). With problems, no result."""
    _, rubric = compiled_policy(policy)
    values, problems = rubric.parse_inputs(raw, kind=kind, month=month)
    if problems:
        return None, None, problems
    result = rubric.score_sheet(values, kind=kind, month=month)
    return result_json(result), result.total, []


def input_fields(
    policy: Policy, *, kind: str, month: int | None
) -> list[tuple[str, str, str, Decimal | None]]:
    """The inputs a sheet of `kind` asks for in `month`: (name, type, label, points max), in sheet order."""
    _, rubric = compiled_policy(policy)
    return [(f.spec.name, f.spec.type, f.spec.label, f.points_max) for f in rubric.field_rules(kind, month)]


def column_result(sheet, column: str) -> dict[str, Any]:
    """The engine's result for one column ("self", "onsite", "final") of a sheet, as `result_json`.

    Every reader of a sheet's points goes through here, never through stored JSON: the result is
    the inputs scored by the campaign's frozen policy, so it is derived when shown. Empty while the
    column has no total (not yet scored).
    """
    if getattr(sheet, f"{column}_total") is None:
        return {}
    result, _, _ = score_inputs(
        sheet.campaign.policy,
        kind=sheet.station.kind,
        month=sheet.month,
        raw=getattr(sheet, f"{column}_inputs"),
    )
    return result or {}
