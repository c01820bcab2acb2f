"""The desk (工作台), the first page after login: what waits for the person, and for bureau staff,
auditors and superusers the picture of a campaign.

One address for everybody; those who work in the admin see it in the admin's look (with its
header and menu), operators and assessors in the portal's phone layout. Thin: the counts come
from desk.waiting, the charts from desk.picture.
"""

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from core.permissions import is_superuser, may_change_in_admin, may_use_admin
from desk.picture import campaign_chosen, campaign_picture, campaigns_offered
from desk.waiting import assessor_waiting, bureau_waiting, jobs_done, operator_waiting
from stations.selectors import station_list


@login_required
def desk(request):
    user = request.user
    now = timezone.now()
    if may_use_admin(user):
        # Bureau staff and superusers have work waiting; auditors only look, so they get the picture.
        waiting = bureau_waiting(user, now=now) if may_change_in_admin(user) else None
        offered = campaigns_offered(user)
        campaign = campaign_chosen(user, offered, request.GET.get("campaign"))
        context = {
            **admin.site.each_context(request),
            "title": "工作台",
            "waiting": waiting,
            "jobs": jobs_done(user, now=now, in_admin=True),
            "offered": offered,
            "picture": campaign_picture(user, campaign) if campaign else None,
            "everything": is_superuser(user),
        }
        return render(request, "desk/admin_desk.html", context)
    if user.is_operator:
        waiting = operator_waiting(user, now=now)
    elif user.is_assessor:
        waiting = assessor_waiting(user, now=now)
    else:
        waiting = []
    stations = list(station_list(actor=user).order_by("code")[:3])
    return render(
        request,
        "desk/portal_desk.html",
        {
            "waiting": waiting,
            "jobs": jobs_done(user, now=now, in_admin=False),
            "stations": stations[:2],
            "more_stations": len(stations) > 2,
            "today": timezone.localdate(now),
        },
    )
