"""Excel tables of a campaign: the result table, the public-notice list and the December
construction summary. Each export is a class that yields rows; `core.xlsx.write_xlsx` is
the one writer (user text stays text, never a formula).

Every export is scoped: the views pass the acting user, whose campaign has been found through
`campaign_list`, and the rows come through `sheet_list`, `result_list` and `station_list`. A
management command passes actor=None and gets every row.
"""

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

from django.db.models import QuerySet
from django.utils import timezone

from assessment.documents.score_sheet import (
    RegionNames,
    mean_of,
    scoped_results,
    station_sheet_groups,
)
from assessment.engine.decision import tier_labels
from assessment.models import Campaign, CampaignStation, ScoreSheet
from assessment.scoring import column_result, compiled_policy
from core.xlsx import XlsxSheet, write_xlsx
from stations.models import Region, Station, StationKind, User
from stations.selectors import station_list

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KIND_LABELS = dict(StationKind.choices)


def tier_text(result) -> str:
    """The tier as the notice page words it."""
    if result is None:
        return "尚未计算"
    if not result.eligible:
        return "未满参评期限，不参加本次考核"
    return (result.tier_label or "—") + ("（末位淘汰）" if result.eliminated else "")


@dataclass
class TableExport:
    """A campaign export: a title, a file name and one or more sheets of rows."""

    campaign: Campaign
    actor: User | None
    name: ClassVar[str] = "table"

    @property
    def filename(self) -> str:
        return f"{self.campaign.code}-{self.name}-{timezone.localdate():%Y%m%d}.xlsx"

    def sheets(self) -> list[XlsxSheet]:
        raise NotImplementedError

    def xlsx(self) -> bytes:
        return write_xlsx(self.sheets())


@dataclass
class CampaignResultTable(TableExport):
    """One row per station: code, name, kind, region, final points by section, total, tier, money.

    For a monthly campaign a section's points are the mean over the months of its final points,
    rounded half-up to 2 decimals like the annual score, and the headers say so; the total is the
    result's score (the mean of the monthly totals), so the section means may differ from it by
    a cent of rounding.
    """

    name: ClassVar[str] = "results"

    def header(self) -> list[str]:
        spec, _ = compiled_policy(self.campaign.policy)
        monthly = bool(self.campaign.months)
        how = f"{len(self.campaign.months)}个月平均" if monthly else "审定"
        sections = [
            f"{section.code} {section.title}（满分{section.max_points.normalize():f}，{how}）"
            for section in spec.rubric.sections
        ]
        total = "年度得分（月度得分平均）" if monthly else "总分"
        return [
            "站点编码",
            "站点名称",
            "站点类型",
            "所在区域",
            *sections,
            total,
            "等次",
            "年度补助（元）",
            "一次性补助（元）",
            "评分表状态",
            "计算说明",
        ]

    def rows(self) -> Iterator[list[object]]:
        spec, _ = compiled_policy(self.campaign.policy)
        codes = [section.code for section in spec.rubric.sections]
        regions = RegionNames(self.campaign.region).prime_subtree(max_level=Region.Level.TOWNSHIP)
        for station, sheets, result, _ in station_sheet_groups(
            campaign=self.campaign, actor=self.actor, with_evidence=False, defer_inputs=True
        ):
            by_section: dict[str, list[Decimal | None]] = {code: [] for code in codes}
            for sheet in sheets:
                found = {
                    s["code"]: Decimal(s["points"]) for s in column_result(sheet, "final").get("sections", [])
                }
                for code in codes:
                    by_section[code].append(found.get(code))
            total = result.score if result else mean_of([sheet.final_total for sheet in sheets])
            locked = sum(1 for sheet in sheets if sheet.status == ScoreSheet.Status.LOCKED)
            state = f"已锁定 {locked}/{len(sheets)}" if len(sheets) > 1 else sheets[0].get_status_display()
            yield [
                station.code,
                station.name,
                KIND_LABELS.get(station.kind, station.kind),
                regions.chain(station.region),
                *[mean_of(by_section[code]) for code in codes],
                total,
                tier_text(result),
                result.subsidy if result else None,
                result.one_time_subsidy if result else None,
                state,
                result.explanation if result else "",
            ]

    def sheets(self) -> list[XlsxSheet]:
        header = self.header()
        return [
            XlsxSheet(
                title="考核结果",
                header=header,
                rows=self.rows(),
                column_widths=[12, 26, 14, 20, *[14] * (len(header) - 10), 12, 16, 14, 14, 14, 60],
            )
        ]


