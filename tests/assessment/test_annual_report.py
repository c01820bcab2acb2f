"""The annual report （年度报告）: the operator writes it beside the self-evaluation, with the year's
work log totals, and submits it once; the bureau, auditors and the assessor read it; it is printed
after the score sheet."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessment.documents.score_sheet import score_sheet_html, station_document, station_fingerprint
from assessment.models import AnnualReport
from assessment.services.annual_reports import annual_report_save, annual_report_submit
from core.models import AuditEntry
from core.permissions import Forbidden
from stations.models import WorkLogDay
from tests.assessment.steps import assign_assessor, attach_evidence

SECTIONS = {
    "overview": "全年开展零工对接服务，驿站每日开放。",
    "achievements": "推荐成功就业人数较上年增加。",
    "problems": "小程序推广不足。",
    "next_year_plan": "加强与企业的常态化联系。",
}
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def log_day(station, day, **counts):
    return WorkLogDay.objects.update_or_create(station=station, day=day, defaults=counts)[0]


def report_of(sheet):
    return AnnualReport.objects.get(campaign=sheet.campaign, station=sheet.station)


@pytest.fixture
def logged(world, sheet):
    """AAA-01's log in 2024 (two days) and one day of 2023, which the 2024 report leaves out."""
    log_day(world.station_a, datetime.date(2024, 3, 1), placements=3, job_postings=10)
    log_day(world.station_a, datetime.date(2024, 11, 30), placements=4, enterprise_visits=2)
    log_day(world.station_a, datetime.date(2023, 12, 31), placements=100)
    return sheet


def test_the_operator_sees_the_years_log_totals_with_units_saves_a_draft_and_submits(client, world, logged):
    client.force_login(world.operator_a)
    url = reverse("assessment:annual_report", args=[logged.pk])

    page = client.get(url).content.decode()
    assert "推荐成功就业" in page and '<td class="num">7</td><td>人</td>' in page
    assert '<td class="num">10</td><td>条</td>' in page
    assert "保存草稿" in page and "提交年度报告" in page

    response = client.post(url, {**SECTIONS, "next_year_plan": "", "save": ""}, follow=True)
    assert "年度报告草稿已保存" in response.content.decode()
    report = report_of(logged)
    assert report.status == AnnualReport.Status.DRAFT
    assert report.overview == SECTIONS["overview"]

    response = client.post(url, {**SECTIONS, "submit": ""}, follow=True)
    assert "年度报告已提交" in response.content.decode()
    report.refresh_from_db()
    assert report.status == AnnualReport.Status.SUBMITTED
    assert report.submitted_by == world.operator_a
    assert report.log_totals["placements"] == 7  # 2023's day is not in the 2024 report
    moves = list(
        AuditEntry.objects.filter(object_id=str(report.pk), action__startswith="annual_report.")
        .order_by("at", "id")
        .values_list("action", "from_state", "to_state", "actor__username")
    )
    assert moves == [
        ("annual_report.draft", "", "draft", "operator_a"),
        ("annual_report.submit", "draft", "submitted", "operator_a"),
    ]
    # Submitted: the page shows the sections and no form any more.
    page = client.get(url).content.decode()
    assert SECTIONS["next_year_plan"] in page and "提交年度报告</button>" not in page


def test_a_report_with_an_empty_section_is_not_submitted_and_says_which(world, sheet):
    report = annual_report_save(
        campaign=sheet.campaign, station=sheet.station, actor=world.operator_a, sections={"overview": "概况"}
    )
    with pytest.raises(ValidationError) as refused:
        annual_report_submit(report=report, actor=world.operator_a)
    assert "请填写“主要成效”，再提交年度报告" in str(refused.value.message_dict["achievements"])
    assert report_of(sheet).status == AnnualReport.Status.DRAFT
    assert not AuditEntry.objects.filter(action="annual_report.submit").exists()


def test_a_submitted_report_is_not_changed_any_more(world, sheet):
    report = annual_report_save(
        campaign=sheet.campaign, station=sheet.station, actor=world.operator_a, sections=SECTIONS
    )
    annual_report_submit(report=report, actor=world.operator_a)
    with pytest.raises(ValidationError, match="年度报告已提交，不能再修改"):
        annual_report_save(
            campaign=sheet.campaign,
            station=sheet.station,
            actor=world.operator_a,
            sections={"overview": "改"},
        )
    with pytest.raises(ValidationError, match="不能改为"):
        annual_report_submit(report=report, actor=world.operator_a)
    assert report_of(sheet).overview == SECTIONS["overview"]


