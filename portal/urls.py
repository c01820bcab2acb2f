from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("stations/<str:code>/", views.station_detail, name="station_detail"),
    path("stations/<str:code>/contact/", views.station_contact_edit, name="station_contact_edit"),
]