@dataclass
class NoticeListTable(TableExport):
    """The public-notice list as the notice page shows it: rank, station, region, score, tier, money."""

    name: ClassVar[str] = "notice"

    HEADER: ClassVar[list[str]] = [
        "序号",
        "站点编码",
        "站点名称",
        "所在区域",
        "得分",
        "等次",
        "年度补助（元）",
        "一次性补助（元）",
        "计算说明",
    ]

    def results(self) -> QuerySet:
        return (
            scoped_results(campaign=self.campaign, actor=self.actor)
            .select_related("station__region")
            .order_by("-score", "station__code")
        )

    def rows(self) -> Iterator[list[object]]:
        for rank, result in enumerate(self.results().iterator(chunk_size=500), start=1):
            yield [
                rank,
                result.station.code,
                result.station.name,
                result.station.region.name,
                result.score,
                tier_text(result),
                result.subsidy,
                result.one_time_subsidy,
                result.explanation,
            ]

    def sheets(self) -> list[XlsxSheet]:
        title = {Campaign.Status.NOTICE: "公示名单", Campaign.Status.PUBLISHED: "通报名单"}.get(
            self.campaign.status, "结果名单（未公示）"
        )
        return [
            XlsxSheet(
                title=title,
                header=self.HEADER,
                rows=self.rows(),
                column_widths=[6, 12, 26, 14, 10, 16, 14, 14, 60],
            )
        ]


@dataclass
class _CountyTally:
    existing: Counter = field(default_factory=Counter)
    recognised: Counter = field(default_factory=Counter)
    rectifying: Counter = field(default_factory=Counter)
    revoked: Counter = field(default_factory=Counter)
    purchased: Counter = field(default_factory=Counter)
    assessed: Counter = field(default_factory=Counter)
    tiers: Counter = field(default_factory=Counter)  # (kind, tier label)
    subsidy: dict = field(default_factory=lambda: defaultdict(lambda: Decimal("0.00")))
    one_time: dict = field(default_factory=lambda: defaultdict(lambda: Decimal("0.00")))


