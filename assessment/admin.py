from django import forms
from django.contrib import admin, messages
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from assessment import admin_forms
from assessment import jobs as assessment_jobs
from assessment.campaign_progress import campaign_progress
from assessment.documents import admin_views as document_views
from assessment.engine.specs import INPUT_TYPES
from assessment.models import (
    Campaign,
    CampaignResult,
    CampaignStation,
    Entitlement,
    Objection,
    OneTimeAmount,
    Policy,
    RankedBand,
    RectificationOrder,
    RubricItem,
    RubricSection,
    ScoreSheet,
    SubsidyAmount,
    TierThreshold,
)
from assessment.selectors import campaign_list, policy_spec
from assessment.services import campaigns as campaign_services
from assessment.services import objections as objection_services
from assessment.services import rectification as rectification_services
from assessment.services import sheet_batch
from assessment.services import sheets as sheet_services
from assessment.services.policies import ensure_policy_editable, policy_new_version
from assessment.services.sheet_import import SheetImportError, import_template_sheets, sheets_import_inputs
from assessment.sheet_view import sheet_rows
from core.admin_base import ObjectActionMixin, ScopedAdmin, ScopedInline
from core.jobs import JobStarted
from core.permissions import may_change_in_admin, may_manage
from core.workflow import move_named, states_open_to
from core.xlsx import xlsx_response
from stations.admin import StationSearchMixin, region_tree_filter
from stations.forms import ChangeReasonField
from stations.models import Region, StationKind
from stations.selectors import region_list
from stations.validators import mask_contact


def policy_editable_by(user, policy: Policy | None) -> bool:
    """Bureau staff edit unfrozen policies of their own region or below; a superuser any unfrozen one."""
    if not may_change_in_admin(user):
        return False
    if policy is None:
        return True
    if policy.is_frozen:
        return False
    return may_manage(user, policy.region)


