"""A station's score sheet in a campaign as a printable document, its fingerprint, and the batch.

One document per station and campaign: a yearly campaign has one sheet per station; a monthly
one (Heshan) has one per month. A monthly document is set on landscape A4: the monthly totals
and who assessed and locked each month, the result, then one matrix of the year (rows: sections
and items, columns: the months and the annual mean) and the points lost, month by month, each
with its explanation. A yearly document is one item table with the three columns. An item at
full marks needs no explanation, so only the items that lost points carry one. Self-evaluation
and on-site points print beside the final points wherever they differ from them.

The fingerprint is a SHA-256 over a canonical JSON of the data the paper shows (every period's
inputs, points and totals in all three columns, the sheet states, the work-log totals an
assessed sheet's counts were compared with, the result and the evidence files' hashes), so a
printed sheet can be checked against the system: the same data gives the same fingerprint, and
any later change to it gives another. It leaves out everything that does
not change the numbers (names, explanations' wording, the time of printing).

A campaign's ZIP renders its PDFs in worker processes (`score_sheets_zip(processes=…)`): the
parent reads the database and renders each document's HTML; the workers only turn HTML into PDF
(`assessment.documents.pdf.PdfWorkers`), so they never touch the database.
"""

import hashlib
import io
import json
import logging
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.safestring import mark_safe

from assessment.contract_inputs import has_bound_figures, prime_bound_figures, sheet_bound_notes
from assessment.documents.pdf import PdfWorkers, render_html, render_pdf
from assessment.engine.scoring import annual_score
from assessment.models import (
    ANNUAL_REPORT_SECTIONS,
    AnnualReport,
    Campaign,
    CampaignResult,
    Evidence,
    ScoreSheet,
)
from assessment.policies.illustrative import illustrative_notice
from assessment.scoring import column_result, compiled_policy, leaf_points
from assessment.selectors import result_list, sheet_list
from assessment.sheet_view import COLUMNS, SheetRow, sheet_rows
from assessment.worklog_inputs import LogNote, log_figures_settled
from stations.models import Region, Station, User

logger = logging.getLogger(__name__)

FINGERPRINT_FORMAT = "score-sheet/1"
ANNUAL_REPORT_FIELDS = [name for name, _heading in ANNUAL_REPORT_SECTIONS]
TEMPLATE = "documents/score_sheet.pdf.html"
CHUNK_STATIONS = 50  # stations whose sheets are read at once: a province's campaign never sits in memory


def group_hex(digest: str, chars: int = 16) -> str:
    """The first `chars` hex digits in groups of four, as printed: "3f2a 9c01 77be 0d4e"."""
    head = digest[:chars]
    return " ".join(head[i : i + 4] for i in range(0, len(head), 4))


FIGURE_SPACE = "\u2007"  # as wide as a digit in tabular figures
MISSING = "—"


def figure(value: Any, width: int = 6) -> str:
    """A number right-aligned in `width` digit places: figure spaces in front, so columns align.

    A printed grid of numbers is set as one line of text per row, its columns on tab stops
    (`white-space: pre; tab-size`), rather than as a table cell per number: a cell is a box for
    the renderer to lay out, and a year of monthly items is seven hundred of them.
    """
    text = MISSING if value is None or value == "" else str(value)
    places = sum(2 if char == MISSING or ord(char) >= 0x2E80 else 1 for char in text)  # CJK: two digits wide
    return FIGURE_SPACE * max(0, width - places) + text


def tab_line(values: Iterable[Any], width: int = 6) -> str:
    """Values as one line of figure-padded columns separated by tabs."""
    return "\t".join(figure(value, width) for value in values)


def _period_data(sheet: ScoreSheet) -> dict[str, Any]:
    """One period's part of the fingerprint: its state, its three columns and, once the on-site
    column is submitted with counts taken from the work log or a contract's target, the figures it
    was compared with (the copy printed as "日志记录 N" / "合同目标 N", one dict keyed by input
    name). A sheet without any keeps the fingerprint it always had."""
    data = {
        "period": sheet.period,
        "status": sheet.status,
        **{column: _column_data(sheet, column) for column in COLUMNS},
    }
    if sheet.log_figures and log_figures_settled(sheet):
        data["log_figures"] = {name: str(value) for name, value in sorted(sheet.log_figures.items())}
    return data


