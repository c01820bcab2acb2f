"""Rubric counts taken from the work log （从工作日志取数）: bound in the policy, shown beside the input
with the logged total over the sheet's period, prefilled, and confirmed or corrected on site with a
reason.

The policy is Yunmeng's with item 1.1 (8 points) turned into a sum of counts, each bound to a
work-log field; the totals are worked out by hand from the WorkLogDay rows the tests create.
"""

import dataclasses
import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from assessment.engine.scoring import RubricError, compile_rubric
from assessment.engine.specs import LOG_FIELDS, InputSpec, ItemSpec
from assessment.engine.validation import validate_rubric
from assessment.models import Campaign, ScoreSheet
from assessment.policies import SEED_POLICIES
from assessment.policy_file import PolicyFileError, read_policy_file
from assessment.scoring import input_fields
from assessment.services.campaigns import campaign_open
from assessment.services.policies import policy_freeze, policy_install
from assessment.services.sheet_import import import_template_sheets
from assessment.worklog_inputs import sheet_log_figures, sheet_log_notes, sheet_log_panel
from core.xlsx import column_letter, write_xlsx
from stations.models import WORK_LOG_FIELDS, WorkLogDay
from tests.assessment.steps import assign_assessor, self_evaluate

HUIZHOU_FILE = Path(settings.BASE_DIR) / "assessment" / "policies" / "huizhou-2024.yaml"
FIELDS = ("placements", "job_postings", "enterprise_visits", "matches", "training_referrals")


def counted_item(bound: int) -> ItemSpec:
    """Item 1.1 as the sum of `bound` counts, each from its own log field (0.1 point each)."""
    children = tuple(
        ItemSpec(
            code=f"1.1.{index + 1}",
            title=f"{LOG_FIELDS[field]}",
            max_points=Decimal(8),
            rule="per_count_award",
            params={"input": f"logged_{field}", "points_each": "0.1", "unit": "个"},
            inputs=(InputSpec(f"logged_{field}", "count", f"{LOG_FIELDS[field]}（个）", log=field),),
        )
        for index, field in enumerate(FIELDS[:bound])
    )
    return ItemSpec(code="1.1", title="服务数据", max_points=Decimal(8), rule="capped_sum", children=children)


def bound_policy(bound: int):
    spec = SEED_POLICIES["yunmeng-2024"]
    first = spec.rubric.sections[0]
    section = dataclasses.replace(first, items=(counted_item(bound), *first.items[1:]))
    rubric = dataclasses.replace(spec.rubric, sections=(section, *spec.rubric.sections[1:]))
    return dataclasses.replace(spec, code=f"yunmeng-2024-log{bound}", rubric=rubric)


@pytest.fixture
def log_campaign(world, campaign) -> Campaign:
    campaign.policy = policy_install(spec=bound_policy(1), region=world.county_a)
    campaign.save(update_fields=["policy"])
    return campaign_open(campaign=campaign, actor=world.bureau_a)


@pytest.fixture
def log_sheet(log_campaign, world) -> ScoreSheet:
    return reload_sheet(ScoreSheet.objects.get(campaign=log_campaign, station=world.station_a))


@pytest.fixture
def logged(world):
    """Station AAA-01 logged 3 + 4 = 7 placements in 2024; the days around it must not count."""

    def day(station, date, **counts):
        WorkLogDay.objects.create(station=station, day=date, **counts)

    day(world.station_a, datetime.date(2024, 1, 1), placements=3, job_postings=20)
    day(world.station_a, datetime.date(2024, 12, 31), placements=4, matches=2)
    day(world.station_a, datetime.date(2023, 12, 31), placements=10)  # the year before
    day(world.station_a, datetime.date(2025, 1, 1), placements=10)  # the year after
    day(world.station_b, datetime.date(2024, 6, 1), placements=50)  # another station
    return 7


def reload_sheet(sheet):
    return ScoreSheet.objects.select_related("campaign__policy", "station").get(pk=sheet.pk)


