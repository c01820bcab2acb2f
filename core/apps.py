from django.apps import AppConfig


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
