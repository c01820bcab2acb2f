"""Rubric inputs bound to the work log （从工作日志取数）: the logged figure beside the input.

A count input whose spec names a work-log field (`InputSpec.log`) is shown on the self-evaluation
and the on-site form with the station's logged total over the sheet's period ("工作日志：N 人（查看
明细）", linked to those days), prefilled with it while empty; an on-site value that differs from it
needs the assessor's reason, kept with the sheet's gap reasons under `log:<input name>` (a key no
item code can take) and printed as "日志记录 N，现场核实 M：理由".

While the on-site column is a draft the figure is read from the log when shown (a day corrected
before the visit shows in it). Submitting the column (`sheet_onsite_submit`, the bulk
`sheets_record_onsite` and so the bureau's Excel import) copies the figures of the bound inputs onto
the sheet (`ScoreSheet.log_figures`): the log stays open to late entries for 400 days, but what the
assessor compared, and the printed "日志记录 N，现场核实 M", must not move after the sheet is
assessed; the printed sheet's fingerprint covers the copy. Every live reader goes through
`prime_log_totals` / `sheet_log_totals`: one `work_log_totals` query per period for any number of
sheets, none for a policy with no binding unless the page asks for the whole log (the on-site
page's 工作日志合计 panel).
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from assessment.models import Policy, ScoreSheet
from assessment.scoring import compiled_policy
from stations.worklog import LOG_FIELD_LABELS, LOG_FIELD_NAMES, LOG_FIELD_UNITS, work_log_totals

LOG_REASON_PREFIX = "log:"
LOG_REASON_REQUIRED = "与工作日志记录不一致，请写明核实情况"
_MEMO = "_log_totals"


@dataclass(frozen=True)
class LogFigure:
    """One bound input's logged total over its sheet's period, with where the days are listed."""

    name: str  # the input
    log: str  # the work-log field
    value: int
    url: str

    # How a difference from it is asked about and printed (shared with contract_inputs.TargetFigure).
    source = "日志记录"
    differs = LOG_REASON_REQUIRED
    heading = "与工作日志不一致"

    @property
    def unit(self) -> str:
        return LOG_FIELD_UNITS[self.log]

    @property
    def label(self) -> str:
        return LOG_FIELD_LABELS[self.log]

    @property
    def text(self) -> str:
        """ "工作日志：12 人" as the form shows it beside the input."""
        return f"工作日志：{self.value} {self.unit}"


def log_reason_key(name: str) -> str:
    """The gap-reason key of a bound input's difference from its figure (the log's or the
    contract's target, `contract_inputs.sheet_bound_figures`): no item code has a colon."""
    return f"{LOG_REASON_PREFIX}{name}"


def bound_inputs(policy: Policy) -> dict[str, str]:
    """{input name: work-log field} of every input of the policy's rubric taken from the log."""
    _, rubric = compiled_policy(policy)
    return {name: spec.log for name, spec in rubric.inputs.items() if spec.log}


def period_days(period: str) -> tuple[datetime.date, datetime.date]:
    """The days of a sheet period: "2024" the policy year (1 January to 31 December), "2024-03" the month."""
    year = int(period[:4])
    if len(period) != 7:
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    month = int(period[5:7])
    return datetime.date(year, month, 1), datetime.date(year, month, calendar.monthrange(year, month)[1])


def sheet_period(sheet: ScoreSheet) -> tuple[datetime.date, datetime.date]:
    """The days a sheet scores (`period_days` of its period)."""
    return period_days(sheet.period)


def log_days_url(*, station, start: datetime.date, end: datetime.date) -> str:
    """Where the station's logged days of the period are listed, in the portal's work log.

    A month's sheet opens that month's days; a year's sheet opens the year (the twelve months'
    totals, each linked to its days), so the figure beside the input can be followed month by month.
    """
    base = reverse("portal:work_log", args=[station.code])
    if start.month == 1 and start.day == 1 and end == datetime.date(start.year, 12, 31):
        return f"{base}?{urlencode({'year': start.year})}"
    return f"{base}?{urlencode({'month': f'{start:%Y-%m}'})}"


def prime_log_totals(sheets: list[ScoreSheet]) -> None:
    """Read the logged totals of many sheets at once: one query per distinct period, remembered
    on each sheet for `sheet_log_totals` (an import template's rows, a ZIP's chunk of stations)."""
    by_period: dict[tuple[datetime.date, datetime.date], list[ScoreSheet]] = {}
    for sheet in sheets:
        if _MEMO not in sheet.__dict__:
            by_period.setdefault(sheet_period(sheet), []).append(sheet)
    for (start, end), group in by_period.items():
        totals = work_log_totals(station_ids={sheet.station_id for sheet in group}, start=start, end=end)
        for sheet in group:
            sheet.__dict__[_MEMO] = totals[sheet.station_id]


def sheet_log_totals(sheet: ScoreSheet) -> dict[str, int]:
    """The station's seven logged totals over the sheet's period (one query, then remembered)."""
    if _MEMO not in sheet.__dict__:
        prime_log_totals([sheet])
    return sheet.__dict__[_MEMO]


