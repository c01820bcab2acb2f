"""`manage.py evaluate POLICY_CODE FILE.json`: try a policy on cases before a campaign runs.

The policy is the newest version of POLICY_CODE in the database (a seed, or one imported or
edited there), or, with `--policy-file POLICY.yaml`, a policy file that is read and checked but
not installed (POLICY_CODE may then be left out; when given it must be the file's code). The
cases' shape follows from the policy: see docs/policy-format.md, 试算（evaluate）的输入与输出.

Reads the cases (FILE, or `-` for stdin), prints the result as one JSON object on stdout. Any bad
input, including a missing file, malformed JSON, an unknown policy or a policy file with problems,
ends with exit status 1, nothing on stdout, and one line per problem on stderr naming the unit,
the month and the field; never a traceback. The work is done by
`assessment.engine.simulate.evaluate_cases`.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from assessment.engine.scoring import RubricError
from assessment.engine.simulate import evaluate_cases
from assessment.engine.specs import PolicySpec
from assessment.policies import get_policy_spec


class _DuplicateKeyError(ValueError):
    pass


def _object_without_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of two equal keys; a case with "score" twice is refused instead.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(f"JSON 中有重复的键 {key!r}")
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"JSON 中不允许 {name}")


class Command(BaseCommand):
    help = "按政策试算案例的得分、等次和补助，结果以 JSON 输出（FILE 为 - 时读标准输入）。"

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # With the policy code optional, plain argparse would take `CODE --explain FILE` apart
        # (CODE read as the file); read the positionals wherever the options fall, as before.
        parser.parse_args = parser.parse_intermixed_args
        return parser

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "policy_code",
            nargs="?",
            help="政策代码，如 yunmeng-2024、quanzhou-2023、heshan-2024、huizhou-2024；用 --policy-file 时可省略",
        )
        parser.add_argument("file", help="案例 JSON 文件；- 表示标准输入")
        parser.add_argument(
            "--policy-file",
            metavar="POLICY_FILE",
            help="试算一个政策文件（YAML，格式见 docs/policy-format.md），不安装到数据库",
        )
        parser.add_argument(
            "--explain",
            action="store_true",
            help="在每个单位中附上逐项说明（explanation），用于核对；默认不输出，以保持约定的输出格式",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        policy = self._policy(options["policy_code"], options["policy_file"])
        text = self._read_text(options["file"])
        try:
            payload = json.loads(
                text,
                parse_float=Decimal,
                parse_constant=_refuse_constant,
                object_pairs_hook=_object_without_duplicate_keys,
            )
        except _DuplicateKeyError as error:
            self._fail([f"输入：{error}"])
        except json.JSONDecodeError as error:
            self._fail([f"输入：不是有效的 JSON(第 {error.lineno} 行第 {error.colno} 列):{error.msg}"])
        except (ValueError, RecursionError) as error:
            self._fail([f"输入：不是可用的 JSON:{error}"])

        try:
            result, errors = evaluate_cases(policy, payload, explain=options["explain"])
        except RubricError as error:
            # Only a policy stored with a broken rubric gets here; the seeds compile.
            self._fail(
                [
                    f"政策 {policy.code} 的考核表无法使用：{finding.code} {finding.message}"
                    for finding in error.findings
                ]
            )
        if errors:
            self._fail([str(error) for error in errors])
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))

    def _policy(self, code: str | None, policy_file: str | None) -> PolicySpec:
        """The policy evaluated: read from the file when one is given, else the code's newest version."""
        if policy_file is not None:
            # Imported here: the command must still evaluate installed policies if the reader fails.
            from assessment.policy_file import PolicyFileError, read_policy_file

            text = self._read_text(policy_file, field="--policy-file")
            try:
                policy = read_policy_file(text)
            except PolicyFileError as error:
                self._fail([f"政策文件 {policy_file}：{problem}" for problem in error.problems])
            if code is not None and code != policy.code:
                self._fail(
                    [
                        f"输入，字段 policy_code：命令的政策 {code} 与政策文件 {policy_file} 的政策 {policy.code} 不一致"
                    ]
                )
            return policy
        if code is None:
            self._fail(["输入，字段 policy_code：请给出政策代码，或用 --policy-file 指定政策文件"])
        try:
            policy = get_policy_spec(code)
        except DatabaseError as error:
            self._fail([f"政策数据库无法读取（请先运行 manage.py migrate）：{type(error).__name__}"])
        if policy is None:
            self._fail([f"输入，字段 policy_code：未知政策 {code!r}"])
        return policy

    def _read_text(self, path: str, field: str = "file") -> str:
        try:
            if path == "-":
                # Read bytes where there are any, so the locale cannot change how Chinese decodes.
                buffer = getattr(sys.stdin, "buffer", None)
                return buffer.read().decode("utf-8") if buffer is not None else sys.stdin.read()
            with open(path, encoding="utf-8") as handle:
                return handle.read()
        except OSError as error:
            self._fail([f"输入，字段 {field}：无法读取 {path}：{error.strerror or error}"])
        except UnicodeDecodeError:
            self._fail([f"输入，字段 {field}：{path} 不是 UTF-8 文本"])

    def _fail(self, lines: list[str]) -> None:
        # CommandError would print "CommandError: ..." and a traceback with --traceback; the
        # contract wants the problems alone on stderr and exit status 1.
        for line in lines:
            self.stderr.write(line)
        sys.exit(1)
