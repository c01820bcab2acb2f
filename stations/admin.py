from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.admin_base import ObjectActionMixin, ScopedAdmin
from core.audit import action_label, changes_lines, object_label, state_label
from core.models import AuditEntry
from core.people import person_name
from core.permissions import Forbidden, may_change_in_admin, may_keep_account
from stations.contracts import (
    STATION_FIELDS_FROM_CONTRACT,
    TARGET_FIELDS,
    contract_problems,
    contract_progress,
    contract_save,
)
from stations.forms import ChangeReasonField, PasswordResetForm
from stations.models import OperatingContract, Region, Station, User
from stations.selectors import region_list
from stations.services import (
    STATION_MOVES,
    STATION_STATUS_TRANSITIONS,
    region_create,
    station_save,
    station_status_change,
    user_password_reset,
    user_save,
)
from stations.validators import mask_phone


class RegionTreeFilter(admin.SimpleListFilter):
    """Rows under one region, of any level, chosen by walking down the tree.

    The sidebar offers the chosen region's ancestors, itself and its children (before a choice:
    the top regions in reach and their children), never every township or community of a
    province, so it stays a few dozen links however many regions hold rows. Links from other
    pages (the campaign's progress table) may name any region in reach by its id.
    `path_lookup` is the lookup from the listed model to `Region.path`.
    """

    title = "区域"
    parameter_name = "region"
    path_lookup = "region__path"

    def chosen(self, request) -> Region | None:
        value = self.value()
        if not value or not (value.isascii() and value.isdigit()):
            return None
        if not hasattr(self, "_chosen"):
            self._chosen = region_list(actor=request.user).filter(pk=value).first()
        return self._chosen

    def lookups(self, request, model_admin):
        reach = region_list(actor=request.user)
        chosen = self.chosen(request)
        if chosen is not None:
            ancestors = [chosen.path[: i + 1] for i in range(1, len(chosen.path)) if chosen.path[i] == "/"]
            regions = reach.filter(Q(path__in=ancestors) | Q(parent=chosen))
        else:
            top = reach.order_by("level").values_list("level", flat=True).first()
            if top is None:
                return []
            regions = reach.filter(level__in=[top, top + 1])
        regions = regions.order_by("path")[:300]
        base = min((r.level for r in regions), default=0)
        return [(str(r.pk), "\u3000" * (r.level - base) + r.name) for r in regions]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        chosen = self.chosen(request)
        if chosen is None:
            return queryset.none()
        return queryset.filter(**{f"{self.path_lookup}__startswith": chosen.path})


class StationSearchMixin:
    """Search a list of rows about stations by the station's code or name, in the station table.

    The station's rows are found first (a province has tens of thousands of stations, its sheets
    and history millions of rows), then the listed rows by the indexed foreign key, instead of a
    substring test on a join for every row of the list. `station_lookup` is the path to the station.
    """

    station_lookup = "station"
    search_help_text = "输入站点编码或名称中的文字。"

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        stations = Station.objects.filter(Q(code__iexact=term) | Q(name__contains=term)).values("pk")
        return queryset.filter(**{f"{self.station_lookup}__in": stations}), False


def region_tree_filter(path_lookup: str) -> type[RegionTreeFilter]:
    """A RegionTreeFilter for a model that reaches its region through `path_lookup`."""
    return type("RegionTreeFilter", (RegionTreeFilter,), {"path_lookup": path_lookup})


