"""The admin of recommendation up the hierarchy （推荐认定）: the county's 推荐至上级 on its results list,
the city's 市级评分 and the province's 省级审定 on the recommendation's page; auditors read."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html

from assessment.admin_forms import ConfirmForm, evidence_table, shown_field
from assessment.models import Demonstration, Recommendation
from assessment.services import recommendations as services
from core.admin_base import ObjectActionMixin, ScopedAdmin
from core.permissions import Forbidden, may_change_in_admin
from stations.admin import StationSearchMixin, region_tree_filter
from stations.models import Region, Station


def _columns(rec: Recommendation) -> str:
    def shown(value):
        return f"{value} 分" if value is not None else "—"

    return format_html(
        "自评 {}；县（区）级 {}；市级 {}；省级 {}",
        shown(rec.score_self),
        shown(rec.score_county),
        shown(rec.score_city),
        shown(rec.score_province),
    )


class _MoveForm(ConfirmForm):
    def __init__(self, *args, obj, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        self.intro = (
            f"{obj.station}，{obj.campaign}；申报{obj.get_requested_level_display()}。"
            + (f"\n推荐意见：{obj.note}" if obj.note else "")
            + (f"\n市级审核意见：{obj.city_opinion}" if obj.city_opinion else "")
        )
        self.fields = {
            "columns": shown_field("各级评分", _columns(obj)),
            "papers": shown_field("佐证材料", evidence_table(services.recommendation_papers(obj))),
            **self.fields,
        }


class CityReviewForm(_MoveForm):
    score = forms.CharField(label="市级评分", max_length=12, help_text="0 至满分，保留两位小数（四舍五入）。")
    forward = forms.TypedChoiceField(
        label="审核结论",
        choices=[("true", "择优报送省级审定"), ("false", "不予推荐")],
        coerce=lambda v: v == "true",
    )
    opinion = forms.CharField(
        label="审核意见",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="不予推荐时必填。",
    )


REFUSE = "refuse"


class DecideForm(_MoveForm):
    score = forms.CharField(label="省级评分", max_length=12, help_text="0 至满分，保留两位小数（四舍五入）。")
    outcome = forms.ChoiceField(
        label="审定结论",
        choices=[
            *((value, f"认定为{label}") for value, label in Station.RecognitionLevel.choices),
            (REFUSE, "不予认定"),
        ],
    )
    on = forms.DateField(
        label="认定日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="认定时必填；写入站点的认定级别，决定此后考核的补助。",
    )
    opinion = forms.CharField(
        label="审定意见",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="不予认定时必填。",
    )

    def __init__(self, *args, obj, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        self.fields["on"].initial = timezone.localdate()


class WithdrawForm(_MoveForm):
    reason = forms.CharField(label="撤回原因", widget=forms.Textarea(attrs={"rows": 3}))


def city_review(rec, data, user) -> str:
    services.recommendation_city_review(
        recommendation=rec, actor=user, score=data["score"], forward=data["forward"], opinion=data["opinion"]
    )
    return "市级评分已记录，已报送省级审定。" if data["forward"] else "已记录不予推荐及理由。"


def decide(rec, data, user) -> str:
    level = None if data["outcome"] == REFUSE else data["outcome"]
    services.recommendation_decide(
        recommendation=rec,
        actor=user,
        score=data["score"],
        level=level,
        on=data["on"],
        opinion=data["opinion"],
    )
    if level is None:
        return "已记录不予认定及理由。"
    return f"已认定为{Station.RecognitionLevel(level).label}，站点的认定级别已更新。"


def withdraw(rec, data, user) -> str:
    services.recommendation_withdraw(recommendation=rec, actor=user, reason=data["reason"])
    return "推荐已撤回。"


@admin.register(Recommendation)
class RecommendationAdmin(StationSearchMixin, ObjectActionMixin, ScopedAdmin):
    """Recommendations in reach: the county's own, those addressed to a city or to the province."""

    list_display = [
        "station",
        "campaign",
        "status",
        "requested_level",
        "score_self",
        "score_county",
        "score_city",
        "score_province",
        "decided_level",
    ]
    list_filter = ["status", "decided_level", region_tree_filter("station__region__path")]
    search_fields = ["station__code", "station__name"]
    list_select_related = ["station", "campaign"]
    transitions = services.RECOMMENDATION_TRANSITIONS
    moves = services.RECOMMENDATION_MOVES
    object_actions = {
        "withdraw": (WithdrawForm, withdraw),
        "city_review": (CityReviewForm, city_review),
        "decide": (DecideForm, decide),
    }
    fields = [
        "station",
        "campaign",
        "status",
        "workflow",
        "requested_level",
        "note",
        "papers",
        "score_self",
        "score_county",
        "city",
        "score_city",
        "city_opinion",
        "city_reviewed_by",
        "city_reviewed_at",
        "province",
        "score_province",
        "province_opinion",
        "decided_level",
        "decided_on",
        "decided_by",
        "decided_at",
        "recommended_by",
        "recommended_at",
    ]
    readonly_fields = fields

    @admin.display(description="办理")
    def workflow(self, obj):
        return self.move_buttons(obj)

    def _action_view(self, suffix):
        # A move the state no longer allows (an item already decided, reviewed or withdrawn) shows
        # the reason and a link back, not the whole form under the refusal: this template does so.
        view = super()._action_view(suffix)

        def own_template(request, object_id):
            response = view(request, object_id)
            if isinstance(response, TemplateResponse):
                response.template_name = "admin/assessment/recommendation/object_action.html"
            return response

        return own_template

    @admin.display(description="佐证材料（推荐依据批次）")
    def papers(self, obj):
        return evidence_table(services.recommendation_papers(obj))

    def has_add_permission(self, request):
        return False  # made from the campaign's results list (推荐至上级)

    def has_change_permission(self, request, obj=None):
        return False  # changed only by its moves

    def has_delete_permission(self, request, obj=None):
        return False  # a record of the recognition: never deleted


