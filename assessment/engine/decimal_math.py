"""Exact rounding and display of scores, points and money.

Every score and amount in the product passes through here, so the one rounding rule lives in one
place: half-up (away from zero on a tie) to 2 decimals, applied once, to an exact value. Values
that come out of a division are carried as `Fraction` until that single rounding, because a
`Decimal` division of, say, 1/3 is already rounded and can tip a later x.xx5 the wrong way.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

TWO_PLACES = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)

#: Anything this large is a typing slip, and would only slow exact arithmetic down (1e99999999
#: as a Fraction is an integer of a hundred million digits).
LARGEST_MAGNITUDE = 10**12
#: The most decimal places a rubric's number needs (a factor such as 0.00007 has 5); more is a
#: slip, and 1e-99999999 would make a Fraction as large as 1e99999999 does.
MOST_PLACES = 6

Exact = Decimal | Fraction | int


class NumberProblem(ValueError):
    """Why a value is not a number a policy can use, as a short Chinese phrase ("数值过大")."""


class NotANumber(NumberProblem):
    """Not a number at all ("八十", "NaN", true), as opposed to a number out of bounds."""


def parse_decimal(raw: Any) -> Decimal:
    """A number written in a policy or typed by a clerk, as an exact `Decimal` of bounded size.

    Accepts an int, a Decimal or a decimal text ("0.5", " 3 ", "1e2"); a float through its
    shortest repr. Refuses, with `NumberProblem`: what is not a number (a bool included), a
    non-finite one, a magnitude of `LARGEST_MAGNITUDE` or more, and more than `MOST_PLACES`
    decimals. Every number the engine turns into a `Fraction` passes here first, so none can
    make it build a huge integer or overflow the decimal context when shown.
    """
    if isinstance(raw, bool) or raw is None:
        raise NotANumber("不是数字")
    if isinstance(raw, float):
        raw = repr(raw)
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise NotANumber("不是数字") from None
    if not value.is_finite():
        raise NotANumber("不是数字")
    # copy_abs() and comparisons are exact (abs() would round to the context and overflow).
    if value.copy_abs() >= LARGEST_MAGNITUDE:
        raise NumberProblem("数值过大")
    _, digits, exponent = value.as_tuple()
    if exponent < 0 and any(digits):
        written = "".join(map(str, digits))
        places = -exponent - (len(written) - len(written.rstrip("0")))
        if places > MOST_PLACES:
            raise NumberProblem(f"小数最多 {MOST_PLACES} 位")
    if exponent < -MOST_PLACES:
        # Only zeros beyond the places kept ("0.50000000", "0E-999999999"): dropped, exactly.
        value = value.quantize(Decimal(1).scaleb(-MOST_PLACES))
    return value


def round_half_up(value: Exact) -> Decimal:
    """Round an exact value half-up to 2 decimals and return it as a `Decimal` with 2 places.

    Accepts a `Decimal`, an `int` or a `Fraction`; a `Fraction` is rounded with integer arithmetic
    so the result is exact whatever its denominator (a `Decimal` division would round first).
    Ties go away from zero, as `ROUND_HALF_UP` does, so 2.005 becomes 2.01 and -2.005 becomes -2.01.
    """
    # type() rather than isinstance(): Fraction's ABC check is slow, and this runs per item.
    value_type = type(value)
    if value_type is Fraction:
        numerator, denominator = value.numerator, value.denominator
        negative = numerator < 0
        hundredths, remainder = divmod(abs(numerator) * 100, denominator)
        if 2 * remainder >= denominator:
            hundredths += 1
        return Decimal(-hundredths if negative else hundredths).scaleb(-2)
    if value_type is int:
        return Decimal(value).quantize(TWO_PLACES)
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def as_fraction(value: Exact) -> Fraction:
    """Return `value` as an exact `Fraction` (a `Decimal` is converted without loss)."""
    value_type = type(value)
    if value_type is Fraction:
        return value
    if value_type is int:
        return Fraction(value)
    return Fraction(*value.as_integer_ratio())


def format_two_places(value: Exact) -> str:
    """Show a value with exactly 2 decimals, rounding half-up if it has more ("93.2" -> "93.20")."""
    return f"{round_half_up(value):f}"


def format_plain(value: Exact) -> str:
    """Show a finite value without trailing zeros or exponent ("95.0" -> "95", "0.50" -> "0.5").

    Used for numbers a clerk typed or a policy states (targets, steps, counts), which should read
    as written. A `Fraction` that is not a finite decimal is shown rounded to 2 places.
    """
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        as_decimal = _terminating_decimal(value)
        if as_decimal is None:
            return format_two_places(value)
        value = as_decimal
    text = f"{value.normalize():f}"
    return "0" if text in {"-0", "0"} else text


def _terminating_decimal(value: Fraction) -> Decimal | None:
    """The exact `Decimal` for a fraction whose denominator is 2^a * 5^b, else None."""
    denominator = value.denominator
    twos = fives = 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator != 1:
        return None
    places = max(twos, fives)
    scaled = value * 10**places
    return Decimal(scaled.numerator).scaleb(-places)
