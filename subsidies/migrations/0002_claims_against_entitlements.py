"""A claim is filed against an entitlement and carries its amount.

Existing claims are linked to the entitlement their campaign result already has, or to one made
from the claim itself (one-time and start-up amounts were decided at claim time until now); the
entitlement is committed for claims on a payee notice or approved, paid for paid ones.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0002_entitlement_ledger"),
        ("subsidies", "0001_claims_rosters_payouts"),
    ]

    operations = [
        migrations.AddField(
            model_name="subsidyclaim",
            name="entitlement",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="claims",
                to="assessment.entitlement",
                verbose_name="应享补助",
            ),
        ),
    ]
