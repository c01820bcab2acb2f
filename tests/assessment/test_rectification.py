"""Rectification orders （整改）： issue, the operator's answer before the deadline, verification, and
revocation of a station whose order lapsed, which needs two people."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assessment.models import RectificationOrder
from assessment.services.rectification import (
    rectification_decide_revocation,
    rectification_issue,
    rectification_propose_revocation,
    rectification_respond,
    rectification_verify,
)
from core.models import AuditEntry
from core.permissions import Forbidden
from stations.models import Station

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def morning_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(9, 0), tzinfo=SHANGHAI)


@pytest.fixture
def order(world, addresses):
    return rectification_issue(
        station=world.station_a,
        actor=world.bureau_a,
        problems="服务台账缺少 3 月至 5 月的记录",
        deadline=timezone.localdate() + datetime.timedelta(days=10),
    )


def status_of(station) -> str:
    return Station.objects.get(pk=station.pk).status


def test_issuing_an_order_puts_the_station_under_rectification_and_tells_the_operator(
    world, addresses, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = rectification_issue(
            station=world.station_a,
            actor=world.bureau_a,
            problems="服务台账缺少 3 月至 5 月的记录",
            deadline=timezone.localdate() + datetime.timedelta(days=10),
        )
    assert order.status == RectificationOrder.Status.ISSUED
    assert status_of(world.station_a) == Station.Status.RECTIFYING
    assert AuditEntry.objects.filter(action="station.status_change", to_state="rectifying").count() == 1
    assert [m.to for m in mail.outbox] == [["operator_a@example.cn"]]
    assert "服务台账缺少" in mail.outbox[0].body


def test_an_order_due_today_is_refused(world):
    with pytest.raises(ValidationError, match="整改期限必须晚于今天"):
        rectification_issue(
            station=world.station_a, actor=world.bureau_a, problems="台账不全", deadline=timezone.localdate()
        )
    assert status_of(world.station_a) == Station.Status.ACTIVE


def test_the_operator_responds_through_the_portal_before_the_deadline(client, world, order):
    client.force_login(world.operator_a)
    url = reverse("assessment:rectification_detail", args=[order.pk])
    with time_machine.travel(morning_of(order.deadline), tick=False):  # the last day still counts
        response = client.post(url, {"response": "已补齐台账并上传扫描件。"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.response) == ("responded", "已补齐台账并上传扫描件。")
    entry = AuditEntry.objects.get(action="rectification.respond")
    assert (entry.actor, entry.from_state, entry.to_state) == (world.operator_a, "issued", "responded")


def test_a_response_after_the_deadline_is_refused_with_the_deadline(client, world, order):
    client.force_login(world.operator_a)
    url = reverse("assessment:rectification_detail", args=[order.pk])
    with time_machine.travel(morning_of(order.deadline + datetime.timedelta(days=1)), tick=False):
        response = client.post(url, {"response": "已补齐台账。"})
    assert response.status_code == 200
    assert f"整改期限 {order.deadline:%Y年%m月%d日} 已过，不能再提交。" in response.content.decode()
    order.refresh_from_db()
    assert order.status == RectificationOrder.Status.ISSUED


def test_another_stations_operator_cannot_see_or_answer_the_order(client, world, order):
    client.force_login(world.operator_b)
    url = reverse("assessment:rectification_detail", args=[order.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"response": "冒名提交"}).status_code == 404
    with pytest.raises(Forbidden):
        rectification_respond(order=order, actor=world.operator_b, response="冒名提交")
    order.refresh_from_db()
    assert order.status == RectificationOrder.Status.ISSUED


def test_accepted_verification_returns_the_station_to_active(world, order):
    rectification_respond(order=order, actor=world.operator_a, response="已补齐台账。")
    rectification_verify(order=order, actor=world.bureau_a, accepted=True, note="现场核实，台账完整。")
    order.refresh_from_db()
    assert order.status == RectificationOrder.Status.VERIFIED
    assert status_of(world.station_a) == Station.Status.ACTIVE


def test_the_station_stays_under_rectification_while_another_order_is_open(world, order):
    rectification_issue(
        station=world.station_a,
        actor=world.bureau_a,
        problems="未公示服务时间",
        deadline=timezone.localdate() + datetime.timedelta(days=20),
    )
    rectification_respond(order=order, actor=world.operator_a, response="已补齐台账。")
    rectification_verify(order=order, actor=world.bureau_a, accepted=True, note="台账完整。")
    assert status_of(world.station_a) == Station.Status.RECTIFYING


def test_a_refused_answer_goes_back_with_a_new_deadline(world, order):
    rectification_respond(order=order, actor=world.operator_a, response="已补齐。")
    new_deadline = order.deadline + datetime.timedelta(days=15)
    rectification_verify(
        order=order, actor=world.bureau_a, accepted=False, note="仍缺 4 月台账。", new_deadline=new_deadline
    )
    order.refresh_from_db()
    assert (order.status, order.deadline) == ("issued", new_deadline)
    assert status_of(world.station_a) == Station.Status.RECTIFYING


def test_the_operator_cannot_verify_their_own_answer(world, order):
    rectification_respond(order=order, actor=world.operator_a, response="已补齐。")
    with pytest.raises(Forbidden):
        rectification_verify(order=order, actor=world.operator_a, accepted=True, note="自己核实")
    order.refresh_from_db()
    assert order.status == RectificationOrder.Status.RESPONDED


def test_revocation_cannot_be_proposed_before_the_deadline_has_passed(world, order):
    with (
        time_machine.travel(morning_of(order.deadline), tick=False),
        pytest.raises(ValidationError, match="尚未届满"),
    ):
        rectification_propose_revocation(order=order, actor=world.bureau_a, reason="逾期未整改")
    order.refresh_from_db()
    assert order.status == RectificationOrder.Status.ISSUED


@pytest.fixture
def proposed(world, order):
    with time_machine.travel(morning_of(order.deadline + datetime.timedelta(days=1)), tick=False):
        rectification_propose_revocation(order=order, actor=world.bureau_a, reason="逾期未提交整改情况")
    return order


def test_a_lapsed_order_is_proposed_for_revocation(world, proposed):
    proposed.refresh_from_db()
    assert proposed.status == RectificationOrder.Status.REVOCATION_PROPOSED
    entry = AuditEntry.objects.get(action="rectification.propose_revocation")
    assert (entry.actor, entry.reason) == (world.bureau_a, "逾期未提交整改情况")


def test_the_proposer_cannot_approve_their_own_revocation(world, proposed):
    with pytest.raises(Forbidden, match="另一位工作人员"):
        rectification_decide_revocation(order=proposed, actor=world.bureau_a, approve=True, reason="同意")
    proposed.refresh_from_db()
    assert proposed.status == RectificationOrder.Status.REVOCATION_PROPOSED
    assert status_of(world.station_a) == Station.Status.RECTIFYING


def test_another_clerk_approves_and_the_station_is_revoked(world, bureau_a2, proposed):
    rectification_decide_revocation(order=proposed, actor=bureau_a2, approve=True, reason="同意撤销")
    proposed.refresh_from_db()
    assert proposed.status == RectificationOrder.Status.REVOKED
    assert status_of(world.station_a) == Station.Status.REVOKED
    entry = AuditEntry.objects.get(action="station.status_change", to_state="revoked")
    assert (entry.actor, entry.from_state) == (bureau_a2, "rectifying")


def test_another_countys_clerk_cannot_approve(world, proposed):
    with pytest.raises(Forbidden):
        rectification_decide_revocation(order=proposed, actor=world.bureau_b, approve=True, reason="同意")
    assert status_of(world.station_a) == Station.Status.RECTIFYING


def test_a_declined_revocation_gives_a_new_deadline(world, bureau_a2, proposed):
    new_deadline = timezone.localdate() + datetime.timedelta(days=30)
    rectification_decide_revocation(
        order=proposed, actor=bureau_a2, approve=False, reason="给予一次延期", new_deadline=new_deadline
    )
    proposed.refresh_from_db()
    assert (proposed.status, proposed.deadline) == ("issued", new_deadline)
    assert status_of(world.station_a) == Station.Status.RECTIFYING


def test_operator_attaches_evidence_to_the_answer_and_nobody_else_can(client, world, settings, tmp_path):
    import datetime

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse
    from django.utils import timezone

    from assessment.services.rectification import rectification_issue

    settings.MEDIA_ROOT = tmp_path
    order = rectification_issue(
        station=world.station_a,
        actor=world.bureau_a,
        problems="台账不全",
        deadline=timezone.localdate() + datetime.timedelta(days=10),
    )
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    url = reverse("assessment:rectification_evidence_upload", args=[order.pk])
    client.force_login(world.auditor_a)
    client.post(url, {"kind": "ledger", "file": SimpleUploadedFile("台账.pdf", pdf)})
    assert not order.evidence.exists()
    client.force_login(world.operator_a)
    page = client.post(url, {"kind": "ledger", "file": SimpleUploadedFile("台账.pdf", pdf)}, follow=True)
    assert "已上传" in page.content.decode()
    stored = order.evidence.get()
    assert stored.original_name == "台账.pdf"
    assert (tmp_path / stored.file.name).read_bytes() == pdf
    # Shown on the order's page, and downloadable by the bureau that will verify it.
    client.force_login(world.bureau_a)
    assert (
        "台账.pdf" in client.get(reverse("assessment:rectification_detail", args=[order.pk])).content.decode()
    )
    download = client.get(reverse("assessment:evidence_download", args=[stored.pk]))
    assert b"".join(download.streaming_content) == pdf
    download.close()
