"""Steps for tests that go through a job as a clerk does: ask for it, open its page, download its file.

Without a broker a job runs in-process right after the commit that queued it; a test's
transaction never commits, so the queued callbacks are run here as a commit would run them.
"""

from django.test import TestCase
from django.urls import resolve, reverse

from core.models import Job


def post_and_run(client, url, data=None):
    """POST `url` (a page that starts a job) and run what its commit queued; the response."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, data or {"csrfmiddlewaretoken": "token"})


def job_of(response) -> Job:
    """The job whose page `response` redirects to."""
    assert response.status_code == 302, response.status_code
    match = resolve(response["Location"])
    assert match.url_name == "core_job_change", response["Location"]
    return Job.objects.get(pk=match.kwargs["object_id"])


def download_through_job(client, url):
    """Ask for the file at `url` as a clerk does (page, 开始生成, job page, 下载): the download."""
    assert client.get(url).status_code == 200
    job = job_of(post_and_run(client, url))
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    page = client.get(reverse("admin:core_job_change", args=[job.pk])).content.decode()
    download_url = reverse("admin:core_job_download", args=[job.pk])
    assert download_url in page
    return client.get(download_url)
