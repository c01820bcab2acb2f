"""Score sheets moved by the thousand: on-site inputs recorded in bulk, assessed sheets locked in bulk.

The one-by-one services (`assessment/services/sheets.py`) stay the reference: these write the rows
they write (the same fields, the moves `SHEET_TRANSITIONS` allows, one audit row per sheet) but
lock, check and write a chunk of sheets per statement, so a province's 360,000 monthly sheets take
minutes rather than hours. All or nothing: a problem on any sheet leaves every sheet as it was,
and the message names the sheets. Every sheet is checked and scored with the campaign's frozen
policy (compiled once), under its row lock, so a single-sheet edit made meanwhile is either seen
or waits for the batch, and is never overwritten.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from assessment.contract_inputs import has_bound_figures, prime_bound_figures, sheet_bound_figures
from assessment.engine.scoring import CompiledRubric
from assessment.models import Campaign, CampaignStation, ScoreSheet
from assessment.scoring import compiled_policy
from assessment.services.campaigns import require_bureau
from assessment.services.sheets import SHEET_TRANSITIONS, _clean_raw
from assessment.worklog_inputs import (
    LOG_REASON_PREFIX,
    log_figures_copy,
    missing_log_reasons,
)
from core.permissions import Forbidden, is_active_user, may_manage
from core.workflow import (
    BULK_CHUNK,
    audit_entry,
    chunked,
    record_audit_many,
    refusal_message,
    transition_many,
    update_rows,
)
from stations.models import User

# What a sheet's audit row and checks read: its place and its station's kind, never the JSON columns
# a move does not need.
_SHEET_PLACE = ("campaign", "period", "station__code", "station__kind", "station__region__path")


@dataclass(frozen=True)
class BatchProblem:
    """One thing wrong with one entry: the sheet, the input (or `gap_<item>`, "" for the sheet), why."""

    sheet_id: Any
    sheet: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"评分表 {self.sheet}：{self.message}"


class SheetBatchError(ValidationError):
    """Entries that cannot be recorded; `problems` lists every one (nothing was saved)."""

    def __init__(self, problems: list[BatchProblem]):
        self.problems = problems
        super().__init__(refusal_message([str(problem) for problem in problems], what="处问题"))

    def __str__(self) -> str:
        return self.messages[0]


def _entry_parts(entry) -> tuple[Any, Any, dict[str, str] | None, str | None]:
    """(sheet id, raw inputs, gap reasons or None, findings or None) of one entry."""
    sheet, raw, *rest = entry
    sheet_id = sheet.pk if isinstance(sheet, ScoreSheet) else sheet
    reasons = rest[0] if rest else None
    findings = rest[1] if len(rest) > 1 else None
    return sheet_id, raw, reasons, findings


def _leaf_points(rubric: CompiledRubric, raw: Any, *, kind: str, month: int | None) -> dict[str, Decimal]:
    """Points of every leaf item of a column's inputs, or {} when they cannot be scored."""
    values, problems = rubric.parse_inputs(_clean_raw(raw), kind=kind, month=month)
    if problems:
        return {}
    return rubric.score_sheet(values, kind=kind, month=month, explain=False).leaf_points()


def _campaign_locked(campaign: Campaign) -> Campaign:
    """The campaign row, locked for the batch: two batches of one campaign, or a batch and a move of
    the campaign (computing its results), run one after the other.

    NO KEY UPDATE, not UPDATE: a single-sheet move checks its sheet's reference to the campaign
    when it commits (a KEY SHARE lock), and must not wait for a batch that waits for its sheet.
    Only the campaign's row: its policy stays free.
    """
    return (
        Campaign.objects.select_for_update(no_key=True, of=("self",))
        .select_related("policy")
        .get(pk=campaign.pk)
    )