def other_inputs(campaign) -> dict[str, str]:
    """Every manual item of the sheet at its maximum (the counts are the test's)."""
    fields = input_fields(campaign.policy, kind="gig_station", month=None)
    return {name: str(maximum) for name, kind, _, maximum in fields if kind == "points"}


def input_value(page: str, name: str) -> str | None:
    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert found, name
    value = re.search(r'value="([^"]*)"', found.group(0))
    return value.group(1) if value else None


# --- the spec and the policy file -----------------------------------------------------------


def test_an_input_without_a_binding_keeps_its_stored_form_and_one_with_it_round_trips():
    plain = InputSpec("placements", "count", "推荐成功就业（人）")
    bound = InputSpec("placements", "count", "推荐成功就业（人）", log="placements")

    assert plain.to_dict() == {"name": "placements", "type": "count", "label": "推荐成功就业（人）"}
    assert bound.to_dict()["log"] == "placements"
    assert InputSpec.from_dict(plain.to_dict()) == plain
    assert InputSpec.from_dict(bound.to_dict()) == bound
    item = counted_item(2)
    assert ItemSpec.from_dict(item.to_dict()) == item


def test_the_engines_log_fields_are_the_work_logs():
    assert {name: label for name, label, _unit in WORK_LOG_FIELDS} == LOG_FIELDS


def test_a_binding_only_on_a_count_and_only_to_a_field_the_log_has():
    spec = bound_policy(1)
    item = spec.rubric.sections[0].items[0]
    child = item.children[0]

    def with_input(input_spec):
        changed = dataclasses.replace(child, inputs=(input_spec,))
        first = spec.rubric.sections[0]
        section = dataclasses.replace(
            first, items=(dataclasses.replace(item, children=(changed,)), *first.items[1:])
        )
        return dataclasses.replace(spec.rubric, sections=(section, *spec.rubric.sections[1:]))

    on_points = with_input(InputSpec("logged_placements", "points", "服务数据得分", log="placements"))
    unknown = with_input(InputSpec("logged_placements", "count", "走访（家）", log="visits"))

    messages = [f.message for f in validate_rubric(on_points, kinds=spec.kinds) if f.severity == "error"]
    assert any("只有个数（整数）输入可以从工作日志取数" in m for m in messages), messages
    with pytest.raises(RubricError, match="工作日志数据 visits 不存在"):
        compile_rubric(unknown, kinds=spec.kinds)


def test_the_policy_file_reads_a_binding_and_refuses_a_wrong_one_in_chinese():
    text = HUIZHOU_FILE.read_text(encoding="utf-8")
    spec = read_policy_file(text)
    logs = {
        input_spec.name: input_spec.log
        for section in spec.rubric.sections
        for item in section.items
        for child in (item, *item.children)
        for input_spec in child.inputs
        if input_spec.log
    }
    assert logs == {
        "jobs_collected": "job_postings",
        "enterprises_visited": "enterprise_visits",
        "placements": "placements",
    }

    with pytest.raises(PolicyFileError) as unknown:
        read_policy_file(text.replace("log: enterprise_visits", "log: visits"))
    assert "工作日志数据 visits 不存在" in str(unknown.value)
    assert "5.2" in str(unknown.value)

    bound_flag = text.replace(
        "{name: has_computer, type: flag", "{name: has_computer, type: flag, log: matches"
    )
    assert bound_flag != text
    with pytest.raises(PolicyFileError, match="只有个数（整数）输入可以从工作日志取数"):
        read_policy_file(bound_flag)


# --- the sheet pages --------------------------------------------------------------------------


