"""Jobs through a real Celery worker (issue 11, item 6): queued to Redis, run by `celery -A config
worker`, watched in the database, downloaded through the admin; and nothing lost when the worker
dies mid-job (the restarted worker fails the job, a retry runs it to the end).

Needs PostgreSQL (the worker is another process: it reads what the test committed) and Redis on
127.0.0.1:6379 (the broker is its DB 3); skipped otherwise, unless CELERY_WORKER_TESTS=required
(as CI's PostgreSQL run sets it), which makes a missing one an error instead of a silent skip.
"""

import datetime
import io
import os
import threading
import time
import zipfile
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.urls import reverse

from assessment.jobs import start_results, start_score_sheets_zip
from assessment.models import Campaign, CampaignResult
from assessment.services.campaigns import campaign_open
from core.jobs import job_retry
from core.models import AuditEntry, Job
from tests.assessment.conftest import addresses, campaign, yunmeng  # noqa: F401
from tests.assessment.steps import lock_sheets
from tests.documents.conftest import evidence_campaign, scored_campaign  # noqa: F401
from tests.documents.poppler import pdf_text
from tests.factories import make_station
from tests.jobs.conftest import living_members, redis_answers

if connection.vendor != "postgresql":
    skip_reason = (
        "a real Celery worker needs PostgreSQL (DATABASE_URL=postgres://...): it reads what the test commits"
    )
elif not redis_answers():
    skip_reason = "a real Celery worker needs Redis on 127.0.0.1:6379 (its DB 3 is the broker)"
else:
    skip_reason = ""
if skip_reason and os.environ.get("CELERY_WORKER_TESTS") == "required":  # CI's PostgreSQL run
    pytest.fail(f"CELERY_WORKER_TESTS=required, but {skip_reason}", pytrace=False)

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(skip_reason), reason=skip_reason),
]

JOB_SECONDS = 120
BIG_CAMPAIGN_STATIONS = 24  # enough PDFs that the ZIP runs for seconds, long after its first report
DIED = "处理进程在任务进行中退出（服务器重启或进程被终止），任务已中止。可点击“重试”重新执行。"


@dataclass(frozen=True)
class Seen:
    """One state of the job row as a poll read it."""

    status: str
    done: int
    total: int | None
    step: str
    worker: str
    heartbeat_at: datetime.datetime | None


def seen(job: Job) -> Seen:
    return Seen(job.status, job.done, job.total, job.step, job.worker, job.heartbeat_at)


def follow(job: Job, *, until=lambda job: not job.is_active, timeout: float = JOB_SECONDS):
    """Poll the job's row (every 20 ms) until `until(job)`: the job as read last, and every state seen."""
    states: list[Seen] = []
    deadline = time.monotonic() + timeout
    while True:
        job = Job.objects.get(pk=job.pk)
        if not states or states[-1] != seen(job):
            states.append(seen(job))
        if until(job):
            return job, states
        assert time.monotonic() < deadline, (
            f"job {job.pk} still {job.status} after {timeout} s: {states[-3:]}"
        )
        time.sleep(0.02)


def read_zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


class CampaignHeld:
    """Another transaction holds the campaign's row lock (as a results computation or a correction
    does) until the block ends: a results job reaches it, reports it is running, and waits."""

    def __init__(self, held: Campaign) -> None:
        self.campaign = held
        self.locked = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._hold)
        self.error: BaseException | None = None

    def _hold(self) -> None:
        try:
            with transaction.atomic():
                Campaign.objects.select_for_update().get(pk=self.campaign.pk)
                self.locked.set()
                self.release.wait(JOB_SECONDS)
        except BaseException as exc:  # reported in the test's thread
            self.error = exc
            self.locked.set()
        finally:
            connection.close()

    def __enter__(self) -> "CampaignHeld":
        self.thread.start()
        assert self.locked.wait(30) and self.error is None, self.error
        return self

    def __exit__(self, *exc_info) -> None:
        self.release.set()
        self.thread.join(30)
        assert not self.thread.is_alive()


class InAnotherRequest:
    """`call(**kwargs)` on a connection of its own (another request), started at the block's start;
    its outcome is `result` once the block has ended."""

    def __init__(self, call, **kwargs) -> None:
        self.call = call
        self.kwargs = kwargs
        self.thread = threading.Thread(target=self._run)
        self.outcome: tuple[str, object] | None = None

    def _run(self) -> None:
        try:
            self.outcome = ("value", self.call(**self.kwargs))
        except BaseException as exc:  # reported in the test's thread
            self.outcome = ("error", exc)
        finally:
            connection.close()

    def __enter__(self) -> "InAnotherRequest":
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        pass

    @property
    def result(self):
        self.thread.join(30)
        assert not self.thread.is_alive() and self.outcome is not None
        kind, value = self.outcome
        if kind == "error":
            raise value
        return value


