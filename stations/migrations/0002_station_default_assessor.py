"""A station's standing assessors become one default assessor that a new campaign copies.

Who assesses a station is decided per campaign (CampaignStation.assessor); the many-to-many
`assessors` also let an assessor see a station, a second source of truth that is removed here.
The first assessor assigned to each station (the oldest row whose user has the assessor role,
the only role the new field offers) is kept as its default.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("stations", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="station",
            name="default_assessor",
            field=models.ForeignKey(
                blank=True,
                help_text="新开考核批次时复制为该站点的评估人员（可在批次中改派）；本身不授予查看或评分站点的权限。",
                limit_choices_to={"role": "assessor"},
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="default_assessed_stations",
                to=settings.AUTH_USER_MODEL,
                verbose_name="默认评估人员",
            ),
        ),
    ]