def test_the_self_evaluation_shows_the_logged_total_with_its_link_and_starts_from_it(
    client, world, log_sheet, logged
):
    client.force_login(world.operator_a)
    page = client.get(reverse("assessment:sheet_self_edit", args=[log_sheet.pk])).content.decode()

    assert "工作日志：7 人（" in page
    link = re.search(r'工作日志：7 人（<a href="([^"]+)">查看明细</a>）', page)
    assert link, page
    # The station's log in the portal, opened on the sheet's year: the year's total, month by month.
    assert link.group(1) == reverse("portal:work_log", args=["AAA-01"]) + "?year=2024"
    year = client.get(link.group(1)).content.decode()
    assert "2024年全年" in year
    assert '<dt>推荐成功就业<span class="short">（就业）</span></dt><dd><strong>7</strong> 人</dd>' in year
    assert 'href="?month=2024-01"' in year and 'href="?month=2024-12"' in year
    assert input_value(page, "logged_placements") == "7"


def test_a_value_typed_by_the_operator_is_not_replaced_by_the_log(client, world, log_sheet, logged):
    client.force_login(world.operator_a)
    url = reverse("assessment:sheet_self_edit", args=[log_sheet.pk])
    client.post(url, {"logged_placements": "9", "save": ""})

    page = client.get(url).content.decode()
    assert input_value(page, "logged_placements") == "9"
    assert "工作日志：7 人" in page


@pytest.fixture
def onsite_sheet(world, log_sheet, logged):
    """Submitted by the operator claiming 9 placements; the assessor is assigned and declared."""
    self_evaluate(
        log_sheet,
        operator=world.operator_a,
        raw={**other_inputs(log_sheet.campaign), "logged_placements": "7"},
    )
    assign_assessor(log_sheet, assessor=world.assessor_a, bureau=world.bureau_a)
    return reload_sheet(log_sheet)


def test_the_on_site_page_shows_the_seven_totals_of_the_year(client, world, onsite_sheet):
    client.force_login(world.assessor_a)
    page = client.get(reverse("assessment:sheet_onsite_edit", args=[onsite_sheet.pk])).content.decode()

    assert "工作日志合计" in page
    assert "<dt>推荐成功就业</dt><dd>7 人</dd>" in page
    assert "<dt>收集发布岗位信息</dt><dd>20 条</dd>" in page
    assert "<dt>供需对接</dt><dd>2 次</dd>" in page
    assert "<dt>走访企业</dt><dd>0 家</dd>" in page


def test_an_on_site_value_other_than_the_log_needs_the_reason_and_shows_it(client, world, onsite_sheet):
    client.force_login(world.assessor_a)
    url = reverse("assessment:sheet_onsite_edit", args=[onsite_sheet.pk])
    posted = {**other_inputs(onsite_sheet.campaign), "logged_placements": "5", "findings": ""}

    refused = client.post(url, {**posted, "submit": ""})

    assert refused.status_code == 200
    assert "与工作日志记录不一致，请写明核实情况（日志记录 7，现场填写 5）" in refused.content.decode()
    assert reload_sheet(onsite_sheet).status == ScoreSheet.Status.SUBMITTED

    reason = "2 人为重复登记，按核实人数计"
    accepted = client.post(url, {**posted, "gap_log:logged_placements": reason, "submit": ""})

    assert accepted.status_code == 302
    sheet = reload_sheet(onsite_sheet)
    assert sheet.status == ScoreSheet.Status.ASSESSED
    assert sheet.gap_reasons == {"log:logged_placements": reason}
    detail = client.get(reverse("assessment:sheet_detail", args=[sheet.pk])).content.decode()
    assert f"日志记录 7，现场核实 5：{reason}" in detail


def test_the_logged_figure_confirmed_needs_no_reason(client, world, onsite_sheet):
    client.force_login(world.assessor_a)
    url = reverse("assessment:sheet_onsite_edit", args=[onsite_sheet.pk])
    posted = {**other_inputs(onsite_sheet.campaign), "logged_placements": "7", "findings": "", "submit": ""}

    assert client.post(url, posted).status_code == 302
    sheet = reload_sheet(onsite_sheet)
    assert (sheet.status, sheet.gap_reasons) == (ScoreSheet.Status.ASSESSED, {})


