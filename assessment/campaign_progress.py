"""A campaign's progress for its admin page: counts by sheet state and by region, never a row per entry.

A province's campaign has tens of thousands of stations and hundreds of thousands of sheets, so
the page counts them in the database, grouped by the child regions of the region being looked at
(the campaign's own region first; a click on a county shows its townships), with the same few
queries however many rows there are.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet, Value
from django.db.models.functions import Length, StrIndex, Substr
from django.utils import timezone

from assessment.models import Campaign, CampaignResult, CampaignStation, Objection, ScoreSheet
from stations.contracts import ShortfallPanel, contract_shortfalls
from stations.models import OperatingContract, Region


@dataclass
class ProgressRow:
    """The counts of one region (or of the whole campaign, `region` None)."""

    region: Region | None
    path: str
    stations: int = 0
    unassigned: int = 0
    results: int = 0
    sheets: dict[str, int] = field(default_factory=dict)

    @property
    def sheet_total(self) -> int:
        return sum(self.sheets.values())


@dataclass
class CampaignProgress:
    focus: Region
    parents: list[Region]  # from the campaign's region down to the focus's parent, for the way back
    total: ProgressRow
    rows: list[ProgressRow]
    open_objections: int
    # The operating contracts' targets (003) of the focus's stations; None when none has a contract.
    contracts: ShortfallPanel | None = None


def campaign_contract_shortfalls(campaign: Campaign, focus: Region) -> ShortfallPanel | None:
    """The campaign's stations under `focus` behind their contract targets (two queries, one when
    none has a contract).

    Measured on the campaign's 考核基准日, or today while that is still ahead, and never past 31
    December of the campaign's year, over the contracts that ran in the year and had begun by then:
    the year's share of each target against the year's log (an annual campaign assesses its year,
    neither the years before it nor the weeks of the next before a 考核基准日 set in January).
    """
    year_start, year_end = datetime.date(campaign.year, 1, 1), datetime.date(campaign.year, 12, 31)
    on = min(timezone.localdate(), campaign.assessed_on, year_end)
    contracts = OperatingContract.objects.filter(
        station__in=CampaignStation.objects.filter(campaign=campaign).values("station_id"),
        station__region__path__startswith=focus.path,
        start__lte=on,
        end__gte=year_start,
    ).order_by("station__code", "start")
    panel = contract_shortfalls(contracts=contracts, on=on, since=year_start)
    return panel if panel.contracts else None


def child_path(path_field: str, base: str):
    """The path of the child of the region `base` that holds a row (or `base` itself for a row there).

    "/43/4309/430903/…" under "/43/4309/" is cut at the next "/" after the base; StrIndex and
    Substr are SQL functions on PostgreSQL and SQLite alike, so grouping happens in the database.
    """
    rest = Substr(path_field, len(base) + 1)
    cut = StrIndex(rest, Value("/"))
    return Substr(path_field, 1, Value(len(base)) + cut)


def grouped_by_child(
    queryset: QuerySet, base: str, *extra: str, path_field: str = "station__region__path", **aggregates
) -> QuerySet:
    """`queryset`'s rows under the region path `base`, counted per child region (and `extra`);
    `path_field` names the rows' region path (a station's by default)."""
    return (
        queryset.filter(**{f"{path_field}__startswith": base})
        .annotate(child=child_path(path_field, base))
        .values("child", *extra)
        .annotate(**aggregates)
        .order_by()
    )


def campaign_progress(campaign: Campaign, *, focus: Region | None = None) -> CampaignProgress:
    """Counts of `campaign`'s stations, sheets by state and results, per child region of `focus`.

    `focus` must lie within the campaign's region (the campaign's region when None or outside it).
    Six queries, and one or two for the contract targets, whatever the size of the campaign.
    """
    base_region = campaign.region
    if focus is None or not focus.path.startswith(base_region.path):
        focus = base_region
    base = focus.path

    rows: dict[str, ProgressRow] = {}

    def row(child: str) -> ProgressRow:
        if child not in rows:
            rows[child] = ProgressRow(region=None, path=child)
        return rows[child]

    for item in grouped_by_child(
        CampaignStation.objects.filter(campaign=campaign),
        base,
        n=Count("id"),
        unassigned=Count("id", filter=Q(assessor__isnull=True)),
    ):
        entry = row(item["child"])
        entry.stations, entry.unassigned = item["n"], item["unassigned"]
    for item in grouped_by_child(ScoreSheet.objects.filter(campaign=campaign), base, "status", n=Count("id")):
        row(item["child"]).sheets[item["status"]] = item["n"]
    for item in grouped_by_child(CampaignResult.objects.filter(campaign=campaign), base, n=Count("id")):
        row(item["child"]).results = item["n"]

    regions = {r.path: r for r in Region.objects.filter(path__in=[*rows, base])}
    for child, entry in rows.items():
        entry.region = regions.get(child)
    ordered = sorted(rows.values(), key=lambda r: (r.path != base, r.region.code if r.region else r.path))

    total = ProgressRow(region=focus, path=base)
    for entry in ordered:
        total.stations += entry.stations
        total.unassigned += entry.unassigned
        total.results += entry.results
        for state, n in entry.sheets.items():
            total.sheets[state] = total.sheets.get(state, 0) + n

    ancestors = [base[: i + 1] for i in range(1, len(base)) if base[i] == "/"]
    parents = list(
        Region.objects.filter(path__in=ancestors, path__startswith=base_region.path)
        .exclude(pk=focus.pk)
        .order_by(Length(F("path")))
    )
    open_objections = campaign.objections.filter(status=Objection.Status.OPEN).count()
    return CampaignProgress(
        focus=focus,
        parents=parents,
        total=total,
        rows=ordered,
        open_objections=open_objections,
        contracts=campaign_contract_shortfalls(campaign, focus),
    )
