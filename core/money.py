"""Money as every app keeps it, and the one whole-unit rounding the apps below assessment need.

`MONEY` is the DecimalField options of every amount in yuan (a policy's amounts, a subsidy claim, a
payout, an operating contract): 2 decimals, never negative. It lives here because stations and
subsidies cannot import it from assessment (assessment depends on them). The rounding of scores
and money to 2 places is `assessment.engine.decimal_math`; stations, which may not import
assessment, round whole counts with `round_half_up_whole`, the same half-up rule.
"""

from fractions import Fraction

from django.core.validators import MinValueValidator

MONEY = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(0)]}


def round_half_up_whole(value: Fraction) -> int:
    """A non-negative exact value rounded to a whole unit, half up (2.5 → 3), rounded once from the
    exact ratio (a Fraction, so no earlier rounding can tip a tie the wrong way)."""
    if value < 0:
        raise ValueError("round_half_up_whole rounds non-negative values only")
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)
