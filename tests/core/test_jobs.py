"""Jobs as a clerk meets them: one at a time per key, failures in words, retry, dead workers, old files.

The kinds below are small real jobs registered for these tests; the assessment's own kinds
(results, ZIP, tables) are exercised through the admin in tests/documents and tests/assessment,
and through a real Celery worker in tests/jobs.
"""

import datetime
import io
import tempfile
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from core.jobs import (
    KINDS,
    JobKind,
    Outcome,
    fail_jobs_of_restarted_worker,
    job_kind,
    job_retry,
    jobs_housekeeping,
    run_job,
    start_job,
)
from core.models import Job
from tests.jobs_steps import post_and_run

CALLS = []


@job_kind("tests.file", "测试：生成文件")
def _make_file(job, progress):
    for done in progress.counting(range(3), 3, step="正在写"):
        CALLS.append(done)
    with tempfile.NamedTemporaryFile(suffix=".txt", delete=False) as handle:
        handle.write("第一行\n".encode())
    return Outcome(message="文件已生成。", file_path=Path(handle.name), file_name="结果.txt")


@job_kind("tests.refuse", "测试：被拒绝")
def _refuse(job, progress):
    raise ValidationError(["还有 2 个站点的评分表未审定锁定：AAA-01、AAA-02"])


@job_kind("tests.crash", "测试：内部错误")
def _crash(job, progress):
    raise RuntimeError("secret detail 13800000000")


@job_kind("tests.flaky", "测试：第二次成功")
def _flaky(job, progress):
    if job.attempts < 2 and not Job.objects.filter(key=job.key, status=Job.Status.FAILED).exists():
        raise ValidationError("暂时失败")
    return Outcome(message="第二次成功。")


def start(kind, user, key="k", **kwargs):
    with TestCase.captureOnCommitCallbacks(execute=True):
        job, created = start_job(kind=kind, actor=user, title="测试任务", key=key, **kwargs)
    job.refresh_from_db()
    return job, created


@pytest.fixture(autouse=True)
def _clear_calls():
    CALLS.clear()


def test_a_job_runs_reports_progress_and_keeps_its_file_for_its_starter(client, world, settings):
    settings.JOB_FILES_KEEP_DAYS = 7
    job, created = start("tests.file", world.bureau_a)

    assert created
    assert job.status == Job.Status.SUCCEEDED
    assert (job.done, job.total) == (3, 3)
    assert CALLS == [0, 1, 2]
    assert job.message == "文件已生成。"
    assert default_storage.exists(job.result_file.name)
    assert job.expires_at - job.finished_at == datetime.timedelta(days=7)

    client.force_login(world.bureau_a)
    page = client.get(reverse("admin:core_job_change", args=[job.pk])).content.decode()
    assert "已完成" in page
    assert "已完成 3 / 3（100%）" in page
    assert "下载 结果.txt" in page
    download = client.get(reverse("admin:core_job_download", args=[job.pk]))
    assert b"".join(download.streaming_content).decode() == "第一行\n"
    assert "private" in download["Cache-Control"]
    state = client.get(reverse("admin:core_job_status", args=[job.pk])).json()
    assert state["status_label"] == "已完成"
    assert state["percent"] == 100


