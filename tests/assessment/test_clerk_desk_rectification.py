"""What a bureau clerk meets with rectification orders (issue 13): a deadline of today is a form
error, never a 500; the operator's evidence is on the order page and the verify form; the page says
when revocation becomes possible; and the demo holds a lapsed order to try revocation on at once."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from assessment.models import RectificationOrder
from assessment.services.rectification import rectification_evidence_add, rectification_issue
from core.models import AuditEntry
from stations.models import Station
from tests.assessment.steps import EVIDENCE_PDF

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def order(world, addresses):
    return rectification_issue(
        station=world.station_a,
        actor=world.bureau_a,
        problems="服务台账缺少 3 月至 5 月的记录",
        deadline=timezone.localdate() + datetime.timedelta(days=10),
    )


def change_page(client, order) -> str:
    response = client.get(reverse("admin:assessment_rectificationorder_change", args=[order.pk]))
    assert response.status_code == 200
    return response.content.decode()


# --- a deadline of today or earlier is a form error ---------------------------------------------


@pytest.mark.parametrize("days", [0, -3], ids=["today", "three-days-ago"])
def test_issuing_an_order_with_a_deadline_of_today_or_earlier_is_a_form_error_and_saves_nothing(
    client, world, days
):
    today = timezone.localdate()
    client.force_login(world.bureau_a)

    response = client.post(
        reverse("admin:assessment_rectificationorder_add"),
        {
            "station": world.station_a.pk,
            "problems": "公示栏信息未更新",
            "deadline": (today + datetime.timedelta(days=days)).isoformat(),
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert f"整改期限必须晚于今天（{today:%Y年%m月%d日}）" in page
    assert f"最早为 {today + datetime.timedelta(days=1):%Y年%m月%d日}" in page
    assert not RectificationOrder.objects.exists()
    assert Station.objects.get(pk=world.station_a.pk).status == Station.Status.ACTIVE
    assert not AuditEntry.objects.filter(action__startswith="rectification.").exists()


def test_issuing_an_order_with_a_deadline_of_tomorrow_is_accepted(client, world, addresses):
    client.force_login(world.bureau_a)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    response = client.post(
        reverse("admin:assessment_rectificationorder_add"),
        {"station": world.station_a.pk, "problems": "公示栏信息未更新", "deadline": tomorrow.isoformat()},
    )

    assert response.status_code == 302
    assert RectificationOrder.objects.get().deadline == tomorrow


@pytest.mark.parametrize(
    ("move", "data", "message"),
    [
        (
            "verify",
            {"accepted": "false", "note": "台账仍缺 5 月"},
            "退回重新整改的新期限必须晚于今天",
        ),
        (
            "decide",
            {"approve": "false", "reason": "给予一次机会"},
            "不予撤销时的新整改期限必须晚于今天",
        ),
    ],
)
def test_a_new_deadline_of_today_on_the_verify_and_decision_forms_is_a_form_error(
    client, world, order, bureau_a2, move, data, message
):
    if move == "verify":
        RectificationOrder.objects.filter(pk=order.pk).update(status=RectificationOrder.Status.RESPONDED)
    else:
        RectificationOrder.objects.filter(pk=order.pk).update(
            status=RectificationOrder.Status.REVOCATION_PROPOSED
        )
    before = RectificationOrder.objects.get(pk=order.pk)
    client.force_login(bureau_a2)

    response = client.post(
        reverse(f"admin:assessment_rectificationorder_{move}", args=[order.pk]),
        {**data, "new_deadline": timezone.localdate().isoformat()},
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    after = RectificationOrder.objects.get(pk=order.pk)
    assert (after.status, after.deadline) == (before.status, before.deadline)


# --- the operator's evidence, seen by the bureau --------------------------------------------------


def test_the_bureau_sees_and_opens_the_operators_rectification_evidence(client, world, order):
    # Uploaded at 00:08 China time (16:08 the day before in UTC): the page shows China time.
    moment = datetime.datetime.combine(
        timezone.localdate() + datetime.timedelta(days=1), datetime.time(0, 8), tzinfo=SHANGHAI
    )
    with time_machine.travel(moment, tick=False):
        evidence = rectification_evidence_add(
            order=order,
            actor=world.operator_a,
            uploaded=SimpleUploadedFile("整改后服务台账.pdf", EVIDENCE_PDF),
            kind="ledger",
        )
    link = reverse("assessment:evidence_download", args=[evidence.pk])
    client.force_login(world.bureau_a)

    for page in (
        change_page(client, order),
        client.get(reverse("admin:assessment_rectificationorder_verify", args=[order.pk])).content.decode(),
    ):
        assert "整改材料" in page
        assert f'href="{link}"' in page
        assert "整改后服务台账.pdf" in page
        assert f"{moment:%Y-%m-%d} 00:08" in page
        assert "测operator_a" in page  # by name (last name 测 + first name), never the login alone

    response = client.get(link)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == EVIDENCE_PDF


def test_an_order_without_evidence_says_so(client, world, order):
    client.force_login(world.bureau_a)
    assert "无（运营方未上传材料）" in change_page(client, order)


# --- when revocation becomes possible -------------------------------------------------------------


def test_the_order_page_says_from_which_day_revocation_may_be_proposed(client, world, order):
    client.force_login(world.bureau_a)
    opens = order.deadline + datetime.timedelta(days=1)

    page = change_page(client, order)

    assert f"自 {opens:%Y年%m月%d日} 起" in page
    assert "可以提请撤销资格" in page
    # Proposing early is refused on the form with the same day, not with a 500.
    response = client.post(
        reverse("admin:assessment_rectificationorder_propose", args=[order.pk]), {"reason": "逾期"}
    )
    assert response.status_code == 200
    assert f"自 {opens:%Y年%m月%d日} 起才能提请撤销资格" in response.content.decode()


def test_the_operator_is_told_when_a_lapsed_order_may_lead_to_revocation(client, world, order):
    client.force_login(world.operator_a)
    opens = order.deadline + datetime.timedelta(days=1)

    page = client.get(reverse("assessment:rectification_detail", args=[order.pk])).content.decode()

    # The page writes dates as people do, without leading zeros (2027年3月13日).
    assert f"人社局自 {opens.year}年{opens.month}月{opens.day}日 起可以提请撤销站点资格" in page


def test_the_demo_holds_a_lapsed_order_that_can_be_revoked_at_once_by_two_people(
    client, db, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    call_command("load_demo", stdout=io.StringIO())
    lapsed = RectificationOrder.objects.get(station__code="YM-DS-05")
    assert lapsed.status == RectificationOrder.Status.ISSUED
    assert lapsed.deadline < timezone.localdate()

    from stations.models import User

    bureau, admin = User.objects.get(username="bureau"), User.objects.get(username="admin")
    client.force_login(bureau)
    page = change_page(client, lapsed)
    assert "已过，站点未提交整改情况：可以提请撤销资格" in page
    propose = reverse("admin:assessment_rectificationorder_propose", args=[lapsed.pk])
    assert f'href="{propose}"' in page
    assert client.post(propose, {"reason": "逾期未提交整改情况"}).status_code == 302

    client.force_login(admin)
    decide = reverse("admin:assessment_rectificationorder_decide", args=[lapsed.pk])
    assert client.post(decide, {"approve": "true", "reason": "同意"}).status_code == 302
    assert RectificationOrder.objects.get(pk=lapsed.pk).status == RectificationOrder.Status.REVOKED
    assert Station.objects.get(code="YM-DS-05").status == Station.Status.REVOKED
