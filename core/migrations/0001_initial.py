"""The audit trail moves here from stations: the table stays (stations_auditentry), only Django's
idea of which app owns the model changes, so this migration touches the state and not the database.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("stations", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEntry",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="时间")),
                        ("action", models.CharField(max_length=64, verbose_name="操作")),
                        ("object_id", models.CharField(max_length=64)),
                        ("object_repr", models.CharField(max_length=200, verbose_name="对象")),
                        ("region_path", models.CharField(blank=True, editable=False, max_length=255)),
                        ("from_state", models.CharField(blank=True, max_length=32, verbose_name="原状态")),
                        ("to_state", models.CharField(blank=True, max_length=32, verbose_name="新状态")),
                        ("reason", models.TextField(blank=True, verbose_name="原因")),
                        ("changes", models.JSONField(blank=True, default=dict, verbose_name="变更内容")),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="操作人",
                            ),
                        ),
                        (
                            "content_type",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="contenttypes.contenttype",
                            ),
                        ),
                        (
                            "station",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="audit_entries",
                                to="stations.station",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "操作记录",
                        "verbose_name_plural": "操作记录",
                        "db_table": "stations_auditentry",
                        "ordering": ["-at", "-id"],
                        "indexes": [
                            models.Index(fields=["content_type", "object_id"], name="audit_target_idx")
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
