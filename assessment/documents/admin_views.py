"""Admin pages that hand out documents, for bureau staff and auditors alike.

Auditors change nothing, so these are read pages rather than the admin's object actions (which
are for people who may change): anyone who may view the campaign or the sheet in the admin may
have its documents. A sheet's PDF is rendered in the request; a campaign's ZIP and tables are
made by a job (assessment.jobs) that the page starts on POST and the job's page follows; the
file holds what its starter may read and only they download it. The object is found through the
admin's scoped queryset (404 when out of reach), and the rows inside come through the selectors
again, at run time.
"""

import functools
import logging

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from assessment import jobs as assessment_jobs
from assessment.documents.score_sheet import group_hex, score_sheet_pdf, station_document, station_fingerprint
from assessment.models import Campaign, ScoreSheet
from core.jobs import JobStarted, may_see_job, visible_jobs
from core.models import Job
from core.people import person_name

logger = logging.getLogger(__name__)

CAMPAIGN_EXPORTS = [
    ("score_sheets_zip", "score-sheets.zip", "评分表 PDF（ZIP，每站一份）"),
    ("results_xlsx", "results.xlsx", "考核结果表（Excel）"),
    ("notice_xlsx", "notice-list.xlsx", "公示名单（Excel）"),
    ("construction_xlsx", "construction-summary.xlsx", "年度建设情况汇总（Excel，报市人社局）"),
]


def _viewable(model_admin, request, object_id):
    obj = model_admin.get_object(request, unquote(object_id))
    if obj is None:
        raise Http404("没有这条记录，或您无权查看。")
    if not model_admin.has_view_permission(request, obj):
        raise PermissionDenied
    return obj


EXPORT_INTROS = {
    "score_sheets_zip": (
        "为本批次您权限范围内的每个站点生成一份评分表 PDF，打包为 ZIP（附 index.txt 清单）。"
        "站点较多时需要几分钟，由后台处理，完成后在任务页下载。"
    ),
    "results": "考核结果表：每站一行，含分项得分、总分、档次和应享补助。",
    "notice": "公示名单：与公示页面一致的名单。",
    "construction": "年度建设情况汇总：报市人社局的建设情况表。",
}


def _start_page(model_admin, request, campaign, *, name: str, title: str, key: str, start):
    """GET: what the file holds, the person's recent files of this kind; POST: start the job."""
    if request.method == "POST":
        started = JobStarted(*start())
        model_admin.message_user(request, started.text, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:core_job_change", args=[started.job.pk]))
    recent = visible_jobs(actor=request.user).filter(started_by=request.user, key=key)[:5]
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"{title}：{campaign}",
        "opts": model_admin.opts,
        "object": campaign,
        "intro": EXPORT_INTROS[name],
        "recent": recent,
    }
    return TemplateResponse(request, "admin/core/job_start.html", context)


def campaign_score_sheets_zip(model_admin, request, object_id):
    campaign = _viewable(model_admin, request, object_id)
    return _start_page(
        model_admin,
        request,
        campaign,
        name="score_sheets_zip",
        title="评分表 PDF 打包",
        key=assessment_jobs.score_sheets_zip_key(campaign, request.user),
        start=lambda: assessment_jobs.start_score_sheets_zip(campaign=campaign, actor=request.user),
    )


def campaign_table(model_admin, request, object_id, *, export: str):
    campaign = _viewable(model_admin, request, object_id)
    return _start_page(
        model_admin,
        request,
        campaign,
        name=export,
        title=assessment_jobs.TABLE_TITLES[export],
        key=assessment_jobs.table_key(campaign, request.user, export),
        start=lambda: assessment_jobs.start_table(campaign=campaign, actor=request.user, export=export),
    )


def sheet_score_sheet_pdf(model_admin, request, object_id):
    sheet = _viewable(model_admin, request, object_id)
    document = station_document(campaign=sheet.campaign, station=sheet.station, actor=request.user)
    if document is None:
        raise Http404("没有这张评分表，或您无权查看。")
    response = HttpResponse(score_sheet_pdf(document), content_type="application/pdf")
    # inline: the browser shows it, ready to print; the name still says what it is when saved.
    response["Content-Disposition"] = f'inline; filename="{sheet.campaign.code}-{sheet.station.code}.pdf"'
    return response


