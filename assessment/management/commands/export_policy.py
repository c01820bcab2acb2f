"""`manage.py export_policy CODE --out FILE [--version N]`: write a policy as a policy file.

The newest version of the code by default. The file is the documented format
(docs/policy-format.md) that `import_policy` and the admin's 导入政策文件 read back to the same
policy. An unknown code or version ends with one line on stderr and exit status 1.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from assessment.models import Policy
from assessment.policy_file import policy_file_text
from assessment.selectors import policy_spec


class Command(BaseCommand):
    help = "将考核政策导出为政策文件（YAML，格式见 docs/policy-format.md）；默认导出最新版本。"

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        # Django's own --version (its release) gives way to the policy version this command takes.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("code", help="政策编码，如 yunmeng-2024")
        parser.add_argument("--out", required=True, help="写入的文件路径，如 yunmeng-2024.yaml")
        parser.add_argument("--version", type=int, default=None, help="导出的版本号（默认最新版本）")

    def handle(self, *args: Any, **options: Any) -> None:
        code, version = options["code"], options["version"]
        versions = Policy.objects.filter(code=code).order_by("-version")
        if not versions.exists():
            known = "、".join(Policy.objects.order_by("code").values_list("code", flat=True).distinct())
            self._fail(f"没有编码为 {code!r} 的政策。已有的政策编码：{known or '（无）'}。")
        policy = versions.first() if version is None else versions.filter(version=version).first()
        if policy is None:
            shown = "、".join(f"v{number}" for number in versions.values_list("version", flat=True))
            self._fail(f"政策 {code} 没有第 {version} 版；已有版本：{shown}。")
        out = Path(options["out"])
        try:
            out.write_text(policy_file_text(policy_spec(policy)), encoding="utf-8")
        except OSError as error:
            self._fail(f"无法写入文件 {out}：{error.strerror or error}")
        self.stdout.write(f"已将 {policy.name}（{code} v{policy.version}）导出到 {out}")

    def _fail(self, line: str) -> None:
        # Like `evaluate`: the problem alone on stderr and exit status 1, no "CommandError:" prefix.
        self.stderr.write(line)
        sys.exit(1)