def sheets_record_onsite(
    *,
    campaign: Campaign,
    actor: User,
    entries: Iterable,
    reason: str = "",
    action: str = "sheet.onsite_submit",
    log_reasons: bool = False,
) -> int:
    """Record the on-site inputs of many sheets of an open campaign, all or none. Returns the sheets recorded.

    `entries` yields (sheet or sheet id, raw inputs) and may add the gap reasons and the findings:
    (sheet, raw, gap_reasons, findings); without them the stored ones stay. Each sheet's inputs are
    checked and scored with the policy; the inputs (empty ones dropped) and the total are written,
    and a draft or submitted sheet moves to assessed (assessed_at, assessed_by) with one audit row
    (`action`, `reason`), as `sheet_onsite_save` + `sheet_onsite_submit` write it.

    Who: the campaign's bureau (the bureau's data analysis, as the Excel import: an assessed sheet
    may be recorded again, with an audit row and no move), or the assessor assigned to every
    sheet's station who declared no conflict (as on site: before the on-site deadline, draft and
    submitted sheets only, every gap to the self-evaluation beyond the threshold explained).
    Consumed `BULK_CHUNK` entries at a time, so a generator need not fit in memory. Raises
    SheetBatchError naming every problem (nothing saved), ValidationError, Forbidden.

    Counts taken from the work log (`InputSpec.log`) or a contract's target (`InputSpec.target`),
    for everyone: a value other than the logged total or the target needs its reason
    (`log:<input>` among the gap reasons), and the figures compared are copied onto the sheet
    (`log_figures`), as `sheet_onsite_submit` does. With `log_reasons` (the Excel import) an
    entry's reasons are those of the bound inputs only: they replace the stored `log:` reasons
    and the items' gap reasons stay.
    """
    bureau = may_manage(actor, campaign.region)
    with transaction.atomic():
        locked = _campaign_locked(campaign)
        if locked.status != Campaign.Status.OPEN:
            raise ValidationError(f"考核批次当前为“{locked.get_status_display()}”，不能进行现场评分。")
        assigned = None
        if not bureau:
            if timezone.localdate() > locked.onsite_due:
                raise ValidationError(
                    f"现场评估已于 {locked.onsite_due:%Y年%m月%d日} 截止，请联系人社局调整期限。"
                )
            # The stations `assessor_may_score` lets this person score, read once for the batch.
            assigned = set()
            if is_active_user(actor):
                assigned = set(
                    CampaignStation.objects.filter(
                        campaign=locked, assessor=actor, declaration=CampaignStation.Declaration.NO_CONFLICT
                    ).values_list("station_id", flat=True)
                )
        _, rubric = compiled_policy(locked.policy)
        bound = has_bound_figures(locked.policy)
        read = [*_SHEET_PLACE, "status"] + ([] if bureau else ["self_packed", "self_total"])
        read += ["gap_reasons"] if bound or not bureau else []
        now = timezone.now()
        problems: list[BatchProblem] = []
        unassigned: set[str] = set()
        seen: set = set()
        recorded = 0
        for batch in chunked(entries, BULK_CHUNK):
            parts = [_entry_parts(entry) for entry in batch]
            # The gap reasons and findings are written when an entry gives them, and kept otherwise.
            written = ["onsite_packed", "onsite_total", "updated_at"]
            written += [
                name
                for i, name in ((2, "gap_reasons"), (3, "findings"))
                if any(p[i] is not None for p in parts)
            ]
            written += ["log_figures"] if bound else []
            fields = list(dict.fromkeys([*read, *written[3:]]))
            rows = {
                row.pk: row
                for row in ScoreSheet.objects.select_for_update(of=("self",))
                .filter(campaign=locked, pk__in={sheet_id for sheet_id, *_ in parts})
                .select_related("station__region")
                .only(*fields)
                .order_by("pk")
            }
            moved, kept, audit = [], [], []
            if bound:
                for row in rows.values():
                    row.campaign = locked
                # The chunk's logged totals and contract targets: one query per source and period,
                # whatever the number of sheets (an assessed sheet recorded again compares the live
                # figures, and its copy is made anew).
                prime_bound_figures(list(rows.values()), live=True)
            for sheet_id, raw, reasons, findings in parts:
                row = rows.get(sheet_id)
                if row is None:
                    problems.append(BatchProblem(sheet_id, f"编号 {sheet_id}", "", "不是本批次的评分表"))
                    continue
                row.campaign = locked  # its policy reads and writes the inputs
                if reasons is not None and log_reasons:
                    reasons = {
                        **{k: v for k, v in row.gap_reasons.items() if not k.startswith(LOG_REASON_PREFIX)},
                        **{k: v for k, v in reasons.items() if k.startswith(LOG_REASON_PREFIX)},
                    }
                if sheet_id in seen:
                    problems.append(BatchProblem(sheet_id, str(row), "", "重复出现，每张评分表只能填写一次"))
                    continue
                seen.add(sheet_id)
                if assigned is not None and row.station_id not in assigned:
                    unassigned.add(row.station.code)
                    continue
                found = _onsite_problems(
                    row, raw, reasons, rubric=rubric, bureau=bureau, threshold=locked.gap_threshold
                )
                if isinstance(found, list):
                    problems.extend(found)
                    continue
                figures = sheet_bound_figures(row, live=True) if bound else {}
                if figures:
                    explained = _clean_reasons(reasons) if reasons is not None else row.gap_reasons
                    unexplained = missing_log_reasons(figures, found[0], explained)
                    if unexplained:
                        problems += [
                            BatchProblem(
                                row.pk,
                                str(row),
                                key,
                                f"{rubric.inputs[key[len(LOG_REASON_PREFIX) :]].label}{text}",
                            )
                            for key, text in unexplained.items()
                        ]
                        continue
                    row.log_figures = log_figures_copy(figures)
                current = row.status
                row.onsite_inputs, row.onsite_total = found
                if reasons is not None:
                    row.gap_reasons = _clean_reasons(reasons)
                if findings is not None:
                    row.findings = findings.strip()
                row.updated_at = now
                to_state = ""
                if current != ScoreSheet.Status.ASSESSED:
                    row.status, row.assessed_at, row.assessed_by = ScoreSheet.Status.ASSESSED, now, actor
                    to_state = ScoreSheet.Status.ASSESSED
                (moved if to_state else kept).append(row)
                audit.append(
                    audit_entry(
                        target=row,
                        actor=actor,
                        action=action,
                        from_state=current if to_state else "",
                        to_state=to_state,
                        reason=reason.strip(),
                        station=row.station,
                    )
                )
            if problems or unassigned:
                continue  # keep checking, to name every problem; nothing more is written
            update_rows(moved, [*written, "status", "assessed_at", "assessed_by"])
            update_rows(kept, written)
            record_audit_many(audit)
            recorded += len(audit)
        if unassigned:
            codes = "、".join(sorted(unassigned)[:20]) + ("……" if len(unassigned) > 20 else "")
            raise Forbidden(f"只有被指派且已声明无利益冲突的评估人员可以进行现场评分，未做任何更改：{codes}")
        if problems:
            raise SheetBatchError(problems)
    return recorded