def _view(model_admin, function, **kwargs):
    return model_admin.admin_site.admin_view(functools.partial(function, model_admin, **kwargs))


def campaign_document_urls(model_admin) -> list:
    """URLs for CampaignAdmin.get_urls, to be placed before the admin's own."""
    views = {
        "score_sheets_zip": _view(model_admin, campaign_score_sheets_zip),
        "results_xlsx": _view(model_admin, campaign_table, export="results"),
        "notice_xlsx": _view(model_admin, campaign_table, export="notice"),
        "construction_xlsx": _view(model_admin, campaign_table, export="construction"),
    }
    return [
        path(f"<path:object_id>/{suffix}", views[name], name=f"assessment_campaign_{name}")
        for name, suffix, _ in CAMPAIGN_EXPORTS
    ]


def sheet_document_urls(model_admin) -> list:
    """URLs for ScoreSheetAdmin.get_urls, to be placed before the admin's own."""
    return [
        path(
            "<path:object_id>/score-sheet.pdf",
            _view(model_admin, sheet_score_sheet_pdf),
            name="assessment_scoresheet_pdf",
        )
    ]


def campaign_document_links(campaign: Campaign | None) -> str:
    """The export links on the campaign page (shown to bureau staff and auditors)."""
    if campaign is None or campaign.pk is None:
        return ""
    links = [
        (reverse(f"admin:assessment_campaign_{name}", args=[campaign.pk]), title)
        for name, _, title in CAMPAIGN_EXPORTS
    ]
    return format_html(
        '{}<div class="help">导出内容仅含您权限范围内的站点。评分表每页印有数据指纹，可与评分表页面核对。</div>',
        format_html_join(" ", '<a class="button" href="{}">{}</a>', links),
    )


def sheet_document_links(sheet: ScoreSheet | None) -> str:
    """The PDF link on a score sheet's page, with the fingerprint the printed pages carry."""
    if sheet is None or sheet.pk is None:
        return ""
    months = len(sheet.campaign.months or [])
    scope = f"本站全部 {months} 个月" if months else "本站"
    return format_html(
        '<a class="button" href="{}" target="_blank">打印评分表（PDF，{}）</a>'
        '<div class="help">当前数据指纹：<strong>{}</strong>。纸质评分表页脚的指纹与此一致，说明打印后数据未改变。</div>',
        reverse("admin:assessment_scoresheet_pdf", args=[sheet.pk]),
        scope,
        group_hex(station_fingerprint(campaign=sheet.campaign, station=sheet.station)),
    )


def campaign_job_lines(campaign: Campaign | None, viewer) -> str:
    """The campaign's jobs under way (anyone's: a clerk sees that results are being computed) and
    the viewer's own recent ones, with links to the pages the viewer may open."""
    if campaign is None or campaign.pk is None or viewer is None:
        return ""
    about = Job.objects.filter(
        content_type=ContentType.objects.get_for_model(Campaign), object_id=str(campaign.pk)
    ).select_related("started_by")
    jobs = list(about.filter(status__in=Job.ACTIVE)[:5])
    jobs += [job for job in about.filter(started_by=viewer)[:5] if job not in jobs]
    if not jobs:
        return "—"
    lines = []
    for job in jobs:
        progress = f"，{job.done} / {job.total}" if job.is_active and job.total else ""
        who = person_name(job.started_by)
        text = f"{job.title}（{job.get_status_display()}{progress}，{who} {timezone.localtime(job.created_at):%m-%d %H:%M}）"
        if may_see_job(viewer, job):
            lines.append(
                format_html('<a href="{}">{}</a>', reverse("admin:core_job_change", args=[job.pk]), text)
            )
        else:
            lines.append(format_html("{}", text))
    return format_html_join("", "<div>{}</div>", ((line,) for line in lines))
