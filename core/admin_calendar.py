"""The admin's working calendar (节假日安排): the public holidays and make-up working days of each year.

Bureau staff and superusers enter each year's list as the State Council publishes it (usually in
the autumn before); auditors read it. Notice periods are counted on it (`core.working_days`), so
the list page says when the current or the coming year has not been entered, and every entry,
change and removal is recorded in the history.
"""

from django.contrib import admin, messages
from django.db import transaction
from django.utils import timezone

from core.admin_base import ScopedAdmin
from core.audit import changed_fields
from core.models import CalendarDay
from core.permissions import may_change_in_admin
from core.scoping import register_scope
from core.workflow import record_audit
from core.working_days import unrecorded_message

# The calendar is the country's: everyone who may use the admin reads all of it.
register_scope(CalendarDay, lambda *, actor: CalendarDay.objects.all())

WEEKDAYS = "一二三四五六日"
# From this month on the coming year's list is due (the State Council publishes it in the autumn),
# and notices given late in the year reach into it.
NEXT_YEAR_DUE_MONTH = 10


@admin.register(CalendarDay)
class CalendarDayAdmin(ScopedAdmin):
    list_display = ["day", "weekday", "kind", "name"]
    list_filter = ["kind"]
    search_fields = ["name"]
    date_hierarchy = "day"
    ordering = ["-day"]  # the coming year's list first: that is the one being entered
    fields = ["day", "kind", "name"]

    @admin.display(description="星期")
    def weekday(self, obj: CalendarDay) -> str:
        return f"星期{WEEKDAYS[obj.day.weekday()]}"

    def has_delete_permission(self, request, obj=None):
        # A wrongly entered day is removed by the staff who keep the calendar (the history keeps it).
        return may_change_in_admin(request.user)

    def changelist_view(self, request, extra_context=None):
        today = timezone.localdate()
        due = [today.year] + ([today.year + 1] if today.month >= NEXT_YEAR_DUE_MONTH else [])
        entered = set(CalendarDay.objects.filter(day__year__in=due).values_list("day__year", flat=True))
        missing = [year for year in due if year not in entered]
        if missing and request.method == "GET":
            messages.warning(request, unrecorded_message(missing))
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        before = CalendarDay.objects.get(pk=obj.pk) if change else CalendarDay()
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            record_audit(
                target=obj,
                actor=request.user,
                action="calendar.change" if change else "calendar.create",
                changes=changed_fields(before, obj, self.fields),
            )
