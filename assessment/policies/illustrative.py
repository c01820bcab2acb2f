"""Items of the rubrics whose seed publishes no score sheet (000's 考核细则, 002's 附件6).

Each such item is scored by hand by the assessor (rule "manual"), with an illustrative maximum
that the item's title (ILLUSTRATIVE_MARK) and note say must be replaced by the local sheet's value
before a campaign uses it; the seed files in this folder are written so.

The mark in the title is for the bureau editing the policy. What an operator, an assessor or an
auditor reads (the phone form, the score sheet PDF, the Excel tables) shows the plain title and
says it once, in one line under the heading: `plain_title` and `illustrative_notice`.
"""

from assessment.engine.specs import PolicySpec

ILLUSTRATIVE_MARK = "（示例分值）"


def plain_title(title: str) -> str:
    """A section's or item's title without the illustrative mark: 场所与硬件设施（示例分值） -> 场所与硬件设施."""
    return title.replace(ILLUSTRATIVE_MARK, "").strip()


def uses_illustrative_values(spec: PolicySpec) -> bool:
    """Whether any section or item of the rubric carries illustrative point values."""

    def marked(items) -> bool:
        return any(ILLUSTRATIVE_MARK in item.title or marked(item.children) for item in items)

    return any(
        ILLUSTRATIVE_MARK in section.title or marked(section.items) for section in spec.rubric.sections
    )


def illustrative_notice(spec: PolicySpec, *, region_name: str) -> str:
    """The one line a printed sheet carries when its point values are illustrative; "" otherwise.

    `region_name` is the campaign's region, whose bureau publishes the binding rubric (云梦县).
    """
    if not uses_illustrative_values(spec):
        return ""
    return f"说明：本表考核项目分值为示例，以{region_name}人力资源和社会保障局正式发布的考核细则为准。"