def test_the_printed_sheet_says_the_log_the_finding_and_why(client, world, onsite_sheet):
    from assessment.documents.score_sheet import score_sheet_html, station_document

    client.force_login(world.assessor_a)
    url = reverse("assessment:sheet_onsite_edit", args=[onsite_sheet.pk])
    posted = {**other_inputs(onsite_sheet.campaign), "logged_placements": "6", "findings": ""}
    client.post(url, {**posted, "gap_log:logged_placements": "1 人未能核实就业", "submit": ""})

    document = station_document(campaign=onsite_sheet.campaign, station=world.station_a, actor=None)
    html = score_sheet_html(document)
    assert "日志记录 7，现场核实 6：1 人未能核实就业" in html


def test_the_submitted_figure_and_note_stay_when_the_log_changes_after_the_visit(client, world, onsite_sheet):
    from assessment.documents.score_sheet import score_sheet_html, station_document, station_fingerprint

    client.force_login(world.assessor_a)
    url = reverse("assessment:sheet_onsite_edit", args=[onsite_sheet.pk])
    posted = {**other_inputs(onsite_sheet.campaign), "logged_placements": "5", "findings": ""}
    reason = "2 人为重复登记"
    assert client.post(url, {**posted, "gap_log:logged_placements": reason, "submit": ""}).status_code == 302
    sheet = reload_sheet(onsite_sheet)
    detail_url = reverse("assessment:sheet_detail", args=[sheet.pk])
    printed_before = station_fingerprint(campaign=sheet.campaign, station=world.station_a)

    # The operator corrects December afterwards (the log takes late entries for 400 days): the log
    # now says 3 + 2 = 5, the figure the assessor found, but the sheet compared 7 and says so.
    WorkLogDay.objects.filter(station=world.station_a, day=datetime.date(2024, 12, 31)).update(placements=2)

    note = f"日志记录 7，现场核实 5：{reason}"
    assert note in client.get(detail_url).content.decode()
    document = station_document(campaign=sheet.campaign, station=world.station_a, actor=None)
    assert note in score_sheet_html(document)
    assert document.fingerprint == printed_before
    assert station_fingerprint(campaign=sheet.campaign, station=world.station_a) == printed_before
    # The copy is what the fingerprint covers: another figure on the sheet gives another fingerprint.
    ScoreSheet.objects.filter(pk=sheet.pk).update(log_figures={"logged_placements": 6})
    assert station_fingerprint(campaign=sheet.campaign, station=world.station_a) != printed_before


def test_a_draft_on_site_column_reads_the_log_as_it_is_now(client, world, onsite_sheet):
    client.force_login(world.assessor_a)
    url = reverse("assessment:sheet_onsite_edit", args=[onsite_sheet.pk])
    assert "工作日志：7 人" in client.get(url).content.decode()
    WorkLogDay.objects.filter(station=world.station_a, day=datetime.date(2024, 12, 31)).update(placements=2)
    assert "工作日志：5 人" in client.get(url).content.decode()