def waits_for_a_lock(other: "InAnotherRequest", timeout: float = 10) -> None:
    """Until another connection waits for a lock (here: to insert a row this transaction holds)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            # Within a transaction PostgreSQL keeps the first view of the activity: read it afresh.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            assert other.thread.is_alive(), f"the other request did not wait for this one: {other.outcome}"
            assert time.monotonic() < deadline, "the other request never waited for this one"
            time.sleep(0.02)


@pytest.fixture
def locked_campaign(world, evidence_campaign):  # noqa: F811
    """The documents' campaign with both sheets scored on site and locked, results not yet computed:
    AAA-01 at 92 (优秀, 60,000), AAA-02 at 85 (良好, 15,000)."""
    lock_sheets(
        evidence_campaign,
        totals={"AAA-01": 92, "AAA-02": 85},
        assessor=world.assessor_a,
        bureau=world.bureau_a,
    )
    return evidence_campaign


@pytest.fixture
def big_campaign(world, campaign):  # noqa: F811
    """County A's Yunmeng campaign with BIG_CAMPAIGN_STATIONS gig stations, every sheet locked."""
    for n in range(2, BIG_CAMPAIGN_STATIONS + 1):
        make_station(region=world.town_a, code=f"AAA-{n:02d}", name=f"云梦县第{n}零工驿站")
    campaign_open(campaign=campaign, actor=world.bureau_a)
    totals = {f"AAA-{n:02d}": 70 + n % 30 for n in range(1, BIG_CAMPAIGN_STATIONS + 1)}
    lock_sheets(campaign, totals=totals, assessor=world.assessor_a, bureau=world.bureau_a)
    return campaign


def queued(start, **kwargs) -> Job:
    """Start a job as a button does (inside the request's transaction): queued to Redis at commit."""
    with transaction.atomic():
        job, created = start(**kwargs)
        assert created
        assert Job.objects.get(pk=job.pk).status == Job.Status.QUEUED  # nothing is sent before commit
    return job


def test_the_results_job_runs_on_the_worker_and_computes_the_campaigns_results(world, locked_campaign):
    job = queued(start_results, campaign=locked_campaign, actor=world.bureau_a)
    job, _ = follow(job)

    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.worker.startswith("jobs-test@"), job.worker  # the worker's node, not this process
    assert job.attempts == 1
    assert job.created_at <= job.started_at <= job.heartbeat_at and job.started_at <= job.finished_at
    assert (job.done, job.total) == (2, 2)
    assert job.message == "已计算 2 个站点的结果。"
    results = CampaignResult.objects.filter(campaign=locked_campaign).select_related("station")
    assert {r.station.code: (r.score, r.tier_label, r.subsidy) for r in results} == {
        "AAA-01": (Decimal("92.00"), "优秀", Decimal("60000.00")),
        "AAA-02": (Decimal("85.00"), "良好", Decimal("15000.00")),
    }
    locked_campaign.refresh_from_db()
    assert locked_campaign.status == Campaign.Status.RESULTS
    entry = AuditEntry.objects.get(action="campaign.results")
    assert (entry.actor, entry.from_state, entry.to_state) == (world.bureau_a, "open", "results")


def test_the_zip_job_stores_a_file_only_its_starter_downloads(client, world, scored_campaign, worker_media):  # noqa: F811
    job = queued(start_score_sheets_zip, campaign=scored_campaign, actor=world.bureau_a)
    job, _ = follow(job)

    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.worker.startswith("jobs-test@")
    assert (job.done, job.total) == (2, 2)
    assert job.message == "已生成 2 个站点的评分表 PDF。"
    assert default_storage.exists(job.result_file.name)
    # Written by the worker into the MEDIA_ROOT this process serves from.
    assert (worker_media / job.result_file.name).is_file()
    page = reverse("admin:core_job_change", args=[job.pk])
    download = reverse("admin:core_job_download", args=[job.pk])

    client.force_login(world.bureau_a)
    assert download in client.get(page).content.decode()
    response = client.get(download)
    assert response.status_code == 200
    assert f'filename="{scored_campaign.code}-score-sheets-' in response["Content-Disposition"]
    files = read_zip(b"".join(response.streaming_content))
    assert sorted(files) == ["AAA-01.pdf", "AAA-02.pdf", "index.txt"]
    for code in ("AAA-01", "AAA-02"):
        assert files[f"{code}.pdf"].startswith(b"%PDF-")
        assert code in pdf_text(files[f"{code}.pdf"])
    index = files["index.txt"].decode("utf-8-sig")
    assert "AAA-01.pdf\t甲县城关零工驿站\t92.00" in index

    # Another county's bureau, and an auditor of the same county who did not start it.
    for other in (world.bureau_b, world.auditor_a):
        client.force_login(other)
        assert client.get(page).status_code == 404, other
        assert client.get(download).status_code == 404, other


