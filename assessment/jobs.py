"""The assessment's long work as jobs (core.jobs): results, the ZIP of score sheets, the tables.

Each job runs as the person who started it: the campaign is looked up again through their scope
(they may have lost it since), and the documents hold only what they may read. The starters
(`start_*`) are what the admin's buttons call; each names the key that may not run twice at once.
"""

import tempfile
from pathlib import Path

from assessment.documents.score_sheet import (
    scoped_sheets,
    score_sheet_documents,
    score_sheets_zip,
    zip_filename,
)
from assessment.documents.tables import EXPORTS
from assessment.models import Campaign
from assessment.services.campaigns import campaign_results_compute
from core.jobs import Outcome, Progress, job_kind, start_job
from core.models import Job
from core.permissions import Forbidden
from core.scoping import scoped_queryset

RESULTS = "assessment.results"
SCORE_SHEETS_ZIP = "assessment.score_sheets_zip"
TABLE = "assessment.table"

TABLE_TITLES = {
    "results": "考核结果表（Excel）",
    "notice": "公示名单（Excel）",
    "construction": "年度建设情况汇总（Excel）",
}


def _campaign(job: Job) -> Campaign:
    campaign = (
        scoped_queryset(Campaign, actor=job.started_by)
        .select_related("policy", "region")
        .filter(pk=job.params["campaign"])
        .first()
    )
    if campaign is None:
        raise Forbidden("这个考核批次已不在您的权限范围内（或已删除），任务未执行。")
    return campaign


def _temporary_path(suffix: str) -> Path:
    with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as handle:
        return Path(handle.name)


@job_kind(RESULTS, "计算考核结果")
def run_results(job: Job, progress: Progress) -> Outcome:
    campaign = _campaign(job)
    progress(0, step="正在读取已锁定的评分表并逐站计分")
    rows = campaign_results_compute(campaign=campaign, actor=job.started_by, progress=progress)
    return Outcome(message=f"已计算 {len(rows)} 个站点的结果。")


@job_kind(SCORE_SHEETS_ZIP, "评分表 PDF 打包")
def run_score_sheets_zip(job: Job, progress: Progress) -> Outcome:
    campaign = _campaign(job)
    actor = job.started_by
    stations = scoped_sheets(campaign=campaign, actor=actor).values("station_id").distinct().count()
    path = _temporary_path(".zip")
    try:
        documents = progress.counting(
            score_sheet_documents(campaign=campaign, actor=actor), stations, step="正在生成每站的评分表 PDF"
        )
        with open(path, "wb") as out:
            for chunk in score_sheets_zip(documents):
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Outcome(
        message=f"已生成 {stations} 个站点的评分表 PDF。", file_path=path, file_name=zip_filename(campaign)
    )


@job_kind(TABLE, "导出表格")
def run_table(job: Job, progress: Progress) -> Outcome:
    from core.xlsx import write_xlsx_to

    campaign = _campaign(job)
    export = EXPORTS[job.params["export"]](campaign=campaign, actor=job.started_by)
    progress(0, 1, step="正在写出表格")
    path = _temporary_path(".xlsx")
    try:
        with open(path, "wb") as out:
            write_xlsx_to(export.sheets(), out)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    progress(1, 1)
    return Outcome(
        message=f"{TABLE_TITLES[job.params['export']]}已生成。", file_path=path, file_name=export.filename
    )


def start_results(*, campaign: Campaign, actor) -> tuple[Job, bool]:
    """Compute (or recompute) the campaign's results as a job; one at a time per campaign."""
    return start_job(
        kind=RESULTS,
        actor=actor,
        title=f"计算考核结果：{campaign.name}",
        key=f"{RESULTS}:{campaign.pk}",
        target=campaign,
        params={"campaign": campaign.pk},
    )


def score_sheets_zip_key(campaign: Campaign, actor) -> str:
    return f"{SCORE_SHEETS_ZIP}:{campaign.pk}:{actor.pk}"


def table_key(campaign: Campaign, actor, export: str) -> str:
    return f"{TABLE}:{export}:{campaign.pk}:{actor.pk}"


