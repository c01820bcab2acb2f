"""Notifications by email: recorded with the change they announce, delivered by a task after its commit.

    notify_after_commit(recipients=..., subject=..., body=...)  # rows now, delivery after commit
    notifications_deliver(ids, retry=...)                       # what the delivery task calls
    notifications_resend(notifications=..., actor=...)          # failed ones, again (admin action)
    notifications_requeue_stale()                               # housekeeping: lost tasks

Each email is a `core.models.Notification` row written in the caller's transaction, so a
rolled-back change leaves no notification and a committed one leaves a record of every email:
its address at the time, its state (待发送, 发送中, 已发送, 发送失败), how many attempts and the
last error in words. With a broker, delivery runs as Celery tasks of `NOTIFICATION_BATCH` rows,
one mail connection each (in-process, one task for all); a failed email is tried again after
`RETRY_DELAYS` and given up after `MAX_ATTEMPTS`. In-process (no broker) each email gets one
attempt, because a retry would hold up the request, and a failed one waits for bureau staff to
resend it. A row is claimed (待发送 → 发送中) by one statement before it is sent, so a duplicate
or late task never sends it twice.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.models import Notification
from core.permissions import is_superuser, may_change_in_admin, require
from core.scoping import register_scope, scoped_queryset
from core.workflow import audit_entry, chunked, record_audit_many

logger = logging.getLogger(__name__)

SUBJECT_PREFIX = "[站点考核] "
# Rows per delivery task: one mail connection each, and a task short enough to lose little.
NOTIFICATION_BATCH = 200
# With a broker: the waits before the 2nd, 3rd, 4th and 5th attempt; after the 5th it is failed.
RETRY_DELAYS = (60, 5 * 60, 30 * 60, 2 * 60 * 60)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A queued row this long past its time, or a row this long "sending", lost its task (a worker died).
STALE_AFTER = timedelta(minutes=15)
# A retry's task may start a little early by the clock that scheduled it (less than the first delay).
DUE_SLACK = timedelta(seconds=10)
ERROR_LENGTH = 500
# Seconds an SMTP connection may wait for the server when EMAIL_TIMEOUT is not set.
DEFAULT_EMAIL_TIMEOUT = 30


def notify_after_commit(*, recipients: Iterable, subject: str, body: str) -> None:
    """Record one email per address among `recipients` now, and queue their delivery after the commit.

    A recipient is any user (`pk`, `email`, `is_active`); inactive ones and those without an
    address are skipped, and an address two users share gets one email. The rows are written
    in the current transaction: if it rolls back, nothing is recorded or sent.
    """
    chosen: dict[str, object] = {}
    for user in recipients:
        if user.email and user.is_active:
            chosen.setdefault(user.email, user)
    if not chosen:
        return
    now = timezone.now()
    full_subject = f"{SUBJECT_PREFIX}{subject}"
    rows = [
        Notification(recipient_id=user.pk, address=address, subject=full_subject, body=body, due_at=now)
        for address, user in sorted(chosen.items())
    ]
    # PostgreSQL and SQLite (3.35+) return the new ids, which the delivery tasks are given.
    created = Notification.objects.bulk_create(rows, batch_size=2000)
    _queue_after_commit([row.pk for row in created])


def _queue_after_commit(ids: Sequence[int]) -> None:
    # robust: after the commit the change stands; a broker that cannot be reached must not turn it
    # into an error page. The rows stay 待发送 and notifications_requeue_stale sends them later.
    transaction.on_commit(lambda: _queue(ids), robust=True)


def _queue(ids: Sequence[int], *, countdown: int | None = None) -> None:
    from core.tasks import deliver_notifications_task

    # In-process the batches would only run one after another in this request: one task, one
    # connection, so a mail server that does not answer is waited for once, not once per batch.
    size = len(ids) if deliver_notifications_task.app.conf.task_always_eager else NOTIFICATION_BATCH
    for batch in chunked(ids, max(size, 1)):
        if countdown is None:
            deliver_notifications_task.delay(batch)
        else:
            deliver_notifications_task.apply_async(args=[batch], countdown=countdown)


def next_retry_delay(attempts: int) -> int | None:
    """Seconds to wait before the next attempt after `attempts` failed ones, or None to give up."""
    if attempts < 1 or attempts >= MAX_ATTEMPTS:
        return None
    return RETRY_DELAYS[attempts - 1]


def error_in_words(exc: BaseException, *, address: str = "") -> str:
    """The exception's class and message, cut to ERROR_LENGTH, with the address masked."""
    text = f"{type(exc).__name__}: {exc}".strip()
    if address:
        text = text.replace(address, mask_email(address))
    if len(text) > ERROR_LENGTH:
        text = text[: ERROR_LENGTH - 1] + "…"
    return text