def test_a_clerk_sees_the_results_job_running_while_another_transaction_holds_the_campaign(
    world, locked_campaign
):
    with CampaignHeld(locked_campaign):
        job = queued(start_results, campaign=locked_campaign, actor=world.bureau_a)
        running, _ = follow(job, until=lambda job: job.status == Job.Status.RUNNING and job.step)
        time.sleep(1.5)  # the job waits for the campaign; its row says so all along
        waiting = Job.objects.get(pk=job.pk)
    job, _ = follow(job)

    assert running.step == "正在读取已锁定的评分表并逐站计分"
    assert running.worker.startswith("jobs-test@") and running.heartbeat_at >= running.started_at
    assert (waiting.status, waiting.done, waiting.total) == (Job.Status.RUNNING, 0, None)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert (job.done, job.total) == (2, 2)


def test_a_long_zip_job_reports_its_progress_while_it_runs(world, big_campaign):
    job = queued(start_score_sheets_zip, campaign=big_campaign, actor=world.bureau_a)
    job, states = follow(job)

    assert job.status == Job.Status.SUCCEEDED, job.error
    total = BIG_CAMPAIGN_STATIONS
    midway = [s for s in states if s.status == Job.Status.RUNNING and 0 < s.done < total]
    assert midway, states
    assert all(s.total == total for s in midway)
    beats = [s.heartbeat_at for s in states if s.status == Job.Status.RUNNING]
    assert len(set(beats)) >= 2  # the worker's heartbeat moved while it ran
    dones = [s.done for s in states if s.status == Job.Status.RUNNING]
    assert dones == sorted(dones)
    assert (job.done, job.total) == (total, total)


def test_a_job_whose_worker_is_killed_fails_with_the_reason_and_a_retry_finishes_it(
    world, big_campaign, real_worker
):
    total = BIG_CAMPAIGN_STATIONS
    job = queued(start_score_sheets_zip, campaign=big_campaign, actor=world.bureau_a)
    # Killed once its first PDFs are done, with most of the campaign still to render.
    running, _ = follow(job, until=lambda job: job.done > 0 or not job.is_active)
    assert running.status == Job.Status.RUNNING and running.done < total, (running.status, running.done)
    group = real_worker.process.pid

    real_worker.kill()  # the machine loses the worker: main process, children, their PDF processes
    assert living_members(group) == []  # nothing of the group is left
    assert Job.objects.get(pk=job.pk).status == Job.Status.RUNNING  # no one is left to say otherwise
    real_worker.start()  # the same node name, as systemd restarts it
    failed, _ = follow(job, timeout=60)

    assert failed.status == Job.Status.FAILED
    assert failed.error == DIED
    assert not failed.result_file

    again = job_retry(job=failed, actor=world.bureau_a)
    again, _ = follow(again)
    assert again.status == Job.Status.SUCCEEDED, again.error
    assert again.pk != failed.pk and again.worker.startswith("jobs-test@") and again.attempts == 1
    with again.result_file.open("rb") as handle:
        files = read_zip(handle.read())
    assert len(files) == total + 1 and "index.txt" in files
    failed.refresh_from_db()
    assert (failed.status, failed.error) == (Job.Status.FAILED, DIED)  # the failed one keeps its reason


def test_the_same_results_job_asked_for_twice_is_one_job_while_it_is_queued_or_running(
    world, locked_campaign
):
    with CampaignHeld(locked_campaign):  # once running, the job waits here for the campaign
        with transaction.atomic():
            first, created = start_results(campaign=locked_campaign, actor=world.bureau_a)
            # A second click at the same moment, in another request: its job waits for this commit.
            with InAnotherRequest(start_results, campaign=locked_campaign, actor=world.bureau_a) as other:
                waits_for_a_lock(other)
        assert created
        second, second_created = other.result
        follow(first, until=lambda job: job.status == Job.Status.RUNNING)
        third, third_created = start_results(campaign=locked_campaign, actor=world.bureau_a)
    first, _ = follow(first)

    assert (second.pk, second_created) == (first.pk, False)
    assert (third.pk, third_created) == (first.pk, False)
    assert first.status == Job.Status.SUCCEEDED, first.error
    assert Job.objects.count() == 1
    assert AuditEntry.objects.filter(action="campaign.results").count() == 1

    # Once it has ended, asking again starts a new computation.
    again = queued(start_results, campaign=locked_campaign, actor=world.bureau_a)
    again, _ = follow(again)
    assert again.pk != first.pk and again.status == Job.Status.SUCCEEDED, again.error
    assert AuditEntry.objects.filter(action="campaign.results_recomputed").count() == 1
