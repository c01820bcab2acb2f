"""Rubric counts taken from an operating contract's target （取运营合同目标, issue 15 item 4): bound in
the policy (`target:`), shown beside the input as the contract's target over the sheet's period, and
prefilled; a station without a contract shows 无运营合同 and is typed by hand.

The policy is Yunmeng's with item 1.1 (8 points) turned into completion rates: what was done
(typed) over the contract's target (bound). The figures are worked out by hand from the contracts
the tests create: a target of 120 over a 360-day contract of which 180 days fall in the sheet's
year (2024) is 60 for the sheet.
"""

import dataclasses
import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.contract_inputs import sheet_target_figures, sheets_target_figures
from assessment.engine.scoring import RubricError, compile_rubric
from assessment.engine.specs import InputSpec, ItemSpec
from assessment.engine.validation import validate_rubric
from assessment.models import Campaign, ScoreSheet
from assessment.policies import SEED_POLICIES
from assessment.policy_file import PolicyFileError, policy_file_text, read_policy_file
from assessment.scoring import input_fields
from assessment.services.campaigns import campaign_open
from assessment.services.policies import policy_freeze, policy_install
from stations.contracts import contract_save
from stations.models import OperatingContract
from tests.assessment.steps import assign_assessor, self_evaluate
from tests.factories import make_station, valid_credit_code

HUIZHOU_FILE = Path(settings.BASE_DIR) / "assessment" / "policies" / "huizhou-2024.yaml"
# 2024-07-05 … 2025-06-29: 360 days with both ends, 180 of them in 2024 (27 + 31 + 30 + 31 + 30 + 31).
START, END = datetime.date(2024, 7, 5), datetime.date(2025, 6, 29)
RATES = (("job_postings", "岗位信息", "条"), ("placements", "推荐就业", "人"))


def rate_item(field: str, title: str, unit: str) -> ItemSpec:
    return ItemSpec(
        code=f"1.1.{field}",
        title=f"{title}完成率",
        max_points=Decimal(4),
        rule="proportional",
        params={"numerator": f"{field}_done", "denominator": f"{field}_target", "label": f"{title}完成率"},
        inputs=(
            InputSpec(f"{field}_done", "count", f"{title}完成数（{unit}）"),
            InputSpec(f"{field}_target", "count", f"运营合同约定{title}目标（{unit}）", target=field),
        ),
    )


def target_policy(bound: int):
    """Yunmeng with 1.1 as the sum of `bound` completion rates (4 points each; 8 with one)."""
    children = tuple(rate_item(*rate) for rate in RATES[:bound])
    if bound == 1:
        children = (dataclasses.replace(children[0], max_points=Decimal(8)),)
    item = ItemSpec(
        code="1.1", title="服务目标完成", max_points=Decimal(8), rule="capped_sum", children=children
    )
    spec = SEED_POLICIES["yunmeng-2024"]
    first = spec.rubric.sections[0]
    section = dataclasses.replace(first, items=(item, *first.items[1:]))
    rubric = dataclasses.replace(spec.rubric, sections=(section, *spec.rubric.sections[1:]))
    return dataclasses.replace(spec, code=f"yunmeng-2024-target{bound}", rubric=rubric)


def with_input(input_spec: InputSpec):
    """The one-rate rubric with its target input replaced by `input_spec`."""
    spec = target_policy(1)
    item = spec.rubric.sections[0].items[0]
    child = item.children[0]
    changed = dataclasses.replace(child, inputs=(child.inputs[0], input_spec))
    first = spec.rubric.sections[0]
    section = dataclasses.replace(
        first, items=(dataclasses.replace(item, children=(changed,)), *first.items[1:])
    )
    return dataclasses.replace(spec.rubric, sections=(section, *spec.rubric.sections[1:])), spec.kinds


def sign(world, station, *, bureau=None, **fields) -> OperatingContract:
    bureau = bureau or world.bureau_a
    values = {
        "number": f"HT-{station.code}",
        "operator_organisation": "云梦县仁和人力资源服务有限公司",
        "operator_credit_code": valid_credit_code(7),
        "start": START,
        "end": END,
        "amount": Decimal("360000.00"),
        "supervisor": bureau,
        "target_job_postings": 120,
        **fields,
    }
    return contract_save(
        contract=OperatingContract(station=station, **values), actor=bureau, reason="公开招标中标"
    )