def import_file(campaign, values: dict[str, object]) -> SimpleUploadedFile:
    """The campaign's import template with AAA-01's row filled: {header ending or input name: value}."""
    sheets = import_template_sheets(campaign=campaign)
    book = load_workbook(io.BytesIO(write_xlsx(sheets)))
    data = book["数据"]
    header = [cell.value for cell in data[1]]
    for key, value in values.items():
        column = next(
            i for i, title in enumerate(header) if title.endswith(f"（{key}）") or title.endswith(key)
        )
        data.cell(row=2, column=column + 1, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("现场数据.xlsx", buffer.getvalue())


def test_the_import_refuses_a_count_other_than_the_log_without_its_reason(world, log_campaign, logged):
    from assessment.services.sheet_import import SheetImportError, sheets_import_inputs

    header = import_template_sheets(campaign=log_campaign)[0].header
    reason_title = "推荐成功就业（个）（logged_placements）与工作日志不一致的理由"
    assert header[-1] == reason_title
    letter = column_letter(len(header) - 1)
    inputs = {**other_inputs(log_campaign), "logged_placements": 5}

    with pytest.raises(SheetImportError) as refused:
        sheets_import_inputs(
            campaign=log_campaign, actor=world.bureau_a, file=import_file(log_campaign, inputs)
        )

    messages = [str(problem) for problem in refused.value.problems]
    assert messages == [
        f"第 2 行 {letter} 列：推荐成功就业（个）与工作日志记录不一致，请写明核实情况"
        "（日志记录 7，现场填写 5）"
    ]
    sheet = ScoreSheet.objects.get(campaign=log_campaign, station=world.station_a)
    assert (sheet.status, sheet.onsite_packed, sheet.log_figures) == (ScoreSheet.Status.DRAFT, {}, {})

    reason = "台账中 2 人重复登记"
    done = sheets_import_inputs(
        campaign=log_campaign,
        actor=world.bureau_a,
        file=import_file(log_campaign, {**inputs, "与工作日志不一致的理由": reason}),
    )

    assert done == 1
    sheet = reload_sheet(sheet)
    assert sheet.status == ScoreSheet.Status.ASSESSED
    assert sheet.gap_reasons == {"log:logged_placements": reason}
    assert sheet.log_figures == {"logged_placements": 7}
    # The next template carries the reason, so a second import of it keeps it.
    rows = list(import_template_sheets(campaign=log_campaign)[0].rows)
    assert rows[0][-1] == reason
    # A later change to the log leaves the imported sheet's note as it was.
    WorkLogDay.objects.filter(station=world.station_a, day=datetime.date(2024, 1, 1)).update(placements=1)
    assert [note.text for note in sheet_log_notes(reload_sheet(sheet))] == [
        f"日志记录 7，现场核实 5：{reason}"
    ]


def test_the_import_takes_the_logged_figure_without_a_reason(world, log_campaign, logged):
    from assessment.services.sheet_import import sheets_import_inputs

    inputs = {**other_inputs(log_campaign), "logged_placements": 7}
    sheets_import_inputs(campaign=log_campaign, actor=world.bureau_a, file=import_file(log_campaign, inputs))

    sheet = ScoreSheet.objects.get(campaign=log_campaign, station=world.station_a)
    assert (sheet.status, sheet.gap_reasons, sheet.log_figures) == (
        ScoreSheet.Status.ASSESSED,
        {},
        {"logged_placements": 7},
    )


def test_the_import_template_starts_a_bound_count_at_the_logged_total(world, log_campaign, logged):
    data = import_template_sheets(campaign=log_campaign)[0]
    header = data.header
    rows = list(data.rows)
    column = next(i for i, title in enumerate(header) if title.endswith("（logged_placements）"))
    assert [row[column] for row in rows] == [7]


def test_the_on_site_page_reads_the_log_once_whatever_the_number_of_bound_counts(
    client, world, log_campaign, logged
):
    sheet = ScoreSheet.objects.get(campaign=log_campaign, station=world.station_a)
    assign_assessor(sheet, assessor=world.assessor_a, bureau=world.bureau_a)
    client.force_login(world.assessor_a)
    url = reverse("assessment:sheet_onsite_edit", args=[sheet.pk])

    def queries() -> tuple[int, str]:
        client.get(url)  # the policy compiled and cached first
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url).content.decode()
        return (
            sum("stations_worklogday" in q["sql"] for q in captured.captured_queries),
            len(captured.captured_queries),
            page,
        )

    one_log, one_all, one_page = queries()
    five = policy_install(spec=bound_policy(5), region=world.county_a)
    policy_freeze(policy=five, actor=None, reason="测试")
    Campaign.objects.filter(pk=log_campaign.pk).update(policy=five)
    five_log, five_all, five_page = queries()

    assert one_page.count("查看明细") == 1 + 1  # the input's link and the panel's
    assert five_page.count("查看明细") == 5 + 1
    assert "工作日志：20 条" in five_page  # job postings, the second bound count
    # The page reads the log as often (the annual report's card beside it reads it too) for 1 or 5.
    assert one_log == five_log
    assert one_all == five_all
    # The figures of every bound count and the panel's seven totals: one query between them.
    sheet = reload_sheet(sheet)
    with CaptureQueriesContext(connection) as captured:
        figures = sheet_log_figures(sheet)
        panel = sheet_log_panel(sheet)
    assert len(figures) == 5 and len(panel["rows"]) == 7
    assert sum("stations_worklogday" in q["sql"] for q in captured.captured_queries) == 1