def _column_data(sheet: ScoreSheet, column: str) -> dict[str, Any]:
    result = column_result(sheet, column)
    total = getattr(sheet, f"{column}_total")
    return {
        "inputs": getattr(sheet, f"{column}_inputs") or {},
        "points": {code: str(points) for code, points in leaf_points(result).items()},
        "total": None if total is None else str(total),
    }


def fingerprint_data(
    *,
    campaign: Campaign,
    station: Station,
    sheets: list[ScoreSheet],
    result: CampaignResult | None,
    evidence: list[Evidence],
    annual_report: AnnualReport | None = None,
) -> dict[str, Any]:
    """What the fingerprint covers, as plain JSON values (strings for every number).

    A submitted annual report is printed too, so its figures and text are covered; without one
    the data (and so the fingerprint of every sheet printed before reports existed) is unchanged.
    """
    data = {
        "format": FINGERPRINT_FORMAT,
        "campaign": campaign.code,
        "policy": f"{campaign.policy.code}@{campaign.policy.version}",
        "station": station.code,
        "periods": [_period_data(sheet) for sheet in sorted(sheets, key=lambda s: s.period)],
        "result": None
        if result is None
        else {
            "score": str(result.score),
            "eligible": result.eligible,
            "tier": result.tier,
            "tier_label": result.tier_label,
            "eliminated": result.eliminated,
            "subsidy": str(result.subsidy),
            "one_time_subsidy": str(result.one_time_subsidy),
        },
        "evidence": sorted(e.sha256 for e in evidence),
    }
    if annual_report is not None:
        data["annual_report"] = {
            "totals": {name: str(value) for name, value in sorted(annual_report.log_totals.items())},
            "period": [str(annual_report.log_start), str(annual_report.log_end)],
            **{name: getattr(annual_report, name) for name in ANNUAL_REPORT_FIELDS},
        }
    return data


