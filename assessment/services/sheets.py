"""A score sheet's life: self-evaluation, evidence, on-site scoring, review and lock, correction."""

from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from assessment.contract_inputs import contract_self_inputs, sheet_bound_figures
from assessment.models import Campaign, CampaignStation, Evidence, ScoreSheet
from assessment.scoring import column_result, leaf_points, pack_inputs, score_inputs, unpack_inputs
from assessment.services.campaigns import RESULTS_STANDING, require_bureau
from assessment.services.evidence import evidence_store
from assessment.worklog_inputs import (
    LOG_REASON_PREFIX,
    log_figures_copy,
    missing_log_reasons,
)
from core.models import AuditEntry
from core.notify import notify_after_commit
from core.permissions import Forbidden, is_assigned_assessor, may_manage, operates, require
from core.workflow import Move, record_audit, transition
from stations.models import User

SHEET_TRANSITIONS: dict[str, set[str]] = {
    ScoreSheet.Status.DRAFT: {ScoreSheet.Status.SUBMITTED, ScoreSheet.Status.ASSESSED},
    # Back to draft is the bureau's recorded return （退回修改）， with a reason, for the operator to redo.
    ScoreSheet.Status.SUBMITTED: {ScoreSheet.Status.ASSESSED, ScoreSheet.Status.DRAFT},
    ScoreSheet.Status.ASSESSED: {ScoreSheet.Status.LOCKED},
    # A locked sheet changes only through `sheet_correct`, which records the reason.
    ScoreSheet.Status.LOCKED: set(),
}


def _in_open_campaign(sheet: ScoreSheet) -> bool:
    """Sheets are filled in, scored and locked while their campaign is open."""
    return sheet.campaign.status == Campaign.Status.OPEN


def _results_final(campaign: Campaign) -> bool:
    """Published results are final: no sheet of the campaign is corrected any more."""
    return campaign.status == Campaign.Status.PUBLISHED


SHEET_MOVES = (
    Move(
        "self_evaluation",
        "填写自评",
        to=ScoreSheet.Status.SUBMITTED,
        allowed=lambda sheet, actor: operates(actor, sheet.station) and _in_open_campaign(sheet),
    ),
    Move(
        "onsite",
        "现场评分",
        to=ScoreSheet.Status.ASSESSED,
        allowed=lambda sheet, actor: assessor_may_score(actor, sheet) and _in_open_campaign(sheet),
    ),
    Move(
        "return",
        "退回修改",
        to=ScoreSheet.Status.DRAFT,
        at=ScoreSheet.Status.SUBMITTED,
        allowed=lambda sheet, actor: may_manage(actor, sheet.campaign.region) and _in_open_campaign(sheet),
    ),
    Move(
        "lock",
        "审定锁定",
        to=ScoreSheet.Status.LOCKED,
        allowed=lambda sheet, actor: may_manage(actor, sheet.campaign.region) and _in_open_campaign(sheet),
    ),
    Move(
        "correct",
        "更正审定分数",
        at=ScoreSheet.Status.LOCKED,
        allowed=lambda sheet, actor: (
            may_manage(actor, sheet.campaign.region) and not _results_final(sheet.campaign)
        ),
    ),
)


