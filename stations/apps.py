from django.apps import AppConfig


class StationsConfig(AppConfig):
    name = "stations"
    verbose_name = "站点与人员"

    def ready(self) -> None:
        # Register the station scopes with the shared selector registry (core.scoping).
        # The work log registers its scope in its own module.
        from stations import selectors, worklog  # noqa: F401
