"""`manage.py seed_policies`: compare the shipped seed policies with the database, install on request.

Without options it changes nothing: one line per shipped policy (已是最新 / 未安装 / 与数据库不同,
with the differences, database value → shipped value) and exit status 0 when every one is up to
date, 1 otherwise, so a deployment script or CI can check. `--install CODE` (repeatable) or
`--install-all` installs the shipped spec as the next version of its code where the database's
newest version differs; no existing version is ever changed. The work is done by
`assessment.services.policies` (`seed_policy_states`, `seed_policy_install`).
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from assessment.policies import SEED_POLICIES
from assessment.services.policies import (
    SeedPolicyState,
    SeedStatus,
    seed_policy_install,
    seed_policy_states,
)


class Command(BaseCommand):
    help = (
        "检查随附的种子政策与数据库是否一致（一致时退出码 0，否则 1）；"
        "--install CODE 或 --install-all 将随附版本安装为新版本，已有版本不作改动。"
    )

    def add_arguments(self, parser: Any) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--install",
            action="append",
            metavar="CODE",
            default=[],
            help=f"将该随附政策安装为新版本（可重复）；随附政策：{'、'.join(SEED_POLICIES)}",
        )
        group.add_argument(
            "--install-all", action="store_true", help="将所有与数据库不同或未安装的随附政策安装为新版本"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        unknown = [code for code in options["install"] if code not in SEED_POLICIES]
        if unknown:
            self._fail(
                [
                    f"没有编码为 {code!r} 的随附政策；随附政策有：{'、'.join(SEED_POLICIES)}。"
                    for code in unknown
                ]
            )
        codes = list(SEED_POLICIES) if options["install_all"] else list(dict.fromkeys(options["install"]))
        try:
            states = seed_policy_states()
            if codes:
                self._install([state for state in states if state.code in codes])
                return
        except DatabaseError as error:
            self._fail([f"政策数据库无法读取（请先运行 manage.py migrate）：{type(error).__name__}"])
        for state in states:
            self._report(state)
        stale = [state.code for state in states if state.status != SeedStatus.CURRENT]
        if stale:
            self._fail(
                [
                    f"{len(stale)} 项随附政策与数据库不一致：{'、'.join(stale)}。"
                    "核对差异后，用 --install CODE 或 --install-all 安装为新版本（已有版本不会改动）。"
                ]
            )

    def _report(self, state: SeedPolicyState) -> None:
        if state.status == SeedStatus.MISSING:
            self.stdout.write(
                f"{state.code}：未安装（运行 manage.py migrate 或 --install {state.code} 安装）"
            )
        elif state.status == SeedStatus.CURRENT:
            self.stdout.write(f"{state.code}：已是最新（数据库 v{state.version}）")
        else:
            self.stdout.write(
                f"{state.code}：与数据库不同（数据库最新 v{state.version}，{_frozen(state)}；"
                "箭头左为数据库，右为随附版本）"
            )
            for line in state.differences:
                self.stdout.write(f"  {line}")

    def _install(self, states: list[SeedPolicyState]) -> None:
        for state in states:
            policy = seed_policy_install(code=state.code)
            if policy is None:
                self.stdout.write(f"{state.code}：已是最新（数据库 v{state.version}），未安装新版本")
            elif state.status == SeedStatus.MISSING:
                self.stdout.write(f"{state.code}：已安装为 v{policy.version}")
            else:
                self.stdout.write(
                    f"{state.code}：已安装为 v{policy.version}；v{state.version}（{_frozen(state)}）保持不变，"
                    "已有考核批次仍使用各自的版本。本次变化（左为原版本，右为新版本）："
                )
                for line in state.differences:
                    self.stdout.write(f"  {line}")

    def _fail(self, lines: list[str]) -> None:
        # Like `evaluate`: the problem alone on stderr and exit status 1, no "CommandError:" prefix.
        for line in lines:
            self.stderr.write(line)
        sys.exit(1)


def _frozen(state: SeedPolicyState) -> str:
    return "已冻结" if state.frozen else "未冻结"
