"""Turning scores into tiers: thresholds, and ranked bands by ratio.

Thresholds are inclusive lower bounds ("90分以上" includes 90). Ranked bands follow DOMAIN.md's
readings for 004's 3:4:3: band sizes by the largest-remainder method, a tie in remainders going
to the higher band; units tied on score at a band boundary all get the higher band; a unit is
among the lowest N when fewer than N units score strictly lower. Everything here is O(n log n).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from assessment.engine.decimal_math import format_plain
from assessment.engine.specs import RankedBandSpec, TierSchemeSpec


@dataclass(frozen=True, slots=True)
class TierDecision:
    """The tier a score reached, with the line that says why."""

    code: str
    label: str
    explanation: str


def threshold_tier(scheme: TierSchemeSpec, score: Decimal) -> TierDecision:
    """The highest threshold tier whose lower bound `score` reaches, else the fallback tier.

    `score` should already be rounded to 2 decimals (tiers are decided on the score as shown).
    Raises ValueError for a scheme that is not threshold-based.
    """
    if scheme.method != "thresholds":
        raise ValueError("该等次方案不是按分数线划分的")
    for tier in sorted(scheme.thresholds, key=lambda tier: tier.min_score, reverse=True):
        if score >= tier.min_score:
            return TierDecision(
                tier.code,
                tier.label,
                f"得分 {score} 分，达到{tier.label}线 {format_plain(tier.min_score)} 分",
            )
    lowest = min((tier.min_score for tier in scheme.thresholds), default=None)
    reason = f"低于最低分数线 {format_plain(lowest)} 分" if lowest is not None else "无分数线"
    return TierDecision(
        scheme.fallback_tier, scheme.fallback_label, f"得分 {score} 分，{reason}，为{scheme.fallback_label}"
    )


def allocate_band_counts(unit_count: int, weights: Sequence[int]) -> tuple[int, ...]:
    """How many of `unit_count` units each band holds, by the largest-remainder method.

    Each band's exact quota is unit_count x weight / total weight; every band first gets the whole
    part, and the seats left go one each to the largest remainders, a tie going to the band listed
    first (the higher band). Integer arithmetic throughout: remainders are compared exactly.
    Example, 3:4:3 of 5 units: quotas 1.5, 2, 1.5 -> 1, 2, 1, and the fifth seat goes to A: 2, 2, 1.
    """
    if unit_count < 0:
        raise ValueError("单位数不能为负数")
    total_weight = sum(weights)
    if total_weight <= 0 or any(weight < 0 for weight in weights):
        raise ValueError("各档比例须为非负整数，且合计大于 0")
    counts = [unit_count * weight // total_weight for weight in weights]
    remainders = [unit_count * weight % total_weight for weight in weights]
    seats_left = unit_count - sum(counts)
    by_remainder = sorted(range(len(weights)), key=lambda index: (-remainders[index], index))
    for index in by_remainder[:seats_left]:
        counts[index] += 1
    return tuple(counts)


def assign_ranked_bands(scores: Sequence[Decimal], bands: Sequence[RankedBandSpec]) -> list[str]:
    """The band code of each score, in the order given.

    Units are ranked by score, highest first, and the positions are filled band by band with the
    sizes from `allocate_band_counts`. Units tied on score share the band of the best position any
    of them holds, so a tie across a boundary lifts all of them into the higher band (that band
    then holds more units than its quota, and the next band fewer).
    """
    counts = allocate_band_counts(len(scores), [band.weight for band in bands])
    band_of_position: list[str] = []
    for band, count in zip(bands, counts, strict=True):
        band_of_position.extend([band.code] * count)
    # sorted() is stable, so units with equal scores keep their input order; it does not matter
    # for the band, which all tied units share.
    order = sorted(range(len(scores)), key=lambda index: scores[index], reverse=True)
    result: list[str] = [""] * len(scores)
    previous_score: Decimal | None = None
    shared_band = ""
    for position, index in enumerate(order):
        if scores[index] != previous_score:
            previous_score = scores[index]
            shared_band = band_of_position[position]
        result[index] = shared_band
    return result


def competition_ranks(scores: Sequence[Decimal]) -> list[int]:
    """Each score's rank, 1 for the best; tied scores share a rank (1, 2, 2, 4)."""
    descending = sorted(-score for score in scores)
    return [bisect_left(descending, -score) + 1 for score in scores]


def lowest_ranked_flags(scores: Sequence[Decimal], count: int) -> list[bool]:
    """Whether each score is among the lowest `count`: fewer than `count` scores are strictly lower.

    So with scores 60, 70, 70, 80 and count 2, 60 and both 70s are among the lowest 2.
    """
    ascending = sorted(scores)
    return [bisect_left(ascending, score) < count for score in scores]
