"""The work log (工作日志台账) in the portal, phone first: a station's month, the day form and the Excel
import. Thin views: `stations.worklog` reads and writes; everyone who sees the station reads its log,
only its operators write, and another station's log answers 404."""

import calendar
import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.permissions import Forbidden, operates
from core.upload_limits import FORM_OVERHEAD_BYTES, upload_limit
from core.xlsx import xlsx_response
from stations.models import WORK_LOG_FIELDS, Station
from stations.selectors import operated_station_list, station_get
from stations.worklog import (
    IMPORT_COLUMNS,
    LOG_FIELD_NAMES,
    WORK_LOG_BACKDATE_DAYS,
    WORK_LOG_IMPORT_MAX_BYTES,
    WORK_LOG_MAX_COUNT,
    WORK_LOG_NOTE_MAX,
    WorkLogRefused,
    work_log_day_list,
    work_log_day_save,
    work_log_days,
    work_log_editable,
    work_log_import,
    work_log_template,
    work_log_totals,
)

WEEKDAYS = "一二三四五六日"
# Two characters a column on a 390 px screen; the totals card gives each its full name and unit.
SHORT_LABELS = {
    "job_postings": "岗位",
    "matches": "对接",
    "placements": "就业",
    "training_referrals": "培训",
    "policy_consultations": "咨询",
    "disputes_helped": "维权",
    "enterprise_visits": "走访",
}
MAX_PROBLEMS_SHOWN = 200


def _operated_station(request, code: str) -> Station:
    try:
        return operated_station_list(actor=request.user).get(code=code)
    except Station.DoesNotExist:
        raise Http404("没有这个站点，或您不是它的运营人员。") from None


