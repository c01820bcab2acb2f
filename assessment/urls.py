from django.urls import path

from assessment import annual_report_views, views

app_name = "assessment"

urlpatterns = [
    path("sheets/<int:pk>/", views.sheet_detail, name="sheet_detail"),
    path("sheets/<int:pk>/self/", views.sheet_self_edit, name="sheet_self_edit"),
    path("sheets/<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("sheets/<int:pk>/annual-report/", annual_report_views.annual_report, name="annual_report"),
    path("sheets/<int:pk>/onsite/", views.sheet_onsite_edit, name="sheet_onsite_edit"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/delete/", views.evidence_delete, name="evidence_delete"),
    path("assignments/<int:pk>/declare/", views.assignment_declare, name="assignment_declare"),
    path("rectifications/<int:pk>/", views.rectification_detail, name="rectification_detail"),
    path(
        "rectifications/<int:pk>/evidence/",
        views.rectification_evidence_upload,
        name="rectification_evidence_upload",
    ),
]
