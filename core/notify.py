"""Notifications by email, sent only after the change they announce has been committed."""

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction


def notify_after_commit(*, recipients: Iterable, subject: str, body: str) -> None:
    """Queue one email per recipient with an address; nothing is sent if the transaction rolls back.

    A recipient is any user (`email`, `is_active`); inactive ones are skipped.
    """
    addresses = sorted({user.email for user in recipients if user.email and user.is_active})
    if not addresses:
        return
    messages = [
        (f"[站点考核] {subject}", body, settings.DEFAULT_FROM_EMAIL, [address]) for address in addresses
    ]
    transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))