@pytest.fixture
def target_campaign(world, campaign) -> Campaign:
    campaign.policy = policy_install(spec=target_policy(1), region=world.county_a)
    campaign.save(update_fields=["policy"])
    return campaign_open(campaign=campaign, actor=world.bureau_a)


def reload_sheet(sheet) -> ScoreSheet:
    return ScoreSheet.objects.select_related("campaign__policy", "station").get(pk=sheet.pk)


@pytest.fixture
def target_sheet(world, target_campaign) -> ScoreSheet:
    return reload_sheet(ScoreSheet.objects.get(campaign=target_campaign, station=world.station_a))


def input_value(page: str, name: str) -> str | None:
    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert found, name
    value = re.search(r'value="([^"]*)"', found.group(0))
    return value.group(1) if value else None


def self_page(client, world, sheet) -> str:
    client.force_login(world.operator_a)
    return client.get(reverse("assessment:sheet_self_edit", args=[sheet.pk])).content.decode()


# --- the spec and the policy file -----------------------------------------------------------


def test_an_input_without_a_target_keeps_its_stored_form_and_one_with_it_round_trips():
    plain = InputSpec("jobs_target", "count", "岗位目标（条）")
    bound = InputSpec("jobs_target", "count", "岗位目标（条）", target="job_postings")

    assert plain.to_dict() == {"name": "jobs_target", "type": "count", "label": "岗位目标（条）"}
    assert bound.to_dict() == {**plain.to_dict(), "target": "job_postings"}
    assert InputSpec.from_dict(bound.to_dict()) == bound
    assert InputSpec.from_dict(plain.to_dict()) == plain


def test_huizhous_job_target_is_its_contracts_and_the_file_writes_it_back():
    spec = read_policy_file(HUIZHOU_FILE.read_text(encoding="utf-8"))
    targets = {
        input_spec.name: input_spec.target
        for section in spec.rubric.sections
        for item in section.items
        for input_spec in item.inputs
        if input_spec.target
    }
    assert targets == {"jobs_target": "job_postings"}

    written = policy_file_text(spec)
    assert "target: job_postings" in written
    assert read_policy_file(written) == spec


def test_a_target_only_on_a_count_only_to_a_known_field_and_not_with_a_log():
    on_rate, kinds = with_input(
        InputSpec("job_postings_target", "rate", "岗位目标完成率", target="job_postings")
    )
    messages = [f.message for f in validate_rubric(on_rate, kinds=kinds) if f.severity == "error"]
    assert any("是百分比，只有个数（整数）输入可以取运营合同目标" in m for m in messages), messages

    unknown, kinds = with_input(InputSpec("job_postings_target", "count", "岗位目标（条）", target="jobs"))
    with pytest.raises(
        RubricError, match="取数的合同目标 jobs 不存在；可用的有：job_postings（收集发布岗位信息）"
    ):
        compile_rubric(unknown, kinds=kinds)

    both, kinds = with_input(
        InputSpec("job_postings_target", "count", "岗位目标（条）", log="job_postings", target="job_postings")
    )
    with pytest.raises(RubricError, match="不能既从工作日志取数又取运营合同目标"):
        compile_rubric(both, kinds=kinds)


def test_the_policy_file_refuses_a_wrong_target_in_chinese_naming_the_item():
    text = HUIZHOU_FILE.read_text(encoding="utf-8")
    with pytest.raises(PolicyFileError) as unknown:
        read_policy_file(text.replace("target: job_postings", "target: postings"))
    assert "合同目标 postings 不存在" in str(unknown.value)
    assert "5.1" in str(unknown.value)

    on_flag = text.replace(
        "{name: has_computer, type: flag", "{name: has_computer, type: flag, target: matches"
    )
    assert on_flag != text
    with pytest.raises(PolicyFileError, match="只有个数（整数）输入可以取运营合同目标"):
        read_policy_file(on_flag)


def test_a_database_installed_before_the_binding_is_told_what_the_shipped_file_adds():
    from assessment.engine.spec_diff import spec_differences

    text = HUIZHOU_FILE.read_text(encoding="utf-8")
    installed = read_policy_file(text.replace(", target: job_postings", ""))
    lines = spec_differences(installed, read_policy_file(text))
    assert lines == ["评分项目 5.1 输入项 jobs_target 合同目标取数 无 → 收集发布岗位信息"]


