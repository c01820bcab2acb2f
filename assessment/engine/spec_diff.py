"""What differs between two versions of a policy, in lines a bureau's IT person can act on.

`spec_differences(database, shipped)` compares the policy rebuilt from the database with the one
shipped in `assessment/policies/` and says, part by part, what is not the same: the name, 评分表
items by their code, 等次, 补助标准, 参评条件… Each line reads "what, database value → shipped
value", e.g. "评分项目 2.1 满分 8 → 10". Numbers are compared by value (the database keeps
"10.00" where the seed says 10), so only a real change is reported.

The comparison walks the specs' `to_dict()` form, so a field added to a spec later is still
compared: a field without a Chinese label here is named by its key rather than skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from assessment.engine.decimal_math import format_plain
from assessment.engine.specs import LOG_FIELDS, PolicySpec

#: Values longer than this are reported as changed, not printed (a policy's notes, say).
_LONGEST_SHOWN = 30

_POLICY_FIELDS = {
    "code": "编码",
    "name": "名称",
    "region": "适用区域",
    "year": "年度",
    "period": "评分周期",
    "kinds": "适用站点类型",
    "source": "政策依据",
    "notes": "说明",
    "annual_report": "要求提交年度报告",
}
_SECTION_FIELDS = {"title": "名称", "max_points": "满分"}
_ITEM_FIELDS = {
    "section": "所属部分",
    "parent": "上级项目",
    "title": "名称",
    "max_points": "满分",
    "rule": "计分规则",
    "params": "参数",
    "scored_from_month": "起评月份",
    "kinds": "适用类型",
    "note": "备注",
}
_INPUT_FIELDS = {"type": "类型", "label": "名称", "log": "工作日志取数", "target": "合同目标取数"}
#: The codes a clerk would otherwise read in a line, by the key that holds them: who gets the group
#: reward and whom the elimination compares (the work-log fields an input is bound to: LOG_FIELDS).
_GROUP_REWARD_RULE_NAMES = {"group_best": "组内得分最高的单位", "whole_group": "组内每个单位"}
_ELIMINATION_SCOPE_NAMES = {"all_units": "全部参评单位", "ranked_units": "仅参与排名的单位"}
_SCHEME_FIELDS = {
    "method": "定等方式",
    "fallback_tier": "未达最低分数线的等次编码",
    "fallback_label": "未达最低分数线的等次名称",
    "ranked_levels": "参与排名的认定级别",
    "level_bands": "固定档次的认定级别",
    "level_band_labels": "固定档次名称",
}
_THRESHOLD_FIELDS = {"label": "名称", "min_score": "最低分"}
_BAND_FIELDS = {"label": "名称", "weight": "比例"}
_ELIMINATION_FIELDS = {"lowest_count": "名额", "below_score": "分数线（低于）", "scope": "比较范围"}
_SCHEDULE_FIELDS = {"one_time_basis": "一次性补助依据", "one_time_label": "一次性补助名称"}
_ELIGIBILITY_FIELDS = {
    "min_months_recognised": "认定满几个月方可参评",
    "purchase_of_services_excluded": "购买服务合同期内不享受补助",
}

_NOTICE_FIELDS = {"result_working_days": "结果公示最少工作日", "payee_working_days": "补助对象公示最少工作日"}


def spec_differences(
    database: PolicySpec, shipped: PolicySpec, *, kind_labels: Mapping[str, str] | None = None
) -> list[str]:
    """Lines naming each difference, database value first; empty when the two policies are equal.

    `kind_labels` names station kinds ("gig_station" -> "零工驿站"); a kind without one shows its code.
    """
    if database == shipped:
        return []
    old, new = _named(database.to_dict()), _named(shipped.to_dict())
    kind_name = _namer(kind_labels or {})
    lines = _fields(
        "",
        old,
        new,
        _POLICY_FIELDS,
        skip={"rubric", "tier_scheme", "subsidy_schedule", "eligibility", "notice"},
    )
    lines += _rubric(old["rubric"], new["rubric"])
    lines += _scheme(old["tier_scheme"], new["tier_scheme"])
    lines += _schedule(old, new, kind_name)
    lines += _fields("参评条件 ", old["eligibility"], new["eligibility"], _ELIGIBILITY_FIELDS)
    lines += _fields("公示 ", old["notice"], new["notice"], _NOTICE_FIELDS)
    # Spec equality is the judge; a difference the lines above cannot place (the order of the
    # sections, say) must still not pass silently.
    return lines or ["其他差异（如评分部分或项目的顺序）"]


def _named(policy: dict[str, Any]) -> dict[str, Any]:
    """The spec's `to_dict()` form with its codes in Chinese (an unknown code stays as it is), and
    the settings `to_dict` leaves out at their default put back, so a change reads 否 → 是."""
    policy.setdefault("annual_report", False)
    scheme = policy["tier_scheme"]
    if scheme.get("group_reward"):
        rule = scheme["group_reward"].get("rule")
        scheme["group_reward"]["rule"] = _GROUP_REWARD_RULE_NAMES.get(rule, rule)
    if scheme.get("elimination"):
        scope = scheme["elimination"].get("scope")
        scheme["elimination"]["scope"] = _ELIMINATION_SCOPE_NAMES.get(scope, scope)

    def walk(items: Iterable[dict[str, Any]]) -> None:
        for item in items:
            for spec in item.get("inputs") or ():
                for key in ("log", "target"):
                    if spec.get(key):
                        spec[key] = LOG_FIELDS.get(spec[key], spec[key])
            walk(item.get("children") or ())

    for section in policy["rubric"]["sections"]:
        walk(section["items"])
    return policy


def _rubric(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    lines = _fields("评分表", old, new, {"max_points": "满分"}, skip={"sections", "part_whole"})
    old_checks, new_checks = _part_whole(old), _part_whole(new)
    lines += [f"数据勾稽关系 {check} 仅在数据库中" for check in old_checks if check not in new_checks]
    lines += [f"数据勾稽关系 {check} 仅在随附版本中" for check in new_checks if check not in old_checks]
    old_sections, new_sections = _by_key(old["sections"], "code"), _by_key(new["sections"], "code")
    lines += _keyed("评分部分 ", old_sections, new_sections, _SECTION_FIELDS, skip={"items"})
    old_items, new_items = _items(old["sections"]), _items(new["sections"])
    lines += _keyed("评分项目 ", old_items, new_items, _ITEM_FIELDS, skip={"inputs"}, nested=_inputs)
    if not _same_order(old_sections, new_sections):
        lines.append("评分部分的顺序不同")
    if not _same_order(old_items, new_items):
        lines.append("评分项目的顺序不同")
    return lines


def _inputs(subject: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    return _keyed(
        f"{subject}输入项 ",
        _by_key(old.get("inputs") or [], "name"),
        _by_key(new.get("inputs") or [], "name"),
        _INPUT_FIELDS,
    )


def _scheme(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    lines = _fields(
        "等次 ",
        old,
        new,
        _SCHEME_FIELDS,
        skip={"thresholds", "bands", "elimination", "group_deduction", "group_reward"},
    )
    lines += _keyed(
        "等次 ",
        _by_key(old["thresholds"], "code"),
        _by_key(new["thresholds"], "code"),
        _THRESHOLD_FIELDS,
        named_by="label",
    )
    old_bands, new_bands = _by_key(old["bands"], "code"), _by_key(new["bands"], "code")
    lines += _keyed("分档 ", old_bands, new_bands, _BAND_FIELDS, named_by="label")
    if not _same_order(old_bands, new_bands):
        # The order of the bands is the order of the ranking: the first band takes the best.
        lines.append(f"分档顺序 {'、'.join(old_bands)} → {'、'.join(new_bands)}")
    lines += _optional("末位淘汰", old.get("elimination"), new.get("elimination"), _ELIMINATION_FIELDS)
    lines += _optional(
        "捆绑考核扣减", old.get("group_deduction"), new.get("group_deduction"), {"amount": "金额"}
    )
    lines += _optional(
        "捆绑考核奖励",
        old.get("group_reward"),
        new.get("group_reward"),
        {"amount": "金额", "rule": "奖励对象"},
    )
    return lines


def _schedule(
    policy_old: Mapping[str, Any], policy_new: Mapping[str, Any], kind_name: Callable[[str], str]
) -> list[str]:
    old, new = policy_old["subsidy_schedule"], policy_new["subsidy_schedule"]
    tier_name = _namer(_tier_labels(policy_old["tier_scheme"]) | _tier_labels(policy_new["tier_scheme"]))
    lines = []
    old_amounts, new_amounts = old["amounts"], new["amounts"]
    for kind in _keys(old_amounts, new_amounts):
        by_tier_old, by_tier_new = old_amounts.get(kind, {}), new_amounts.get(kind, {})
        for tier in _keys(by_tier_old, by_tier_new):
            a, b = by_tier_old.get(tier), by_tier_new.get(tier)
            if not _same(a, b):
                lines.append(f"补助标准 {kind_name(kind)}·{tier_name(tier)} {_show(a)} → {_show(b)}")
    old_once, new_once = old.get("one_time_amounts") or {}, new.get("one_time_amounts") or {}
    for kind in _keys(old_once, new_once):
        a, b = old_once.get(kind), new_once.get(kind)
        if not _same(a, b):
            lines.append(f"一次性补助 {kind_name(kind)} {_show(a)} → {_show(b)}")
    lines += _fields("补助标准 ", old, new, _SCHEDULE_FIELDS, skip={"amounts", "one_time_amounts"})
    return lines


def _items(sections: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every item of the rubric, sub-items included, in sheet order, keyed by what names it.

    An item is named by its code; two items may share a code for different kinds (Heshan 1.4),
    and those are told apart by their kinds. Where an item sits (its section and parent) is kept
    as a field, so a move is reported like any other change.
    """
    flat: list[tuple[str, dict[str, Any]]] = []

    def walk(items: Iterable[Mapping[str, Any]], section: str, parent: str | None) -> None:
        for item in items:
            fields = {key: value for key, value in item.items() if key != "children"}
            flat.append((item["code"], fields | {"section": section, "parent": parent}))
            walk(item.get("children") or (), section, item["code"])

    for section in sections:
        walk(section["items"], section["code"], None)
    codes = [code for code, _ in flat]
    keyed = {}
    for code, fields in flat:
        shared = codes.count(code) > 1
        keyed[f"{code}（{'、'.join(fields['kinds']) or '各类型'}）" if shared else code] = fields
    return keyed