class SheetInputError(ValidationError):
    """Inputs that cannot be scored; `problems` maps each field to what is wrong with it."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__({field or "__all__": [message] for field, message in problems.items()})


def _clean_raw(raw: dict[str, Any]) -> dict[str, Any]:
    """Drop fields left empty in a form, so they read as "not given" rather than as a bad value."""
    return {name: value for name, value in raw.items() if value not in (None, "")}


def _score_or_raise(sheet: ScoreSheet, raw: dict[str, Any]) -> tuple[dict[str, Any], Decimal]:
    result, total, problems = score_inputs(
        sheet.campaign.policy, kind=sheet.station.kind, month=sheet.month, raw=_clean_raw(raw)
    )
    if problems:
        raise SheetInputError({p.field: p.message for p in problems})
    return result, total


def sheet_return_reason(sheet: ScoreSheet) -> str | None:
    """The bureau's reason when the sheet is a draft because it was returned （退回修改）， else None.

    Read from the sheet's history (the return's audit row), not a field of its own: a returned
    sheet is an ordinary draft, and the newest of its submissions and returns tells which it is.
    """
    if sheet.status != ScoreSheet.Status.DRAFT or sheet.submitted_at is not None:
        return None
    last = (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(ScoreSheet),
            object_id=str(sheet.pk),
            action__in=("sheet.self_submit", "sheet.return"),
        )
        .order_by("-at", "-id")
        .values_list("action", "reason")
        .first()
    )
    if last is None or last[0] != "sheet.return":
        return None
    return last[1]


def _require_self_evaluation_open(sheet: ScoreSheet, actor: User) -> None:
    require(operates(actor, sheet.station), "只有本站点的运营人员可以填写自评。")
    campaign = sheet.campaign
    if not _in_open_campaign(sheet):
        raise ValidationError(f"考核批次当前为“{campaign.get_status_display()}”，不能填写自评。")
    # A sheet the bureau returned may be corrected and submitted again after the deadline: the
    # operator submitted on time, and the bureau asked for the change. The return extends no
    # deadline for anyone else; the on-site deadline still binds the assessor.
    if timezone.now() > campaign.self_evaluation_due and sheet_return_reason(sheet) is None:
        raise ValidationError(
            f"自评已于 {timezone.localtime(campaign.self_evaluation_due):%Y年%m月%d日 %H:%M} 截止，"
            "不能再修改或提交。"
            "如有特殊情况，请联系县公共就业和人才服务中心。"
        )
    if sheet.status != ScoreSheet.Status.DRAFT:
        raise ValidationError(f"评分表已是“{sheet.get_status_display()}”状态，不能再修改自评。")


def input_warnings(sheet: ScoreSheet, raw: dict[str, Any]) -> dict[str, str]:
    """What is wrong with the inputs typed so far, by field, leaving out the inputs not yet given.

    A draft may be incomplete, but a value the engine would refuse (9 in an 8-point item, a
    percentage over 100, a count that is not whole) is flagged at once, with the item and its
    range in the engine's words, so the operator does not learn of it only when submitting.
    """
    _, _, problems = score_inputs(
        sheet.campaign.policy, kind=sheet.station.kind, month=sheet.month, raw=_clean_raw(raw)
    )
    given = _clean_raw(raw)
    return {p.field: p.message for p in problems if p.field in given}


def sheet_self_save(*, sheet: ScoreSheet, actor: User, raw: dict[str, Any]) -> ScoreSheet:
    """Keep the operator's self-evaluation draft; scores it too when it is complete and valid.

    A draft may be incomplete: the inputs are kept as typed, and the points appear once every
    input is there and valid. Refused after the deadline, for anyone but the station's operator,
    and once submitted.
    """
    _require_self_evaluation_open(sheet, actor)
    # A count taken from the operating contract's target is the contract's figure, not the
    # operator's to lower (assessment/contract_inputs.py); typed only where there is none.
    raw = contract_self_inputs(sheet, _clean_raw(raw))
    _, total, _ = score_inputs(sheet.campaign.policy, kind=sheet.station.kind, month=sheet.month, raw=raw)
    packed = pack_inputs(sheet.campaign.policy, raw)
    with transaction.atomic():
        locked = ScoreSheet.objects.select_for_update().get(pk=sheet.pk)
        if locked.status != ScoreSheet.Status.DRAFT:
            raise ValidationError("评分表已提交，不能再修改自评。")
        locked.self_packed, locked.self_total = packed, total
        locked.save(update_fields=["self_packed", "self_total", "updated_at"])
    sheet.self_packed, sheet.self_total = packed, total
    return sheet


def sheet_self_submit(*, sheet: ScoreSheet, actor: User) -> ScoreSheet:
    """Submit the self-evaluation: every input valid, at least one evidence file, before the deadline.

    The sheet then waits for on-site scoring. The draft as stored is scored, not the caller's copy.
    Refused (ValidationError, nothing changed) without any evidence file: the policies ask for
    the score sheet with its supporting material （台账、照片、年度运营报告等佐证材料）.
    """
    _require_self_evaluation_open(sheet, actor)
    with transaction.atomic():
        # Score the draft as stored, not the caller's copy: another tab may have saved since.
        stored = ScoreSheet.objects.select_for_update().get(pk=sheet.pk)
        stored.campaign = sheet.campaign
        _, total, problems = score_inputs(
            sheet.campaign.policy,
            kind=sheet.station.kind,
            month=sheet.month,
            raw=_clean_raw(stored.self_inputs),
        )
        refusals = {p.field: p.message for p in problems}
        # Said together with the inputs' problems, so the operator learns everything at once.
        if not Evidence.objects.filter(sheet_id=sheet.pk).exists():
            refusals[""] = NO_EVIDENCE
        if refusals:
            raise SheetInputError(refusals)
        ScoreSheet.objects.filter(pk=sheet.pk).update(self_total=total)
        transition(
            sheet,
            to=ScoreSheet.Status.SUBMITTED,
            table=SHEET_TRANSITIONS,
            actor=actor,
            action="sheet.self_submit",
            station=sheet.station,
            extra_fields={"submitted_at": timezone.now()},
        )
    sheet.self_packed, sheet.self_total = stored.self_packed, total
    return sheet


NO_EVIDENCE = (
    "还没有上传佐证材料，不能提交自评。请至少上传一份台账、照片或年度运营报告，再点“提交自评”；"
    "填写的数据已保存为草稿。"
)


def sheet_return(*, sheet: ScoreSheet, actor: User, reason: str) -> ScoreSheet:
    """Return a submitted self-evaluation to its operator （退回修改）， with a reason they will read.

    The bureau of the campaign's region, while the campaign is open, only from "submitted": once
    assessed the sheet is the assessor's. The sheet becomes a draft again (its inputs, evidence
    and any on-site draft stay), `submitted_at` is cleared, the move is recorded with the reason,
    and the operators are told by mail. Deadlines are not changed: the operator may resubmit a
    returned sheet even after the self-evaluation deadline (see `_require_self_evaluation_open`).
    """
    require_bureau(actor, sheet.campaign)
    if not reason.strip():
        raise ValidationError("请写明退回修改的原因，运营方将看到这段说明。")
    if not _in_open_campaign(sheet):
        raise ValidationError("只有进行中的考核批次可以退回自评。")
    with transaction.atomic():
        transition(
            sheet,
            to=ScoreSheet.Status.DRAFT,
            table=SHEET_TRANSITIONS,
            actor=actor,
            action="sheet.return",
            reason=reason.strip(),
            station=sheet.station,
            extra_fields={"submitted_at": None},
        )
        notify_after_commit(
            recipients=sheet.station.operators.all(),
            subject=f"自评被退回修改：{sheet.station.name}",
            body=(
                f"{sheet.campaign.name}（期间 {sheet.period}）的自评已被人社局退回修改。\n"
                f"原因：{reason.strip()}\n请在站点门户修改后重新提交。"
            ),
        )
    return sheet


def evidence_add(*, sheet: ScoreSheet, actor: User, uploaded, kind: str) -> Evidence:
    """Attach a file to the self-evaluation, checked by its content and stored under a random name."""
    _require_self_evaluation_open(sheet, actor)
    return evidence_store(
        uploaded=uploaded,
        actor=actor,
        kind=kind,
        owner=sheet,
        station=sheet.station,
        action="sheet.evidence_add",
        sheet=sheet,
    )


def evidence_remove(*, evidence: Evidence, actor: User) -> None:
    """Remove a file from a self-evaluation draft (and from storage)."""
    sheet = evidence.sheet
    _require_self_evaluation_open(sheet, actor)
    name = evidence.file.name
    with transaction.atomic():
        record_audit(
            target=sheet,
            actor=actor,
            action="sheet.evidence_remove",
            station=sheet.station,
            reason=evidence.original_name,
        )
        evidence.delete()
        transaction.on_commit(lambda: default_storage.delete(name))


def assessor_may_score(actor: User, sheet: ScoreSheet) -> bool:
    """The assigned assessor, once they declared no conflict of interest."""
    entry = CampaignStation.objects.filter(campaign_id=sheet.campaign_id, station_id=sheet.station_id).first()
    return (
        entry is not None
        and is_assigned_assessor(actor, entry)
        and entry.declaration == CampaignStation.Declaration.NO_CONFLICT
    )


def _require_onsite_open(sheet: ScoreSheet, actor: User) -> None:
    require(assessor_may_score(actor, sheet), "只有被指派且已声明无利益冲突的评估人员可以进行现场评分。")
    campaign = sheet.campaign
    if not _in_open_campaign(sheet):
        raise ValidationError(f"考核批次当前为“{campaign.get_status_display()}”，不能进行现场评分。")
    if timezone.localdate() > campaign.onsite_due:
        raise ValidationError(f"现场评估已于 {campaign.onsite_due:%Y年%m月%d日} 截止，请联系人社局调整期限。")
    if sheet.status not in {ScoreSheet.Status.DRAFT, ScoreSheet.Status.SUBMITTED}:
        raise ValidationError(f"评分表已是“{sheet.get_status_display()}”状态，不能再修改现场评分。")


def onsite_refusal(sheet: ScoreSheet, actor: User) -> str | None:
    """Why `actor` cannot score `sheet` on site now (in the words a save would refuse with), or None.

    The on-site page asks before drawing its form, so an assessor opening a locked or assessed
    sheet, or one past the deadline, reads why instead of filling a form every save would refuse.
    """
    try:
        _require_onsite_open(sheet, actor)
    except ValidationError as exc:
        return " ".join(exc.messages)
    except Forbidden as exc:
        return str(exc)
    return None


def sheet_onsite_save(
    *, sheet: ScoreSheet, actor: User, raw: dict[str, Any], gap_reasons: dict[str, str], findings: str
) -> ScoreSheet:
    """Keep the assessor's on-site draft (inputs, gap reasons, findings); scored when complete."""
    _require_onsite_open(sheet, actor)
    raw = _clean_raw(raw)
    _, total, _ = score_inputs(sheet.campaign.policy, kind=sheet.station.kind, month=sheet.month, raw=raw)
    packed = pack_inputs(sheet.campaign.policy, raw)
    reasons = {code: text.strip() for code, text in gap_reasons.items() if text and text.strip()}
    with transaction.atomic():
        locked = ScoreSheet.objects.select_for_update().get(pk=sheet.pk)
        # The caller's copy may predate a submission or a lock; only the locked row tells.
        if locked.status not in {ScoreSheet.Status.DRAFT, ScoreSheet.Status.SUBMITTED}:
            raise ValidationError(f"评分表已是“{locked.get_status_display()}”状态，不能再修改现场评分。")
        locked.onsite_packed, locked.onsite_total = packed, total
        locked.gap_reasons, locked.findings = reasons, findings.strip()
        locked.save(update_fields=["onsite_packed", "onsite_total", "gap_reasons", "findings", "updated_at"])
    sheet.onsite_packed, sheet.onsite_total = packed, total
    sheet.gap_reasons, sheet.findings = reasons, findings.strip()
    return sheet


