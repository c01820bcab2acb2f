"""Notifications by email, sent only after the change they announce has been committed."""

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction

from stations.models import User


def notify_after_commit(*, recipients: Iterable[User], subject: str, body: str) -> None:
    """Queue one email per recipient with an address; nothing is sent if the transaction rolls back."""
    addresses = sorted({user.email for user in recipients if user.email and user.is_active})
    if not addresses:
        return
    messages = [
        (f"[站点考核] {subject}", body, settings.DEFAULT_FROM_EMAIL, [address]) for address in addresses
    ]
    transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))


def bureau_staff_for(region) -> list[User]:
    """Bureau staff whose region contains `region` (the people a station's matters go to)."""
    paths = [region.path[: i + 1] for i in range(1, len(region.path)) if region.path[i] == "/"]
    return list(User.objects.filter(role=User.Role.BUREAU, is_active=True, region__path__in=paths))
