"""A written reason on a score sheet: typed in the form, filled from Excel, shown with the points.

The policy is Yunmeng's with item 1.1 (8 points) turned into a discretionary deduction of at most
5 points that must say why.
"""

import dataclasses
import io
import random
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from assessment.engine.scoring import FieldRule
from assessment.engine.specs import InputSpec, ItemSpec
from assessment.forms import SheetInputsForm
from assessment.models import Campaign, ScoreSheet
from assessment.policies import SEED_POLICIES
from assessment.scoring import column_result, input_fields, score_inputs
from assessment.services.campaigns import campaign_open
from assessment.services.policies import policy_install
from assessment.services.sheet_import import SheetImportError, import_template, sheets_import_inputs
from portal.province import GENERATED_REASON, _points_inputs

DEDUCTED, REASON = "item_1_1_deducted", "item_1_1_reason"
JUDGED = ItemSpec(
    code="1.1",
    title="场所与硬件设施",
    max_points=Decimal(8),
    rule="discretionary_deduction",
    params={"input": DEDUCTED, "reason": REASON, "most": "5"},
    inputs=(InputSpec(DEDUCTED, "points", "场所与硬件设施扣分"), InputSpec(REASON, "text", "扣分理由")),
)


def with_judged_item():
    spec = SEED_POLICIES["yunmeng-2024"]
    first = spec.rubric.sections[0]
    section = dataclasses.replace(first, items=(JUDGED, *first.items[1:]))
    rubric = dataclasses.replace(spec.rubric, sections=(section, *spec.rubric.sections[1:]))
    return dataclasses.replace(spec, code="yunmeng-2024-reason", rubric=rubric)


@pytest.fixture
def reason_campaign(world, campaign) -> Campaign:
    campaign.policy = policy_install(spec=with_judged_item(), region=world.county_a)
    campaign.save(update_fields=["policy"])
    return campaign_open(campaign=campaign, actor=world.bureau_a)


def full_marks(campaign: Campaign) -> dict:
    """Every manual item at its max (the points-only helper, without the deduction's two fields)."""
    fields = [f for f in input_fields(campaign.policy, kind="gig_station", month=None) if f[1] == "points"]
    return {name: str(maximum) for name, _, _, maximum in fields if name != DEDUCTED}


def test_the_form_draws_the_reason_as_a_text_box_and_bounds_the_deduction(reason_campaign):
    form = SheetInputsForm(
        fields=input_fields(reason_campaign.policy, kind="gig_station", month=None), values={}
    )
    reason = str(form[REASON])
    assert "<textarea" in reason
    assert "data-range" not in reason and "inputmode" not in reason
    assert form.fields[REASON].help_text.startswith("文字，最多 500 字")
    assert form.fields[DEDUCTED].help_text == "0–5 分"


def test_a_deduction_typed_without_its_reason_is_flagged_on_the_reason(reason_campaign):
    fields = input_fields(reason_campaign.policy, kind="gig_station", month=None)
    form = SheetInputsForm(
        {**full_marks(reason_campaign), DEDUCTED: "2", REASON: "  "}, fields=fields, values={}
    )
    assert form.is_valid()
    raw = form.raw_inputs()
    assert REASON not in raw  # left empty, so not given
    _, _, problems = score_inputs(reason_campaign.policy, kind="gig_station", month=None, raw=raw)
    warnings = form.warning_texts({p.field: p.message for p in problems})
    assert warnings == {REASON: "“扣分理由”：酌情扣分须写明理由"}


def test_a_reason_is_kept_and_shown_in_the_item_explanation(reason_campaign):
    raw = {**full_marks(reason_campaign), DEDUCTED: "2", REASON: "未悬挂统一标识牌"}
    result, total, problems = score_inputs(reason_campaign.policy, kind="gig_station", month=None, raw=raw)
    assert problems == []
    # 100 - 2
    assert total == Decimal("98.00")
    item = result["sections"][0]["items"][0]
    assert (item["points"], item["explanation"]) == (
        "6.00",
        "酌情扣 2 分（理由：未悬挂统一标识牌），得 6.00 分",
    )


def filled(content: bytes, values: dict) -> bytes:
    book = load_workbook(io.BytesIO(content))
    sheet = book["数据"]
    header = [cell.value for cell in sheet[1]]
    column_of = {title.rsplit("（", 1)[-1].rstrip("）"): index + 1 for index, title in enumerate(header)}
    for name, value in values.items():
        sheet.cell(row=2, column=column_of[name], value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_import_template_has_a_text_column_for_the_reason(reason_campaign):
    book = load_workbook(io.BytesIO(import_template(campaign=reason_campaign)), read_only=True)
    header = next(book["数据"].iter_rows(values_only=True))
    guide = {row[0]: row[1] for row in book["填写说明"].iter_rows(min_row=2, values_only=True)}
    assert "扣分理由（item_1_1_reason）" in header
    assert guide["扣分理由（item_1_1_reason）"] == "文字，最多 500 字（扣分时写明理由）"


def test_an_imported_reason_is_saved_with_the_deduction(world, reason_campaign):
    content = filled(
        import_template(campaign=reason_campaign),
        {
            **{k: float(v) for k, v in full_marks(reason_campaign).items()},
            DEDUCTED: 1.5,
            REASON: " 台账不全 ",
        },
    )
    assert sheets_import_inputs(campaign=reason_campaign, actor=world.bureau_a, file=io.BytesIO(content)) == 1
    sheet = ScoreSheet.objects.select_related("campaign__policy", "station").get(campaign=reason_campaign)
    assert sheet.onsite_total == Decimal("98.50")
    item = column_result(sheet, "onsite")["sections"][0]["items"][0]
    assert item["explanation"] == "酌情扣 1.5 分（理由：台账不全），得 6.50 分"


def test_an_imported_deduction_without_a_reason_names_the_reason_cell(world, reason_campaign):
    content = filled(
        import_template(campaign=reason_campaign),
        {**{k: float(v) for k, v in full_marks(reason_campaign).items()}, DEDUCTED: 1},
    )
    with pytest.raises(SheetImportError) as raised:
        sheets_import_inputs(campaign=reason_campaign, actor=world.bureau_a, file=io.BytesIO(content))
    (problem,) = raised.value.problems
    assert str(problem) == "第 2 行 E 列：酌情扣分须写明理由（扣分理由）"


def test_generated_province_inputs_give_a_reason_with_every_deduction():
    fields = (
        FieldRule(InputSpec("points", "points", "得分"), 1, Decimal(8)),
        FieldRule(InputSpec(DEDUCTED, "points", "扣分"), 1, Decimal(5), deduction=True),
        FieldRule(InputSpec(REASON, "text", "扣分理由"), 1, None),
    )
    # A weak unit (quality 0.3) loses most of its deduction's 5 points, and says why.
    raw = _points_inputs(fields, 0.3, random.Random(1))
    assert Decimal(raw[DEDUCTED]) >= Decimal(3)
    assert raw[REASON] == GENERATED_REASON
    # A perfect unit deducts nothing and needs no reason.
    raw = _points_inputs(fields, 1.2, random.Random(1))
    assert raw[DEDUCTED] == "0" and REASON not in raw
