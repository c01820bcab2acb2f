"""The bureau runs the cycle from the admin's workflow pages: each page calls its service, shows a
domain refusal on the form (never a 500) and leaves the change in the history."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from assessment.models import Campaign, CampaignResult, Objection, RectificationOrder, ScoreSheet
from assessment.services.objections import objection_file
from core.models import AuditEntry
from stations.models import Station
from stations.services import station_status_change
from tests.assessment.steps import assign_assessor, points_inputs, score_onsite
from tests.factories import make_station
from tests.jobs_steps import job_of, post_and_run

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
# A confirmation page has no fields; the browser still posts its CSRF token, so the form is bound.
CONFIRM = {"csrfmiddlewaretoken": "token"}


def action_url(model: str, suffix: str, pk: int) -> str:
    return reverse(f"admin:assessment_{model}_{suffix}", args=[pk])


@pytest.fixture
def clerk(client, world):
    client.force_login(world.bureau_a)
    return client


def test_the_open_page_lists_who_is_left_out_and_opens_the_campaign(clerk, world, campaign):
    rectifying = make_station(region=world.town_a, code="AAA-04")
    station_status_change(station=rectifying, to="rectifying", actor=world.bureau_a, reason="台账不全")
    url = action_url("campaign", "open", campaign.pk)
    page = clerk.get(url).content.decode()
    assert "AAA-04" in page
    assert "站点状态为“整改中”" in page

    response = clerk.post(url, {"stations": [world.station_a.pk]})

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.OPEN
    assert not ScoreSheet.objects.filter(station=rectifying).exists()


def test_a_refusal_is_shown_on_the_page_not_as_an_error(clerk, world, open_campaign):
    response = clerk.post(action_url("campaign", "results", open_campaign.pk), CONFIRM)
    assert response.status_code == 200
    assert "还有 1 个站点的评分表未审定锁定：AAA-01" in response.content.decode()


def test_the_whole_cycle_through_the_admin_pages(clerk, world, sheet, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    assign_assessor(sheet, assessor=world.assessor_a, bureau=world.bureau_a)
    score_onsite(
        sheet, assessor=world.assessor_a, raw=points_inputs(sheet.campaign, kind="gig_station", total=91)
    )
    campaign = sheet.campaign

    assert clerk.post(action_url("scoresheet", "lock", sheet.pk), {"reason": ""}).status_code == 302
    job = job_of(post_and_run(clerk, action_url("campaign", "results", campaign.pk), CONFIRM))
    job_page = clerk.get(reverse("admin:core_job_change", args=[job.pk])).content.decode()
    assert "已完成" in job_page
    assert "已计算 1 个站点的结果。" in job_page
    today = timezone.localdate()
    response = clerk.post(
        action_url("campaign", "notice", campaign.pk),
        {"first_day": f"{today:%Y-%m-%d}", "last_day": f"{today + datetime.timedelta(days=7):%Y-%m-%d}"},
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.NOTICE

    objection = objection_file(
        campaign=campaign,
        station=world.station_a,
        name="李四",
        contact="13912345678",
        reason="分数偏高",
        attachment=None,
        address="10.0.0.1",
    )
    correction = {
        **points_inputs(campaign, kind="gig_station", total=84),
        "reason": "异议成立，扣减服务数据得分",
    }
    assert clerk.post(action_url("scoresheet", "correct", sheet.pk), correction).status_code == 302
    assert CampaignResult.objects.get().tier_label == "良好"
    answer = {"response": "经核实异议成立，已更正为 84 分。"}
    assert clerk.post(action_url("objection", "answer", objection.pk), answer).status_code == 302
    assert Objection.objects.get().status == Objection.Status.ANSWERED

    with time_machine.travel(campaign.notice_end + datetime.timedelta(minutes=1), tick=False):
        assert clerk.post(action_url("campaign", "publish", campaign.pk), CONFIRM).status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PUBLISHED
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "sheet.lock",
        "campaign.results",
        "campaign.notice",
        "sheet.correct",
        "campaign.publish",
    } <= actions


def test_rectification_from_issue_to_revocation_through_the_admin(client, world, bureau_a2):
    client.force_login(world.bureau_a)
    deadline = timezone.localdate() + datetime.timedelta(days=10)
    response = client.post(
        reverse("admin:assessment_rectificationorder_add"),
        {
            "station": world.station_a.pk,
            "campaign": "",
            "problems": "未按时开放",
            "deadline": f"{deadline:%Y-%m-%d}",
        },
    )
    assert response.status_code == 302
    order = RectificationOrder.objects.get()
    assert (order.status, order.issued_by) == ("issued", world.bureau_a)
    assert Station.objects.get(pk=world.station_a.pk).status == "rectifying"

    later = datetime.datetime.combine(
        deadline + datetime.timedelta(days=1), datetime.time(9), tzinfo=SHANGHAI
    )
    with time_machine.travel(later, tick=False):
        response = client.post(
            action_url("rectificationorder", "propose", order.pk), {"reason": "逾期未整改"}
        )
        assert response.status_code == 302
        refused = client.post(
            action_url("rectificationorder", "decide", order.pk), {"approve": "true", "reason": "同意"}
        )
        assert "另一位工作人员" in refused.content.decode()
        client.force_login(bureau_a2)
        response = client.post(
            action_url("rectificationorder", "decide", order.pk), {"approve": "true", "reason": "同意撤销"}
        )
    assert response.status_code == 302
    assert RectificationOrder.objects.get().status == "revoked"
    assert Station.objects.get(pk=world.station_a.pk).status == "revoked"
