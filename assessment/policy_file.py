"""The policy file: a whole policy as a YAML text a clerk can read, share and import.

Format (docs/policy-format.md says it for clerks): `format: 1` and `policy:` holding the keys of
`PolicySpec.to_dict()`, in that order. Keys at their default (an empty list or map, null, "") are
left out when writing and filled in when reading, so a file says only what the policy says.

Numbers are read exactly: a YAML float (0.5) is built as a Decimal from its source text, never
through a binary float, so 0.1 stays 0.1 and a file written by `policy_file_text` reads back to an
equal spec. Rule parameters (`params`) keep the engine's form: decimals as text ("0.5"; a number
written in the file becomes its text), whole numbers and true/false as they are.

`read_policy_file` refuses a file with every problem at once, each a sentence naming where it is
("第 2 部分“服务内容” 2.3 项：…（第 40 行）"): not YAML, a format version other than 1, an unknown,
missing or repeated key, a value of the wrong type, and then what makes it unusable as a policy
(a rule the engine refuses, a tier or kind that does not exist). Maxima that do not add up are
hints (提示), not refusals: the engine caps them, and a seed (Heshan 4.2) has one on purpose.

A file comes from outside, so reading it is bounded: no anchors or aliases (an alias bomb expands
exponentially), at most `MAX_NESTING` levels, numbers of at most `MAX_NUMBER_CHARACTERS`
characters, and every value within what its database column holds (year 2000–2100, whole numbers
up to 32767, points and money with at most two decimals), so an accepted file installs as written.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from assessment.engine.specs import (
    ELIMINATION_SCOPES,
    GROUP_REWARD_RULES,
    ONE_TIME_BASES,
    PERIODS,
    TIER_METHODS,
    PolicySpec,
)

FORMAT_VERSION = 1

#: The largest file the admin accepts: Heshan's 50 items are 30 KB, so this leaves room for any rubric.
MAX_POLICY_FILE_BYTES = 1024 * 1024

#: Nesting levels a file may use (a value counts as one): the seeds reach 13 (Heshan); deeper is no policy.
MAX_NESTING = 50

#: Characters of one number as written: a region code is 12 digits, money 13 characters; longer
#: is a typing slip, and Python refuses to convert integers of more than 4300 digits anyway.
MAX_NUMBER_CHARACTERS = 40

#: Years a policy may be for (the column is a small integer; a campaign is for a real year).
YEARS = (2000, 2100)

#: The largest whole number a file may give (counts, days, months): a PositiveSmallIntegerField.
MAX_WHOLE_NUMBER = 32767

HEADER = "# 考核政策文件（格式版本 1）：可导入本系统，格式与各字段的含义见 docs/policy-format.md"


class PolicyFileError(ValueError):
    """A policy file that cannot be imported; `problems` lists every reason, one sentence each."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# --- the shape of a file ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    """One key of a record: its Chinese name, its kind of value, and whether it must be there.

    kinds: str, code (text; a number typed for a code is taken as its text), int, optional_int,
    decimal, bool, strs (list of text), params (the rule's parameters, any YAML), str_map (text to
    text), decimal_map (text to money), amounts (kind to tier to money), record / records /
    optional_record (of the schema named by `schema`).
    column: for a decimal, the model column it is saved to ("points" or "money", assessment.models).
    least / most: for an int, the range its column holds.
    """

    key: str
    label: str
    kind: str
    required: bool = False
    schema: str = ""
    default: Any = None
    column: str = "points"
    least: int = 0
    most: int = MAX_WHOLE_NUMBER


_SCHEMAS: dict[str, tuple[_Field, ...]] = {
    "policy": (
        _Field("code", "政策编码", "str", True),
        _Field("name", "政策名称", "str", True),
        _Field("region", "适用区域代码", "code", True),
        _Field("year", "年度", "int", True, least=YEARS[0], most=YEARS[1]),
        _Field("period", "评分周期", "str", True),
        _Field("kinds", "适用站点类型", "strs", True),
        _Field("rubric", "评分表", "record", True, "rubric"),
        _Field("tier_scheme", "定等方式", "record", True, "tier_scheme"),
        _Field("subsidy_schedule", "补助标准", "record", False, "subsidy_schedule"),
        _Field("eligibility", "参评条件", "record", False, "eligibility"),
        _Field("notice", "公示期限", "record", False, "notice"),
        _Field("annual_report", "要求提交年度报告", "bool", default=False),
        _Field("source", "政策依据", "str"),
        _Field("notes", "说明", "str"),
    ),
    "rubric": (
        _Field("max_points", "考核表满分", "decimal", True),
        _Field("sections", "评分部分", "records", True, "section"),
        _Field("part_whole", "数据勾稽关系", "records", False, "part_whole"),
    ),
    "section": (
        _Field("code", "部分编号", "code", True),
        _Field("title", "部分名称", "str", True),
        _Field("max_points", "本部分满分", "decimal", True),
        _Field("items", "评分项目", "records", True, "item"),
    ),
    "item": (
        _Field("code", "项目编号", "code", True),
        _Field("title", "项目名称", "str", True),
        _Field("max_points", "本项满分", "decimal", True),
        _Field("rule", "计分规则", "str", True),
        _Field("params", "规则参数", "params"),
        _Field("inputs", "输入项", "records", False, "input"),
        _Field("scored_from_month", "起始计分月份", "optional_int"),
        _Field("kinds", "适用站点类型", "strs"),
        _Field("children", "分项", "records", False, "item"),
        _Field("note", "备注", "str"),
    ),
    "input": (
        _Field("name", "字段名", "str", True),
        _Field("type", "类型", "str", True),
        _Field("label", "名称", "str"),
        # The work-log field a count is taken from (assessment.engine.specs.LOG_FIELDS), or none.
        _Field("log", "工作日志取数", "str"),
        # The work-log field whose operating-contract target a count is (InputSpec.target), or none.
        _Field("target", "合同目标取数", "str"),
    ),
    "part_whole": (
        _Field("part", "部分", "str", True),
        _Field("whole", "整体", "str", True),
    ),
    "tier_scheme": (
        _Field("method", "定等方式", "str", True),
        _Field("thresholds", "等次分数线", "records", False, "threshold"),
        _Field("fallback_tier", "未达分数线的等次编码", "str"),
        _Field("fallback_label", "未达分数线的等次名称", "str"),
        _Field("bands", "排名档次", "records", False, "band"),
        _Field("ranked_levels", "参与排名的认定级别", "strs"),
        _Field("level_bands", "固定档次的认定级别", "str_map"),
        _Field("level_band_labels", "固定档次名称", "str_map"),
        _Field("elimination", "末位淘汰", "optional_record", False, "elimination"),
        _Field("group_deduction", "小组连带扣减", "optional_record", False, "group_deduction"),
        _Field("group_reward", "捆绑考核奖励", "optional_record", False, "group_reward"),
    ),
    "threshold": (
        _Field("code", "等次编码", "str", True),
        _Field("label", "等次名称", "str", True),
        _Field("min_score", "最低分", "decimal", True),
    ),
    "band": (
        _Field("code", "档次编码", "str", True),
        _Field("label", "档次名称", "str", True),
        _Field("weight", "比例", "int", True),
    ),
    "elimination": (
        _Field("lowest_count", "淘汰名额", "int", True),
        _Field("below_score", "分数线（低于）", "decimal", True),
        _Field("scope", "比较范围", "str", False, default="all_units"),
    ),
    "group_deduction": (_Field("amount", "扣减金额", "decimal", True, column="money"),),
    "group_reward": (
        _Field("amount", "奖励金额", "decimal", True, column="money"),
        _Field("rule", "奖励对象", "str", False, default="group_best"),
    ),
    "subsidy_schedule": (
        _Field("amounts", "各等次补助金额", "amounts"),
        _Field("one_time_amounts", "一次性补助金额", "decimal_map"),
        _Field("one_time_basis", "一次性补助依据", "str"),
        _Field("one_time_label", "一次性补助名称", "str"),
    ),
    "eligibility": (
        _Field("min_months_recognised", "认定满几个月方可参评", "optional_int"),
        _Field("purchase_of_services_excluded", "购买服务合同期内不享受补助", "bool", default=False),
    ),
    "notice": (
        _Field("result_working_days", "结果公示最少工作日", "int", default=0),
        _Field("payee_working_days", "补助对象公示最少工作日", "int", default=0),
    ),
}

_EMPTY_BY_KIND: dict[str, Any] = {
    "str": "",
    "code": "",
    "strs": [],
    "params": {},
    "records": [],
    "str_map": {},
    "decimal_map": {},
    "amounts": {},
    "optional_int": None,
    "optional_record": None,
    # Only ever used for a refused value, so the rest of the file can still be checked.
    "decimal": Decimal(0),
    "int": 0,
    "bool": False,
}


def _default(field: _Field) -> Any:
    if field.default is not None:
        return field.default
    if field.kind == "record":
        return {}
    value = _EMPTY_BY_KIND.get(field.kind)
    return list(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value


# --- writing ---------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block style, lists indented under their key, decimals as plain numbers, nothing sorted."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    if value == value.to_integral_value() and value.as_tuple().exponent >= 0:
        return dumper.represent_scalar("tag:yaml.org,2002:int", str(int(value)))
    # "0.5", "10.00": written as the number it is, read back as the same Decimal.
    return dumper.represent_scalar("tag:yaml.org,2002:float", format(value, "f"))


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Text that YAML would read as something else ("0.5", "95", "1.1", "true") is quoted, in the
    # double quotes the documentation shows; other text is written plain.
    implicit = dumper.resolve(yaml.ScalarNode, value, (True, False))
    style = '"' if implicit != "tag:yaml.org,2002:str" or value == "" else None
    if "\n" in value:
        style = "|"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(Decimal, _represent_decimal)
_Dumper.add_representer(str, _represent_str)


def _written(value: Any, field: _Field) -> Any:
    """The file form of one spec value (from `to_dict`), or None when it is the default."""
    if field.kind in ("record", "optional_record"):
        if value is None:
            return None
        record = _written_record(value, field.schema)
        return record or None
    if field.kind == "records":
        return [_written_record(row, field.schema) for row in value] or None
    if field.kind == "decimal":
        return Decimal(value)
    if field.kind == "decimal_map":
        return {key: Decimal(amount) for key, amount in value.items()} or None
    if field.kind == "amounts":
        return {
            kind: {tier: Decimal(amount) for tier, amount in by_tier.items()}
            for kind, by_tier in value.items()
        } or None
    if value == _default(field) and not field.required:
        return None
    return value


def _written_record(data: Mapping[str, Any], schema: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in _SCHEMAS[schema]:
        value = _written(data.get(field.key), field)
        if value is None and not field.required:
            continue
        if value is None and field.kind in ("records", "record"):
            value = [] if field.kind == "records" else {}
        out[field.key] = value
    return out


def policy_file_text(spec: PolicySpec) -> str:
    """The policy as a format-1 file: a first comment line, `format: 1`, then `policy:`."""
    body = yaml.dump(
        {"format": FORMAT_VERSION, "policy": _written_record(spec.to_dict(), "policy")},
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=10_000,  # Chinese titles and notes stay on their line rather than being folded
    )
    return f"{HEADER}\n{body}"


# --- reading: YAML with exact numbers, line numbers and repeated keys ------------------------


class _Mapping(dict):
    """A mapping read from the file, with the line of each key (1-based) and of itself."""

    line: int = 0
    key_lines: dict[str, int]


class _Refused(yaml.MarkedYAMLError):
    """What the loader itself refuses, in Chinese, at the line of `problem_mark`."""

    def __init__(self, problem: str, mark: yaml.Mark):
        super().__init__(problem=problem, problem_mark=mark)


class _Loader(yaml.SafeLoader):
    """Safe loading; floats as Decimal from their text; mappings remember lines; repeats recorded.

    Bounded, since the file comes from outside: anchors and aliases are refused where they are
    written, before anything is expanded; nesting stops at MAX_NESTING (the composer and the
    constructor recurse once per level); a number longer than MAX_NUMBER_CHARACTERS is refused
    before it is converted.
    """

    def __init__(self, stream: str):
        super().__init__(stream)
        self.repeated: list[str] = []
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused("政策文件中不能使用锚点和别名（&、*），请把内容照写出来", event.start_mark)
        if self.depth >= MAX_NESTING:
            raise _Refused(
                f"层次嵌套超过 {MAX_NESTING} 层，政策文件用不到这么多层，请检查括号和缩进", event.start_mark
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def _refuse_long_number(self, node: yaml.ScalarNode) -> None:
        if len(node.value) > MAX_NUMBER_CHARACTERS:
            raise _Refused(
                f"数 {node.value[:12]}…（共 {len(node.value)} 个字符）太长，不是可用的数", node.start_mark
            )

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        self._refuse_long_number(node)
        return super().construct_yaml_int(node)

    def construct_yaml_float(self, node: yaml.ScalarNode) -> Decimal:
        self._refuse_long_number(node)
        text = node.value.replace("_", "")
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            raise _Refused(f"{node.value} 不是可用的数", node.start_mark)
        return value

    def construct_policy_mapping(self, node: yaml.MappingNode) -> _Mapping:
        mapping = _Mapping()
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        yield mapping
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, (str, int, bool)) and key is not None:
                key = str(key)
            if key in mapping:
                self.repeated.append(
                    f"键 {key} 重复出现（第 {mapping.key_lines[key]} 行与第 {line} 行），请只保留一处"
                )
                continue
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.key_lines[key] = line


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_yaml_float)
_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_policy_mapping)

# PyYAML's English problem → what a clerk should do there. Only the Chinese is shown.
_YAML_HINTS = {
    "found character '\\t' that cannot start any token": "请用空格缩进，不要用制表符（Tab）",
    "that cannot start any token": "这个字符不能写在值的开头，请给整段文字加引号",
    "could not find expected ':'": "缺少冒号“:”，或上一行的引号没有闭合",
    "mapping values are not allowed here": "冒号“:”后面要有空格；文字中含冒号时请给整段文字加引号",
    "found unexpected end of stream": "引号或括号没有闭合",
    "expected ',' or ']'": "方括号“[ ]”没有闭合，或其中的各项之间缺少逗号",
    "expected ',' or '}'": "花括号“{ }”没有闭合，或其中的各项之间缺少逗号",
    "expected <block end>": "缩进不一致：同一层的各项应对齐，下一层多缩进两个空格",
    "special characters are not allowed": "文件中有不可见的控制字符，请删除后再导入",
}

_YAML_HINT_OTHERWISE = "请检查该处的缩进、冒号和引号、括号是否成对"


def _yaml_problem(error: yaml.YAMLError, text: str) -> str:
    if isinstance(error, _Refused):
        return f"文件第 {error.problem_mark.line + 1} 行：{error.problem}"
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if mark is not None:
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列附近"
    elif isinstance(error, yaml.reader.ReaderError):  # a character YAML refuses; it knows only the offset
        where = f"第 {text.count(chr(10), 0, error.position) + 1} 行"
    else:
        where = ""
    english = f"{getattr(error, 'problem', None) or ''} {error}"
    hint = next((hint for key, hint in _YAML_HINTS.items() if key in english), _YAML_HINT_OTHERWISE)
    return f"文件不是有效的 YAML 格式，{where}有误：{hint}"


def _load(text: str | bytes) -> tuple[Any, list[str]]:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PolicyFileError(
                ["文件不是 UTF-8 编码的文本。请另存为 UTF-8 编码的 .yaml 文件后再导入。"]
            ) from None
    loader = None
    try:
        loader = _Loader(text)  # refuses a control character already
        data = loader.get_single_data()
    except yaml.YAMLError as error:
        raise PolicyFileError([_yaml_problem(error, text)]) from None
    except (ValueError, RecursionError):
        # The loader's own bounds should come first; this is the net under them, never a 500.
        raise PolicyFileError(
            ["文件中有无法读取的内容（数字位数过多或层次嵌套过深），请检查后再导入。"]
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, loader.repeated


# --- reading: the shape ----------------------------------------------------------------------


class _Reader:
    """Walks the loaded file against the schema, collecting every problem with where it is."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, where: str, message: str, line: int | None = None) -> None:
        suffix = f"（第 {line} 行）" if line else ""
        self.problems.append(f"{where}：{message}{suffix}")

    def record(self, data: Any, schema: str, where: str, line: int | None) -> dict[str, Any] | None:
        if not isinstance(data, Mapping):
            self.problem(where, "应为一组“键: 值”", line)
            return None
        key_lines = getattr(data, "key_lines", {})
        fields = {field.key: field for field in _SCHEMAS[schema]}
        for key in data:
            if key not in fields:
                close = difflib.get_close_matches(str(key), fields, n=1)
                hint = f"（是否应为 {close[0]}？）" if close else f"（可用的键：{'、'.join(fields)}）"
                self.problem(where, f"不认识的键 {key}{hint}", key_lines.get(key))
        out: dict[str, Any] = {}
        for field in _SCHEMAS[schema]:
            if field.key not in data or (
                data[field.key] is None and field.kind not in ("optional_int", "optional_record")
            ):
                if field.required:
                    self.problem(where, f"缺少 {field.key}（{field.label}）", getattr(data, "line", None))
                out[field.key] = _default(field)
                continue
            out[field.key] = self.value(data[field.key], field, where, key_lines.get(field.key))
        return out

    def value(self, raw: Any, field: _Field, where: str, line: int | None) -> Any:
        named = f"{field.key}（{field.label}）"
        kind = field.kind
        if kind in ("str", "code"):
            if kind == "code" and isinstance(raw, (int, Decimal)) and not isinstance(raw, bool):
                return str(raw)
            if not isinstance(raw, str):
                self.problem(where, f"{named} 应为文字，而不是 {_shown(raw)}", line)
                return ""
            return raw
        if kind in ("int", "optional_int"):
            if raw is None and kind == "optional_int":
                return None
            if isinstance(raw, bool) or not isinstance(raw, int):
                self.problem(where, f"{named} 应为整数，而不是 {_shown(raw)}", line)
                return 0
            if not field.least <= raw <= field.most:
                self.problem(
                    where, f"{named} 应在 {field.least} 到 {field.most} 之间，而不是 {_shown(raw)}", line
                )
                return field.least
            return raw
        if kind == "decimal":
            return self.decimal(raw, named, where, line, field.column)
        if kind == "bool":
            if not isinstance(raw, bool):
                self.problem(where, f"{named} 应为 true（是）或 false（否），而不是 {_shown(raw)}", line)
                return False
            return raw
        if kind == "strs":
            if not isinstance(raw, list) or not all(isinstance(entry, str) for entry in raw):
                self.problem(where, f"{named} 应为文字的列表（每行“- 文字”）", line)
                return []
            return list(raw)
        if kind == "params":
            if not isinstance(raw, Mapping):
                self.problem(where, f"{named} 应为一组“键: 值”", line)
                return {}
            return _plain_params(raw)
        if kind == "str_map":
            if not isinstance(raw, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
            ):
                self.problem(where, f"{named} 应为“编码: 文字”的一组", line)
                return {}
            return dict(raw)
        if kind == "decimal_map":
            if not isinstance(raw, Mapping):
                self.problem(where, f"{named} 应为“站点类型: 金额”的一组", line)
                return {}
            lines = getattr(raw, "key_lines", {})
            return {
                str(key): self.decimal(amount, f"{named} {key}", where, lines.get(key, line), "money")
                for key, amount in raw.items()
            }
        if kind == "amounts":
            if not isinstance(raw, Mapping):
                self.problem(where, f"{named} 应为“站点类型: {{等次编码: 金额}}”的一组", line)
                return {}
            lines = getattr(raw, "key_lines", {})
            return {
                str(kind_code): self.value(
                    by_tier,
                    _Field(field.key, f"{field.label} {kind_code}", "decimal_map"),
                    where,
                    lines.get(kind_code),
                )
                for kind_code, by_tier in raw.items()
            }
        if kind in ("record", "optional_record"):
            if raw is None:
                return None
            return (
                self.record(
                    raw, field.schema, f"{where} {field.label}" if where != "政策" else field.label, line
                )
                or {}
            )
        if kind == "records":
            if not isinstance(raw, list):
                self.problem(where, f"{named} 应为列表（每行以“- ”开头）", line)
                return []
            return [self.row(entry, field, where, index, line) for index, entry in enumerate(raw, start=1)]
        raise AssertionError(kind)

    def row(self, entry: Any, field: _Field, where: str, index: int, line: int | None) -> dict[str, Any]:
        row_where = _row_where(field, where, index, entry)
        row_line = getattr(entry, "line", line)
        return self.record(entry, field.schema, row_where, row_line) or {}

    def decimal(self, raw: Any, named: str, where: str, line: int | None, column: str) -> Decimal:
        """A number for a points or money column, refused unless the column keeps it as written.

        Beyond the column's digits the database refuses the row (or, for a huge exponent, the
        validator's arithmetic overflows); more decimals than it keeps would be rounded on save
        (89.995 → 90.00), so the installed policy would not be the file.
        """
        value = None
        if isinstance(raw, Decimal):
            value = raw
        elif isinstance(raw, int) and not isinstance(raw, bool):
            value = Decimal(raw)
        elif isinstance(raw, str) and len(raw.strip()) <= MAX_NUMBER_CHARACTERS:
            try:
                value = Decimal(raw.strip())
            except InvalidOperation:
                value = None
        if value is None or not value.is_finite():
            self.problem(where, f"{named} 应为数（如 10 或 0.5），而不是 {_shown(raw)}", line)
            return Decimal(0)
        most, places = _column_limits(column)
        if not 0 <= value <= most:
            self.problem(where, f"{named} 应在 0 到 {most} 之间，而不是 {_shown(raw)}", line)
            return Decimal(0)
        if value != value.quantize(Decimal(1).scaleb(-places)):
            in_words = _PLACES_IN_WORDS.get(places, places)
            self.problem(
                where,
                f"{named} 最多{in_words}位小数，而不是 {_shown(raw)}（多出的小数位保存时会被舍入）",
                line,
            )
            return Decimal(0)
        return value


