from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("stations/<str:code>/", views.station_detail, name="station_detail"),
    path("stations/<str:code>/contact/", views.station_contact_edit, name="station_contact_edit"),
    path("jobs/<int:job_id>/", views.job_detail, name="job"),
    path("jobs/<int:job_id>/status/", views.job_status, name="job_status"),
    path("jobs/<int:job_id>/download/", views.job_download, name="job_download"),
    path("jobs/<int:job_id>/retry/", views.job_retry_view, name="job_retry"),
]