def _clean_reasons(reasons: Mapping[str, str]) -> dict[str, str]:
    return {code: text.strip() for code, text in reasons.items() if text and text.strip()}


def _onsite_problems(
    row: ScoreSheet,
    raw: Any,
    reasons: Mapping[str, str] | None,
    *,
    rubric: CompiledRubric,
    bureau: bool,
    threshold: Decimal,
) -> list[BatchProblem] | tuple[dict[str, Any], Decimal]:
    """The problems of one entry, or its (cleaned inputs, total) when it may be recorded."""

    def problem(field: str, message: str) -> list[BatchProblem]:
        return [BatchProblem(row.pk, str(row), field, message)]

    current = row.status
    if not (bureau and current == ScoreSheet.Status.ASSESSED) and ScoreSheet.Status.ASSESSED not in (
        SHEET_TRANSITIONS.get(current, ())
    ):
        if current == ScoreSheet.Status.LOCKED:
            return problem("", "已审定锁定，请用“更正审定分数”修改")
        return problem("", f"已是“{row.get_status_display()}”状态，不能再修改现场评分")
    if not isinstance(raw, Mapping):
        return problem("", "输入项应为一个对象（字段名：值）")
    raw = _clean_raw(raw)
    kind, month = row.station.kind, row.month
    values, input_problems = rubric.parse_inputs(raw, kind=kind, month=month)
    if input_problems:
        return [BatchProblem(row.pk, str(row), p.field, p.message) for p in input_problems]
    result = rubric.score_sheet(values, kind=kind, month=month, explain=False)
    if not bureau:
        # As `sheet_onsite_submit`: every item beyond the threshold from the self-evaluation explained.
        own = (
            _leaf_points(rubric, row.self_inputs, kind=kind, month=month)
            if row.self_total is not None
            else {}
        )
        explained = _clean_reasons(reasons) if reasons is not None else row.gap_reasons
        missing = [
            code
            for code, points in result.leaf_points().items()
            if code in own and abs(points - own[code]) > threshold and not explained.get(code)
        ]
        if missing:
            return [
                BatchProblem(
                    row.pk,
                    str(row),
                    f"gap_{code}",
                    f"项目 {code} 的现场评分与自评相差超过 {threshold} 分，请写明原因。",
                )
                for code in missing
            ]
    return raw, result.total


