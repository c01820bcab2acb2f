"""Excel tables of a campaign: the result table and the public-notice list (the December
construction summary joins `EXPORTS` from `subsidies.construction`). Each export is a class that
yields rows; `core.xlsx` is the one writer (user text stays text, never a formula), streaming into
a temporary file for a download.

The rows are read as plain values (`values_list`, a chunk of stations at a time), never as model
objects, and no sheet is scored again for a table: a province's result table costs about what
writing its cells costs.

Every export is scoped: the views pass the acting user, whose campaign has been found through
`campaign_list`, and the rows come through `sheet_list`, `result_list` and `station_list`. A
management command passes actor=None and gets every row.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar, NamedTuple

from django.db.models import Count, Max, Q, QuerySet
from django.http import FileResponse
from django.utils import timezone

from assessment.documents.score_sheet import (
    RegionNames,
    mean_of,
    scoped_results,
    scoped_sheets,
)
from assessment.models import Campaign, CampaignResult, ScoreSheet
from assessment.policies.illustrative import illustrative_notice, plain_title
from assessment.scoring import column_result, compiled_policy
from core.xlsx import XLSX_CONTENT_TYPE, XlsxSheet, write_xlsx, xlsx_response
from stations.models import Region, Station, StationKind, User

__all__ = ["EXPORTS", "XLSX_CONTENT_TYPE", "tier_text"]

KIND_LABELS = dict(StationKind.choices)
CHUNK = 2000  # stations (or results) read per query: memory stays flat however large the campaign
# Once results carry their per-section annual points, the table reads them instead of scoring sheets.
RESULTS_HAVE_SECTIONS = any(f.name == "section_points" for f in CampaignResult._meta.get_fields())


class ResultRow(NamedTuple):
    """What the tables read of a result: its fields and its entitlements' amounts."""

    station_id: int
    score: Decimal
    eligible: bool
    tier_label: str
    eliminated: bool
    subsidy: Decimal
    one_time: Decimal | None
    explanation: str

    @property
    def one_time_subsidy(self) -> Decimal:
        return Decimal("0.00") if self.one_time is None else self.one_time


RESULT_COLUMNS = [
    "station_id",
    "score",
    "eligible",
    "tier_label",
    "eliminated",
    "entitlement__amount",
    "one_time_entitlement__amount",
    "explanation",
]