def _recommend(level: str):
    label = Station.RecognitionLevel(level).label

    @admin.action(description=f"推荐至上级（申报{label}）", permissions=["recommend"])
    def action(modeladmin, request, queryset):
        results = list(queryset.select_related("campaign__region__parent__parent", "station"))
        campaigns = {result.campaign_id for result in results}
        if len(campaigns) != 1:
            modeladmin.message_user(request, "请只选择同一考核批次的结果进行推荐。", messages.ERROR)
            return
        try:
            created = services.recommendations_create(
                campaign=results[0].campaign,
                stations=[result.station for result in results],
                actor=request.user,
                requested_level=level,
            )
        except (ValidationError, Forbidden) as exc:
            modeladmin.message_user(request, "；".join(exc.messages), messages.ERROR)
            return
        city = created[0].city
        modeladmin.message_user(
            request,
            f"已向{city.name}推荐 {len(created)} 个单位（申报{label}），待市级审核。",
            messages.SUCCESS,
        )

    action.__name__ = f"recommend_{level}"
    return action


@admin.action(description="选树为服务示范站（按排名，001）", permissions=["demonstrate"])
def select_demonstrations(modeladmin, request, queryset):
    results = list(queryset.select_related("campaign__region", "station__region"))
    campaigns = {result.campaign_id for result in results}
    if len(campaigns) != 1:
        modeladmin.message_user(request, "请只选择同一考核批次的结果。", messages.ERROR)
        return
    try:
        rows = services.demonstrations_select(
            campaign=results[0].campaign, results=results, actor=request.user
        )
    except (ValidationError, Forbidden) as exc:
        modeladmin.message_user(request, "；".join(exc.messages), messages.ERROR)
        return
    modeladmin.message_user(
        request, f"已选树 {len(rows)} 个{services.DEMONSTRATION_TITLE}。", messages.SUCCESS
    )


RECOMMEND_ACTIONS = [*(_recommend(level) for level in Station.RecognitionLevel.values), select_demonstrations]


def may_select_demonstrations(request) -> bool:
    """Who sees 选树为服务示范站: a province's clerks (and superusers); the service checks the campaign."""
    user = request.user
    if not may_change_in_admin(user):
        return False
    return user.is_superuser or (user.region is not None and user.region.level == Region.Level.PROVINCE)


def may_recommend(request) -> bool:
    """Who sees 推荐至上级 on the results list: a county's clerks (and superusers); the service checks
    that the campaign is their county's."""
    user = request.user
    if not may_change_in_admin(user):
        return False
    return user.is_superuser or (user.region is not None and user.region.level == Region.Level.COUNTY)


@admin.register(Demonstration)
class DemonstrationAdmin(StationSearchMixin, ScopedAdmin):
    """Demonstration stations （服务示范零工驿站）, read-only: selected on a province campaign's results list."""

    list_display = ["station", "campaign", "title", "rank", "score", "selected_at"]
    search_fields = ["station__code", "station__name"]
    list_select_related = ["station", "campaign"]
    fields = ["station", "campaign", "title", "rank", "score", "selected_by", "selected_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a title the province gave: kept as given
