"""A large file of sheet data (导入数据) is imported by a job the bureau follows on the admin's job page.

IMPORT_INLINE_MAX_BYTES is lowered so that a two-station template counts as large; below it the
admin imports in the request as before (tests/assessment/test_sheet_import.py).
"""

from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from assessment.models import Campaign, ScoreSheet
from core.models import AuditEntry, Job
from stations.models import User
from tests.assessment.steps import points_inputs
from tests.assessment.test_sheet_import import XLSX_TYPE, filled, template
from tests.factories import make_station, make_user
from tests.jobs_steps import job_of, post_and_run


@pytest.fixture
def two_station_campaign(world, campaign):
    from assessment.services.campaigns import campaign_open

    make_station(region=world.town_a, code="AAA-02", kind="doorstep_station", name="甲县城关家门口就业服务站")
    return campaign_open(campaign=campaign, actor=world.bureau_a)


@pytest.fixture
def large(settings):
    settings.IMPORT_INLINE_MAX_BYTES = 100


def import_url(campaign):
    return reverse("admin:assessment_campaign_import", args=[campaign.pk])


def posted(content: bytes):
    return {"file": SimpleUploadedFile("现场数据.xlsx", content, content_type=XLSX_TYPE)}


def good_rows(campaign):
    good = {k: int(Decimal(v)) for k, v in points_inputs(campaign, kind="gig_station").items()}
    doorstep = {
        k: int(Decimal(v)) for k, v in points_inputs(campaign, kind="doorstep_station", total=80).items()
    }
    return {"AAA-01": good, "AAA-02": doorstep}


def bad_rows(campaign):
    good = {k: int(Decimal(v)) for k, v in points_inputs(campaign, kind="gig_station").items()}
    return {
        "AAA-01": good | {"item_1_1_points": 9},  # worth 8 at most; column D
        "AAA-02": good | {"item_1_2_points": None},  # left empty; column E
    }


def stored_inputs() -> list[str]:
    if not default_storage.exists("jobs/inputs"):
        return []
    return default_storage.listdir("jobs/inputs")[1]


def test_a_large_file_is_imported_by_a_job_whose_page_shows_the_outcome(
    client, world, two_station_campaign, large
):
    client.force_login(world.bureau_a)
    content = filled(template(client, two_station_campaign), good_rows(two_station_campaign))

    job = job_of(post_and_run(client, import_url(two_station_campaign), posted(content)))

    job.refresh_from_db()
    assert (job.kind, job.status, job.started_by, job.done, job.total) == (
        "assessment.sheet_import",
        Job.Status.SUCCEEDED,
        world.bureau_a,
        2,
        2,
    )
    page = client.get(reverse("admin:core_job_change", args=[job.pk])).content.decode()
    assert "导入评分数据：2024年度云梦县零工驿站运营考核" in page
    assert "已导入 2 张评分表的数据。" in page
    assert set(
        ScoreSheet.objects.filter(campaign=two_station_campaign).values_list("status", "onsite_total")
    ) == {("assessed", Decimal("100.00")), ("assessed", Decimal("80.00"))}
    assert AuditEntry.objects.filter(action="sheet.import", actor=world.bureau_a).count() == 2
    assert stored_inputs() == []  # the upload was only the job's input


def test_a_large_file_with_errors_fails_its_job_with_every_problem_and_saves_nothing(
    client, world, two_station_campaign, large
):
    client.force_login(world.bureau_a)
    content = filled(template(client, two_station_campaign), bad_rows(two_station_campaign))

    job = job_of(post_and_run(client, import_url(two_station_campaign), posted(content)))

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    lines = job.error.splitlines()
    assert lines[0] == "共 2 处错误，未导入任何数据。请改正下列问题后重新上传。"
    assert lines[1].startswith("第 2 行 D 列")
    assert lines[2] == "第 3 行 E 列：缺少该项（人员配置得分）"
    assert set(
        ScoreSheet.objects.filter(campaign=two_station_campaign).values_list("status", "onsite_total")
    ) == {("draft", None)}
    assert not AuditEntry.objects.filter(action="sheet.import").exists()
    page = client.get(reverse("admin:core_job_change", args=[job.pk])).content.decode()
    assert "第 3 行 E 列：缺少该项（人员配置得分）" in page
    assert len(stored_inputs()) == 1  # kept for a retry

    again = job_of(post_and_run(client, reverse("admin:core_job_retry", args=[job.pk])))

    again.refresh_from_db()
    assert (again.status, again.error) == (Job.Status.FAILED, job.error)
    assert len(stored_inputs()) == 1


def test_one_import_per_campaign_at_a_time(client, world, two_station_campaign, large, settings):
    client.force_login(world.bureau_a)
    content = filled(template(client, two_station_campaign), good_rows(two_station_campaign))
    first = job_of(client.post(import_url(two_station_campaign), posted(content)))  # queued, not run

    second = client.post(import_url(two_station_campaign), posted(content))
    assert second.status_code == 200
    assert "本批次的数据正在后台导入，请等它结束后再上传（刚选择的文件未导入）。" in second.content.decode()
    settings.IMPORT_INLINE_MAX_BYTES = 10 * 1024 * 1024
    small = client.post(import_url(two_station_campaign), posted(content))
    assert "本批次的数据正在后台导入" in small.content.decode()
    assert list(Job.objects.values_list("pk", flat=True)) == [first.pk]
    assert set(ScoreSheet.objects.filter(campaign=two_station_campaign).values_list("status", flat=True)) == {
        "draft"
    }


def test_another_clerk_cannot_see_the_job(client, world, two_station_campaign, large):
    client.force_login(world.bureau_a)
    content = filled(template(client, two_station_campaign), bad_rows(two_station_campaign))
    job = job_of(post_and_run(client, import_url(two_station_campaign), posted(content)))
    colleague = make_user("bureau_a2", role=User.Role.BUREAU, region=world.county_a)

    for someone in (colleague, world.bureau_b):
        client.force_login(someone)
        for name in ("admin:core_job_change", "admin:core_job_status"):
            assert client.get(reverse(name, args=[job.pk])).status_code == 404, (someone, name)
        with TestCase.captureOnCommitCallbacks(execute=True):
            assert client.post(reverse("admin:core_job_retry", args=[job.pk])).status_code == 404
    assert Job.objects.count() == 1


def test_a_campaign_that_is_not_open_refuses_on_the_form_without_a_job(
    client, world, two_station_campaign, large
):
    client.force_login(world.bureau_a)
    content = filled(template(client, two_station_campaign), good_rows(two_station_campaign))
    Campaign.objects.filter(pk=two_station_campaign.pk).update(status=Campaign.Status.NOTICE)

    response = client.post(import_url(two_station_campaign), posted(content))

    assert response.status_code == 200
    assert "考核批次当前为“公示中”，不能导入数据。" in response.content.decode()
    assert not Job.objects.exists()
    assert stored_inputs() == []


def test_a_small_file_is_still_imported_in_the_request(client, world, two_station_campaign):
    client.force_login(world.bureau_a)
    content = filled(template(client, two_station_campaign), good_rows(two_station_campaign))

    response = client.post(import_url(two_station_campaign), posted(content), follow=True)

    assert "已导入 2 张评分表的数据。" in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse(
        "admin:assessment_campaign_change", args=[two_station_campaign.pk]
    )
    assert not Job.objects.exists()
