"""The one decision: from a campaign's scores to every amount it grants, with the reasons.

`decide_campaign(policy, units, assessed_on=...)` is the only place a campaign's money is worked
out. The `evaluate` simulator and the campaign service (`assessment.services.campaigns`) both call
it, and the entitlement ledger records what it returns. It reads the policy for everything it
shows: tier and band labels, amounts, eligibility, the one-time amount, the purchase-of-services
exclusion, elimination, the group deduction and the group reward.

- A threshold policy (Yunmeng, Quanzhou) decides each unit on its own: eligibility (months
  recognised), tier, the yearly amount, and the one-time amount on first recognition.
- A ranked policy (Heshan) decides all units together: bands by ratio for the ranked levels,
  fixed bands for the other levels, then elimination, then the group deduction and reward.

Two amounts are granted outside a campaign, and each has its own single function here too:
`decide_one_time` (first recognition; the campaign path calls the same function) and
`decide_start_up` (a unit chosen at the start of the year). Amounts are Decimal with 2 places,
never below 0. Nothing here touches the database.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from assessment.engine.decimal_math import ZERO, format_plain, round_half_up
from assessment.engine.specs import PolicySpec
from assessment.engine.tiers import (
    assign_ranked_bands,
    competition_ranks,
    lowest_ranked_flags,
    threshold_tier,
)

# What a unit's line says instead of "绩效补助 0.00 元" under a policy whose schedule pays nothing at
# all (Huizhou's stars rate stations; their operators are paid by contract): "0.00 元" on every line
# of a public notice reads as money withheld.
NO_SUBSIDY = "本政策为等次评定，不设补助"

# The kinds of amount the product pays; a later kind is a new constant and a new decide_ function.
PERFORMANCE = "performance"
ONE_TIME = "one_time"
START_UP = "start_up"


def add_calendar_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months; a day the target month lacks becomes its last day.

    2023-08-31 plus 6 months is 2024-02-29: the month is what counts, and February has no 31st.
    """
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def is_recognised_long_enough(recognized_on: date, assessed_on: date, min_months: int) -> bool:
    """Whether recognition plus `min_months` calendar months falls on or before the assessment day."""
    return add_calendar_months(recognized_on, min_months) <= assessed_on


def is_under_purchase_contract(contract: tuple[date, date] | None, on: date) -> bool:
    """Whether a purchase-of-services contract (start, end; both days included) covers day `on`."""
    return contract is not None and contract[0] <= on <= contract[1]


def eligibility_refusal(policy: PolicySpec, *, recognized_on: date | None, assessed_on: date | None) -> str:
    """Why a station may not be assessed under `policy` on `assessed_on`, or "" when it may.

    The one eligibility rule: the campaign asks it when it enrols stations, the decision when it
    tiers them.
    """
    months = policy.eligibility.min_months_recognised
    if months is None:
        return ""
    if recognized_on is None:
        return "没有认定日期"
    if assessed_on is None or not is_recognised_long_enough(recognized_on, assessed_on, months):
        return f"认定于 {recognized_on}，至考核日 {assessed_on} 未满 {months} 个月"
    return ""


@dataclass(frozen=True, slots=True)
class Grant:
    """One amount a unit is entitled to: its kind, the amount (2 places, maybe 0) and why."""

    kind: str
    amount: Decimal
    explanation: str


@dataclass(frozen=True, slots=True)
class DecisionUnit:
    """A unit entering the decision.

    `level` and `group` matter to ranked policies; `recognized_on`, `purchase_contract` (start,
    end) and `one_time_decided` (the one-time amount was already decided elsewhere, once and for
    all) to policies with recognition rules. `score` is already rounded to 2 places.
    """

    code: str
    kind: str
    score: Decimal
    level: str | None = None
    group: str | None = None
    recognized_on: date | None = None
    purchase_contract: tuple[date, date] | None = None
    one_time_decided: bool = False


