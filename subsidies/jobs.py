"""The subsidies' long work as jobs (core.jobs): a large placement roster, imported in the background.

A roster file above IMPORT_INLINE_MAX_BYTES is stored as the job's input and imported by
`roster_import` as the operator who uploaded it, all or nothing as in the request; the operator
follows it on the portal's job page. One import per station and year (what identifies a roster)
at a time, whether in a job or in a request.
"""

from django.core.exceptions import ValidationError

from core.jobs import Outcome, Progress, job_kind, start_job, visible_jobs
from core.models import Job
from stations.models import Station
from subsidies.models import SubsidyClaim
from subsidies.services.rosters import RosterRefused, roster_import

ROSTER_IMPORT = "subsidies.roster_import"
# What a job's page lists of a refusal: the first problems, as many as the error's 2,000 characters
# hold; the rest are counted.
LISTED_PROBLEMS = 50
_ERROR_CHARS = 1900
LISTED_WARNINGS = 20


def roster_import_key(*, station: Station, year: int) -> str:
    return f"{ROSTER_IMPORT}:{station.pk}:{year}"


def active_roster_import(*, station: Station, year: int) -> Job | None:
    """The roster import of this station and year queued or running now, if any."""
    return Job.objects.filter(
        key=roster_import_key(station=station, year=year), status__in=Job.ACTIVE
    ).first()


def roster_import_job_to_show(*, station: Station, year: int, actor, roster) -> Job | None:
    """The viewer's own roster import of this station and year worth a line on the claim's page.

    One under way, or one that failed after the roster now stored was imported (its reasons are
    on its page); a finished success shows as the roster itself.
    """
    job = (
        visible_jobs(actor=actor)
        .filter(key=roster_import_key(station=station, year=year))
        .order_by("-created_at", "-id")
        .first()
    )
    if job is None or job.status == Job.Status.SUCCEEDED:
        return None
    if job.status == Job.Status.FAILED and roster is not None and roster.imported_at > job.created_at:
        return None
    return job


def start_roster_import(*, claim: SubsidyClaim, actor, upload) -> tuple[Job, bool]:
    """Import the uploaded roster for the claim's station and year as a job; one at a time per roster.

    The file is stored as the job's input (deleted once the import succeeds, kept for a retry
    while it has failed). Returns (job, True), or (the import already under way, False).
    """
    station = claim.station
    return start_job(
        kind=ROSTER_IMPORT,
        actor=actor,
        title=f"导入花名册：{station.name}（{claim.year} 年度）",
        key=roster_import_key(station=station, year=claim.year),
        target=claim,
        params={"station": station.pk, "year": claim.year, "source_name": upload.name[:100]},
        input_file=upload,
        # Stored under a neutral name: the clerk's file name may carry a person's name.
        input_name=f"roster-{station.code}-{claim.year}.xlsx",
    )


def refusal_lines(refused: RosterRefused) -> list[str]:
    """A refusal in words: what happened, then every problem up to LISTED_PROBLEMS (within the error's room)."""
    problems = [str(problem) for problem in refused.problems]
    lines = [f"{refused}未保存任何数据。请改正下列问题后，在申报页重新上传。"]
    used = len(lines[0])
    for listed, problem in enumerate(problems):
        rest = len(problems) - listed
        if listed == LISTED_PROBLEMS or used + len(problem) + 20 > _ERROR_CHARS:
            lines.append(f"另有 {rest} 处问题未列出。")
            break
        lines.append(problem)
        used += len(problem) + 1
    return lines


@job_kind(ROSTER_IMPORT, "导入花名册")
def run_roster_import(job: Job, progress: Progress) -> Outcome:
    station = Station.objects.select_related("region").filter(pk=job.params["station"]).first()
    if station is None:
        raise ValidationError("这个站点已不存在，花名册未导入。")
    if not job.input_file:
        raise ValidationError("上传的花名册文件已不在存储中，请在申报页重新上传。")
    source_name = job.params.get("source_name") or "花名册.xlsx"
    try:
        handle = job.input_file.storage.open(job.input_file.name, "rb")
    except FileNotFoundError:
        raise ValidationError("上传的花名册文件已不在存储中，请在申报页重新上传。") from None
    with handle:
        handle.name = source_name  # the reader's messages name the file the operator chose
        try:
            roster, warnings = roster_import(
                station=station,
                year=job.params["year"],
                file=handle,
                source_name=source_name,
                actor=job.started_by,
                progress=progress,
            )
        except RosterRefused as refused:
            raise ValidationError("\n".join(refusal_lines(refused))) from None
    lines = [f"花名册已导入：{roster.row_count} 人。"]
    lines += [f"提示：{warning}（人社局将核实，不影响导入）" for warning in warnings[:LISTED_WARNINGS]]
    if len(warnings) > LISTED_WARNINGS:
        lines.append(f"另有 {len(warnings) - LISTED_WARNINGS} 条提示未列出。")
    return Outcome(message="\n".join(lines))
