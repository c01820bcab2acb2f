"""Jobs: long work run by a Celery worker (or in-process without a broker), watched by a person.

A domain app registers each kind of job with `job_kind(code, label)` in its own `jobs` module
(found at start-up by `CoreConfig.ready`). The function gets the job and a `Progress` to report
with, runs as the person who started the job (the services check their permissions again, at
run time), and returns an `Outcome`: the message in words and, for a download, a file.

    start_job(kind=..., actor=..., title=..., key=..., target=campaign)  # queued after commit
    run_job(job_id, worker=...)                                          # what the task calls
    job_retry(job=..., actor=...)                                        # a failed one, again
    jobs_housekeeping()                                                  # dead workers, old files

The rules a clerk relies on:
- one queued or running job per key (a database constraint, so two clicks at once give one job);
- a job whose worker died is marked failed and can be retried: a worker that starts again fails
  the jobs it left running, and any job without a heartbeat for JOB_STALE_MINUTES is failed too;
- a job reports progress on a connection of its own (the "progress" alias on PostgreSQL), so a
  job inside one long transaction (computing results) is still seen to move;
- result files are kept JOB_FILES_KEEP_DAYS, then deleted; input files (an uploaded roster)
  are deleted once the job succeeds, and kept for a retry while it has failed.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.audit import audit_entries_purge
from core.models import Job
from core.people import person_name
from core.permissions import Forbidden, is_superuser

logger = logging.getLogger(__name__)


class JobAbandoned(Exception):
    """The job is no longer this worker's (housekeeping failed it as stale): stop working on it."""


@dataclass
class Outcome:
    """What a finished job tells its clerk, and the file it made (a temporary file, moved to storage)."""

    message: str
    file_path: Path | None = None
    file_name: str = ""


@dataclass(frozen=True)
class JobKind:
    code: str
    label: str
    run: Callable[[Job, Progress], Outcome]


KINDS: dict[str, JobKind] = {}


def job_kind(code: str, label: str):
    """Register `run(job, progress) -> Outcome` as the job kind `code` (label: what it is, in Chinese)."""

    def register(run):
        KINDS[code] = JobKind(code=code, label=label, run=run)
        return run

    return register


def _progress_alias() -> str:
    return "progress" if "progress" in settings.DATABASES else "default"


class Progress:
    """Reports a running job's progress (`progress(done, total, step=...)`) at most once a second.

    Every report is also the job's heartbeat. A report that finds the job no longer running
    (failed as stale by housekeeping) raises JobAbandoned, so the work stops.
    """

    interval = 1.0

    def __init__(self, job: Job):
        self.job = job
        self._last = 0.0

    def __call__(self, done: int, total: int | None = None, *, step: str | None = None) -> None:
        now = time.monotonic()
        final = total is not None and done >= total
        if now - self._last < self.interval and not final and step is None:
            return
        self._last = now
        fields = {"done": done, "heartbeat_at": timezone.now()}
        if total is not None:
            fields["total"] = total
        if step is not None:
            fields["step"] = step[:200]
        updated = (
            Job.objects.using(_progress_alias())
            .filter(pk=self.job.pk, status=Job.Status.RUNNING)
            .update(**fields)
        )
        if not updated:
            raise JobAbandoned(self.job.pk)
        for name, value in fields.items():
            setattr(self.job, name, value)

    def counting(self, items, total: int, *, step: str | None = None):
        """Yield `items`, reporting each one done (of `total`)."""
        self(0, total, step=step)
        done = 0
        for item in items:
            yield item
            done += 1
            self(done, total)
        self(done, total)


def _target_fields(target) -> dict:
    if target is None:
        return {}
    return {"content_type": ContentType.objects.get_for_model(target), "object_id": str(target.pk)}


def start_job(
    *,
    kind: str,
    actor,
    title: str,
    key: str,
    target=None,
    params: dict | None = None,
    input_file: File | None = None,
    input_name: str = "",
) -> tuple[Job, bool]:
    """Queue a job after the current transaction commits: (job, True), or (the running one, False).

    `key` names what may not run twice at once (e.g. "results:campaign:12"); when a job of that
    key is already queued or running, that job is returned instead of a new one. `input_file`
    (an uploaded file the job reads) is stored through the storage API first.
    """
    if kind not in KINDS:
        raise LookupError(f"No job kind {kind!r} is registered.")
    _fail_stale(Job.objects.filter(key=key))
    active = Job.objects.filter(key=key, status__in=Job.ACTIVE).first()
    if active is not None:
        return active, False
    job = Job(
        kind=kind,
        title=title[:200],
        key=key[:200],
        params=params or {},
        started_by=actor,
        **_target_fields(target),
    )
    try:
        with transaction.atomic():
            if input_file is not None:
                job.input_file.save(
                    input_name or getattr(input_file, "name", "input"), input_file, save=False
                )
            job.save()
    except IntegrityError:
        # Another request queued the same job a moment ago: show that one (or, if it has ended in
        # the meantime, its row: it was started for the same thing a moment ago).
        if job.input_file:
            job.input_file.delete(save=False)
        return Job.objects.filter(key=key).order_by("-created_at", "-pk").first(), False
    _queue(job.pk)
    job.refresh_from_db()  # in-process (no broker) it has already run
    return job, True


