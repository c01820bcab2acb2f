"""`manage.py import_policy FILE`: install a policy file as a new version of its code.

The file is read and checked as a whole (assessment/policy_file.py): when anything is wrong,
every problem is printed on stderr, one line each naming where it is, nothing is saved and the
exit status is 1. Otherwise the policy is installed as the next version of its code (version 1
for a new code) in the region its `region` code names, which must exist; no existing version is
changed. Hints (提示: maxima that do not add up, which the engine caps) are printed, not refused.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from assessment.policy_file import PolicyFileError, read_policy_file_checked
from assessment.services.policies import PolicyImportRefused, policy_import


class Command(BaseCommand):
    help = "导入政策文件（YAML，格式见 docs/policy-format.md），安装为该政策编码的新版本；有问题时逐条列出，不保存。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="政策文件路径，如 yunmeng-2024.yaml")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as error:
            self._fail([f"无法读取文件 {path}：{error.strerror or error}"])
        try:
            spec, hints = read_policy_file_checked(content)
        except PolicyFileError as error:
            self._fail([*error.problems, f"共 {len(error.problems)} 个问题，未导入。"])
        try:
            policy = policy_import(spec=spec, actor=None)
        except PolicyImportRefused as error:
            self._fail([str(error), "未导入。"])
        self.stdout.write(
            f"已导入 {policy.name}：{policy.code} v{policy.version}（区域：{policy.region.name}）"
        )
        for hint in hints:
            self.stdout.write(f"提示：{hint}")
        if policy.version > 1:
            self.stdout.write("原有版本保持不变；考核批次仍使用各自的版本。")

    def _fail(self, lines: list[str]) -> None:
        # Like `evaluate`: the problems alone on stderr and exit status 1, no "CommandError:" prefix.
        for line in lines:
            self.stderr.write(line)
        sys.exit(1)
