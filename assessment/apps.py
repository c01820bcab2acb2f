from django.apps import AppConfig
from django.db.models.signals import post_migrate


def install_seed_policies(sender, using="default", **kwargs) -> None:
    from django.db import connections

    from assessment.models import Policy
    from assessment.services.policies import seed_policies_install

    # Migrating backwards can leave the app without its tables; there is nothing to install then.
    if Policy._meta.db_table in connections[using].introspection.table_names():
        seed_policies_install()


class AssessmentConfig(AppConfig):
    name = "assessment"
    verbose_name = "考核政策与评分"

    def ready(self) -> None:
        # Register the policy scopes with the shared selector registry.
        from assessment import selectors  # noqa: F401

        # Like Django's own content types, the seed policies are there after every migrate.
        post_migrate.connect(install_seed_policies, sender=self)
