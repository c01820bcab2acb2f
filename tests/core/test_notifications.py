"""Email notifications as bureau staff meet them: recorded with the change, sent after its commit,
failures kept with their reason, seen by the bureau of the recipient's region, resent by bureau staff.

The mail backends are Django's own (locmem in tests) and one small real backend below that an
SMTP server refusing every email would amount to. A real Celery worker is exercised in tests/jobs.
"""

import datetime
import smtplib

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

import core.admin_notifications  # noqa: F401  (registers the admin page; core.admin imports it too)
from core.models import AuditEntry, Notification
from core.notify import (
    MAX_ATTEMPTS,
    next_retry_delay,
    notifications_deliver,
    notifications_requeue_stale,
    notifications_resend,
    notify_after_commit,
)
from core.permissions import Forbidden
from core.tasks import deliver_notifications_task
from tests.factories import make_user

REFUSING = "tests.core.test_notifications.RefusingBackend"
UNREACHABLE = "tests.core.test_notifications.UnreachableBackend"
CHANGELIST = "admin:core_notification_changelist"


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses every email, naming the address as real servers do."""

    calls = 0

    def send_messages(self, email_messages):
        RefusingBackend.calls += 1
        raise smtplib.SMTPException(f"550 5.1.1 <{email_messages[0].to[0]}>: mailbox unavailable")


class UnreachableBackend(BaseEmailBackend):
    """A mail server nobody answers at: the connection is refused."""

    calls = 0

    def send_messages(self, email_messages):
        UnreachableBackend.calls += 1
        raise ConnectionRefusedError(111, "Connection refused")


@pytest.fixture
def people(world):
    """operator_a (county A) and operator_b (county B) with addresses."""
    for user in (world.operator_a, world.operator_b):
        user.email = f"{user.username}@example.cn"
        user.save(update_fields=["email"])
    return world


def announce(people, subject="考核批次已开始", recipients=None):
    notify_after_commit(
        recipients=recipients or [people.operator_a, people.operator_b],
        subject=subject,
        body="请登录站点门户完成自评。",
    )


def test_a_committed_change_records_one_email_per_address_and_sends_it(
    people, settings, django_capture_on_commit_callbacks
):
    settings.DEFAULT_FROM_EMAIL = "kaohe@rsj.example.cn"
    inactive = make_user("gone")
    inactive.email, inactive.is_active = "gone@example.cn", False
    inactive.save()
    no_address = make_user("nomail")
    same_address = make_user("operator_a_again")
    same_address.email = people.operator_a.email
    same_address.save()

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            announce(
                people, recipients=[people.operator_a, people.operator_b, inactive, no_address, same_address]
            )
            rows = Notification.objects.order_by("address")
            assert [(n.address, n.status) for n in rows] == [
                ("operator_a@example.cn", "queued"),
                ("operator_b@example.cn", "queued"),
            ]
        assert mail.outbox == []  # nothing leaves before the commit

    assert sorted(m.to[0] for m in mail.outbox) == ["operator_a@example.cn", "operator_b@example.cn"]
    assert {m.subject for m in mail.outbox} == {"[站点考核] 考核批次已开始"}
    assert {m.from_email for m in mail.outbox} == {"kaohe@rsj.example.cn"}
    assert mail.outbox[0].body == "请登录站点门户完成自评。"
    for row in Notification.objects.all():
        assert (row.get_status_display(), row.attempts, row.last_error) == ("已发送", 1, "")
        assert row.sent_at is not None


def test_a_rolled_back_change_records_and_sends_nothing(people, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        announce(people)
        raise RuntimeError("the change failed")
    assert callbacks == []
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_a_failed_email_is_recorded_with_its_reason_and_tried_once_in_process(
    people, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = REFUSING
    RefusingBackend.calls = 0
    with django_capture_on_commit_callbacks(execute=True):
        announce(people)  # the request is not held up by retries, nor refused
    assert RefusingBackend.calls == 2
    for row in Notification.objects.all():
        assert (row.get_status_display(), row.attempts, row.sent_at) == ("发送失败", 1, None)
        # The class and message in words; the address itself is masked like the list shows it.
        local = row.address.split("@")[0]
        assert row.last_error == f"SMTPException: 550 5.1.1 <{local[0]}***@example.cn>: mailbox unavailable"


def test_a_mail_server_nobody_answers_is_waited_for_once_not_once_per_email(
    people, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = UNREACHABLE
    UnreachableBackend.calls = 0
    third = make_user("operator_c")
    third.email = "operator_c@example.cn"
    third.save()
    with django_capture_on_commit_callbacks(execute=True):
        announce(people, recipients=[people.operator_a, people.operator_b, third])
    assert UnreachableBackend.calls == 1
    assert {(n.status, n.attempts, n.last_error) for n in Notification.objects.all()} == {
        ("failed", 1, "ConnectionRefusedError: [Errno 111] Connection refused")
    }


@pytest.fixture
def failed(people, settings, django_capture_on_commit_callbacks):
    """Each operator's email has failed; the mail server works again afterwards."""
    settings.EMAIL_BACKEND = REFUSING
    with django_capture_on_commit_callbacks(execute=True):
        announce(people, subject="甲乙两地考核批次已开始")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox.clear()
    return {n.address.split("@")[0]: n for n in Notification.objects.all()}


