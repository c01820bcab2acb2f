from django.conf import settings
from django.contrib.admin.apps import AdminConfig
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def secret_key_is_set(app_configs, **kwargs):
    """`check --deploy` fails when SECRET_KEY is not set, instead of passing on the placeholder."""
    if settings.SECRET_KEY_MISSING:
        return [
            checks.Error(
                "SECRET_KEY is not set.", hint="Set SECRET_KEY (see .env.example).", id="config.E001"
            )
        ]
    return []


class BureauAdminConfig(AdminConfig):
    default_site = "core.admin_base.BureauAdminSite"