class PolicyRowInline(ScopedInline):
    def has_add_permission(self, request, obj=None):
        return policy_editable_by(request.user, obj)

    def has_change_permission(self, request, obj=None):
        return policy_editable_by(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return policy_editable_by(request.user, obj)


class TierThresholdInline(PolicyRowInline):
    model = TierThreshold


class RankedBandInline(PolicyRowInline):
    model = RankedBand


class SubsidyAmountInline(PolicyRowInline):
    model = SubsidyAmount


class OneTimeAmountInline(PolicyRowInline):
    model = OneTimeAmount


class RubricSectionInline(PolicyRowInline):
    model = RubricSection
    fields = ["position", "code", "title", "max_points", "items_link"]
    readonly_fields = ["items_link"]
    show_change_link = True

    @admin.display(description="项目")
    def items_link(self, obj):
        return f"{obj.items.count()} 项" if obj.pk else ""


@admin.register(Policy)
class PolicyAdmin(ScopedAdmin):
    list_display = ["code", "version", "name", "region", "year", "period", "tier_method", "frozen_at"]
    list_filter = ["year", "period", "tier_method"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["region"]
    readonly_fields = ["frozen_at", "created_at", "rubric_findings"]
    inlines = [
        TierThresholdInline,
        RankedBandInline,
        SubsidyAmountInline,
        OneTimeAmountInline,
        RubricSectionInline,
    ]
    actions = ["make_new_version"]
    fieldsets = [
        (
            None,
            {"fields": ["code", "version", "name", "region", "year", "period", "kinds", "source", "notes"]},
        ),
        ("评分表", {"fields": ["rubric_max_points", "part_whole", "rubric_findings"]}),
        (
            "定等方式",
            {
                "fields": [
                    "tier_method",
                    ("fallback_tier", "fallback_label"),
                    "ranked_levels",
                    "level_bands",
                    "level_band_labels",
                    ("elimination_lowest_count", "elimination_below_score", "elimination_scope"),
                    "group_deduction_amount",
                ]
            },
        ),
        (
            "补助与资格",
            {
                "fields": [
                    ("one_time_basis", "one_time_label"),
                    "min_months_recognised",
                    "purchase_of_services_excluded",
                ]
            },
        ),
        ("记录", {"fields": ["frozen_at", "created_at"]}),
    ]

    def has_change_permission(self, request, obj=None):
        return policy_editable_by(request.user, obj)

    def save_model(self, request, obj, form, change):
        if change:
            ensure_policy_editable(Policy.objects.get(pk=obj.pk))
        super().save_model(request, obj, form, change)

    @admin.display(description="评分表检查")
    def rubric_findings(self, obj):
        if obj is None or obj.pk is None:
            return "保存后检查。"
        from assessment.engine import validate_rubric
        from assessment.engine.scoring import RubricError, compile_rubric

        try:
            spec = policy_spec(obj)
            findings = validate_rubric(spec.rubric)
            compile_rubric(spec.rubric, kinds=spec.kinds)
        except RubricError as exc:
            findings = list(exc.findings)
        except (KeyError, TypeError, ValueError) as exc:
            return format_html('<ul class="errorlist"><li>评分表数据无法读取：{}</li></ul>', exc)
        if not findings:
            return "各部分分值与满分一致。"
        severity = {"warning": "提示", "error": "错误"}
        return format_html(
            '<ul class="errorlist">{}</ul>',
            format_html_join(
                "",
                "<li>{}：{} {}</li>",
                ((severity.get(f.severity, f.severity), f.code, f.message) for f in findings),
            ),
        )

    @admin.action(description="复制为新版本（用于修改已冻结的政策）")
    def make_new_version(self, request, queryset):
        if not may_change_in_admin(request.user):
            self.message_user(request, "您没有修改政策的权限。", messages.ERROR)
            return
        for policy in queryset:
            copy = policy_new_version(policy=policy, actor=request.user)
            self.message_user(request, f"已创建 {copy}，可在新版本上修改。", messages.SUCCESS)


class RubricItemForm(forms.ModelForm):
    """Checks the JSON columns' shapes, so a row the engine cannot read is refused on the form."""

    class Meta:
        model = RubricItem
        fields = [
            "position",
            "code",
            "title",
            "max_points",
            "rule",
            "params",
            "inputs",
            "scored_from_month",
            "kinds",
            "parent",
            "note",
        ]

    def clean_params(self):
        params = self.cleaned_data.get("params")
        if not isinstance(params, dict):
            raise forms.ValidationError('规则参数应为一个对象，如 {"input": "..."}。')
        return params

    def clean_inputs(self):
        inputs = self.cleaned_data.get("inputs")
        if not isinstance(inputs, list):
            raise forms.ValidationError("读取的数据项应为列表。")
        for entry in inputs:
            if not (
                isinstance(entry, dict)
                and isinstance(entry.get("name"), str)
                and entry["name"].isidentifier()
                and entry.get("type") in INPUT_TYPES
                and isinstance(entry.get("label", ""), str)
            ):
                raise forms.ValidationError(
                    f'每个数据项应为 {{"name": 字段名, "type": {"/".join(INPUT_TYPES)} 之一, "label": 名称}}。'
                )
        return inputs

    def clean_kinds(self):
        kinds = self.cleaned_data.get("kinds")
        if not isinstance(kinds, list) or any(kind not in StationKind.values for kind in kinds):
            raise forms.ValidationError(f"站点类型应为列表，取值为 {'、'.join(StationKind.values)}。")
        return kinds


class RubricItemInline(PolicyRowInline):
    model = RubricItem
    form = RubricItemForm
    fk_name = "section"
    fields = [
        "position",
        "code",
        "title",
        "max_points",
        "rule",
        "params",
        "inputs",
        "scored_from_month",
        "kinds",
        "parent",
        "note",
    ]

    def has_add_permission(self, request, obj=None):
        return policy_editable_by(request.user, obj.policy if obj else None)

    def has_change_permission(self, request, obj=None):
        return policy_editable_by(request.user, obj.policy if obj else None)

    def has_delete_permission(self, request, obj=None):
        return policy_editable_by(request.user, obj.policy if obj else None)


@admin.register(RubricSection)
class RubricSectionAdmin(ScopedAdmin):
    list_display = ["policy", "code", "title", "max_points"]
    list_select_related = ["policy"]
    list_filter = [("policy", admin.RelatedOnlyFieldListFilter)]
    inlines = [RubricItemInline]
    ordering = ["policy", "position"]
    # A section stays with its policy: moving it would change another (perhaps frozen) policy.
    readonly_fields = ["policy"]

    def save_model(self, request, obj, form, change):
        ensure_policy_editable(Policy.objects.get(pk=obj.policy_id))
        super().save_model(request, obj, form, change)

    def get_inline_formsets(self, request, formsets, inline_instances, obj=None):
        # A sub-item's parent is an item of the same section.
        for formset in formsets:
            for form in formset.forms:
                if "parent" in form.fields and obj is not None:
                    form.fields["parent"].queryset = RubricItem.objects.filter(section=obj)
        return super().get_inline_formsets(request, formsets, inline_instances, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("policy")

    def has_add_permission(self, request):
        return False  # sections are added on their policy's page

    def has_delete_permission(self, request, obj=None):
        return False  # sections are removed on their policy's page, while it is not frozen

    def has_change_permission(self, request, obj=None):
        return policy_editable_by(request.user, obj.policy if obj else None)


# ---------------------------------------------------------------- campaigns


class CampaignFilter(admin.SimpleListFilter):
    """The campaigns in reach, from the campaign table (a handful a year), not from the listed rows."""

    title = "考核批次"
    parameter_name = "campaign"

    def lookups(self, request, model_admin):
        campaigns = campaign_list(actor=request.user).select_related(None).only("pk", "name")[:100]
        return [(str(c.pk), c.name) for c in campaigns]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        return queryset.filter(campaign_id=value) if value.isascii() and value.isdigit() else queryset.none()


class CampaignListMixin:
    """Lists of a campaign's rows: filtered by campaign and region, searched by station, and
    reachable by the admin's older link form (?campaign__id__exact=…) too."""

    def lookup_allowed(self, lookup, value, request=None):
        return lookup == "campaign__id__exact" or super().lookup_allowed(lookup, value, request)


class AssessorAssignForm(forms.ModelForm):
    """One entry's assessor, refused on the form (not as a server error) once the campaign left "open"."""

    change_reason = ChangeReasonField()

    class Meta:
        model = CampaignStation
        fields = ["assessor"]

    def clean(self):
        data = super().clean()
        if "assessor" in self.changed_data and self.instance.campaign.status != Campaign.Status.OPEN:
            self.add_error("assessor", "只有进行中的考核批次可以指派评估人员。")
        return data


ASSIGN_AT_ONCE = 500


class AssessorChoiceForm(forms.Form):
    assessor = forms.ModelChoiceField(
        label="评估人员",
        queryset=None,
        required=False,
        empty_label="（不指派，取消原有指派）",
        help_text="新指派的评估人员须先声明无利益冲突，才能查看评分表。",
    )
    change_reason = ChangeReasonField()

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        from stations.models import User
        from stations.selectors import user_list

        self.fields["assessor"].queryset = (
            user_list(actor=actor)
            .filter(role__in=[User.Role.ASSESSOR, User.Role.BUREAU], is_active=True)
            .order_by("role", "username")
        )


@admin.register(CampaignStation)
class CampaignStationAdmin(CampaignListMixin, StationSearchMixin, ScopedAdmin):
    """The stations taking part in campaigns, where the bureau assigns assessors, a page at a time."""

    list_display = ["station", "region_name", "campaign", "assessor", "declaration", "declared_at"]
    actions = ["assign_assessor"]
    list_filter = [
        CampaignFilter,
        region_tree_filter("station__region__path"),
        "declaration",
        ("assessor", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["station__region", "campaign", "assessor"]
    search_fields = ["station__code", "station__name"]
    autocomplete_fields = ["assessor"]
    fields = ["campaign", "station", "assessor", "change_reason", "declaration", "declared_at"]
    readonly_fields = ["campaign", "station", "declaration", "declared_at"]
    ordering = ["campaign_id", "station__code"]
    form = AssessorAssignForm

    @admin.display(description="区域")
    def region_name(self, obj):
        return obj.station.region.name

    @admin.action(description="为所选站点指派评估人员")
    def assign_assessor(self, request, queryset):
        """Assign one assessor to the chosen entries (filter by region and 未指派, select, assign).

        Each entry goes through `assessor_assign` (its declaration reset, an audit row, the
        assessor told), so one action is held to ASSIGN_AT_ONCE entries.
        """
        from django.contrib.admin import helpers
        from django.core.exceptions import ValidationError
        from django.template.response import TemplateResponse

        from core.permissions import Forbidden

        if not may_change_in_admin(request.user):
            self.message_user(request, "您没有指派评估人员的权限。", messages.ERROR)
            return None
        count = queryset.count()
        if count > ASSIGN_AT_ONCE:
            self.message_user(
                request,
                f"一次最多指派 {ASSIGN_AT_ONCE} 个站点（已选 {count} 个），请按区域筛选后分批指派。",
                messages.ERROR,
            )
            return None
        form = AssessorChoiceForm(request.POST if "apply" in request.POST else None, actor=request.user)
        if form.is_valid():
            assessor, done, refused = form.cleaned_data["assessor"], 0, []
            for entry in queryset.select_related("campaign", "station"):
                try:
                    campaign_services.assessor_assign(
                        entry=entry,
                        assessor=assessor,
                        actor=request.user,
                        reason=form.cleaned_data["change_reason"],
                    )
                    done += 1
                except (ValidationError, Forbidden) as exc:
                    refused.append(f"{entry.station}：{exc.messages[0]}")
            who = f"指派给 {assessor}" if assessor else "取消了评估人员"
            self.message_user(
                request, f"已为 {done} 个站点{who}。", messages.SUCCESS if done else messages.WARNING
            )
            for line in refused[:20]:
                self.message_user(request, line, messages.ERROR)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "指派评估人员",
            "opts": self.opts,
            "form": form,
            "entries": queryset.select_related("station", "assessor")[:20],
            "count": count,
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/assessment/assign_assessor.html", context)

    def has_add_permission(self, request):
        return False  # stations join when the campaign opens, by eligibility

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Assignments go through the service, which resets the declaration and tells the assessor.
        if "assessor" in form.changed_data:
            campaign_services.assessor_assign(
                entry=CampaignStation.objects.select_related("campaign", "station").get(pk=obj.pk),
                assessor=form.cleaned_data["assessor"],
                actor=request.user,
                reason=form.cleaned_data["change_reason"],
            )


# ---- the workflow moves behind the admin's action pages: each calls its service, returns the message


def open_campaign(campaign, data, user) -> str:
    campaign_services.campaign_open(campaign=campaign, actor=user, stations=list(data["stations"]))
    return "考核已开始，已为参评站点生成评分表并通知运营人员。"


def compute_results(campaign, data, user) -> JobStarted:
    # A province's results take minutes: they are computed by a job the clerk watches. What would
    # refuse the computation at once (sheets not locked) is said on this form instead.
    campaign_services.campaign_results_check(campaign=campaign, actor=user)
    return JobStarted(*assessment_jobs.start_results(campaign=campaign, actor=user))


def start_notice(campaign, data, user) -> str:
    campaign_services.campaign_notice_start(
        campaign=campaign, actor=user, start=data["start"], end=data["end"]
    )
    return "公示已开始。"


def publish_results(campaign, data, user) -> str:
    campaign_services.campaign_publish(campaign=campaign, actor=user)
    return "结果已通报，成为最终结果。"


def answer_objection(objection, data, user) -> str:
    objection_services.objection_answer(objection=objection, actor=user, response=data["response"])
    return "答复已记录。"


def verify_rectification(order, data, user) -> str:
    rectification_services.rectification_verify(
        order=order,
        actor=user,
        accepted=data["accepted"],
        note=data["note"],
        new_deadline=data.get("new_deadline"),
    )
    return "核实结论已记录。"


def propose_revocation(order, data, user) -> str:
    rectification_services.rectification_propose_revocation(order=order, actor=user, reason=data["reason"])
    return "已提请撤销资格，请另一位工作人员审批。"


def decide_revocation(order, data, user) -> str:
    rectification_services.rectification_decide_revocation(
        order=order,
        actor=user,
        approve=data["approve"],
        reason=data["reason"],
        new_deadline=data.get("new_deadline"),
    )
    return "审批结论已记录。"


def _import(campaign, data, user):
    from django.conf import settings
    from django.core.exceptions import ValidationError

    from assessment.services.sheet_import import MAX_IMPORT_BYTES

    upload = data["file"]
    busy = "本批次的数据正在后台导入，请等它结束后再上传（刚选择的文件未导入）。"
    if assessment_jobs.active_sheet_import(campaign) is not None:
        raise ValidationError(busy)
    # A large file is imported by a job the clerk watches (what would refuse it at once is said on
    # this form instead); one over the cap is refused below before it is read, never stored.
    if settings.IMPORT_INLINE_MAX_BYTES < upload.size <= MAX_IMPORT_BYTES:
        campaign_services.require_bureau(user, campaign)
        if campaign.status != Campaign.Status.OPEN:
            raise ValidationError(f"考核批次当前为“{campaign.get_status_display()}”，不能导入数据。")
        job, created = assessment_jobs.start_sheet_import(campaign=campaign, actor=user, upload=upload)
        if not created:
            raise ValidationError(busy)
        return JobStarted(job, created)
    try:
        count = sheets_import_inputs(campaign=campaign, actor=user, file=upload)
    except SheetImportError as exc:
        raise ValidationError([str(exc), *[str(p) for p in exc.problems[:200]]]) from exc
    return f"已导入 {count} 张评分表的数据。"


class LockAssessedForm(admin_forms.ConfirmForm):
    def __init__(self, *args, obj, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        waiting = obj.sheets.filter(status=ScoreSheet.Status.ASSESSED).count()
        self.intro = (
            f"将审定锁定本批次全部 {waiting} 张“现场评估完成”的评分表：审定数据即现场评估数据，"
            "每张记入操作记录；其他状态的评分表不变。任何一张不能锁定时，全部不锁定并列出原因。"
        )


def _lock_assessed(campaign, data, user) -> str:
    count = sheet_batch.sheets_lock_assessed(campaign=campaign, actor=user)
    return f"已审定锁定 {count} 张评分表。" if count else "没有“现场评估完成”状态的评分表需要锁定。"


@admin.register(Campaign)
class CampaignAdmin(ObjectActionMixin, ScopedAdmin):
    list_display = ["code", "name", "policy", "region", "year", "status", "self_evaluation_due", "onsite_due"]
    list_filter = ["status", "year"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["region", "policy"]
    readonly_fields = ["status", "workflow", "progress", "documents", "jobs", "notice_start", "notice_end"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "code",
                    "name",
                    "policy",
                    "region",
                    "year",
                    "months",
                    "status",
                    "workflow",
                    "progress",
                    "documents",
                    "jobs",
                ]
            },
        ),
        (
            "期限",
            {"fields": ["self_evaluation_due", "onsite_due", "assessed_on", "notice_start", "notice_end"]},
        ),
        ("评分", {"fields": ["gap_threshold"]}),
    ]
    transitions = campaign_services.CAMPAIGN_TRANSITIONS
    moves = campaign_services.CAMPAIGN_MOVES
    object_actions = {
        "open": (admin_forms.CampaignOpenForm, open_campaign),
        "import": (admin_forms.CampaignImportForm, _import),
        "lock_assessed": (LockAssessedForm, _lock_assessed),
        "results": (admin_forms.ConfirmForm, compute_results),
        "recompute": (admin_forms.ConfirmForm, compute_results),
        "notice": (admin_forms.CampaignNoticeForm, start_notice),
        "publish": (admin_forms.ConfirmForm, publish_results),
    }

    def has_delete_permission(self, request, obj=None):
        # Only a campaign that never opened can go; after that its sheets and history are records.
        return request.user.is_superuser and (obj is None or obj.status == Campaign.Status.DRAFT)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status != Campaign.Status.DRAFT:
            fields += ["code", "policy", "region", "year", "months", "assessed_on"]
        return fields

    @admin.display(description="办理")
    def workflow(self, obj):
        buttons = self.move_buttons(obj)
        if obj and obj.status in campaign_services.RESULTS_PUBLIC:
            buttons = format_html(
                '{} <a href="{}" target="_blank">公示页面</a>',
                buttons,
                reverse("notice:detail", args=[obj.code]),
            )
        return buttons

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            # The progress table's region (a click on a county shows its townships): the admin
            # instance is shared between requests, so the object carries it.
            value = request.GET.get("region", "")
            obj.progress_focus = (
                region_list(actor=request.user).filter(pk=value).first()
                if value.isascii() and value.isdigit()
                else None
            )
        return obj

    @admin.display(description="进度")
    def progress(self, obj):
        if obj is None or obj.pk is None:
            return ""
        progress = campaign_progress(obj, focus=getattr(obj, "progress_focus", None))
        labels = ScoreSheet.Status.choices
        rows = [
            {
                "region": row.region,
                "path": row.path,
                "here": row.path == progress.focus.path,
                "drill": row.path != progress.focus.path and row.region.level < Region.Level.COMMUNITY,
                "stations": row.stations,
                "unassigned": row.unassigned,
                "results": row.results,
                "cells": [{"value": value, "n": row.sheets.get(value, 0)} for value, _ in labels],
            }
            for row in progress.rows
            if row.region is not None
        ]
        return render_to_string(
            "admin/assessment/campaign_progress.html",
            {
                "campaign": obj,
                "progress": progress,
                "rows": rows,
                "states": [
                    {"value": value, "label": label, "n": progress.total.sheets.get(value, 0)}
                    for value, label in labels
                ],
                "sheet_url": reverse("admin:assessment_scoresheet_changelist") + f"?campaign={obj.pk}",
                "entry_url": reverse("admin:assessment_campaignstation_changelist") + f"?campaign={obj.pk}",
                "result_url": reverse("admin:assessment_campaignresult_changelist") + f"?campaign={obj.pk}",
            },
        )

    @admin.display(description="打印与导出")
    def documents(self, obj):
        return document_views.campaign_document_links(obj)

    @admin.display(description="后台任务")
    def jobs(self, obj):
        return document_views.campaign_job_lines(obj, getattr(obj, "viewer", None))

    def get_urls(self):
        return [
            path(
                "<path:object_id>/import-template/",
                self.admin_site.admin_view(self.import_template_view),
                name="assessment_campaign_import_template",
            ),
            *document_views.campaign_document_urls(self),
            *super().get_urls(),
        ]

    def import_template_view(self, request, object_id):
        campaign = self.get_object(request, object_id)
        if campaign is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        # Streamed from a temporary file: a province's template is 100,000 rows and more.
        return xlsx_response(import_template_sheets(campaign=campaign), f"{campaign.code}-inputs.xlsx")


def _lock(sheet, data, user):
    sheet_services.sheet_lock(sheet=sheet, actor=user, reason=data.get("reason", ""))
    return f"{sheet} 已审定锁定，审定总分 {sheet.final_total} 分。"


def _correct(sheet, data, user):
    form_inputs = {k: v for k, v in data.items() if k != "reason"}
    raw = {}
    for name, value in form_inputs.items():
        if value in {"true", "false"}:
            raw[name] = value == "true"
        elif value not in ("", None):
            raw[name] = value
    before = sheet.final_total
    sheet_services.sheet_correct(sheet=sheet, actor=user, final_inputs=raw, reason=data["reason"])
    return f"{sheet} 已更正：审定总分 {before} → {sheet.final_total} 分。"


@admin.register(ScoreSheet)
class ScoreSheetAdmin(CampaignListMixin, StationSearchMixin, ObjectActionMixin, ScopedAdmin):
    list_display = ["station", "period", "campaign", "status", "self_total", "onsite_total", "final_total"]
    list_filter = [CampaignFilter, "status", region_tree_filter("station__region__path"), "station__kind"]
    search_fields = ["station__code", "station__name"]
    list_select_related = ["station", "campaign"]
    # The unique (campaign, station, period) index gives this order without sorting a province's
    # sheets; sorting by station code would read and sort every sheet of the campaign per page.
    ordering = ["campaign_id", "station_id", "period"]
    actions = ["lock_selected"]
    fields = [
        "campaign",
        "station",
        "period",
        "status",
        "workflow",
        "documents",
        "sheet_table",
        "findings",
        "evidence_index",
        "submitted_at",
        "assessed_at",
        "assessed_by",
        "locked_at",
        "locked_by",
    ]
    readonly_fields = fields
    transitions = sheet_services.SHEET_TRANSITIONS
    moves = sheet_services.SHEET_MOVES
    object_actions = {
        "lock": (admin_forms.SheetLockForm, _lock),
        "correct": (admin_forms.SheetCorrectionForm, _correct),
    }

    def has_add_permission(self, request):
        return False  # sheets are made when a campaign opens

    def has_change_permission(self, request, obj=None):
        return False  # every change is a workflow move with its own page

    @admin.display(description="办理")
    def workflow(self, obj):
        return self.move_buttons(obj)

    @admin.display(description="打印")
    def documents(self, obj):
        return document_views.sheet_document_links(obj)

    def get_urls(self):
        return [*document_views.sheet_document_urls(self), *super().get_urls()]

    @admin.display(description="评分表")
    def sheet_table(self, obj):
        return render_to_string("assessment/_sheet_table.html", {"sheet": obj, "rows": sheet_rows(obj)})

    @admin.display(description="佐证材料")
    def evidence_index(self, obj):
        links = admin_forms.evidence_links(obj)
        return format_html("<ul>{}</ul>", links) if links else "无"

    @admin.action(description="审定锁定所选评分表（按现场评估数据）")
    def lock_selected(self, request, queryset):
        lockable = states_open_to(
            move_named(sheet_services.SHEET_MOVES, "lock"), sheet_services.SHEET_TRANSITIONS
        )
        locked, refused = 0, []
        for sheet in queryset.filter(status__in=lockable):
            try:
                sheet_services.sheet_lock(sheet=sheet, actor=request.user)
                locked += 1
            except Exception as exc:
                refused.append(f"{sheet}:{getattr(exc, 'messages', [str(exc)])[0]}")
        skipped = queryset.exclude(status__in=lockable).count()
        states = "、".join(f"“{ScoreSheet.Status(state).label}”" for state in sorted(lockable))
        self.message_user(request, f"已审定锁定 {locked} 张；{skipped} 张不在{states}状态，未处理。")
        for line in refused[:20]:
            self.message_user(request, line, messages.ERROR)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not may_change_in_admin(request.user):
            actions.pop("lock_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        return False  # a record of the assessment: corrected through its workflow, never deleted


@admin.register(CampaignResult)
class CampaignResultAdmin(CampaignListMixin, StationSearchMixin, ScopedAdmin):
    list_display = [
        "station",
        "campaign",
        "score",
        "tier_label",
        "eligible",
        "eliminated",
        "subsidy_amount",
        "one_time_amount",
    ]
    list_filter = [CampaignFilter, region_tree_filter("station__region__path"), "tier_label", "eliminated"]
    search_fields = ["station__code", "station__name"]
    list_select_related = ["station", "campaign", "entitlement", "one_time_entitlement"]
    readonly_fields = [f.name for f in CampaignResult._meta.fields]

    @admin.display(description="年度补助（元）", ordering="entitlement__amount")
    def subsidy_amount(self, obj):
        return obj.subsidy

    @admin.display(description="一次性补助（元）")
    def one_time_amount(self, obj):
        return obj.one_time_subsidy if obj.one_time_entitlement_id else "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a record of the assessment: corrected through its workflow, never deleted


@admin.register(Entitlement)
class EntitlementAdmin(StationSearchMixin, ScopedAdmin):
    """The ledger, read-only: rows are written by the decisions and moved by the claims."""

    list_display = ["station", "year", "kind", "amount", "basis", "status", "campaign", "decided_at"]
    list_filter = ["year", "kind", "basis", "status"]
    search_fields = ["station__code", "station__name"]
    list_select_related = ["station", "campaign"]
    readonly_fields = [f.name for f in Entitlement._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a record of the assessment: corrected through its workflow, never deleted


@admin.register(Objection)
class ObjectionAdmin(CampaignListMixin, ObjectActionMixin, ScopedAdmin):
    list_display = ["station", "campaign", "filed_at", "status", "name", "masked_contact"]
    list_filter = ["status", CampaignFilter]
    search_fields = ["station__code", "station__name", "name"]
    list_select_related = ["station", "campaign"]
    fields = [
        "campaign",
        "station",
        "name",
        "masked_contact",
        "reason",
        "attachment_link",
        "filed_at",
        "status",
        "workflow",
        "response",
        "responded_by",
        "responded_at",
    ]
    readonly_fields = fields
    transitions = objection_services.OBJECTION_TRANSITIONS
    moves = objection_services.OBJECTION_MOVES
    object_actions = {"answer": (admin_forms.ObjectionAnswerForm, answer_objection)}

    @admin.display(description="联系方式")
    def masked_contact(self, obj):
        return mask_contact(obj.contact)

    @admin.display(description="附件")
    def attachment_link(self, obj):
        if not obj.attachment:
            return "无"
        url = reverse("admin:assessment_objection_attachment", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.attachment_name or "附件")

    def get_urls(self):
        return [
            path(
                "<path:object_id>/attachment/",
                self.admin_site.admin_view(self.attachment_view),
                name="assessment_objection_attachment",
            ),
            *super().get_urls(),
        ]

    def attachment_view(self, request, object_id):
        from django.core.files.storage import default_storage
        from django.http import FileResponse, Http404

        objection = self.get_object(request, object_id)
        if objection is None or not objection.attachment:
            raise Http404("没有这个附件，或您无权查看。")
        try:
            handle = default_storage.open(objection.attachment.name, "rb")
        except FileNotFoundError:
            raise Http404("文件不存在。") from None
        # Sent from the public: always a download, never shown inline in the clerk's browser.
        response = FileResponse(
            handle, as_attachment=True, filename=objection.attachment_name or "attachment"
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @admin.display(description="办理")
    def workflow(self, obj):
        return self.move_buttons(obj)

    def has_add_permission(self, request):
        return False  # objections come from the public notice page

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a record of the assessment: corrected through its workflow, never deleted


@admin.register(RectificationOrder)
class RectificationOrderAdmin(CampaignListMixin, StationSearchMixin, ObjectActionMixin, ScopedAdmin):
    list_display = ["station", "campaign", "deadline", "status", "issued_at"]
    list_filter = ["status", CampaignFilter]
    search_fields = ["station__code", "station__name"]
    list_select_related = ["station", "campaign"]
    autocomplete_fields = ["station", "campaign"]
    transitions = rectification_services.RECTIFICATION_TRANSITIONS
    moves = rectification_services.RECTIFICATION_MOVES
    object_actions = {
        "verify": (admin_forms.RectificationVerifyForm, verify_rectification),
        "propose": (admin_forms.RevocationProposalForm, propose_revocation),
        "decide": (admin_forms.RevocationDecisionForm, decide_revocation),
    }

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["station", "campaign", "problems", "deadline"]
        return [
            "station",
            "campaign",
            "problems",
            "deadline",
            "status",
            "workflow",
            "response",
            "responded_at",
            "verification_note",
            "issued_by",
            "issued_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return self.get_fields(request, obj)

    @admin.display(description="办理")
    def workflow(self, obj):
        return self.move_buttons(obj)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        created = rectification_services.rectification_issue(
            station=obj.station,
            campaign=obj.campaign,
            actor=request.user,
            problems=obj.problems,
            deadline=obj.deadline,
        )
        obj.pk = created.pk

    def has_delete_permission(self, request, obj=None):
        return False  # a record of the assessment: corrected through its workflow, never deleted
