"""Items of the rubrics whose seed publishes no score sheet (000's 考核细则, 002's 附件6).

Each such item is scored by hand by the assessor, with an illustrative maximum that the item's
title and note say must be replaced by the local sheet's value before a campaign uses it.
"""

from decimal import Decimal

from assessment.engine.specs import InputSpec, ItemSpec


def manual_item(code: str, title: str, max_points: int, source: str, *, caveat: str) -> ItemSpec:
    """A hand-scored item read from the input `item_<code>_points`, marked as illustrative."""
    field = f"item_{code.replace('.', '_')}_points"
    return ItemSpec(
        code=code,
        title=f"{title}（示例分值）",
        max_points=Decimal(max_points),
        rule="manual",
        params={"input": field, "label": title},
        inputs=(InputSpec(field, "points", f"{title}得分"),),
        note=f"{caveat}；依据：{source}",
    )
