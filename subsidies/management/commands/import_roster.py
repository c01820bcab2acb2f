"""`manage.py import_roster --station CODE --year YYYY FILE.xlsx`, or `--template FILE.xlsx`.

Imports (or replaces) a station's placement roster for a year: every row is checked first and
nothing is saved unless all are valid. Exit status 0 when it imports, 1 when it refuses, with one
line per problem on stderr (row and column; never an ID number or a phone).
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from stations.models import Station
from subsidies.services.rosters import RosterRefused, roster_import, roster_template


class Command(BaseCommand):
    help = "导入站点年度岗位推荐成功花名册（.xlsx），或用 --template 写出模板。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="花名册文件（.xlsx）；与 --template 一起时为模板的输出路径")
        parser.add_argument("--station", help="站点编码，如 YM-GS-01")
        parser.add_argument("--year", type=int, help="年度，如 2024")
        parser.add_argument("--template", action="store_true", help="写出空白模板到 FILE")

    def fail(self, lines: list[str]) -> None:
        for line in lines:
            self.stderr.write(line)
        sys.exit(1)

    def handle(self, *args, **options):
        path = Path(options["file"])
        if options["template"]:
            path.write_bytes(roster_template())
            self.stdout.write(f"模板已写出：{path}")
            return
        if not options["station"] or not options["year"]:
            self.fail(["请同时给出 --station 和 --year。"])
        station = Station.objects.filter(code=options["station"]).first()
        if station is None:
            self.fail([f"没有编码为 {options['station']} 的站点。"])
        if not path.is_file():
            self.fail([f"找不到文件 {path}。"])
        with path.open("rb") as handle:
            try:
                roster, warnings = roster_import(
                    station=station, year=options["year"], file=handle, source_name=path.name, actor=None
                )
            except RosterRefused as refused:
                self.fail([str(refused), *(str(problem) for problem in refused.problems)])
        for warning in warnings:
            self.stderr.write(f"提示：{warning}")
        self.stdout.write(f"已导入 {station.code} {options['year']} 年花名册：{roster.row_count} 人。")
