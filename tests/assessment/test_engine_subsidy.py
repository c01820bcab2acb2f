"""Rounding, threshold tiers, eligibility by months recognised, one-time amounts, contracts."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from assessment.engine.decimal_math import format_plain, round_half_up
from assessment.engine.decision import (
    DecisionUnit,
    add_calendar_months,
    decide_campaign,
    is_recognised_long_enough,
)
from assessment.engine.scoring import annual_score
from assessment.engine.tiers import threshold_tier
from assessment.policies import SEED_POLICIES

D = Decimal


def decide_yearly_outcome(
    policy, *, kind, score, assessed_on=None, recognized_on=None, one_time_paid=False, purchase_contract=None
):
    """One station through the campaign's decision, as a threshold policy decides each on its own."""
    unit = DecisionUnit(
        code="U1",
        kind=kind,
        score=score,
        recognized_on=recognized_on,
        purchase_contract=purchase_contract,
        one_time_decided=one_time_paid,
    )
    return decide_campaign(policy, [unit], assessed_on=assessed_on)[0]


YUNMENG = SEED_POLICIES["yunmeng-2024"]
QUANZHOU = SEED_POLICIES["quanzhou-2023"]


# --- rounding ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("2.005"), D("2.01")),
        (D("2.004999"), D("2.00")),
        (D("2.015"), D("2.02")),  # half-even would give 2.02 too; 2.025 below tells them apart
        (D("2.025"), D("2.03")),
        (Fraction(2025, 1000), D("2.03")),
        (Fraction(1, 3), D("0.33")),
        (Fraction(2, 3), D("0.67")),
        (7, D("7.00")),
    ],
)
def test_round_half_up_to_two_places(value, expected):
    assert round_half_up(value) == expected
    assert str(round_half_up(value)) == str(expected)


def test_plain_numbers_read_as_written():
    assert format_plain(D("95.0")) == "95"
    assert format_plain(D("0.50")) == "0.5"
    assert format_plain(D("100")) == "100"
    assert format_plain(Fraction(7, 5)) == "1.4"


def test_annual_score_is_the_mean_rounded_half_up_once():
    # (80.00 + 80.01) / 2 = 80.005 -> 80.01
    assert annual_score([D("80.00"), D("80.01")]) == D("80.01")
    # (90.00 + 90.01 + 90.01) / 3 = 90.00666... -> 90.01
    assert annual_score([D("90.00"), D("90.01"), D("90.01")]) == D("90.01")
    # 12 months summing to 1000.06: 83.33833... -> 83.34
    assert annual_score([D("83.33")] * 6 + [D("83.34")] * 6) == D("83.34")


def test_annual_score_needs_at_least_one_month():
    with pytest.raises(ValueError, match="没有任何月度得分"):
        annual_score([])


# --- threshold tiers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "tier"),
    [
        ("100.00", "excellent"),
        ("90.00", "excellent"),  # "90分以上" includes 90
        ("89.99", "good"),
        ("80.00", "good"),
        ("79.99", "pass"),
        ("70.00", "pass"),
        ("69.99", "fail"),
        ("0.00", "fail"),
    ],
)
def test_yunmeng_thresholds_are_inclusive_lower_bounds(score, tier):
    assert threshold_tier(YUNMENG.tier_scheme, D(score)).code == tier


@pytest.mark.parametrize(
    ("kind", "score", "amount"),
    [
        ("gig_station", "90", "60000.00"),
        ("gig_station", "85", "50000.00"),
        ("gig_station", "70", "40000.00"),
        ("gig_station", "69.99", "0.00"),
        ("doorstep_station", "95", "20000.00"),
        ("doorstep_station", "80", "15000.00"),
        ("doorstep_station", "75", "10000.00"),
        ("doorstep_station", "60", "0.00"),
    ],
)
def test_yunmeng_amounts_per_kind(kind, score, amount):
    assert decide_yearly_outcome(YUNMENG, kind=kind, score=D(score)).performance_subsidy == D(amount)