def _queue(job_id: int) -> None:
    from core.tasks import run_job_task

    # After commit: the worker must find the row, and a rolled-back request queues nothing.
    transaction.on_commit(lambda: run_job_task.delay(job_id))


@dataclass
class JobStarted:
    """A move whose work went to a job: the job, and what to tell the clerk who asked for it."""

    job: Job
    created: bool

    @property
    def text(self) -> str:
        job = self.job
        if not self.created:
            return f"同一任务已在{job.get_status_display()}，已为您打开它的页面。"
        if job.status == Job.Status.SUCCEEDED:
            return job.message or "任务已完成。"
        if job.status == Job.Status.FAILED:
            return "任务未能完成，原因见本页。"
        return "任务已提交后台处理，本页会自动显示进度。"

    @property
    def colleagues_text(self) -> str:
        who = person_name(self.job.started_by)
        return f"{who}发起的同一任务{self.job.get_status_display()}，请等它结束后再操作。"


def may_see_job(actor, job: Job) -> bool:
    """A job and its file belong to the person who started it (its file holds what they may read)."""
    return is_superuser(actor) or (actor.is_authenticated and job.started_by_id == actor.pk)


def visible_jobs(*, actor):
    """The jobs `actor` may see: their own; a superuser sees everyone's."""
    if is_superuser(actor):
        return Job.objects.all()
    if not getattr(actor, "is_authenticated", False):
        return Job.objects.none()
    return Job.objects.filter(started_by=actor)


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_job(job_id: int, *, worker: str = "") -> Job | None:
    """Claim the queued job and run it to its end (succeeded or failed); None if it was not queued."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        worker=(worker or this_process())[:200],
        attempts=F("attempts") + 1,
        done=0,
        error="",
    )
    if not claimed:
        return None  # retried elsewhere, failed as stale, or a duplicate message
    job = Job.objects.select_related("started_by").get(pk=job_id)
    kind = KINDS.get(job.kind)
    progress = Progress(job)
    try:
        if kind is None:
            raise ValidationError(f"系统不认识任务类型“{job.kind}”，请联系系统管理员。")
        outcome = kind.run(job, progress)
    except JobAbandoned:
        logger.warning("job %s was failed as stale while it ran; its work stopped", job_id)
        return Job.objects.get(pk=job_id)
    except (ValidationError, Forbidden) as exc:
        _finish(job, status=Job.Status.FAILED, error="；".join(exc.messages))
    except Exception as exc:
        # The traceback goes to the server's log under the job's number, without the exception's
        # text (a database error can quote a row's values); the clerk reads words.
        logger.error(
            "job %s (%s) failed: %s\n%s",
            job_id,
            job.kind,
            type(exc).__name__,
            # Where it failed, file and line, without the source lines or any value.
            "\n".join(
                f"  {f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(exc.__traceback__)
            ),
        )
        _finish(
            job,
            status=Job.Status.FAILED,
            error=f"处理时出现内部错误（任务编号 {job_id}），已记入服务器日志。请重试；仍然失败请联系系统管理员。",
        )
    else:
        try:
            _finish(job, status=Job.Status.SUCCEEDED, outcome=outcome)
        except Exception as exc:
            # The result could not be stored (disk full, storage down): the job fails in words
            # instead of staying "running" and blocking its key.
            logger.error("job %s: its result could not be stored: %s", job_id, type(exc).__name__)
            if outcome.file_path is not None:
                outcome.file_path.unlink(missing_ok=True)
            _finish(
                job,
                status=Job.Status.FAILED,
                error=f"结果文件未能保存（任务编号 {job_id}），已记入服务器日志。请重试；仍然失败请联系系统管理员。",
            )
    return job


def _finish(job: Job, *, status: str, outcome: Outcome | None = None, error: str = "") -> None:
    now = timezone.now()
    fields = {"status": status, "finished_at": now, "heartbeat_at": now, "error": error[:2000]}
    if outcome is not None:
        fields["message"] = outcome.message
        if outcome.file_path is not None:
            name = outcome.file_name or outcome.file_path.name
            with open(outcome.file_path, "rb") as handle:
                job.result_file.save(name, File(handle), save=False)
            outcome.file_path.unlink(missing_ok=True)
            fields["result_file"] = job.result_file.name
            fields["result_name"] = name
            fields["expires_at"] = now + timedelta(days=settings.JOB_FILES_KEEP_DAYS)
        if job.total is not None:
            fields["done"] = job.total
    updated = Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(**fields)
    if not updated and job.result_file and outcome is not None and outcome.file_path is not None:
        job.result_file.delete(save=False)  # failed as stale meanwhile: the file has no job to show it
        return
    for name, value in fields.items():
        if name != "result_file":
            setattr(job, name, value)
    if status == Job.Status.SUCCEEDED and job.input_file:
        job.input_file.delete(save=False)
        Job.objects.filter(pk=job.pk).update(input_file="")


def job_retry(*, job: Job, actor) -> Job:
    """Run a failed job again as a new job (the failed one stays, with its reason)."""
    if not may_see_job(actor, job):
        raise Forbidden("只有发起人可以重试这个任务。")
    if job.status != Job.Status.FAILED:
        raise ValidationError("只有失败的任务可以重试。")
    if job.kind not in KINDS:
        raise ValidationError("这个任务类型已不再使用，不能重试。")
    with transaction.atomic():
        again = Job(
            kind=job.kind,
            title=job.title,
            key=job.key,
            params=job.params,
            started_by=actor,
            content_type_id=job.content_type_id,
            object_id=job.object_id,
            input_file=job.input_file.name,
        )
        try:
            with transaction.atomic():
                again.save()
        except IntegrityError:
            raise ValidationError("同一任务已在排队或进行中，请等待它结束。") from None
        # The input file now belongs to the new job (deleted when it succeeds).
        Job.objects.filter(pk=job.pk).update(input_file="")
        _queue(again.pk)
    return again


def _fail_stale(jobs) -> int:
    """Fail the running jobs among `jobs` with no heartbeat for JOB_STALE_MINUTES."""
    limit = timezone.now() - timedelta(minutes=settings.JOB_STALE_MINUTES)
    return jobs.filter(status=Job.Status.RUNNING, heartbeat_at__lt=limit).update(
        status=Job.Status.FAILED,
        finished_at=timezone.now(),
        error=(
            f"处理进程超过 {settings.JOB_STALE_MINUTES} 分钟没有响应（服务器重启或进程退出），任务已中止。"
            "可点击“重试”重新执行。"
        ),
    )


def fail_jobs_of_restarted_worker(worker: str, *, booted_at) -> int:
    """A worker that starts again fails the jobs its previous run left running (they died with it)."""
    return Job.objects.filter(status=Job.Status.RUNNING, worker=worker, started_at__lt=booted_at).update(
        status=Job.Status.FAILED,
        finished_at=timezone.now(),
        error="处理进程在任务进行中退出（服务器重启或进程被终止），任务已中止。可点击“重试”重新执行。",
    )


def jobs_housekeeping() -> dict[str, int]:
    """Fail abandoned jobs, delete result files past their keeping time and old inputs of failed jobs;
    queue again the mails a dead worker left unsent (core.notify); purge the records of personal-data
    access older than AUDIT_KEEP_DAYS (core.audit: those only, never a workflow's or money's row)."""
    now = timezone.now()
    stale = _fail_stale(Job.objects.all())
    # A queued job that no worker took in a day lost its message (e.g. the broker restarted empty).
    lost = Job.objects.filter(status=Job.Status.QUEUED, created_at__lt=now - timedelta(days=1)).update(
        status=Job.Status.FAILED,
        finished_at=now,
        error="任务排队超过一天仍未开始（后台处理服务未运行或队列已清空）。可点击“重试”重新执行。",
    )
    expired = 0
    for job in Job.objects.filter(expires_at__lt=now).exclude(result_file=""):
        job.result_file.delete(save=False)
        Job.objects.filter(pk=job.pk).update(result_file="")
        expired += 1
    old_inputs = 0
    keep = now - timedelta(days=settings.JOB_FILES_KEEP_DAYS)
    for job in Job.objects.filter(status=Job.Status.FAILED, finished_at__lt=keep).exclude(input_file=""):
        job.input_file.delete(save=False)
        Job.objects.filter(pk=job.pk).update(input_file="")
        old_inputs += 1
    from core.notify import notifications_requeue_stale

    mails = notifications_requeue_stale()
    audit = audit_entries_purge(now=now)
    return {
        "stale": stale,
        "lost": lost,
        "expired_files": expired,
        "old_inputs": old_inputs,
        "mails": mails,
        "audit_purged": audit,
    }
