"""A claim is filed against an entitlement and carries its amount.

Existing claims are linked to the entitlement their campaign result already has, or to one made
from the claim itself (one-time and start-up amounts were decided at claim time until now); the
entitlement is committed for claims on a payee notice or approved, paid for paid ones.
"""

import django.db.models.deletion
from django.db import migrations, models

COMMITTED = {"noticed": "committed", "approved": "committed", "paid": "paid"}


def claims_onto_entitlements(apps, schema_editor):
    SubsidyClaim = apps.get_model("subsidies", "SubsidyClaim")
    Entitlement = apps.get_model("assessment", "Entitlement")
    for claim in SubsidyClaim.objects.order_by("pk").iterator(chunk_size=2000):
        found = Entitlement.objects.filter(station_id=claim.station_id, kind=claim.kind)
        if claim.kind == "performance":
            found = found.filter(campaign_id=claim.campaign_id)
        elif claim.kind == "start_up":
            found = found.filter(year=claim.year)
        entitlement = found.first()
        if entitlement is None:
            entitlement = Entitlement.objects.create(
                station_id=claim.station_id,
                year=claim.year,
                kind=claim.kind,
                amount=claim.amount,
                policy_id=claim.policy_id,
                basis={"one_time": "first_recognition", "start_up": "start_up_selection"}.get(
                    claim.kind, "campaign_result"
                ),
                campaign_id=claim.campaign_id,
                explanation=claim.explanation,
                decided_at=claim.created_at,
            )
        if claim.status in COMMITTED:
            entitlement.status = COMMITTED[claim.status]
            entitlement.save(update_fields=["status"])
        claim.entitlement = entitlement
        claim.save(update_fields=["entitlement"])


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
        migrations.RunPython(claims_onto_entitlements, migrations.RunPython.noop),
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