def sheets_lock_assessed(*, campaign: Campaign, actor: User) -> int:
    """Lock every assessed sheet of an open campaign, all or none, as `sheet_lock` does one. Returns how many.

    The final column becomes the on-site one (inputs and total), checked again with the policy
    under the row lock; locked_at and locked_by are set and each sheet gets its audit row. Sheets
    not yet assessed are left as they are. Raises InvalidTransition naming the sheets that cannot
    be locked (nothing saved), ValidationError, Forbidden.
    """
    require_bureau(actor, campaign)
    with transaction.atomic():
        locked = _campaign_locked(campaign)
        if locked.status != Campaign.Status.OPEN:
            raise ValidationError("只有进行中的考核批次可以审定评分表。")
        _, rubric = compiled_policy(locked.policy)

        def check(sheet: ScoreSheet) -> str:
            # `sheet_lock` scores the on-site inputs again under the lock; so does this, and the
            # total they give must be the one recorded.
            kind, month = sheet.station.kind, sheet.month
            sheet.campaign = locked
            values, problems = rubric.parse_inputs(_clean_raw(sheet.onsite_inputs), kind=kind, month=month)
            if problems:
                return f"的现场评估数据有误：{problems[0].message}"
            total = rubric.score_sheet(values, kind=kind, month=month, explain=False).total
            if total != sheet.onsite_total:
                return f"的现场评估总分 {sheet.onsite_total} 与按数据计算的 {total} 不一致，请逐张审定"
            return ""

        now = timezone.now()
        return transition_many(
            ScoreSheet.objects.filter(campaign=locked, status=ScoreSheet.Status.ASSESSED),
            to=ScoreSheet.Status.LOCKED,
            table=SHEET_TRANSITIONS,
            actor=actor,
            action="sheet.lock",
            station="station",
            extra_fields={
                # The final column reads the on-site one (null), as `sheet_lock` settles it without
                # other inputs.
                "final_packed": None,
                "final_total": F("onsite_total"),
                "locked_at": now,
                "locked_by": actor,
            },
            load=(*_SHEET_PLACE, "onsite_packed", "onsite_total"),
            check=check,
            what="张评分表不能审定锁定",
        )
