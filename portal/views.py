"""The portal's own pages: home (stations and assessment tasks), a station's page and its contact
form. Thin views over the selectors and services of every app."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from assessment.selectors import assignment_list, rectification_list, sheet_list
from core.permissions import Forbidden, may_use_admin, operates
from stations.forms import StationContactForm
from stations.models import Station
from stations.selectors import operated_station_list, station_get, station_list
from stations.services import station_contact_update


@login_required
def home(request):
    stations = list(station_list(actor=request.user).order_by("code")[:200])
    if request.user.is_operator and len(stations) == 1:
        return redirect("portal:station_detail", code=stations[0].code)
    assignments = assignment_list(actor=request.user).order_by("campaign__code", "station__code")[:200]
    return render(
        request,
        "portal/home.html",
        {"stations": stations, "assignments": assignments, "show_admin_link": may_use_admin(request.user)},
    )


@login_required
def station_detail(request, code):
    station = station_get(actor=request.user, code=code)
    can_edit = operates(request.user, station)
    sheets = sheet_list(actor=request.user).filter(station=station).order_by("-campaign__year", "period")[:60]
    orders = rectification_list(actor=request.user).filter(station=station)[:20]
    return render(
        request,
        "portal/station_detail.html",
        {"station": station, "can_edit": can_edit, "sheets": sheets, "orders": orders},
    )


@login_required
def station_contact_edit(request, code):
    try:
        station = operated_station_list(actor=request.user).get(code=code)
    except Station.DoesNotExist:
        raise Http404("没有这个站点，或您不是它的运营人员。") from None
    form = StationContactForm(request.POST or None, instance=station)
    if request.method == "POST" and form.is_valid():
        try:
            changed = station_contact_update(station=station, actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except Forbidden as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "联系信息已保存。" if changed else "没有需要保存的修改。")
            return redirect("portal:station_detail", code=station.code)
    return render(request, "portal/station_contact_form.html", {"station": station, "form": form})