def mask_email(address: str) -> str:
    """An address shown to staff who need not read it whole: a***@example.com."""
    local, at, domain = (address or "").partition("@")
    if not at:
        return "*" * len(local)
    return f"{local[:1]}***@{domain}"


def notifications_deliver(ids: Sequence[int], *, retry: bool) -> dict[str, int]:
    """Send the queued notifications among `ids` over one connection; record each outcome.

    Each row is claimed (待发送 → 发送中, attempts + 1) just before it is sent; a row that is not
    queued, or whose next attempt is not yet due, is left alone. A failure is recorded with its
    error; with `retry` the row is queued again after `next_retry_delay` (failed after
    MAX_ATTEMPTS), without it the row is failed at once. When the mail server cannot be reached
    at all, the batch's other rows fail with the same error without each waiting for it again.
    Returns counts: sent, failed, retrying, skipped.
    """
    counts = {"sent": 0, "failed": 0, "retrying": 0, "skipped": 0}
    retries: dict[int, list[int]] = {}
    # A server that does not answer must not hold a worker (or, in-process, the request) for ever.
    connection = get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or DEFAULT_EMAIL_TIMEOUT)
    unreachable: Exception | None = None
    try:
        for row in _queued_rows(ids, counts):
            if not _claim(row):
                counts["skipped"] += 1  # sent, claimed by another task, or its retry is not yet due
                continue
            try:
                if unreachable is not None:
                    raise unreachable
                message = EmailMessage(
                    subject=row.subject,
                    body=row.body,
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[row.address],
                    connection=connection,
                )
                if not connection.send_messages([message]):
                    raise RuntimeError("邮件服务器未接受这封邮件（未发送）")
            except Exception as exc:  # any backend error is this email's failure
                # The addresses stay out of the log: the row number is enough to find it.
                logger.warning("notification %s not sent: %s", row.pk, type(exc).__name__)
                if unreachable is None and _fails_every_email(exc):
                    unreachable = exc
                delay = next_retry_delay(row.attempts) if retry else None
                _record_failure(row, exc, delay=delay)
                if delay is None:
                    counts["failed"] += 1
                else:
                    counts["retrying"] += 1
                    retries.setdefault(delay, []).append(row.pk)
                # A broken connection would fail every later email: the next send opens a new one.
                _close_quietly(connection)
            else:
                Notification.objects.filter(pk=row.pk, status=Notification.Status.SENDING).update(
                    status=Notification.Status.SENT, sent_at=timezone.now(), last_error=""
                )
                counts["sent"] += 1
    finally:
        _close_quietly(connection)
    for delay, retry_ids in retries.items():
        _queue(retry_ids, countdown=delay)
    return counts


def _queued_rows(ids: Sequence[int], counts: dict[str, int]):
    """The queued rows among `ids`, read NOTIFICATION_BATCH at a time; the others count as skipped."""
    for batch in chunked(dict.fromkeys(ids), NOTIFICATION_BATCH):
        rows = list(
            Notification.objects.filter(pk__in=batch, status=Notification.Status.QUEUED)
            .only("pk", "address", "subject", "body", "attempts")
            .order_by("pk")
        )
        counts["skipped"] += len(batch) - len(rows)
        yield from rows


def _claim(row: Notification) -> bool:
    """Take the row for this attempt (one statement, so only one task ever does); counts the attempt."""
    now = timezone.now()
    claimed = Notification.objects.filter(
        pk=row.pk, status=Notification.Status.QUEUED, attempts=row.attempts, due_at__lte=now + DUE_SLACK
    ).update(status=Notification.Status.SENDING, attempts=row.attempts + 1, due_at=now)
    if claimed:
        row.attempts += 1
    return bool(claimed)