_PLACES_IN_WORDS = {0: "零", 1: "一", 2: "两", 3: "三", 4: "四"}


def _column_limits(column: str) -> tuple[Decimal, int]:
    """(largest value, decimal places) of the model's POINTS or MONEY columns: 9999.99 and 2 for points."""
    from assessment import models  # read when a file is read, after the apps are loaded

    options = {"points": models.POINTS, "money": models.MONEY}[column]
    places = options["decimal_places"]
    return Decimal(10) ** (options["max_digits"] - places) - Decimal(1).scaleb(-places), places


def _shown(value: Any) -> str:
    if value is None:
        return "空值"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "一组“键: 值”"
    if isinstance(value, list):
        return "列表"
    shown = str(value)
    return f"“{shown[:30]}…”" if len(shown) > 30 else f"“{shown}”"


def _row_where(field: _Field, where: str, index: int, entry: Any) -> str:
    get = entry.get if isinstance(entry, Mapping) else (lambda key: None)
    code, title = get("code"), get("title")
    if field.schema == "section":
        return f"第 {code if code is not None else index} 部分" + (
            f"“{title}”" if isinstance(title, str) else ""
        )
    if field.schema == "item":
        # An item is named after its section ("第 2 部分“服务内容” 2.3 项"), a sub-item likewise.
        section = where.rsplit(" ", 2)[0] if field.key == "children" else where
        return f"{section} {code if code is not None else f'第 {index} 个项目'} 项"
    if field.schema == "input":
        name = get("name")
        return f"{where} 输入项 {name}" if isinstance(name, str) else f"{where} 第 {index} 个输入项"
    label = f"{field.label}第 {index} 行"
    if isinstance(code, str):
        label += f"（{code}）"
    return f"{where} {label}" if where != "政策" else label