# --- the rule editor --------------------------------------------------------------------------


def test_the_rule_editor_shows_keeps_changes_and_refuses_a_binding():
    from assessment.rule_editor import Before, FieldProblems, fields_from_item, item_from_fields

    params = {"input": "placements", "points_each": "0.1", "unit": "人"}
    inputs = [{"name": "placements", "type": "count", "label": "推荐成功就业（人）", "log": "placements"}]
    before = Before(rule="per_count_award", params=params, inputs=inputs, title="推荐成功就业")

    shown = fields_from_item("per_count_award", params, inputs, title="推荐成功就业", code="5.3")
    assert shown is not None and shown["count_log"] == "placements"

    # A form without the choice keeps the binding; the choice changes or removes it.
    kept = {key: value for key, value in shown.items() if key != "count_log"}
    _, same = item_from_fields("per_count_award", kept, code="5.3", title="推荐成功就业", before=before)
    assert same[0]["log"] == "placements"
    _, changed = item_from_fields(
        "per_count_award", {**shown, "count_log": "matches"}, code="5.3", title="推荐成功就业", before=before
    )
    assert changed[0]["log"] == "matches"
    _, typed = item_from_fields(
        "per_count_award", {**shown, "count_log": ""}, code="5.3", title="推荐成功就业", before=before
    )
    assert "log" not in typed[0]

    area = {"measure_kind": "number", "value_label": "服务场所面积", "value_unit": "平方米"}
    steps = [{"row": 1, "at_least": "20", "below": "", "points": "7"}]
    with pytest.raises(FieldProblems) as refused:
        item_from_fields(
            "step_table",
            {**area, "steps": steps, "measure_log": "placements"},
            code="1.1",
            title="服务场所",
        )
    assert "只有个数（整数）可以从工作日志取数" in str(refused.value)


# --- the demo ---------------------------------------------------------------------------------


def test_the_demos_huizhou_sheets_take_their_counts_from_the_log(db, settings, tmp_path):
    import io

    from django.core.management import call_command
    from django.db.models import Sum

    settings.MEDIA_ROOT = tmp_path
    call_command("load_demo", stdout=io.StringIO())
    sheets = ScoreSheet.objects.filter(campaign__code="huizhou-2024").select_related(
        "station", "campaign__policy"
    )
    bound = {
        "jobs_collected": "job_postings",
        "enterprises_visited": "enterprise_visits",
        "placements": "placements",
    }
    confirmed, corrected = [], {}
    for sheet in sheets:
        days = WorkLogDay.objects.filter(station=sheet.station, day__year=2024)
        logged = days.aggregate(**{field: Sum(field) for field in bound.values()})
        found = {name: int(sheet.onsite_inputs[name]) for name in bound}
        if all(found[name] == (logged[field] or 0) for name, field in bound.items()):
            confirmed.append(sheet.station.code)
        else:
            corrected[sheet.station.code] = (logged, found, sheet.gap_reasons)
    assert len(confirmed) >= 25, corrected
    for code, (_logged, _found, reasons) in corrected.items():
        assert any(key.startswith("log:") and text for key, text in reasons.items()), code
    logged, found, reasons = corrected["HZ-ES-04"]
    assert found["placements"] == logged["placements"] - 3
    assert "重复登记" in reasons["log:placements"]


def test_a_database_installed_before_the_binding_is_told_what_the_shipped_file_adds():
    from assessment.engine.spec_diff import spec_differences

    text = HUIZHOU_FILE.read_text(encoding="utf-8")
    installed = read_policy_file(text.replace(", log: placements", ""))

    assert spec_differences(installed, read_policy_file(text)) == [
        "评分项目 5.3 输入项 placements 工作日志取数 无 → 推荐成功就业"
    ]