def test_the_rule_editor_keeps_a_target_binding_it_has_no_field_for():
    from assessment.rule_editor import Before, fields_from_item, item_from_fields

    item = rate_item(*RATES[0])
    params, inputs = dict(item.params), [spec.to_dict() for spec in item.inputs]
    before = Before(rule="proportional", params=params, inputs=inputs, title=item.title)
    shown = fields_from_item("proportional", params, inputs, title=item.title, code="1.1")
    assert shown is not None

    _, kept = item_from_fields("proportional", shown, code="1.1", title=item.title, before=before)
    assert {spec["name"]: spec.get("target") for spec in kept}["job_postings_target"] == "job_postings"


# --- the sheet pages --------------------------------------------------------------------------


def test_the_self_evaluation_shows_the_contracts_target_for_the_year_and_starts_from_it(
    client, world, target_sheet
):
    sign(world, world.station_a)  # 120 postings over 360 days, 180 of them in 2024

    page = self_page(client, world, target_sheet)

    assert "合同目标：60 条" in page
    assert input_value(page, "job_postings_target") == "60"
    assert input_value(page, "job_postings_done") is None  # typed by hand: nothing to take


def test_the_operator_cannot_restate_the_contracts_target(client, world, target_sheet):
    # The target is the contract's: shown read-only at it, and a lower figure posted anyway (an
    # edited page) is not what the self column keeps.
    sign(world, world.station_a)
    client.force_login(world.operator_a)
    url = reverse("assessment:sheet_self_edit", args=[target_sheet.pk])
    client.post(url, {"job_postings_target": "30", "save": ""})

    assert reload_sheet(target_sheet).self_inputs["job_postings_target"] == "60"
    page = client.get(url).content.decode()
    assert input_value(page, "job_postings_target") == "60"
    assert re.search(r'<input[^>]*name="job_postings_target"[^>]*readonly', page)
    assert "取自运营合同，不能修改" in page
    assert "合同目标：60 条" in page


def test_without_a_contract_the_operator_types_the_target(client, world, target_sheet):
    client.force_login(world.operator_a)
    url = reverse("assessment:sheet_self_edit", args=[target_sheet.pk])
    client.post(url, {"job_postings_target": "100", "save": ""})

    page = client.get(url).content.decode()
    assert input_value(page, "job_postings_target") == "100"
    assert not re.search(r'<input[^>]*name="job_postings_target"[^>]*readonly', page)


def test_the_on_site_form_shows_and_prefills_the_target(client, world, target_sheet):
    sign(world, world.station_a)
    assign_assessor(target_sheet, assessor=world.assessor_a, bureau=world.bureau_a)
    client.force_login(world.assessor_a)

    page = client.get(reverse("assessment:sheet_onsite_edit", args=[target_sheet.pk])).content.decode()

    assert "合同目标：60 条" in page
    assert input_value(page, "job_postings_target") == "60"


def test_two_contracts_over_the_year_add_their_shares(client, world, target_sheet):
    # The contract before: 2023-07-09 … 2024-07-04, 362 days of which 186 in 2024, 362 postings → 186.
    sign(
        world,
        world.station_a,
        number="HT-OLD",
        start=datetime.date(2023, 7, 9),
        end=datetime.date(2024, 7, 4),
        target_job_postings=362,
    )
    sign(world, world.station_a)

    assert "合同目标：246 条" in self_page(client, world, target_sheet)  # 186 + 60


def test_a_station_without_a_contract_shows_so_and_is_typed_by_hand(client, world, target_sheet):
    # A contract of another station, and one of this station ended before the year, do not count.
    sign(world, world.station_b, bureau=world.bureau_b)
    sign(world, world.station_a, start=datetime.date(2022, 1, 1), end=datetime.date(2023, 12, 31))

    page = self_page(client, world, target_sheet)

    assert "无运营合同" in page
    assert "合同目标：" not in page
    assert input_value(page, "job_postings_target") is None


