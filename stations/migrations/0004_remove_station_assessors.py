"""The standing assessors are gone: a campaign's assignment alone lets an assessor see a station."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("stations", "0003_default_assessor_from_assessors")]

    operations = [
        migrations.RemoveField(
            model_name="station",
            name="assessors",
        ),
    ]
