"""Ranked bands (3:4:3), elimination and the group deduction, as DOMAIN.md reads them."""

from decimal import Decimal

import pytest

from assessment.engine.decision import DecisionUnit, decide_campaign
from assessment.engine.specs import RankedBandSpec
from assessment.engine.tiers import (
    allocate_band_counts,
    assign_ranked_bands,
    competition_ranks,
    lowest_ranked_flags,
)
from assessment.policies import SEED_POLICIES

D = Decimal
HESHAN = SEED_POLICIES["heshan-2024"]
BANDS = (RankedBandSpec("A", "A", 3), RankedBandSpec("B", "B", 4), RankedBandSpec("C", "C", 3))


# Worked by hand: quotas n x 3/10, n x 4/10, n x 3/10; whole parts first, then the seats left to the
# largest remainders, a tie going to the higher band.
@pytest.mark.parametrize(
    ("units", "expected"),
    [
        (0, (0, 0, 0)),
        (1, (0, 1, 0)),  # 0.3 0.4 0.3 -> the one seat to B (0.4)
        (2, (1, 1, 0)),  # 0.6 0.8 0.6 -> B (0.8), then A and C tie at 0.6 -> A
        (3, (1, 1, 1)),  # 0.9 1.2 0.9 -> 0 1 0, seats to A (0.9) and C (0.9)
        (4, (1, 2, 1)),  # 1.2 1.6 1.2 -> 1 1 1, seat to B (0.6)
        (5, (2, 2, 1)),  # 1.5 2.0 1.5 -> 1 2 1, A and C tie at 0.5 -> A
        (6, (2, 2, 2)),  # 1.8 2.4 1.8 -> 1 2 1, seats to A and C (0.8)
        (7, (2, 3, 2)),  # 2.1 2.8 2.1 -> 2 2 2, seat to B (0.8)
        (8, (3, 3, 2)),  # 2.4 3.2 2.4 -> 2 3 2, A and C tie at 0.4 -> A
        (9, (3, 3, 3)),  # 2.7 3.6 2.7 -> 2 3 2, seats to A and C (0.7)
        (10, (3, 4, 3)),  # exact
        (36, (11, 14, 11)),  # 10.8 14.4 10.8 -> 10 14 10, seats to A and C (0.8)
    ],
)
def test_band_sizes_follow_the_largest_remainder_method(units, expected):
    assert allocate_band_counts(units, (3, 4, 3)) == expected


def test_bands_follow_the_scores_not_the_input_order():
    scores = [D(score) for score in ("91", "99", "95", "90", "98", "94", "97", "93", "96", "92")]
    bands = assign_ranked_bands(scores, BANDS)
    # Top 3 (99, 98, 97) A; next 4 (96, 95, 94, 93) B; last 3 (92, 91, 90) C.
    assert dict(zip(scores, bands, strict=True)) == {
        D(99): "A", D(98): "A", D(97): "A",
        D(96): "B", D(95): "B", D(94): "B", D(93): "B",
        D(92): "C", D(91): "C", D(90): "C",
    }  # fmt: skip


def test_units_tied_across_the_a_b_boundary_all_get_a():
    scores = [D(score) for score in ("99", "98", "97", "97", "95", "94", "93", "92", "91", "90")]
    # Positions 3 and 4 share 97; position 3 is the last A seat, so both are A (4 A, 3 B, 3 C).
    assert assign_ranked_bands(scores, BANDS) == ["A", "A", "A", "A", "B", "B", "B", "C", "C", "C"]


def test_units_tied_across_the_b_c_boundary_all_get_b():
    scores = [D(score) for score in ("99", "98", "97", "96", "95", "94", "93", "93", "91", "90")]
    assert assign_ranked_bands(scores, BANDS) == ["A", "A", "A", "B", "B", "B", "B", "B", "C", "C"]


def test_all_units_tied_are_all_in_the_top_band():
    assert assign_ranked_bands([D("88.50")] * 5, BANDS) == ["A"] * 5


def test_ranks_are_shared_by_ties():
    assert competition_ranks([D(90), D(95), D(95), D(80)]) == [3, 1, 1, 4]


def test_lowest_n_counts_only_strictly_lower_scores():
    # 60 has 0 lower, both 70s have 1 lower (< 2), 80 has 3 lower.
    assert lowest_ranked_flags([D(60), D(70), D(70), D(80)], 2) == [True, True, True, False]


def test_a_unit_with_exactly_n_lower_scores_is_not_among_the_lowest_n():
    # 80 has exactly 3 strictly lower scores, so it is not among the lowest 3.
    assert lowest_ranked_flags([D(50), D(60), D(70), D(80)], 3) == [True, True, True, False]


def test_only_three_units_are_eliminated_when_four_distinct_scores_are_below_95():
    units = [_unit(f"L{score}", "city", None, score) for score in ("90", "91", "92", "93", "99")]
    # 93 has 3 strictly lower scores: not among the lowest 3, so it keeps its money although below 95.
    # 5 ranked -> A 2, B 2, C 1: 99 A, 93 A, 92 B, 91 B, 90 C.
    assert _by_code(decide_campaign(HESHAN, units)) == {
        "L90": ("C", True, D("0.00")),
        "L91": ("B", True, D("0.00")),
        "L92": ("B", True, D("0.00")),
        "L93": ("A", False, D("60000.00")),
        "L99": ("A", False, D("60000.00")),
    }


