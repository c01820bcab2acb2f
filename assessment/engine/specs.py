"""Policy specifications: a policy written as plain data.

A bureau's policy is a score sheet (`RubricSpec`), a way to turn scores into tiers
(`TierSchemeSpec`), what each tier pays (`SubsidyScheduleSpec`) and who is assessed and paid
(`EligibilitySpec`), bundled in a `PolicySpec`. These classes hold data only; the engine compiles
them once (`assessment.engine.scoring.compile_rubric`) before scoring.

Every spec converts to and from a JSON-compatible dict (`to_dict` / `from_dict`), decimals as
strings, so the database can keep one row per section and per item with the rule parameters in a
JSON field and rebuild the same spec from the rows. Rule parameters (`ItemSpec.params`) are kept
exactly as given: JSON values with decimals written as strings ("0.5"), read by the rule when the
rubric is compiled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

InputType = Literal["count", "rate", "number", "flag", "points", "text"]

#: count: a whole number >= 0; rate: a percentage 0..100; number: a decimal >= 0 (an average);
#: flag: true or false; points: points given by an assessor, 0..the reading item's max (or the
#: largest deduction of a discretionary deduction); text: a written reason, at most 500 characters.
INPUT_TYPES: tuple[str, ...] = ("count", "rate", "number", "flag", "points", "text")

#: The rule kinds of DOMAIN.md "Score sheets"; `assessment.engine.rules` implements each one.
RULE_KINDS: tuple[str, ...] = (
    "manual",
    "per_count_deduction",
    "rate_vs_target",
    "proportional",
    "gated_proportional",
    "all_or_nothing",
    "rate_vs_reference",
    "capped_sum",
    "per_count_award",
    "step_table",
    "per_condition",
    "per_unmet_deduction",
    "discretionary_deduction",
)

PERIODS: tuple[str, ...] = ("yearly", "monthly")
TIER_METHODS: tuple[str, ...] = ("thresholds", "ranked")
ONE_TIME_BASES: tuple[str, ...] = ("", "first_recognition", "start_up")
ELIMINATION_SCOPES: tuple[str, ...] = ("all_units", "ranked_units")

#: The work log's fields (工作日志, stations.models.WORK_LOG_FIELDS) a count input may be bound to,
#: with their Chinese names. The engine imports nothing of the product, so it keeps its own copy;
#: tests/assessment/test_log_bound_inputs.py keeps it equal to the stations' list.
LOG_FIELDS: dict[str, str] = {
    "job_postings": "收集发布岗位信息",
    "matches": "供需对接",
    "placements": "推荐成功就业",
    "training_referrals": "推荐参加培训",
    "policy_consultations": "政策咨询",
    "disputes_helped": "协助维权调解",
    "enterprise_visits": "走访企业",
}
#: Who in a group without an eliminated member gets the group reward (`GroupRewardSpec`).
GROUP_REWARD_RULES: tuple[str, ...] = ("group_best", "whole_group")


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass(frozen=True)
class InputSpec:
    """One value a rule reads from a unit's inputs: its field name, type and Chinese label.

    `log`: the work-log field (a key of `LOG_FIELDS`) a count is bound to: the sheet shows the
    station's logged total over the sheet's period beside it, prefills it, and asks the assessor
    for a reason when the on-site value differs. Empty for an input typed by hand; left out of
    `to_dict` then, so every unbound input's stored form is what it was before bindings existed.

    `target`: the work-log field (a key of `LOG_FIELDS`) whose operating-contract target a count
    is: the station's contract target for that field over the sheet's period (合同目标), shown
    beside the input and prefilled. Empty (and left out of `to_dict`) for an input typed by hand.
    """

    name: str
    type: InputType
    label: str
    log: str = ""
    target: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = {"name": self.name, "type": self.type, "label": self.label}
        if self.log:
            data["log"] = self.log
        if self.target:
            data["target"] = self.target
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InputSpec:
        return cls(
            name=data["name"],
            type=data["type"],
            label=data.get("label", ""),
            log=data.get("log") or "",
            target=data.get("target") or "",
        )


@dataclass(frozen=True)
class ItemSpec:
    """An item (or sub-item) of a score sheet and the rule that gives its points.

    `code` is the number clerks use ("2.3.1"); two items may share a code when their `kinds` do not
    overlap (Heshan 1.4 is one item for a community and another for a village). `kinds` empty means
    every kind the policy covers. `children` are sub-items, used by the `capped_sum` rule.
    `scored_from_month` (1..12) makes earlier months earn full points. `note` says where the item
    comes from or that its point value is illustrative.
    """

    code: str
    title: str
    max_points: Decimal
    rule: str
    params: Mapping[str, Any] = field(default_factory=dict)
    inputs: tuple[InputSpec, ...] = ()
    scored_from_month: int | None = None
    kinds: tuple[str, ...] = ()
    children: tuple[ItemSpec, ...] = ()
    note: str = ""

    def applies_to(self, kind: str) -> bool:
        """Whether this item is on the sheet of a unit of `kind`."""
        return not self.kinds or kind in self.kinds

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "max_points": str(self.max_points),
            "rule": self.rule,
            "params": dict(self.params),
            "inputs": [spec.to_dict() for spec in self.inputs],
            "scored_from_month": self.scored_from_month,
            "kinds": list(self.kinds),
            "children": [child.to_dict() for child in self.children],
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ItemSpec:
        return cls(
            code=data["code"],
            title=data["title"],
            max_points=_decimal(data["max_points"]),
            rule=data["rule"],
            params=dict(data.get("params") or {}),
            inputs=tuple(InputSpec.from_dict(spec) for spec in data.get("inputs") or ()),
            scored_from_month=data.get("scored_from_month"),
            kinds=tuple(data.get("kinds") or ()),
            children=tuple(cls.from_dict(child) for child in data.get("children") or ()),
            note=data.get("note", ""),
        )


@dataclass(frozen=True)
class SectionSpec:
    """A section of a score sheet: its items count at most `max_points` together."""

    code: str
    title: str
    max_points: Decimal
    items: tuple[ItemSpec, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "max_points": str(self.max_points),
            "items": [item.to_dict() for item in self.items],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SectionSpec:
        return cls(
            code=data["code"],
            title=data["title"],
            max_points=_decimal(data["max_points"]),
            items=tuple(ItemSpec.from_dict(item) for item in data["items"]),
        )


@dataclass(frozen=True)
class PartWholeSpec:
    """An input that can never exceed a whole (one input or a sum of inputs, "a + b")."""

    part: str
    whole: str

    def to_dict(self) -> dict[str, Any]:
        return {"part": self.part, "whole": self.whole}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PartWholeSpec:
        return cls(part=data["part"], whole=data["whole"])


@dataclass(frozen=True)
class RubricSpec:
    """A score sheet: sections of items, the sheet's maximum, and the part-whole input checks."""

    max_points: Decimal
    sections: tuple[SectionSpec, ...]
    part_whole: tuple[PartWholeSpec, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_points": str(self.max_points),
            "sections": [section.to_dict() for section in self.sections],
            "part_whole": [constraint.to_dict() for constraint in self.part_whole],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RubricSpec:
        return cls(
            max_points=_decimal(data["max_points"]),
            sections=tuple(SectionSpec.from_dict(section) for section in data["sections"]),
            part_whole=tuple(PartWholeSpec.from_dict(item) for item in data.get("part_whole") or ()),
        )


@dataclass(frozen=True)
class ThresholdTierSpec:
    """A tier reached by any score at or above `min_score` (an inclusive lower bound)."""

    code: str
    label: str
    min_score: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "label": self.label, "min_score": str(self.min_score)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ThresholdTierSpec:
        return cls(code=data["code"], label=data["label"], min_score=_decimal(data["min_score"]))


@dataclass(frozen=True)
class RankedBandSpec:
    """A band of a ranking, holding `weight` parts of the ranked units (3 of 3:4:3)."""

    code: str
    label: str
    weight: int

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "label": self.label, "weight": self.weight}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RankedBandSpec:
        return cls(code=data["code"], label=data["label"], weight=int(data["weight"]))


