"""The entitlement ledger: every amount the product may pay is one row, read by results and claims.

Existing results keep their amounts: each result's yearly and one-time amounts become entitlements
of its campaign, and the result points to them. Heshan's fixed band gets its label from the
policy ("区级"), which used to be typed into the campaign service.
"""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0001_policies_campaigns_sheets"),
        ("stations", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="policy",
            name="level_band_labels",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text='按认定级别，如 {"district": "区级"}。',
                verbose_name="固定档次的名称",
            ),
        ),
        migrations.CreateModel(
            name="Entitlement",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("year", models.PositiveSmallIntegerField(verbose_name="年度")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("performance", "年度绩效补助"),
                            ("one_time", "一次性运营补助"),
                            ("start_up", "启动资金"),
                        ],
                        max_length=16,
                        verbose_name="补助类型",
                    ),
                ),
                (
                    "amount",
                    models.DecimalField(
                        decimal_places=2,
                        max_digits=12,
                        validators=[django.core.validators.MinValueValidator(0)],
                        verbose_name="应补助金额（元）",
                    ),
                ),
                (
                    "basis",
                    models.CharField(
                        choices=[
                            ("campaign_result", "考核结果"),
                            ("first_recognition", "首次认定"),
                            ("start_up_selection", "年初确定为建设单位"),
                        ],
                        max_length=24,
                        verbose_name="依据",
                    ),
                ),
                ("explanation", models.TextField(verbose_name="计算说明")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("open", "已确定"),
                            ("committed", "已锁定"),
                            ("paid", "已拨付"),
                        ],
                        default="open",
                        editable=False,
                        max_length=16,
                        verbose_name="状态",
                    ),
                ),
                ("decided_at", models.DateTimeField(verbose_name="确定时间")),
                (
                    "campaign",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="entitlements",
                        to="assessment.campaign",
                        verbose_name="考核批次",
                    ),
                ),
                (
                    "policy",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="entitlements",
                        to="assessment.policy",
                        verbose_name="政策",
                    ),
                ),
                (
                    "station",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="entitlements",
                        to="stations.station",
                        verbose_name="站点",
                    ),
                ),
            ],
            options={
                "verbose_name": "应享补助",
                "verbose_name_plural": "应享补助台账",
                "ordering": ["-year", "station__code", "kind"],
            },
        ),
        migrations.AddField(
            model_name="campaignresult",
            name="entitlement",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="assessment.entitlement",
                verbose_name="年度补助",
            ),
        ),
        migrations.AddField(
            model_name="campaignresult",
            name="one_time_entitlement",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="assessment.entitlement",
                verbose_name="一次性补助",
            ),
        ),
    ]
