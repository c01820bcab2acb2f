"""`manage.py export_campaign_inputs --campaign CODE --out FILE.json`: a campaign's inputs for `evaluate`.

Writes the campaign's locked final inputs in the input format of `manage.py evaluate`, with the
policy's code at the top, so anyone (an auditor, a province) can recompute the campaign:

    python manage.py export_campaign_inputs --campaign heshan-2024 --out heshan-2024.json
    python manage.py evaluate heshan-2024 heshan-2024.json

Numbers are written as strings, the final inputs as stored. A campaign with any sheet not yet
locked is refused. Runs on the server and is not scoped to a user. The cases are built by
`assessment.services.campaign_inputs.campaign_inputs`.
"""

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from assessment.management.campaign_option import campaign_from_option
from assessment.selectors import policy_latest
from assessment.services.campaign_inputs import campaign_inputs


class Command(BaseCommand):
    help = "导出考核批次已审定锁定的评分数据，格式与 manage.py evaluate 的输入相同。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--campaign", required=True, help="考核批次编码，如 heshan-2024")
        parser.add_argument("--out", required=True, help="写入的 JSON 文件；已有同名文件时替换")

    def handle(self, *args: Any, campaign: str, out: str, **options: Any) -> None:
        found = campaign_from_option(campaign)
        try:
            cases = campaign_inputs(found)
        except ValidationError as error:
            raise CommandError(f"考核批次“{campaign}”不能导出：{'；'.join(error.messages)}") from error
        path = Path(out)
        text = json.dumps(cases, ensure_ascii=False, indent=2) + "\n"
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"无法写入 {path}：{error.strerror or error}") from error

        latest = policy_latest(found.policy.code)
        if latest is not None and latest.pk != found.policy_id:
            # evaluate reads the newest version of a code; the campaign scored under its own.
            self.stderr.write(
                f"注意：本批次使用政策 {found.policy.code} 第 {found.policy.version} 版，"
                f"而 evaluate 按最新的第 {latest.version} 版计算，结果可能不同。"
            )
        self.stdout.write(f"已将考核批次“{campaign}”的 {len(cases['units'])} 个站点写入 {path}。")
