"""Start-up of the login lock and the second factor, as an app of its own (no models).

Its `ready()` runs after the admin has collected every app's admin pages and before any request:
it connects the receivers that record locks and start the session clock, and takes django-otp's
device pages out of the admin (in English, and showing keys; a person manages their own second
factor on their account pages).
"""

from django.apps import AppConfig


class AccountSecurityConfig(AppConfig):
    name = "core.account_security"
    label = "account_security"
    verbose_name = "账号安全"

    def ready(self) -> None:
        from django.contrib import admin
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from core import login_lock, sessions  # noqa: F401  (signal receivers)

        for model in (TOTPDevice, StaticDevice):
            if admin.site.is_registered(model):
                admin.site.unregister(model)
