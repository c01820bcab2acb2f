"""Rubric inputs bound to an operating contract's target （取运营合同目标）: the target beside the input.

A count input whose spec names a work-log field in `InputSpec.target` is the station's
operating-contract target for that field over the sheet's period (Huizhou 5.1's 运营合同约定岗位
信息归集目标): the self-evaluation and the on-site form show "合同目标：N 条" beside it and start an
empty input at N. A contract's target covers its whole period, so a sheet's year gets the share of
the days it overlaps (`stations.contracts.contract_targets_for`, rounded half up once).

Nothing is filled where there is no figure to take: a station without a contract over the period
shows "无运营合同", one whose contracts set no target for the field says so, and the person types
the value (or leaves it to the engine's check) as before the binding existed.

The target is the contract's, not the operator's to restate: the self-evaluation shows the input
read-only at the contract figure and `contract_self_inputs` writes that figure into the self
column whatever was posted (typed by hand only where there is no figure). The on-site form starts
the input from the contract figure, not from the operator's column, and an on-site value that
differs from it needs the assessor's reason, as a count taken from the work log does: the two are
the sheet's "bound figures" (`sheet_bound_figures`), which share the log binding's machinery — the
reason under `log:<input>` among the gap reasons (`worklog_inputs.missing_log_reasons`), the
Excel import's reason column, the copy made on on-site submission (`ScoreSheet.log_figures`, keyed
by input name, which no two bindings share) that the print ("合同目标 N，现场核实 M：理由") and the
fingerprint read. Before that submission the target is read when shown (a contract corrected by
the bureau shows in it); after, a later correction does not move what the assessed sheet says.
Every live reader goes through `prime_contract_targets`: one `contract_targets_for` query per
distinct period for any number of sheets, none for a policy without a binding.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from assessment.models import Policy, ScoreSheet
from assessment.scoring import compiled_policy
from assessment.worklog_inputs import (
    bound_inputs,
    log_figures_settled,
    period_days,
    prime_log_totals,
    sheet_log_figures,
    sheet_log_notes,
    sheet_period,
)
from stations.contracts import contract_targets_for
from stations.worklog import LOG_FIELD_LABELS, LOG_FIELD_UNITS

NO_CONTRACT = "无运营合同"
TARGET_REASON_REQUIRED = "与运营合同约定的目标不一致，请写明核实情况"
_MEMO = "_contract_targets"


@dataclass(frozen=True)
class TargetFigure:
    """One bound input's contract target over its sheet's period; `value` None when there is none."""

    name: str  # the input
    target: str  # the work-log field whose target it is
    value: int | None
    has_contract: bool

    # How a difference from it is asked about and printed (as worklog_inputs.LogFigure).
    source = "合同目标"
    differs = TARGET_REASON_REQUIRED
    heading = "与运营合同目标不一致"

    @property
    def unit(self) -> str:
        return LOG_FIELD_UNITS[self.target]

    @property
    def label(self) -> str:
        return LOG_FIELD_LABELS[self.target]

    @property
    def text(self) -> str:
        """What the form shows beside the input: "合同目标：60 条", or why there is no figure."""
        if self.value is not None:
            return f"合同目标：{self.value} {self.unit}"
        if not self.has_contract:
            return NO_CONTRACT
        return f"运营合同未约定“{self.label}”目标"


def target_bound_inputs(policy: Policy) -> dict[str, str]:
    """{input name: work-log field} of every input of the policy's rubric taken from a contract target."""
    _, rubric = compiled_policy(policy)
    return {name: spec.target for name, spec in rubric.inputs.items() if spec.target}


def prime_contract_targets(sheets: list[ScoreSheet]) -> None:
    """Read the contract targets of many sheets at once: one query per distinct period, remembered
    on each sheet (None for a station without a contract over its period)."""
    by_period: dict[tuple[datetime.date, datetime.date], list[ScoreSheet]] = {}
    for sheet in sheets:
        if _MEMO not in sheet.__dict__:
            by_period.setdefault(sheet_period(sheet), []).append(sheet)
    for period, group in by_period.items():
        found = contract_targets_for(station_ids={sheet.station_id for sheet in group}, period=period)
        for sheet in group:
            sheet.__dict__[_MEMO] = found.get(sheet.station_id)


def _figures(bound: dict[str, str], targets: dict[str, int] | None) -> dict[str, TargetFigure]:
    return {
        name: TargetFigure(
            name=name,
            target=field,
            value=None if targets is None else targets.get(field),
            has_contract=targets is not None,
        )
        for name, field in bound.items()
    }


