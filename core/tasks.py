"""Celery tasks of core: run a job, keep the jobs tidy; a starting worker fails what it left running."""

from celery import shared_task
from celery.signals import worker_init, worker_ready
from django.utils import timezone

from core import jobs
from core.notify import notifications_deliver, notifications_requeue_stale

_booted_at = None


@shared_task(bind=True, name="core.run_job")
def run_job_task(self, job_id: int) -> None:
    # The worker's node name (celery@host) is what a restarted worker recognises as its own.
    jobs.run_job(job_id, worker=self.request.hostname or "")


@shared_task(name="core.jobs_housekeeping")
def jobs_housekeeping_task() -> dict[str, int]:
    return jobs.jobs_housekeeping()


@worker_init.connect
def _remember_boot(**kwargs) -> None:
    global _booted_at
    _booted_at = timezone.now()


@worker_ready.connect
def _fail_what_the_last_run_left(sender=None, **kwargs) -> None:
    # A job still "running" under this node's name from before this start died with the last run.
    jobs.fail_jobs_of_restarted_worker(sender.hostname, booted_at=_booted_at or timezone.now())
    jobs.jobs_housekeeping()


@shared_task(bind=True, name="core.deliver_notifications")
def deliver_notifications_task(self, notification_ids: list[int]) -> dict[str, int]:
    # In-process (no broker) a retry would hold up the request: one attempt, then bureau staff resend.
    eager = self.request.is_eager or self.app.conf.task_always_eager
    return notifications_deliver(notification_ids, retry=not eager)


@shared_task(name="core.notifications_requeue_stale")
def notifications_requeue_stale_task() -> int:
    return notifications_requeue_stale()