@dataclass
class ConstructionSummaryTable(TableExport):
    """The county's yearly construction summary for the city （建设情况，seed 002 附件7）.

    Seed 002 (三（二）) asks each county to sum up its gig markets and stations in early December
    and report them to the city; its form (附件7) is not published. This table gives, per county
    of the campaign's region and per kind of station the policy covers: stations existing
    (not revoked), recognised this year, rectifying, revoked, run under a purchase-of-services
    contract, taking part in this campaign, their tiers (stars), and the money: the one-time and
    the yearly subsidy from the campaign's results. A last row sums the city. A second sheet
    states how each column is counted.
    """

    name: ClassVar[str] = "construction-summary"

    def kinds(self) -> list[str]:
        return list(self.campaign.policy.kinds)

    def tier_labels(self) -> list[str]:
        spec, _ = compiled_policy(self.campaign.policy)
        scheme = spec.tier_scheme
        if scheme.method == "ranked":
            fixed = {
                code: label
                for code, label in tier_labels(spec).items()
                if code in scheme.level_bands.values()
            }
            labels = [band.label for band in scheme.bands] + list(dict.fromkeys(fixed.values()))
            labels += ["末位淘汰"] if scheme.elimination else []
        else:
            labels = [threshold.label for threshold in scheme.thresholds]
            labels += [scheme.fallback_label or "未达等次"]
        return labels

    def header(self) -> list[str]:
        columns = ["县（市、区）"]
        for kind in self.kinds():
            label = KIND_LABELS.get(kind, kind)
            columns += [
                f"{label}：现有（个）",
                f"{label}：本年新认定",
                f"{label}：整改中",
                f"{label}：已撤销",
                f"{label}：购买服务运营",
                f"{label}：参加本次考核",
                *[f"{label}：{tier}" for tier in self.tier_labels()],
                f"{label}：年度补助（元）",
            ]
        return [*columns, "一次性补助合计（元）", "年度补助合计（元）", "补助合计（元）"]

    def _stations(self) -> QuerySet[Station]:
        stations = Station.objects.all() if self.actor is None else station_list(actor=self.actor)
        return stations.filter(
            region__path__startswith=self.campaign.region.path, kind__in=self.kinds()
        ).select_related("region")

    def tallies(self) -> list[tuple[str, _CountyTally]]:
        """(county name, tally) by county code; a county-level campaign is one county."""
        year = self.campaign.year
        regions = RegionNames(self.campaign.region).prime_subtree(max_level=Region.Level.COUNTY)
        tallies: dict[str, _CountyTally] = defaultdict(_CountyTally)
        county_of: dict[int, str] = {}
        contract_day = self.campaign.assessed_on
        for station in self._stations().iterator(chunk_size=1000):
            county = regions.ancestor_at(station.region, Region.Level.COUNTY) or self.campaign.region.code
            county_of[station.pk] = county
            tally = tallies[county]
            if station.status == Station.Status.REVOKED:
                tally.revoked[station.kind] += 1
                continue
            tally.existing[station.kind] += 1
            if station.status == Station.Status.RECTIFYING:
                tally.rectifying[station.kind] += 1
            if station.recognized_on and station.recognized_on.year == year:
                tally.recognised[station.kind] += 1
            if (
                station.operating_mode == Station.OperatingMode.PURCHASED
                and station.purchase_contract_start
                and station.purchase_contract_end
                and station.purchase_contract_start <= contract_day <= station.purchase_contract_end
            ):
                tally.purchased[station.kind] += 1
        entries = CampaignStation.objects.filter(
            campaign=self.campaign, station__in=self._stations().values("pk")
        ).values_list("station_id", "station__kind")
        for station_id, kind in entries:
            tallies[county_of[station_id]].assessed[kind] += 1
        for result in scoped_results(campaign=self.campaign, actor=self.actor).select_related("station"):
            county = county_of.get(result.station_id)
            if county is None:
                continue
            tally = tallies[county]
            kind = result.station.kind
            if result.eliminated:
                tally.tiers[(kind, "末位淘汰")] += 1  # counted once, not also in its band
            elif result.eligible and result.tier_label:
                tally.tiers[(kind, result.tier_label)] += 1
            tally.subsidy[kind] += result.subsidy
            tally.one_time[kind] += result.one_time_subsidy
        names = regions.names
        return [(names.get(code, code), tallies[code]) for code in sorted(tallies)]

    def _row(self, county: str, tally: _CountyTally) -> list[object]:
        row: list[object] = [county]
        for kind in self.kinds():
            row += [
                tally.existing[kind],
                tally.recognised[kind],
                tally.rectifying[kind],
                tally.revoked[kind],
                tally.purchased[kind],
                tally.assessed[kind],
                *[tally.tiers[(kind, tier)] for tier in self.tier_labels()],
                tally.subsidy[kind],
            ]
        one_time = sum(tally.one_time.values(), Decimal("0.00"))
        subsidy = sum(tally.subsidy.values(), Decimal("0.00"))
        return [*row, one_time, subsidy, one_time + subsidy]

    def rows(self) -> Iterator[Sequence[object]]:
        total = _CountyTally()
        for county, tally in self.tallies():
            yield self._row(county, tally)
            for name in ("existing", "recognised", "rectifying", "revoked", "purchased", "assessed", "tiers"):
                getattr(total, name).update(getattr(tally, name))
            for kind, amount in tally.subsidy.items():
                total.subsidy[kind] += amount
            for kind, amount in tally.one_time.items():
                total.one_time[kind] += amount
        yield self._row(f"{self.campaign.region.name}合计", total)

    def notes(self) -> Iterator[list[object]]:
        campaign = self.campaign
        yield ["考核批次", f"{campaign.name}（{campaign.code}）"]
        yield [
            "统计范围",
            f"{campaign.region.name}及下辖区域内，{'、'.join(KIND_LABELS.get(k, k) for k in self.kinds())}",
        ]
        yield ["统计时间", timezone.localtime()]
        yield ["考核政策依据", campaign.policy.source or campaign.policy.name]
        yield [
            "报送要求",
            "泉人社规〔2023〕5号 三（二）：每年12月上旬汇总本地区零工市场（驿站）建设情况（附件7），"
            "报送市人社局汇总。附件7格式未公布，本表按下列口径统计。",
        ]
        yield ["现有（个）", "导出时状态为“正常”或“整改中”的站点；“已撤销”另列，不计入现有。"]
        yield ["本年新认定", f"认定日期在 {campaign.year} 年内的现有站点。"]
        yield [
            "购买服务运营",
            f"考核基准日 {campaign.assessed_on:%Y-%m-%d} 在购买服务合同期内的站点（合同期内不重复享受奖补）。",
        ]
        yield ["参加本次考核", "本考核批次的参评站点（认定满规定期限、状态正常）。"]
        yield [
            "等次列",
            "本考核批次计算结果中获得该等次（星级、档次）的站点数；末位淘汰的单位只计入“末位淘汰”；未计算结果时为 0。",
        ]
        yield ["补助（元）", "本考核批次计算结果中的年度补助与一次性补助；公示、通报前的结果可能更正。"]

    def sheets(self) -> list[XlsxSheet]:
        header = self.header()
        return [
            XlsxSheet(
                title="建设情况汇总",
                header=header,
                rows=self.rows(),
                column_widths=[18, *[12] * (len(header) - 1)],
            ),
            XlsxSheet(title="统计口径", header=["项目", "说明"], rows=self.notes(), column_widths=[16, 90]),
        ]


EXPORTS: dict[str, type[TableExport]] = {
    "results": CampaignResultTable,
    "notice": NoticeListTable,
    "construction": ConstructionSummaryTable,
}
