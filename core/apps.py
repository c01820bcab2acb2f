from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The shared kit every domain app builds on; it imports none of them."""

    name = "core"
    verbose_name = "操作记录"

    def ready(self) -> None:
        # Groups and permissions get their (superuser-only) scope with the registry itself.
        from core import scoping  # noqa: F401
