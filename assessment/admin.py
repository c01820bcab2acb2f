from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from assessment import admin_forms
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
from assessment.selectors import policy_spec
from assessment.services import campaigns as campaign_services
from assessment.services import objections as objection_services
from assessment.services import rectification as rectification_services
from assessment.services import sheets as sheet_services
from assessment.services.policies import ensure_policy_editable, policy_new_version
from assessment.services.sheet_import import SheetImportError, import_template, sheets_import_inputs
from assessment.sheet_view import sheet_rows
from core.admin_base import ObjectActionMixin, ScopedAdmin, ScopedInline
from core.permissions import may_change_in_admin, may_manage
from core.workflow import move_named, states_open_to
from stations.models import StationKind
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


class CampaignStationInline(ScopedInline):
    model = CampaignStation
    fields = ["station", "assessor", "declaration", "declared_at"]
    readonly_fields = ["station", "declaration", "declared_at"]
    autocomplete_fields = ["assessor"]
    verbose_name_plural = "参评站点与评估人员（评估人员须先声明无利益冲突才能查看评分表）"

    def has_add_permission(self, request, obj=None):
        return False  # stations join when the campaign opens, by eligibility

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("station", "assessor")


# ---- the workflow moves behind the admin's action pages: each calls its service, returns the message


def open_campaign(campaign, data, user) -> str:
    campaign_services.campaign_open(campaign=campaign, actor=user, stations=list(data["stations"]))
    return "考核已开始，已为参评站点生成评分表并通知运营人员。"


def compute_results(campaign, data, user) -> str:
    results = campaign_services.campaign_results_compute(campaign=campaign, actor=user)
    return f"已计算 {len(results)} 个站点的结果。"


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
    try:
        count = sheets_import_inputs(campaign=campaign, actor=user, file=data["file"])
    except SheetImportError as exc:
        from django.core.exceptions import ValidationError

        raise ValidationError([str(exc), *[str(p) for p in exc.problems[:200]]]) from exc
    return f"已导入 {count} 张评分表的数据。"


@admin.register(Campaign)
class CampaignAdmin(ObjectActionMixin, ScopedAdmin):
    list_display = ["code", "name", "policy", "region", "year", "status", "self_evaluation_due", "onsite_due"]
    list_filter = ["status", "year"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["region", "policy"]
    readonly_fields = ["status", "workflow", "progress", "documents", "notice_start", "notice_end"]
    inlines = [CampaignStationInline]
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

    @admin.display(description="进度")
    def progress(self, obj):
        if obj is None or obj.pk is None:
            return ""
        from django.db.models import Count

        counts = dict(obj.sheets.values_list("status").annotate(n=Count("id")))
        labels = dict(ScoreSheet.Status.choices)
        parts = [f"{labels[s]} {counts.get(s, 0)}" for s in ScoreSheet.Status.values]
        open_objections = obj.objections.filter(status=Objection.Status.OPEN).count()
        text = "评分表：" + "、".join(parts)
        if open_objections:
            text += f"；待答复异议 {open_objections} 件"
        url = reverse("admin:assessment_scoresheet_changelist") + f"?campaign__id__exact={obj.pk}"
        return format_html('{} <a href="{}">查看评分表</a>', text, url)

    @admin.display(description="打印与导出")
    def documents(self, obj):
        return document_views.campaign_document_links(obj)

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
            self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        response = HttpResponse(
            import_template(campaign=campaign),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{campaign.code}-inputs.xlsx"'
        return response

    def save_formset(self, request, form, formset, change):
        # Assignments go through the service, which resets the declaration and tells the assessor.
        if formset.model is not CampaignStation:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)  # nothing is written here; it fills what the change message reads
        for inline_form in formset.forms:
            if inline_form.instance.pk and "assessor" in inline_form.changed_data:
                campaign_services.assessor_assign(
                    entry=CampaignStation.objects.get(pk=inline_form.instance.pk),
                    assessor=inline_form.cleaned_data["assessor"],
                    actor=request.user,
                )
        return None


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
class ScoreSheetAdmin(ObjectActionMixin, ScopedAdmin):
    list_display = ["station", "period", "campaign", "status", "self_total", "onsite_total", "final_total"]
    list_filter = [("campaign", admin.RelatedOnlyFieldListFilter), "status", "station__kind"]
    search_fields = ["station__code", "station__name"]
    list_select_related = ["station", "campaign"]
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
class CampaignResultAdmin(ScopedAdmin):
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
    list_filter = [("campaign", admin.RelatedOnlyFieldListFilter), "tier_label", "eliminated"]
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
class EntitlementAdmin(ScopedAdmin):
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
class ObjectionAdmin(ObjectActionMixin, ScopedAdmin):
    list_display = ["station", "campaign", "filed_at", "status", "name", "masked_contact"]
    list_filter = ["status", ("campaign", admin.RelatedOnlyFieldListFilter)]
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
class RectificationOrderAdmin(ObjectActionMixin, ScopedAdmin):
    list_display = ["station", "campaign", "deadline", "status", "issued_at"]
    list_filter = ["status", ("campaign", admin.RelatedOnlyFieldListFilter)]
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