@pytest.mark.parametrize("role", ["auditor_a", "bureau_b"])
def test_another_persons_job_is_not_found(client, world, role):
    job, _ = start("tests.file", world.bureau_a)
    client.force_login(getattr(world, role))
    for name in ("admin:core_job_change", "admin:core_job_status", "admin:core_job_download"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404, name
    assert client.post(reverse("admin:core_job_retry", args=[job.pk])).status_code == 404
    listing = client.get(reverse("admin:core_job_changelist")).content.decode()
    assert "测试任务" not in listing


def test_the_same_key_cannot_run_twice_at_once(world):
    first = Job.objects.create(kind="tests.file", title="进行中", key="same", started_by=world.bureau_a)
    first_status = Job.Status.RUNNING
    Job.objects.filter(pk=first.pk).update(status=first_status, heartbeat_at=timezone.now())

    again, created = start("tests.file", world.bureau_b, key="same")

    assert not created
    assert again.pk == first.pk
    assert Job.objects.filter(key="same").count() == 1


def test_a_refusal_fails_the_job_with_its_words(world):
    job, _ = start("tests.refuse", world.bureau_a)
    assert job.status == Job.Status.FAILED
    assert job.error == "还有 2 个站点的评分表未审定锁定：AAA-01、AAA-02"


def test_an_internal_error_says_so_without_its_details(world, caplog):
    job, _ = start("tests.crash", world.bureau_a)
    assert job.status == Job.Status.FAILED
    assert f"任务编号 {job.pk}" in job.error
    assert "13800000000" not in job.error
    assert "secret detail" not in job.error
    assert f"job {job.pk} (tests.crash) failed: RuntimeError" in caplog.text
    assert "13800000000" not in caplog.text  # the server's log gets the place, not the data


def test_a_result_that_cannot_be_stored_fails_the_job_in_words(world, settings, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the storage expects a folder")
    settings.MEDIA_ROOT = blocked
    job, _ = start("tests.file", world.bureau_a, key="unstorable")
    assert job.status == Job.Status.FAILED
    assert job.error.startswith("结果文件未能保存")
    _, created = start("tests.file", world.bureau_a, key="unstorable")
    assert created  # the key is free: the clerk can start it again at once


def test_a_failed_job_is_retried_as_a_new_job(client, world):
    job, _ = start("tests.flaky", world.bureau_a)
    assert job.status == Job.Status.FAILED

    client.force_login(world.bureau_a)
    page = client.get(reverse("admin:core_job_change", args=[job.pk])).content.decode()
    assert "重试" in page
    response = post_and_run(client, reverse("admin:core_job_retry", args=[job.pk]))

    again = Job.objects.exclude(pk=job.pk).get()
    assert response["Location"] == reverse("admin:core_job_change", args=[again.pk])
    assert again.status == Job.Status.SUCCEEDED
    assert again.message == "第二次成功。"
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED  # the failure stays on record


def test_only_a_failed_job_is_retried(world):
    job, _ = start("tests.file", world.bureau_a)
    with pytest.raises(ValidationError, match="只有失败的任务可以重试"):
        job_retry(job=job, actor=world.bureau_a)


def test_a_job_left_running_by_a_dead_worker_is_failed_and_can_be_retried(world):
    job = Job.objects.create(kind="tests.file", title="打包", key="zip", started_by=world.bureau_a)
    booted = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING,
        worker="celery@host-1",
        started_at=booted - datetime.timedelta(minutes=3),
        heartbeat_at=booted - datetime.timedelta(minutes=1),
    )
    # Another worker's job, and one this worker started after booting, are not touched.
    other = Job.objects.create(
        kind="tests.file", title="别的", key="other", started_by=world.bureau_a, status=Job.Status.RUNNING,
        worker="celery@host-2", started_at=booted - datetime.timedelta(minutes=3), heartbeat_at=booted,
    )  # fmt: skip

    assert fail_jobs_of_restarted_worker("celery@host-1", booted_at=booted) == 1

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "处理进程在任务进行中退出" in job.error
    other.refresh_from_db()
    assert other.status == Job.Status.RUNNING
    with TestCase.captureOnCommitCallbacks(execute=True):
        again = job_retry(job=job, actor=world.bureau_a)
    again.refresh_from_db()
    assert again.status == Job.Status.SUCCEEDED


def test_housekeeping_fails_silent_jobs_and_deletes_old_files(world, settings):
    settings.JOB_STALE_MINUTES = 30
    settings.JOB_FILES_KEEP_DAYS = 7
    done, _ = start("tests.file", world.bureau_a, key="old-file")
    name = done.result_file.name
    silent = Job.objects.create(kind="tests.file", title="无响应", key="silent", started_by=world.bureau_a)
    Job.objects.filter(pk=silent.pk).update(
        status=Job.Status.RUNNING, heartbeat_at=timezone.now() - datetime.timedelta(minutes=31)
    )

    with time_machine.travel(timezone.now() + datetime.timedelta(days=8)):
        counts = jobs_housekeeping()

    assert counts["stale"] == 1
    assert counts["expired_files"] == 1
    silent.refresh_from_db()
    assert silent.status == Job.Status.FAILED
    assert "30 分钟没有响应" in silent.error
    assert not default_storage.exists(name)
    done.refresh_from_db()
    assert not done.result_file


def test_a_job_failed_as_stale_stops_reporting_and_keeps_its_failure(world):
    job = Job.objects.create(kind="tests.file", title="被判定中断", key="late", started_by=world.bureau_a)

    def fail_meanwhile(job_, progress):
        Job.objects.filter(pk=job_.pk).update(status=Job.Status.FAILED, error="中断")
        progress(1, 2, step="继续")  # the worker learns it lost the job here
        return Outcome(message="不该出现")

    KINDS["tests.late"] = JobKind("tests.late", "测试", fail_meanwhile)
    Job.objects.filter(pk=job.pk).update(kind="tests.late")
    try:
        result = run_job(job.pk)
    finally:
        del KINDS["tests.late"]
    assert result.status == Job.Status.FAILED
    assert result.error == "中断"
    assert result.message == ""


def test_the_housekeeping_command_says_what_it_did(world, settings):
    settings.JOB_STALE_MINUTES = 30
    silent = Job.objects.create(kind="tests.file", title="无响应", key="silent", started_by=world.bureau_a)
    Job.objects.filter(pk=silent.pk).update(
        status=Job.Status.RUNNING, heartbeat_at=timezone.now() - datetime.timedelta(hours=2)
    )
    out = io.StringIO()
    call_command("jobs_housekeeping", stdout=out)
    assert "中止无响应任务 1 个" in out.getvalue()
    silent.refresh_from_db()
    assert silent.status == Job.Status.FAILED
