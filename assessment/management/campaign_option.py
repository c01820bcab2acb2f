"""The `--campaign CODE` option the campaign commands share."""

from django.core.management.base import CommandError
from django.db import DatabaseError

from assessment.models import Campaign


def campaign_from_option(code: str) -> Campaign:
    """The campaign named by `--campaign`; CommandError (one Chinese line, exit 1) when there is none."""
    try:
        found = Campaign.objects.select_related("policy", "region").filter(code=code).first()
    except DatabaseError as error:
        raise CommandError(f"数据库无法读取（请先运行 manage.py migrate）：{type(error).__name__}") from error
    if found is None:
        known = "、".join(Campaign.objects.order_by("code").values_list("code", flat=True)[:20]) or "无"
        raise CommandError(f"没有编码为“{code}”的考核批次（现有：{known}）。")
    return found
