"""Each station's first standing assessor becomes its default (a data step of its own, for PostgreSQL)."""

from django.db import migrations


def assessors_to_default(apps, schema_editor):
    Station = apps.get_model("stations", "Station")
    Assignment = Station.assessors.through
    first: dict[int, int] = {}
    rows = Assignment.objects.filter(user__role="assessor").order_by("pk")
    for station_id, user_id in rows.values_list("station_id", "user_id"):
        first.setdefault(station_id, user_id)
    for station_id, user_id in first.items():
        Station.objects.filter(pk=station_id).update(default_assessor_id=user_id)


def default_to_assessors(apps, schema_editor):
    Station = apps.get_model("stations", "Station")
    Assignment = Station.assessors.through
    Assignment.objects.bulk_create(
        Assignment(station_id=station_id, user_id=user_id)
        for station_id, user_id in Station.objects.filter(default_assessor__isnull=False).values_list(
            "pk", "default_assessor_id"
        )
    )


class Migration(migrations.Migration):
    dependencies = [("stations", "0002_station_default_assessor")]

    operations = [
        migrations.RunPython(assessors_to_default, default_to_assessors),
    ]
