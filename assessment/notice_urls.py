from django.urls import path

from assessment import views

app_name = "notice"

urlpatterns = [
    path("<slug:code>/", views.notice_detail, name="detail"),
    path("<slug:code>/objection/", views.objection_new, name="objection"),
]
