from django.urls import path

from subsidies import views

app_name = "subsidies"

urlpatterns = [
    path("claims/", views.claim_index, name="claim_index"),
    path("claims/<int:pk>/", views.claim_detail, name="claim_detail"),
    path("claims/<int:pk>/payee/", views.claim_payee, name="claim_payee"),
    path("claims/<int:pk>/materials/", views.claim_material, name="claim_material"),
    path("claims/<int:pk>/roster/", views.claim_roster, name="claim_roster"),
    path("claims/<int:pk>/submit/", views.claim_submit, name="claim_submit"),
    path("claim-materials/<int:pk>/", views.material_download, name="material_download"),
    path("rosters/template.xlsx", views.roster_template, name="roster_template"),
    path("rosters/<int:pk>/export.xlsx", views.roster_export, name="roster_export"),
    path("rosters/<int:pk>/export-full/", views.roster_export_full, name="roster_export_full"),
]
