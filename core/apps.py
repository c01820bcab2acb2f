from django.apps import AppConfig
from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def audit_keep_days_at_least_minimum(app_configs, **kwargs):
    """AUDIT_KEEP_DAYS under the legal minimum would purge access records the law says to keep."""
    from core.audit import AUDIT_KEEP_DAYS_MIN

    if settings.AUDIT_KEEP_DAYS < AUDIT_KEEP_DAYS_MIN:
        return [
            checks.Error(
                f"AUDIT_KEEP_DAYS is {settings.AUDIT_KEEP_DAYS}; audit records must be kept at least "
                f"{AUDIT_KEEP_DAYS_MIN} days.",
                hint=f"Set AUDIT_KEEP_DAYS to {AUDIT_KEEP_DAYS_MIN} or more, or leave it unset.",
                id="core.E020",
            )
        ]
    return []


class CoreConfig(AppConfig):
    """The shared kit every domain app builds on; it imports none of them."""

    name = "core"
    verbose_name = "操作记录"

    def ready(self) -> None:
        # Groups and permissions get their (superuser-only) scope with the registry itself.
        from django.utils.module_loading import autodiscover_modules

        from core import scoping  # noqa: F401

        # Each app registers its kinds of job (core.jobs.job_kind) in its own jobs module.
        autodiscover_modules("jobs")
