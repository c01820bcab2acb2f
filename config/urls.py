from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from core import account_views, login_lock_views
from core.health import health

# The second step after the password, and the person's own password (core/account_views.py).
two_factor_urls = (
    [
        path("", account_views.two_factor_setup, name="setup"),
        path("verify/", account_views.two_factor_verify, name="verify"),
        path("recovery-codes/", account_views.two_factor_recovery_codes, name="recovery_codes"),
        path("cancel/", account_views.two_factor_cancel, name="cancel"),
    ],
    "two_factor",
)

admin.site.site_header = "公共就业服务站点考核管理"
admin.site.site_title = "站点考核"
admin.site.index_title = "考核与补助管理"

urlpatterns = [
    # The first page after login, for every role: the desk (工作台, desk/views.py).
    path("", RedirectView.as_view(pattern_name="desk:index", permanent=False), name="home"),
    path("desk/", include("desk.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", include(two_factor_urls)),
    path("accounts/password/", account_views.password_change, name="password_change"),
    path("accounts/password/done/", account_views.password_change_done, name="password_change_done"),
    path("portal/", include("portal.urls")),
    path("portal/", include("assessment.urls")),
    path("portal/", include("subsidies.urls")),
    path("notice/payees/", include("subsidies.public_urls")),
    path("notice/", include("assessment.notice_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("health/", health, name="health"),  # also answered first by core.health.HealthCheckMiddleware
    # Before the admin's own: its "修改密码" page records the change in the audit trail; the page
    # keeps the admin's name (admin:password_change resolves here) and the admin's login check.
    path("admin/password_change/", admin.site.admin_view(account_views.admin_password_change)),
    path("admin/login-locks/", admin.site.admin_view(login_lock_views.login_locks), name="login_locks"),
    path(
        "admin/login-locks/<int:user_id>/unlock/",
        admin.site.admin_view(login_lock_views.login_lock_unlock),
        name="login_lock_unlock",
    ),
    path(
        "admin/login-locks/address/unlock/",
        admin.site.admin_view(login_lock_views.login_lock_unlock_address),
        name="login_lock_unlock_address",
    ),
    path(
        "admin/login-locks/two-factor-reset/",
        admin.site.admin_view(login_lock_views.two_factor_reset),
        name="two_factor_reset",
    ),
    path("admin/", admin.site.urls),
]