def _month_start(value: str | None, today: datetime.date) -> datetime.date:
    """The first day of the month `value` names ("2024-03"); this month when it names none."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return datetime.date(year, month, 1) if 2000 <= year <= 2100 else today.replace(day=1)
    except ValueError:
        return today.replace(day=1)


def _parse_day(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value or "")
    except ValueError:
        return None


def _year(value: str | None) -> int | None:
    """The year `?year=2024` names, None when it names none the log could hold."""
    try:
        year = int(value or "")
    except ValueError:
        return None
    return year if 2000 <= year <= 2100 else None


def _work_log_year(request, station: Station, year: int, today: datetime.date):
    """The station's year: each month's seven totals (linked to its days) and the year's.

    A yearly score sheet's "查看明细" opens here: its figure is the year's total, and the months
    show where it came from. The year's days are read in one query and added up by month.
    """
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    months = {number: dict.fromkeys(LOG_FIELD_NAMES, 0) for number in range(1, 13)}
    logged_days = dict.fromkeys(months, 0)
    for row in work_log_days(actor=request.user, station=station, start=start, end=end).values(
        "day", *LOG_FIELD_NAMES
    ):
        logged_days[row["day"].month] += 1
        for name in LOG_FIELD_NAMES:
            months[row["day"].month][name] += row[name]
    totals = {name: sum(month[name] for month in months.values()) for name in LOG_FIELD_NAMES}
    lines = [
        {
            "month": datetime.date(year, number, 1),
            # A month not begun yet has no days to list.
            "url": f"?month={year}-{number:02d}" if datetime.date(year, number, 1) <= today else "",
            "counts": [counts[name] for name in LOG_FIELD_NAMES],
            "days": logged_days[number],
        }
        for number, counts in months.items()
    ]
    return render(
        request,
        "portal/work_log_year.html",
        {
            "station": station,
            "year": year,
            "lines": lines,
            "logged_count": sum(logged_days.values()),
            "columns": [(name, SHORT_LABELS[name]) for name in LOG_FIELD_NAMES],
            "totals": [
                {"short": SHORT_LABELS[name], "label": label, "unit": unit, "total": totals[name]}
                for name, label, unit in WORK_LOG_FIELDS
            ],
            "total_values": [totals[name] for name in LOG_FIELD_NAMES],
            "previous_year": year - 1 if year > 2000 else None,
            "next_year": year + 1 if year < today.year else None,
        },
    )


@login_required
def work_log_month(request, code):
    """The station's month: each day to today with its counts, the month's totals, the months around.

    With `?year=2024` the station's year instead: the twelve months' totals, each linked to its month.
    """
    station = station_get(actor=request.user, code=code)  # out of reach: 404
    today = timezone.localdate()
    year = _year(request.GET.get("year")) if "month" not in request.GET else None
    if year is not None:
        return _work_log_year(request, station, year, today)
    first = _month_start(request.GET.get("month"), today)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    logged = {
        row.day: row for row in work_log_days(actor=request.user, station=station, start=first, end=last)
    }
    totals = work_log_totals(station_ids=[station.pk], start=first, end=last)[station.pk]
    can_edit = operates(request.user, station)
    day_url = reverse("portal:work_log_day", args=[station.code])
    lines = []
    for number in range(1, last.day + 1):
        day = first.replace(day=number)
        if day > today:
            break
        row = logged.get(day)
        lines.append(
            {
                "day": day,
                "weekday": WEEKDAYS[day.weekday()],
                "weekend": day.weekday() >= 5,
                "counts": [getattr(row, name) for name in LOG_FIELD_NAMES] if row else None,
                "note": row.note if row else "",
                "edit_url": f"{day_url}?day={day:%Y-%m-%d}"
                if can_edit and work_log_editable(station, day, today=today)
                else "",
            }
        )
    lines.reverse()  # the latest day first: on a phone, today is what the operator came for
    previous = first - datetime.timedelta(days=1)
    has_previous = station.recognized_on is None or previous >= station.recognized_on
    latest = None
    if not logged:
        # An empty month says where the last record is, one query only when there is nothing to show.
        latest = (
            work_log_day_list(actor=request.user)
            .filter(station=station)
            .order_by("-day")
            .values_list("day", flat=True)
            .first()
        )
    return render(
        request,
        "portal/work_log_month.html",
        {
            "station": station,
            "first": first,
            "lines": lines,
            "logged_count": len(logged),
            "columns": [(name, SHORT_LABELS[name]) for name in LOG_FIELD_NAMES],
            "totals": [
                {"short": SHORT_LABELS[name], "label": label, "unit": unit, "total": totals[name]}
                for name, label, unit in WORK_LOG_FIELDS
            ],
            "total_values": [totals[name] for name in LOG_FIELD_NAMES],
            "previous_month": f"{previous:%Y-%m}" if has_previous else "",
            "next_month": f"{last + datetime.timedelta(days=1):%Y-%m}" if last < today else "",
            "this_month": f"{today:%Y-%m}",
            "latest": latest,
            "can_edit": can_edit,
        },
    )


_COUNT_ERRORS = {
    "required": "必填，没有请填 0",
    "invalid": "请填整数",
    "min_value": "不能为负数",
    "max_value": f"不能超过 {WORK_LOG_MAX_COUNT}",
}


class WorkLogDayForm(forms.Form):
    day = forms.DateField(
        label="日期",
        widget=forms.DateInput(attrs={"type": "date", "data-reload-day": "1"}, format="%Y-%m-%d"),
        error_messages={"required": "请选择日期", "invalid": "日期格式应为 YYYY-MM-DD"},
    )
    note = forms.CharField(
        label="备注",
        required=False,
        max_length=WORK_LOG_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"当天服务概况，不超过 {WORK_LOG_NOTE_MAX} 字；不写姓名、身份证号、电话。",
        error_messages={"max_length": f"不超过 {WORK_LOG_NOTE_MAX} 字"},
    )
    # The day the figures on the form were loaded for: saving over another day's record asks first.
    loaded_for = forms.DateField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label, unit in WORK_LOG_FIELDS:
            field = forms.IntegerField(
                label=label,
                min_value=0,
                max_value=WORK_LOG_MAX_COUNT,
                error_messages=_COUNT_ERRORS,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1, "min": 0}),
            )
            field.unit = unit
            self.fields[name] = field
        self.order_fields(["day", *LOG_FIELD_NAMES, "note"])

    def count_fields(self):
        return [self[name] for name in LOG_FIELD_NAMES]


@login_required
@require_http_methods(["GET", "POST"])
def work_log_day(request, code):
    """Record a day, or change it: the date defaults to today, a logged day's figures fill the form."""
    station = _operated_station(request, code)
    today = timezone.localdate()
    existing_notice = None
    if request.method == "POST":
        form = WorkLogDayForm(request.POST)
        if form.is_valid():
            day = form.cleaned_data["day"]
            row = work_log_day_list(actor=request.user).filter(station=station, day=day).first()
            if row is not None and form.cleaned_data["loaded_for"] != day:
                # The date was changed on the form to a day already logged: show that day's figures
                # beside the new ones and save only on a second press.
                data = request.POST.copy()
                data["loaded_for"] = f"{day:%Y-%m-%d}"
                form = WorkLogDayForm(data)
                form.is_valid()
                existing_notice = _figures_line(row)
            else:
                try:
                    saved = work_log_day_save(
                        station=station,
                        day=day,
                        counts={name: form.cleaned_data[name] for name in LOG_FIELD_NAMES},
                        note=form.cleaned_data["note"],
                        actor=request.user,
                    )
                except ValidationError as exc:
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                except Forbidden as exc:
                    form.add_error(None, exc.message)
                else:
                    messages.success(request, _saved_message(saved))
                    return redirect(f"{reverse('portal:work_log', args=[station.code])}?month={day:%Y-%m}")
        day = form.cleaned_data.get("day") if hasattr(form, "cleaned_data") else None
        row = None
    else:
        day = _parse_day(request.GET.get("day")) or today
        row = work_log_day_list(actor=request.user).filter(station=station, day=day).first()
        initial = {"day": day, "loaded_for": day, "note": row.note if row else ""}
        initial.update({name: getattr(row, name) if row else None for name in LOG_FIELD_NAMES})
        form = WorkLogDayForm(initial=initial)
    return render(
        request,
        "portal/work_log_day.html",
        {
            "station": station,
            "form": form,
            "row": row,
            "day": day,
            "existing_notice": existing_notice,
            "editable": day is None or work_log_editable(station, day, today=today),
            "today": today,
            "backdate_days": WORK_LOG_BACKDATE_DAYS,
            "month_url": f"{reverse('portal:work_log', args=[station.code])}?month={(day or today):%Y-%m}",
        },
    )


