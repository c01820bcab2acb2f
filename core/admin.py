"""The admin's job pages (后台任务): a list of one's jobs, and a page per job that follows it live."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse

from core import (
    admin_calendar,  # noqa: F401 -- registers 节假日安排
    admin_notifications,  # noqa: F401 -- registers 邮件通知
)
from core.admin_base import ReadOnlyScopedAdmin
from core.job_views import job_download_response, job_for, job_state_response
from core.jobs import job_retry, visible_jobs
from core.models import Job
from core.permissions import Forbidden
from core.scoping import register_scope

register_scope(Job, visible_jobs)


def target_admin_url(job: Job) -> str:
    """The admin page of what the job is about (a campaign), when there is one."""
    if not job.content_type_id or not job.object_id:
        return ""
    content_type = job.content_type
    try:
        return reverse(f"admin:{content_type.app_label}_{content_type.model}_change", args=[job.object_id])
    except NoReverseMatch:
        return ""


@admin.register(Job)
class JobAdmin(ReadOnlyScopedAdmin):
    list_display = ["title", "status", "progress_text", "started_by_name", "created_at", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["started_by"]
    search_fields = ["title"]

    @admin.display(description="进度")
    def progress_text(self, job: Job) -> str:
        if job.total:
            return f"{job.done} / {job.total}（{job.percent}%）"
        return "—"

    @admin.display(description="发起人")
    def started_by_name(self, job: Job) -> str:
        user = job.started_by
        return str(user)  # the person's name (stations.User.__str__ uses core.people.person_name)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/status/", wrap(self.status_view), name="core_job_status"),
            path("<path:object_id>/download/", wrap(self.download_view), name="core_job_download"),
            path("<path:object_id>/retry/", wrap(self.retry_view), name="core_job_retry"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = job_for(request, unquote(object_id))
        context = {
            **self.admin_site.each_context(request),
            "title": job.title,
            "opts": self.opts,
            "job": job,
            "who": self.started_by_name(job),
            "target_url": target_admin_url(job),
            "status_url": reverse("admin:core_job_status", args=[job.pk]),
            "download_url": reverse("admin:core_job_download", args=[job.pk]),
            "retry_url": reverse("admin:core_job_retry", args=[job.pk]),
        }
        return TemplateResponse(request, "admin/core/job_detail.html", context)

    def status_view(self, request, object_id):
        return job_state_response(request, unquote(object_id))

    def download_view(self, request, object_id):
        return job_download_response(request, unquote(object_id))

    def retry_view(self, request, object_id):
        job = job_for(request, unquote(object_id))  # someone else's job: 404, whatever the method
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            again = job_retry(job=job, actor=request.user)
        except (ValidationError, Forbidden) as exc:
            self.message_user(request, "；".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:core_job_change", args=[job.pk]))
        self.message_user(request, "已重新提交任务。", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:core_job_change", args=[again.pk]))