class _RegionPath(NamedTuple):
    """The one thing `RegionNames` reads of a region."""

    path: str


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
    def pays_money(self) -> bool:
        """False for a rating whose policy pays nothing: its tables leave the money columns out."""
        spec, _ = compiled_policy(self.campaign.policy)
        return not spec.subsidy_schedule.pays_nothing

    @property
    def filename(self) -> str:
        return f"{self.campaign.code}-{self.name}-{timezone.localdate():%Y%m%d}.xlsx"

    def sheets(self) -> list[XlsxSheet]:
        raise NotImplementedError

    def xlsx(self) -> bytes:
        return write_xlsx(self.sheets())

    def response(self) -> FileResponse:
        """The table as a download, streamed from a temporary file."""
        return xlsx_response(self.sheets(), self.filename)


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
            f"{section.code} {plain_title(section.title)}（满分{section.max_points.normalize():f}，{how}）"
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
            *(["年度补助（元）", "一次性补助（元）"] if self.pays_money else []),
            "评分表状态",
            "计算说明",
        ]

    def rows(self) -> Iterator[list[object]]:
        spec, _ = compiled_policy(self.campaign.policy)
        codes = [section.code for section in spec.rubric.sections]
        regions = RegionNames(self.campaign.region).prime_subtree(max_level=Region.Level.TOWNSHIP)
        sheets = scoped_sheets(campaign=self.campaign, actor=self.actor)
        results = scoped_results(campaign=self.campaign, actor=self.actor)
        stations = (
            Station.objects.filter(pk__in=sheets.values("station_id"))
            .order_by("code")
            .values_list("pk", "code", "name", "kind", "region__path")
        )
        chains: dict[str, str] = {}  # region path -> names, over the whole table
        money = self.pays_money
        for chunk in _chunks(stations.iterator(chunk_size=CHUNK), CHUNK):
            ids = [station[0] for station in chunk]
            counts = {
                row["station_id"]: row
                for row in sheets.filter(station_id__in=ids)
                .order_by()
                .values("station_id")
                .annotate(
                    count=Count("pk"),
                    locked=Count("pk", filter=Q(status=ScoreSheet.Status.LOCKED)),
                    status=Max("status"),
                )
            }
            found = {
                row[0]: ResultRow(*row)
                for row in results.filter(station_id__in=ids).order_by().values_list(*RESULT_COLUMNS)
            }
            sections = section_points(self.campaign, sheets, ids, found, codes)
            totals = _final_totals(sheets, [pk for pk in ids if pk not in found])
            for pk, code, name, kind, region_path in chunk:
                result, count, points = found.get(pk), counts[pk], sections.get(pk, {})
                total = result.score if result else mean_of(totals.get(pk, [None]))
                if count["count"] > 1:
                    state = f"已锁定 {count['locked']}/{count['count']}"
                else:
                    state = ScoreSheet.Status(count["status"]).label
                yield [
                    code,
                    name,
                    KIND_LABELS.get(kind, kind),
                    chains.get(region_path)
                    or chains.setdefault(region_path, regions.chain(_RegionPath(region_path))),
                    *[points.get(section) for section in codes],
                    total,
                    tier_text(result),
                    *(
                        ([result.subsidy, result.one_time_subsidy] if result else [None, None])
                        if money
                        else []
                    ),
                    state,
                    result.explanation if result else "",
                ]

    def caption(self) -> list[str]:
        """The table's title and, for a rubric with illustrative point values, the one line saying so."""
        spec, _ = compiled_policy(self.campaign.policy)
        notice = illustrative_notice(spec, region_name=self.campaign.region.name)
        name = self.campaign.name  # mostly "…考核" already: not "…考核考核结果表"
        title = f"{name}结果表" if name.endswith("考核") else f"{name}考核结果表"
        return [title, *([notice] if notice else [])]

    def sheets(self) -> list[XlsxSheet]:
        header = self.header()
        money = [14, 14] if self.pays_money else []
        sections = len(header) - 8 - len(money)
        return [
            XlsxSheet(
                title="考核结果",
                caption=self.caption(),
                header=header,
                rows=self.rows(),
                column_widths=[12, 26, 14, 20, *[14] * sections, 12, 16, *money, 14, 60],
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
        return scoped_results(campaign=self.campaign, actor=self.actor).order_by("-score", "station__code")

    def header(self) -> list[str]:
        money = ["年度补助（元）", "一次性补助（元）"]
        return [column for column in self.HEADER if self.pays_money or column not in money]

    def rows(self) -> Iterator[list[object]]:
        rows = self.results().values_list(
            *RESULT_COLUMNS, "station__code", "station__name", "station__region__name"
        )
        width = len(RESULT_COLUMNS)
        money = self.pays_money
        for rank, row in enumerate(rows.iterator(chunk_size=CHUNK), start=1):
            result = ResultRow(*row[:width])
            code, name, region = row[width:]
            yield [
                rank,
                code,
                name,
                region,
                result.score,
                tier_text(result),
                *([result.subsidy, result.one_time_subsidy] if money else []),
                result.explanation,
            ]

    def sheets(self) -> list[XlsxSheet]:
        title = {Campaign.Status.NOTICE: "公示名单", Campaign.Status.PUBLISHED: "通报名单"}.get(
            self.campaign.status, "结果名单（未公示）"
        )
        return [
            XlsxSheet(
                title=title,
                header=self.header(),
                rows=self.rows(),
                column_widths=[6, 12, 26, 14, 10, 16, *([14, 14] if self.pays_money else []), 60],
            )
        ]


def bureau_name(region: Region) -> str:
    """The human-resources bureau of a region as it signs: 云梦县人力资源和社会保障局, a province's 厅."""
    suffix = "厅" if region.level == Region.Level.PROVINCE else "局"
    return f"{region.name}人力资源和社会保障{suffix}"


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _final_totals(sheets: QuerySet[ScoreSheet], station_ids: list[int]) -> dict[int, list[Decimal | None]]:
    """The final totals of these stations' sheets, by period: the annual score before results exist."""
    totals: dict[int, list[Decimal | None]] = {}
    if station_ids:
        rows = sheets.filter(station_id__in=station_ids).order_by("station_id", "period")
        for station_id, total in rows.values_list("station_id", "final_total"):
            totals.setdefault(station_id, []).append(total)
    return totals


def section_points(
    campaign: Campaign,
    sheets: QuerySet[ScoreSheet],
    station_ids: list[int],
    results: dict[int, ResultRow],
    codes: list[str],
) -> dict[int, dict[str, Decimal | None]]:
    """Each station's final points by section: for a monthly campaign the mean over its months.

    Read from the results when they carry them; until then (and for a station without a result)
    derived from the sheets' final inputs, which scores every sheet again.
    """
    points: dict[int, dict[str, Decimal | None]] = {}
    pending = station_ids
    if RESULTS_HAVE_SECTIONS:
        stored = (
            CampaignResult.objects.filter(
                campaign=campaign, station_id__in=[pk for pk in station_ids if pk in results]
            )
            .order_by()
            .values_list("station_id", "section_points")
        )
        for station_id, by_code in stored:
            if by_code:
                points[station_id] = {code: Decimal(by_code[code]) for code in codes if code in by_code}
        pending = [pk for pk in station_ids if pk not in points]
    if pending:
        points.update(_derived_section_points(campaign, sheets, pending, codes))
    return points


def _derived_section_points(
    campaign: Campaign, sheets: QuerySet[ScoreSheet], station_ids: list[int], codes: list[str]
) -> dict[int, dict[str, Decimal | None]]:
    by_station: dict[int, dict[str, list[Decimal | None]]] = {}
    rows = (
        sheets.filter(station_id__in=station_ids).select_related("station").order_by("station_id", "period")
    )
    for sheet in rows.iterator(chunk_size=CHUNK):
        sheet.campaign = campaign  # one campaign object (and compiled policy) for the whole table
        found = {s["code"]: Decimal(s["points"]) for s in column_result(sheet, "final").get("sections", [])}
        by_section = by_station.setdefault(sheet.station_id, {code: [] for code in codes})
        for code in codes:
            by_section[code].append(found.get(code))
    return {
        station_id: {code: mean_of(values) for code, values in by_section.items()}
        for station_id, by_section in by_station.items()
    }


EXPORTS: dict[str, type[TableExport]] = {
    "results": CampaignResultTable,
    "notice": NoticeListTable,
    # "construction": the December construction summary reads the money paid, so it lives in
    # subsidies (the apps import one way) and subsidies adds it here when the apps are ready.
}
