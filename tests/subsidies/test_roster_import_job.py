"""A large placement roster is imported by a job the operator follows on the portal's job page.

The threshold (IMPORT_INLINE_MAX_BYTES) is lowered so that a three-person roster counts as large;
below it the upload is imported in the request as before. Jobs run as a commit runs them
(tests/jobs_steps.post_and_run); a plain POST leaves the job queued, as a busy worker would.
"""

import datetime
import os

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.test import TestCase
from django.urls import resolve, reverse

from core.jobs import jobs_housekeeping
from core.models import Job
from subsidies.models import Placement, PlacementRoster
from subsidies.services.claims import claim_create
from tests.jobs_steps import post_and_run
from tests.subsidies.rosters import person, roster_bytes, upload

ROSTER = [person(1), person(2), person(3)]
BAD_ROSTER = [person(1), person(2, phone="12"), person(3, wage=-1)]


@pytest.fixture
def claim(world, published):
    return claim_create(station=world.station_a, kind="performance", year=2024, actor=world.operator_a)


@pytest.fixture
def large(settings):
    """Every roster above 100 bytes (all of them) goes to a job."""
    settings.IMPORT_INLINE_MAX_BYTES = 100


def roster_url(claim):
    return reverse("subsidies:claim_roster", args=[claim.pk])


def posted(people, name="花名册.xlsx"):
    return {"file": upload(name, roster_bytes(people))}


def portal_job_of(response) -> Job:
    """The job whose portal page `response` redirects to."""
    assert response.status_code == 302, response.status_code
    match = resolve(response["Location"])
    assert match.view_name == "portal:job", response["Location"]
    return Job.objects.get(pk=match.kwargs["job_id"])


def stored_inputs() -> list[str]:
    if not default_storage.exists("jobs/inputs"):
        return []
    return default_storage.listdir("jobs/inputs")[1]


def test_a_large_roster_is_imported_by_a_job_whose_page_shows_the_outcome(client, world, claim, large):
    client.force_login(world.operator_a)

    job = portal_job_of(post_and_run(client, roster_url(claim), posted(ROSTER)))

    job.refresh_from_db()
    assert (job.kind, job.status, job.started_by, job.done, job.total) == (
        "subsidies.roster_import",
        Job.Status.SUCCEEDED,
        world.operator_a,
        3,
        3,
    )
    page = client.get(reverse("portal:job", args=[job.pk])).content.decode()
    assert "导入花名册：甲县城关零工驿站（2024 年度）" in page
    assert "已完成" in page
    assert "花名册已导入：3 人。" in page
    assert reverse("subsidies:claim_detail", args=[claim.pk]) in page  # the way back
    roster = PlacementRoster.objects.get(station=world.station_a, year=2024)
    assert (roster.row_count, roster.source_name, roster.imported_by) == (3, "花名册.xlsx", world.operator_a)
    assert roster.rows.count() == 3
    # The uploaded file was only the job's input: gone once imported.
    assert job.input_file.name == ""
    assert stored_inputs() == []
    state = client.get(reverse("portal:job_status", args=[job.pk])).json()
    assert (state["status"], state["percent"], state["message"]) == ("succeeded", 100, "花名册已导入：3 人。")
    claim_page = client.get(reverse("subsidies:claim_detail", args=[claim.pk])).content.decode()
    assert "已导入 3 人" in claim_page
    assert reverse("portal:job", args=[job.pk]) not in claim_page  # a finished import is the roster


def test_the_job_tells_of_people_another_station_placed_as_the_request_does(client, world, claim, large):
    from tests.subsidies.steps import import_roster

    import_roster(world.station_b, actor=world.operator_b, first=2, count=1)  # 张2 also at BBB-01
    client.force_login(world.operator_a)

    job = portal_job_of(post_and_run(client, roster_url(claim), posted(ROSTER)))

    job.refresh_from_db()
    assert job.message == (
        "花名册已导入：3 人。\n提示：第 3 行 张2：同年也在 其他 1 个站点 的花名册中（人社局将核实，不影响导入）"
    )


def test_a_large_roster_with_bad_rows_fails_its_job_in_words_and_saves_nothing(client, world, claim, large):
    client.force_login(world.operator_a)

    job = portal_job_of(post_and_run(client, roster_url(claim), posted(BAD_ROSTER, name="错.xlsx")))

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error.splitlines() == [
        "花名册未导入：共 2 处问题。未保存任何数据。请改正下列问题后，在申报页重新上传。",
        "第 3 行 C 列：应为 11 位手机号码",
        "第 4 行 G 列：应为大于 0 的金额",
    ]
    assert not Placement.objects.exists()
    assert not PlacementRoster.objects.exists()
    page = client.get(reverse("portal:job", args=[job.pk])).content.decode()
    assert "失败" in page and "第 3 行 C 列：应为 11 位手机号码" in page
    assert reverse("portal:job_retry", args=[job.pk]) in page
    # The file is kept for a retry; the claim's page points at the reasons.
    assert len(stored_inputs()) == 1 and job.input_file
    claim_page = client.get(reverse("subsidies:claim_detail", args=[claim.pk])).content.decode()
    assert "后台导入失败" in claim_page
    assert reverse("portal:job", args=[job.pk]) in claim_page


def test_a_refusal_of_many_rows_lists_the_first_and_counts_the_rest(client, world, claim, large):
    client.force_login(world.operator_a)
    people = [person(serial, phone="12") for serial in range(1, 121)]

    job = portal_job_of(post_and_run(client, roster_url(claim), posted(people)))

    job.refresh_from_db()
    lines = job.error.splitlines()
    assert lines[0].startswith("花名册未导入：共 120 处问题。未保存任何数据。")
    assert lines[1] == "第 2 行 C 列：应为 11 位手机号码"
    listed = len(lines) - 2
    assert 20 <= listed <= 50
    assert lines[-1] == f"另有 {120 - listed} 处问题未列出。"
    assert len(job.error) <= 2000  # all of it fits the job's error: nothing is cut mid-line


