"""Admin pages that hand out documents, for bureau staff and auditors alike.

Auditors change nothing, so these are plain read views rather than the admin's object actions
(which are for people who may change): anyone who may view the campaign or the sheet in the
admin may download them. The object is found through the admin's scoped queryset (404 when out
of reach), and the rows inside come through the selectors again.
"""

import functools
import logging

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from assessment.documents.score_sheet import (
    group_hex,
    scoped_sheets,
    score_sheet_documents,
    score_sheet_pdf,
    score_sheets_zip,
    station_document,
    station_fingerprint,
    zip_filename,
)
from assessment.documents.tables import EXPORTS
from assessment.models import Campaign, ScoreSheet

logger = logging.getLogger(__name__)

# A ZIP is rendered while it downloads, by one worker process per CPU (score_sheets_zip), at
# roughly 0.1 s of rendering per sheet (a yearly station's PDF takes about 0.3 s, a 12-month one
# 0.7 s). Beyond this many sheets (Heshan's 36 units × 12 months is 432) the request would hold a
# web worker for minutes; the command does it on the server instead.
ADMIN_ZIP_MAX_SHEETS = 600

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


def campaign_score_sheets_zip(model_admin, request, object_id):
    campaign = _viewable(model_admin, request, object_id)
    count = scoped_sheets(campaign=campaign, actor=request.user).count()
    if count > ADMIN_ZIP_MAX_SHEETS:
        model_admin.message_user(
            request,
            f"本批次有 {count} 张评分表，超过网页打包上限 {ADMIN_ZIP_MAX_SHEETS} 张。请由系统管理员在服务器上运行 "
            f"python manage.py export_score_sheets --campaign {campaign.code} --out 目录。",
            messages.ERROR,
        )
        return HttpResponseRedirect(reverse("admin:assessment_campaign_change", args=[campaign.pk]))
    documents = score_sheet_documents(campaign=campaign, actor=request.user)
    response = StreamingHttpResponse(score_sheets_zip(documents), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{zip_filename(campaign)}"'
    logger.info("score sheets ZIP of %s (%d sheets) for %s", campaign.code, count, request.user.username)
    return response


def campaign_table(model_admin, request, object_id, *, export: str):
    campaign = _viewable(model_admin, request, object_id)
    return EXPORTS[export](campaign=campaign, actor=request.user).response()  # streamed from a temporary file


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
