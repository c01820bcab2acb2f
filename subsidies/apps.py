from django.apps import AppConfig


class SubsidiesConfig(AppConfig):
    name = "subsidies"
    verbose_name = "补助申报与拨付"

    def ready(self) -> None:
        # Register the subsidy scopes with the shared selector registry.
        from subsidies import selectors  # noqa: F401
