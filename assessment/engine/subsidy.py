"""From tiers to money: yearly subsidies, one-time amounts, eligibility, elimination and groups.

`decide_yearly_outcome` serves threshold policies (Yunmeng, Quanzhou): tier, eligibility,
purchase-of-services exclusion and the one-time amount of one station. `decide_ranked_outcomes`
serves ranked policies (Heshan): bands for all units at once, then elimination, then the group
deduction. Amounts are Decimal with 2 places, never below 0.
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


@dataclass(frozen=True, slots=True)
class YearlyOutcome:
    """One station's year under a threshold policy: tier (None when not assessed) and money."""

    eligible: bool
    tier: str | None
    tier_label: str
    performance_subsidy: Decimal
    one_time_subsidy: Decimal
    explanation: str


def decide_yearly_outcome(
    policy: PolicySpec,
    *,
    kind: str,
    score: Decimal,
    assessed_on: date | None = None,
    recognized_on: date | None = None,
    one_time_paid: bool = False,
    purchase_contract: tuple[date, date] | None = None,
) -> YearlyOutcome:
    """Decide tier and money for one station of `kind` with a (rounded) yearly `score`.

    Eligibility: when the policy requires N months of recognition, a station recognised less than
    N calendar months before `assessed_on` is not assessed (tier None, no performance subsidy).
    The one-time amount (basis "first_recognition") is paid when recognition falls in the
    assessment's calendar year and it was not paid before. A purchase-of-services contract covering
    `assessed_on` removes both amounts when the policy excludes it. The dates are needed only when
    the policy uses them; ValueError says which one is missing.
    """
    eligibility = policy.eligibility
    schedule = policy.subsidy_schedule
    notes: list[str] = []
    needs_dates = (
        eligibility.min_months_recognised is not None or schedule.one_time_basis == "first_recognition"
    )
    if needs_dates and (assessed_on is None or recognized_on is None):
        raise ValueError("该政策需要考核日期与认定日期")

    eligible = True
    if eligibility.min_months_recognised is not None:
        eligible = is_recognised_long_enough(recognized_on, assessed_on, eligibility.min_months_recognised)
        if not eligible:
            notes.append(
                f"认定于 {recognized_on}，至考核日 {assessed_on} "
                f"未满 {eligibility.min_months_recognised} 个月，不参加本次考核"
            )

    tier_code: str | None = None
    tier_label = ""
    performance = ZERO
    if eligible:
        decision = threshold_tier(policy.tier_scheme, score)
        tier_code, tier_label = decision.code, decision.label
        performance = round_half_up(schedule.amount_for(kind, tier_code))
        notes.append(f"{decision.explanation}，绩效补助 {performance} 元")

    one_time = ZERO
    if schedule.one_time_basis == "first_recognition":
        amount = schedule.one_time_amounts.get(kind, Decimal(0))
        if recognized_on.year == assessed_on.year and not one_time_paid and amount:
            one_time = round_half_up(amount)
            notes.append(
                f"{recognized_on.year} 年首次认定，{schedule.one_time_label or '一次性补助'} {one_time} 元"
            )

    if (
        eligibility.purchase_of_services_excluded
        and assessed_on is not None
        and is_under_purchase_contract(purchase_contract, assessed_on)
    ):
        if performance or one_time:
            notes.append("考核日处于政府购买服务期间，不重复享受补助，金额为 0")
        performance = one_time = ZERO
    return YearlyOutcome(eligible, tier_code, tier_label, performance, one_time, "；".join(notes))


@dataclass(frozen=True, slots=True)
class RankedUnit:
    """A unit entering a ranked scheme: its kind, level (None: none), group (None: none), score."""

    code: str
    kind: str
    level: str | None
    group: str | None
    score: Decimal


@dataclass(frozen=True, slots=True)
class RankedOutcome:
    """A unit's band (None: none), whether it was eliminated, its final amount and why."""

    code: str
    band: str | None
    eliminated: bool
    amount: Decimal
    explanation: str


def decide_ranked_outcomes(policy: PolicySpec, units: Sequence[RankedUnit]) -> list[RankedOutcome]:
    """Bands, elimination and the group deduction for every unit of a ranked scheme, in input order.

    1. Units whose level is ranked (Heshan: province and city together) are banded by score
       (`assign_ranked_bands`); a level with a fixed band (district) gets it; other units get none.
    2. Each unit's amount is its band's amount for its kind.
    3. Elimination, after the bands: a unit among the lowest N of the scope that also scores below
       the line is eliminated and its amount becomes 0; it keeps its band.
    4. Group deduction: every other unit of a group with an eliminated member loses the deduction
       once, however many members were eliminated, and never goes below 0.
    Scores must already be rounded to 2 decimals.
    """
    scheme = policy.tier_scheme
    schedule = policy.subsidy_schedule
    if scheme.method != "ranked":
        raise ValueError("该等次方案不是按排名分档的")
    band_labels = {band.code: band.label for band in scheme.bands}
    ranked_indexes = [index for index, unit in enumerate(units) if unit.level in scheme.ranked_levels]
    ranked_scores = [units[index].score for index in ranked_indexes]
    ranked_bands = assign_ranked_bands(ranked_scores, scheme.bands)
    ranks = competition_ranks(ranked_scores)
    band_sizes = {code: ranked_bands.count(code) for code in band_labels}

    bands: list[str | None] = [None] * len(units)
    notes: list[list[str]] = [[] for _ in units]
    for position, index in enumerate(ranked_indexes):
        band = ranked_bands[position]
        bands[index] = band
        notes[index].append(
            f"在 {len(ranked_indexes)} 个参与排名的单位中以 {units[index].score} 分列第 {ranks[position]} 位，"
            f"属{band_labels[band]}(本档 {band_sizes[band]} 个)"
        )
    for index, unit in enumerate(units):
        if unit.level in scheme.ranked_levels:
            continue
        fixed_band = scheme.level_bands.get(unit.level) if unit.level is not None else None
        bands[index] = fixed_band
        notes[index].append(f"级别 {unit.level}，不参加排名" if fixed_band else "无认定级别，不分档")

    amounts = [
        round_half_up(schedule.amount_for(unit.kind, bands[index])) for index, unit in enumerate(units)
    ]
    for index in range(len(units)):
        notes[index].append(f"补助 {amounts[index]} 元")

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
            before = amounts[index]
            amounts[index] = max(ZERO, before - round_half_up(deduction.amount))
            notes[index].append(
                f"所在小组 {unit.group} 有单位被末位淘汰，扣减 {round_half_up(deduction.amount)} 元，"
                f"实得 {amounts[index]} 元"
            )

    return [
        RankedOutcome(unit.code, bands[index], eliminated[index], amounts[index], "；".join(notes[index]))
        for index, unit in enumerate(units)
    ]