def test_a_contract_without_that_target_says_so(client, world, target_sheet):
    sign(world, world.station_a, target_job_postings=None, target_placements=50)

    page = self_page(client, world, target_sheet)

    assert "运营合同未约定“收集发布岗位信息”目标" in page
    assert input_value(page, "job_postings_target") is None


def test_a_sheet_without_a_bound_input_shows_no_target(client, world, sheet):
    sign(world, world.station_a)
    page = self_page(client, world, sheet)
    assert "合同目标" not in page and "无运营合同" not in page


# --- on site: a difference needs its reason, and the figure compared stays ---------------------


def complete_inputs(campaign, station) -> dict[str, str]:
    """Every points item at its maximum and 30 postings done (the target is the test's)."""
    fields = input_fields(campaign.policy, kind=station.kind, month=None)
    return {name: str(most) for name, kind, _, most in fields if kind == "points"} | {
        "job_postings_done": "30"
    }


@pytest.fixture
def onsite_target_sheet(world, target_sheet) -> ScoreSheet:
    """The operator self-evaluated before the contract was signed, claiming a target of 40; the
    contract then says 60 for 2024; the assessor is assigned and declared."""
    inputs = complete_inputs(target_sheet.campaign, world.station_a)
    self_evaluate(target_sheet, operator=world.operator_a, raw={**inputs, "job_postings_target": "40"})
    sign(world, world.station_a)
    assign_assessor(target_sheet, assessor=world.assessor_a, bureau=world.bureau_a)
    return reload_sheet(target_sheet)


def test_the_on_site_form_starts_from_the_contract_not_the_operators_figure(
    client, world, onsite_target_sheet
):
    assert onsite_target_sheet.self_inputs["job_postings_target"] == "40"
    client.force_login(world.assessor_a)

    page = client.get(reverse("assessment:sheet_onsite_edit", args=[onsite_target_sheet.pk])).content.decode()

    assert input_value(page, "job_postings_target") == "60"
    assert input_value(page, "job_postings_done") == "30"  # the rest from the operator, as before
    assert "与运营合同目标不一致时，写明核实情况" in page


def test_an_on_site_target_other_than_the_contracts_needs_the_reason_and_stays_when_corrected(
    client, world, onsite_target_sheet
):
    from assessment.documents.score_sheet import score_sheet_html, station_document, station_fingerprint

    client.force_login(world.assessor_a)
    url = reverse("assessment:sheet_onsite_edit", args=[onsite_target_sheet.pk])
    posted = {**complete_inputs(onsite_target_sheet.campaign, world.station_a), "job_postings_target": "40"}

    refused = client.post(url, {**posted, "findings": "", "submit": ""})

    assert refused.status_code == 200
    assert (
        "与运营合同约定的目标不一致，请写明核实情况（合同目标 60，现场填写 40）" in refused.content.decode()
    )
    assert reload_sheet(onsite_target_sheet).status == ScoreSheet.Status.SUBMITTED

    reason = "合同补充协议将下半年目标调减为 80 条"
    accepted = client.post(
        url, {**posted, "findings": "", "gap_log:job_postings_target": reason, "submit": ""}
    )

    assert accepted.status_code == 302
    sheet = reload_sheet(onsite_target_sheet)
    assert sheet.status == ScoreSheet.Status.ASSESSED
    assert sheet.gap_reasons == {"log:job_postings_target": reason}
    assert sheet.log_figures == {"job_postings_target": 60}
    note = f"合同目标 60，现场核实 40：{reason}"
    detail_url = reverse("assessment:sheet_detail", args=[sheet.pk])
    assert note in client.get(detail_url).content.decode()
    printed_before = station_fingerprint(campaign=sheet.campaign, station=world.station_a)
    assert f"与运营合同目标不一致：</b>运营合同约定岗位信息目标（条），{note}" in score_sheet_html(
        station_document(campaign=sheet.campaign, station=world.station_a, actor=None)
    )

    # The bureau corrects the contract afterwards (240 over the contract: 120 for 2024): the
    # assessed sheet still says what the assessor compared, and prints the same.
    OperatingContract.objects.filter(station=world.station_a).update(target_job_postings=240)
    assert sheet_target_figures(reload_sheet(sheet))["job_postings_target"].value == 60
    assert note in client.get(detail_url).content.decode()
    document = station_document(campaign=sheet.campaign, station=world.station_a, actor=None)
    assert note in score_sheet_html(document)
    assert document.fingerprint == printed_before
    # The copy is what the fingerprint covers.
    ScoreSheet.objects.filter(pk=sheet.pk).update(log_figures={"job_postings_target": 120})
    assert station_fingerprint(campaign=sheet.campaign, station=world.station_a) != printed_before