def _figures_line(row) -> str:
    parts = [f"{label} {getattr(row, name)} {unit}" for name, label, unit in WORK_LOG_FIELDS]
    return "，".join(parts) + (f"；备注：{row.note}" if row.note else "")


def _saved_message(saved) -> str:
    day = f"{saved.row.day:%Y-%m-%d}"
    if saved.outcome == "created":
        return f"已记录 {day} 的工作日志。"
    if saved.outcome == "changed":
        return f"已修改 {day} 的工作日志（已留下修改记录）。"
    return f"{day} 的工作日志没有变化。"


class WorkLogUploadForm(forms.Form):
    file = forms.FileField(label="工作日志文件（.xlsx）", error_messages={"required": "请选择要导入的文件。"})


@upload_limit(WORK_LOG_IMPORT_MAX_BYTES + FORM_OVERHEAD_BYTES)
@login_required
@require_http_methods(["GET", "POST"])
def work_log_import_view(request, code):
    """Upload a filled template: every row checked first, all or nothing, every problem listed."""
    station = _operated_station(request, code)
    form = WorkLogUploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    refused = ""
    if request.method == "POST" and form.is_valid():
        try:
            done = work_log_import(station=station, file=form.cleaned_data["file"], actor=request.user)
        except WorkLogRefused as exc:
            refused = str(exc)
            problems = [str(problem) for problem in exc.problems]
        except Forbidden as exc:
            refused = exc.message
        else:
            messages.success(
                request,
                f"已导入 {done.first_day:%Y-%m-%d} 至 {done.last_day:%Y-%m-%d} 的工作日志："
                f"新增 {done.created} 天，修改 {done.changed} 天，未变 {done.unchanged} 天。",
            )
            return redirect(f"{reverse('portal:work_log', args=[station.code])}?month={done.last_day:%Y-%m}")
    return render(
        request,
        "portal/work_log_import.html",
        {
            "station": station,
            "form": form,
            "refused": refused,
            "problems": problems[:MAX_PROBLEMS_SHOWN],
            "more_problems": max(0, len(problems) - MAX_PROBLEMS_SHOWN),
            "columns": IMPORT_COLUMNS,
            "max_size": f"{WORK_LOG_IMPORT_MAX_BYTES // (1024 * 1024)} MB",
            "backdate_days": WORK_LOG_BACKDATE_DAYS,
        },
    )


@login_required
def work_log_template_download(request):
    return xlsx_response(work_log_template(), "工作日志导入模板.xlsx")
