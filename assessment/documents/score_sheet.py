"""A station's score sheet in a campaign as a printable document, its fingerprint, and the batch.

One document per station and campaign: a yearly campaign has one sheet per station; a monthly
one (Heshan) has one per month, and its document opens with the monthly totals by section, the
annual mean and the result, followed by every month's item table. That is what an auditor files
for a unit: the year on the first page, the evidence behind it after.

The fingerprint is a SHA-256 over a canonical JSON of the data the paper shows (every period's
inputs, points and totals in all three columns, the sheet states, the result and the evidence
files' hashes), so a printed sheet can be checked against the system: the same data gives the
same fingerprint, and any later change to it gives another. It leaves out everything that does
not change the numbers (names, explanations' wording, the time of printing).
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
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from assessment.documents.pdf import render_pdf
from assessment.engine.scoring import annual_score
from assessment.models import Campaign, CampaignResult, Evidence, ScoreSheet
from assessment.scoring import column_result, leaf_points
from assessment.selectors import result_list, sheet_list
from assessment.sheet_view import COLUMNS, SheetRow, sheet_rows
from stations.models import Region, Station, User

logger = logging.getLogger(__name__)

FINGERPRINT_FORMAT = "score-sheet/1"
TEMPLATE = "documents/score_sheet.pdf.html"
CHUNK_STATIONS = 50  # stations whose sheets are read at once: a province's campaign never sits in memory


def group_hex(digest: str, chars: int = 16) -> str:
    """The first `chars` hex digits in groups of four, as printed: "3f2a 9c01 77be 0d4e"."""
    head = digest[:chars]
    return " ".join(head[i : i + 4] for i in range(0, len(head), 4))


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
) -> dict[str, Any]:
    """What the fingerprint covers, as plain JSON values (strings for every number)."""
    return {
        "format": FINGERPRINT_FORMAT,
        "campaign": campaign.code,
        "policy": f"{campaign.policy.code}@{campaign.policy.version}",
        "station": station.code,
        "periods": [
            {
                "period": sheet.period,
                "status": sheet.status,
                **{column: _column_data(sheet, column) for column in COLUMNS},
            }
            for sheet in sorted(sheets, key=lambda s: s.period)
        ],
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
            rows = rows.defer("self_inputs", "onsite_inputs", "self_result", "onsite_result", "final_result")
        by_station: dict[int, list[ScoreSheet]] = {}
        for sheet in rows.order_by("station__code", "period"):
            sheet.campaign = campaign  # one campaign object (and compiled policy) for the whole batch
            by_station.setdefault(sheet.station_id, []).append(sheet)
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
) -> ScoreSheetDocument:
    periods = [
        PeriodPage(sheet=sheet, label=period_label(campaign, sheet.period), rows=sheet_rows(sheet))
        for sheet in sorted(sheets, key=lambda s: s.period)
    ]
    section_count = len(periods[0].sections) if periods else 0
    means = [
        mean_of(
            [
                Decimal(page.sections[i].points["final"]) if page.sections[i].points["final"] else None
                for page in periods
            ]
        )
        for i in range(section_count)
    ]
    totals = [page.sheet.final_total for page in periods]
    data = fingerprint_data(
        campaign=campaign, station=station, sheets=sheets, result=result, evidence=evidence
    )
    return ScoreSheetDocument(
        campaign=campaign,
        station=station,
        region_label=regions.chain(station.region),
        periods=periods,
        result=result,
        evidence=evidence,
        fingerprint=fingerprint(data),
        section_means=[None if m is None else str(m) for m in means],
        # The result's score is the one decided; the mean stands in only before results exist.
        annual_total=result.score if result is not None else mean_of(totals),
    )


def score_sheet_documents(
    *, campaign: Campaign, actor: User | None, station_ids: Iterable[int] | None = None
) -> Iterator[ScoreSheetDocument]:
    """The documents of every station of the campaign the actor may read (actor None: every station).

    The caller has already checked that the actor reaches the campaign (campaign_list); the sheets,
    results and evidence are scoped again here through the selectors.
    """
    regions = RegionNames(campaign.region).prime_subtree(max_level=Region.Level.TOWNSHIP)
    for station, sheets, result, evidence in station_sheet_groups(
        campaign=campaign, actor=actor, station_ids=station_ids
    ):
        yield build_document(
            campaign=campaign,
            station=station,
            sheets=sheets,
            result=result,
            evidence=evidence,
            regions=regions,
        )


def station_fingerprint(*, campaign: Campaign, station: Station) -> str:
    """The fingerprint of a station's data in a campaign, as its printed sheet carries it."""
    sheets = list(ScoreSheet.objects.filter(campaign=campaign, station=station))
    result = CampaignResult.objects.filter(campaign=campaign, station=station).first()
    evidence = list(Evidence.objects.filter(sheet__in=[s.pk for s in sheets]))
    return fingerprint(
        fingerprint_data(campaign=campaign, station=station, sheets=sheets, result=result, evidence=evidence)
    )


def station_document(
    *, campaign: Campaign, station: Station, actor: User | None
) -> ScoreSheetDocument | None:
    """One station's document, or None when the actor reaches none of its sheets in the campaign."""
    return next(score_sheet_documents(campaign=campaign, actor=actor, station_ids=[station.pk]), None)


def score_sheet_context(document: ScoreSheetDocument) -> dict[str, Any]:
    return {
        "doc": document,
        "campaign": document.campaign,
        "station": document.station,
        "policy": document.campaign.policy,
        "period_label": campaign_period_label(document.campaign),
        "generated_at": timezone.localtime(),
    }


def score_sheet_pdf(document: ScoreSheetDocument) -> bytes:
    """The station's score sheet as PDF bytes."""
    return render_pdf(TEMPLATE, score_sheet_context(document))


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
    """What a batch took, filled in while the ZIP is produced (for the command's report and logs)."""

    count: int = 0
    pdf_bytes: int = 0
    seconds: float = 0.0
    per_pdf: list[tuple[str, int, float]] = field(default_factory=list)


def score_sheets_zip(
    documents: Iterable[ScoreSheetDocument], *, timing: BatchTiming | None = None
) -> Iterator[bytes]:
    """A ZIP of one PDF per station (`<station code>.pdf`) and an index, produced as it is read.

    Each PDF is rendered, compressed into the archive and handed on before the next one is
    rendered, so a campaign of any size holds one PDF in memory at a time and a download starts
    flowing at once. The index (index.txt) lists each file with the station's name, score and
    fingerprint, in UTF-8 with a BOM so Notepad reads the Chinese.
    """
    timing = timing or BatchTiming()
    sink = _ZipSink()
    stamp = timezone.localtime().timetuple()[:6]
    lines = ["文件\t站点名称\t得分\t数据指纹（SHA-256 前16位）"]
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for document in documents:
            started = time.perf_counter()
            pdf = score_sheet_pdf(document)
            elapsed = time.perf_counter() - started
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
    logger.info(
        "score sheets ZIP: %d PDFs, %.1f MB, %.0f ms per PDF",
        timing.count,
        timing.pdf_bytes / 1e6,
        1000 * timing.seconds / max(timing.count, 1),
    )


def zip_filename(campaign: Campaign) -> str:
    return f"{campaign.code}-score-sheets-{timezone.localdate():%Y%m%d}.zip"