def test_the_contracts_target_confirmed_needs_no_reason(client, world, onsite_target_sheet):
    client.force_login(world.assessor_a)
    url = reverse("assessment:sheet_onsite_edit", args=[onsite_target_sheet.pk])
    posted = {**complete_inputs(onsite_target_sheet.campaign, world.station_a), "job_postings_target": "60"}

    assert client.post(url, {**posted, "findings": "", "submit": ""}).status_code == 302
    sheet = reload_sheet(onsite_target_sheet)
    assert (sheet.status, sheet.gap_reasons, sheet.log_figures) == (
        ScoreSheet.Status.ASSESSED,
        {},
        {"job_postings_target": 60},
    )


def test_a_draft_on_site_column_reads_the_contract_as_it_is_now(client, world, onsite_target_sheet):
    client.force_login(world.assessor_a)
    url = reverse("assessment:sheet_onsite_edit", args=[onsite_target_sheet.pk])
    assert "合同目标：60 条" in client.get(url).content.decode()
    OperatingContract.objects.filter(station=world.station_a).update(target_job_postings=240)
    assert "合同目标：120 条" in client.get(url).content.decode()


def test_without_a_contract_on_site_no_reason_is_asked(client, world, target_sheet):
    inputs = {**complete_inputs(target_sheet.campaign, world.station_a), "job_postings_target": "40"}
    self_evaluate(target_sheet, operator=world.operator_a, raw=inputs)
    assign_assessor(target_sheet, assessor=world.assessor_a, bureau=world.bureau_a)
    client.force_login(world.assessor_a)
    url = reverse("assessment:sheet_onsite_edit", args=[target_sheet.pk])

    assert input_value(client.get(url).content.decode(), "job_postings_target") == "40"
    assert client.post(url, {**inputs, "findings": "", "submit": ""}).status_code == 302
    sheet = reload_sheet(target_sheet)
    assert (sheet.status, sheet.log_figures) == (ScoreSheet.Status.ASSESSED, {})


# --- the Excel import asks the same ------------------------------------------------------------


def test_the_import_starts_at_the_target_and_refuses_another_without_its_reason(world, target_campaign):
    from assessment.services.sheet_import import (
        SheetImportError,
        import_template_sheets,
        sheets_import_inputs,
    )
    from core.xlsx import column_letter
    from tests.assessment.test_log_bound_inputs import import_file

    sign(world, world.station_a)
    template = import_template_sheets(campaign=target_campaign)[0]
    header = template.header
    assert header[-1] == "运营合同约定岗位信息目标（条）（job_postings_target）与运营合同目标不一致的理由"
    column = header.index("运营合同约定岗位信息目标（条）（job_postings_target）")
    assert [row[column] for row in template.rows] == [60]
    inputs = {**complete_inputs(target_campaign, world.station_a), "job_postings_target": 40}

    with pytest.raises(SheetImportError) as refused:
        sheets_import_inputs(
            campaign=target_campaign, actor=world.bureau_a, file=import_file(target_campaign, inputs)
        )

    assert [str(problem) for problem in refused.value.problems] == [
        f"第 2 行 {column_letter(len(header) - 1)} 列：运营合同约定岗位信息目标（条）"
        "与运营合同约定的目标不一致，请写明核实情况（合同目标 60，现场填写 40）"
    ]
    sheet = ScoreSheet.objects.get(campaign=target_campaign, station=world.station_a)
    assert (sheet.status, sheet.log_figures) == (ScoreSheet.Status.DRAFT, {})

    reason = "补充协议调减目标"
    done = sheets_import_inputs(
        campaign=target_campaign,
        actor=world.bureau_a,
        file=import_file(target_campaign, {**inputs, "与运营合同目标不一致的理由": reason}),
    )

    assert done == 1
    sheet = reload_sheet(sheet)
    assert sheet.status == ScoreSheet.Status.ASSESSED
    assert sheet.gap_reasons == {"log:job_postings_target": reason}
    assert sheet.log_figures == {"job_postings_target": 60}


