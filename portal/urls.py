from django.urls import path

from portal import application_views, views, worklog_views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("stations/<str:code>/", views.station_detail, name="station_detail"),
    path("stations/<str:code>/contact/", views.station_contact_edit, name="station_contact_edit"),
    # The work log (portal/worklog_views.py): the month, the day form, the Excel import and its template.
    path("stations/<str:code>/work-log/", worklog_views.work_log_month, name="work_log"),
    path("stations/<str:code>/work-log/day/", worklog_views.work_log_day, name="work_log_day"),
    path("stations/<str:code>/work-log/import/", worklog_views.work_log_import_view, name="work_log_import"),
    path("work-log/template.xlsx", worklog_views.work_log_template_download, name="work_log_template"),
    # Recognition of a new station: the public application and its follow-up (no login).
    path("apply/", application_views.station_apply, name="station_apply"),
    path("apply/status/", application_views.station_application_status, name="station_application_status"),
    path("jobs/<int:job_id>/", views.job_detail, name="job"),
    path("jobs/<int:job_id>/status/", views.job_status, name="job_status"),
    path("jobs/<int:job_id>/download/", views.job_download, name="job_download"),
    path("jobs/<int:job_id>/retry/", views.job_retry_view, name="job_retry"),
]