@dataclass(frozen=True)
class EliminationSpec:
    """The lowest `lowest_count` units that also score below `below_score` get nothing.

    A unit is among the lowest N when fewer than N units score strictly lower. `scope` says who is
    compared: "all_units" (everyone in the scheme, 004's 全区倒数3名) or "ranked_units" (only the
    units ranked into bands).
    """

    lowest_count: int
    below_score: Decimal
    scope: str = "all_units"

    def to_dict(self) -> dict[str, Any]:
        return {
            "lowest_count": self.lowest_count,
            "below_score": str(self.below_score),
            "scope": self.scope,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EliminationSpec:
        return cls(
            lowest_count=int(data["lowest_count"]),
            below_score=_decimal(data["below_score"]),
            scope=data.get("scope", "all_units"),
        )


@dataclass(frozen=True)
class GroupDeductionSpec:
    """Every other unit of a group with an eliminated member loses `amount`, once per group."""

    amount: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {"amount": str(self.amount)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GroupDeductionSpec:
        return cls(amount=_decimal(data["amount"]))


@dataclass(frozen=True)
class GroupRewardSpec:
    """The reward of 004's groups (老带新小组): "对带动好的社区(村)给予适当的奖励".

    The seed names neither the amount nor who has "led well". The product's reading: a group none
    of whose members was eliminated was led well, and `rule` says who in it gets `amount`:
    "group_best" (the default) the member with the group's highest score, all of them when tied
    (the unit that led the others); "whole_group" every member. Only units with a band are
    rewarded, once per unit. Heshan's file sets 0 until the district quantifies it.
    """

    amount: Decimal
    rule: str = "group_best"

    def to_dict(self) -> dict[str, Any]:
        return {"amount": str(self.amount), "rule": self.rule}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GroupRewardSpec:
        return cls(amount=_decimal(data["amount"]), rule=data.get("rule") or "group_best")


@dataclass(frozen=True)
class TierSchemeSpec:
    """How scores become tiers.

    method "thresholds": `thresholds` (any order; the highest reached wins), else `fallback_tier`.
    method "ranked": units whose level is in `ranked_levels` are ranked on score into `bands` by
    weight (largest remainder); a level in `level_bands` gets that band without ranking; any other
    level, or none, gets no band. `elimination`, `group_deduction` and `group_reward` act on the
    money afterwards.
    """

    method: str
    thresholds: tuple[ThresholdTierSpec, ...] = ()
    fallback_tier: str = ""
    fallback_label: str = ""
    bands: tuple[RankedBandSpec, ...] = ()
    ranked_levels: tuple[str, ...] = ()
    level_bands: Mapping[str, str] = field(default_factory=dict)
    # What a clerk reads for a fixed band, by level (Heshan: {"district": "区级"}).
    level_band_labels: Mapping[str, str] = field(default_factory=dict)
    elimination: EliminationSpec | None = None
    group_deduction: GroupDeductionSpec | None = None
    group_reward: GroupRewardSpec | None = None

    @property
    def levels(self) -> tuple[str, ...]:
        """Every unit level this scheme knows (ranked first, then fixed-band levels)."""
        return self.ranked_levels + tuple(
            level for level in self.level_bands if level not in self.ranked_levels
        )

    @property
    def tier_codes(self) -> tuple[str, ...]:
        """Every tier or band code the scheme can give, for checking a subsidy schedule."""
        if self.method == "ranked":
            return (*(band.code for band in self.bands), *self.level_bands.values())
        return (*(tier.code for tier in self.thresholds), self.fallback_tier)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "thresholds": [tier.to_dict() for tier in self.thresholds],
            "fallback_tier": self.fallback_tier,
            "fallback_label": self.fallback_label,
            "bands": [band.to_dict() for band in self.bands],
            "ranked_levels": list(self.ranked_levels),
            "level_bands": dict(self.level_bands),
            "level_band_labels": dict(self.level_band_labels),
            "elimination": self.elimination.to_dict() if self.elimination else None,
            "group_deduction": self.group_deduction.to_dict() if self.group_deduction else None,
            # Only when set: policies written before the reward existed keep their exact form.
            **({"group_reward": self.group_reward.to_dict()} if self.group_reward else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TierSchemeSpec:
        elimination = data.get("elimination")
        group_deduction = data.get("group_deduction")
        group_reward = data.get("group_reward")
        return cls(
            method=data["method"],
            thresholds=tuple(ThresholdTierSpec.from_dict(tier) for tier in data.get("thresholds") or ()),
            fallback_tier=data.get("fallback_tier", ""),
            fallback_label=data.get("fallback_label", ""),
            bands=tuple(RankedBandSpec.from_dict(band) for band in data.get("bands") or ()),
            ranked_levels=tuple(data.get("ranked_levels") or ()),
            level_bands=dict(data.get("level_bands") or {}),
            level_band_labels=dict(data.get("level_band_labels") or {}),
            elimination=EliminationSpec.from_dict(elimination) if elimination else None,
            group_deduction=GroupDeductionSpec.from_dict(group_deduction) if group_deduction else None,
            group_reward=GroupRewardSpec.from_dict(group_reward) if group_reward else None,
        )


@dataclass(frozen=True)
class SubsidyScheduleSpec:
    """What each tier pays per station kind, and the one-time amounts.

    `amounts[kind][tier]` is the yearly amount; a tier missing there pays 0. `one_time_amounts[kind]`
    is paid once, on the `one_time_basis`: "first_recognition" (Quanzhou: the year a station is
    first recognised) or "start_up" (Heshan: units chosen at the start of the year, paid up front,
    not part of the year-end result). `one_time_label` names it for clerks.
    """

    amounts: Mapping[str, Mapping[str, Decimal]]
    one_time_amounts: Mapping[str, Decimal] = field(default_factory=dict)
    one_time_basis: str = ""
    one_time_label: str = ""

    @property
    def pays_nothing(self) -> bool:
        """Whether no tier and no one-time amount pays anything (Huizhou's stars: a rating only).

        Such a policy's results show no money column and say the rating carries no subsidy,
        where "0.00 元" on every line would read as stations denied their money.
        """
        yearly = (amount for by_tier in self.amounts.values() for amount in by_tier.values())
        return not any(amount > 0 for amount in yearly) and not any(
            amount > 0 for amount in self.one_time_amounts.values()
        )

    def amount_for(self, kind: str, tier: str | None) -> Decimal:
        """The yearly amount for a unit of `kind` in `tier` (0 when none is set)."""
        if tier is None:
            return Decimal(0)
        return self.amounts.get(kind, {}).get(tier, Decimal(0))

    def to_dict(self) -> dict[str, Any]:
        return {
            "amounts": {
                kind: {tier: str(amount) for tier, amount in by_tier.items()}
                for kind, by_tier in self.amounts.items()
            },
            "one_time_amounts": {kind: str(amount) for kind, amount in self.one_time_amounts.items()},
            "one_time_basis": self.one_time_basis,
            "one_time_label": self.one_time_label,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SubsidyScheduleSpec:
        return cls(
            amounts={
                kind: {tier: _decimal(amount) for tier, amount in by_tier.items()}
                for kind, by_tier in data["amounts"].items()
            },
            one_time_amounts={
                kind: _decimal(amount) for kind, amount in (data.get("one_time_amounts") or {}).items()
            },
            one_time_basis=data.get("one_time_basis", ""),
            one_time_label=data.get("one_time_label", ""),
        )


@dataclass(frozen=True)
class EligibilitySpec:
    """Who is assessed and who may be paid.

    `min_months_recognised`: a station is assessed (gets a tier) only when its recognition date
    plus that many calendar months falls on or before the assessment date. When
    `purchase_of_services_excluded`, a station under a government purchase-of-services contract on
    the assessment date gets no subsidy of any kind （002: 购买服务期间不得重复享受奖补）.
    """

    min_months_recognised: int | None = None
    purchase_of_services_excluded: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "min_months_recognised": self.min_months_recognised,
            "purchase_of_services_excluded": self.purchase_of_services_excluded,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EligibilitySpec:
        months = data.get("min_months_recognised")
        return cls(
            min_months_recognised=None if months is None else int(months),
            purchase_of_services_excluded=bool(data.get("purchase_of_services_excluded", False)),
        )


@dataclass(frozen=True)
class NoticeSpec:
    """How long the public must be given to see and object, in working days (0: no minimum).

    `result_working_days`: the public notice of the results （考核结果公示）; `payee_working_days`:
    the list of payees published before paying （拟补助对象公示）, 0 when the policy publishes none.
    Counted on the working calendar (public holidays and make-up working days, `core.working_days`),
    the first and the last day included.
    """

    result_working_days: int = 0
    payee_working_days: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "result_working_days": self.result_working_days,
            "payee_working_days": self.payee_working_days,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NoticeSpec:
        return cls(
            result_working_days=int(data.get("result_working_days") or 0),
            payee_working_days=int(data.get("payee_working_days") or 0),
        )


@dataclass(frozen=True)
class PolicySpec:
    """A whole policy: rubric, tier scheme, subsidy schedule and eligibility for some station kinds.

    `period` "yearly" scores one sheet a year; "monthly" scores a sheet each month and takes the
    mean of the monthly totals as the year's score. `source` cites the seed the policy encodes.
    `annual_report`: the stations report on their year with the self-evaluation (Yunmeng's 年度报告
    制度); the engine scores nothing from it, the portal and the printed sheet show it.
    """

    code: str
    name: str
    region: str
    year: int
    period: str
    kinds: tuple[str, ...]
    rubric: RubricSpec
    tier_scheme: TierSchemeSpec
    subsidy_schedule: SubsidyScheduleSpec
    eligibility: EligibilitySpec = field(default_factory=EligibilitySpec)
    notice: NoticeSpec = field(default_factory=NoticeSpec)
    source: str = ""
    notes: str = ""
    annual_report: bool = False

    def to_dict(self) -> dict[str, Any]:
        # `annual_report` is left out when False, so a policy without one keeps its stored form.
        return {
            "code": self.code,
            "name": self.name,
            "region": self.region,
            "year": self.year,
            "period": self.period,
            "kinds": list(self.kinds),
            "rubric": self.rubric.to_dict(),
            "tier_scheme": self.tier_scheme.to_dict(),
            "subsidy_schedule": self.subsidy_schedule.to_dict(),
            "eligibility": self.eligibility.to_dict(),
            "notice": self.notice.to_dict(),
            "source": self.source,
            "notes": self.notes,
            **({"annual_report": True} if self.annual_report else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PolicySpec:
        return cls(
            code=data["code"],
            name=data["name"],
            region=data.get("region", ""),
            year=int(data["year"]),
            period=data["period"],
            kinds=tuple(data["kinds"]),
            rubric=RubricSpec.from_dict(data["rubric"]),
            tier_scheme=TierSchemeSpec.from_dict(data["tier_scheme"]),
            subsidy_schedule=SubsidyScheduleSpec.from_dict(data["subsidy_schedule"]),
            eligibility=EligibilitySpec.from_dict(data.get("eligibility") or {}),
            notice=NoticeSpec.from_dict(data.get("notice") or {}),
            source=data.get("source", ""),
            notes=data.get("notes", ""),
            annual_report=bool(data.get("annual_report", False)),
        )