def sheet_target_figures(sheet: ScoreSheet, *, live: bool = False) -> dict[str, TargetFigure]:
    """{input name: its contract target} for the sheet's bound inputs; no query for a policy without any.

    Once the on-site column is submitted, the targets copied then (`ScoreSheet.log_figures`; an
    input the copy lacks, having had no target, has no figure); before, or with `live` (the
    submission itself), the contracts' now.
    """
    bound = target_bound_inputs(sheet.campaign.policy)
    if not bound:
        return {}
    if not live and log_figures_settled(sheet):
        copied = sheet.log_figures or {}
        return {
            name: TargetFigure(name=name, target=field, value=int(copied[name]), has_contract=True)
            for name, field in bound.items()
            if name in copied
        }
    if _MEMO not in sheet.__dict__:
        prime_contract_targets([sheet])
    return _figures(bound, sheet.__dict__[_MEMO])


def sheets_target_figures(sheets: list[ScoreSheet]) -> dict[int, dict[str, TargetFigure]]:
    """{sheet id: {input name: its contract target}} for a list of sheets (an import template's rows,
    a ZIP's chunk of stations): one query per distinct period whatever their number, none for
    sheets whose policies bind nothing."""
    bound_by_policy: dict[int, dict[str, str]] = {}
    for sheet in sheets:
        policy = sheet.campaign.policy
        if policy.pk not in bound_by_policy:
            bound_by_policy[policy.pk] = target_bound_inputs(policy)
    prime_contract_targets([sheet for sheet in sheets if bound_by_policy[sheet.campaign.policy.pk]])
    return {
        sheet.pk: _figures(bound_by_policy[sheet.campaign.policy.pk], sheet.__dict__.get(_MEMO))
        for sheet in sheets
        if bound_by_policy[sheet.campaign.policy.pk]
    }


def campaign_contract_targets(campaign) -> dict[str, dict[int, dict[str, int]]]:
    """{period: {station id: contract targets}} for every sheet of a campaign whose policy binds an
    input to a contract target ({} otherwise; a station without a contract is absent): one query
    per period, for an import template of any size (as `worklog_inputs.campaign_log_totals`)."""
    if not target_bound_inputs(campaign.policy):
        return {}
    station_ids = list(
        ScoreSheet.objects.filter(campaign=campaign).values_list("station_id", flat=True).distinct()
    )
    return {
        period: contract_targets_for(station_ids=station_ids, period=period_days(period))
        for period in campaign.periods
    }


# --- bound figures: the work log's and the contract's, asked about, copied and printed alike ---


def has_bound_figures(policy: Policy) -> bool:
    """Whether any input of the policy's rubric is taken from the work log or a contract target."""
    return bool(bound_inputs(policy) or target_bound_inputs(policy))


def sheet_bound_figures(sheet: ScoreSheet, *, live: bool = False) -> dict:
    """{input name: LogFigure or TargetFigure} of every bound input of the sheet (see the module)."""
    return sheet_log_figures(sheet, live=live) | sheet_target_figures(sheet, live=live)


def prime_bound_figures(sheets: list[ScoreSheet], *, live: bool = False) -> None:
    """Read the live figures of many sheets at once (one query per source and period); a sheet whose
    on-site column is submitted reads its copy and is left out, unless `live` (a submission)."""
    reading = [sheet for sheet in sheets if live or not log_figures_settled(sheet)]
    if reading and bound_inputs(reading[0].campaign.policy):
        prime_log_totals(reading)
    if reading and target_bound_inputs(reading[0].campaign.policy):
        prime_contract_targets(reading)


def sheet_bound_notes(sheet: ScoreSheet):
    """The on-site values that differ from the log or the contract target, with the reasons."""
    return sheet_log_notes(sheet, sheet_bound_figures(sheet))


def contract_self_inputs(sheet: ScoreSheet, raw: dict) -> dict:
    """The operator's inputs with every target-bound input set to its contract figure: the target is
    the contract's, not the operator's to restate; without a figure the typed value stays."""
    figures = sheet_target_figures(sheet, live=True)
    fixed = {name: str(figure.value) for name, figure in figures.items() if figure.value is not None}
    return {**raw, **fixed}


def onsite_start_values(sheet: ScoreSheet, figures: dict) -> dict:
    """What the on-site form starts from: the assessor's draft, else the operator's column without
    the target-bound inputs that have a contract figure (the form starts those from the figure)."""
    if sheet.onsite_inputs:
        return sheet.onsite_inputs
    targets = {
        name
        for name, figure in figures.items()
        if isinstance(figure, TargetFigure) and figure.value is not None
    }
    return {name: value for name, value in sheet.self_inputs.items() if name not in targets}
