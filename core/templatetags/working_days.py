"""`{% notice_period start end %}`: "2026年12月1日至2026年12月7日（5个工作日）" on the working calendar."""

from django import template
from django.utils.html import format_html

from core.working_days import chinese_date
from core.working_days import notice_period as period_of

register = template.Library()


@register.simple_tag
def notice_period(start, end) -> str:
    """A notice's first and last day in China, with the working days between them; "" without both.

    Each date and the count are kept whole on a narrow phone (`.nowrap`): a line never breaks
    inside "（5个工作日）".
    """
    if not start or not end:
        return ""
    period = period_of(start, end)
    return format_html(
        '<span class="nowrap">{}</span>至<span class="nowrap">{}</span><span class="nowrap">（{}个工作日）</span>',
        chinese_date(period.first),
        chinese_date(period.last),
        period.working_days,
    )
