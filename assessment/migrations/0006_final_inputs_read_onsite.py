"""A settled sheet whose final inputs are its on-site inputs stores no copy of them (null)."""

from django.db import migrations
from django.db.models import F


def final_reads_onsite(apps, schema_editor):
    ScoreSheet = apps.get_model("assessment", "ScoreSheet")
    ScoreSheet.objects.filter(status="locked", final_packed=F("onsite_packed")).exclude(
        onsite_packed={}
    ).update(final_packed=None)


def final_copies_onsite(apps, schema_editor):
    ScoreSheet = apps.get_model("assessment", "ScoreSheet")
    ScoreSheet.objects.filter(final_packed__isnull=True).update(final_packed=F("onsite_packed"))


class Migration(migrations.Migration):
    dependencies = [("assessment", "0005_lean_score_sheets")]

    operations = [migrations.RunPython(final_reads_onsite, final_copies_onsite)]
