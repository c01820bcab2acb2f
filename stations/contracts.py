"""Operating contracts under purchase of services (003): saving them, and the work log against their targets.

A county tenders a station's running to a third party under a contract that fixes the service
targets over its period (合同约定的服务效果和目标任务). The contract is the one source of the
station's operating mode, purchase-contract dates and operator: `contract_save` writes them onto
the station, recorded, so the engine's "under purchase of services" test (002: 购买服务期间不得重复
享受奖补) and the station's page read what the contracts say.

Progress is measured by elapsed time: a contract that has run a quarter of its days is expected to
have done a quarter of each target. `contract_progress` compares that with the work log's totals
from the contract's start, for any number of contracts in two queries.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, Min, Q, QuerySet, Sum
from django.utils import timezone

from core.audit import changed_fields
from core.money import round_half_up_whole
from core.permissions import may_manage, require
from core.scoping import register_scope
from core.workflow import record_audit
from stations.models import OperatingContract, Station, User, contract_target_field
from stations.selectors import can_read_everything, is_regional
from stations.worklog import LOG_FIELD_LABELS, LOG_FIELD_NAMES, LOG_FIELD_UNITS

REFUSAL = "只有站点所在区域的人社局工作人员可以新增或修改运营合同。"

TARGET_FIELDS = tuple(contract_target_field(name) for name in LOG_FIELD_NAMES)
CONTRACT_AUDITED_FIELDS = (
    "station",
    "number",
    "operator_organisation",
    "operator_credit_code",
    "start",
    "end",
    "amount",
    "supervisor",
    *TARGET_FIELDS,
)
# The station's facts that follow its contracts (and the admin no longer lets a clerk type).
STATION_FIELDS_FROM_CONTRACT = (
    "operating_mode",
    "purchase_contract_start",
    "purchase_contract_end",
    "operator_organisation",
    "operator_credit_code",
)


# ---- reads


def operating_contract_list(*, actor: User) -> QuerySet[OperatingContract]:
    """Contracts the actor may see: bureau staff and auditors those of stations under their region.

    Operators and assessors have no use for the contract (its money and terms are the county's);
    they reach none.
    """
    contracts = OperatingContract.objects.select_related("station__region", "supervisor")
    if can_read_everything(actor):
        return contracts
    if is_regional(actor):
        return contracts.filter(station__region__path__startswith=actor.region.path)
    return contracts.none()


register_scope(OperatingContract, operating_contract_list)


def contract_problems(contract: OperatingContract) -> dict[str, str]:
    """What is wrong with a contract about to be saved, as {field: message a clerk can act on}.

    The admin's form shows these beside the fields; `contract_save` refuses with them. The end
    before the start, a period overlapping another contract of the same station (a station has one
    operator at a time), and a supervisor missing or not bureau staff of the station's region.
    """
    problems: dict[str, str] = {}
    if contract.start and contract.end and contract.end < contract.start:
        problems["end"] = "合同截止日期不能早于起始日期。"
    if contract.station_id and contract.start and contract.end and "end" not in problems:
        overlapping = (
            OperatingContract.objects.filter(
                station_id=contract.station_id, start__lte=contract.end, end__gte=contract.start
            )
            .exclude(pk=contract.pk)
            .order_by("start")
            .first()
        )
        if overlapping is not None:
            problems["start"] = (
                f"合同期与该站点的合同 {overlapping.number}（{overlapping.start:%Y-%m-%d} 至 "
                f"{overlapping.end:%Y-%m-%d}）重叠：同一站点同一时间只能有一份运营合同。"
            )
    if not contract.supervisor_id:
        # Required by the model too; checked here so a caller other than the admin form is refused
        # in words rather than by the database.
        problems["supervisor"] = "请选择县级监管人员（站点所在县（区）就业部门负责该站日常监管的工作人员）。"
    elif contract.station_id:
        supervisor, station = contract.supervisor, contract.station
        if not (
            supervisor.is_active
            and supervisor.is_bureau
            and supervisor.region_id
            and supervisor.region.contains(station.region)
        ):
            problems["supervisor"] = (
                f"监管人员须为{station.region.name}或其上级人社部门的在职工作人员，请重新选择。"
            )
    return problems


# ---- writes


def purchase_span(
    periods: list[tuple[datetime.date, datetime.date]], *, today: datetime.date
) -> tuple[datetime.date, datetime.date] | None:
    """The purchase-of-services period a station's contracts make, as the station keeps it.

    Back-to-back contracts (the next one starting the day after the last ends, as a renewal does)
    are one uninterrupted purchase, so their span is taken whole: a renewal entered early does not
    make the station look out of contract before it starts. Of the spans, the one running `today`,
    else the latest begun, else the first to come.
    """
    spans: list[list[datetime.date]] = []
    for start, end in sorted(periods):
        if spans and start <= spans[-1][1] + datetime.timedelta(days=1):
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    if not spans:
        return None
    begun = [span for span in spans if span[0] <= today]
    chosen = begun[-1] if begun else spans[0]
    return chosen[0], chosen[1]


def _station_sync(*, station: Station, actor: User, reason: str, today: datetime.date) -> None:
    """Write the station's operating mode, contract dates and operator from its contracts, recorded.

    One source: the contract. The station's fields stay because the engine's eligibility test, the
    station's page and the December summary read them; they are never typed once a contract exists.
    """
    contracts = list(station.operating_contracts.order_by("start"))
    span = purchase_span([(c.start, c.end) for c in contracts], today=today)
    if span is None:
        return
    # The operator is the one of the contract running within that span (or its first, not begun).
    in_span = [c for c in contracts if span[0] <= c.start <= span[1]]
    current = next((c for c in reversed(in_span) if c.start <= today), in_span[0])
    before = Station.objects.get(pk=station.pk)
    station.operating_mode = Station.OperatingMode.PURCHASED
    station.purchase_contract_start, station.purchase_contract_end = span
    station.operator_organisation = current.operator_organisation
    station.operator_credit_code = current.operator_credit_code
    changes = changed_fields(before, station, STATION_FIELDS_FROM_CONTRACT)
    if not changes:
        return
    station.save(update_fields=[*STATION_FIELDS_FROM_CONTRACT, "updated_at"])
    record_audit(
        target=station,
        actor=actor,
        action="station.contract_sync",
        station=station,
        reason=reason,
        changes=changes,
    )


def contract_save(
    *, contract: OperatingContract, actor: User, reason: str, today: datetime.date | None = None
) -> OperatingContract:
    """Create an operating contract or save the changes made to it, and bring the station in line.

    Before: the actor manages the station's region (and, for an edit, the region of the station it
    was for), a reason is given, and `contract` carries the new values. After: the contract is
    saved with one audit entry (`contract.create` / `contract.change`: every changed fact as
    [old, new]), and the station's operating mode, purchase-contract dates and operator are written
    from its contracts with an audit entry of their own (`station.contract_sync`) when they change.
    Raises Forbidden, or ValidationError with `contract_problems`' messages (nothing saved).
    """
    require(may_manage(actor, contract.station.region), REFUSAL)
    if not (reason or "").strip():
        raise ValidationError("请填写变更原因。")
    reason = reason.strip()
    today = today or timezone.localdate()
    with transaction.atomic():
        # Lock the station: two clerks saving contracts of one station at once must not both pass
        # the overlap check.
        station = Station.objects.select_for_update().get(pk=contract.station_id)
        before = (
            OperatingContract.objects.select_for_update()
            .select_related("station__region")
            .filter(pk=contract.pk)
            .first()
            if contract.pk
            else None
        )
        if before is not None:
            require(may_manage(actor, before.station.region), REFUSAL)
        # The supervisor is checked by contract_problems, in words naming the region.
        contract.full_clean(exclude=["supervisor"], validate_constraints=False)
        # Yuan with 2 places as the database keeps it (full_clean refused more places, so this only
        # adds zeros): 300000 and 300000.00 are the same amount, not a change to record.
        contract.amount = contract.amount.quantize(Decimal("0.01"))
        problems = contract_problems(contract)
        if problems:
            raise ValidationError(problems)
        changes = changed_fields(before or OperatingContract(), contract, CONTRACT_AUDITED_FIELDS)
        contract.save()
        if changes or before is None:
            record_audit(
                target=contract,
                actor=actor,
                action="contract.change" if before is not None else "contract.create",
                station=station,
                reason=reason,
                changes=changes,
            )
        _station_sync(station=station, actor=actor, reason=reason, today=today)
        if before is not None and before.station_id != station.pk:
            old = Station.objects.select_for_update().get(pk=before.station_id)
            _station_sync(station=old, actor=actor, reason=reason, today=today)
    return contract


# ---- progress against the targets


@dataclass(frozen=True)
class TargetProgress:
    """One target of one contract, measured on a day."""

    field: str
    target: int
    logged: int
    expected: int

    @property
    def label(self) -> str:
        return LOG_FIELD_LABELS[self.field]

    @property
    def unit(self) -> str:
        return LOG_FIELD_UNITS[self.field]

    @property
    def shortfall(self) -> int:
        """How far the log is behind the expected figure (0 when on or ahead of it)."""
        return max(self.expected - self.logged, 0)

    @property
    def done_share(self) -> Fraction | None:
        """Logged ÷ expected, exact (None when nothing is expected yet)."""
        return Fraction(self.logged, self.expected) if self.expected else None

    @property
    def percent_done(self) -> int | None:
        """完成进度: logged ÷ expected as a whole percentage, rounded half up once from the exact ratio."""
        share = self.done_share
        return None if share is None else round_half_up_whole(share * 100)


@dataclass(frozen=True)
class ContractProgress:
    contract: OperatingContract
    on: datetime.date
    elapsed_days: int
    targets: list[TargetProgress] = field(default_factory=list)
    # The first and last day of the measured period on which the station's log has a row (None
    # when it has none): a period the log does not cover counts 0, and the page says so.
    first_logged: datetime.date | None = None
    last_logged: datetime.date | None = None
    since: datetime.date | None = None

    @property
    def behind(self) -> list[TargetProgress]:
        return [t for t in self.targets if t.shortfall]

    @property
    def period(self) -> tuple[datetime.date, datetime.date] | None:
        """The days measured (both included): from the contract's start (or `since`) to the
        earlier of `on` and its end; None before it starts."""
        if not self.elapsed_days:
            return None
        first = max(self.contract.start, self.since) if self.since else self.contract.start
        return first, min(self.on, self.contract.end)

    def period_words(self) -> str:
        """The measured period in words: 自2023年6月1日至2025年5月31日（合同期满）."""
        if self.period is None:
            return f"合同自{_day(self.contract.start)}起执行，尚未开始，不计进度"
        first, last = self.period
        if last == self.contract.end:
            return f"自{_day(first)}至{_day(last)}（合同期满）"
        return f"自{_day(first)}至{_day(last)}（{'今日' if last == timezone.localdate() else '统计截止日'}）"

    def log_gap_words(self) -> str:
        """What of the measured period the work log has no day for (counted 0), or "" when the
        log has days at both ends of it. Gaps between recorded days are not told: a station logs
        working days only."""
        if self.period is None:
            return ""
        first, last = self.period
        if self.first_logged is None:
            return f"工作日志在此期间（{(last - first).days + 1} 天）没有任何记录，按 0 计"
        parts = []
        if self.first_logged > first:
            parts.append(
                f"工作日志最早记录为{_day(self.first_logged)}，此前 {(self.first_logged - first).days} 天没有记录"
            )
        if self.last_logged < last:
            parts.append(
                f"最晚记录为{_day(self.last_logged)}，此后 {(last - self.last_logged).days} 天没有记录"
            )
        if not parts:
            return ""
        if len(parts) == 2:
            return f"{parts[0]}；{parts[1]}，均按 0 计"
        only = parts[0] if parts[0].startswith("工作日志") else "工作日志" + parts[0]
        return f"{only}，按 0 计"


def _day(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def elapsed_days(contract: OperatingContract, on: datetime.date, since: datetime.date | None = None) -> int:
    """Days of the contract run by `on` (from `since` when later than its start), both ends
    included: 0 before it starts, all of it after."""
    first = max(contract.start, since) if since else contract.start
    last = min(on, contract.end)
    return max((last - first).days + 1, 0)


def contract_log_totals(
    *, contracts: list[OperatingContract], on: datetime.date, since: datetime.date | None = None
) -> dict[int, dict[str, int]]:
    """{contract id: {log field: total}} of each contract's station, from the contract's start (or
    `since`, when later) to the earlier of `on` and its end. One query for any number of contracts."""
    return {pk: totals for pk, (totals, _first, _last) in _contract_log(contracts, on, since).items()}


def _contract_log(
    contracts: list[OperatingContract], on: datetime.date, since: datetime.date | None
) -> dict[int, tuple[dict[str, int], datetime.date | None, datetime.date | None]]:
    """{contract id: ({log field: total}, first logged day, last logged day)} within each
    contract's measured period. One query for any number of contracts.

    `stations.worklog.work_log_totals` sums one period for many stations; here every contract has
    its own period, so the log's days are joined to the contracts and each summed within its own.
    The day conditions are in one `filter()` call, so they and the sums use the same join (a
    second call would join the log again and sum every day of the station).
    """
    result = {c.pk: (dict.fromkeys(LOG_FIELD_NAMES, 0), None, None) for c in contracts}
    if not result:
        return result
    rows = (
        OperatingContract.objects.filter(
            Q(station__work_log_days__day__gte=F("start")),
            Q(station__work_log_days__day__lte=F("end")),
            Q(station__work_log_days__day__lte=on),
            Q(station__work_log_days__day__gte=since) if since else Q(),
            pk__in=list(result),
        )
        .values("pk")
        .annotate(
            first_logged=Min("station__work_log_days__day"),
            last_logged=Max("station__work_log_days__day"),
            **{name: Sum(f"station__work_log_days__{name}") for name in LOG_FIELD_NAMES},
        )
        .order_by()
    )
    for row in rows:
        result[row["pk"]] = (
            {name: row[name] or 0 for name in LOG_FIELD_NAMES},
            row["first_logged"],
            row["last_logged"],
        )
    return result


def contract_progress(
    *, contracts, on: datetime.date, since: datetime.date | None = None
) -> list[ContractProgress]:
    """Each contract's targets measured on `on`: target, logged so far, expected by now, shortfall.

    Logged is the station's work log from the contract's start to the earlier of `on` and its end.
    Expected is target × elapsed days ÷ contract days (both counted with their first and last day),
    exact, rounded half up to a whole unit once; a contract that has ended is expected to have met
    its targets in full. With `since` (a campaign's first day of its year), both count only from
    that day: the year's share of the target against the year's log, so a year already assessed
    is not carried into the next. Only the targets the contract sets are listed. Two queries
    whatever the number of contracts (one if `contracts` is already a list).
    """
    contracts = list(contracts)
    log = _contract_log(contracts, on, since)
    result = []
    for contract in contracts:
        elapsed = elapsed_days(contract, on, since)
        logged, first_logged, last_logged = log[contract.pk]
        result.append(
            ContractProgress(
                contract=contract,
                on=on,
                elapsed_days=elapsed,
                first_logged=first_logged,
                last_logged=last_logged,
                since=since,
                targets=[
                    TargetProgress(
                        field=name,
                        target=target,
                        logged=logged[name],
                        expected=round_half_up_whole(Fraction(target * elapsed, contract.days)),
                    )
                    for name, target in contract.targets().items()
                ],
            )
        )
    return result


@dataclass(frozen=True)
class ShortfallRow:
    """A target a station is behind on: what the campaign page lists."""

    contract: OperatingContract
    progress: TargetProgress

    @property
    def station(self) -> Station:
        return self.contract.station


@dataclass(frozen=True)
class ShortfallPanel:
    """The contracts of a campaign's stations measured on `on`: the worst `rows`, and how many in all."""

    on: datetime.date
    since: datetime.date | None
    contracts: int
    behind: int  # targets behind
    stations_behind: int
    rows: list[ShortfallRow]


def contract_shortfalls(
    *,
    contracts: QuerySet[OperatingContract],
    on: datetime.date,
    since: datetime.date | None = None,
    limit: int = 20,
) -> ShortfallPanel:
    """The targets behind their expected progress on `on`, the lowest 完成进度 first, `limit` of them.

    完成进度 is logged ÷ expected (logged 2 of an expected 10, 20 %, is further behind than 80 of
    100); the sort uses the exact ratio, so the whole percentages shown never run out of order
    (rounding keeps order), and ties go to the larger shortfall. Two queries whatever the number
    of contracts.
    """
    measured = contract_progress(contracts=contracts.select_related("station__region"), on=on, since=since)
    rows = [ShortfallRow(contract=p.contract, progress=t) for p in measured for t in p.behind]
    rows.sort(
        key=lambda r: (
            r.progress.done_share,  # never None: a target behind has something expected
            -r.progress.shortfall,
            r.station.code,
            r.progress.field,
        )
    )
    return ShortfallPanel(
        on=on,
        since=since,
        contracts=len(measured),
        behind=len(rows),
        stations_behind=len({r.contract.station_id for r in rows}),
        rows=rows[:limit],
    )


def contract_targets_for(
    *, station_ids, period: tuple[datetime.date, datetime.date]
) -> dict[int, dict[str, int]]:
    """Each station's contract targets for `period` (both days included), by work-log field.

    What a rubric input bound to a contract target reads (the analogue of a `log` binding: the
    sheet's period in, one figure per station out). A contract's target covers its whole period, so
    the share falling within `period` is target × overlapping days ÷ contract days; the shares of
    every contract overlapping the period are added exactly and rounded half up to a whole unit
    once. A station with no contract over the period is absent (no contract is not a target of 0);
    a field no overlapping contract sets is absent from the station's figures. One query.
    """
    first, last = period
    exact: dict[int, dict[str, Fraction]] = {}
    contracts = OperatingContract.objects.filter(
        station_id__in=list(station_ids), start__lte=last, end__gte=first
    ).only("station_id", "start", "end", *TARGET_FIELDS)
    for contract in contracts:
        overlap = (min(last, contract.end) - max(first, contract.start)).days + 1
        figures = exact.setdefault(contract.station_id, {})
        for name, target in contract.targets().items():
            figures[name] = figures.get(name, Fraction(0)) + Fraction(target * overlap, contract.days)
    return {
        station_id: {name: round_half_up_whole(value) for name, value in figures.items()}
        for station_id, figures in exact.items()
    }
