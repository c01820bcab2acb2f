"""The December construction summary (建设情况汇总表) a county sends its city, from a campaign's page.

Each December the county reports its gig markets and stations to the city, and a city adds up its
counties. The table answers what the city asks, one row per county and kind of station, then a
total per kind (and over every kind): how many stations there are, how many were recognised this
year and in all, what the year's subsidies paid came to by kind of subsidy, and how many people
the stations placed in work over the year.

Every figure comes from the data, read when the table is made: stations (their kind, region,
status and recognition date), the paid claims of the year with their payouts, and the stations'
work log (`stations.worklog.work_log_totals`). The campaign gives the region, the year and the
kinds of station; nothing internal (codes of the campaign or policy, file names, the documents
our policies were built from) is written.

It lives here, not with the campaign's other tables in `assessment.documents.tables`, because it
reads the money paid, and the apps import one way (subsidies may read assessment, never the other
way round). `SubsidiesConfig.ready` adds it to `assessment.documents.tables.EXPORTS` under
"construction", so the campaign page's button and the table job (`assessment.jobs`) find it
there like any other table.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

from django.db.models import Count, Exists, OuterRef, QuerySet, Sum
from django.utils import timezone

from assessment.documents.score_sheet import RegionNames
from assessment.documents.tables import TableExport, bureau_name
from assessment.engine.decimal_math import ZERO
from assessment.scoring import compiled_policy
from core.xlsx import DECIMAL_FORMAT as MONEY_FORMAT
from core.xlsx import XlsxSheet
from stations.models import Region, Station, StationKind
from stations.selectors import station_list
from stations.worklog import LOG_FIELD_LABELS, LOG_FIELD_UNITS, work_log_totals
from subsidies.models import ClaimKind, Payout, Placement, SubsidyClaim

KIND_LABELS = dict(StationKind.choices)
SUBSIDY_LABELS = dict(ClaimKind.choices)
CHUNK = 2000  # stations per query: the work log's totals are read for this many at a time
COUNT_FORMAT = "0"
PLACEMENTS = "placements"
# A claim the station has handed in (submitted, under review, on notice, approved or paid): its
# roster can no longer be replaced (subsidies.services.rosters), so the people on it are the ones
# the claim stands on. A draft's or a returned claim's roster may still change; a refused one's was
# not accepted.
FILED = (
    SubsidyClaim.Status.SUBMITTED,
    SubsidyClaim.Status.REVIEWED,
    SubsidyClaim.Status.NOTICED,
    SubsidyClaim.Status.APPROVED,
    SubsidyClaim.Status.PAID,
)
ROSTER_COLUMN = "花名册登记就业人数（人）"
LOG_COLUMN = f"工作日志记录推荐就业人数（{LOG_FIELD_UNITS[PLACEMENTS]}，全年）"


class _RegionPath:
    """What `RegionNames.ancestor_at` reads of a region: its path."""

    __slots__ = ("path",)

    def __init__(self, path: str):
        self.path = path


@dataclass
class _Tally:
    """The figures of one county and kind of station."""

    stations: int = 0
    recognised_this_year: int = 0
    recognised: int = 0
    paid: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    placements: int = 0
    rostered: int = 0

    def add(self, other: _Tally) -> None:
        self.stations += other.stations
        self.recognised_this_year += other.recognised_this_year
        self.recognised += other.recognised
        for kind, amount in other.paid.items():
            self.paid[kind] += amount
        self.placements += other.placements
        self.rostered += other.rostered


@dataclass
class ConstructionSummaryTable(TableExport):
    """One row per county and kind of station, a total per kind, and one over every kind.

    Counted (the 统计口径 sheet says the same to the reader):
    - 站点数: stations not revoked, recognised by the end of the year or not yet recognised;
    - 本年新认定 / 累计认定: of those, recognised within the year / by its end;
    - 已拨付补助: claims for the year that have been paid, the payout's amount, by kind of subsidy
      (revoked stations included: the money was paid);
    - 花名册登记就业人数: the rows of the stations' placement rosters (岗位推荐成功花名册) for the
      year, of the stations whose yearly claim for the year has been handed in (`FILED`);
    - 工作日志记录推荐就业人数: the placements in the stations' work log from 1 January to 31 December.
    The two differ: a roster lists the people a claim stands on, the log what a station noted day by
    day (a county may keep one and not the other), so both are shown, neither in place of the other.
    A county whose stations are all out of the reader's reach shows zeros, as does a county with none.
    """

    name: ClassVar[str] = "construction-summary"

    @property
    def year(self) -> int:
        return self.campaign.year

    def kinds(self) -> list[str]:
        return list(self.campaign.policy.kinds)

    def _stations(self) -> QuerySet[Station]:
        stations = Station.objects.all() if self.actor is None else station_list(actor=self.actor)
        return stations.filter(region__path__startswith=self.campaign.region.path, kind__in=self.kinds())

    def _paid(self) -> QuerySet:
        """(station, subsidy kind, sum paid) for the year's paid claims of the stations in reach."""
        return (
            Payout.objects.filter(
                claim__station__in=self._stations().values("pk"),
                claim__year=self.year,
                claim__status=SubsidyClaim.Status.PAID,
            )
            .order_by()
            .values_list("claim__station_id", "claim__kind")
            .annotate(total=Sum("amount"))
        )

    def _rostered(self) -> QuerySet:
        """(station, people on its roster) for the year's rosters behind a handed-in yearly claim."""
        filed = SubsidyClaim.objects.filter(
            station=OuterRef("station"),
            year=self.year,
            kind=ClaimKind.PERFORMANCE,
            status__in=FILED,
        )
        return (
            Placement.objects.filter(Exists(filed), station__in=self._stations().values("pk"), year=self.year)
            .order_by()
            .values_list("station_id")
            .annotate(people=Count("pk"))
        )

    def subsidy_kinds(self, paid_kinds: set[str] = frozenset()) -> list[str]:
        """The kinds of subsidy shown: those the policy grants, and any other found paid."""
        spec, _ = compiled_policy(self.campaign.policy)
        schedule = spec.subsidy_schedule
        granted = set()
        if not schedule.pays_nothing:
            granted.add(ClaimKind.PERFORMANCE)
        if schedule.one_time_basis == "first_recognition":
            granted.add(ClaimKind.ONE_TIME)
        if schedule.one_time_basis == "start_up":
            granted.add(ClaimKind.START_UP)
        return [kind for kind in ClaimKind.values if kind in granted or kind in paid_kinds]

    def tallies(self) -> tuple[list[tuple[str, dict[str, _Tally]]], list[str]]:
        """([(county name, {station kind: tally})] in county-code order, the subsidy kinds shown)."""
        region = self.campaign.region
        names = RegionNames(region).prime_subtree(max_level=Region.Level.COUNTY)
        # Every county of the region has its row, one without stations too: the city sees it reported.
        counties = list(
            Region.objects.filter(path__startswith=region.path, level=Region.Level.COUNTY)
            .order_by("code")
            .values_list("code", flat=True)
        )
        # A campaign of a county is that county; stations above county level form a row of their own.
        own = f"{region.code}#own"
        tallies: dict[str, dict[str, _Tally]] = {
            code: {kind: _Tally() for kind in self.kinds()} for code in counties
        }
        year_end = datetime.date(self.year, 12, 31)
        county_of: dict[int, str] = {}
        kind_of: dict[int, str] = {}
        by_path: dict[str, str] = {}
        rows = self._stations().values_list("pk", "kind", "status", "region__path", "recognized_on")
        for pk, kind, status, path, recognized_on in rows.iterator(chunk_size=CHUNK):
            county = by_path.get(path)
            if county is None:
                county = names.ancestor_at(_RegionPath(path), Region.Level.COUNTY) or own
                by_path[path] = county
            county_of[pk], kind_of[pk] = county, kind
            tally = tallies.setdefault(county, {k: _Tally() for k in self.kinds()})[kind]
            if status == Station.Status.REVOKED or (recognized_on and recognized_on > year_end):
                continue
            tally.stations += 1
            if recognized_on:
                tally.recognised += 1
                tally.recognised_this_year += int(recognized_on.year == self.year)
        paid_kinds: set[str] = set()
        for station_id, subsidy_kind, total in self._paid():
            tallies[county_of[station_id]][kind_of[station_id]].paid[subsidy_kind] += total
            paid_kinds.add(subsidy_kind)
        for station_id, people in self._rostered():
            tallies[county_of[station_id]][kind_of[station_id]].rostered += people
        ids = list(county_of)
        start = datetime.date(self.year, 1, 1)
        for offset in range(0, len(ids), CHUNK):
            logged = work_log_totals(station_ids=ids[offset : offset + CHUNK], start=start, end=year_end)
            for station_id, totals in logged.items():
                tallies[county_of[station_id]][kind_of[station_id]].placements += totals[PLACEMENTS]
        named = [(names.names.get(code, code), tallies[code]) for code in counties]
        if own in tallies:
            named.append((f"{region.name}本级", tallies[own]))
        return named, self.subsidy_kinds(paid_kinds)

    def header(self, subsidy_kinds: list[str]) -> list[str]:
        paid = [f"{self.year}年度已拨付{SUBSIDY_LABELS[kind]}（元）" for kind in subsidy_kinds]
        return [
            "县（市、区）",
            "站点类型",
            "站点数（个）",
            f"{self.year}年新认定（个）",
            "累计认定（个）",
            *paid,
            *([f"{self.year}年度已拨付补助合计（元）"] if len(paid) > 1 else []),
            ROSTER_COLUMN,
            LOG_COLUMN,
        ]

    def _row(self, county: str, kind: str, tally: _Tally, subsidy_kinds: list[str]) -> list[object]:
        paid = [tally.paid.get(kind_, ZERO) for kind_ in subsidy_kinds]
        return [
            county,
            kind,
            tally.stations,
            tally.recognised_this_year,
            tally.recognised,
            *paid,
            *([sum(paid, ZERO)] if len(paid) > 1 else []),
            tally.rostered,
            tally.placements,
        ]

    def table(self) -> tuple[list[str], list[list[object]]]:
        """The header and every row: counties × kinds, a total per kind, then over every kind."""
        header, rows, _ = self._table()
        return header, rows

    def _table(self) -> tuple[list[str], list[list[object]], list[str]]:
        counties, subsidy_kinds = self.tallies()
        rows: list[list[object]] = []
        by_kind = {kind: _Tally() for kind in self.kinds()}
        for county, tallies in counties:
            for kind in self.kinds():
                rows.append(self._row(county, KIND_LABELS.get(kind, kind), tallies[kind], subsidy_kinds))
                by_kind[kind].add(tallies[kind])
        total_name = f"{self.campaign.region.name}合计"
        for kind in self.kinds():
            rows.append(self._row(total_name, KIND_LABELS.get(kind, kind), by_kind[kind], subsidy_kinds))
        if len(self.kinds()) > 1:
            everything = _Tally()
            for tally in by_kind.values():
                everything.add(tally)
            rows.append(self._row(total_name, "全部类型", everything, subsidy_kinds))
        return self.header(subsidy_kinds), rows, subsidy_kinds

    def title(self) -> str:
        kinds = "、".join(KIND_LABELS.get(k, k) for k in self.kinds())
        return f"{self.campaign.region.name}{self.year}年度{kinds}建设情况汇总表"

    def caption(self) -> list[str]:
        """Title, period and issuer above the figures, as the bureau signs and sends the sheet."""
        region = self.campaign.region
        today, now = timezone.localdate(), timezone.localtime()
        issued = f"填报单位：{bureau_name(region)}（盖章）"
        if region.parent_id is not None:
            issued += f"　　报送：{bureau_name(region.parent)}"
        return [
            self.title(),
            f"统计年度：{self.year}年　　数据截至：{now.year}年{now.month}月{now.day}日 {now:%H:%M}",
            f"{issued}　　填报日期：{today.year}年{today.month}月{today.day}日",
        ]

    def notes(self, subsidy_kinds: list[str]) -> Iterator[list[object]]:
        """What each column of the main sheet counts, one line per column it has (a policy paying
        nothing has no money column, so no line about money)."""
        year = self.year
        kinds = "、".join(KIND_LABELS.get(k, k) for k in self.kinds())
        yield [
            "统计范围",
            f"{self.campaign.region.name}及下辖各县（市、区）的{kinds}，每县每类一行，末尾为合计。",
        ]
        yield ["统计时间", timezone.localtime()]
        yield [
            "站点数（个）",
            f"导出时资格未被撤销的站点，包括认定日期在 {year} 年 12 月 31 日及以前的站点，"
            f"和已登记但还没有认定日期的站点；认定日期在 {year + 1} 年 1 月 1 日及以后的、已撤销资格的站点不计。",
        ]
        yield [
            f"{year}年新认定（个）",
            f"计入站点数的站点中，认定日期在 {year} 年 1 月 1 日至 12 月 31 日的。",
        ]
        yield ["累计认定（个）", f"计入站点数的站点中，有认定日期的（均在 {year} 年 12 月 31 日及以前）。"]
        for kind in subsidy_kinds:
            yield [
                f"{year}年度已拨付{SUBSIDY_LABELS[kind]}（元）",
                f"申报年度为 {year} 年、截至导出时已登记拨付的{SUBSIDY_LABELS[kind]}，按拨付记录的金额合计；"
                "站点后来被撤销资格的，已拨付的金额仍计入。",
            ]
        if len(subsidy_kinds) > 1:
            yield [f"{year}年度已拨付补助合计（元）", "以上各类已拨付补助之和。"]
        yield [
            ROSTER_COLUMN,
            f"各站 {year} 年度岗位推荐成功花名册登记的人数之和，只计 {year} 年度绩效补助申报已提交"
            "（含审核中、公示中、已批准和已拨付）的站点；申报未提交、退回修改或不予补助的不计。"
            "同一人被两个站点的花名册登记的，各计一次。",
        ]
        yield [
            LOG_COLUMN,
            f"各站工作日志台账中 {year} 年 1 月 1 日至 12 月 31 日登记的“{LOG_FIELD_LABELS[PLACEMENTS]}”人数之和，"
            "站点日常记录，不论是否申报补助；与花名册人数来源不同，二者可能不一致。",
        ]

    def sheets(self) -> list[XlsxSheet]:
        header, rows, subsidy_kinds = self._table()
        money_columns = range(5, len(header) - 2)
        formats = dict.fromkeys((2, 3, 4, len(header) - 2, len(header) - 1), COUNT_FORMAT)
        formats |= dict.fromkeys(money_columns, MONEY_FORMAT)
        return [
            XlsxSheet(
                title="建设情况汇总",
                caption=self.caption(),
                header=header,
                rows=rows,
                column_widths=[18, 16, 12, 14, 12, *[18] * len(money_columns), 18, 22],
                number_formats=formats,
            ),
            XlsxSheet(
                title="统计口径",
                header=["项目", "说明"],
                rows=self.notes(subsidy_kinds),
                column_widths=[30, 90],
            ),
        ]