def test_lowest_three_can_hold_more_than_three_when_tied():
    assert lowest_ranked_flags([D(50), D(60), D(60), D(60), D(70)], 3) == [True, True, True, True, False]


def _unit(code, level, group, score, kind="community"):
    return DecisionUnit(code=code, kind=kind, level=level, group=group, score=D(score))


def _by_code(outcomes):
    return {
        outcome.code: (outcome.tier, outcome.eliminated, outcome.performance_subsidy) for outcome in outcomes
    }


def test_heshan_bands_money_elimination_and_groups_worked_by_hand():
    units = [
        _unit("U1", "province", "G1", "99.00"),
        _unit("U2", "city", "G1", "98.00"),
        _unit("U3", "city", "G2", "97.00", kind="village"),
        _unit("U4", "province", "G2", "96.00"),
        _unit("U5", "city", "G3", "94.00"),
        _unit("D1", "district", "G3", "96.50"),
        _unit("D2", "district", "G4", "90.00"),
        _unit("N1", None, "G4", "99.50"),
    ]
    # Ranked: U1..U5 (province and city) -> 5 units -> A 2, B 2, C 1: U1 U2 A; U3 U4 B; U5 C.
    # Lowest 3 of all 8: D2 90, U5 94, U4 96; below 95: D2 and U5 -> eliminated, amount 0.
    # Groups G3 (U5) and G4 (D2) lose 10,000 each on their other members: D1 30,000 -> 20,000;
    # N1 has no level (0) and stays at 0.
    assert _by_code(decide_campaign(HESHAN, units)) == {
        "U1": ("A", False, D("60000.00")),
        "U2": ("A", False, D("60000.00")),
        "U3": ("B", False, D("50000.00")),
        "U4": ("B", False, D("50000.00")),
        "U5": ("C", True, D("0.00")),
        "D1": ("district", False, D("20000.00")),
        "D2": ("district", True, D("0.00")),
        "N1": (None, False, D("0.00")),
    }


def test_group_loses_the_deduction_once_even_with_two_eliminated_members():
    units = [
        _unit("E1", "city", "G1", "80"),
        _unit("E2", "city", "G1", "81"),
        _unit("K1", "city", "G1", "99"),
        _unit("K2", "city", "G2", "98"),
        _unit("K3", "city", "G2", "97"),
        _unit("K4", "city", "G3", "96"),
    ]
    # 6 ranked -> 2/2/2: K1 K2 A, K3 K4 B, E2 E1 C. Lowest 3: E1, E2, K4; E1 and E2 below 95.
    # G1 has two eliminated members but K1 loses 10,000 once: 60,000 -> 50,000.
    assert _by_code(decide_campaign(HESHAN, units)) == {
        "E1": ("C", True, D("0.00")),
        "E2": ("C", True, D("0.00")),
        "K1": ("A", False, D("50000.00")),
        "K2": ("A", False, D("60000.00")),
        "K3": ("B", False, D("50000.00")),
        "K4": ("B", False, D("50000.00")),
    }


def test_ties_at_the_bottom_eliminate_every_tied_unit_below_the_line():
    units = [_unit(f"T{score}", "city", None, score) for score in ("90", "91", "92", "92", "99")]
    units[3] = _unit("T92b", "city", None, "92")
    # 5 ranked -> A 2, B 2, C 1: 99 A; the two 92s share position 1 -> A; 91 B; 90 C.
    # Fewer than 3 units score strictly below 90, 91 and each 92 -> all four are among the lowest 3
    # and below 95 -> eliminated.
    assert _by_code(decide_campaign(HESHAN, units)) == {
        "T90": ("C", True, D("0.00")),
        "T91": ("B", True, D("0.00")),
        "T92": ("A", True, D("0.00")),
        "T92b": ("A", True, D("0.00")),
        "T99": ("A", False, D("60000.00")),
    }


def test_a_score_of_exactly_95_is_not_eliminated_but_94_99_is():
    units = [
        _unit("X1", "city", "G", "95.00"),
        _unit("X2", "city", "G", "94.99"),
        _unit("X3", "city", "H", "99"),
    ]
    outcomes = _by_code(decide_campaign(HESHAN, units))
    # 3 ranked -> 1/1/1: X3 A, X1 B, X2 C. All three are among the lowest 3; only X2 is below 95.
    # X1 shares group G with X2: 50,000 - 10,000 = 40,000.
    assert outcomes == {
        "X1": ("B", False, D("40000.00")),
        "X2": ("C", True, D("0.00")),
        "X3": ("A", False, D("60000.00")),
    }


def test_nobody_is_eliminated_when_the_lowest_score_95_or_more():
    units = [
        _unit(f"H{index}", "province", "G", score) for index, score in enumerate(("95", "96", "97", "100"))
    ]
    assert not any(outcome.eliminated for outcome in decide_campaign(HESHAN, units))


def test_explanation_says_rank_band_and_why_money_was_lost():
    units = [_unit("E1", "city", "G1", "80"), _unit("K1", "city", "G1", "99")]
    outcome = {outcome.code: outcome for outcome in decide_campaign(HESHAN, units)}
    assert "列第 1 位" in outcome["K1"].explanation
    assert "所在小组 G1 有单位被末位淘汰，扣减 10000.00 元，实得 50000.00 元" in outcome["K1"].explanation
    assert "末位淘汰，不予补助" in outcome["E1"].explanation