@admin.register(Region)
class RegionAdmin(ScopedAdmin):
    list_display = ["name", "code", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    list_select_related = ["parent"]
    ordering = ["path"]

    def get_readonly_fields(self, request, obj=None):
        # The code and the parent make up the path every scope query relies on: fixed once saved.
        return ["code", "parent", "level"] if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            return
        created = region_create(code=obj.code, name=obj.name, level=obj.level, parent=obj.parent)
        obj.pk, obj.path = created.pk, created.path

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None and "parent" in form.base_fields and not request.user.is_superuser:
            form.base_fields["parent"].required = True
        return form


class StationStatusForm(forms.Form):
    to = forms.ChoiceField(label="新状态")
    reason = forms.CharField(label="原因", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, obj: Station, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = STATION_STATUS_TRANSITIONS.get(obj.status, set())
        self.fields["to"].choices = [(v, label) for v, label in Station.Status.choices if v in allowed]
        self.intro = (
            f"当前状态：{obj.get_status_display()}。变更会记录操作人、时间和原因，并在站点的变更记录中可见。"
        )


def change_station_status(station, data, user) -> str:
    station_status_change(station=station, to=data["to"], actor=user, reason=data["reason"])
    return f"{station} 的状态已改为“{station.get_status_display()}”。"


class AuditDisplayMixin:
    """The audit row's columns as a clerk reads them: the action's name, the person's name, each state
    by its workflow's name; never a code (claim.pay, approved) or a login."""

    @admin.display(description="操作", ordering="action")
    def action_name(self, obj):
        return action_label(obj.action)

    @admin.display(description="操作人", ordering="actor")
    def actor_name(self, obj):
        return person_name(obj.actor) if obj.actor_id else "系统"

    @admin.display(description="原状态")
    def from_state_name(self, obj):
        return state_label(obj, obj.from_state) or "—"

    @admin.display(description="新状态")
    def to_state_name(self, obj):
        return state_label(obj, obj.to_state) or "—"

    @admin.display(description="对象", ordering="object_repr")
    def object_name(self, obj):
        return object_label(obj)

    @admin.display(description="变更内容")
    def changes_text(self, obj):
        return format_html_join("", "<div>{}</div>", ((line,) for line in changes_lines(obj))) or "—"


class StationHistoryInline(AuditDisplayMixin, admin.TabularInline):
    model = AuditEntry
    fk_name = "station"
    fields = ["at", "actor_name", "action_name", "from_state_name", "to_state_name", "reason", "changes_text"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "状态与变更记录"

    def get_queryset(self, request):
        # The state labels read each row's content type: joined, not a query per row.
        return super().get_queryset(request).select_related("actor", "content_type")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return True


class StationForm(forms.ModelForm):
    change_reason = ChangeReasonField()

    class Meta:
        model = Station
        fields = ["code"]  # the admin builds the form from its fieldsets; this names the model only


REASON_FIELDSET = ("变更原因", {"fields": ["change_reason"]})


@admin.register(Station)
class StationAdmin(ObjectActionMixin, ScopedAdmin):
    form = StationForm
    list_display = ["code", "name", "kind", "region", "status", "operating_mode", "recognized_on"]
    list_filter = [
        "kind",
        "status",
        "category",
        "operating_mode",
        "recognition_level",
        RegionTreeFilter,
    ]
    search_fields = ["code", "name", "operator_organisation", "operator_credit_code", "address"]
    autocomplete_fields = ["region", "operators", "default_assessor"]
    # The level's date is written by the recognising decision (station_recognition_set), not typed.
    readonly_fields = ["status", "status_link", "recognition_level_on", "created_at", "updated_at"]
    inlines = [StationHistoryInline]
    transitions = STATION_STATUS_TRANSITIONS
    moves = STATION_MOVES
    object_actions = {"status": (StationStatusForm, change_station_status)}
    ordering = ["code"]
    fieldsets = [
        ("基本信息", {"fields": ["code", "name", "kind", "category", "region", "address", "status_link"]}),
        (
            "认定与运营",
            {
                "fields": [
                    "recognized_on",
                    "recognition_level",
                    "recognition_level_on",
                    "assessment_group",
                    "operating_mode",
                    ("purchase_contract_start", "purchase_contract_end"),
                    "operator_organisation",
                    "operator_credit_code",
                    "legal_representative",
                    "alliance",
                ]
            },
        ),
        (
            "场地设施",
            {"fields": ["floor_area", ("has_computer", "has_display", "has_monitoring", "has_meeting_room")]},
        ),
        (
            "人员与服务",
            {
                "fields": [
                    "station_head",
                    "station_head_phone",
                    "county_supervisor",
                    "opening_hours",
                    "service_phone",
                    "complaint_channel",
                ]
            },
        ),
        ("账号", {"fields": ["operators", "default_assessor"]}),
        ("记录", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def save_model(self, request, obj, form, change):
        # The service saves the station and its operators and records every changed fact with the reason;
        # the admin's own save of the operators afterwards (save_related) then finds nothing to change.
        operators = form.cleaned_data.get("operators")
        station_save(
            station=obj,
            actor=request.user,
            reason=form.cleaned_data["change_reason"],
            operators=list(operators) if operators is not None else None,
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if may_change_in_admin(request.user):
            return [*fieldsets, REASON_FIELDSET]
        # Read-only viewers (auditors) see the station head's mobile masked.
        return [
            (
                name,
                {
                    **opts,
                    "fields": [
                        "masked_head_phone" if f == "station_head_phone" else f for f in opts["fields"]
                    ],
                },
            )
            for name, opts in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk and obj.operating_contracts.exists():
            # Written from the station's operating contracts (stations.contracts): one source.
            fields += [f for f in STATION_FIELDS_FROM_CONTRACT if f not in fields]
        return fields if may_change_in_admin(request.user) else [*fields, "masked_head_phone"]

    @admin.display(description="站长电话")
    def masked_head_phone(self, obj):
        return obj.masked_station_head_phone

    @admin.display(description="状态")
    def status_link(self, obj):
        if obj.pk is None:
            return Station.Status.ACTIVE.label
        return format_html("{} &nbsp; {}", obj.get_status_display(), self.move_buttons(obj, empty=""))


def require_region_for_regional_roles(form, data: dict) -> dict:
    if data.get("role") in {User.Role.BUREAU, User.Role.AUDITOR} and not data.get("region"):
        form.add_error("region", "人社局工作人员和审计人员必须指定所属区域。")
    return data


class UserRoleForm(UserChangeForm):
    """An account's page. Django's change form shows the password only as “not stored” with the
    link to 重置密码 (a field nobody can type into): a plain model form would show the hash in a
    text box and save whatever is typed there as the password itself, unhashed."""

    change_reason = ChangeReasonField()

    class Meta(UserChangeForm.Meta):
        model = User
        fields = ["username", "password", "role", "region"]  # the admin widens this to its fieldsets

    def clean(self):
        return require_region_for_regional_roles(self, super().clean())


class UserAddForm(AdminUserCreationForm):
    change_reason = ChangeReasonField(
        help_text="必填，例如“新聘站点运营人员”。将记入操作记录（不记录密码）。"
    )

    # Every page, score sheet and history names people (陈立), never their login; an account
    # without a name would put "assessor1" on a signature line, so a new one must have both parts.
    NAME_REQUIRED = {"last_name": "请填写姓。", "first_name": "请填写名。"}

    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ["username", "last_name", "first_name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, message in self.NAME_REQUIRED.items():
            if name in self.fields:
                self.fields[name].required = True
                self.fields[name].error_messages["required"] = message

    def clean(self):
        return require_region_for_regional_roles(self, super().clean())


PERMISSION_ACTIONS = {"add": "新增", "change": "修改", "delete": "删除", "view": "查看"}
PERMISSION_APPS = ("admin", "auth", "core", "stations", "assessment", "subsidies", "portal")


def permission_label(permission) -> str:
    """A permission in the superuser's account form as “站点与人员｜站点｜修改”: Django names its
    permissions in English when it creates them ("Can change 站点"), whatever the language."""
    content_type = permission.content_type
    model = content_type.model_class()
    if model is None:
        return permission.name
    action = PERMISSION_ACTIONS.get(permission.codename.split("_", 1)[0])
    app = model._meta.app_config.verbose_name
    return f"{app}｜{model._meta.verbose_name}｜{action or permission.name}"


@admin.register(User)
class UserAdmin(ScopedAdmin, DjangoUserAdmin):
    form = UserRoleForm
    add_form = UserAddForm
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        ("姓名", {"fields": ["last_name", "first_name"]}),
        REASON_FIELDSET,
    ]
    list_display = ["username", "full_name", "role", "region", "organisation", "masked_phone", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "first_name", "last_name", "organisation"]
    ordering = ["username"]
    autocomplete_fields = ["region"]
    # Bureau staff manage the operators' and assessors' accounts in their region; only a
    # superuser makes bureau staff, auditors or superusers, or touches permissions.
    bureau_fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("个人信息", {"fields": ["last_name", "first_name", "email", "phone"]}),
        ("角色与范围", {"fields": ["role", "region", "organisation", "is_active"]}),
    ]
    bureau_add_fieldsets = [
        (None, {"fields": ["username", "password1", "password2"]}),
        ("角色与范围", {"fields": ["role", "region", "organisation", "last_name", "first_name", "phone"]}),
        REASON_FIELDSET,
    ]
    fieldsets = [
        *bureau_fieldsets,
        ("权限", {"fields": ["is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("日期", {"fields": ["last_login", "date_joined"]}),
    ]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "user_permissions" and field is not None:
            # The product's own tables only: the login lock's, the second factor's and the
            # sessions' tables are worked by their packages, never by a person's permission.
            field.queryset = field.queryset.filter(content_type__app_label__in=PERMISSION_APPS)
            field.label_from_instance = permission_label
        return field

    @admin.display(description="姓名")
    def full_name(self, obj):
        return obj.get_full_name() or "（未填）"

    @admin.display(description="手机号")
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    def get_fieldsets(self, request, obj=None):
        if request.user.is_superuser:
            fieldsets = super().get_fieldsets(request, obj)
        else:
            fieldsets = self.bureau_add_fieldsets if obj is None else self.bureau_fieldsets
        if obj is None:
            return fieldsets  # add_fieldsets and bureau_add_fieldsets end with the reason already
        # A read-only view (a colleague's account) has no form to ask a reason on.
        return [*fieldsets, REASON_FIELDSET] if self.has_change_permission(request, obj) else fieldsets

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not request.user.is_superuser and "role" in form.base_fields:
            form.base_fields["role"].choices = [
                (v, label) for v, label in User.Role.choices if v in {User.Role.OPERATOR, User.Role.ASSESSOR}
            ]
        return form

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or request.user.is_superuser:
            return True
        return obj.role in {User.Role.OPERATOR, User.Role.ASSESSOR} and not obj.is_superuser

    def user_change_password(self, request, id, form_url=""):
        """Reset someone's password (the admin's 重置密码 page): twice, validated, with a reason, recorded.

        An account out of reach is 404 before any permission answer; one the clerk may not keep
        (another clerk's, an auditor's, a superuser's) gets the refusal in words, nothing changed.
        """
        user = self.get_object(request, unquote(id))
        if user is None:
            raise Http404
        context = {
            **self.admin_site.each_context(request),
            "title": f"重置密码：{person_name(user)}",
            "opts": self.opts,
            "original": user,
            "change_url": reverse("admin:stations_user_change", args=[user.pk]),
        }
        if not may_keep_account(request.user, user):
            context["refusal"] = (
                "您只能重置本区域内站点运营人员和评估人员的密码；其他账号的密码请联系系统管理员。"
            )
            return TemplateResponse(request, "admin/stations/user_password_reset.html", context, status=403)
        form = PasswordResetForm(request.POST or None, user=user)
        if form.is_valid():
            try:
                user_password_reset(
                    user=user,
                    actor=request.user,
                    password=form.cleaned_data["password1"],
                    reason=form.cleaned_data["change_reason"],
                )
            except (ValidationError, Forbidden) as exc:
                form.add_error(None, exc.messages[0])
            else:
                self.message_user(
                    request, f"已重置 {person_name(user)} 的密码，并记入操作记录。", messages.SUCCESS
                )
                return HttpResponseRedirect(context["change_url"])
        context["form"] = form
        return TemplateResponse(request, "admin/stations/user_password_reset.html", context)

    def save_model(self, request, obj, form, change):
        user_save(user=obj, actor=request.user, reason=form.cleaned_data["change_reason"])


class AuditActionFilter(admin.SimpleListFilter):
    """The kinds of move recorded. Listing them reads the whole history (there is no table of
    them), so the list is kept in the cache for ten minutes instead of being read on each page."""

    title = "操作"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        actions = cache.get_or_set(
            "audit-actions",
            lambda: list(AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct()),
            600,
        )
        return [(action, action_label(action)) for action in actions]

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(AuditDisplayMixin, ScopedAdmin):
    list_display = [
        "at",
        "actor_name",
        "action_name",
        "object_name",
        "from_state_name",
        "to_state_name",
        "reason",
    ]
    list_select_related = ["actor", "content_type"]
    list_filter = [("at", admin.DateFieldListFilter), AuditActionFilter]
    # Searched by exact fields and prefixes (see get_search_results), never by a substring of
    # every row's text: a province's history runs to millions of rows.
    search_fields = ["station__code", "object_repr", "actor__username"]
    search_help_text = "输入站点编码、操作人用户名，或记录对象开头的文字（如“YM-GS-01 2024”）。"
    # What the entry is about is named in words (对象 and 站点); the content type and the row's id
    # are the database's bookkeeping, not something a clerk reads.
    fields = [
        "at",
        "actor_name",
        "action_name",
        "object_name",
        "station",
        "from_state_name",
        "to_state_name",
        "reason",
        "changes_text",
    ]
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        """A station's code or a user's name matches exactly (both indexed); anything else is a
        prefix of the recorded object (a station code and period, a claim, a policy)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        station = Station.objects.filter(code__in={term, term.upper()}).values_list("pk", flat=True).first()
        if station is not None:
            return queryset.filter(station_id=station), False
        actor = User.objects.filter(username=term).values_list("pk", flat=True).first()
        if actor is not None:
            return queryset.filter(actor_id=actor), False
        return queryset.filter(object_repr__startswith=term), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # The history is evidence: nobody, a superuser included, removes a row of it.
        return False


class OperatingContractForm(forms.ModelForm):
    change_reason = ChangeReasonField()

    class Meta:
        model = OperatingContract
        fields = ["number"]  # the admin builds the form from its fieldsets

    #: What `contract_save` refused on a first attempt to save this form (the admin sets it).
    refusal: ValidationError | None = None

    def _post_clean(self):
        # After the model form has put the typed values on the instance: the service's own checks,
        # shown beside their fields (the service checks again, under its lock, when saving).
        super()._post_clean()
        if self.refusal is not None:
            problems = self.refusal.message_dict if hasattr(self.refusal, "error_dict") else {}
            for name, messages_ in problems.items():
                for message in messages_:
                    self.add_error(name if name in self.fields else None, message)
            if not problems:
                for message in self.refusal.messages:
                    self.add_error(None, message)
        if self.instance.station_id is None:
            return
        for name, message in contract_problems(self.instance).items():
            if name not in self.errors and "__all__" not in self.errors:
                self.add_error(name if name in self.fields else None, message)


@admin.register(OperatingContract)
class OperatingContractAdmin(StationSearchMixin, ScopedAdmin):
    """The county's operating contracts (003): bureau staff of the station's region keep them,
    auditors read them, nobody removes one (it is the record of public money spent)."""

    form = OperatingContractForm
    list_display = [
        "number",
        "station",
        "operator_organisation",
        "start",
        "end",
        "amount_shown",
        "supervisor",
    ]
    list_select_related = ["station", "supervisor"]
    list_filter = [region_tree_filter("station__region__path"), ("start", admin.DateFieldListFilter)]
    search_fields = ["station__code"]
    autocomplete_fields = ["station", "supervisor"]
    ordering = ["station__code", "-start"]
    readonly_fields = ["progress_shown", "created_at", "updated_at"]
    fieldsets = [
        ("合同", {"fields": ["station", "number", ("start", "end"), "amount"]}),
        ("运营机构", {"fields": ["operator_organisation", "operator_credit_code"]}),
        ("监管", {"fields": ["supervisor"]}),
        (
            "目标任务（整个合同期）",
            {
                "fields": list(TARGET_FIELDS),
                "description": "合同约定的服务目标，按整个合同期填写；不约定的项目留空。"
                "考核页面按已过天数比例计算应完成数，与工作日志台账比较。",
            },
        ),
        ("完成情况", {"fields": ["progress_shown"]}),
        ("记录", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
        REASON_FIELDSET,
    ]

    def get_readonly_fields(self, request, obj=None):
        # A contract is its station's: a contract signed for another station is a new contract.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "station"] if obj is not None else fields

    @admin.display(description="截至今日")
    def progress_shown(self, obj):
        if obj is None or obj.pk is None:
            return "保存后按工作日志台账显示完成情况。"
        (progress,) = contract_progress(contracts=[obj], on=timezone.localdate())
        if not progress.targets:
            return "合同未约定目标任务。"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{} {}</td><td>{} {}</td><td>{} {}</td><td>{}</td></tr>",
            (
                (
                    t.label,
                    t.target,
                    t.unit,
                    t.logged,
                    t.unit,
                    t.expected,
                    t.unit,
                    f"差 {t.shortfall} {t.unit}" if t.shortfall else "达到进度",
                )
                for t in progress.targets
            ),
        )
        # The period in words, and where the log has no day in it: a contract begun before the
        # station's first logged day is otherwise shown far behind with no reason given.
        gap = progress.log_gap_words()
        return format_html(
            "<p>统计期间：{}，合同已执行 {} 天（共 {} 天）。应完成数 = 目标 × 已执行天数 ÷ 合同总天数，"
            "四舍五入到整数；已记录为站点工作日志台账同期的合计。</p>{}"
            "<table><thead><tr><th>目标项目</th><th>合同目标</th><th>已记录</th><th>按进度应完成</th>"
            "<th>完成情况</th></tr></thead><tbody>{}</tbody></table>",
            progress.period_words(),
            progress.elapsed_days,
            obj.days,
            format_html("<p>{}。</p>", gap) if gap else "",
            rows,
        )

    @admin.display(description="合同金额（元）", ordering="amount")
    def amount_shown(self, obj):
        return f"{obj.amount:,.2f}"

    def save_model(self, request, obj, form, change):
        # The form showed the problems; one arising between the form and the save (a colleague's
        # overlapping contract saved meanwhile) leaves the admin's transaction, so nothing is saved,
        # and `changeform_view` shows the form again with it beside its field.
        try:
            contract_save(contract=obj, actor=request.user, reason=form.cleaned_data["change_reason"])
        except ValidationError as exc:
            raise _ContractRefused(exc) from exc

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _ContractRefused as refused:
            # Everything the first pass did was rolled back; the second builds the same form from
            # the same POST, and the refusal makes it invalid, so it is shown as typed, not saved.
            request._contract_refusal = refused.error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "_contract_refusal", None)
        return type(form.__name__, (form,), {"refusal": refusal}) if refusal is not None else form

    def has_delete_permission(self, request, obj=None):
        return False


class _ContractRefused(Exception):
    """`contract_save` refused what the form let through (see OperatingContractAdmin.save_model)."""

    def __init__(self, error: ValidationError):
        super().__init__(error)
        self.error = error


# Groups and per-model permissions are not how reach is decided here (roles and regions are), so
# the group admin would only be a second, unscoped way in.
admin.site.unregister(__import__("django.contrib.auth.models", fromlist=["Group"]).Group)

# The work log's read-only list (stations/worklog_admin.py), registered with the rest of the app.
from stations import worklog_admin  # noqa: E402, F401