def fingerprint(data: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON: sorted keys, no spaces, UTF-8, non-ASCII kept as is."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass
class PeriodPage:
    """One period's sheet as printed: its rows and the final points of each section."""

    sheet: ScoreSheet
    label: str
    rows: list[SheetRow]

    @property
    def sections(self) -> list[SheetRow]:
        return [row for row in self.rows if row.level == 0]

    @property
    def short_label(self) -> str:
        """ "3月" for a month, the label itself for a year: a column head of the year's matrix."""
        period = self.sheet.period
        return f"{int(period[5:7])}月" if len(period) == 7 else self.label


@dataclass
class MatrixRow:
    """A section, item or the month's total across the year: final points per period and their mean."""

    level: int  # 0 section, 1 item, 2 sub-item; -1 the sheet's total
    code: str
    title: str
    max_points: str
    cells: list[str | None]
    mean: str | None

    @property
    def line(self) -> str:
        """分值, each period's points and the mean, as one tab-separated line."""
        return tab_line([self.max_points, *self.cells, self.mean])


@dataclass
class PointsNote:
    """A line of the explanations: an item that lost points, or whose columns differ, in one period."""

    period: str
    row: SheetRow
    lost: bool  # the settled points are below the item's maximum
    differs: bool  # self-evaluation or on-site points differ from the final points
    gap_reason: str = ""

    @property
    def explanation(self) -> str:
        return self.row.explanation if self.lost or self.row.gap else ""

    @property
    def figures(self) -> str:
        """ "审定 1.80 / 2.00", with the self-evaluation and on-site points in front when they differ."""
        points = self.row.points
        parts = []
        if self.differs:
            parts += [f"自评 {points.get('self') or MISSING}", f"现场 {points.get('onsite') or MISSING}"]
        parts.append(f"审定 {points.get('final') or MISSING} / {self.row.max_points}")
        return "　".join(parts)


def row_line(row: SheetRow) -> str:
    """A sheet row's 分值, 自评, 现场 and 审定 as one tab-separated line."""
    return tab_line(
        [row.max_points, row.points.get("self"), row.points.get("onsite"), row.points.get("final")]
    )


def settled_points(row: SheetRow) -> str | None:
    """The most settled points of a row: final, else on-site, else the self-evaluation's."""
    for column in ("final", "onsite", "self"):
        if row.points.get(column) is not None:
            return row.points[column]
    return None


def _has_children(rows: list[SheetRow], index: int) -> bool:
    return index + 1 < len(rows) and rows[index + 1].level > rows[index].level


def points_notes(page: PeriodPage) -> list[PointsNote]:
    """The rows of a period that need a line below the matrix, in sheet order.

    An item (leaf) that lost points, with its explanation; any row whose self-evaluation or on-site
    points differ from the final ones, so those numbers are printed too; any item flagged for a
    self/on-site gap, with the assessor's reason. An item with sub-items loses points only where
    a sub-item does, and that sub-item's line explains it.
    """
    notes = []
    reasons = page.sheet.gap_reasons or {}
    for index, row in enumerate(page.rows):
        settled = settled_points(row)
        lost = (
            row.level > 0
            and not _has_children(page.rows, index)
            and settled is not None
            and Decimal(settled) < Decimal(row.max_points)
        )
        final = row.points.get("final")
        differs = any(
            row.points.get(column) is not None and row.points.get(column) != final
            for column in ("self", "onsite")
        )
        if lost or differs or row.gap:
            notes.append(
                PointsNote(
                    period=page.label,
                    row=row,
                    lost=lost,
                    differs=differs,
                    gap_reason=str(reasons.get(row.code, "")) if row.gap else "",
                )
            )
    return notes


@dataclass
class ScoreSheetDocument:
    """Everything one station's PDF shows, with its fingerprint."""

    campaign: Campaign
    station: Station
    region_label: str
    periods: list[PeriodPage]
    result: CampaignResult | None
    evidence: list[Evidence]
    fingerprint: str
    section_means: list[str | None] = field(default_factory=list)
    annual_total: Decimal | None = None
    matrix: list[MatrixRow] = field(default_factory=list)
    notes: list[PointsNote] = field(default_factory=list)
    # (period label, LogNote): on-site values differing from the work log, with the reason.
    log_notes: list[tuple[str, LogNote]] = field(default_factory=list)
    # The station's submitted annual report, printed on its own page after the sheet; None if none.
    annual_report: AnnualReport | None = None

    @property
    def annual_report_lines(self) -> list:
        """The report's totals as submitted (the copy made at submission, not the log as it is now)."""
        from assessment.services.annual_reports import report_total_lines

        if self.annual_report is None:
            return []
        return report_total_lines(campaign=self.campaign, station=self.station, report=self.annual_report)

    @property
    def annual_report_sections(self) -> list[tuple[str, str]]:
        if self.annual_report is None:
            return []
        return [(heading, getattr(self.annual_report, name)) for name, heading in ANNUAL_REPORT_SECTIONS]

    @property
    def filename(self) -> str:
        return f"{self.station.code}.pdf"

    @property
    def fingerprint_short(self) -> str:
        return group_hex(self.fingerprint)

    @property
    def monthly(self) -> bool:
        return bool(self.campaign.months)

    @property
    def locked_count(self) -> int:
        return sum(1 for page in self.periods if page.sheet.status == ScoreSheet.Status.LOCKED)

    @property
    def item_lines(self) -> list[tuple[SheetRow, str, PointsNote | None]]:
        """A yearly sheet's rows: the row, its numbers as a tab line, and its note when it has one."""
        if not self.periods:
            return []
        page = self.periods[0]
        by_key = {(note.row.level, note.row.code): note for note in self.notes if note.period == page.label}
        return [(row, row_line(row), by_key.get((row.level, row.code))) for row in page.rows]

    @property
    def total_line(self) -> str:
        """A yearly sheet's 合计: the rubric's maximum and the three totals, as a tab line."""
        sheet = self.periods[0].sheet
        return tab_line(
            [self.campaign.policy.rubric_max_points, sheet.self_total, sheet.onsite_total, sheet.final_total]
        )

    @property
    def note_groups(self) -> list[tuple[PeriodPage, list[PointsNote]]]:
        """The notes by period, for the periods that have any."""
        groups = []
        for page in self.periods:
            notes = [note for note in self.notes if note.period == page.label]
            if notes:
                groups.append((page, notes))
        return groups

    @property
    def period_lines(self) -> list[tuple[PeriodPage, str]]:
        """Each period with its three totals (自评, 现场, 审定) as a tab line."""
        return [
            (page, tab_line([page.sheet.self_total, page.sheet.onsite_total, page.sheet.final_total]))
            for page in self.periods
        ]

    @property
    def months_head(self) -> str:
        return tab_line(["自评", "现场", "审定"])

    @property
    def mean_line(self) -> str:
        """The 月度平均 row of the month table: the annual score under 审定."""
        return "\t\t" + figure(self.annual_total)

    @property
    def items_head(self) -> str:
        return tab_line(["分值", "自评", "现场", "审定"])

    @property
    def matrix_head(self) -> str:
        """The matrix's column heads, on the same tab stops as its rows."""
        return tab_line(["分值", *(page.short_label for page in self.periods), "月均"])

    @property
    def findings(self) -> list[tuple[str, str]]:
        """(period label, findings) of every period whose assessor recorded findings."""
        return [(page.label, page.sheet.findings) for page in self.periods if page.sheet.findings]


def year_matrix(periods: list[PeriodPage]) -> list[MatrixRow]:
    """Rows = the rubric's sections and items, columns = the periods' final points, and the mean.

    Every period of a station shares its rubric's rows (the items that apply to its kind), so the
    first period's rows name the matrix's. A mean is the engine's annual mean (half-up to 0.01),
    shown only when every period has final points.
    """
    if not periods:
        return []
    matrix = []
    for index, row in enumerate(periods[0].rows):
        cells = [page.rows[index].points.get("final") for page in periods]
        mean = mean_of([None if cell is None else Decimal(cell) for cell in cells])
        matrix.append(
            MatrixRow(
                level=row.level,
                code=row.code,
                title=row.title,
                max_points=row.max_points,
                cells=cells,
                mean=None if mean is None else str(mean),
            )
        )
    return matrix


def period_label(campaign: Campaign, period: str) -> str:
    if len(period) == 7:
        return f"{period[:4]}年{int(period[5:7])}月"
    return f"{period}年度"


def campaign_period_label(campaign: Campaign) -> str:
    if campaign.months:
        months = sorted(campaign.months)
        span = f"{months[0]}月" if len(months) == 1 else f"{months[0]}月至{months[-1]}月"
        return f"{campaign.year}年{span}（按月评分，共 {len(months)} 个月，年度得分取月度平均）"
    return f"{campaign.year}年度"


def mean_of(values: list[Decimal | None]) -> Decimal | None:
    """The engine's annual mean (`annual_score`) of `values`; None while any of them is missing."""
    if not values or any(v is None for v in values):
        return None
    return annual_score(values)


class RegionNames:
    """Region names by code, cached over a batch: "云梦县 城关镇" from a station's region path."""

    def __init__(self, top: Region):
        self.top = top
        self.names: dict[str, str] = {}
        self.levels: dict[str, int] = {}

    @staticmethod
    def _codes(region: Region) -> list[str]:
        return [code for code in region.path.strip("/").split("/") if code]

    def prime(self, regions: Iterable[Region]) -> None:
        """Read the names of every region on these regions' paths that is not known yet, in one query."""
        missing = {code for region in regions for code in self._codes(region)} - self.names.keys()
        if not missing:
            return
        for code, name, level in Region.objects.filter(code__in=missing).values_list("code", "name", "level"):
            self.names[code] = name
            self.levels[code] = level

    def prime_subtree(self, *, max_level: int) -> "RegionNames":
        """Read the top region's ancestors and every region under it down to `max_level`, in one query.

        A province's campaign then names its stations' townships without a query per township.
        """
        rows = Region.objects.filter(
            Q(path__startswith=self.top.path, level__lte=max_level) | Q(code__in=self._codes(self.top))
        ).values_list("code", "name", "level")
        for code, name, level in rows:
            self.names[code] = name
            self.levels[code] = level
        return self

    def chain(self, region: Region) -> str:
        """Names from the top region (the campaign's) down to `region`."""
        self.prime([region])
        codes = self._codes(region)
        start = codes.index(self.top.code) if self.top.code in codes else 0
        return " ".join(self.names.get(code, code) for code in codes[start:])

    def ancestor_at(self, region: Region, level: int) -> str | None:
        """The code of `region` or its ancestor at `level` (a Region.Level), if any."""
        if any(code not in self.levels for code in self._codes(region)[: int(level)]):
            self.prime([region])
        return next((c for c in self._codes(region) if self.levels.get(c) == level), None)


def scoped_sheets(*, campaign: Campaign, actor: User | None) -> QuerySet[ScoreSheet]:
    """The campaign's sheets the actor may read; every sheet for a command run on the server (actor None)."""
    sheets = ScoreSheet.objects.all() if actor is None else sheet_list(actor=actor)
    return sheets.filter(campaign=campaign)


def scoped_results(*, campaign: Campaign, actor: User | None) -> QuerySet[CampaignResult]:
    results = CampaignResult.objects.all() if actor is None else result_list(actor=actor)
    return results.filter(campaign=campaign)


def station_sheet_groups(
    *,
    campaign: Campaign,
    actor: User | None,
    station_ids: Iterable[int] | None = None,
    with_evidence: bool = True,
    defer_inputs: bool = False,
) -> Iterator[tuple[Station, list[ScoreSheet], CampaignResult | None, list[Evidence]]]:
    """Each station of the campaign the actor may read, by code, with its sheets, result and evidence.

    Reads CHUNK_STATIONS stations at a time, so memory stays flat however large the campaign.
    """
    sheets = scoped_sheets(campaign=campaign, actor=actor)
    if station_ids is not None:
        sheets = sheets.filter(station_id__in=list(station_ids))
    ordered = list(sheets.order_by("station__code").values_list("station_id", flat=True).distinct())
    results = scoped_results(campaign=campaign, actor=actor)
    for start in range(0, len(ordered), CHUNK_STATIONS):
        chunk = ordered[start : start + CHUNK_STATIONS]
        rows = sheets.filter(station_id__in=chunk).select_related(
            "station__region", "assessed_by", "locked_by"
        )
        if defer_inputs:
            rows = rows.defer("self_packed")  # the final column may read the on-site one
        by_station: dict[int, list[ScoreSheet]] = {}
        for sheet in rows.order_by("station__code", "period"):
            sheet.campaign = campaign  # one campaign object (and compiled policy) for the whole batch
            by_station.setdefault(sheet.station_id, []).append(sheet)
        if has_bound_figures(campaign.policy):
            # The work-log and contract figures of the chunk's sheets whose on-site column is still a
            # draft, one query per source, for their notes; an assessed sheet prints its copy.
            prime_bound_figures([sheet for group in by_station.values() for sheet in group])
        found = {r.station_id: r for r in results.filter(station_id__in=chunk)}
        files: dict[int, list[Evidence]] = {}
        if with_evidence:
            for item in (
                Evidence.objects.filter(sheet__in=[s.pk for group in by_station.values() for s in group])
                .select_related("sheet")
                .order_by("sheet__period", "uploaded_at", "id")
            ):
                files.setdefault(item.sheet.station_id, []).append(item)
        for station_id in chunk:
            group = by_station.get(station_id)
            if group:
                yield group[0].station, group, found.get(station_id), files.get(station_id, [])


def build_document(
    *,
    campaign: Campaign,
    station: Station,
    sheets: list[ScoreSheet],
    result: CampaignResult | None,
    evidence: list[Evidence],
    regions: RegionNames,
    annual_report: AnnualReport | None = None,
) -> ScoreSheetDocument:
    periods = [
        PeriodPage(sheet=sheet, label=period_label(campaign, sheet.period), rows=sheet_rows(sheet))
        for sheet in sorted(sheets, key=lambda s: s.period)
    ]
    matrix = year_matrix(periods)
    totals = [page.sheet.final_total for page in periods]
    data = fingerprint_data(
        campaign=campaign,
        station=station,
        sheets=sheets,
        result=result,
        evidence=evidence,
        annual_report=annual_report,
    )
    # The result's score is the one decided; the mean stands in only before results exist.
    annual_total = result.score if result is not None else mean_of(totals)
    matrix.append(
        MatrixRow(
            level=-1,
            code="",
            title="月度得分" if campaign.months else "合计",
            max_points=str(campaign.policy.rubric_max_points),
            cells=[None if total is None else str(total) for total in totals],
            mean=None if annual_total is None else str(annual_total),
        )
    )
    return ScoreSheetDocument(
        campaign=campaign,
        station=station,
        region_label=regions.chain(station.region),
        periods=periods,
        result=result,
        evidence=evidence,
        fingerprint=fingerprint(data),
        section_means=[row.mean for row in matrix if row.level == 0],
        annual_total=annual_total,
        matrix=matrix,
        notes=[note for page in periods for note in points_notes(page)],
        log_notes=[(page.label, note) for page in periods for note in sheet_bound_notes(page.sheet)],
        annual_report=annual_report,
    )


def score_sheet_documents(
    *, campaign: Campaign, actor: User | None, station_ids: Iterable[int] | None = None
) -> Iterator[ScoreSheetDocument]:
    """The documents of every station of the campaign the actor may read (actor None: every station).

    The caller has already checked that the actor reaches the campaign (campaign_list); the sheets,
    results and evidence are scoped again here through the selectors.
    """
    regions = RegionNames(campaign.region).prime_subtree(max_level=Region.Level.TOWNSHIP)
    groups = station_sheet_groups(campaign=campaign, actor=actor, station_ids=station_ids)
    while chunk := list(islice(groups, CHUNK_STATIONS)):
        # The chunk's submitted annual reports in one query: a report only the sheet's readers see.
        reports = {
            report.station_id: report
            for report in AnnualReport.objects.filter(
                campaign=campaign,
                station_id__in=[station.pk for station, *_ in chunk],
                status=AnnualReport.Status.SUBMITTED,
            ).select_related("submitted_by")
        }
        for station, sheets, result, evidence in chunk:
            yield build_document(
                campaign=campaign,
                station=station,
                sheets=sheets,
                result=result,
                evidence=evidence,
                regions=regions,
                annual_report=reports.get(station.pk),
            )


def station_fingerprint(*, campaign: Campaign, station: Station) -> str:
    """The fingerprint of a station's data in a campaign, as its printed sheet carries it."""
    sheets = list(ScoreSheet.objects.filter(campaign=campaign, station=station))
    result = CampaignResult.objects.filter(campaign=campaign, station=station).first()
    evidence = list(Evidence.objects.filter(sheet__in=[s.pk for s in sheets]))
    report = AnnualReport.objects.filter(
        campaign=campaign, station=station, status=AnnualReport.Status.SUBMITTED
    ).first()
    return fingerprint(
        fingerprint_data(
            campaign=campaign,
            station=station,
            sheets=sheets,
            result=result,
            evidence=evidence,
            annual_report=report,
        )
    )


def station_document(
    *, campaign: Campaign, station: Station, actor: User | None
) -> ScoreSheetDocument | None:
    """One station's document, or None when the actor reaches none of its sheets in the campaign."""
    return next(score_sheet_documents(campaign=campaign, actor=actor, station_ids=[station.pk]), None)


def css_string(text: str) -> str:
    """`text` as a quoted CSS string that no input can break out of.

    Every character but letters, digits and CJK is written as a six-digit hex escape, so a quote,
    a backslash, a newline or "</style>" in a station's name stays text inside the string.
    """
    out = []
    for char in str(text):
        if char.isalnum() and (char.isascii() or ord(char) >= 0x3000):
            out.append(char)
        else:
            out.append(f"\\{ord(char):06X}")
    return '"' + "".join(out) + '"'


def page_css(document: ScoreSheetDocument) -> str:
    """The document's @page rule: orientation, and the head and foot printed on every page.

    Plain strings rather than running elements: a running element is laid out again on every
    page, a string costs nothing. A monthly document's year matrix needs landscape A4.
    """
    size = "A4 landscape" if document.monthly else "A4 portrait"
    head_right = f"{document.station.code} {document.station.name}"
    return mark_safe(  # noqa: S308 (every value goes through css_string)
        f"@page {{ size: {size};"
        f" @top-left {{ content: {css_string(document.campaign.name)}; }}"
        f" @top-right {{ content: {css_string(head_right)}; }}"
        f" @bottom-left {{ content: {css_string('数据指纹 ' + document.fingerprint_short)}; }} }}"
    )


def score_sheet_context(document: ScoreSheetDocument) -> dict[str, Any]:
    spec, _ = compiled_policy(document.campaign.policy)
    return {
        "doc": document,
        # Said once under the title, not after every item (the items print their plain titles).
        "illustrative_notice": illustrative_notice(spec, region_name=document.campaign.region.name),
        "campaign": document.campaign,
        "station": document.station,
        "policy": document.campaign.policy,
        # A rating that pays nothing prints no money row: "0.00 元" would read as money withheld.
        "pays_money": not spec.subsidy_schedule.pays_nothing,
        "period_label": campaign_period_label(document.campaign),
        "generated_at": timezone.localtime(),
        "page_css": page_css(document),
    }


def score_sheet_pdf(document: ScoreSheetDocument) -> bytes:
    """The station's score sheet as PDF bytes."""
    return render_pdf(TEMPLATE, score_sheet_context(document))


def score_sheet_html(document: ScoreSheetDocument) -> str:
    """The station's score sheet as the HTML a PDF worker turns into PDF (plain data, no database)."""
    return render_html(TEMPLATE, score_sheet_context(document))


class _ZipSink(io.RawIOBase):
    """A write-only, unseekable target for zipfile: what it writes is taken out chunk by chunk."""

    def __init__(self) -> None:
        super().__init__()
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


@dataclass
class BatchTiming:
    """What a batch took, filled in while the ZIP is produced (for the command's report and logs).

    `seconds` adds up each PDF's own rendering time (in whichever process rendered it);
    `wall_seconds` is the batch from start to end, with `processes` rendering side by side.
    """

    count: int = 0
    pdf_bytes: int = 0
    seconds: float = 0.0
    wall_seconds: float = 0.0
    processes: int = 1
    per_pdf: list[tuple[str, int, float]] = field(default_factory=list)


def score_sheets_zip(
    documents: Iterable[ScoreSheetDocument],
    *,
    timing: BatchTiming | None = None,
    processes: int | None = None,
) -> Iterator[bytes]:
    """A ZIP of one PDF per station (`<station code>.pdf`) and an index, produced as it is read.

    The documents are read and their HTML rendered here, in order; `processes` worker processes
    (default: one per CPU) turn the HTML into PDF side by side, at most two per process in flight.
    Each PDF is compressed into the archive and handed on in the documents' order as soon as it
    and those before it are done, so a campaign of any size holds a few PDFs in memory at a time
    and a download starts flowing at once. The index (index.txt) lists each file with the
    station's name, score and fingerprint, in UTF-8 with a BOM so Notepad reads the Chinese.
    """
    timing = timing or BatchTiming()
    started = time.perf_counter()
    sink = _ZipSink()
    stamp = timezone.localtime().timetuple()[:6]
    lines = ["文件\t站点名称\t得分\t数据指纹（SHA-256 前16位）"]
    with (
        PdfWorkers(processes) as workers,
        zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        timing.processes = workers.processes
        rendered = workers.render((document, score_sheet_html(document)) for document in documents)
        for document, pdf, elapsed in rendered:
            timing.count += 1
            timing.pdf_bytes += len(pdf)
            timing.seconds += elapsed
            timing.per_pdf.append((document.filename, len(pdf), elapsed))
            info = zipfile.ZipInfo(document.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, pdf)
            score = document.result.score if document.result else document.annual_total
            lines.append(
                f"{document.filename}\t{document.station.name}\t{score if score is not None else '—'}"
                f"\t{document.fingerprint_short}"
            )
            del pdf
            yield sink.take()
        index = zipfile.ZipInfo("index.txt", date_time=stamp)
        index.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(index, "\ufeff" + "\r\n".join(lines) + "\r\n")
    yield sink.take()
    timing.wall_seconds = time.perf_counter() - started
    logger.info(
        "score sheets ZIP: %d PDFs, %.1f MB, %.0f ms per PDF rendering, %.0f ms per PDF with %d processes",
        timing.count,
        timing.pdf_bytes / 1e6,
        1000 * timing.seconds / max(timing.count, 1),
        1000 * timing.wall_seconds / max(timing.count, 1),
        timing.processes,
    )


def zip_filename(campaign: Campaign) -> str:
    return f"{campaign.code}-score-sheets-{timezone.localdate():%Y%m%d}.zip"
