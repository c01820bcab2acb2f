"""A score sheet from the operator's draft to the bureau's lock and correction."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessment.models import Campaign, CampaignResult, CampaignStation, ScoreSheet
from assessment.services.campaigns import campaign_publish, conflict_declare
from assessment.services.sheets import (
    sheet_correct,
    sheet_gaps,
    sheet_lock,
    sheet_onsite_save,
    sheet_onsite_submit,
    sheet_self_save,
    sheet_self_submit,
)
from core.models import AuditEntry
from core.permissions import Forbidden
from stations.models import User
from tests.assessment.steps import (
    assign_assessor,
    attach_evidence,
    entry_of,
    points_inputs,
    score_onsite,
    self_evaluate,
    start_notice,
)
from tests.factories import make_user

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def full_inputs(sheet, total=100):
    return points_inputs(sheet.campaign, kind=sheet.station.kind, total=total)


def reload(sheet):
    return ScoreSheet.objects.select_related("campaign__policy", "station").get(pk=sheet.pk)


# --- self-evaluation --------------------------------------------------------------------------


def test_an_incomplete_draft_is_kept_without_points(client, world, sheet):
    client.force_login(world.operator_a)
    url = reverse("assessment:sheet_self_edit", args=[sheet.pk])
    response = client.post(url, {"item_1_1_points": "6", "save": ""}, follow=True)
    assert "草稿已保存。数据填写完整后将自动计算得分。" in response.content.decode()
    sheet = reload(sheet)
    assert (sheet.status, sheet.self_inputs, sheet.self_total) == ("draft", {"item_1_1_points": "6"}, None)


def test_a_complete_draft_shows_its_points_and_can_be_submitted(client, world, sheet):
    client.force_login(world.operator_a)
    url = reverse("assessment:sheet_self_edit", args=[sheet.pk])
    client.post(url, {**full_inputs(sheet, 87), "save": ""})
    assert reload(sheet).self_total == Decimal("87.00")
    attach_evidence(sheet, operator=world.operator_a)

    response = client.post(url, {**full_inputs(sheet, 87), "submit": ""}, follow=True)

    assert "自评已提交" in response.content.decode()
    sheet = reload(sheet)
    assert sheet.status == ScoreSheet.Status.SUBMITTED
    assert sheet.submitted_at is not None
    entry = AuditEntry.objects.get(action="sheet.self_submit")
    assert (entry.actor, entry.from_state, entry.to_state) == (world.operator_a, "draft", "submitted")


def test_submitting_an_incomplete_sheet_is_refused_with_a_message_per_missing_field(client, world, sheet):
    client.force_login(world.operator_a)
    url = reverse("assessment:sheet_self_edit", args=[sheet.pk])
    inputs = full_inputs(sheet)
    del inputs["item_1_1_points"], inputs["item_4_2_points"]
    inputs["item_2_1_points"] = "11"  # the item is worth 10

    response = client.post(url, {**inputs, "submit": ""})

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["item_1_1_points"] == ["缺少该项（场所与硬件设施得分）"]
    assert form.errors["item_4_2_points"] == ["缺少该项（问题整改落实得分）"]
    assert "item_2_1_points" in form.errors
    assert reload(sheet).status == ScoreSheet.Status.DRAFT
    assert not AuditEntry.objects.filter(action="sheet.self_submit").exists()


def test_submission_one_second_after_the_deadline_is_refused_with_the_deadline(client, world, sheet):
    sheet_self_save(sheet=sheet, actor=world.operator_a, raw=full_inputs(sheet))
    due = sheet.campaign.self_evaluation_due
    client.force_login(world.operator_a)
    url = reverse("assessment:sheet_self_edit", args=[sheet.pk])

    with time_machine.travel(due + datetime.timedelta(seconds=1), tick=False):
        response = client.post(url, {**full_inputs(sheet), "submit": ""})

    page = response.content.decode()
    local_due = due.astimezone(SHANGHAI)
    assert f"自评已于 {local_due:%Y年%m月%d日 %H:%M} 截止，不能再修改或提交。" in page
    assert reload(sheet).status == ScoreSheet.Status.DRAFT


def test_submission_at_the_deadline_itself_is_accepted(world, sheet):
    sheet_self_save(sheet=sheet, actor=world.operator_a, raw=full_inputs(sheet))
    attach_evidence(sheet, operator=world.operator_a)
    with time_machine.travel(sheet.campaign.self_evaluation_due, tick=False):
        sheet_self_submit(sheet=sheet, actor=world.operator_a)
    assert reload(sheet).status == ScoreSheet.Status.SUBMITTED


def test_another_stations_operator_can_neither_fill_nor_open_the_sheet(client, world, sheet):
    with pytest.raises(Forbidden):
        sheet_self_save(sheet=sheet, actor=world.operator_b, raw=full_inputs(sheet))
    client.force_login(world.operator_b)
    assert client.get(reverse("assessment:sheet_self_edit", args=[sheet.pk])).status_code == 404
    assert (
        client.post(reverse("assessment:sheet_self_edit", args=[sheet.pk]), {"submit": ""}).status_code == 404
    )
    assert reload(sheet).self_inputs == {}


def test_submission_scores_the_draft_last_saved_not_an_older_page(world, sheet):
    first_tab = reload(sheet)
    sheet_self_save(sheet=first_tab, actor=world.operator_a, raw=full_inputs(sheet, 100))
    sheet_self_save(sheet=reload(sheet), actor=world.operator_a, raw=full_inputs(sheet, 80))  # a second tab
    attach_evidence(sheet, operator=world.operator_a)

    sheet_self_submit(sheet=first_tab, actor=world.operator_a)

    sheet = reload(sheet)
    assert sheet.self_inputs == full_inputs(sheet, 80)
    assert sheet.self_total == Decimal("80.00")


def test_a_submitted_self_evaluation_cannot_be_changed(world, sheet):
    self_evaluate(sheet, operator=world.operator_a, raw=full_inputs(sheet))
    with pytest.raises(ValidationError, match="不能再修改自评"):
        sheet_self_save(sheet=reload(sheet), actor=world.operator_a, raw=full_inputs(sheet, 50))
    assert reload(sheet).self_total == Decimal("100.00")


# --- assessors and conflicts of interest ------------------------------------------------------


def test_an_assigned_assessor_is_told_to_declare_first(world, sheet, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assign_assessor(sheet, assessor=world.assessor_a, bureau=world.bureau_a, declare=False)
    assert [m.to for m in mail.outbox] == [["assessor_a@example.cn"]]
    assert "先声明与该站点无利益冲突" in mail.outbox[0].body
    assert entry_of(sheet).declaration == CampaignStation.Declaration.PENDING


def test_assessor_sees_and_scores_the_sheet_only_after_declaring_no_conflict(client, world, sheet):
    assign_assessor(sheet, assessor=world.assessor_a, bureau=world.bureau_a, declare=False)
    client.force_login(world.assessor_a)
    page = reverse("assessment:sheet_detail", args=[sheet.pk])
    assert client.get(page).status_code == 404
    with pytest.raises(Forbidden):
        sheet_onsite_save(
            sheet=sheet, actor=world.assessor_a, raw=full_inputs(sheet), gap_reasons={}, findings=""
        )

    entry = entry_of(sheet)
    response = client.post(
        reverse("assessment:assignment_declare", args=[entry.pk]), {"has_conflict": "false"}
    )

    assert response.status_code == 302
    assert client.get(page).status_code == 200
    score_onsite(sheet, assessor=world.assessor_a, raw=full_inputs(sheet, 95))
    sheet = reload(sheet)
    assert (sheet.status, sheet.onsite_total, sheet.assessed_by) == (
        "assessed",
        Decimal("95.00"),
        world.assessor_a,
    )


def test_an_assessor_who_is_not_assigned_cannot_score(world, sheet):
    other = make_user("assessor_x", role=User.Role.ASSESSOR, region=world.county_a)
    assign_assessor(sheet, assessor=world.assessor_a, bureau=world.bureau_a)
    with pytest.raises(Forbidden):
        sheet_onsite_save(sheet=sheet, actor=other, raw=full_inputs(sheet), gap_reasons={}, findings="")
    with pytest.raises(Forbidden):
        conflict_declare(entry=entry_of(sheet), actor=other, has_conflict=False)


def test_a_declared_conflict_hands_the_station_back_and_tells_the_bureau(
    client, world, bureau_a2, sheet, django_capture_on_commit_callbacks
):
    assign_assessor(sheet, assessor=world.assessor_a, bureau=world.bureau_a)  # declared no conflict first
    client.force_login(world.assessor_a)
    assert client.get(reverse("assessment:sheet_detail", args=[sheet.pk])).status_code == 200
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("assessment:assignment_declare", args=[entry_of(sheet).pk]),
            {"has_conflict": "true", "statement": "站长是我的表弟"},
        )

    assert response.status_code == 302
    entry = entry_of(sheet)
    assert (entry.assessor, entry.declaration) == (None, CampaignStation.Declaration.PENDING)
    assert sorted(m.to[0] for m in mail.outbox) == ["bureau_a2@example.cn", "bureau_a@example.cn"]
    assert "利益冲突" in mail.outbox[0].subject
    assert AuditEntry.objects.get(action="campaign.conflict_declared").reason == "站长是我的表弟"
    assert client.get(reverse("assessment:sheet_detail", args=[sheet.pk])).status_code == 404
    assert client.get(reverse("assessment:sheet_onsite_edit", args=[sheet.pk])).status_code == 404


def test_a_conflict_must_be_explained(world, sheet):
    assign_assessor(sheet, assessor=world.assessor_a, bureau=world.bureau_a, declare=False)
    with pytest.raises(ValidationError, match="请说明"):
        conflict_declare(entry=entry_of(sheet), actor=world.assessor_a, has_conflict=True, statement=" ")
    assert entry_of(sheet).assessor == world.assessor_a


def test_on_site_scoring_after_its_due_date_is_refused(world, sheet):
    assign_assessor(sheet, assessor=world.assessor_a, bureau=world.bureau_a)
    due = sheet.campaign.onsite_due
    with time_machine.travel(datetime.datetime(due.year, due.month, due.day, 23, 59, 59, tzinfo=SHANGHAI)):
        sheet_onsite_save(
            sheet=sheet, actor=world.assessor_a, raw=full_inputs(sheet), gap_reasons={}, findings=""
        )
    next_day = due + datetime.timedelta(days=1)
    with (
        time_machine.travel(datetime.datetime(next_day.year, next_day.month, next_day.day, tzinfo=SHANGHAI)),
        pytest.raises(ValidationError, match="现场评估已于"),
    ):
        sheet_onsite_submit(sheet=reload(sheet), actor=world.assessor_a)
    assert reload(sheet).status == ScoreSheet.Status.DRAFT


# --- the gap rule -----------------------------------------------------------------------------


@pytest.fixture
def assessed_draft(world, sheet):
    """Self-evaluated at 100; the assessor is assigned and has declared no conflict."""
    self_evaluate(sheet, operator=world.operator_a, raw=full_inputs(sheet))
    assign_assessor(sheet, assessor=world.assessor_a, bureau=world.bureau_a)
    return reload(sheet)


def with_item(sheet, **points):
    return full_inputs(sheet) | {name: str(value) for name, value in points.items()}


def test_an_item_scored_more_than_the_threshold_below_the_self_evaluation_needs_a_reason(
    world, assessed_draft
):
    sheet = assessed_draft
    sheet_onsite_save(
        sheet=sheet,
        actor=world.assessor_a,
        raw=with_item(sheet, item_1_1_points=5),
        gap_reasons={},
        findings="",
    )
    with pytest.raises(ValidationError) as refused:
        sheet_onsite_submit(sheet=sheet, actor=world.assessor_a)
    assert refused.value.problems == {"gap_1.1": "项目 1.1 的现场评分与自评相差超过 2.00 分，请写明原因。"}
    assert reload(sheet).status == ScoreSheet.Status.SUBMITTED

    score_onsite(
        sheet,
        assessor=world.assessor_a,
        raw=with_item(sheet, item_1_1_points=5),
        reasons={"1.1": "无监控设备"},
    )
    assert reload(sheet).gap_reasons == {"1.1": "无监控设备"}
    assert reload(sheet).status == ScoreSheet.Status.ASSESSED


def test_a_gap_of_exactly_the_threshold_needs_no_reason(world, assessed_draft):
    score_onsite(assessed_draft, assessor=world.assessor_a, raw=with_item(assessed_draft, item_1_1_points=6))
    assert reload(assessed_draft).status == ScoreSheet.Status.ASSESSED


def test_the_gap_threshold_is_set_per_campaign(world, assessed_draft):
    Campaign.objects.filter(pk=assessed_draft.campaign_id).update(gap_threshold=Decimal(3))  # the admin form
    sheet = reload(assessed_draft)
    score_onsite(sheet, assessor=world.assessor_a, raw=with_item(sheet, item_1_1_points=5))
    assert reload(sheet).status == ScoreSheet.Status.ASSESSED

    Campaign.objects.filter(pk=sheet.campaign_id).update(gap_threshold=Decimal("0.5"))
    assert sheet_gaps(reload(sheet)) == {"1.1": (Decimal("8.00"), Decimal("5.00"))}


def test_on_site_submission_checks_the_inputs_last_saved_not_an_older_page(world, assessed_draft):
    first_tab = reload(assessed_draft)
    sheet_onsite_save(
        sheet=first_tab, actor=world.assessor_a, raw=full_inputs(first_tab), gap_reasons={}, findings=""
    )
    sheet_onsite_save(
        sheet=reload(assessed_draft),
        actor=world.assessor_a,
        raw=with_item(assessed_draft, item_1_1_points=4),
        gap_reasons={},
        findings="",
    )

    with pytest.raises(ValidationError, match=r"项目 1\.1"):
        sheet_onsite_submit(sheet=first_tab, actor=world.assessor_a)
    assert reload(assessed_draft).status == ScoreSheet.Status.SUBMITTED


def test_the_on_site_page_asks_for_the_missing_reason(client, world, assessed_draft):
    client.force_login(world.assessor_a)
    url = reverse("assessment:sheet_onsite_edit", args=[assessed_draft.pk])
    response = client.post(
        url, {**with_item(assessed_draft, item_1_1_points=4), "findings": "", "submit": ""}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "项目 1.1 的现场评分与自评相差超过 2.00 分，请写明原因。" in page
    assert 'name="gap_1.1"' in page

    response = client.post(
        url,
        {
            **with_item(assessed_draft, item_1_1_points=4),
            "gap_1.1": "场地不足",
            "findings": "台账缺页",
            "submit": "",
        },
    )
    assert response.status_code == 302
    sheet = reload(assessed_draft)
    assert (sheet.status, sheet.gap_reasons, sheet.findings) == ("assessed", {"1.1": "场地不足"}, "台账缺页")


# --- review, lock and correction --------------------------------------------------------------


@pytest.fixture
def assessed(world, assessed_draft):
    score_onsite(assessed_draft, assessor=world.assessor_a, raw=full_inputs(assessed_draft, 92))
    return reload(assessed_draft)


def test_the_bureau_locks_an_assessed_sheet_with_the_on_site_scores(world, assessed):
    sheet_lock(sheet=assessed, actor=world.bureau_a)
    sheet = reload(assessed)
    assert (sheet.status, sheet.final_total, sheet.locked_by) == ("locked", Decimal("92.00"), world.bureau_a)
    entry = AuditEntry.objects.get(action="sheet.lock")
    assert (entry.actor, entry.from_state, entry.to_state) == (world.bureau_a, "assessed", "locked")


@pytest.mark.parametrize("who", ["bureau_b", "assessor_a", "operator_a", "auditor_a"])
def test_only_the_regions_bureau_locks(world, assessed, who):
    with pytest.raises(Forbidden):
        sheet_lock(sheet=assessed, actor=getattr(world, who))
    assert reload(assessed).status == ScoreSheet.Status.ASSESSED


def test_locking_with_other_final_inputs_needs_a_reason(world, assessed):
    other = full_inputs(assessed, 88)
    with pytest.raises(ValidationError, match="请写明原因"):
        sheet_lock(sheet=assessed, actor=world.bureau_a, final_inputs=other)
    sheet_lock(sheet=assessed, actor=world.bureau_a, final_inputs=other, reason="复核台账后调整")
    assert reload(assessed).final_total == Decimal("88.00")


def test_a_locked_sheet_is_not_changed_by_an_on_site_page_left_open(world, assessed_draft):
    stale = reload(assessed_draft)  # the assessor's page, loaded before the sheet moved on
    score_onsite(assessed_draft, assessor=world.assessor_a, raw=full_inputs(assessed_draft, 92))
    sheet_lock(sheet=reload(assessed_draft), actor=world.bureau_a)

    with pytest.raises(ValidationError):
        sheet_onsite_save(
            sheet=stale, actor=world.assessor_a, raw=full_inputs(stale, 40), gap_reasons={}, findings=""
        )
    assert reload(assessed_draft).onsite_total == Decimal("92.00")


def test_a_correction_with_a_reason_changes_the_final_total_and_is_recorded(world, assessed):
    sheet_lock(sheet=assessed, actor=world.bureau_a)
    with pytest.raises(ValidationError, match="原因"):
        sheet_correct(
            sheet=reload(assessed), actor=world.bureau_a, final_inputs=full_inputs(assessed, 80), reason=""
        )

    sheet_correct(
        sheet=reload(assessed),
        actor=world.bureau_a,
        final_inputs=full_inputs(assessed, 80),
        reason="异议核实",
    )

    sheet = reload(assessed)
    assert (sheet.status, sheet.final_total) == ("locked", Decimal("80.00"))
    entry = AuditEntry.objects.get(action="sheet.correct")
    assert (entry.actor, entry.reason, entry.changes) == (
        world.bureau_a,
        "异议核实",
        {"final_total": ["92.00", "80.00"]},
    )


def test_a_correction_during_the_notice_recomputes_the_results(world, assessed):
    sheet_lock(sheet=assessed, actor=world.bureau_a)
    start_notice(assessed.campaign, bureau=world.bureau_a)
    assert CampaignResult.objects.get().tier_label == "优秀"

    sheet_correct(
        sheet=reload(assessed),
        actor=world.bureau_a,
        final_inputs=full_inputs(assessed, 85),
        reason="异议成立",
    )

    result = CampaignResult.objects.get()
    assert (result.score, result.tier_label, result.subsidy) == (
        Decimal("85.00"),
        "良好",
        Decimal("50000.00"),
    )
    assert AuditEntry.objects.filter(action="campaign.results_recomputed").count() == 1


def test_a_correction_after_publication_is_refused(world, assessed):
    sheet_lock(sheet=assessed, actor=world.bureau_a)
    campaign = start_notice(assessed.campaign, bureau=world.bureau_a)
    with time_machine.travel(campaign.notice_end + datetime.timedelta(seconds=1), tick=False):
        campaign_publish(campaign=campaign, actor=world.bureau_a)
    with pytest.raises(ValidationError, match="已通报"):
        sheet_correct(
            sheet=reload(assessed),
            actor=world.bureau_a,
            final_inputs=full_inputs(assessed, 50),
            reason="迟到的更正",
        )
    assert CampaignResult.objects.get().score == Decimal("92.00")


def test_opening_a_locked_sheets_on_site_page_shows_the_sheet_and_why_not_a_form(client, world, assessed):
    # An assessor following an old link: the page every save would refuse is not drawn.
    sheet_lock(sheet=assessed, actor=world.bureau_a)
    client.force_login(world.assessor_a)

    response = client.get(reverse("assessment:sheet_onsite_edit", args=[assessed.pk]), follow=True)

    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("assessment:sheet_detail", args=[assessed.pk])
    assert "评分表已是“已审定锁定”状态，不能再修改现场评分。" in page
    assert "提交现场评分" not in page
