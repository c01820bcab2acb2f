"""`manage.py generate_province --units N --stations M --seed S`: a province to measure at scale.

Fills an empty database (only `migrate` run) with a region tree, N communities and villages with
twelve months of locked Heshan sheets (results not computed), M yearly stations under the Yunmeng
and Quanzhou policies (computed and published), bureau accounts, rosters and claims; see
`portal/province.py`. Prints each step with its time and one line `campaign CODE` per campaign.
"""

import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from portal.province import ProvinceRefused, province_generate


class Command(BaseCommand):
    help = "在空数据库中生成一个省的测试数据：行政区划、社区（村）及 12 个月评分表、年度考核站点、补助申报。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--units", type=int, required=True, help="社区（村）数，按赫山区评价体系按月评分")
        parser.add_argument(
            "--stations", type=int, required=True, help="年度考核站点数（云梦、泉州政策各半）"
        )
        parser.add_argument("--seed", type=int, default=1, help="随机种子：同一种子生成同样的数据（默认 1）")
        parser.add_argument(
            "--one-by-one",
            action="store_true",
            help="逐张评分表调用服务（Excel 导入、逐张审定），不走批量路径；用于核对两者写入相同的数据，很慢",
        )

    def handle(
        self, *args: Any, units: int, stations: int, seed: int, one_by_one: bool, **options: Any
    ) -> None:
        try:
            report = province_generate(
                units=units, stations=stations, seed=seed, one_by_one=one_by_one, say=self.stdout.write
            )
        except ProvinceRefused as error:
            raise CommandError(str(error)) from None
        except ValidationError as error:
            raise CommandError(f"生成失败，未保存任何数据：{'；'.join(error.messages)}") from None
        if connection.vendor == "postgresql":
            # A bulk load leaves the planner's statistics empty until autovacuum gets round to it;
            # without them a county's sheet list joins 360,000 rows before it pages (1.2 ms with).
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            self.stdout.write(f"更新数据库统计信息（ANALYZE）（{time.perf_counter() - started:.2f} 秒）")
        total = sum(seconds for _, seconds, _ in report.steps)
        self.stdout.write(f"共用时 {total:.2f} 秒。")
        for code in report.campaigns:
            self.stdout.write(f"办理人 {report.actors[code]}：考核批次 {code}")
        for code in report.campaigns:
            self.stdout.write(f"campaign {code}")