def test_the_list_shows_failures_to_the_bureau_of_the_recipients_region_only(client, people, failed):
    client.force_login(people.bureau_a)
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert "测operator_a" in page  # the recipient's name
    assert "o***@example.cn" in page and "operator_a@example.cn" not in page
    assert "发送失败" in page and "mailbox unavailable" in page
    assert "测operator_b" not in page  # county B's operator is not county A's business
    detail = client.get(reverse("admin:core_notification_change", args=[failed["operator_b"].pk]))
    assert detail.status_code == 404

    client.force_login(people.bureau_b)
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert "测operator_b" in page and "测operator_a" not in page

    client.force_login(people.superuser)
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert "operator_a@example.cn" in page and "operator_b@example.cn" in page


def test_the_list_filters_by_status_and_searches_subjects(
    client, people, failed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        announce(people, subject="结果已通报", recipients=[people.operator_a])
    client.force_login(people.bureau_a)
    page = client.get(reverse(CHANGELIST), {"status__exact": "failed"}).content.decode()
    assert "甲乙两地考核批次已开始" in page and "结果已通报" not in page
    page = client.get(reverse(CHANGELIST), {"status__exact": "sent"}).content.decode()
    assert "结果已通报" in page and "甲乙两地考核批次已开始" not in page
    page = client.get(reverse(CHANGELIST), {"q": "通报"}).content.decode()
    assert "结果已通报" in page and "甲乙两地考核批次已开始" not in page


def test_bureau_staff_resend_failed_emails_of_their_region(
    client, people, failed, django_capture_on_commit_callbacks
):
    client.force_login(people.bureau_a)
    selected = [failed["operator_a"].pk, failed["operator_b"].pk]  # B's is out of reach
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(CHANGELIST), {"action": "resend", "index": 0, ACTION_CHECKBOX_NAME: selected}, follow=True
        )
    assert "已重新提交 1 封发送失败的邮件" in response.content.decode()
    assert [m.to for m in mail.outbox] == [["operator_a@example.cn"]]
    mine, theirs = (Notification.objects.get(pk=pk) for pk in selected)
    assert (mine.get_status_display(), mine.attempts) == ("已发送", 2)
    assert (theirs.get_status_display(), theirs.attempts) == ("发送失败", 1)
    entry = AuditEntry.objects.get(action="notification.resend")
    assert (entry.actor, entry.object_id, entry.to_state) == (people.bureau_a, str(mine.pk), "queued")


def test_auditors_see_the_list_but_cannot_resend(client, people, failed, django_capture_on_commit_callbacks):
    client.force_login(people.auditor_a)
    page = client.get(reverse(CHANGELIST))
    assert page.status_code == 200
    assert "测operator_a" in page.content.decode()
    assert "重新发送" not in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse(CHANGELIST),
            {"action": "resend", "index": 0, ACTION_CHECKBOX_NAME: [failed["operator_a"].pk]},
        )
    assert mail.outbox == []
    assert Notification.objects.get(pk=failed["operator_a"].pk).status == "failed"
    with pytest.raises(Forbidden, match="只有人社局工作人员可以重新发送"):
        notifications_resend(notifications=Notification.objects.all(), actor=people.auditor_a)