@dataclass(frozen=True, slots=True)
class UnitDecision:
    """What the decision gave one unit: tier or band, elimination, and its grants.

    `performance` is always there (0 when nothing is paid); `one_time` only when this decision
    decides the one-time amount (a threshold policy with a first-recognition amount, recognition
    in the assessment's year, not decided before).
    """

    code: str
    score: Decimal
    eligible: bool
    tier: str | None
    tier_label: str
    eliminated: bool
    performance: Grant
    one_time: Grant | None
    explanation: str

    @property
    def performance_subsidy(self) -> Decimal:
        return self.performance.amount

    @property
    def one_time_subsidy(self) -> Decimal:
        return self.one_time.amount if self.one_time is not None else ZERO


def tier_labels(policy: PolicySpec) -> dict[str, str]:
    """Every tier or band code of the policy with the label a clerk reads."""
    scheme = policy.tier_scheme
    labels = {tier.code: tier.label for tier in scheme.thresholds}
    if scheme.fallback_tier:
        labels[scheme.fallback_tier] = scheme.fallback_label
    labels.update({band.code: band.label for band in scheme.bands})
    for level, band in scheme.level_bands.items():
        labels.setdefault(band, scheme.level_band_labels.get(level, band))
    return labels


def decide_one_time(
    policy: PolicySpec,
    *,
    kind: str,
    recognized_on: date | None,
    decided_on: date,
    purchase_contract: tuple[date, date] | None,
) -> Grant | None:
    """The one-time amount on first recognition, decided on `decided_on`; None when none is due.

    Due (002) when the policy pays one on first recognition for `kind` and recognition falls in
    the year of `decided_on`; 0 with the reason while a purchase-of-services contract runs on that
    day and the policy excludes it.
    """
    schedule = policy.subsidy_schedule
    amount = schedule.one_time_amounts.get(kind, Decimal(0))
    if schedule.one_time_basis != "first_recognition" or not amount or recognized_on is None:
        return None
    if recognized_on.year != decided_on.year:
        return None
    label = schedule.one_time_label or "一次性补助"
    if policy.eligibility.purchase_of_services_excluded and is_under_purchase_contract(
        purchase_contract, decided_on
    ):
        return Grant(
            ONE_TIME,
            ZERO,
            f"{recognized_on} 首次认定，但 {decided_on} 处于政府购买服务合同期内，不重复享受{label}",
        )
    paid = round_half_up(amount)
    return Grant(ONE_TIME, paid, f"{recognized_on} 首次认定，{label} {paid} 元")


def decide_start_up(policy: PolicySpec, *, kind: str, level: str | None, year: int) -> Grant | None:
    """The start-up grant (004) of a unit chosen at the start of `year` (it has a level); None if not due."""
    schedule = policy.subsidy_schedule
    amount = schedule.one_time_amounts.get(kind, Decimal(0))
    if schedule.one_time_basis != "start_up" or not amount or policy.year != year or not level:
        return None
    label = schedule.one_time_label or "启动资金"
    paid = round_half_up(amount)
    return Grant(START_UP, paid, f"{year} 年初确定的建设单位，{label} {paid} 元")


def decide_campaign(
    policy: PolicySpec, units: Sequence[DecisionUnit], *, assessed_on: date | None = None
) -> list[UnitDecision]:
    """Decide every unit of a campaign under `policy`, in input order.

    `assessed_on` is needed when the policy has recognition rules (ValueError otherwise); it is
    the day eligibility, the one-time amount and the purchase-of-services contract are judged on.
    """
    if policy.tier_scheme.method == "ranked":
        return _decide_ranked(policy, units)
    return [_decide_by_thresholds(policy, unit, assessed_on) for unit in units]