# --- queries ----------------------------------------------------------------------------------


def contract_queries(captured) -> int:
    return sum("stations_operatingcontract" in q["sql"] for q in captured.captured_queries)


def test_the_on_site_page_reads_the_contracts_once_whatever_the_number_of_bound_targets(
    client, world, target_campaign
):
    sign(world, world.station_a, target_placements=90)
    sheet = ScoreSheet.objects.get(campaign=target_campaign, station=world.station_a)
    assign_assessor(sheet, assessor=world.assessor_a, bureau=world.bureau_a)
    client.force_login(world.assessor_a)
    url = reverse("assessment:sheet_onsite_edit", args=[sheet.pk])

    def queries():
        client.get(url)  # the policy compiled and cached first
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url).content.decode()
        return contract_queries(captured), len(captured.captured_queries), page

    one_contract, one_all, one_page = queries()
    two = policy_install(spec=target_policy(2), region=world.county_a)
    policy_freeze(policy=two, actor=None, reason="测试")
    Campaign.objects.filter(pk=target_campaign.pk).update(policy=two)
    two_contract, two_all, two_page = queries()

    assert one_page.count("合同目标：") == 1
    assert "合同目标：60 条" in two_page and "合同目标：45 人" in two_page  # 90 × 180 ÷ 360
    assert one_contract == two_contract
    assert one_all == two_all


def test_the_targets_of_many_sheets_are_one_query(world, campaign):
    sign(world, world.station_a)
    for serial in range(2, 6):
        station = make_station(region=world.town_a, code=f"AAA-0{serial}")
        if serial % 2:
            sign(world, station, target_job_postings=240)  # 240 × 180 ÷ 360 = 120
    campaign.policy = policy_install(spec=target_policy(1), region=world.county_a)
    campaign.save(update_fields=["policy"])
    campaign_open(campaign=campaign, actor=world.bureau_a)
    sheets = list(ScoreSheet.objects.filter(campaign=campaign).select_related("campaign__policy", "station"))
    assert len(sheets) == 5

    with CaptureQueriesContext(connection) as captured:
        figures = sheets_target_figures(sheets)
    assert contract_queries(captured) == 1

    shown = {sheet.station.code: figures[sheet.pk]["job_postings_target"].text for sheet in sheets}
    assert shown == {
        "AAA-01": "合同目标：60 条",
        "AAA-02": "无运营合同",
        "AAA-03": "合同目标：120 条",
        "AAA-04": "无运营合同",
        "AAA-05": "合同目标：120 条",
    }
    ours = next(sheet for sheet in sheets if sheet.station_id == world.station_a.pk)
    with CaptureQueriesContext(connection) as again:
        assert sheet_target_figures(ours)["job_postings_target"].value == 60
    assert contract_queries(again) == 0  # remembered on the sheet


# --- the demo ---------------------------------------------------------------------------------


def test_the_demos_huizhou_sheets_take_their_job_target_from_the_contract(db, settings, tmp_path):
    import io

    from django.core.management import call_command

    settings.MEDIA_ROOT = tmp_path
    call_command("load_demo", stdout=io.StringIO())
    sheets = {
        sheet.station.code: sheet
        for sheet in ScoreSheet.objects.filter(campaign__code="huizhou-2024").select_related("station")
    }
    assert len(sheets) == 30
    # HZ-ES-01's contract: 2 × (760 + 40) = 1,600 postings over 2023-06-01 … 2025-05-31 (731 days),
    # 366 of them in 2024: 1,600 × 366 ÷ 731 = 801.09 → 801.
    assert int(sheets["HZ-ES-01"].onsite_inputs["jobs_target"]) == 801
    # HZ-ES-06's: 2 × (760 + 0) = 1,520 → 1,520 × 366 ÷ 731 = 761.04 → 761.
    assert int(sheets["HZ-ES-06"].onsite_inputs["jobs_target"]) == 761
    figures = sheets_target_figures(
        list(ScoreSheet.objects.filter(campaign__code="huizhou-2024").select_related("campaign__policy"))
    )
    for sheet in sheets.values():
        assert int(sheet.onsite_inputs["jobs_target"]) == figures[sheet.pk]["jobs_target"].value