def _keyed(
    subject: str,
    old: Mapping[str, Mapping[str, Any]],
    new: Mapping[str, Mapping[str, Any]],
    labels: Mapping[str, str],
    *,
    skip: set[str] | frozenset[str] = frozenset(),
    nested: Callable[[str, Mapping[str, Any], Mapping[str, Any]], list[str]] | None = None,
    named_by: str | None = None,
) -> list[str]:
    """Rows matched by key: those on one side only, then the fields that differ in the others.

    A row is shown by its key (an item's code), or by its `named_by` field (a tier's label: clerks
    say 优秀, not excellent), the shipped one when both sides hold the row.
    """
    lines = []
    for key in _keys(old, new):
        row = new.get(key) or old[key]
        shown = f"{subject}{row[named_by] if named_by else key}"
        if key not in new:
            lines.append(f"{shown} 仅在数据库中")
        elif key not in old:
            lines.append(f"{shown} 仅在随附版本中")
        else:
            lines += _fields(f"{shown} ", old[key], new[key], labels, skip=skip)
            if nested is not None:
                lines += nested(f"{shown} ", old[key], new[key])
    return lines


def _fields(
    subject: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    labels: Mapping[str, str],
    *,
    skip: set[str] | frozenset[str] = frozenset(),
) -> list[str]:
    """One line per differing field; a mapping of plain values (rule parameters) line per key."""
    lines = []
    for key in _keys(old, new):
        a, b = old.get(key), new.get(key)
        if key in skip or _same(a, b):
            continue
        name = f"{subject}{labels.get(key, key)}"
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            lines += [
                f"{name} {sub}：{_show(a.get(sub))} → {_show(b.get(sub))}"
                for sub in _keys(a, b)
                if not _same(a.get(sub), b.get(sub))
            ]
        elif max(len(_show(a)), len(_show(b))) > _LONGEST_SHOWN:
            lines.append(f"{name}内容不同")
        else:
            lines.append(f"{name} {_show(a)} → {_show(b)}")
    return lines