def _decide_by_thresholds(policy: PolicySpec, unit: DecisionUnit, assessed_on: date | None) -> UnitDecision:
    eligibility = policy.eligibility
    schedule = policy.subsidy_schedule
    uses_dates = (
        eligibility.min_months_recognised is not None or schedule.one_time_basis == "first_recognition"
    )
    if uses_dates and (assessed_on is None or unit.recognized_on is None):
        raise ValueError("该政策需要考核日期与认定日期")
    notes: list[str] = []

    refusal = eligibility_refusal(policy, recognized_on=unit.recognized_on, assessed_on=assessed_on)
    tier_code: str | None = None
    tier_label = ""
    performance = ZERO
    if refusal:
        notes.append(f"{refusal}，不参加本次考核")
    else:
        decision = threshold_tier(policy.tier_scheme, unit.score)
        tier_code, tier_label = decision.code, decision.label
        performance = round_half_up(schedule.amount_for(unit.kind, tier_code))
        if schedule.pays_nothing:
            notes.append(f"{decision.explanation}，{NO_SUBSIDY}")
        else:
            notes.append(f"{decision.explanation}，绩效补助 {performance} 元")
    performance_why = notes[-1]

    contract_runs = (
        eligibility.purchase_of_services_excluded
        and assessed_on is not None
        and is_under_purchase_contract(unit.purchase_contract, assessed_on)
    )
    if contract_runs and performance:
        performance = ZERO
        performance_why = f"{performance_why}；考核日处于政府购买服务合同期内，不重复享受补助，金额为 0"
        notes.append("考核日处于政府购买服务合同期内，不重复享受补助，金额为 0")

    one_time = None
    if not unit.one_time_decided and assessed_on is not None:
        one_time = decide_one_time(
            policy,
            kind=unit.kind,
            recognized_on=unit.recognized_on,
            decided_on=assessed_on,
            purchase_contract=unit.purchase_contract,
        )
        if one_time is not None:
            notes.append(one_time.explanation)
    return UnitDecision(
        code=unit.code,
        score=unit.score,
        eligible=not refusal,
        tier=tier_code,
        tier_label=tier_label,
        eliminated=False,
        performance=Grant(PERFORMANCE, performance, performance_why),
        one_time=one_time,
        explanation="；".join(notes),
    )


