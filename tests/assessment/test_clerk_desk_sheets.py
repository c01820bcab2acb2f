"""What a clerk and an operator meet with score sheets (issue 13): the bulk lock counts what it
locked and what it skipped, a self-evaluation needs evidence, a value out of range is flagged on a
draft, and the bureau returns a submitted sheet to its operator with a reason."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from assessment.models import ScoreSheet
from assessment.scoring import input_fields
from assessment.services.campaigns import campaign_open
from core.models import AuditEntry
from tests.assessment.steps import (
    assign_assessor,
    attach_evidence,
    points_inputs,
    score_onsite,
    self_evaluate,
)
from tests.factories import make_station


def reload(sheet) -> ScoreSheet:
    return ScoreSheet.objects.select_related("campaign__policy", "station").get(pk=sheet.pk)


def full_inputs(sheet, total=90):
    return points_inputs(sheet.campaign, kind=sheet.station.kind, total=total)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- the bulk lock counts correctly ---------------------------------------------------------------


@pytest.fixture
def three_sheets(world, campaign):
    """AAA-01 and AAA-02 assessed on site, AAA-03 still a draft."""
    make_station(region=world.town_a, code="AAA-02", name="甲县城关第二零工驿站")
    make_station(region=world.town_a, code="AAA-03", name="甲县城关第三零工驿站")
    campaign_open(campaign=campaign, actor=world.bureau_a)
    sheets = {
        s.station.code: s
        for s in ScoreSheet.objects.filter(campaign=campaign).select_related("station", "campaign__policy")
    }
    for code in ("AAA-01", "AAA-02"):
        assign_assessor(sheets[code], assessor=world.assessor_a, bureau=world.bureau_a)
        score_onsite(sheets[code], assessor=world.assessor_a, raw=full_inputs(sheets[code], 85))
    return sheets


def test_the_bulk_lock_counts_the_sheets_it_locked_and_those_it_skipped_with_why(client, world, three_sheets):
    client.force_login(world.bureau_a)

    response = client.post(
        reverse("admin:assessment_scoresheet_changelist"),
        {"action": "lock_selected", "_selected_action": [s.pk for s in three_sheets.values()]},
        follow=True,
    )

    assert response.status_code == 200
    assert messages_of(response) == ["已审定锁定 2 张；1 张为“自评填写中”（尚未完成现场评估），未处理。"]
    statuses = dict(ScoreSheet.objects.values_list("station__code", "status"))
    assert statuses == {"AAA-01": "locked", "AAA-02": "locked", "AAA-03": "draft"}


def test_the_bulk_lock_run_again_counts_the_locked_sheets_as_already_locked(client, world, three_sheets):
    client.force_login(world.bureau_a)
    url = reverse("admin:assessment_scoresheet_changelist")
    selected = [s.pk for s in three_sheets.values()]
    client.post(url, {"action": "lock_selected", "_selected_action": selected}, follow=True)

    response = client.post(url, {"action": "lock_selected", "_selected_action": selected}, follow=True)

    assert messages_of(response) == [
        "已审定锁定 0 张；1 张为“自评填写中”（尚未完成现场评估），未处理；"
        "2 张为“已审定锁定”（已锁定），未处理。"
    ]


# --- a self-evaluation is submitted with evidence -------------------------------------------------


def test_a_self_evaluation_without_evidence_is_refused_with_a_message_and_the_draft_kept(
    client, world, sheet
):
    client.force_login(world.operator_a)
    url = reverse("assessment:sheet_self_edit", args=[sheet.pk])

    response = client.post(url, {**full_inputs(sheet), "submit": ""})

    assert response.status_code == 200
    page = response.content.decode()
    assert "还没有上传佐证材料，不能提交自评。请至少上传一份台账、照片或年度运营报告" in page
    assert "填写的数据已保存为草稿" in page
    sheet = reload(sheet)
    assert sheet.status == ScoreSheet.Status.DRAFT
    assert sheet.self_inputs == full_inputs(sheet)  # the draft was saved
    assert sheet.self_total == Decimal("90.00")
    assert not AuditEntry.objects.filter(action="sheet.self_submit").exists()


def test_with_one_evidence_file_the_self_evaluation_is_submitted(client, world, sheet):
    client.force_login(world.operator_a)
    attach_evidence(sheet, operator=world.operator_a)

    response = client.post(
        reverse("assessment:sheet_self_edit", args=[sheet.pk]),
        {**full_inputs(sheet), "submit": ""},
        follow=True,
    )

    assert "自评已提交" in response.content.decode()
    assert reload(sheet).status == ScoreSheet.Status.SUBMITTED


# --- a value out of range is flagged on a draft ----------------------------------------------------


def an_item_worth(sheet, points: int) -> tuple[str, str]:
    """(input name, label) of an item of the sheet worth `points` at most."""
    fields = input_fields(sheet.campaign.policy, kind=sheet.station.kind, month=sheet.month)
    return next((name, label) for name, kind, label, most in fields if kind == "points" and most == points)


def test_a_draft_with_9_in_an_8_point_item_is_saved_with_a_warning_naming_the_item_and_its_maximum(
    client, world, sheet
):
    name, label = an_item_worth(sheet, 8)
    client.force_login(world.operator_a)
    url = reverse("assessment:sheet_self_edit", args=[sheet.pk])

    response = client.post(url, {name: "9", "save": ""}, follow=True)

    page = response.content.decode()
    warning = f"“{label}”填写的 9，应在 0 到 8 分之间"
    assert f"草稿已保存，但有 1 项数据超出范围，提交前请修改：{warning}" in page  # the message
    assert f'<p class="warning" role="alert">{warning}</p>' in page  # next to the field
    assert reload(sheet).self_inputs == {name: "9"}  # kept as typed: a draft may be unfinished


def test_the_form_carries_each_inputs_range_for_the_warning_while_typing(client, world, sheet):
    name, _ = an_item_worth(sheet, 8)
    client.force_login(world.operator_a)

    page = client.get(reverse("assessment:sheet_self_edit", args=[sheet.pk])).content.decode()

    assert f'name="{name}"' in page
    assert 'data-max="8"' in page
    assert 'data-range="应在 0 到 8 分之间"' in page
    assert "js/sheet_inputs.js" in page


def test_submitting_9_in_an_8_point_item_is_a_form_error(client, world, sheet):
    name, label = an_item_worth(sheet, 8)
    attach_evidence(sheet, operator=world.operator_a)
    client.force_login(world.operator_a)

    response = client.post(
        reverse("assessment:sheet_self_edit", args=[sheet.pk]),
        {**full_inputs(sheet), name: "9", "submit": ""},
    )

    assert response.status_code == 200
    assert response.context["form"].errors[name] == [f"应在 0 到 8 分之间（{label}）"]
    assert reload(sheet).status == ScoreSheet.Status.DRAFT


# --- 退回修改: the bureau returns a submitted sheet ---------------------------------------------------


def return_url(sheet) -> str:
    return reverse("admin:assessment_scoresheet_return", args=[sheet.pk])


REASON = "年度运营报告缺少第四季度，请补充后重新提交。"


def test_the_bureau_returns_a_submitted_sheet_and_the_operator_edits_and_resubmits_it(
    client, world, sheet, mailoutbox, django_capture_on_commit_callbacks
):
    self_evaluate(sheet, operator=world.operator_a, raw=full_inputs(sheet, 90))
    client.force_login(world.bureau_a)
    page = client.get(reverse("admin:assessment_scoresheet_change", args=[sheet.pk])).content.decode()
    assert f'href="{return_url(sheet)}"' in page and "退回修改" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(return_url(sheet), {"reason": REASON})

    assert response.status_code == 302
    sheet = reload(sheet)
    assert (sheet.status, sheet.submitted_at) == (ScoreSheet.Status.DRAFT, None)
    entry = AuditEntry.objects.get(action="sheet.return")
    assert (entry.actor, entry.from_state, entry.to_state, entry.reason) == (
        world.bureau_a,
        "submitted",
        "draft",
        REASON,
    )
    assert [m.to for m in mailoutbox] == [["operator_a@example.cn"]]
    assert REASON in mailoutbox[0].body

    # The operator sees the reason and edits the sheet again.
    client.force_login(world.operator_a)
    detail = client.get(reverse("assessment:sheet_detail", args=[sheet.pk])).content.decode()
    assert "人社局已退回修改" in detail and REASON in detail
    edit = reverse("assessment:sheet_self_edit", args=[sheet.pk])
    assert f'href="{edit}"' in detail and "修改并重新提交" in detail
    form_page = client.get(edit).content.decode()
    assert REASON in form_page
    response = client.post(edit, {**full_inputs(sheet, 88), "submit": ""}, follow=True)
    assert "自评已提交" in response.content.decode()
    sheet = reload(sheet)
    assert (sheet.status, sheet.self_total) == (ScoreSheet.Status.SUBMITTED, Decimal("88.00"))
    # Once resubmitted, the reason is history: the page no longer says the sheet is returned.
    assert (
        "人社局已退回修改"
        not in client.get(reverse("assessment:sheet_detail", args=[sheet.pk])).content.decode()
    )


def test_returning_needs_a_reason(client, world, sheet):
    self_evaluate(sheet, operator=world.operator_a, raw=full_inputs(sheet))
    client.force_login(world.bureau_a)

    response = client.post(return_url(sheet), {"reason": "   "})

    assert response.status_code == 200
    assert "这个字段是必填项" in response.content.decode()
    assert reload(sheet).status == ScoreSheet.Status.SUBMITTED
    assert not AuditEntry.objects.filter(action="sheet.return").exists()


def test_only_the_campaigns_bureau_may_return_a_sheet(client, world, sheet):
    self_evaluate(sheet, operator=world.operator_a, raw=full_inputs(sheet))
    for outsider in (world.auditor_a, world.operator_a):
        client.force_login(outsider)
        assert client.post(return_url(sheet), {"reason": REASON}).status_code in {302, 403, 404}
    client.force_login(world.bureau_b)
    assert client.post(return_url(sheet), {"reason": REASON}).status_code in {403, 404}
    assert reload(sheet).status == ScoreSheet.Status.SUBMITTED


def test_a_returned_sheet_may_be_resubmitted_after_the_self_evaluation_deadline(client, world, sheet):
    self_evaluate(sheet, operator=world.operator_a, raw=full_inputs(sheet))
    after = sheet.campaign.self_evaluation_due + datetime.timedelta(days=1)
    with time_machine.travel(after, tick=False):
        client.force_login(world.bureau_a)
        client.post(return_url(sheet), {"reason": REASON})
        client.force_login(world.operator_a)
        detail = client.get(reverse("assessment:sheet_detail", args=[sheet.pk])).content.decode()
        assert "被退回的评分表截止后仍可重新提交" in detail

        response = client.post(
            reverse("assessment:sheet_self_edit", args=[sheet.pk]),
            {**full_inputs(sheet, 87), "submit": ""},
            follow=True,
        )

    assert "自评已提交" in response.content.decode()
    assert reload(sheet).status == ScoreSheet.Status.SUBMITTED


def test_the_bureau_sees_a_sheets_evidence_with_when_and_by_whom(client, world, sheet):
    self_evaluate(sheet, operator=world.operator_a, raw=full_inputs(sheet))
    evidence = sheet.evidence.get()
    client.force_login(world.bureau_a)

    page = client.get(reverse("admin:assessment_scoresheet_change", args=[sheet.pk])).content.decode()

    assert f'href="{reverse("assessment:evidence_download", args=[evidence.pk])}"' in page
    assert evidence.original_name in page
    assert f"{timezone.localtime(evidence.uploaded_at):%Y-%m-%d %H:%M}" in page
    assert "测operator_a" in page
