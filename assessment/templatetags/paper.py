"""Filters for printed documents and the score sheet as it is read on screen.

The person filters live in `core.templatetags.people` (every page names people the same way);
they are registered here too so the documents that `{% load paper %}` keep working.
"""

from django import template

from assessment.policies.illustrative import illustrative_notice as notice_for
from assessment.scoring import compiled_policy
from core.templatetags.people import person, person_with_unit

register = template.Library()
register.filter("person", person)
register.filter("person_with_unit", person_with_unit)


@register.filter
def illustrative_notice(campaign) -> str:
    """The one line saying the campaign's point values are illustrative; "" when they are not."""
    if campaign is None:
        return ""
    spec, _ = compiled_policy(campaign.policy)
    return notice_for(spec, region_name=campaign.region.name)