#: The states in which the on-site column is submitted: the figures are the sheet's copy.
SETTLED_STATES = frozenset({ScoreSheet.Status.ASSESSED, ScoreSheet.Status.LOCKED})


def log_figures_settled(sheet: ScoreSheet) -> bool:
    """Whether the sheet's on-site column is submitted, so its log figures are the copy made then."""
    return sheet.status in SETTLED_STATES


def sheet_log_figures(sheet: ScoreSheet, *, live: bool = False) -> dict[str, LogFigure]:
    """{input name: its logged figure} for the sheet's bound inputs; no query for a policy without any.

    Once the on-site column is submitted, the figures copied then (`ScoreSheet.log_figures`; an
    input the copy lacks has no figure); before, or with `live` (the submission itself), the log's
    totals now.
    """
    bound = bound_inputs(sheet.campaign.policy)
    if not bound:
        return {}
    start, end = sheet_period(sheet)
    url = log_days_url(station=sheet.station, start=start, end=end)
    if not live and log_figures_settled(sheet):
        copied = sheet.log_figures or {}
        return {
            name: LogFigure(name=name, log=log, value=int(copied[name]), url=url)
            for name, log in bound.items()
            if name in copied
        }
    totals = sheet_log_totals(sheet)
    return {name: LogFigure(name=name, log=log, value=totals[log], url=url) for name, log in bound.items()}


def log_figures_copy(figures: dict) -> dict[str, int]:
    """What `ScoreSheet.log_figures` keeps of the bound figures: {input name: logged total or
    contract target}; an input without a figure (no contract) has nothing to keep."""
    return {name: figure.value for name, figure in sorted(figures.items()) if figure.value is not None}


def sheet_log_panel(sheet: ScoreSheet) -> dict[str, Any]:
    """The 工作日志合计 panel: every field's total over the sheet's period, and the link to the days."""
    totals = sheet_log_totals(sheet)
    start, end = sheet_period(sheet)
    return {
        "start": start,
        "end": end,
        "rows": [(LOG_FIELD_LABELS[name], totals[name], LOG_FIELD_UNITS[name]) for name in LOG_FIELD_NAMES],
        "url": log_days_url(station=sheet.station, start=start, end=end),
    }


def _as_count(value: Any) -> int | None:
    """A typed count as a whole number; None when it is not one (the engine's check says why)."""
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number


def log_differences(figures: dict, inputs: dict[str, Any]) -> list[tuple[Any, int]]:
    """The bound inputs given a whole number other than their figure (logged total or contract
    target; none where there is no figure): (figure, value given)."""
    found = []
    for name, figure in figures.items():
        if figure.value is None or inputs.get(name) in (None, ""):
            continue
        value = _as_count(inputs[name])
        if value is not None and value != figure.value:
            found.append((figure, value))
    return found


def missing_log_reasons(figures: dict, inputs: dict[str, Any], reasons: dict[str, str]) -> dict[str, str]:
    """{`log:<name>`: the message} for every difference from a bound figure (the log's, or the
    contract's target) without a written reason."""
    return {
        log_reason_key(figure.name): f"{figure.differs}（{figure.source} {figure.value}，现场填写 {value}）"
        for figure, value in log_differences(figures, inputs)
        if not str(reasons.get(log_reason_key(figure.name)) or "").strip()
    }


@dataclass(frozen=True)
class LogNote:
    """A difference from the log as the sheet and the PDF print it."""

    label: str  # the input's label
    logged: int
    found: int
    reason: str
    source: str = "日志记录"  # or 合同目标
    heading: str = "与工作日志不一致"  # or 与运营合同目标不一致, as the PDF heads the line

    @property
    def text(self) -> str:
        return f"{self.source} {self.logged}，现场核实 {self.found}：{self.reason}"


def sheet_log_notes(sheet: ScoreSheet, figures: dict | None = None) -> list[LogNote]:
    """The on-site values that differ from their bound figures (pass
    `contract_inputs.sheet_bound_figures` for the log's and the contract's; the log's alone by
    default), each with the assessor's reason (if written)."""
    if figures is None:
        figures = sheet_log_figures(sheet)
    if not figures:
        return []
    _, rubric = compiled_policy(sheet.campaign.policy)
    reasons = sheet.gap_reasons or {}
    return [
        LogNote(
            label=rubric.inputs[figure.name].label or figure.label,
            logged=figure.value,
            found=value,
            reason=str(reasons.get(log_reason_key(figure.name)) or "（未写明理由）"),
            source=figure.source,
            heading=figure.heading,
        )
        for figure, value in log_differences(figures, sheet.onsite_inputs)
    ]


def campaign_log_totals(campaign) -> dict[str, dict[int, dict[str, int]]]:
    """{period: {station id: logged totals}} for every sheet of a campaign whose policy binds inputs
    to the log ({} otherwise): one query per period, for an import template of any size."""
    if not bound_inputs(campaign.policy):
        return {}
    station_ids = list(
        ScoreSheet.objects.filter(campaign=campaign).values_list("station_id", flat=True).distinct()
    )
    found = {}
    for period in campaign.periods:
        start, end = period_days(period)
        found[period] = work_log_totals(station_ids=station_ids, start=start, end=end)
    return found