def test_after_the_self_evaluation_deadline_the_report_is_refused_in_chinese(client, world, sheet):
    report = annual_report_save(
        campaign=sheet.campaign, station=sheet.station, actor=world.operator_a, sections=SECTIONS
    )
    due = sheet.campaign.self_evaluation_due
    local_due = due.astimezone(SHANGHAI)
    client.force_login(world.operator_a)

    with time_machine.travel(due + datetime.timedelta(seconds=1), tick=False):
        with pytest.raises(ValidationError) as refused:
            annual_report_submit(report=report, actor=world.operator_a)
        page = client.get(reverse("assessment:annual_report", args=[sheet.pk])).content.decode()

    assert f"已于 {local_due:%Y年%m月%d日 %H:%M} 截止，不能再修改或提交" in refused.value.messages[0]
    assert "截止，不能再修改或提交" in page and "提交年度报告</button>" not in page
    assert report_of(sheet).status == AnnualReport.Status.DRAFT


def test_the_submitted_report_keeps_its_figures_when_the_log_is_edited_later(client, world, logged):
    report = annual_report_save(
        campaign=logged.campaign, station=logged.station, actor=world.operator_a, sections=SECTIONS
    )
    annual_report_submit(report=report, actor=world.operator_a)

    log_day(world.station_a, datetime.date(2024, 3, 1), placements=50, job_postings=10)  # corrected later

    client.force_login(world.bureau_a)
    page = client.get(reverse("assessment:annual_report", args=[logged.pk])).content.decode()
    assert '<td class="num">7</td><td>人</td>' in page
    assert '<td class="num">54</td>' not in page
    html = score_sheet_html(station_document(campaign=logged.campaign, station=logged.station, actor=None))
    assert '<td class="num">7</td><td>人</td>' in html


