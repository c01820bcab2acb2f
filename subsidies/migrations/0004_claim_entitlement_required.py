"""Every claim rests on an entitlement."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("subsidies", "0003_claims_onto_entitlements")]

    operations = [
        migrations.AlterField(
            model_name="subsidyclaim",
            name="entitlement",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="claims",
                to="assessment.entitlement",
                verbose_name="应享补助",
            ),
        ),
    ]
