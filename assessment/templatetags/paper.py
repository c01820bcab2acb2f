"""Filters for printed documents."""

from django import template

register = template.Library()


@register.filter
def person(user) -> str:
    """A person as a Chinese form names them: family name first, no space (陈立); else the login name."""
    if user is None:
        return "—"
    name = f"{user.last_name}{user.first_name}".strip()
    return name or user.username


@register.filter
def person_with_unit(user) -> str:
    """陈立（云梦县众信评估咨询有限公司）, for the assessor of a third-party firm."""
    if user is None:
        return "—"
    organisation = (user.organisation or "").strip()
    return f"{person(user)}（{organisation}）" if organisation else person(user)