def _optional(
    subject: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, labels: Mapping[str, str]
) -> list[str]:
    """A part a policy may lack (elimination, group deduction): present on one side, or its fields."""
    if old is None and new is None:
        return []
    if old is None or new is None:
        present = new if old is None else old
        described = "，".join(f"{labels.get(k, k)} {_show(v)}" for k, v in present.items())
        return [f"{subject} 无 → {described}" if old is None else f"{subject} {described} → 无"]
    return _fields(f"{subject} ", old, new, labels)


def _tier_labels(scheme: Mapping[str, Any]) -> dict[str, str]:
    labels = {row["code"]: row["label"] for row in (*scheme["thresholds"], *scheme["bands"])}
    if scheme.get("fallback_tier"):
        labels[scheme["fallback_tier"]] = scheme.get("fallback_label") or scheme["fallback_tier"]
    for level, band in (scheme.get("level_bands") or {}).items():
        label = (scheme.get("level_band_labels") or {}).get(level)
        if label:
            labels.setdefault(band, label)
    return labels


def _part_whole(rubric: Mapping[str, Any]) -> list[str]:
    return [f"{check['part']} ≤ {check['whole']}" for check in rubric.get("part_whole") or ()]


def _by_key(rows: Iterable[Mapping[str, Any]], key: str) -> dict[str, Mapping[str, Any]]:
    return {str(row[key]): row for row in rows}


def _same_order(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether the keys both sides hold come in the same order (one side's extras are reported apart)."""
    return [key for key in old if key in new] == [key for key in new if key in old]


def _keys(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The keys of both, the database's order first."""
    return [*old, *(key for key in new if key not in old)]


def _namer(labels: Mapping[str, str]) -> Callable[[str], str]:
    return lambda code: labels.get(code, code)


def _same(a: Any, b: Any) -> bool:
    """Equal as the engine reads them: numbers by value ("10.00" is 10), containers item by item."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    number_a, number_b = _number(a), _number(b)
    if number_a is not None and number_b is not None:
        return number_a == number_b
    return a == b


def _number(value: Any) -> Decimal | None:
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _show(value: Any) -> str:
    if value is None:
        return "无"
    if isinstance(value, bool):
        return "是" if value else "否"
    number = _number(value)
    if number is not None:
        return format_plain(number)
    if isinstance(value, list | tuple):
        return "、".join(_show(item) for item in value) or "（空）"
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value) or "（空）"
