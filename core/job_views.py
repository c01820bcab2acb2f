"""The parts of a job's page both the admin and the portal use: its state as JSON, its file.

A job is found only among the jobs the person may see (their own; a superuser's all), so anyone
else's job answers 404 whether or not it exists.
"""

from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

from core.jobs import visible_jobs
from core.models import Job


def job_for(request, job_id) -> Job:
    return get_object_or_404(visible_jobs(actor=request.user).select_related("started_by"), pk=job_id)


def local_time(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def job_state(job: Job) -> dict:
    """What the page's script needs to redraw the progress bar, in words a clerk reads."""
    return {
        "status": job.status,
        "status_label": job.get_status_display(),
        "active": job.is_active,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "step": job.step,
        "message": job.message,
        "error": job.error,
        "has_file": bool(job.result_file),
        "finished_at": local_time(job.finished_at),
    }


def job_state_response(request, job_id) -> JsonResponse:
    response = JsonResponse(job_state(job_for(request, job_id)), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


def job_download_response(request, job_id) -> FileResponse:
    job = job_for(request, job_id)
    if not job.result_file:
        raise Http404("这个任务没有可下载的文件，或文件已超过保存期限被删除。")
    try:
        handle = job.result_file.open("rb")
    except FileNotFoundError:
        raise Http404("文件已不在存储中，请重新生成。") from None
    response = FileResponse(handle, as_attachment=True, filename=job.result_name or job.result_file.name)
    # Exports carry what only this person may read: no shared cache keeps a copy.
    response["Cache-Control"] = "private, no-store"
    return response
