"""Excel exports of the money trail, through the one safe writer (user text is never a formula)."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import QuerySet

from assessment.models import Campaign
from core.xlsx import XlsxSheet, write_xlsx
from stations.models import StationKind
from subsidies.models import PlacementRoster, SubsidyClaim

MONEY_FORMAT = "#,##0.00"


def disbursement_xlsx(claims: QuerySet[SubsidyClaim]) -> bytes:
    """The disbursement list (补助资金拨付表): every approved or paid claim, with its voucher."""
    rows = (
        [
            claim.station.code,
            claim.station.name,
            claim.station.region.name,
            claim.get_kind_display(),
            claim.year,
            claim.approved_amount,
            claim.fund.name if claim.fund else "",
            claim.payee_name,
            claim.payee_bank,
            claim.masked_account,
            claim.get_status_display(),
            getattr(getattr(claim, "payout", None), "paid_on", None),
            getattr(getattr(claim, "payout", None), "voucher_number", ""),
        ]
        for claim in claims.filter(status__in=["approved", "paid"])
        .select_related("station__region", "fund", "payout")
        .order_by("station__code", "kind")
        .iterator(chunk_size=1000)
    )
    header = [
        "站点编码",
        "站点名称",
        "所在区域",
        "补助类型",
        "年度",
        "批准金额（元）",
        "列支资金",
        "收款单位",
        "开户银行",
        "银行账号",
        "状态",
        "拨付日期",
        "凭证号",
    ]
    return write_xlsx(
        [
            XlsxSheet(
                title="拨付表",
                header=header,
                rows=rows,
                column_widths=[12, 28, 12, 14, 6, 14, 20, 28, 20, 16, 10, 12, 16],
                number_formats={5: MONEY_FORMAT},
            )
        ]
    )


def roster_xlsx(roster: PlacementRoster, *, reveal: bool) -> bytes:
    """A roster as Excel; ID numbers and phones masked unless `reveal` (the role may see them)."""
    header = ["行号", "姓名", "身份证号码", "手机号码", "用工单位", "岗位", "上岗日期", "月工资（元）"]
    rows = (
        [
            p.row_number,
            p.name,
            p.id_number if reveal else p.masked_id_number,
            p.phone if reveal else p.masked_phone,
            p.employer,
            p.job,
            p.start_date,
            p.wage,
        ]
        for p in roster.rows.order_by("row_number").iterator(chunk_size=2000)
    )
    title = f"{roster.station.code}-{roster.year}"
    return write_xlsx(
        [
            XlsxSheet(
                title=title,
                header=header,
                rows=rows,
                column_widths=[6, 10, 22, 14, 30, 16, 12, 12],
                number_formats={7: MONEY_FORMAT},
            )
        ]
    )


def campaign_totals_xlsx(campaign: Campaign) -> bytes:
    """Campaign totals by station kind and tier: how many stations, and what they earn."""
    totals: dict[tuple[str, str], list] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    best_score: dict[tuple[str, str], Decimal] = {}
    for kind, tier, score, subsidy, one_time in campaign.results.values_list(
        "station__kind", "tier_label", "score", "entitlement__amount", "one_time_entitlement__amount"
    ):
        key = (kind, tier or "—")
        row = totals[key]
        row[0] += 1
        row[1] += subsidy
        row[2] += one_time or 0
        best_score[key] = max(score, best_score.get(key, score))
    labels = dict(StationKind.choices)
    kind_order = {kind: index for index, kind in enumerate(StationKind.values)}
    # As a clerk reads the tier scheme: kinds in their usual order, within a kind the best tier first
    # (sorting the labels themselves would put 不合格 before 优秀).
    order = sorted(
        totals, key=lambda key: (kind_order.get(key[0], len(kind_order)), key[0], -best_score[key])
    )
    rows = [
        [labels.get(kind, kind), tier, *totals[(kind, tier)], sum(totals[(kind, tier)][1:], Decimal(0))]
        for kind, tier in order
    ]
    grand = [sum(r[2] for r in rows), *(sum((r[i] for r in rows), Decimal(0)) for i in (3, 4, 5))]
    rows.append(["合计", "", *grand])
    header = ["站点类型", "等次", "站点数", "年度补助（元）", "一次性补助（元）", "合计（元）"]
    return write_xlsx(
        [
            XlsxSheet(
                title="分类汇总",
                header=header,
                rows=rows,
                column_widths=[18, 14, 8, 16, 16, 16],
                number_formats={3: MONEY_FORMAT, 4: MONEY_FORMAT, 5: MONEY_FORMAT},
            )
        ]
    )
