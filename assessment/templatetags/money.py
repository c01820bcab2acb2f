from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def yuan(value) -> str:
    """An amount of money as clerks write it: 60,000.00 (exact, two decimals, thousands separated)."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):,.2f}"