def sheet_gaps(
    sheet: ScoreSheet, onsite_result: dict[str, Any] | None = None
) -> dict[str, tuple[Decimal, Decimal]]:
    """Items whose on-site points differ from the self-evaluation by more than the campaign's threshold."""
    onsite = leaf_points(onsite_result if onsite_result is not None else column_result(sheet, "onsite"))
    own = leaf_points(column_result(sheet, "self"))
    threshold = sheet.campaign.gap_threshold
    return {
        code: (own[code], points)
        for code, points in onsite.items()
        if code in own and abs(points - own[code]) > threshold
    }


def sheet_onsite_submit(*, sheet: ScoreSheet, actor: User) -> ScoreSheet:
    """Finish on-site scoring: every input valid and every gap beyond the threshold explained."""
    _require_onsite_open(sheet, actor)
    with transaction.atomic():
        # Check the inputs and reasons as stored, not the caller's copy, which may be older.
        stored = ScoreSheet.objects.select_for_update().get(pk=sheet.pk)
        stored.campaign, stored.station = sheet.campaign, sheet.station
        result, total = _score_or_raise(sheet, stored.onsite_inputs)
        missing = [code for code in sheet_gaps(stored, result) if not stored.gap_reasons.get(code)]
        # A count taken from the work log or the contract's target that differs from that figure
        # needs the assessor's reason too (assessment/worklog_inputs.py, contract_inputs.py); the
        # message goes beside the input itself.
        figures = sheet_bound_figures(sheet, live=True)
        unexplained = {
            key.removeprefix(LOG_REASON_PREFIX): message
            for key, message in missing_log_reasons(figures, stored.onsite_inputs, stored.gap_reasons).items()
        }
        if missing or unexplained:
            raise SheetInputError(
                {
                    f"gap_{code}": (
                        f"项目 {code} 的现场评分与自评相差超过 {sheet.campaign.gap_threshold} 分，请写明原因。"
                    )
                    for code in missing
                }
                | unexplained
            )
        # The figures compared are kept with the sheet: the log and the contract may still change,
        # the sheet not.
        copied = log_figures_copy(figures)
        ScoreSheet.objects.filter(pk=sheet.pk).update(onsite_total=total, log_figures=copied)
        sheet.log_figures = copied
        transition(
            sheet,
            to=ScoreSheet.Status.ASSESSED,
            table=SHEET_TRANSITIONS,
            actor=actor,
            action="sheet.onsite_submit",
            station=sheet.station,
            extra_fields={"assessed_at": timezone.now(), "assessed_by": actor},
        )
    sheet.onsite_packed, sheet.onsite_total = stored.onsite_packed, total
    return sheet


