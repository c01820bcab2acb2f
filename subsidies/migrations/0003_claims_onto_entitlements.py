"""Existing claims are linked to their entitlements (a data step of its own, for PostgreSQL)."""

from django.db import migrations

COMMITTED = {"noticed": "committed", "approved": "committed", "paid": "paid"}


def claims_onto_entitlements(apps, schema_editor):
    SubsidyClaim = apps.get_model("subsidies", "SubsidyClaim")
    Entitlement = apps.get_model("assessment", "Entitlement")
    mismatched = []
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
        if claim.status in COMMITTED and entitlement.amount != claim.amount:
            # Money the public saw (or that was paid) must not be tied to another amount silently.
            mismatched.append(f"{claim.pk}: 申报 {claim.amount} 元，应享 {entitlement.amount} 元")
            continue
        if claim.status in COMMITTED:
            entitlement.status = COMMITTED[claim.status]
            entitlement.save(update_fields=["status"])
        claim.entitlement = entitlement
        claim.save(update_fields=["entitlement"])
    if mismatched:
        raise RuntimeError(
            "以下已公示、批准或拨付的申报与其考核结果金额不一致，请人工核对后再迁移：" + "；".join(mismatched)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("subsidies", "0002_claims_against_entitlements"),
        ("assessment", "0004_results_read_the_ledger"),
    ]

    operations = [
        migrations.RunPython(claims_onto_entitlements, migrations.RunPython.noop),
    ]