def test_another_stations_operator_can_neither_open_nor_write_the_report(client, world, sheet):
    annual_report_save(
        campaign=sheet.campaign, station=sheet.station, actor=world.operator_a, sections=SECTIONS
    )
    client.force_login(world.operator_b)
    url = reverse("assessment:annual_report", args=[sheet.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, {**SECTIONS, "overview": "他站改写", "submit": ""}).status_code == 404
    with pytest.raises(Forbidden):
        annual_report_save(
            campaign=sheet.campaign, station=sheet.station, actor=world.operator_b, sections=SECTIONS
        )
    assert report_of(sheet).overview == SECTIONS["overview"]
    assert report_of(sheet).status == AnnualReport.Status.DRAFT


def test_a_phone_or_id_number_in_a_section_is_refused(world, sheet):
    with pytest.raises(ValidationError) as refused:
        annual_report_save(
            campaign=sheet.campaign,
            station=sheet.station,
            actor=world.operator_a,
            sections={**SECTIONS, "achievements": "帮助张某（13812345678）就业"},
        )
    assert "不写个人信息" in str(refused.value.message_dict["achievements"])
    assert not AnnualReport.objects.exists()


def test_the_self_evaluation_page_reminds_of_the_report_until_it_is_submitted(client, world, sheet):
    client.force_login(world.operator_a)
    url = reverse("assessment:sheet_self_edit", args=[sheet.pk])
    assert "年度报告随自评一并提交" in client.get(url).content.decode()

    report = annual_report_save(
        campaign=sheet.campaign, station=sheet.station, actor=world.operator_a, sections=SECTIONS
    )
    annual_report_submit(report=report, actor=world.operator_a)
    page = client.get(url).content.decode()
    assert "年度报告随自评一并提交" not in page and "年度报告：已提交" in page


def test_the_assessor_reads_the_report_on_the_onsite_page(client, world, sheet):
    report = annual_report_save(
        campaign=sheet.campaign, station=sheet.station, actor=world.operator_a, sections=SECTIONS
    )
    annual_report_submit(report=report, actor=world.operator_a)
    attach_evidence(sheet, operator=world.operator_a)
    assign_assessor(sheet, assessor=world.assessor_a, bureau=world.bureau_a)
    client.force_login(world.assessor_a)

    page = client.get(reverse("assessment:sheet_onsite_edit", args=[sheet.pk])).content.decode()
    assert SECTIONS["problems"] in page and "下一年度工作计划" in page


def test_the_admin_shows_the_report_read_only_to_its_county_and_404_to_another(client, world, sheet):
    report = annual_report_save(
        campaign=sheet.campaign, station=sheet.station, actor=world.operator_a, sections=SECTIONS
    )
    change = reverse("admin:assessment_annualreport_change", args=[report.pk])
    changelist = reverse("admin:assessment_annualreport_changelist")

    for user in (world.bureau_a, world.auditor_a):
        client.force_login(user)
        assert world.station_a.code in client.get(changelist).content.decode()
        page = client.get(change).content.decode()
        assert SECTIONS["overview"] in page and "尚未提交，按工作日志实时汇总" in page
        assert 'name="_save"' not in page  # read-only, even for the bureau
    client.force_login(world.bureau_b)
    assert client.get(change).status_code == 404
    assert world.station_a.code not in client.get(changelist).content.decode()


def test_the_score_sheet_pdf_prints_the_submitted_report_on_its_own_page(world, logged):
    campaign, station = logged.campaign, logged.station
    report = annual_report_save(campaign=campaign, station=station, actor=world.operator_a, sections=SECTIONS)
    before = station_document(campaign=campaign, station=station, actor=None)
    assert "2024年度报告</h2>" not in score_sheet_html(before)  # a draft is not printed

    annual_report_submit(report=report, actor=world.operator_a)
    document = station_document(campaign=campaign, station=station, actor=None)
    html = score_sheet_html(document)

    assert '<h2 class="next">附：甲县城关零工驿站2024年度报告</h2>' in html
    assert SECTIONS["achievements"] in html and "下一年度工作计划" in html
    assert '<td>走访企业</td><td class="num">2</td><td>家</td>' in html
    # The printed report is covered by the fingerprint the paper carries.
    assert document.fingerprint != before.fingerprint
    assert station_fingerprint(campaign=campaign, station=station) == document.fingerprint


@pytest.mark.parametrize(
    "written",
    ["请联系138 1234 5678", "电话 138-1234-5678", "身份证 420923 19900101 1234", "身份证420923199001011234"],
)
def test_a_phone_or_id_number_typed_in_groups_is_refused_too(world, sheet, written):
    with pytest.raises(ValidationError) as refused:
        annual_report_save(
            campaign=sheet.campaign,
            station=sheet.station,
            actor=world.operator_a,
            sections={**SECTIONS, "problems": written},
        )
    message = str(refused.value.message_dict["problems"])
    assert "不写个人信息" in message
    assert ("身份证号" if "身份证" in written else "手机号") in message
    assert not AnnualReport.objects.exists()


def test_a_policy_without_an_annual_report_shows_none_anywhere(client, world, logged):
    """Only Yunmeng's policy has a 年度报告制度: another policy's pages neither ask for the report
    nor link to it, its page is not found, the service refuses it and the PDF prints none."""
    policy = logged.campaign.policy
    policy.annual_report = False
    policy.save(update_fields=["annual_report"])
    client.force_login(world.operator_a)

    for name in ("assessment:sheet_self_edit", "assessment:sheet_detail"):
        page = client.get(reverse(name, args=[logged.pk])).content.decode()
        # (the rubric's own item 3.3 台账与年度报告 stays: it is what the policy scores)
        assert 'id="annual-report"' not in page and "年度报告随自评一并提交" not in page, name
        assert reverse("assessment:annual_report", args=[logged.pk]) not in page, name
    assert client.get(reverse("assessment:annual_report", args=[logged.pk])).status_code == 404
    with pytest.raises(ValidationError, match="不要求提交年度报告"):
        annual_report_save(
            campaign=logged.campaign, station=logged.station, actor=world.operator_a, sections=SECTIONS
        )
    html = score_sheet_html(station_document(campaign=logged.campaign, station=logged.station, actor=None))
    assert "年度报告</h2>" not in html
