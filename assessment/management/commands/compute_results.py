"""`manage.py compute_results --campaign CODE --user USERNAME`: compute a campaign's results.

The same service as the admin's 计算结果 / 重新计算结果 button (`campaign_results_compute`), run
as `--user`, who must be bureau staff of the campaign's region or a superuser: the service checks
that, records the move in the audit log under that user's name, and refuses a campaign whose sheets
are not all locked. Any refusal ends with one line on stderr and exit status 1, never a traceback.
"""

import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from assessment.management.campaign_option import campaign_from_option
from assessment.services.campaigns import campaign_results_compute
from core.permissions import Forbidden
from core.workflow import InvalidTransition
from stations.models import User


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "；".join(error.messages)
    return str(error)


class Command(BaseCommand):
    help = "计算考核批次的结果（与管理后台“计算结果”按钮相同），以 --user 指定的人社局工作人员身份办理。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--campaign", required=True, help="考核批次编码，如 heshan-2024")
        parser.add_argument("--user", required=True, help="办理人用户名：本区域人社局工作人员或超级用户")

    def handle(self, *args: Any, campaign: str, user: str, **options: Any) -> None:
        found = campaign_from_option(campaign)
        actor = User.objects.filter(username=user).first()
        if actor is None:
            raise CommandError(f"没有用户名为“{user}”的用户。")
        started = time.perf_counter()
        try:
            rows = campaign_results_compute(campaign=found, actor=actor)
        except (ValidationError, InvalidTransition, Forbidden) as error:
            raise CommandError(f"考核批次“{campaign}”未能计算结果：{_message(error)}") from error
        elapsed = time.perf_counter() - started
        self.stdout.write(f"考核批次“{campaign}”已计算 {len(rows)} 个站点的结果，用时 {elapsed:.2f} 秒。")