# --- Quanzhou: eligibility, one-time amounts, contracts --------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2023, 6, 15), 6, date(2023, 12, 15)),
        (date(2023, 5, 31), 6, date(2023, 11, 30)),  # November has no 31st
        (date(2023, 8, 31), 6, date(2024, 2, 29)),  # leap February
        (date(2022, 8, 31), 6, date(2023, 2, 28)),
        (date(2023, 12, 1), 1, date(2024, 1, 1)),
    ],
)
def test_calendar_months_land_on_the_last_day_when_the_day_is_missing(start, months, expected):
    assert add_calendar_months(start, months) == expected


def test_six_months_to_the_day_is_long_enough():
    assert is_recognised_long_enough(date(2023, 5, 30), date(2023, 11, 30), 6)
    assert is_recognised_long_enough(date(2023, 5, 31), date(2023, 11, 30), 6)
    assert not is_recognised_long_enough(date(2023, 6, 1), date(2023, 11, 30), 6)


def _quanzhou(kind="gig_market", score="90", recognized=date(2023, 3, 1), paid=False, contract=None):
    return decide_yearly_outcome(
        QUANZHOU,
        kind=kind,
        score=D(score),
        assessed_on=date(2023, 11, 30),
        recognized_on=recognized,
        one_time_paid=paid,
        purchase_contract=contract,
    )


@pytest.mark.parametrize(
    ("kind", "score", "tier", "amount"),
    [
        ("gig_market", "90", "five_star", "100000.00"),
        ("gig_market", "89.99", "four_star", "80000.00"),
        ("gig_market", "80", "four_star", "80000.00"),
        ("gig_market", "70", "three_star", "50000.00"),
        ("gig_market", "69.99", "none", "0.00"),
        ("gig_station", "90", "five_star", "30000.00"),
        ("gig_station", "80", "four_star", "20000.00"),
        ("gig_station", "79.99", "three_star", "10000.00"),
        ("gig_station", "69.99", "none", "0.00"),
    ],
)
def test_quanzhou_star_bands_and_amounts(kind, score, tier, amount):
    outcome = _quanzhou(kind=kind, score=score)
    assert (outcome.tier, outcome.performance_subsidy) == (tier, D(amount))


def test_station_recognised_less_than_six_months_gets_no_tier_but_still_the_one_time_amount():
    outcome = _quanzhou(recognized=date(2023, 6, 1))
    assert (outcome.eligible, outcome.tier, outcome.performance_subsidy) == (False, None, D("0.00"))
    assert outcome.one_time_subsidy == D("60000.00")


def test_one_time_amount_only_in_the_year_of_recognition_and_only_once():
    assert _quanzhou(kind="gig_station", recognized=date(2023, 1, 10)).one_time_subsidy == D("30000.00")
    assert _quanzhou(kind="gig_station", recognized=date(2023, 1, 10), paid=True).one_time_subsidy == D(
        "0.00"
    )
    assert _quanzhou(kind="gig_station", recognized=date(2022, 12, 31)).one_time_subsidy == D("0.00")


@pytest.mark.parametrize(
    ("contract", "paid_nothing"),
    [
        ((date(2023, 1, 1), date(2023, 12, 31)), True),
        ((date(2023, 11, 30), date(2024, 6, 30)), True),  # starts on the assessment day
        ((date(2023, 1, 1), date(2023, 11, 30)), True),  # ends on the assessment day
        ((date(2023, 1, 1), date(2023, 11, 29)), False),  # ended the day before
        ((date(2023, 12, 1), date(2024, 6, 30)), False),  # starts the day after
    ],
)
def test_purchase_of_services_contract_on_the_assessment_day_removes_both_amounts(contract, paid_nothing):
    outcome = _quanzhou(recognized=date(2023, 1, 10), contract=contract)
    # Without the contract: five-star 100,000 and, recognised in 2023, the one-time 60,000.
    assert outcome.tier == "five_star"
    if paid_nothing:
        assert (outcome.performance_subsidy, outcome.one_time_subsidy) == (D("0.00"), D("0.00"))
        assert "购买服务" in outcome.explanation
    else:
        assert (outcome.performance_subsidy, outcome.one_time_subsidy) == (D("100000.00"), D("60000.00"))
