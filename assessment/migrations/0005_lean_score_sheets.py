"""Lean score sheets (issue 10): results are derived when shown, inputs are stored packed.

The three `*_result` columns go: a column's points are its inputs scored by the campaign's frozen
policy (`assessment.scoring.column_result`). The inputs columns are renamed `*_packed`, since new
writes store them as a list in the order of the policy's input names (rows written before keep
their dicts, which read the same). The final column may be null: settled on the on-site inputs.
The sheet's campaign and user links lose their own indexes (the unique (campaign, station, period)
leads with the campaign; nothing searches sheets by user). Results keep their section points.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0004_results_read_the_ledger"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveField(model_name="scoresheet", name="self_result"),
        migrations.RemoveField(model_name="scoresheet", name="onsite_result"),
        migrations.RemoveField(model_name="scoresheet", name="final_result"),
        migrations.RenameField(model_name="scoresheet", old_name="self_inputs", new_name="self_packed"),
        migrations.RenameField(model_name="scoresheet", old_name="onsite_inputs", new_name="onsite_packed"),
        migrations.RenameField(model_name="scoresheet", old_name="final_inputs", new_name="final_packed"),
        migrations.AlterField(
            model_name="scoresheet",
            name="final_packed",
            field=models.JSONField(blank=True, default=dict, null=True, verbose_name="审定数据"),
        ),
        migrations.AlterField(
            model_name="scoresheet",
            name="campaign",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="sheets",
                to="assessment.campaign",
                verbose_name="考核批次",
            ),
        ),
        migrations.AlterField(
            model_name="scoresheet",
            name="assessed_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="评估人",
            ),
        ),
        migrations.AlterField(
            model_name="scoresheet",
            name="locked_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="审定人",
            ),
        ),
        migrations.AddField(
            model_name="campaignresult",
            name="section_points",
            field=models.JSONField(blank=True, default=dict, verbose_name="各部分得分"),
        ),
    ]
