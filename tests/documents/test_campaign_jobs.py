"""A campaign's long work as a clerk sees it on the campaign page and on the job's page."""

from django.urls import reverse
from django.utils import timezone

from assessment.jobs import start_results, start_score_sheets_zip
from core.models import Job
from stations.models import User
from tests.factories import make_user
from tests.jobs_steps import job_of, post_and_run


def test_the_zip_job_counts_the_stations_it_prints(client, world, scored_campaign):
    client.force_login(world.auditor_a)
    url = reverse("admin:assessment_campaign_score_sheets_zip", args=[scored_campaign.pk])
    page = client.get(url).content.decode()
    assert "开始生成" in page
    assert "仅您本人可以下载" in page

    job = job_of(post_and_run(client, url))
    job.refresh_from_db()

    assert job.status == Job.Status.SUCCEEDED
    assert (job.done, job.total) == (2, 2)  # AAA-01 and AAA-02, the auditor's county
    assert job.message == "已生成 2 个站点的评分表 PDF。"
    assert job.result_name.startswith(f"{scored_campaign.code}-score-sheets-")
    again = client.get(url).content.decode()
    assert "您最近生成的文件" in again
    assert reverse("admin:core_job_download", args=[job.pk]) in again


def test_the_campaign_page_shows_results_under_way_to_every_clerk_and_links_only_the_starters(
    client, world, scored_campaign
):
    job = Job.objects.create(
        kind="assessment.results",
        title=f"计算考核结果：{scored_campaign.name}",
        key=f"assessment.results:{scored_campaign.pk}",
        started_by=world.bureau_a,
        target=scored_campaign,
        params={"campaign": scored_campaign.pk},
        status=Job.Status.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        done=1,
        total=2,
    )
    change_url = reverse("admin:assessment_campaign_change", args=[scored_campaign.pk])
    job_url = reverse("admin:core_job_change", args=[job.pk])

    client.force_login(world.bureau_a)
    page = client.get(change_url).content.decode()
    assert f"计算考核结果：{scored_campaign.name}（进行中，1 / 2" in page
    assert job_url in page

    client.force_login(world.auditor_a)
    page = client.get(change_url).content.decode()
    assert "（进行中，1 / 2" in page
    assert job_url not in page


def test_a_second_request_for_the_results_opens_the_job_under_way(client, world, scored_campaign):
    running, created = start_results(
        campaign=scored_campaign, actor=world.bureau_a
    )  # queued: never committed
    assert created
    client.force_login(world.bureau_a)
    url = reverse("admin:assessment_campaign_recompute", args=[scored_campaign.pk])

    response = client.post(url, {"csrfmiddlewaretoken": "token"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("admin:core_job_change", args=[running.pk])
    assert "同一任务已在排队中，已为您打开它的页面。" in response.content.decode()
    assert Job.objects.count() == 1


def test_a_job_whose_starter_lost_the_campaign_fails_in_words(
    world, scored_campaign, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job, _ = start_score_sheets_zip(campaign=scored_campaign, actor=world.bureau_b)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error == "这个考核批次已不在您的权限范围内（或已删除），任务未执行。"
    assert not job.result_file


def test_a_colleague_asking_for_results_under_way_is_told_who_runs_them(client, world, scored_campaign):
    colleague = make_user("bureau_a2", role=User.Role.BUREAU, region=world.county_a)
    colleague.last_name, colleague.first_name = "王", "芳"
    colleague.save(update_fields=["last_name", "first_name"])
    start_results(campaign=scored_campaign, actor=colleague)  # queued: never committed
    client.force_login(world.bureau_a)
    url = reverse("admin:assessment_campaign_recompute", args=[scored_campaign.pk])

    response = client.post(url, {"csrfmiddlewaretoken": "token"}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse(
        "admin:assessment_campaign_change", args=[scored_campaign.pk]
    )
    assert "王芳发起的同一任务排队中，请等它结束后再操作。" in response.content.decode()
    assert Job.objects.count() == 1
