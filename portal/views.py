"""The portal's own pages: home (stations and assessment tasks), a station's page and its contact
form, and the page of a job an operator started (a large roster import). Thin views over the
selectors and services of every app."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from assessment.selectors import assignment_list, rectification_list, sheet_list
from core.job_views import job_download_response, job_for, job_state_response
from core.jobs import job_retry
from core.models import Job
from core.people import person_name
from core.permissions import Forbidden, may_use_admin, operates
from stations.forms import StationContactForm
from stations.models import Station
from stations.selectors import operated_station_list, station_get, station_list
from stations.services import station_contact_update
from subsidies.models import SubsidyClaim
from subsidies.selectors import claim_list


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


def _job_back_link(job: Job, actor) -> tuple[str, str]:
    """Where the job's page leads back to: the claim it is about (if still in reach), else home."""
    about_claim = job.content_type_id and job.content_type.model_class() is SubsidyClaim
    if about_claim and claim_list(actor=actor).filter(pk=job.object_id).exists():
        return reverse("subsidies:claim_detail", args=[job.object_id]), "返回申报"
    return reverse("portal:home"), "返回首页"


@login_required
def job_detail(request, job_id):
    """A job's page for people who work in the portal: its progress live, its outcome, a retry."""
    job = job_for(request, job_id)  # someone else's job: 404
    back_url, back_label = _job_back_link(job, request.user)
    user = job.started_by
    return render(
        request,
        "portal/job.html",
        {
            "job": job,
            "who": person_name(user),
            "status_url": reverse("portal:job_status", args=[job.pk]),
            "download_url": reverse("portal:job_download", args=[job.pk]),
            "retry_url": reverse("portal:job_retry", args=[job.pk]),
            "back_url": back_url,
            "back_label": back_label,
        },
    )


@login_required
def job_status(request, job_id):
    return job_state_response(request, job_id)


@login_required
def job_download(request, job_id):
    return job_download_response(request, job_id)


@login_required
def job_retry_view(request, job_id):
    job = job_for(request, job_id)  # someone else's job: 404, whatever the method
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        again = job_retry(job=job, actor=request.user)
    except (ValidationError, Forbidden) as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("portal:job", job_id=job.pk)
    messages.success(request, "已重新提交任务。")
    return redirect("portal:job", job_id=again.pk)
