"""Existing results keep their amounts: each becomes an entitlement of its campaign.

A data step of its own: PostgreSQL refuses to alter a table in the transaction that just wrote
rows to it (pending foreign-key trigger events), so the schema changes around it are separate
migrations. Heshan's fixed band gets its label ("区级"), which used to be typed into the service.
"""

from django.db import migrations


def label_fixed_bands(apps, schema_editor):
    Policy = apps.get_model("assessment", "Policy")
    for policy in Policy.objects.exclude(level_bands={}):
        if "district" in (policy.level_bands or {}) and not policy.level_band_labels:
            policy.level_band_labels = {"district": "区级"}
            policy.save(update_fields=["level_band_labels"])


def results_into_ledger(apps, schema_editor):
    CampaignResult = apps.get_model("assessment", "CampaignResult")
    Entitlement = apps.get_model("assessment", "Entitlement")
    for result in CampaignResult.objects.select_related("campaign").iterator(chunk_size=2000):
        campaign = result.campaign
        result.entitlement = Entitlement.objects.create(
            station_id=result.station_id,
            year=campaign.year,
            kind="performance",
            amount=result.subsidy,
            policy_id=campaign.policy_id,
            basis="campaign_result",
            campaign=campaign,
            explanation=f"{campaign.name}：{result.explanation}",
            decided_at=result.computed_at,
        )
        if (
            result.one_time_subsidy
            and not Entitlement.objects.filter(station_id=result.station_id, kind="one_time").exists()
        ):
            result.one_time_entitlement = Entitlement.objects.create(
                station_id=result.station_id,
                year=campaign.year,
                kind="one_time",
                amount=result.one_time_subsidy,
                policy_id=campaign.policy_id,
                basis="first_recognition",
                campaign=campaign,
                explanation=f"{campaign.name}：{result.explanation}",
                decided_at=result.computed_at,
            )
        result.save(update_fields=["entitlement", "one_time_entitlement"])


class Migration(migrations.Migration):
    dependencies = [("assessment", "0002_entitlement_ledger")]

    operations = [
        migrations.RunPython(label_fixed_bands, migrations.RunPython.noop),
        migrations.RunPython(results_into_ledger, migrations.RunPython.noop),
    ]