def _fails_every_email(exc: BaseException) -> bool:
    """The server cannot be reached, or refuses us (login, sender), rather than this one email."""
    if isinstance(
        exc,
        smtplib.SMTPConnectError
        | smtplib.SMTPServerDisconnected
        | smtplib.SMTPAuthenticationError
        | smtplib.SMTPSenderRefused,
    ):
        return True
    # smtplib's errors are OSErrors too; the other OSErrors are the network's (refused, timed out).
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


def _record_failure(row: Notification, exc: BaseException, *, delay: int | None) -> None:
    fields = {"last_error": error_in_words(exc, address=row.address)}
    if delay is None:
        fields["status"] = Notification.Status.FAILED
    else:
        fields["status"] = Notification.Status.QUEUED
        fields["due_at"] = timezone.now() + timedelta(seconds=delay)
    Notification.objects.filter(pk=row.pk, status=Notification.Status.SENDING).update(**fields)


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except Exception:  # a connection that cannot even close is already gone
        logger.warning("mail connection could not be closed cleanly")


def notification_list(*, actor) -> QuerySet[Notification]:
    """The notifications `actor` may see: those to the people in their reach (everyone's for a superuser)."""
    notifications = Notification.objects.select_related("recipient")
    if is_superuser(actor):
        return notifications
    if not getattr(actor, "is_authenticated", False):
        return notifications.none()
    return notifications.filter(recipient__in=scoped_queryset(get_user_model(), actor=actor))


register_scope(Notification, notification_list)


def notifications_resend(*, notifications: QuerySet[Notification], actor) -> int:
    """Queue the failed ones among `notifications` that `actor` may see for delivery again.

    Only bureau staff (and superusers) resend; others are refused with Forbidden. Each row goes
    back to 待发送 (its attempts and last error stay, as its history), the resend is recorded in
    the history with who did it, and delivery is queued after the commit. Returns how many.
    """
    require(may_change_in_admin(actor), "只有人社局工作人员可以重新发送邮件通知。")
    with transaction.atomic():
        rows = list(
            notification_list(actor=actor)
            .filter(pk__in=notifications.values("pk"), status=Notification.Status.FAILED)
            .select_related("recipient__region")
            .order_by("pk")
        )
        ids = [row.pk for row in rows]
        Notification.objects.filter(pk__in=ids, status=Notification.Status.FAILED).update(
            status=Notification.Status.QUEUED, due_at=timezone.now()
        )
        record_audit_many(
            audit_entry(
                target=row,
                actor=actor,
                action="notification.resend",
                from_state=Notification.Status.FAILED,
                to_state=Notification.Status.QUEUED,
                reason="重新发送",
                # The recipient's region, so the bureau of the person the email is for sees it.
                region=getattr(row.recipient, "region", None),
            )
            for row in rows
        )
        _queue_after_commit(ids)
    return len(ids)


def notifications_requeue_stale() -> int:
    """Queue again the rows whose task was lost (a worker died, the broker restarted empty).

    A row still 待发送 STALE_AFTER past its time, or 发送中 for that long, is queued now; its
    attempt count stays, so one that keeps dying is still given up after MAX_ATTEMPTS.
    Call from housekeeping every few minutes. Returns how many were queued.
    """
    now = timezone.now()
    limit = now - STALE_AFTER
    # One that died while being sent MAX_ATTEMPTS times is not tried again; whether it arrived is unknown.
    Notification.objects.filter(
        status=Notification.Status.SENDING, due_at__lt=limit, attempts__gte=MAX_ATTEMPTS
    ).update(
        status=Notification.Status.FAILED,
        last_error="发送过程中处理进程退出，未能确认是否送达，已停止自动重试。请核实后重新发送。",
    )
    stale = Notification.objects.filter(
        status__in=(Notification.Status.QUEUED, Notification.Status.SENDING), due_at__lt=limit
    )
    ids = list(stale.order_by("pk").values_list("pk", flat=True))
    if not ids:
        return 0
    requeued = 0
    for batch in chunked(ids, 1000):
        # The same filter again: a row a task took meanwhile is left to it.
        requeued += stale.filter(pk__in=batch).update(status=Notification.Status.QUEUED, due_at=now)
    logger.info("requeued %s notifications whose delivery task was lost", requeued)
    _queue(ids)
    return requeued
