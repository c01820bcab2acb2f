"""The bridge between stored sheets and the pure engine: compile a policy once, score a column,
and give the engine's result as JSON a page, a PDF or an export can show line by line.

A sheet stores only each column's inputs (packed by `pack_inputs`) and total; its points are
derived when shown (`column_result`), from the inputs and the campaign's frozen policy."""

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


def _spec_input_names(spec: PolicySpec) -> tuple[str, ...]:
    def walk(items):
        for item in items:
            yield item
            yield from walk(item.children)

    return tuple(
        sorted(
            {
                input_spec.name
                for section in spec.rubric.sections
                for item in walk(section.items)
                for input_spec in item.inputs
            }
        )
    )


@lru_cache(maxsize=64)
def _input_names(policy_id: int, frozen_at: str) -> tuple[str, ...]:
    spec, _ = _compiled(policy_id, frozen_at)
    return _spec_input_names(spec)


def input_names(policy: Policy) -> tuple[str, ...]:
    """Every input name the policy's rubric reads, sorted: the positions of packed inputs.

    Sorted names, not the order the rubric lists them in, so the positions depend only on which
    names a frozen policy has, never on how the code walks its items.
    """
    if policy.frozen_at is None:
        return _spec_input_names(compiled_policy(policy)[0])
    return _input_names(policy.pk, policy.frozen_at.isoformat())


def pack_inputs(policy: Policy, raw: dict[str, Any]) -> list[Any] | dict[str, Any]:
    """A column's inputs as stored: their values at the positions of `input_names`, None where not given.

    Inputs of a frozen policy are stored this way because a province has several hundred thousand
    sheets and the names would otherwise be most of their bytes. Inputs that a list cannot hold
    exactly (a name the policy does not read, a None value) are kept as the dict they are; `{}`
    stays `{}` (nothing given).
    """
    if not raw:
        return {}
    names = input_names(policy)
    position = {name: index for index, name in enumerate(names)}
    if any(name not in position or value is None for name, value in raw.items()):
        return dict(raw)
    packed: list[Any] = [None] * (max(position[name] for name in raw) + 1)
    for name, value in raw.items():
        packed[position[name]] = value
    return packed


def unpack_inputs(policy: Policy, packed: list[Any] | dict[str, Any]) -> dict[str, Any]:
    """The inputs `pack_inputs` stored, as a new dict {name: value as given}."""
    if isinstance(packed, dict):
        return dict(packed)
    return unpack_with(input_names(policy), packed)


def unpack_with(names: tuple[str, ...], packed: list[Any] | dict[str, Any]) -> dict[str, Any]:
    """`unpack_inputs` with the policy's `input_names` already in hand (for bulk reads)."""
    if isinstance(packed, dict):
        return dict(packed)
    if len(packed) > len(names):
        raise ValueError(f"评分表数据有 {len(packed)} 项，多于政策的 {len(names)} 个数据项")
    return {name: value for name, value in zip(names, packed, strict=False) if value is not None}


def column_result(sheet, column: str) -> dict[str, Any]:
    """The engine's result for one column ("self", "onsite", "final") of a sheet, as `result_json`.

    Every reader of a sheet's points goes through here, never through stored JSON: the result is
    the inputs scored by the campaign's frozen policy, so it is derived when shown. Empty while the
    column has no total (not yet scored). Remembered on the sheet object while its inputs and total
    stay as they are, so a page may ask for it per row; the result is shared: do not change it.
    """
    total = getattr(sheet, f"{column}_total")
    if total is None:
        return {}
    raw = getattr(sheet, f"{column}_inputs")
    remembered = sheet.__dict__.setdefault("_column_results", {})
    known = remembered.get(column)
    if known is not None and known[0] == raw and known[1] == total:
        return known[2]
    result, _, _ = score_inputs(sheet.campaign.policy, kind=sheet.station.kind, month=sheet.month, raw=raw)
    remembered[column] = (raw, total, result or {})
    return result or {}