def test_nobody_adds_changes_or_deletes_a_notification(client, people, failed):
    client.force_login(people.superuser)
    pk = failed["operator_a"].pk
    assert client.get(reverse("admin:core_notification_add")).status_code == 403
    assert (
        client.post(reverse("admin:core_notification_delete", args=[pk]), {"post": "yes"}).status_code == 403
    )
    detail = client.post(reverse("admin:core_notification_change", args=[pk]), {"subject": "改过的"})
    assert detail.status_code == 403
    assert Notification.objects.get(pk=pk).subject == "[站点考核] 甲乙两地考核批次已开始"


def test_a_sent_email_is_not_sent_again_by_a_second_delivery(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        announce(people)
    ids = list(Notification.objects.values_list("pk", flat=True))
    assert len(mail.outbox) == 2
    deliver_notifications_task.delay(ids)  # a duplicate message, or a late one
    assert notifications_deliver(ids, retry=True) == {"sent": 0, "failed": 0, "retrying": 0, "skipped": 2}
    assert len(mail.outbox) == 2
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}


def test_with_a_broker_retries_wait_longer_each_time_and_give_up_after_five():
    assert [next_retry_delay(n) for n in range(1, 6)] == [60, 300, 1800, 7200, None]
    assert MAX_ATTEMPTS == 5


def test_with_a_broker_a_failed_email_waits_for_its_next_attempt_then_fails_for_good(
    people, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # recorded; the worker is ours below
        announce(people, recipients=[people.operator_a])
    row = Notification.objects.get()
    settings.EMAIL_BACKEND = REFUSING
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for attempt, wait in enumerate([60, 300, 1800, 7200], start=1):
            # (the retry queued here runs at once in tests and finds the email not yet due)
            assert notifications_deliver([row.pk], retry=True)["retrying"] == 1
            row.refresh_from_db()
            assert (row.get_status_display(), row.attempts) == ("待发送", attempt)
            assert row.due_at == timezone.now() + datetime.timedelta(seconds=wait)
            assert "mailbox unavailable" in row.last_error
            assert notifications_deliver([row.pk], retry=True)["skipped"] == 1  # too early
            clock.shift(wait)
        assert notifications_deliver([row.pk], retry=True)["failed"] == 1
    row.refresh_from_db()
    assert (row.get_status_display(), row.attempts) == ("发送失败", 5)


def test_emails_whose_task_was_lost_are_queued_again_after_a_quarter_of_an_hour(
    people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the broker lost the message
        announce(people)
    lost_in_queue, died_sending = Notification.objects.order_by("address")
    # A worker took the second one and died before it could record anything.
    Notification.objects.filter(pk=died_sending.pk).update(status=Notification.Status.SENDING, attempts=1)
    assert notifications_requeue_stale() == 0  # not yet: a worker may still be on it
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=16)):
        assert notifications_requeue_stale() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["operator_a@example.cn", "operator_b@example.cn"]
    assert notifications_requeue_stale() == 0
    lost_in_queue.refresh_from_db()
    died_sending.refresh_from_db()
    assert (lost_in_queue.status, lost_in_queue.attempts) == ("sent", 1)
    assert (died_sending.status, died_sending.attempts) == ("sent", 2)


def test_an_email_whose_worker_died_on_its_last_attempt_is_failed_not_sent_again(
    people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        announce(people, recipients=[people.operator_a])
    Notification.objects.update(status=Notification.Status.SENDING, attempts=MAX_ATTEMPTS)
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=16)):
        assert notifications_requeue_stale() == 0
    row = Notification.objects.get()
    assert row.get_status_display() == "发送失败"
    assert row.last_error == "发送过程中处理进程退出，未能确认是否送达，已停止自动重试。请核实后重新发送。"
    assert mail.outbox == []
