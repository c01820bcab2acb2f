from django.apps import AppConfig


class SubsidiesConfig(AppConfig):
    name = "subsidies"
    verbose_name = "补助申报与拨付"

    def ready(self) -> None:
        # Register the subsidy scopes with the shared selector registry; add the December
        # construction summary, which reads the money paid and so is made here, to assessment's
        # registry of campaign tables, where the campaign page and the table job find it.
        from assessment.documents.tables import EXPORTS
        from subsidies import selectors  # noqa: F401
        from subsidies.construction import ConstructionSummaryTable

        EXPORTS["construction"] = ConstructionSummaryTable
