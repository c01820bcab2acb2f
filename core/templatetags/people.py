"""Template filters that show a person by name: `{% load people %}` then `{{ user|person }}`."""

from django import template

from core import people

register = template.Library()


@register.filter
def person(user) -> str:
    """周敏, never the login name; "—" where there is nobody."""
    return people.person_name(user)


@register.filter
def person_with_unit(user) -> str:
    """陈立（云梦县众信评估咨询有限公司）, for the assessor of a third-party firm."""
    return people.person_with_unit(user)
