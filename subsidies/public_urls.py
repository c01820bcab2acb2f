from django.urls import path

from subsidies import views

app_name = "subsidies_public"

urlpatterns = [path("<int:pk>/", views.payee_notice, name="payee_notice")]