def _decide_ranked(policy: PolicySpec, units: Sequence[DecisionUnit]) -> list[UnitDecision]:
    """Bands, elimination and the group deduction for every unit of a ranked scheme.

    1. Units whose level is ranked (Heshan: province and city together) are banded by score
       (`assign_ranked_bands`); a level with a fixed band (district) gets it; other units get none.
    2. Each unit's amount is its band's amount for its kind.
    3. Elimination, after the bands: a unit among the lowest N of the scope that also scores below
       the line is eliminated and its amount becomes 0; it keeps its band.
    4. Group deduction: every other unit of a group with an eliminated member loses the deduction
       once, however many members were eliminated, and never goes below 0.
    5. Group reward (`_group_rewarded`): in a group none of whose members was eliminated, the
       policy's reward is added to the unit(s) its rule names. A reward of 0 (Heshan: the seed
       leaves the amount open) changes nothing and says nothing.
    """
    scheme = policy.tier_scheme
    schedule = policy.subsidy_schedule
    labels = tier_labels(policy)
    ranked_indexes = [index for index, unit in enumerate(units) if unit.level in scheme.ranked_levels]
    ranked_scores = [units[index].score for index in ranked_indexes]
    ranked_bands = assign_ranked_bands(ranked_scores, scheme.bands)
    ranks = competition_ranks(ranked_scores)
    band_sizes = {band.code: ranked_bands.count(band.code) for band in scheme.bands}

    bands: list[str | None] = [None] * len(units)
    notes: list[list[str]] = [[] for _ in units]
    for position, index in enumerate(ranked_indexes):
        band = ranked_bands[position]
        bands[index] = band
        notes[index].append(
            f"在 {len(ranked_indexes)} 个参与排名的单位中以 {units[index].score} 分列第 {ranks[position]} 位，"
            f"属{labels[band]}(本档 {band_sizes[band]} 个)"
        )
    for index, unit in enumerate(units):
        if unit.level in scheme.ranked_levels:
            continue
        fixed_band = scheme.level_bands.get(unit.level) if unit.level is not None else None
        bands[index] = fixed_band
        notes[index].append(
            f"{labels.get(fixed_band, fixed_band)}单位，不参加排名" if fixed_band else "无认定级别，不分档"
        )

    amounts = [
        round_half_up(schedule.amount_for(unit.kind, bands[index])) for index, unit in enumerate(units)
    ]
    for index in range(len(units)):
        notes[index].append(NO_SUBSIDY if schedule.pays_nothing else f"补助 {amounts[index]} 元")

    eliminated = [False] * len(units)
    elimination = scheme.elimination
    if elimination is not None:
        scope = ranked_indexes if elimination.scope == "ranked_units" else list(range(len(units)))
        lowest = lowest_ranked_flags([units[index].score for index in scope], elimination.lowest_count)
        for is_lowest, index in zip(lowest, scope, strict=True):
            if is_lowest and units[index].score < elimination.below_score:
                eliminated[index] = True
                amounts[index] = ZERO
                notes[index].append(
                    f"得分处于倒数 {elimination.lowest_count} 名之内"
                    f"且低于 {format_plain(elimination.below_score)} 分，末位淘汰，不予补助"
                )

    deduction = scheme.group_deduction
    if deduction is not None:
        penalised_groups = {
            unit.group for index, unit in enumerate(units) if eliminated[index] and unit.group is not None
        }
        for index, unit in enumerate(units):
            if eliminated[index] or unit.group not in penalised_groups:
                continue
            amounts[index] = max(ZERO, amounts[index] - round_half_up(deduction.amount))
            notes[index].append(
                f"所在小组 {unit.group} 有单位被末位淘汰，扣减 {round_half_up(deduction.amount)} 元，"
                f"实得 {amounts[index]} 元"
            )

    reward = scheme.group_reward
    if reward is not None and round_half_up(reward.amount) > 0:
        paid = round_half_up(reward.amount)
        for index in _group_rewarded(reward.rule, units, bands, eliminated):
            amounts[index] += paid
            who = "本单位得分为组内最高，" if reward.rule == "group_best" else "组内各单位均"
            notes[index].append(
                f"所在小组 {units[index].group} 无单位被末位淘汰，{who}获捆绑考核奖励 {paid} 元，"
                f"实得 {amounts[index]} 元"
            )

    decisions = []
    for index, unit in enumerate(units):
        band = bands[index]
        explanation = "；".join(notes[index])
        decisions.append(
            UnitDecision(
                code=unit.code,
                score=unit.score,
                eligible=True,
                tier=band,
                tier_label=labels.get(band, band) if band else "不分档",
                eliminated=eliminated[index],
                performance=Grant(PERFORMANCE, amounts[index], explanation),
                one_time=None,
                explanation=explanation,
            )
        )
    return decisions


def _group_rewarded(
    rule: str, units: Sequence[DecisionUnit], bands: Sequence[str | None], eliminated: Sequence[bool]
) -> list[int]:
    """The indexes of the units the group reward goes to, in input order.

    004: "实行小组连坐惩罚机制……对带动好的社区(村)给予适当的奖励". A group led well is read as one
    none of whose members was eliminated (the mirror of the deduction); only units with a band
    take part (a unit without a recognition level is outside the scheme). "group_best" rewards the
    group's highest score, every member tied on it; "whole_group" every member.
    """
    members: dict[str, list[int]] = {}
    spoiled: set[str] = set()
    for index, unit in enumerate(units):
        if unit.group is None:
            continue
        if eliminated[index]:
            spoiled.add(unit.group)
        elif bands[index] is not None:
            members.setdefault(unit.group, []).append(index)
    chosen: list[int] = []
    for group, indexes in members.items():
        if group in spoiled:
            continue
        if rule == "whole_group":
            chosen += indexes
        else:
            best = max(units[index].score for index in indexes)
            chosen += [index for index in indexes if units[index].score == best]
    return sorted(chosen)
