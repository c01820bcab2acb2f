import sys

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def install_seed_policies(sender, using="default", verbosity=1, stdout=None, **kwargs) -> None:
    """Install the missing seed policies; say which installed ones differ from the shipped seeds."""
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    from assessment.models import Policy
    from assessment.services.policies import seed_policies_install

    connection = connections[using]
    # Migrating backwards can leave the app without its tables, or its tables without the columns
    # today's models read; there is nothing to install or compare then.
    if Policy._meta.db_table not in connection.introspection.table_names():
        return
    executor = MigrationExecutor(connection)
    latest = [node for node in executor.loader.graph.leaf_nodes() if node[0] == sender.label]
    if executor.migration_plan(latest):
        return
    report = seed_policies_install()
    if verbosity > 0:
        out = stdout or sys.stdout
        for state in report.differing:
            out.write(
                f"注意：政策 {state.code} 的数据库最新版本 v{state.version} 与随附版本不同"
                f"（{len(state.differences)} 处，如：{state.differences[0]}），未作更改。"
                f"运行 manage.py seed_policies 查看差异，"
                f"manage.py seed_policies --install {state.code} 安装为新版本。\n"
            )


class AssessmentConfig(AppConfig):
    name = "assessment"
    verbose_name = "考核政策与评分"

    def ready(self) -> None:
        # Register the policy scopes with the shared selector registry.
        from assessment import selectors  # noqa: F401

        # Like Django's own content types, the seed policies are there after every migrate.
        post_migrate.connect(install_seed_policies, sender=self)
