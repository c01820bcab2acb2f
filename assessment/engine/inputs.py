"""Reading and checking the values a unit enters on its score sheet.

Values arrive from JSON, a form or a spreadsheet: numbers may be ints, decimals, decimal strings
or floats; flags must be true or false; a text (a written reason) must be a string. Each value is
checked against its input type and turned into the exact type the rules compute with (int for
counts, Decimal for rates, numbers and points, bool for flags, a stripped str for a text).
Problems are collected, never raised, so a clerk sees all of them at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from assessment.engine.decimal_math import LARGEST_MAGNITUDE, format_plain, round_half_up

_DECIMAL_TEXT = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")

#: The longest written reason a sheet keeps: a sentence or two, not a report.
TEXT_MAX_CHARS = 500


@dataclass(frozen=True, slots=True)
class InputProblem:
    """One thing wrong with one input field, in words a clerk can act on."""

    field: str
    message: str


def read_number(raw: Any) -> int | Decimal | None:
    """An exact number from a JSON value, or None when it is not a number.

    Accepts an int, a Decimal, a plain decimal string ("93.2", "-1") and, for callers that have
    one, a float (through its shortest repr, so 93.2 stays 93.2). A bool is not a number here even
    though Python treats it as one: `true` in a count is a mistake, not 1.
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        raw = repr(raw)
    if isinstance(raw, str):
        if not _DECIMAL_TEXT.fullmatch(raw):
            return None
        try:
            raw = Decimal(raw)
        except InvalidOperation:  # pragma: no cover - the pattern already excludes this
            return None
    if isinstance(raw, Decimal) and raw.is_finite():
        return raw
    return None


def is_too_large(value: int | Decimal) -> bool:
    """Whether a number is beyond any count, rate or score a unit can have."""
    return abs(value) >= LARGEST_MAGNITUDE


def parse_input_value(input_type: str, raw: Any, points_max: Decimal | None = None) -> tuple[Any, str | None]:
    """Check one raw value against its input type; return (exact value, None) or (None, message).

    count: a whole number >= 0 (3 and 3.0 are fine, 3.5 is not); rate: a percentage 0..100, kept
    exact; number: a decimal >= 0; points: 0..`points_max`, rounded half-up to 2 decimals after the
    range check (like a score); flag: true or false only; text: a string, stripped, at most
    `TEXT_MAX_CHARS` characters ("" is fine here: the rule that reads it decides when it is needed).
    """
    if input_type == "text":
        if not isinstance(raw, str):
            return None, "应为文字"
        text = raw.strip()
        if len(text) > TEXT_MAX_CHARS:
            return None, f"不能超过 {TEXT_MAX_CHARS} 字（现有 {len(text)} 字）"
        return text, None
    if input_type == "flag":
        if isinstance(raw, bool):
            return raw, None
        return None, "应为 true 或 false"
    number = read_number(raw)
    if number is None:
        return None, "应为数字"
    if is_too_large(number):
        return None, "数值过大"
    if number < 0:
        return None, "不能为负数"
    if input_type == "count":
        if isinstance(number, Decimal):
            if number != number.to_integral_value():
                return None, "应为整数"
            number = int(number)
        return number, None
    if input_type == "rate":
        if number > 100:
            return None, "应为 0 到 100 之间的百分比"
        return Decimal(number), None
    if input_type == "points":
        if points_max is not None and number > points_max:
            return None, f"应在 0 到 {format_plain(points_max)} 分之间"
        return round_half_up(Decimal(number)), None
    return Decimal(number), None