def _plain_params(value: Any) -> Any:
    """Rule parameters in the engine's form: plain dicts and lists, decimals as their text."""
    if isinstance(value, Mapping):
        return {str(key): _plain_params(entry) for key, entry in value.items()}
    if isinstance(value, list):
        return [_plain_params(entry) for entry in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


# --- reading: the policy makes sense ---------------------------------------------------------


def _policy_problems(spec: PolicySpec, *, values_only: bool = False) -> tuple[list[str], list[str]]:
    """(problems, hints) of a well-formed spec: what the engine and the product would refuse.

    `values_only`: only the checks of single values (period, kinds, methods, levels), which hold
    even when other parts of the file were refused, so a clerk sees those problems in the same round.
    """
    from assessment.engine.validation import validate_rubric
    from stations.models import Station, StationKind

    kind_labels = dict(StationKind.choices)
    levels = dict(Station.RecognitionLevel.choices)
    problems: list[str] = []

    def kind_name(kind: str) -> str:
        return kind_labels.get(kind, kind)

    # An empty period or method was refused as missing already.
    if spec.period and spec.period not in PERIODS:
        problems.append(f"政策：评分周期 period 应为 yearly（按年）或 monthly（按月），而不是 {spec.period}")
    if not spec.kinds and not values_only:
        problems.append("政策：适用站点类型 kinds 至少要有一种")
    for kind in sorted({kind for kind in spec.kinds if spec.kinds.count(kind) > 1}):
        problems.append(f"政策：适用站点类型 {kind} 写了不止一次")
    for kind in spec.kinds:
        if kind not in kind_labels:
            known = "、".join(f"{code}（{label}）" for code, label in kind_labels.items())
            problems.append(f"政策：适用站点类型 {kind} 不存在；可用的类型：{known}")

    scheme = spec.tier_scheme
    if scheme.method and scheme.method not in TIER_METHODS:
        problems.append(
            f"定等方式：method 应为 thresholds（按分数线）或 ranked（按排名比例），而不是 {scheme.method}"
        )
    if scheme.method == "thresholds" and not scheme.thresholds and not values_only:
        problems.append("定等方式：按分数线定等时至少要有一条等次分数线 thresholds")
    if scheme.method == "ranked":
        if not scheme.bands and not values_only:
            problems.append("定等方式：按排名定档时至少要有一个档次 bands")
        elif any(band.weight < 0 for band in scheme.bands) or sum(band.weight for band in scheme.bands) <= 0:
            problems.append("定等方式：各档次的比例 weight 应为不小于 0 的整数，且合计大于 0")
        for level in (*scheme.ranked_levels, *scheme.level_bands):
            if level not in levels:
                known = "、".join(f"{code}（{label}）" for code, label in levels.items())
                problems.append(f"定等方式：认定级别 {level} 不存在；可用的级别：{known}")
    codes = [tier.code for tier in scheme.thresholds] + [band.code for band in scheme.bands]
    for code in sorted({code for code in codes if codes.count(code) > 1}):
        problems.append(f"定等方式：等次编码 {code} 用了不止一次")
    if scheme.group_reward is not None and scheme.group_reward.rule not in GROUP_REWARD_RULES:
        problems.append(
            "定等方式 捆绑考核奖励：奖励对象 rule 应为 group_best（无单位被淘汰的小组中得分最高的单位）"
            f"或 whole_group（无单位被淘汰的小组中的每个单位），而不是 {scheme.group_reward.rule}"
        )
    if scheme.elimination is not None and scheme.elimination.scope not in ELIMINATION_SCOPES:
        problems.append(
            f"定等方式 末位淘汰：比较范围 scope 应为 all_units（全部单位）或 ranked_units（参与排名的单位），"
            f"而不是 {scheme.elimination.scope}"
        )

    if values_only:
        return problems, []
    schedule = spec.subsidy_schedule
    tier_codes = [code for code in scheme.tier_codes if code]
    for kind, by_tier in schedule.amounts.items():
        if kind not in spec.kinds:
            problems.append(f"补助标准：站点类型 {kind} 不在本政策的适用类型（{'、'.join(spec.kinds)}）中")
        for tier in by_tier:
            if tier not in tier_codes:
                problems.append(
                    f"补助标准 {kind_name(kind)}：等次编码 {tier} 在定等方式中不存在；"
                    f"可用的等次编码：{'、'.join(tier_codes) or '（无）'}"
                )
    for kind in schedule.one_time_amounts:
        if kind not in spec.kinds:
            problems.append(f"补助标准：一次性补助的站点类型 {kind} 不在本政策的适用类型中")
    if schedule.one_time_basis not in ONE_TIME_BASES:
        problems.append(
            "补助标准：一次性补助依据 one_time_basis 应为 first_recognition（首次认定）或 start_up（创建启动），"
            f"而不是 {schedule.one_time_basis}"
        )
    elif schedule.one_time_amounts and not schedule.one_time_basis:
        problems.append("补助标准：有一次性补助金额时须写明一次性补助依据 one_time_basis")

    # Negative counts, days and amounts were refused with the file's shape (each field's range).
    hints: list[str] = []
    if spec.kinds and all(kind in kind_labels for kind in spec.kinds):
        places = _rubric_places(spec)
        for finding in validate_rubric(spec.rubric, kinds=spec.kinds):
            where, title = places.get(
                finding.code, (f"评分表 {finding.code}" if finding.code else "评分表", "")
            )
            message = finding.message
            if title and message.startswith(f"{title}："):
                message = message[len(title) + 1 :]
            for kind, label in kind_labels.items():
                message = message.replace(f"类型 {kind} ", f"类型“{label}”").replace(
                    f"适用于 {kind}", f"适用于 {label}"
                )
            (problems if finding.severity == "error" else hints).append(f"{where}：{message}")
    return problems, hints


def _rubric_places(spec: PolicySpec) -> dict[str, tuple[str, str]]:
    """Where each section and item code is, as a clerk names it, with its title."""
    places: dict[str, tuple[str, str]] = {}
    for section in spec.rubric.sections:
        section_where = f"第 {section.code} 部分“{section.title}”"
        places.setdefault(section.code, (section_where, section.title))

        def walk(items, section_where=section_where) -> None:
            for item in items:
                places.setdefault(item.code, (f"{section_where} {item.code} 项", item.title))
                walk(item.children)

        walk(section.items)
    return places


def read_policy_file_checked(text: str | bytes) -> tuple[PolicySpec, list[str]]:
    """Read a policy file: (the spec, hints). Raises `PolicyFileError` with every problem.

    Hints are what a clerk should look at but the engine scores through (parts whose maxima do
    not add up to their heading); problems make the file unusable and nothing is returned.
    """
    data, repeated = _load(text)
    reader = _Reader()
    for message in repeated:
        reader.problems.append(f"文件：{message}")
    if not isinstance(data, Mapping):
        reader.problems.append("文件：内容应以“format: 1”和“policy:”两项开头")
        raise PolicyFileError(reader.problems)
    key_lines = getattr(data, "key_lines", {})
    for key in data:
        if key not in ("format", "policy"):
            close = difflib.get_close_matches(str(key), ["format", "policy"], n=1)
            hint = f"（是否应为 {close[0]}？）" if close else "（文件顶层只有 format 和 policy 两项）"
            reader.problem("文件", f"不认识的键 {key}{hint}", key_lines.get(key))
    version = data.get("format")
    if "format" not in data:
        reader.problems.append("文件：缺少格式版本 format（第一项应为 format: 1）")
        raise PolicyFileError(reader.problems)
    if isinstance(version, bool) or str(version).strip() != str(FORMAT_VERSION):
        reader.problems.append(f"格式版本 {version} 不受支持，本系统读取格式版本 {FORMAT_VERSION}")
        raise PolicyFileError(reader.problems)
    if "policy" not in data:
        reader.problems.append("文件：缺少 policy（政策内容）")
        raise PolicyFileError(reader.problems)
    shaped = reader.record(data["policy"], "policy", "政策", key_lines.get("policy"))
    if shaped is None:
        raise PolicyFileError(reader.problems)
    if reader.problems:
        try:  # what was refused reads as its default, so the single values can still be checked
            partial = PolicySpec.from_dict(shaped)
        except (KeyError, TypeError, ValueError, ArithmeticError):
            raise PolicyFileError(reader.problems) from None
        raise PolicyFileError(reader.problems + _policy_problems(partial, values_only=True)[0])
    try:
        spec = PolicySpec.from_dict(shaped)
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:  # the schema should prevent it
        raise PolicyFileError([f"政策：无法读取（{error}）"]) from None
    problems, hints = _policy_problems(spec)
    if problems:
        raise PolicyFileError(problems)
    return spec, hints


def read_policy_file(text: str | bytes) -> PolicySpec:
    """Read a policy file into a spec; raises `PolicyFileError` listing every problem."""
    return read_policy_file_checked(text)[0]
