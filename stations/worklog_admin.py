"""The work log in the admin: a read-only list for bureau staff and auditors, their region's stations'
days. Operators write in the portal (`stations.worklog` services); nobody adds, changes or deletes a
day here, a superuser neither, so every change keeps its audit row."""

from django.contrib import admin

from core.admin_base import ReadOnlyScopedAdmin
from stations.admin import StationSearchMixin, region_tree_filter
from stations.models import WorkLogDay
from stations.selectors import station_list
from stations.worklog import LOG_FIELD_NAMES

# A county's stations fit in a sidebar; a province's do not: above this, the search box finds one.
STATION_FILTER_MAX = 200


class WorkLogStationFilter(admin.SimpleListFilter):
    """One station's days, among the stations in reach (offered when they are few enough to list)."""

    title = "站点"
    parameter_name = "station"

    def lookups(self, request, model_admin):
        stations = list(station_list(actor=request.user).order_by("code")[: STATION_FILTER_MAX + 1])
        if len(stations) > STATION_FILTER_MAX:
            return []
        return [(str(s.pk), f"{s.code} {s.name}") for s in stations]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not (value.isascii() and value.isdigit()):
            return queryset.none()
        return queryset.filter(station_id=int(value))  # the queryset is already scoped


@admin.register(WorkLogDay)
class WorkLogDayAdmin(StationSearchMixin, ReadOnlyScopedAdmin):
    list_display = [
        "day",
        "station_code",
        "station_name",
        *LOG_FIELD_NAMES,
        "note",
        "recorded_by",
        "updated_at",
    ]
    list_display_links = ["day"]
    list_filter = [WorkLogStationFilter, region_tree_filter("station__region__path")]
    date_hierarchy = "day"  # year → month → day: the month's days in two clicks
    search_fields = ["station__code"]  # shows the box; StationSearchMixin searches the station table
    search_help_text = "输入站点编码或名称中的文字。"
    list_select_related = ["station", "recorded_by"]
    ordering = ["-day", "station__code"]
    fields = ["station", "day", *LOG_FIELD_NAMES, "note", "recorded_by", "updated_at"]

    @admin.display(description="站点编码", ordering="station__code")
    def station_code(self, obj):
        return obj.station.code

    @admin.display(description="站点名称")
    def station_name(self, obj):
        return obj.station.name