def sheet_lock(
    *, sheet: ScoreSheet, actor: User, final_inputs: dict[str, Any] | None = None, reason: str = ""
) -> ScoreSheet:
    """Comprehensive review （综合评审）： settle the final column and lock the sheet.

    The final inputs are the on-site inputs unless the reviewer gives others (then with a reason);
    only other inputs are stored, the final column otherwise reads the on-site one.
    """
    require_bureau(actor, sheet.campaign)
    if not _in_open_campaign(sheet):
        raise ValidationError("只有进行中的考核批次可以审定评分表。")
    with transaction.atomic():
        # Read the on-site inputs under the row lock: an import may have changed them a moment ago.
        # Only the sheet's row (`of`): locking the joined campaign too would deadlock with a batch
        # move, which locks the campaign before its sheets.
        locked = (
            ScoreSheet.objects.select_for_update(of=("self",))
            .select_related("station", "campaign__policy")
            .get(pk=sheet.pk)
        )
        onsite = dict(locked.onsite_inputs)
        inputs = _clean_raw(final_inputs) if final_inputs is not None else onsite
        if final_inputs is not None and inputs != onsite and not reason.strip():
            raise ValidationError("审定数据与现场评估不同，请写明原因。")
        _, total = _score_or_raise(locked, inputs)
        packed = None if inputs == onsite else pack_inputs(locked.campaign.policy, inputs)
        ScoreSheet.objects.filter(pk=sheet.pk).update(final_packed=packed, final_total=total)
        transition(
            sheet,
            to=ScoreSheet.Status.LOCKED,
            table=SHEET_TRANSITIONS,
            actor=actor,
            action="sheet.lock",
            reason=reason.strip(),
            station=sheet.station,
            extra_fields={"locked_at": timezone.now(), "locked_by": actor},
        )
    sheet.onsite_packed, sheet.final_packed, sheet.final_total = locked.onsite_packed, packed, total
    return sheet


