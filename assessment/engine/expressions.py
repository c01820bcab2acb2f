"""Sums and differences of inputs, as rule parameters write them: "labor_force - registered_unemployed".

Rules name their numerator, denominator, value or part-whole "whole" with such an expression. It is
parsed once when the rubric is compiled, never while scoring.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_SIGN_SPLIT = re.compile(r"\s*([+-])\s*")


class ExpressionError(ValueError):
    """An expression that is not input names joined by + and -."""


@dataclass(frozen=True, slots=True)
class Expression:
    """Input names with a sign each; its value is the signed sum of the inputs' values."""

    terms: tuple[tuple[int, str], ...]
    text: str

    @property
    def names(self) -> tuple[str, ...]:
        """The input names the expression reads, in order."""
        return tuple(name for _, name in self.terms)

    def evaluate(self, values: Mapping[str, int | Decimal]) -> int | Decimal:
        """The signed sum of the named values (ints stay ints, so counts stay exact and fast)."""
        total: int | Decimal = 0
        for sign, name in self.terms:
            if sign > 0:
                total += values[name]
            else:
                total -= values[name]
        return total

    def describe(self, labels: Mapping[str, str]) -> str:
        """The expression with each input's Chinese label instead of its field name."""
        parts = []
        for index, (sign, name) in enumerate(self.terms):
            label = labels.get(name) or name
            if index == 0:
                parts.append(label if sign > 0 else f"-{label}")
            else:
                parts.append(f"{'+' if sign > 0 else '-'}{label}")
        return "".join(parts)


def parse_expression(text: str) -> Expression:
    """Parse "a + b - c" into an `Expression`; raise `ExpressionError` for anything else.

    Only input names and the operators + and - are allowed: the rubrics of the seeds need no
    more, and a rule that needs more should be a new rule kind a reviewer can read, not a formula.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(f"表达式为空或不是文本：{text!r}")
    pieces = _SIGN_SPLIT.split(text.strip())
    # split() with a capturing group alternates name, sign, name, ...; a leading sign gives "".
    terms: list[tuple[int, str]] = []
    sign = 1
    expect_name = True
    for piece in pieces:
        if expect_name:
            if piece == "" and not terms:
                expect_name = False
                continue
            if not _NAME.match(piece):
                raise ExpressionError(f"表达式 {text!r} 中的 {piece!r} 不是字段名")
            terms.append((sign, piece))
            expect_name = False
        else:
            sign = 1 if piece == "+" else -1
            expect_name = True
    if expect_name or not terms:
        raise ExpressionError(f"表达式 {text!r} 不完整")
    return Expression(terms=tuple(terms), text=text.strip())