def start_score_sheets_zip(*, campaign: Campaign, actor) -> tuple[Job, bool]:
    """The ZIP of the score sheets the actor may read; one at a time per campaign and person."""
    return start_job(
        kind=SCORE_SHEETS_ZIP,
        actor=actor,
        title=f"评分表 PDF 打包：{campaign.name}",
        key=score_sheets_zip_key(campaign, actor),
        target=campaign,
        params={"campaign": campaign.pk},
    )


def start_table(*, campaign: Campaign, actor, export: str) -> tuple[Job, bool]:
    """One of the campaign's tables (EXPORTS) as the actor may read it; one at a time per person."""
    if export not in EXPORTS:
        raise LookupError(export)
    return start_job(
        kind=TABLE,
        actor=actor,
        title=f"{TABLE_TITLES[export]}：{campaign.name}",
        key=table_key(campaign, actor, export),
        target=campaign,
        params={"campaign": campaign.pk, "export": export},
    )


# ---- the bureau's sheet data (导入数据) from a large Excel file ----------------------------------

SHEET_IMPORT = "assessment.sheet_import"
# What a failed import's page lists: the first problems, as many as the error's 2,000 characters hold.
LISTED_IMPORT_PROBLEMS = 50
_IMPORT_ERROR_CHARS = 1900


def sheet_import_key(campaign: Campaign) -> str:
    return f"{SHEET_IMPORT}:{campaign.pk}"


def active_sheet_import(campaign: Campaign) -> Job | None:
    """The campaign's sheet data import queued or running now, if any."""
    return Job.objects.filter(key=sheet_import_key(campaign), status__in=Job.ACTIVE).first()


def start_sheet_import(*, campaign: Campaign, actor, upload) -> tuple[Job, bool]:
    """Import the uploaded sheet data as a job; one at a time per campaign.

    The file is stored as the job's input (deleted once the import succeeds, kept for a retry
    while it has failed). Returns (job, True), or (the import already under way, False).
    """
    return start_job(
        kind=SHEET_IMPORT,
        actor=actor,
        title=f"导入评分数据：{campaign.name}",
        key=sheet_import_key(campaign),
        target=campaign,
        params={"campaign": campaign.pk, "source_name": upload.name[:100]},
        input_file=upload,
        input_name=f"sheets-{campaign.code}.xlsx",
    )


def sheet_import_refusal(error) -> str:
    """A SheetImportError in words: what happened, then its problems up to LISTED_IMPORT_PROBLEMS."""
    # Row 0 is the file or the campaign as a whole (too large, not open): its message alone.
    problems = [problem.message if problem.row == 0 else str(problem) for problem in error.problems]
    lines = [f"{error}请改正下列问题后重新上传。"]
    used = len(lines[0])
    for listed, problem in enumerate(problems):
        if listed == LISTED_IMPORT_PROBLEMS or used + len(problem) + 20 > _IMPORT_ERROR_CHARS:
            lines.append(f"另有 {len(problems) - listed} 处问题未列出。")
            break
        lines.append(problem)
        used += len(problem) + 1
    return "\n".join(lines)


@job_kind(SHEET_IMPORT, "导入评分数据")
def run_sheet_import(job: Job, progress: Progress) -> Outcome:
    from django.core.exceptions import ValidationError

    from assessment.services.sheet_import import SheetImportError, sheets_import_inputs

    campaign = _campaign(job)
    if not job.input_file:
        raise ValidationError("上传的文件已不在存储中，请重新上传。")
    try:
        handle = job.input_file.storage.open(job.input_file.name, "rb")
    except FileNotFoundError:
        raise ValidationError("上传的文件已不在存储中，请重新上传。") from None
    with handle:
        handle.name = job.params.get("source_name") or handle.name  # messages name the clerk's file
        try:
            count = sheets_import_inputs(
                campaign=campaign, actor=job.started_by, file=handle, progress=progress
            )
        except SheetImportError as exc:
            raise ValidationError(sheet_import_refusal(exc)) from None
    return Outcome(message=f"已导入 {count} 张评分表的数据。")
