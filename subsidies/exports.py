"""Excel exports of the money trail, through the one safe writer (user text is never a formula).

Each export is a list of sheets whose rows are read as plain values in chunks (`*_sheets`), written
by `core.xlsx` into a temporary file for a download (`xlsx_response`) or into bytes (`*_xlsx`).
"""

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

from django.db.models import QuerySet

from assessment.models import Campaign
from core.xlsx import DECIMAL_FORMAT as MONEY_FORMAT
from core.xlsx import XlsxSheet, write_xlsx
from stations.models import StationKind
from stations.validators import mask_id_number, mask_phone
from subsidies.models import ClaimKind, PlacementRoster, SubsidyClaim, mask_account

CHUNK = 2000


def disbursement_xlsx(claims: QuerySet[SubsidyClaim]) -> bytes:
    return write_xlsx(disbursement_sheets(claims))


def _never(path: str) -> bool:
    return False


def disbursement_sheets(
    claims: QuerySet[SubsidyClaim],
    *,
    reveal: Callable[[str], bool] = _never,
    revealed: list[str] | None = None,
) -> list[XlsxSheet]:
    """The disbursement list (补助资金拨付表): every approved or paid claim, with its voucher.

    Accounts are masked unless `reveal(region path of the claim's station)` (those who pay it; see
    subsidies.services.personal_data); the station code of each account written in full is appended
    to `revealed` as the rows are written, so the caller records exactly what the file holds.
    """
    kinds = dict(ClaimKind.choices)
    statuses = dict(SubsidyClaim.Status.choices)
    values = (
        claims.filter(status__in=["approved", "paid"])
        .order_by("station__code", "kind")
        .values_list(
            "station__code",
            "station__name",
            "station__region__name",
            "station__region__path",
            "kind",
            "year",
            "approved_amount",
            "fund__name",
            "payee_name",
            "payee_bank",
            "payee_account",
            "status",
            "payout__paid_on",
            "payout__voucher_number",
        )
    )

    def account_cell(code: str, path: str, account: str) -> str:
        if account and reveal(path):
            if revealed is not None:
                revealed.append(code)
            return account
        return mask_account(account)

    rows = (
        [
            code,
            name,
            region,
            kinds.get(kind, kind),
            year,
            approved,
            fund or "",
            payee,
            bank,
            account_cell(code, path, account),
            statuses.get(status, status),
            paid_on,
            voucher or "",
        ]
        for code, name, region, path, kind, year, approved, fund, payee, bank, account, status, paid_on, voucher in (
            values.iterator(chunk_size=CHUNK)
        )
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
    return [
        XlsxSheet(
            title="拨付表",
            header=header,
            rows=rows,
            column_widths=[12, 28, 12, 14, 6, 14, 20, 28, 20, 24, 10, 12, 16],
            number_formats={5: MONEY_FORMAT},
        )
    ]


def roster_xlsx(roster: PlacementRoster, *, reveal: bool) -> bytes:
    return write_xlsx(roster_sheets(roster, reveal=reveal))


def roster_sheets(roster: PlacementRoster, *, reveal: bool) -> list[XlsxSheet]:
    """A roster as Excel; ID numbers and phones masked unless `reveal` (the role may see them)."""
    header = ["行号", "姓名", "身份证号码", "手机号码", "用工单位", "岗位", "上岗日期", "月工资（元）"]
    values = roster.rows.order_by("row_number").values_list(
        "row_number", "name", "id_number", "phone", "employer", "job", "start_date", "wage"
    )
    rows = (
        [
            row_number,
            name,
            id_number if reveal else mask_id_number(id_number),
            phone if reveal else mask_phone(phone),
            employer,
            job,
            start_date,
            wage,
        ]
        for row_number, name, id_number, phone, employer, job, start_date, wage in values.iterator(
            chunk_size=CHUNK
        )
    )
    title = f"{roster.station.code}-{roster.year}"
    return [
        XlsxSheet(
            title=title,
            header=header,
            rows=rows,
            column_widths=[6, 10, 22, 14, 30, 16, 12, 12],
            number_formats={7: MONEY_FORMAT},
        )
    ]


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