def test_retrying_a_refused_file_fails_again_the_same_way(client, world, claim, large):
    client.force_login(world.operator_a)
    failed = portal_job_of(post_and_run(client, roster_url(claim), posted(BAD_ROSTER)))
    failed.refresh_from_db()

    again = portal_job_of(post_and_run(client, reverse("portal:job_retry", args=[failed.pk])))

    again.refresh_from_db()
    assert again.pk != failed.pk
    assert (again.status, again.error) == (Job.Status.FAILED, failed.error)
    assert not Placement.objects.exists()
    assert len(stored_inputs()) == 1  # the same file, now the new job's


def test_an_import_no_worker_took_fails_and_a_retry_imports_the_same_file(client, world, claim, large):
    client.force_login(world.operator_a)
    queued = portal_job_of(client.post(roster_url(claim), posted(ROSTER)))  # no worker runs it
    assert queued.status == Job.Status.QUEUED
    with time_machine.travel(datetime.timedelta(days=2)):
        jobs_housekeeping()
        queued.refresh_from_db()
        assert queued.status == Job.Status.FAILED
        assert len(stored_inputs()) == 1

        again = portal_job_of(post_and_run(client, reverse("portal:job_retry", args=[queued.pk])))

    again.refresh_from_db()
    assert (again.status, again.message) == (Job.Status.SUCCEEDED, "花名册已导入：3 人。")
    assert Placement.objects.filter(station=world.station_a).count() == 3
    assert stored_inputs() == []


def test_a_queued_import_shows_a_page_that_follows_it(client, world, claim, large):
    client.force_login(world.operator_a)

    response = client.post(roster_url(claim), posted(ROSTER), follow=True)

    page = response.content.decode()
    assert "已转入后台导入" in page
    assert "排队中" in page
    assert 'data-active="1"' in page  # the script polls the status while it runs
    job = Job.objects.get()
    assert reverse("portal:job_status", args=[job.pk]) in page
    assert client.get(reverse("portal:job_status", args=[job.pk])).json()["status"] == "queued"
    claim_page = client.get(reverse("subsidies:claim_detail", args=[claim.pk])).content.decode()
    assert "后台导入排队中" in claim_page and "查看进度" in claim_page


def test_one_import_per_roster_at_a_time(client, world, claim, large, settings):
    client.force_login(world.operator_a)
    first = portal_job_of(client.post(roster_url(claim), posted(ROSTER)))  # queued, not yet run

    second = client.post(roster_url(claim), posted([person(7)]))
    assert portal_job_of(second) == first
    assert Job.objects.count() == 1
    # A small file is not imported beside it either: that import would be overwritten.
    settings.IMPORT_INLINE_MAX_BYTES = 10 * 1024 * 1024
    small = client.post(roster_url(claim), posted([person(8)]), follow=True)
    assert "本年度花名册正在后台导入，请等它结束后再上传。" in small.content.decode()
    assert not Placement.objects.exists()
    assert Job.objects.count() == 1


def test_another_operator_cannot_see_or_retry_the_job(client, world, claim, large):
    client.force_login(world.operator_a)
    job = portal_job_of(post_and_run(client, roster_url(claim), posted(BAD_ROSTER)))

    for someone in (world.operator_b, world.bureau_a):
        client.force_login(someone)
        for name in ("portal:job", "portal:job_status", "portal:job_download"):
            assert client.get(reverse(name, args=[job.pk])).status_code == 404, (someone, name)
        with TestCase.captureOnCommitCallbacks(execute=True):
            assert client.post(reverse("portal:job_retry", args=[job.pk])).status_code == 404
    assert Job.objects.count() == 1
    client.logout()
    response = client.get(reverse("portal:job", args=[job.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_small_roster_is_still_imported_in_the_request(client, world, claim):
    client.force_login(world.operator_a)

    response = client.post(roster_url(claim), posted(ROSTER), follow=True)

    assert response.redirect_chain[-1][0] == reverse("subsidies:claim_detail", args=[claim.pk])
    assert "花名册已导入：3 人。" in response.content.decode()
    assert Placement.objects.filter(station=world.station_a).count() == 3
    assert not Job.objects.exists()


def test_a_file_over_the_cap_is_refused_in_the_request_and_never_stored(client, world, claim, large):
    client.force_login(world.operator_a)
    too_big = upload("大.xlsx", b"PK\x03\x04" + os.urandom(10 * 1024 * 1024))

    response = client.post(roster_url(claim), {"file": too_big}, follow=True)

    assert "超过 10 MB 上限" in response.content.decode()
    assert not Job.objects.exists()
    assert stored_inputs() == []


def test_the_portal_serves_a_jobs_file_to_its_starter_only(client, world):
    from django.core.files.base import ContentFile

    job = Job.objects.create(
        kind="subsidies.roster_import",
        title="导出",
        key="test:download",
        started_by=world.operator_a,
        status=Job.Status.SUCCEEDED,
        result_name="结果.xlsx",
    )
    job.result_file.save("result.xlsx", ContentFile(b"PK-content"), save=True)
    url = reverse("portal:job_download", args=[job.pk])

    client.force_login(world.operator_a)
    page = client.get(reverse("portal:job", args=[job.pk])).content.decode()
    assert url in page and "下载 结果.xlsx" in page
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"PK-content"
    assert response["Cache-Control"] == "private, no-store"
    client.force_login(world.operator_b)
    assert client.get(url).status_code == 404
