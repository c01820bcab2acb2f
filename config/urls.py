from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from core.health import health

admin.site.site_header = "公共就业服务站点考核管理"
admin.site.site_title = "站点考核"
admin.site.index_title = "考核与补助管理"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="portal:home", permanent=False), name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("portal/", include("portal.urls")),
    path("portal/", include("assessment.urls")),
    path("portal/", include("subsidies.urls")),
    path("notice/payees/", include("subsidies.public_urls")),
    path("notice/", include("assessment.notice_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("health/", health, name="health"),  # also answered first by core.health.HealthCheckMiddleware
    path("admin/", admin.site.urls),
]
