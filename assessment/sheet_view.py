"""A score sheet laid out for reading: one row per section and item, the three columns side by side.

Shared by the portal, the admin and (later) the PDF, so every place shows the same numbers with
the same explanations.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from assessment.models import ScoreSheet
from assessment.policies.illustrative import plain_title

COLUMNS = ("self", "onsite", "final")


@dataclass
class SheetRow:
    level: int  # 0 section, 1 item, 2 sub-item
    code: str
    title: str
    max_points: str
    points: dict[str, str | None] = field(default_factory=dict)
    explanations: dict[str, str] = field(default_factory=dict)
    gap: bool = False

    @property
    def explanation(self) -> str:
        """The most settled explanation: final, else on-site, else the self-evaluation's."""
        for column in ("final", "onsite", "self"):
            if self.explanations.get(column):
                return self.explanations[column]
        return ""


def _index(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def walk(node: dict[str, Any], prefix: str) -> None:
        found[prefix + node["code"]] = node
        for child in node.get("children", []) or []:
            walk(child, prefix)

    for section in result.get("sections", []):
        found["§" + section["code"]] = section
        for item in section["items"]:
            walk(item, "")
    return found


def sheet_rows(sheet: ScoreSheet) -> list[SheetRow]:
    """Rows for every section and item of the sheet's rubric, whether or not a column is scored yet."""
    from assessment.scoring import column_result, compiled_policy

    spec, _ = compiled_policy(sheet.campaign.policy)
    results = {column: _index(column_result(sheet, column)) for column in COLUMNS}
    threshold = sheet.campaign.gap_threshold
    rows: list[SheetRow] = []

    def add(key: str, level: int, code: str, title: str, max_points: Decimal) -> SheetRow:
        # The illustrative-values mark is for the policy's editor; the sheet says it once, above.
        row = SheetRow(level=level, code=code, title=plain_title(title), max_points=str(max_points))
        for column in COLUMNS:
            node = results[column].get(key)
            row.points[column] = node["points"] if node else None
            row.explanations[column] = node["explanation"] if node else ""
        own, onsite = row.points["self"], row.points["onsite"]
        row.gap = (
            level > 0
            and own is not None
            and onsite is not None
            and abs(Decimal(own) - Decimal(onsite)) > threshold
        )
        rows.append(row)
        return row

    def add_item(item, level: int) -> None:
        if not item.applies_to(sheet.station.kind):
            return
        add(item.code, level, item.code, item.title, item.max_points)
        for child in item.children:
            add_item(child, level + 1)

    for section in spec.rubric.sections:
        add("§" + section.code, 0, section.code, section.title, section.max_points)
        for item in section.items:
            add_item(item, 1)
    return rows