def sheet_correct(*, sheet: ScoreSheet, actor: User, final_inputs: dict[str, Any], reason: str) -> ScoreSheet:
    """Correct a locked sheet's final column, with a reason; results already computed are recomputed.

    Refused once the campaign's results are published (final).
    """
    from assessment.services.campaigns import campaign_results_compute

    require_bureau(actor, sheet.campaign)
    if not reason.strip():
        raise ValidationError("更正审定分数必须写明原因。")
    campaign = sheet.campaign
    if _results_final(campaign):
        raise ValidationError("结果已通报，不能再更正。")
    inputs = _clean_raw(final_inputs)
    _, total = _score_or_raise(sheet, inputs)
    with transaction.atomic():
        locked = ScoreSheet.objects.select_for_update().get(pk=sheet.pk)
        if locked.status != ScoreSheet.Status.LOCKED:
            raise ValidationError("只有已审定锁定的评分表需要更正；未锁定的评分表请直接审定。")
        before = locked.final_total
        onsite = unpack_inputs(campaign.policy, locked.onsite_packed)
        packed = None if inputs == onsite else pack_inputs(campaign.policy, inputs)
        locked.final_packed, locked.final_total = packed, total
        locked.save(update_fields=["final_packed", "final_total", "updated_at"])
        record_audit(
            target=locked,
            actor=actor,
            action="sheet.correct",
            station=locked.station,
            reason=reason.strip(),
            changes={"final_total": [str(before), str(total)]},
        )
        if campaign.status in RESULTS_STANDING:
            campaign_results_compute(campaign=campaign, actor=actor)
    sheet.onsite_packed, sheet.final_packed, sheet.final_total = locked.onsite_packed, packed, total
    return sheet
