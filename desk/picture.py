"""The picture of one campaign for bureau staff, auditors and superusers: tiers, money, progress.

Each figure is one grouped query over a scoped selector (results, entitlements, funds, sheets),
grouped in the database by the child regions of the region looked at, so a province's campaign
costs the same queries as a county's, and a clerk sees only their reach: a county bureau looking
at a city-wide campaign sees its own county's townships, never the neighbour's money.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, Count, Q, Sum
from django.utils.safestring import SafeString

from assessment.campaign_progress import grouped_by_child
from assessment.models import Campaign, Entitlement, ScoreSheet
from assessment.selectors import campaign_list, entitlement_list, result_list, sheet_list
from desk import charts
from stations.models import Region
from stations.selectors import is_regional
from subsidies.selectors import fund_list

CAMPAIGNS_OFFERED = 30  # the newest campaigns in reach offered in the chooser; older ones by ?campaign=


@dataclass
class CampaignPicture:
    campaign: Campaign
    base: Region  # the region whose children the figures are grouped by
    stations: int
    results: int
    tiers: SafeString
    money: SafeString
    against_fund: SafeString
    money_total: Decimal
    fund_total: Decimal | None

    @property
    def money_words(self) -> str:
        """ "应享补助合计 1,360,000 元，资金预算 1,800,000 元，占 75.6%" for the caption."""
        said = f"应享补助合计 {charts.money(self.money_total)} 元"
        if self.fund_total is None:
            return said + f"；未登记{self.campaign.year}年度补助资金"
        said += f"，资金预算 {charts.money(self.fund_total)} 元"
        if self.fund_total:
            said += f"，占 {self.money_total / self.fund_total:.1%}"
        if self.money_total > self.fund_total:
            said += f"，超出预算 {charts.money(self.money_total - self.fund_total)} 元"
        return said

    progress: SafeString


def campaigns_offered(actor) -> list[Campaign]:
    return list(campaign_list(actor=actor).order_by("-year", "-created_at", "-pk")[:CAMPAIGNS_OFFERED])


def campaign_chosen(actor, offered: list[Campaign], wanted: str | None) -> Campaign | None:
    """The campaign asked for if it is in reach, else the newest one (None when there is none)."""
    if wanted and wanted.isascii() and wanted.isdigit():
        for campaign in offered:
            if campaign.pk == int(wanted):
                return campaign
        found = campaign_list(actor=actor).filter(pk=int(wanted)).first()
        if found is not None:
            return found
    return offered[0] if offered else None


def _base_region(actor, campaign: Campaign) -> Region:
    """The campaign's region, or the actor's own if it lies inside it (a county clerk, a city campaign)."""
    if is_regional(actor) and actor.region.path.startswith(campaign.region.path):
        return actor.region
    return campaign.region


def campaign_picture(actor, campaign: Campaign) -> CampaignPicture:
    """Tier distribution, money by region and kind against the funds, sheets by state: six queries."""
    base = _base_region(actor, campaign)
    station_path = "station__region__path"

    # Tiers, best first: ordered by the mean score of each tier, which needs no reading of the policy.
    results = result_list(actor=actor).filter(campaign=campaign, **{f"{station_path}__startswith": base.path})
    tier_rows = list(
        results.values("tier_label", "eligible")
        .annotate(n=Count("id"), mean=Avg("score"), eliminated=Count("id", filter=Q(eliminated=True)))
        .order_by()
    )
    tier_rows.sort(key=lambda r: (not r["eligible"], -(r["mean"] or 0)))
    tier_items = []
    for row in tier_rows:
        label = row["tier_label"] or ("不符合参评条件" if not row["eligible"] else "未定等次")
        if row["eliminated"]:
            label += f"（含末位淘汰{row['eliminated']}）"
        tier_items.append((label, row["n"]))
    result_count = sum(n for _, n in tier_items)

    # Money: the ledger rows this campaign decided, by child region and kind, against the year's funds.
    kinds = [Entitlement.Kind.PERFORMANCE, Entitlement.Kind.ONE_TIME]
    money: dict[str, dict[str, Decimal]] = {}
    for row in grouped_by_child(
        entitlement_list(actor=actor).filter(campaign=campaign),
        base.path,
        "kind",
        total=Sum("amount"),
    ):
        money.setdefault(row["child"], {})[row["kind"]] = row["total"] or Decimal(0)
    funds: dict[str, Decimal] = {}
    for row in grouped_by_child(
        fund_list(actor=actor).filter(year=campaign.year),
        base.path,
        path_field="region__path",
        total=Sum("budget"),
    ):
        funds[row["child"]] = row["total"] or Decimal(0)

    # Progress: sheets by state per child region.
    sheets: dict[str, dict[str, int]] = {}
    for row in grouped_by_child(
        sheet_list(actor=actor).filter(campaign=campaign), base.path, "status", n=Count("id")
    ):
        sheets.setdefault(row["child"], {})[row["status"]] = row["n"]
    stations = (
        sheet_list(actor=actor)
        .filter(campaign=campaign, **{f"{station_path}__startswith": base.path})
        .aggregate(n=Count("station", distinct=True))["n"]
    )

    paths = set(money) | set(funds) | set(sheets)
    regions = {r.path: r for r in Region.objects.filter(path__in=paths | {base.path})}

    def name(path: str) -> str:
        if path == base.path:
            return f"{base.name}（本级）" if len(paths) > 1 else base.name
        region = regions.get(path)
        return region.name if region else path

    def order(path: str):
        region = regions.get(path)
        return (path != base.path, region.code if region else path)

    # By region: the children with money or a fund of their own; a fund of the region looked at
    # itself (a county's fund, seen from the county) stands against the total, in the second chart.
    money_paths = sorted(set(money) | (set(funds) - {base.path}), key=order)
    money_rows = [(name(p), [money.get(p, {}).get(kind, Decimal(0)) for kind in kinds]) for p in money_paths]
    markers = [funds.get(p) for p in money_paths]
    by_kind = [sum((values[i] for _, values in money_rows), Decimal(0)) for i in range(len(kinds))]
    money_total = sum(by_kind, Decimal(0))
    fund_total = sum(funds.values(), Decimal(0)) if funds else None

    states = list(ScoreSheet.Status)
    progress_paths = sorted(sheets, key=order)
    progress_rows = [(name(p), [sheets[p].get(state, 0) for state in states]) for p in progress_paths]
    if len(progress_rows) > 1:
        progress_rows.append(("合计", [sum(v[i] for _, v in progress_rows) for i in range(len(states))]))

    return CampaignPicture(
        campaign=campaign,
        base=base,
        stations=stations,
        results=result_count,
        tiers=charts.bar_chart(tier_items, title=f"{campaign.name}：等次分布（站点数）", unit=" 个"),
        money=charts.stacked_bar_chart(
            money_rows,
            series=[kind.label for kind in kinds],
            title=f"{campaign.name}：应享补助（元），按区域和类型",
            unit=" 元",
            fmt=charts.money,
            markers=markers if any(m is not None for m in markers) else None,
            marker_name="资金预算",
        ),
        against_fund=charts.stacked_bar_chart(
            [(f"{base.name}合计", by_kind)],
            series=[kind.label for kind in kinds],
            title=f"{campaign.name}：应享补助合计对照{campaign.year}年度资金预算（元）",
            unit=" 元",
            fmt=charts.money,
            markers=[fund_total] if fund_total is not None else None,
            marker_name="资金预算",
        ),
        money_total=money_total,
        fund_total=fund_total,
        progress=charts.stacked_bar_chart(
            progress_rows,
            series=[state.label for state in states],
            title=f"{campaign.name}：评分表进度（张），按区域",
            unit=" 张",
            whole=True,
            palette=charts.PROGRESS_PALETTE,
        ),
    )
