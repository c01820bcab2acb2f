from django import forms
from django.contrib import admin, messages
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from assessment import admin_forms
from assessment import jobs as assessment_jobs
from assessment.campaign_progress import campaign_progress
from assessment.documents import admin_views as document_views
from assessment.documents.tables import tier_text
from assessment.models import (
    ANNUAL_REPORT_SECTIONS,
    AnnualReport,
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
from assessment.recommendation_admin import RECOMMEND_ACTIONS, may_recommend, may_select_demonstrations
from assessment.selectors import (
    campaign_list,
    policy_spec,
    policy_tiers,
    result_tier_labels,
    subsidy_schedule,
    tier_position,
)
from assessment.services import campaigns as campaign_services
from assessment.services import objections as objection_services
from assessment.services import rectification as rectification_services
from assessment.services import sheet_batch
from assessment.services import sheets as sheet_services
from assessment.services.policies import ensure_policy_editable, policy_new_version
from assessment.services.sheet_import import SheetImportError, import_template_sheets, sheets_import_inputs
from assessment.sheet_view import sheet_rows
from assessment.templatetags.money import yuan
from assessment.worklog_inputs import sheet_log_notes
from core.admin_base import (
    ObjectActionMixin,
    PersonalFieldInFullMixin,
    ReferenceSearchMixin,
    ScopedAdmin,
    ScopedInline,
)
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
    template = "admin/assessment/edit_inline/tabular_rows.html"

    def has_add_permission(self, request, obj=None):
        return policy_editable_by(request.user, obj)

    def has_change_permission(self, request, obj=None):
        return policy_editable_by(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return policy_editable_by(request.user, obj)


class TierThresholdInline(PolicyRowInline):
    # Tiers are named and scored; their codes are made on saving and never shown.
    model = TierThreshold
    form = admin_forms.TierThresholdForm
    fields = ["label", "min_score"]


class RankedBandInline(PolicyRowInline):
    model = RankedBand
    form = admin_forms.RankedBandForm
    fields = ["position", "label", "weight"]


class SubsidyAmountInline(PolicyRowInline):
    """The amounts table: a row per kind and tier, the tier chosen by its name."""

    model = SubsidyAmount
    form = admin_forms.SubsidyAmountForm
    readonly_fields = ["tier_name"]

    def get_fields(self, request, obj=None):
        return (
            ["kind", "tier", "amount"]
            if self.has_change_permission(request, obj)
            else ["kind", "tier_name", "amount"]
        )

    def get_formset(self, request, obj=None, **kwargs):
        # The tier choices are the tiers of the policy on the page, read once for all the rows; the
        # rows come in the policy's tier order (五星 down to 未评定星级), as the clerk reads it there.
        tiers = policy_tiers(obj)
        kwargs["form"] = type(
            "SubsidyAmountForm",
            (admin_forms.SubsidyAmountForm,),
            {"policy": obj, "policy_tiers": tiers},
        )
        formset = super().get_formset(request, obj, **kwargs)
        in_tier_order = tier_position(tiers)

        class TierOrderedFormSet(formset):
            def __init__(self, *args, queryset=None, **kw):
                rows = SubsidyAmount.objects.all() if queryset is None else queryset
                super().__init__(*args, queryset=rows.order_by("kind", in_tier_order, "pk"), **kw)

        return TierOrderedFormSet

    @admin.display(description="等次/档次")
    def tier_name(self, obj):
        # An inline lives for one request: the policy's tier names are read once, not per row.
        if not hasattr(self, "_tier_names"):
            self._tier_names = dict(policy_tiers(obj.policy))
        return self._tier_names.get(obj.tier, admin_forms.UNKNOWN_TIER)


class OneTimeAmountInline(PolicyRowInline):
    model = OneTimeAmount
    form = admin_forms.OneTimeAmountForm
    fields = ["kind", "amount"]


class RubricSectionInline(PolicyRowInline):
    model = RubricSection
    fields = ["position", "code", "title", "max_points", "items_link"]
    readonly_fields = ["items_link"]
    show_change_link = True

    @admin.display(description="项目")
    def items_link(self, obj):
        return f"{obj.items.count()} 项" if obj.pk else ""


class PolicyImportForm(forms.Form):
    """The file of 导入政策文件; what is in it is checked by assessment.policy_file."""

    file = forms.FileField(
        label="政策文件",
        help_text="由“导出政策文件”或按 docs/policy-format.md 编写的 .yaml 文件（UTF-8 编码）。",
    )

    def clean_file(self):
        from assessment.policy_file import MAX_POLICY_FILE_BYTES
        from core.filechecks import format_size

        upload = self.cleaned_data["file"]
        if upload.size > MAX_POLICY_FILE_BYTES:
            raise forms.ValidationError(
                f"文件有 {format_size(upload.size)}，超过政策文件的上限 {format_size(MAX_POLICY_FILE_BYTES)}；"
                "请确认选择的是政策文件。"
            )
        return upload


@admin.register(Policy)
class PolicyAdmin(ScopedAdmin):
    # A policy is shown by its name and version; its code is for files and the command line.
    list_display = ["name", "version", "region", "year", "period", "tier_method", "frozen_at"]
    list_filter = ["year", "period", "tier_method"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["region"]
    form = admin_forms.PolicyForm
    readonly_fields = ["frozen_at", "created_at", "rubric_findings", "part_whole_shown", "copy_link"]
    inlines = [
        TierThresholdInline,
        RankedBandInline,
        SubsidyAmountInline,
        OneTimeAmountInline,
        RubricSectionInline,
    ]
    actions = ["make_new_version"]

    class Media:
        css = {"all": ["css/policy-forms.css"]}

    def get_fieldsets(self, request, obj=None):
        """The fields, with a read-only text in place of each JSON column when the page is read-only.

        A read-only page shows a model field's stored value, which for these is JSON or a code.
        """
        editable = self.has_change_permission(request, obj)

        def shown(name):
            return name if editable else f"{name}_shown"

        fixed = (
            [f"fixed_band_{level}" for level, _ in admin_forms._levels()]
            if editable
            else ["fixed_bands_shown"]
        )
        # A saved policy shows only its own tier method's fields; a new one shows both.
        ranked = obj is None or obj.tier_method == Policy.TierMethod.RANKED
        thresholds = obj is None or obj.tier_method == Policy.TierMethod.THRESHOLDS
        ranking = [shown("ranked_levels"), *fixed] if ranked else []
        fallback = ["fallback_label"] if thresholds else []
        fieldsets = [
            (
                None,
                {
                    "fields": [
                        "name",
                        "version",
                        "region",
                        "year",
                        "period",
                        shown("kinds"),
                        "source",
                        "notes",
                    ]
                },
            ),
            (
                "评分表",
                {
                    "fields": [
                        "rubric_max_points",
                        "annual_report",
                        # Shown when the policy has checks; they come with its rubric.
                        *(["part_whole_shown"] if obj is not None and obj.part_whole else []),
                        "rubric_findings",
                    ]
                },
            ),
            (
                "定等方式",
                {
                    "fields": [
                        "tier_method",
                        *fallback,
                        *ranking,
                        ("elimination_lowest_count", "elimination_below_score", shown("elimination_scope")),
                        "group_deduction_amount",
                        ("group_reward_amount", shown("group_reward_rule")),
                    ]
                },
            ),
            (
                "补助与资格",
                {
                    "fields": [
                        (shown("one_time_basis"), "one_time_label"),
                        "min_months_recognised",
                        "purchase_of_services_excluded",
                    ]
                },
            ),
        ]
        # The notice lengths (issue 13) join the form when the model has them.
        notice = [
            f.name
            for f in Policy._meta.get_fields()
            if "notice" in f.name and getattr(f, "editable", False) and not f.is_relation
        ]
        if notice:
            fieldsets.append(("公示期限", {"fields": notice}))
        # No code on the page: a new policy's is made from its region and year (save_model).
        record = ["frozen_at", "created_at"] if obj is None else ["frozen_at", "created_at", "copy_link"]
        fieldsets.append(("记录", {"fields": record}))
        return fieldsets

    def get_inline_instances(self, request, obj=None):
        # The tiers of a threshold policy, or the bands of a ranked one; a new policy gets both.
        unused = {
            Policy.TierMethod.THRESHOLDS: RankedBandInline,
            Policy.TierMethod.RANKED: TierThresholdInline,
        }.get(obj.tier_method if obj else None)
        return [inline for inline in super().get_inline_instances(request, obj) if type(inline) is not unused]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # A code and version name one stored policy; another year or version is a copy.
            fields += ["version"]
        if not self.has_change_permission(request, obj):
            fields += [
                "kinds_shown",
                "ranked_levels_shown",
                "fixed_bands_shown",
                "elimination_scope_shown",
                "one_time_basis_shown",
                "group_reward_rule_shown",
            ]
        return fields

    @admin.display(description="适用站点类型")
    def kinds_shown(self, obj):
        return "、".join(dict(StationKind.choices).get(kind, kind) for kind in obj.kinds or []) or "—"

    @admin.display(description="参与排名的认定级别")
    def ranked_levels_shown(self, obj):
        levels = dict(admin_forms._levels())
        return "、".join(levels.get(level, level) for level in obj.ranked_levels or []) or "—"

    @admin.display(description="固定档次")
    def fixed_bands_shown(self, obj):
        levels, labels = dict(admin_forms._levels()), obj.level_band_labels or {}
        return (
            "；".join(
                f"{levels.get(level, level)}单位：{labels.get(level, '')}" for level in obj.level_bands or {}
            )
            or "—"
        )

    @admin.display(description="淘汰比较范围")
    def elimination_scope_shown(self, obj):
        return admin_forms.ELIMINATION_SCOPE_LABELS.get(obj.elimination_scope, "—")

    @admin.display(description="捆绑考核奖励对象")
    def group_reward_rule_shown(self, obj):
        return admin_forms.GROUP_REWARD_RULE_LABELS.get(obj.group_reward_rule, "—")

    @admin.display(description="一次性补助依据")
    def one_time_basis_shown(self, obj):
        return admin_forms.ONE_TIME_BASIS_LABELS.get(obj.one_time_basis, "—")

    @admin.display(description="数据勾稽关系")
    def part_whole_shown(self, obj):
        if obj is None or not obj.part_whole:
            return "—"
        from assessment.rule_text import part_whole_description

        labels = {
            spec.get("name"): spec.get("label") or spec.get("name")
            for inputs in RubricItem.objects.filter(section__policy=obj).values_list("inputs", flat=True)
            for spec in inputs
            if isinstance(spec, dict)
        }
        return format_html(
            '<ul class="plain">{}</ul>',
            format_html_join(
                "", "<li>{}</li>", ((line,) for line in part_whole_description(obj.part_whole, labels))
            ),
        )

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.viewer = request.user  # the copy button is for those who may copy
        return obj

    @admin.display(description="复制")
    def copy_link(self, obj):
        viewer = getattr(obj, "viewer", None)
        if obj is None or obj.pk is None or viewer is None:
            return "—"
        if not (may_change_in_admin(viewer) and may_manage(viewer, obj.region)):
            return "—"
        return format_html(
            '<a class="button" href="{}">复制为新版本或新年度政策</a>',
            reverse("admin:assessment_policy_copy", args=[obj.pk]),
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/copy/",
                self.admin_site.admin_view(self.copy_view),
                name="assessment_policy_copy",
            ),
            path(
                "<path:object_id>/export/",
                self.admin_site.admin_view(self.export_view),
                name="assessment_policy_export",
            ),
            path("import/", self.admin_site.admin_view(self._import_view()), name="assessment_policy_import"),
            path("format/", self.admin_site.admin_view(self.format_view), name="assessment_policy_format"),
            path(
                "<path:object_id>/try/",
                self.admin_site.admin_view(self.try_view),
                name="assessment_policy_try",
            ),
            *super().get_urls(),
        ]

    def try_view(self, request, object_id):
        """试算: typed cases through the policy's engine. Reading only, so auditors and frozen
        policies too; nothing is saved and nothing personal is typed, so nothing is recorded."""
        from django.core.exceptions import PermissionDenied
        from django.template.response import TemplateResponse

        from assessment.policy_trial import trial_page

        policy = self.get_object(request, object_id)  # scoped: another region's policy is a 404
        if policy is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, policy):
            raise PermissionDenied
        try:
            spec = policy_spec(policy)
        except (KeyError, TypeError, ValueError) as exc:
            page = {"rubric_errors": [f"评分表数据无法读取：{exc}"]}
        else:
            data = request.POST if request.method == "POST" else None
            page = trial_page(spec, query=request.GET, data=data)
        context = {
            **self.admin_site.each_context(request),
            **page,
            "title": f"试算：{policy}",
            "opts": self.opts,
            "original": policy,
        }
        return TemplateResponse(request, "admin/assessment/policy_try.html", context)

    def format_view(self, request):
        """《政策文件格式》 (docs/policy-format.md) as a page, for a clerk who writes or checks a file."""
        from django.conf import settings
        from django.core.exceptions import PermissionDenied
        from django.template.response import TemplateResponse

        if not self.has_view_permission(request):
            raise PermissionDenied
        text = (settings.BASE_DIR / "docs" / "policy-format.md").read_text(encoding="utf-8")
        context = {
            **self.admin_site.each_context(request),
            "title": "政策文件格式",
            "opts": self.opts,
            "text": text,
        }
        return TemplateResponse(request, "admin/assessment/policy_format.html", context)

    def export_view(self, request, object_id):
        """导出政策文件: the policy as a policy file (docs/policy-format.md), for anyone who may read it."""
        from django.http import Http404, HttpResponse
        from django.utils.http import content_disposition_header

        from assessment.policy_file import policy_file_text

        policy = self.get_object(request, object_id)  # scoped: another region's policy is not found
        if policy is None or not self.has_view_permission(request, policy):
            raise Http404("没有找到该政策，或它不在您的管辖范围内。")
        response = HttpResponse(
            policy_file_text(policy_spec(policy)).encode("utf-8"),
            content_type="application/x-yaml; charset=utf-8",
        )
        response["Content-Disposition"] = content_disposition_header(
            True, f"{policy.code}-v{policy.version}.yaml"
        )
        return response

    def _import_view(self):
        from assessment.policy_file import MAX_POLICY_FILE_BYTES
        from core.upload_limits import FORM_OVERHEAD_BYTES, upload_limit

        # A plain function: the upload limit is an attribute of the view, which a bound method cannot take.
        def view(request):
            return self.import_view(request)

        return upload_limit(MAX_POLICY_FILE_BYTES + FORM_OVERHEAD_BYTES)(view)

    def import_view(self, request):
        """导入政策文件: read and check an uploaded file; install it as the next version of its code.

        Every problem of a refused file is listed on the page and nothing is saved; hints (提示)
        come with the success message. Bureau staff import into their own region only.
        """
        from django.core.exceptions import PermissionDenied
        from django.http import HttpResponseRedirect
        from django.template.response import TemplateResponse

        from assessment.policy_file import PolicyFileError, read_policy_file_checked
        from assessment.services.policies import PolicyImportRefused, policy_import

        if not may_change_in_admin(request.user):
            raise PermissionDenied
        form = PolicyImportForm(request.POST or None, request.FILES or None)
        problems: list[str] = []
        if request.method == "POST" and form.is_valid():
            try:
                spec, hints = read_policy_file_checked(form.cleaned_data["file"].read())
                policy = policy_import(spec=spec, actor=request.user)
            except PolicyFileError as error:
                problems = error.problems
            except (PolicyImportRefused, PermissionDenied) as error:
                problems = [str(error)]
            else:
                self.message_user(
                    request,
                    f"已导入“{policy}”（第 {policy.version} 版），请核对后再用于考核批次。",
                    messages.SUCCESS,
                )
                for hint in hints:
                    self.message_user(request, f"提示：{hint}", messages.WARNING)
                return HttpResponseRedirect(reverse("admin:assessment_policy_change", args=[policy.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "导入政策文件",
            "opts": self.opts,
            "form": form,
            "problems": problems,
        }
        return TemplateResponse(request, "admin/assessment/policy_import.html", context)

    def copy_view(self, request, object_id):
        """Copy a policy for the same year (a new version) or for another year (that year's policy)."""
        from django.core.exceptions import PermissionDenied
        from django.http import HttpResponseRedirect
        from django.template.response import TemplateResponse

        policy = self.get_object(request, object_id)
        if policy is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not (may_change_in_admin(request.user) and may_manage(request.user, policy.region)):
            raise PermissionDenied
        form = admin_forms.PolicyCopyForm(request.POST or None, obj=policy)
        if request.method == "POST" and form.is_valid():
            copy = policy_new_version(
                policy=policy,
                actor=request.user,
                year=form.cleaned_data["year"],
                name=form.cleaned_data["name"],
            )
            self.message_user(request, f"已创建“{copy}”，可在此修改。", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:assessment_policy_change", args=[copy.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"复制“{policy}”",
            "opts": self.opts,
            "original": policy,
            "form": form,
            "intro": form.intro,
        }
        return TemplateResponse(request, "admin/assessment/policy_copy.html", context)

    def has_change_permission(self, request, obj=None):
        return policy_editable_by(request.user, obj)

    def save_model(self, request, obj, form, change):
        if change:
            ensure_policy_editable(Policy.objects.get(pk=obj.pk))
        else:
            from assessment.services.policies import policy_new_code

            obj.code = policy_new_code(region=obj.region, year=obj.year)
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

    @admin.action(description="复制为新版本或新年度政策")
    def make_new_version(self, request, queryset):
        from django.http import HttpResponseRedirect

        if not may_change_in_admin(request.user):
            self.message_user(request, "您没有修改政策的权限。", messages.ERROR)
            return None
        if queryset.count() != 1:
            self.message_user(
                request, "请只选择一个政策复制：复制时要确定新政策的年度和名称。", messages.WARNING
            )
            return None
        # The copy's year and name are asked on its own page.
        return HttpResponseRedirect(reverse("admin:assessment_policy_copy", args=[queryset.get().pk]))


class RubricItemFormSet(forms.BaseInlineFormSet):
    """The section's item forms, each form's own id looked up among the items the formset has
    already read (Django's id field runs a query per form)."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        name = self._pk_field.name
        stock = form.fields.get(name)
        if isinstance(stock, forms.ModelChoiceField):
            form.fields[name] = admin_forms.PreloadedItemField(
                self.get_queryset(),  # read once and kept by the formset
                initial=stock.initial,
                required=False,
                widget=stock.widget,
            )


class RubricItemInline(PolicyRowInline):
    """An item with its rule chosen from a list and the rule's parameters as labelled fields.

    The fields are mapped to the stored params and inputs the engine compiles by
    assessment/rule_editor.py (through admin_forms.RubricItemForm); a rule they cannot show (a
    policy file's expression, reference or gate) is read as a sentence and kept as stored.
    """

    model = RubricItem
    form = admin_forms.RubricItemForm
    formset = RubricItemFormSet
    fk_name = "section"
    extra = 1  # an item is long: one empty one, more with "添加另一个"
    # One block per item, as a 细则 lists them: a row of eleven columns does not fit 1366 px.
    template = "admin/edit_inline/stacked.html"

    def get_fieldsets(self, request, obj=None):
        if self.has_change_permission(request, obj):
            return admin_forms.rubric_item_fieldsets()
        fields = [("code", "position", "max_points"), "title", "rule_name", "rule_text", "inputs_text"]
        return [(None, {"fields": [*fields, ("scored_from_month", "parent"), "kinds_shown", "note"]})]

    def get_formset(self, request, obj=None, **kwargs):
        # The policy's items read once for every item form of the page (not a query per form):
        # a new input name avoids the names the policy's other items read (a value stored under
        # one of them must not be read as this item's); a sub-item's parent is an item of this
        # section; an item with sub-items keeps the rule "各子项合计".
        shared = {}
        if obj is not None:
            items = list(
                RubricItem.objects.filter(section__policy=obj.policy_id).only(
                    "pk", "section_id", "parent_id", "position", "code", "title", "inputs"
                )
            )
            shared = {
                "policy_inputs": tuple(
                    (item.pk, spec.get("name"))
                    for item in items
                    for spec in item.inputs or []
                    if isinstance(spec, dict)
                ),
                "section_items": tuple(item for item in items if item.section_id == obj.pk),
                "items_with_children": frozenset(item.parent_id for item in items if item.parent_id),
            }
        kwargs["form"] = type("RubricItemForm", (admin_forms.RubricItemForm,), shared)
        return super().get_formset(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return ["rule_name", "rule_text", "inputs_text", "kinds_shown"]

    @admin.display(description="计分规则")
    def rule_name(self, obj):
        from assessment.rule_text import RULE_LABELS

        return RULE_LABELS.get(obj.rule, obj.rule)

    @admin.display(description="计分办法")
    def rule_text(self, obj):
        from assessment.rule_editor import fields_from_item
        from assessment.rule_text import rule_description

        if obj is None or obj.pk is None:
            return "保存后显示。"
        sentence = rule_description(
            rule=obj.rule, params=obj.params, inputs=obj.inputs, max_points=obj.max_points
        )
        editable = fields_from_item(
            obj.rule, obj.params or {}, obj.inputs or [], title=obj.title, code=obj.code
        )
        if editable is None:
            return f"{sentence}（此规则来自政策文件，参数请在政策文件中修改）"
        return sentence

    @admin.display(description="读取的数据")
    def inputs_text(self, obj):
        from assessment.rule_text import inputs_description

        if obj is None or obj.pk is None:
            return ""
        return inputs_description(obj.inputs or []) or "—"

    @admin.display(description="仅适用的站点类型")
    def kinds_shown(self, obj):
        return "、".join(dict(StationKind.choices).get(kind, kind) for kind in obj.kinds or []) or "全部"

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

    class Media:
        css = {"all": ["css/policy-forms.css"]}
        js = ["js/rule-editor.js"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        self.message_rubric_findings(request, form.instance.policy)

    def message_rubric_findings(self, request, policy) -> None:
        """The whole rubric checked after the section is saved, as the policy page's 评分表检查."""
        from assessment.engine import validate_rubric
        from assessment.rule_editor import in_words

        try:
            spec = policy_spec(policy)
            findings = validate_rubric(spec.rubric, kinds=spec.kinds)
        except (KeyError, TypeError, ValueError) as exc:
            self.message_user(request, f"评分表检查：评分表数据无法读取：{exc}", messages.ERROR)
            return
        if not findings:
            self.message_user(request, "评分表检查：各部分分值与满分一致。", messages.SUCCESS)
            return

        def walk(items):
            for item in items:
                yield item
                yield from walk(item.children)

        labels = {
            input_spec.name: input_spec.label
            for section in spec.rubric.sections
            for item in walk(section.items)
            for input_spec in item.inputs
        }
        kinds = dict(StationKind.choices)
        for finding in findings:
            error = finding.severity == "error"
            text = in_words(f"{finding.code} {finding.message}".strip(), {**labels, **kinds})
            level = messages.ERROR if error else messages.WARNING
            self.message_user(request, f"评分表检查 · {'错误' if error else '提示'}：{text}", level)

    # A section stays with its policy: moving it would change another (perhaps frozen) policy.
    readonly_fields = ["policy"]

    def save_model(self, request, obj, form, change):
        ensure_policy_editable(Policy.objects.get(pk=obj.policy_id))
        super().save_model(request, obj, form, change)

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


class ResultTierFilter(admin.SimpleListFilter):
    """等次: the tiers of the results in reach (of the chosen campaign, if one is), in their policy's
    own order (五星 down to 未评定星级), not in the labels' alphabet."""

    title = "等次"
    parameter_name = "tier_label"

    def lookups(self, request, model_admin):
        results = model_admin.get_queryset(request)
        campaign = chosen_campaign(request)
        if campaign:
            results = results.filter(campaign_id=campaign)
        return [(label, label) for label in result_tier_labels(results)]

    def queryset(self, request, queryset):
        return queryset.filter(tier_label=self.value()) if self.value() else queryset


def chosen_campaign(request) -> str:
    """The campaign a list is filtered by (its id as digits), or ""."""
    value = request.GET.get("campaign") or request.GET.get("campaign__id__exact", "")
    return value if value.isascii() and value.isdigit() else ""


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

    # The region and the campaign are a line under the station, so the assessor and the declaration
    # stay on screen at 1366 px beside the menu and the filters.
    list_display = ["station_region_campaign", "assessor", "declaration", "declared_at"]
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

    class Media:
        css = {"all": ["css/admin-results.css"]}

    @admin.display(description="站点 / 区域 · 考核批次", ordering="station__code")
    def station_region_campaign(self, obj):
        return format_html(
            '{}<div class="quiet">{} · {}</div>', obj.station, obj.station.region.name, obj.campaign.name
        )

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
        campaign=campaign, actor=user, first_day=data["first_day"], last_day=data["last_day"]
    )
    return "公示已发布。"


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
    form = admin_forms.CampaignForm
    readonly_fields = ["status", "workflow", "progress", "documents", "jobs", "notice_start", "notice_end"]

    class Media:
        css = {"all": ["css/policy-forms.css"]}
        js = ["js/month-picker.js"]

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
            fields += ["code", "policy", "region", "year", "months_shown", "assessed_on"]
        elif not self.has_change_permission(request, obj):
            fields.append("months_shown")
        return fields

    def get_fieldsets(self, request, obj=None):
        # Read-only months are shown as "1月、2月……", never as the stored list.
        editable = self.has_change_permission(request, obj) and (
            obj is None or obj.status == Campaign.Status.DRAFT
        )
        if editable:
            return self.fieldsets
        return [
            (name, {**options, "fields": ["months_shown" if f == "months" else f for f in options["fields"]]})
            for name, options in self.fieldsets
        ]

    @admin.display(description="评分月份")
    def months_shown(self, obj):
        if obj is None or not obj.months:
            return "按年度评分"
        return "、".join(f"{month}月" for month in sorted(obj.months))

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


def _return(sheet, data, user):
    sheet_services.sheet_return(sheet=sheet, actor=user, reason=data["reason"])
    return f"{sheet} 已退回修改，运营方会收到通知并看到退回原因。"


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
        "return": (admin_forms.SheetReturnForm, _return),
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
        table = render_to_string("assessment/_sheet_table.html", {"sheet": obj, "rows": sheet_rows(obj)})
        if obj.onsite_total is None:
            return table
        # On-site counts that differ from the work log, with the assessor's reason, for the review.
        notes = sheet_log_notes(obj)
        return table + render_to_string("assessment/_log_notes.html", {"log_notes": notes})

    @admin.display(description="佐证材料")
    def evidence_index(self, obj):
        return admin_forms.evidence_table(obj.evidence.select_related("uploaded_by"))

    @admin.action(description="审定锁定所选评分表（按现场评估数据）")
    def lock_selected(self, request, queryset):
        from django.core.exceptions import ValidationError

        from core.permissions import Forbidden

        lockable = states_open_to(
            move_named(sheet_services.SHEET_MOVES, "lock"), sheet_services.SHEET_TRANSITIONS
        )
        # Sort the selection once, before anything moves: counted afterwards, the sheets just
        # locked would no longer be lockable and would be reported as skipped.
        selected = list(queryset.select_related("station", "campaign__policy"))
        to_lock = [sheet for sheet in selected if sheet.status in lockable]
        skipped_by_state: dict[str, int] = {}
        for sheet in selected:
            if sheet.status not in lockable:
                skipped_by_state[sheet.status] = skipped_by_state.get(sheet.status, 0) + 1
        locked, refused = 0, []
        for sheet in to_lock:
            try:
                sheet_services.sheet_lock(sheet=sheet, actor=request.user)
                locked += 1
            except (ValidationError, Forbidden) as exc:
                refused.append(f"{sheet}：{exc.messages[0]}")
        parts = [f"已审定锁定 {locked} 张"]
        if refused:
            parts.append(f"{len(refused)} 张未能锁定（原因见下）")
        for state, count in sorted(skipped_by_state.items()):
            why = "已锁定" if state == ScoreSheet.Status.LOCKED else "尚未完成现场评估"
            parts.append(f"{count} 张为“{ScoreSheet.Status(state).label}”（{why}），未处理")
        level = messages.SUCCESS if locked and not refused else messages.WARNING
        self.message_user(request, "；".join(parts) + "。", level)
        for line in refused[:20]:
            self.message_user(request, line, messages.ERROR)
        if len(refused) > 20:
            self.message_user(request, f"另有 {len(refused) - 20} 张未能锁定，未逐一列出。", messages.ERROR)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not may_change_in_admin(request.user):
            actions.pop("lock_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        return False  # a record of the assessment: corrected through its workflow, never deleted


@admin.register(CampaignResult)
class CampaignResultAdmin(CampaignListMixin, StationSearchMixin, ScopedAdmin):
    # Five columns, so that the money is on screen at 1366 px beside the menu and the filters: the
    # campaign is a line under the station, eligibility and elimination are words in the tier.
    list_display = ["station_and_campaign", "score", "tier_text", "subsidy_amount", "one_time_amount"]
    list_filter = [
        CampaignFilter,
        region_tree_filter("station__region__path"),
        ResultTierFilter,
        "eliminated",
    ]
    search_fields = ["station__code", "station__name"]
    list_select_related = ["station", "campaign", "entitlement", "one_time_entitlement"]
    readonly_fields = [f.name for f in CampaignResult._meta.fields] + ["section_points_shown"]
    # 推荐至上级 (004): a county recommends the chosen units of its published campaign to its city;
    # 选树为服务示范站 (001): a province selects the top of its campaign's ranking.
    actions = RECOMMEND_ACTIONS

    def has_recommend_permission(self, request):
        return may_recommend(request)

    def has_demonstrate_permission(self, request):
        return may_select_demonstrations(request)

    # The tier is read by its label (tier_label); the sections' points as words, not as stored.
    fields = [
        *(f.name for f in CampaignResult._meta.fields if f.name not in ("id", "tier", "section_points")),
        "section_points_shown",
    ]

    class Media:
        css = {"all": ["css/admin-results.css"]}

    @admin.display(description="各部分得分")
    def section_points_shown(self, obj):
        titles = dict(
            RubricSection.objects.filter(policy=obj.campaign.policy_id).values_list("code", "title")
        )
        return (
            "；".join(
                f"{code} {titles.get(code, '')}：{points} 分"
                for code, points in (obj.section_points or {}).items()
            )
            or "—"
        )

    @admin.display(description="站点 / 考核批次", ordering="station__code")
    def station_and_campaign(self, obj):
        return format_html('{}<div class="quiet">{}</div>', obj.station, obj.campaign.name)

    def get_list_display(self, request):
        # When every policy in the list (the chosen campaign's, or those of the campaigns in reach)
        # pays nothing (Huizhou's stars: a rating only), the money columns go: 0.00 on every row
        # reads as money withheld. Three queries, however many rows.
        campaigns = campaign_list(actor=request.user)
        if campaign := chosen_campaign(request):
            campaigns = campaigns.filter(pk=campaign)
        policies = Policy.objects.filter(pk__in=campaigns.values("policy_id")).prefetch_related(
            "subsidy_amounts", "one_time_amounts"
        )
        if policies and all(subsidy_schedule(policy).pays_nothing for policy in policies):
            return [name for name in self.list_display if name not in ("subsidy_amount", "one_time_amount")]
        return self.list_display

    @admin.display(description="等次", ordering="tier_label")
    def tier_text(self, obj):
        return tier_text(obj)

    @admin.display(description="年度补助（元）", ordering="entitlement__amount")
    def subsidy_amount(self, obj):
        return yuan(obj.subsidy)

    @admin.display(description="一次性补助（元）")
    def one_time_amount(self, obj):
        return yuan(obj.one_time_subsidy) if obj.one_time_entitlement_id else "—"

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
class ObjectionAdmin(
    PersonalFieldInFullMixin, ReferenceSearchMixin, CampaignListMixin, ObjectActionMixin, ScopedAdmin
):
    list_display = ["reference", "station", "campaign", "filed_at", "status", "name", "masked_contact"]
    list_filter = ["status", CampaignFilter]
    search_fields = ["station__code", "station__name", "name"]
    search_help_text = "按受理编号（如 YY-2026-000123）、站点编码或名称、异议人姓名查找。"
    list_select_related = ["station", "campaign"]
    fields = [
        "reference",
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
    readonly_fields = [*fields, "contact_in_full"]
    transitions = objection_services.OBJECTION_TRANSITIONS
    moves = objection_services.OBJECTION_MOVES
    object_actions = {"answer": (admin_forms.ObjectionAnswerForm, answer_objection)}

    @admin.display(description="受理编号", ordering="pk")
    def reference(self, obj):
        return format_html('<span class="nowrap">{}</span>', obj.reference)  # admin's base.css

    @admin.display(description="联系方式")
    def masked_contact(self, obj):
        return mask_contact(obj.contact)

    @admin.display(description="联系方式")
    def contact_in_full(self, obj):
        # Filled by get_object on the change page (which records the look) for the staff who answer.
        seen = getattr(obj, "seen_in_full", "")
        if not seen:
            return mask_contact(obj.contact)
        return format_html('{} <span class="help">（用于答复异议人；本次查看已记入操作记录）</span>', seen)

    # The bureau answers through the contact (the thank-you page promises a reply): staff who run
    # the station's region see it whole on this page, each look recorded; everyone else masked.
    masked_field, full_field = "masked_contact", "contact_in_full"

    def may_see_in_full(self, user, obj):
        return objection_services.may_reach_objector(user, obj)

    def record_look(self, obj, user):
        return objection_services.objection_contact_view(objection=obj, actor=user)

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
    # Checks the deadline as a form error: the service's refusal while saving would be a 500.
    form = admin_forms.RectificationIssueForm
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
            "revocation",
            "response",
            "responded_at",
            "evidence_files",
            "verification_note",
            "issued_by_name",
            "issued_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return self.get_fields(request, obj)

    @admin.display(description="办理")
    def workflow(self, obj):
        return self.move_buttons(obj)

    @admin.display(description="撤销资格")
    def revocation(self, obj):
        return rectification_services.revocation_note(obj) or "—"

    @admin.display(description="整改材料")
    def evidence_files(self, obj):
        return admin_forms.evidence_table(obj.evidence.select_related("uploaded_by"))

    @admin.display(description="下达人")
    def issued_by_name(self, obj):
        from core.people import person_name

        return person_name(obj.issued_by)

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


ANNUAL_REPORT_SECTION_FIELDS = [name for name, _heading in ANNUAL_REPORT_SECTIONS]


@admin.register(AnnualReport)
class AnnualReportAdmin(CampaignListMixin, StationSearchMixin, ScopedAdmin):
    """Stations' annual reports （年度报告）, read-only: written and submitted by the operator in the portal."""

    list_display = ["station", "campaign", "status", "submitted_at"]
    list_filter = [CampaignFilter, region_tree_filter("station__region__path"), "status"]
    search_fields = ["station__code", "station__name"]
    list_select_related = ["station", "campaign"]
    fields = [
        "campaign",
        "station",
        "status",
        "log_totals_shown",
        *ANNUAL_REPORT_SECTION_FIELDS,
        "submitted_at",
        "submitted_by",
        "updated_at",
    ]
    readonly_fields = fields

    @admin.display(description="工作日志统计")
    def log_totals_shown(self, obj):
        from assessment.services.annual_reports import report_total_lines

        lines = report_total_lines(campaign=obj.campaign, station=obj.station, report=obj)
        period = (
            f"{obj.log_start.year}年{obj.log_start.month}月{obj.log_start.day}日至"
            f"{obj.log_end.year}年{obj.log_end.month}月{obj.log_end.day}日，提交时留存"
            if obj.log_end
            else "尚未提交，按工作日志实时汇总"
        )
        return format_html(
            "{}<br>（{}）",
            format_html_join("；", "{} {} {}", ((line.label, line.value, line.unit) for line in lines)),
            period,
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the station's statement for the year: kept as submitted


# 站点认定申请 (assessment/station_application_admin.py): recognition decides the one-time entitlement.
from assessment import station_application_admin  # noqa: E402, F401
