"""Results read their amounts from the ledger: the copied columns go, the link becomes required."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("assessment", "0003_results_into_ledger")]

    operations = [
        migrations.RemoveField(model_name="campaignresult", name="one_time_subsidy"),
        migrations.RemoveField(model_name="campaignresult", name="subsidy"),
        migrations.AlterField(
            model_name="campaignresult",
            name="entitlement",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="assessment.entitlement",
                verbose_name="年度补助",
            ),
        ),
        migrations.AddConstraint(
            model_name="entitlement",
            constraint=models.UniqueConstraint(
                condition=models.Q(("campaign__isnull", False)),
                fields=("campaign", "station", "kind"),
                name="entitlement_one_per_campaign_station_kind",
            ),
        ),
        migrations.AddConstraint(
            model_name="entitlement",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "one_time")),
                fields=("station",),
                name="entitlement_one_time_once",
            ),
        ),
        migrations.AddConstraint(
            model_name="entitlement",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "start_up")),
                fields=("station", "year"),
                name="entitlement_start_up_once_a_year",
            ),
        ),
    ]
