"""站点认定申请 in the admin: the bureau of the application's county reads it and its papers, records
the on-site check, then recognises (予以认定) or refuses (不予认定, with a reason).

Here rather than in stations/admin.py because 予以认定 also decides the one-time entitlement
(assessment.services.station_recognition), which stations may not import. Applications come from
the public page (portal/application_views.py): nobody adds, edits or deletes one here.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from assessment.admin_forms import ConfirmForm
from assessment.models import Entitlement
from assessment.services.station_recognition import application_recognise
from assessment.templatetags.money import yuan
from core.admin_base import ObjectActionMixin, PersonalFieldInFullMixin, ReferenceSearchMixin, ScopedAdmin
from core.filechecks import format_size
from core.permissions import Forbidden, may_change_in_admin
from core.uploads import stored_file_response
from core.workflow import move_named
from core.working_days import chinese_date
from stations import applications as services
from stations.admin import region_tree_filter
from stations.models import StationApplication, StationApplicationPaper


class SiteCheckForm(ConfirmForm):
    checked_on = forms.DateField(
        label="现场核查日期", widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate
    )
    findings = forms.CharField(
        label="现场核查情况",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        help_text="场地面积与地址、设施（电脑、显示屏、监控、洽谈室）、人员、服务制度等是否与申请一致。",
    )

    def __init__(self, *args, obj, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        self.intro = application_summary(obj)


class RefuseForm(ConfirmForm):
    reason = forms.CharField(
        label="不予认定理由",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
        help_text="申请单位在查询页会看到这段理由。",
    )

    def __init__(self, *args, obj, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        self.intro = application_summary(obj)


class RecogniseForm(ConfirmForm):
    decided_on = forms.DateField(
        label="认定日期",
        widget=forms.DateInput(attrs={"type": "date"}),
        initial=timezone.localdate,
        help_text="站点的认定日期；一次性运维补助按这一天的政策确定。",
    )

    def __init__(self, *args, obj, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        self.intro = (
            f"{application_summary(obj)}\n现场核查："
            f"{chinese_date(obj.checked_on) if obj.checked_on else '未记录'} {obj.check_findings}\n"
            "确认后将新建站点（状态“正常”）、为联系人开设站点运营人员账号（初始密码只显示这一次），"
            "并按所在地政策确定首次认定的一次性运维补助。"
        )


def application_summary(application: StationApplication) -> str:
    return (
        f"受理编号：{application.reference}；申请单位：{application.organisation}；"
        f"拟认定：{application.station_name}（{application.get_kind_display()}，{application.region}）"
    )


def site_check(application, data, user) -> str:
    services.application_site_check(
        application=application, actor=user, checked_on=data["checked_on"], findings=data["findings"]
    )
    return f"已记录“{application.station_name}”的现场核查。"


def refuse(application, data, user) -> str:
    services.application_refuse(application=application, actor=user, reason=data["reason"])
    return f"已决定不予认定“{application.station_name}”，理由已记入操作记录。"


@admin.register(StationApplication)
class StationApplicationAdmin(PersonalFieldInFullMixin, ReferenceSearchMixin, ObjectActionMixin, ScopedAdmin):
    list_display = [
        "reference_shown",
        "station_name",
        "organisation",
        "kind",
        "region",
        "status",
        "submitted_at",
    ]
    list_filter = ["status", "kind", region_tree_filter("region__path")]
    search_fields = ["station_name", "organisation", "credit_code"]
    search_help_text = "输入受理编号、名称、申请单位或统一社会信用代码。"
    list_select_related = ["region"]
    fields = [
        "reference_shown",
        "status",
        "workflow",
        "organisation",
        "credit_code",
        "legal_representative",
        "station_name",
        "kind",
        "region",
        "address",
        "floor_area",
        "contact_name",
        "masked_phone",
        "papers_table",
        "submitted_at",
        "checked_on",
        "check_findings",
        "checked_by",
        "decided_on",
        "decided_by",
        "refusal_reason",
        "station",
        "operator",
        "one_time_entitlement",
    ]
    readonly_fields = [*fields, "phone_in_full"]
    transitions = services.APPLICATION_TRANSITIONS
    moves = services.APPLICATION_MOVES
    object_actions = {
        "site_check": (SiteCheckForm, site_check),
        "recognise": (RecogniseForm, None),  # its own page: the password is shown once, on it
        "refuse": (RefuseForm, refuse),
    }

    @admin.display(description="受理编号", ordering="pk")
    def reference_shown(self, obj):
        return format_html('<span class="nowrap">{}</span>', obj.reference)

    @admin.display(description="联系人手机号")
    def masked_phone(self, obj):
        return obj.masked_contact_phone

    @admin.display(description="联系人手机号")
    def phone_in_full(self, obj):
        # Filled by get_object on the change page (which records the look) for the bureau that decides.
        seen = getattr(obj, "seen_in_full", "")
        if not seen:
            return obj.masked_contact_phone
        return format_html('{} <span class="help">（用于联系现场核查；本次查看已记入操作记录）</span>', seen)

    @admin.display(description="申请材料")
    def papers_table(self, obj):
        papers = list(obj.papers.all())
        if not papers:
            return "无"
        viewer = getattr(obj, "viewer", None)
        may_open = viewer is not None and services.may_see_papers(viewer, obj)
        rows = [
            (
                paper.get_kind_display(),
                format_html(
                    '<a href="{}">{}</a>',
                    reverse("admin:stations_stationapplication_paper", args=[obj.pk, paper.kind]),
                    paper.name,
                )
                if may_open
                else paper.name,
                format_size(paper.size),
            )
            for paper in papers
        ]
        note = (
            ""
            if may_open
            else "（材料含法定代表人身份证复印件，只有申请所在县（区）的人社局工作人员可以打开）"
        )
        return format_html(
            "<table><thead><tr><th>材料</th><th>文件</th><th>大小</th></tr></thead><tbody>{}</tbody></table>{}",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
            note,
        )

    @admin.display(description="一次性运维补助")
    def one_time_entitlement(self, obj):
        if obj.station_id is None:
            return "—"
        row = Entitlement.objects.filter(station_id=obj.station_id, kind=Entitlement.Kind.ONE_TIME).first()
        if row is None:
            return "未确定（所在地政策没有首次认定的一次性补助）"
        return f"{yuan(row.amount)} 元（{row.get_status_display()}）"

    @admin.display(description="办理")
    def workflow(self, obj):
        return self.move_buttons(obj)

    # The bureau that arranges the on-site check calls the contact: it sees the phone whole on
    # this page, each look recorded; everyone else masked.
    masked_field, full_field = "masked_phone", "phone_in_full"

    def may_see_in_full(self, user, obj):
        return services.may_see_papers(user, obj)

    def record_look(self, obj, user):
        return services.application_contact_view(application=obj, actor=user)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/paper/<slug:kind>/download/",
                self.admin_site.admin_view(self.paper_view),
                name="stations_stationapplication_paper",
            ),
            *super().get_urls(),
        ]

    def paper_view(self, request, object_id, kind):
        application = self.get_object(request, object_id)
        if application is None:
            raise Http404("没有这份申请，或您无权查看。")
        if not services.may_see_papers(request.user, application):
            raise PermissionDenied("只有申请所在县（区）的人社局工作人员可以查看申请材料。")
        paper = get_object_or_404(StationApplicationPaper, application=application, kind=kind)
        services.application_paper_open(paper=paper, actor=request.user)
        return stored_file_response(paper.file.name, filename=paper.name, content_type=paper.content_type)

    def _action_view(self, suffix):
        if suffix == "recognise":
            return self.recognise_view
        return super()._action_view(suffix)

    def recognise_view(self, request, object_id):
        """予以认定: its own page, because the result (the new account's password) is shown here,
        once, and is never put in a message, a cookie or the history."""
        application = self.get_object(request, object_id)
        if application is None:
            raise Http404("没有这份申请，或您无权查看。")
        if not may_change_in_admin(request.user):
            raise PermissionDenied
        move = move_named(self.moves, "recognise")
        form = RecogniseForm(request.POST or None, obj=application)
        if request.method == "POST" and form.is_valid():
            try:
                result = application_recognise(
                    application=application, actor=request.user, decided_on=form.cleaned_data["decided_on"]
                )
            except ValidationError as exc:
                application.refresh_from_db()
                for text in exc.messages:
                    form.add_error(None, text)
            except Forbidden as exc:
                application.refresh_from_db()
                form.add_error(None, exc.message)
            else:
                context = {
                    **self.admin_site.each_context(request),
                    "title": f"已认定：{result.station.name}",
                    "object": application,
                    "opts": self.opts,
                    "result": result,
                    "amount": yuan(result.entitlement.amount) if result.entitlement else "",
                }
                return TemplateResponse(request, "admin/stations/stationapplication/recognised.html", context)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{move.label}：{application}",
            "object": application,
            "form": form,
            "opts": self.opts,
            "allowed": move in self.open_moves(application, request.user),
            "intro": form.intro,
        }
        return TemplateResponse(request, "admin/object_action.html", context)

    def has_add_permission(self, request):
        return False  # applications come from the public application page

    def has_change_permission(self, request, obj=None):
        return False  # what the organisation wrote stays as written; the bureau decides on it

    def has_delete_permission(self, request, obj=None):
        return False
