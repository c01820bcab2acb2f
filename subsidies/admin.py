from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html, format_html_join

from core.admin_base import ObjectActionMixin, ReadOnlyScopedAdmin, ScopedAdmin
from core.people import person_name
from core.permissions import Forbidden, may_see_personal_data, may_use_admin
from core.personal_data import PurposeForm
from core.workflow import move_named, states_open_to
from core.xlsx import xlsx_response as stream_xlsx
from stations.forms import ChangeReasonField
from stations.selectors import station_list
from subsidies.exports import disbursement_sheets, roster_sheets
from subsidies.models import Fund, PayeeNotice, Payout, PlacementRoster, SubsidyClaim
from subsidies.rules import requirement_label
from subsidies.selectors import (
    claim_list,
    disbursement_claim_list,
    payee_notice_claims,
    placements_of_duplicates,
    roster_list,
)
from subsidies.services.claims import (
    CLAIM_MOVES,
    CLAIM_TRANSITIONS,
    claim_reject,
    claim_reopen,
    claim_review,
    missing_materials,
)
from subsidies.services.funds import fund_save
from subsidies.services.payee_notice import payee_notice_period_refusal, payee_notice_publish
from subsidies.services.payouts import claim_approve, claim_pay, fund_remaining
from subsidies.services.personal_data import (
    PAYMENT_PURPOSE,
    claim_account_access_record,
    disbursement_access_record,
    duplicates_access_record,
    may_see_payee_account,
    payee_account_reader,
    roster_access_record,
    roster_description,
)
from subsidies.services.rosters import claim_duplicate_warnings, roster_duplicate_warnings

# How many of a roster's people its page shows, and how many people the duplicates page lists.
ROWS_SHOWN = 200
DUPLICATES_SHOWN = 500
# How many claims the disbursement page lists (the Excel export has them all).
DISBURSEMENT_SHOWN = 500

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class FundForm(forms.ModelForm):
    change_reason = ChangeReasonField()

    class Meta:
        model = Fund
        fields = ["region", "year", "code", "name", "budget"]

    def clean_budget(self):
        budget = self.cleaned_data["budget"]
        if self.instance.pk:
            used = self.instance.budget - fund_remaining(self.instance)
            if budget < used:
                raise forms.ValidationError(f"该资金已批准 {used:,.2f} 元，预算不能低于此数。")
        return budget


@admin.register(Fund)
class FundAdmin(ScopedAdmin):
    form = FundForm
    list_display = ["year", "code", "name", "region", "budget", "approved", "remaining"]
    list_filter = ["year"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["region"]

    def get_readonly_fields(self, request, obj=None):
        # Once money is approved on it, a fund's place and year are part of the trail.
        if obj is not None and obj.claims.exists():
            return ["region", "year", "code"]
        return []

    def save_model(self, request, obj, form, change):
        # The form checked the budget; the service checks it again under the lock an approval takes,
        # so the two cannot cross (a clerk who loses that race gets the message, nothing saved).
        try:
            fund_save(fund=obj, actor=request.user, reason=form.cleaned_data["change_reason"])
        except ValidationError as exc:
            raise PermissionDenied(exc.messages[0]) from exc

    @admin.display(description="已批准（元）")
    def approved(self, obj):
        return f"{obj.budget - fund_remaining(obj):,.2f}"

    @admin.display(description="剩余（元）")
    def remaining(self, obj):
        return f"{fund_remaining(obj):,.2f}"

    def has_delete_permission(self, request, obj=None):
        return False  # a budget line that money was approved against stays on record


class ConfirmForm(forms.Form):
    def __init__(self, *args, obj, **kwargs):
        super().__init__(*args, **kwargs)
        self.obj = obj


class ReviewForm(ConfirmForm):
    decision = forms.ChoiceField(
        label="审核结论",
        choices=[("pass", "审核通过，列入公示"), ("return", "退回修改"), ("reject", "不予补助")],
    )
    note = forms.CharField(label="审核意见", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, obj, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        # The entitlement as it stands now: passing the review copies it onto the claim.
        entitlement = obj.entitlement
        self.intro = f"应补助 {entitlement.amount:,.2f} 元。依据：{entitlement.explanation}"

    def limit_to(self, user) -> None:
        # The operator was told the bureau would check people placed by other stations too: the
        # reviewer reads it here, before passing the claim (the warnings name what `user` may see).
        warning = duplicate_warning_html(self.obj, claim_duplicate_warnings(self.obj, viewer=user))
        if warning:
            self.intro = format_html("{}\n\n{}", self.intro, warning)


class RejectForm(ConfirmForm):
    note = forms.CharField(label="不予补助的原因", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, obj, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        self.intro = "已审核通过或正在公示的申报，如公示期间收到异议并核实，可在此不予补助。"


class ReopenForm(ConfirmForm):
    reason = forms.CharField(label="撤回重审的原因", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, obj, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        self.intro = (
            f"公示或批准的金额 {obj.amount:,.2f} 元已锁定，考核结果的更正不能改变它。撤回后申报回到待审核，"
            "已批准的资金随之释放；更正后须重新审核、重新公示，才能批准拨付。"
        )


class ApproveForm(ConfirmForm):
    fund = forms.ModelChoiceField(label="列支资金", queryset=Fund.objects.none())

    def __init__(self, *args, obj, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        # Only the funds the approval accepts: that year's, of the station's region or a region above it
        # (and so never another county's budget lines).
        path = obj.station.region.path
        ancestors = [path[: index + 1] for index, char in enumerate(path) if char == "/" and index > 0]
        self.fields["fund"].queryset = Fund.objects.filter(
            year=obj.year, region__path__in=ancestors
        ).select_related("region")
        self.intro = f"按公示的应享补助金额批准并锁定：{obj.amount:,.2f} 元。"

    def limit_to(self, user) -> None:
        from subsidies.selectors import fund_list

        self.fields["fund"].queryset = self.fields["fund"].queryset.filter(
            pk__in=fund_list(actor=user).values("pk")
        )


class PayForm(ConfirmForm):
    paid_on = forms.DateField(
        label="拨付日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    voucher_number = forms.CharField(label="凭证号", max_length=64)

    def __init__(self, *args, obj, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        self.fields["paid_on"].initial = timezone.localdate()
        self.account_shown = False
        self.intro = self._intro(obj.masked_account)

    def _intro(self, account: str) -> str:
        obj = self.obj
        amount = f"{obj.approved_amount:,.2f} 元" if obj.approved_amount is not None else "（尚未批准）"
        lines = [
            f"拨付金额：{amount}",
            f"收款单位：{obj.payee_name or '（未填写）'}",
            f"开户银行：{obj.payee_bank or '（未填写）'}",
            f"银行账号：{account or '（未填写）'}",
        ]
        if self.account_shown:
            lines.append("完整账号仅供本次支付核对，本次查看已记录。")
        return "\n".join(lines)

    def limit_to(self, user) -> None:
        # Whoever pays sees the account in full, to transfer the money from it; the page's view
        # records that (SubsidyClaimAdmin._action_view). Everyone else reads it masked, and so does
        # the payer until the claim is approved: there is nothing to transfer before that.
        if (
            self.obj.payee_account
            and self.obj.status == SubsidyClaim.Status.APPROVED
            and may_see_payee_account(user, self.obj.station.region)
        ):
            self.account_shown = True
            self.intro = self._intro(self.obj.payee_account)


def duplicate_warning_html(claim, warnings: list[str]) -> str:
    """The duplicate-placement warnings of a claim's roster, plainly, with the year's duplicates page."""
    if not warnings:
        return ""
    return format_html(
        '<div class="errornote duplicate-warning"><strong>重复推荐提示：花名册中有 {} 人同年也在其他站点的花名册中，'
        "站点申报时已被告知由人社局核实。请核实是否重复申报后再审核。</strong>{}"
        '<div><a href="{}">查看 {} 年被多个站点推荐的人员</a></div></div>',
        len(warnings),
        format_html_join("", "<div>· {}</div>", ((w,) for w in warnings)),
        reverse("admin:subsidies_placementroster_duplicates", args=[claim.year]),
        claim.year,
    )


def review_claim(claim, data, user) -> str:
    claim_review(claim=claim, actor=user, decision=data["decision"], note=data["note"])
    return "审核结论已记录。"


def reject_claim(claim, data, user) -> str:
    claim_reject(claim=claim, actor=user, note=data["note"])
    return "已决定不予补助，并通知站点。"


def reopen_claim(claim, data, user) -> str:
    claim_reopen(claim=claim, actor=user, reason=data["reason"])
    return "申报已撤回重审，金额可随更正调整。"


def approve_claim(claim, data, user) -> str:
    claim_approve(claim=claim, actor=user, fund=data["fund"])
    return f"已批准 {claim.approved_amount:,.2f} 元。"


def pay_claim(claim, data, user) -> str:
    claim_pay(claim=claim, actor=user, paid_on=data["paid_on"], voucher_number=data["voucher_number"])
    return "拨付已登记。"


@admin.register(SubsidyClaim)
class SubsidyClaimAdmin(ObjectActionMixin, ScopedAdmin):
    list_display = ["station", "kind", "year", "status", "amount", "approved_amount", "fund"]
    list_filter = ["status", "kind", "year"]
    search_fields = ["station__code", "station__name"]
    list_select_related = ["station", "fund"]
    fields = [
        "station",
        "kind",
        "year",
        "campaign",
        "policy",
        "status",
        "workflow",
        "duplicates",
        "amount_shown",
        "explanation",
        "approved_amount_shown",
        "fund",
        "notice",
        "payee_name",
        "payee_bank",
        "account",
        "materials_index",
        "review_note",
        "created_by",
        "created_at",
        "submitted_at",
        "approved_by",
        "approved_at",
        "payout_info",
    ]
    readonly_fields = fields
    transitions = CLAIM_TRANSITIONS
    moves = CLAIM_MOVES
    object_actions = {
        "review": (ReviewForm, review_claim),
        "reject": (RejectForm, reject_claim),
        "approve": (ApproveForm, approve_claim),
        "reopen": (ReopenForm, reopen_claim),
        "pay": (PayForm, pay_claim),
    }

    def get_urls(self):
        return [
            path(
                "totals/<int:campaign_id>.xlsx",
                self.admin_site.admin_view(self.totals_view),
                name="subsidies_subsidyclaim_totals",
            ),
            path(
                "disbursement/",
                self.admin_site.admin_view(self.disbursement_view),
                name="subsidies_subsidyclaim_disbursement",
            ),
            *super().get_urls(),
        ]

    def totals_view(self, request, campaign_id):
        from assessment.selectors import campaign_list
        from subsidies.exports import campaign_totals_xlsx

        campaign = campaign_list(actor=request.user).filter(pk=campaign_id).first()
        if campaign is None or not may_use_admin(request.user):
            raise Http404("没有这个考核批次，或您无权查看。")
        return xlsx_response(campaign_totals_xlsx(campaign), f"totals-{campaign.code}.xlsx")

    def disbursement_view(self, request):
        """The disbursement list (拨付表): a page, and with ?format=xlsx its Excel file (every claim).

        Accounts in full for those who pay each claim, masked for everyone else; one access record
        per page view or export that showed any in full (how many, which stations), none per row.
        """
        if not may_use_admin(request.user):
            raise Http404
        if request.GET.get("format") == "xlsx":
            revealed: list[str] = []
            response = stream_xlsx(
                disbursement_sheets(
                    claim_list(actor=request.user),
                    reveal=payee_account_reader(request.user),
                    revealed=revealed,
                ),
                "disbursement.xlsx",
            )
            if revealed:  # the file is written (not yet sent): record exactly what it holds
                disbursement_access_record(
                    actor=request.user, stations=revealed, count=len(revealed), export=True
                )
                add_never_cache_headers(response)
            return response
        claims = list(disbursement_claim_list(actor=request.user)[: DISBURSEMENT_SHOWN + 1])
        more = len(claims) > DISBURSEMENT_SHOWN
        claims = claims[:DISBURSEMENT_SHOWN]
        rows = []
        for claim in claims:
            may_pay = may_see_payee_account(request.user, claim.station.region)
            full = may_pay and bool(claim.payee_account)
            account = claim.payee_account if full else claim.masked_account
            rows.append({"claim": claim, "account": account, "full": full, "may_pay": may_pay})
        revealed = [row["claim"].station.code for row in rows if row["full"]]
        if revealed:
            disbursement_access_record(
                actor=request.user, stations=revealed, count=len(revealed), export=False
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "补助资金拨付表",
            "rows": rows,
            "more": more,
            "shown": DISBURSEMENT_SHOWN,
            "revealed": len(revealed),
            "purpose": PAYMENT_PURPOSE,
            "export_url": reverse("admin:subsidies_subsidyclaim_disbursement") + "?format=xlsx",
            "opts": self.opts,
        }
        response = TemplateResponse(request, "admin/subsidies/disbursement.html", context)
        if revealed:
            add_never_cache_headers(response)
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The claim's page shows its account in full to whoever pays it, and records that view.
        if obj is not None and obj.payee_account and may_see_payee_account(request.user, obj.station.region):
            claim_account_access_record(claim=obj, actor=request.user)
            obj.account_revealed = True
        response = super().render_change_form(request, context, add, change, form_url, obj)
        if getattr(obj, "account_revealed", False):
            add_never_cache_headers(response)
        return response

    def _action_view(self, suffix):
        view = super()._action_view(suffix)
        if suffix != "pay":
            return view

        def pay_view(request, object_id):
            # The payout form shows the account in full to whoever pays (PayForm.limit_to): each time
            # the page is shown so (a GET, or a POST answered with the form again) it is recorded.
            response = view(request, object_id)
            form = (getattr(response, "context_data", None) or {}).get("form")
            if getattr(form, "account_shown", False):
                claim_account_access_record(claim=form.obj, actor=request.user)
                add_never_cache_headers(response)
            return response

        return pay_view

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "title": "补助申报"}
        return super().changelist_view(request, extra_context)

    @admin.display(description="办理")
    def workflow(self, obj):
        export = format_html('<a href="{}">拨付表</a>', reverse("admin:subsidies_subsidyclaim_disbursement"))
        return format_html("{} {}", self.move_buttons(obj), export)

    @admin.display(description="应补助金额（元）")
    def amount_shown(self, obj):
        return f"{obj.amount:,.2f}"

    @admin.display(description="批准金额（元）")
    def approved_amount_shown(self, obj):
        return "—" if obj.approved_amount is None else f"{obj.approved_amount:,.2f}"

    @admin.display(description="银行账号")
    def account(self, obj):
        if getattr(obj, "account_revealed", False):
            return format_html(
                '<strong class="account-full">{}</strong> <span class="help">完整账号仅供支付核对，本次查看已记录。</span>',
                obj.payee_account,
            )
        return obj.masked_account or "—"

    @admin.display(description="重复推荐核查")
    def duplicates(self, obj):
        if obj.kind != "performance":
            return "—"
        warnings = claim_duplicate_warnings(obj, viewer=obj.viewer)
        return duplicate_warning_html(obj, warnings) or "花名册中未发现同年被其他站点推荐的人员。"

    @admin.display(description="申报材料")
    def materials_index(self, obj):
        items = format_html_join(
            "",
            '<li>{}：<a href="{}">{}</a></li>',
            (
                (
                    requirement_label(obj.kind, m.requirement),
                    reverse("subsidies:material_download", args=[m.pk]),
                    m.original_name,
                )
                for m in obj.materials.all()
            ),
        )
        roster = PlacementRoster.objects.filter(station=obj.station, year=obj.year).first()
        if roster is not None and obj.kind == "performance":
            items = format_html(
                '{}<li>岗位推荐成功花名册：<a href="{}">{} 人</a></li>',
                items,
                reverse("admin:subsidies_placementroster_change", args=[roster.pk]),
                roster.row_count,
            )
        missing = missing_materials(obj)
        tail = format_html('<p class="errornote">缺少：{}</p>', "、".join(missing)) if missing else ""
        return format_html("<ul>{}</ul>{}", items, tail)

    @admin.display(description="拨付")
    def payout_info(self, obj):
        payout = getattr(obj, "payout", None)
        if payout is None:
            return "—"
        return (
            f"{payout.paid_on:%Y-%m-%d} 拨付 {payout.amount:,.2f} 元，凭证号 {payout.voucher_number}，"
            f"登记人 {person_name(payout.recorded_by)}"
        )

    def has_add_permission(self, request):
        return False  # stations claim in the portal

    def has_change_permission(self, request, obj=None):
        return False  # every change is a workflow move

    def has_delete_permission(self, request, obj=None):
        return False


class PayeeNoticeForm(forms.ModelForm):
    claims = forms.ModelMultipleChoiceField(
        label="公示的申报",
        queryset=SubsidyClaim.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="只列出审核通过、尚未公示的申报。",
    )

    class Meta:
        model = PayeeNotice
        fields = ["region", "year", "title", "starts_at", "ends_at"]

    def clean(self):
        data = super().clean()
        starts, ends, region = data.get("starts_at"), data.get("ends_at"), data.get("region")
        if starts and ends and (ends <= starts or ends <= timezone.now()):
            self.add_error("ends_at", "公示结束时间必须晚于开始时间和当前时间。")
        elif starts and ends and data.get("claims"):
            # The claims' policies set the minimum in working days (the service checks it again).
            refusal = payee_notice_period_refusal(starts_at=starts, ends_at=ends, claims=list(data["claims"]))
            if refusal:
                self.add_error("ends_at", refusal)
        for claim in data.get("claims") or []:
            if region and not region.contains(claim.station.region):
                self.add_error("claims", f"{claim} 不在{region.name}。")
            if data.get("year") and claim.year != data["year"]:
                self.add_error("claims", f"{claim} 不是 {data['year']} 年度的申报。")
            if claim.entitlement.amount <= 0:
                # A correction took the amount to 0 after the review: the public must not see it.
                self.add_error("claims", f"{claim} 的应享补助已更正为 0 元，请将其不予补助。")
        return data


@admin.register(PayeeNotice)
class PayeeNoticeAdmin(ScopedAdmin):
    form = PayeeNoticeForm
    list_display = ["title", "region", "year", "starts_at", "ends_at", "public_link"]
    list_filter = ["year"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None and "claims" in form.base_fields:
            # Not form.base_fields["claims"].queryset = ...: that Field object is shared by every form
            # class made from PayeeNoticeForm, so one clerk's request would set another's choices.
            noticeable = states_open_to(move_named(CLAIM_MOVES, "notice"), CLAIM_TRANSITIONS)
            reviewed = (
                claim_list(actor=request.user)
                .filter(status__in=noticeable)
                .select_related("entitlement", "station__region")
            )

            class ScopedPayeeNoticeForm(form):
                def __init__(self, *args, **kwargs):
                    super().__init__(*args, **kwargs)
                    self.fields["claims"].queryset = reviewed

            return ScopedPayeeNoticeForm
        return form

    def get_fields(self, request, obj=None):
        return (
            ["region", "year", "title", "starts_at", "ends_at", "claims"]
            if obj is None
            else [
                "region",
                "year",
                "title",
                "starts_at",
                "ends_at",
                "published_by",
                "published_at",
                "public_link",
                "claim_list",
            ]
        )

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    @admin.display(description="公示页面")
    def public_link(self, obj):
        url = reverse("subsidies_public:payee_notice", args=[obj.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">打开公示页面</a>', url)

    @admin.display(description="公示名单")
    def claim_list(self, obj):
        # The same claims as the public page. The amount is formatted here: format_html_join escapes
        # each value into a string first, so "{:,.2f}" in its template raised ValueError, which the
        # admin swallowed into an empty field.
        claims = payee_notice_claims(obj)
        return (
            format_html_join(
                "",
                "<div>{} {} {} {} 元</div>",
                ((c.station.code, c.station.name, c.get_kind_display(), f"{c.amount:,.2f}") for c in claims),
            )
            or "（无）"
        )

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # The form checked the period, region and year; the service checks them again and moves the claims.
        notice = payee_notice_publish(
            region=obj.region,
            year=obj.year,
            title=obj.title,
            starts_at=obj.starts_at,
            ends_at=obj.ends_at,
            claims=list(form.cleaned_data["claims"]),
            actor=request.user,
        )
        obj.pk = notice.pk


@admin.register(PlacementRoster)
class PlacementRosterAdmin(ScopedAdmin):
    list_display = ["station", "year", "row_count", "source_name", "imported_by", "imported_at"]
    list_filter = ["year"]
    search_fields = ["station__code", "station__name"]
    list_select_related = ["station", "imported_by"]
    fields = [
        "station",
        "year",
        "row_count",
        "source_name",
        "imported_by",
        "imported_at",
        "links",
        "rows_table",
    ]
    readonly_fields = fields

    def get_urls(self):
        # The duplicates' routes first: "<id>/full/" would otherwise take "duplicates/2024/full/".
        return [
            path(
                "duplicates/<int:year>/",
                self.admin_site.admin_view(self.duplicates_view),
                name="subsidies_placementroster_duplicates",
            ),
            path(
                "duplicates/<int:year>/full/",
                self.admin_site.admin_view(self.duplicates_full_view),
                name="subsidies_placementroster_duplicates_full",
            ),
            path(
                "<int:object_id>/export.xlsx",
                self.admin_site.admin_view(self.export_view),
                name="subsidies_placementroster_export",
            ),
            path(
                "<int:object_id>/export-full/",
                self.admin_site.admin_view(self.export_full_view),
                name="subsidies_placementroster_export_full",
            ),
            path(
                "<int:object_id>/full/",
                self.admin_site.admin_view(self.full_view),
                name="subsidies_placementroster_full",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="导出与核对")
    def links(self, obj):
        links = format_html(
            '<a class="button" href="{}">导出 Excel（脱敏）</a> <a class="button" href="{}">{} 年重复推荐人员</a>',
            reverse("admin:subsidies_placementroster_export", args=[obj.pk]),
            reverse("admin:subsidies_placementroster_duplicates", args=[obj.year]),
            obj.year,
        )
        if may_see_personal_data(obj.viewer):
            links += format_html(
                ' <a class="button" href="{}">显示完整信息</a> <a class="button" href="{}">导出（含完整身份证号）</a>',
                reverse("admin:subsidies_placementroster_full", args=[obj.pk]),
                reverse("admin:subsidies_placementroster_export_full", args=[obj.pk]),
            )
        return links

    @admin.display(description="人员（前 200 行）")
    def rows_table(self, obj):
        # Masked for everyone here: the full numbers are one click away, behind a purpose and a record.
        return render_to_string(
            "subsidies/_roster_rows.html",
            {
                "rows": obj.rows.all()[:ROWS_SHOWN],
                "reveal": False,
                "warnings": roster_duplicate_warnings(
                    obj, nameable=set(station_list(actor=obj.viewer).values_list("pk", flat=True))
                ),
            },
        )

    def get_object(self, request, object_id, from_field=None):
        # The page offers the full data by the viewer's role; the admin instance is shared, the object is not.
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.viewer = request.user
        return obj

    def _roster(self, request, object_id) -> PlacementRoster:
        roster = roster_list(actor=request.user).filter(pk=object_id).first()
        if roster is None:
            raise Http404
        return roster

    def export_view(self, request, object_id):
        """The roster as Excel, ID numbers and phones masked: anyone who sees the roster, no reason asked."""
        roster = self._roster(request, object_id)
        return stream_xlsx(
            roster_sheets(roster, reveal=False), f"roster-{roster.station.code}-{roster.year}.xlsx"
        )

    def _purpose_page(self, request, *, form, title, intro, submit_label, back_url):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "form": form,
            "submit_label": submit_label,
            "back_url": back_url,
            "opts": self.opts,
        }
        return TemplateResponse(request, "admin/personal_data_purpose.html", context)

    def _purpose(self, request, *, export: bool, what: str, count: int, back_url: str):
        """(the purpose page, "") on a GET or a bad purpose; (None, the purpose) once one is given.

        The caller records the access with the purpose, and only then shows or sends anything in full.
        """
        if not may_see_personal_data(request.user):
            raise Forbidden("您的岗位不需要查看完整的身份证号和手机号，只能查看脱敏信息。")
        form = PurposeForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            return None, form.purpose_text()
        verb = "导出" if export else "查看"
        page = self._purpose_page(
            request,
            form=form,
            title=f"{verb}完整个人信息",
            intro=f"您将{verb}“{what}”中 {count} 人的完整身份证号和手机号。"
            f"本次{verb}将记录您的账号、时间、内容、人数和用途。",
            submit_label="导出（含完整身份证号）" if export else "显示完整信息",
            back_url=back_url,
        )
        return page, ""

    def export_full_view(self, request, object_id):
        roster = self._roster(request, object_id)
        page, purpose = self._purpose(
            request,
            export=True,
            what=roster_description(roster),
            count=roster.row_count,
            back_url=reverse("admin:subsidies_placementroster_change", args=[roster.pk]),
        )
        if page is not None:
            return page
        roster_access_record(
            roster=roster, actor=request.user, export=True, count=roster.row_count, purpose=purpose
        )
        response = stream_xlsx(
            roster_sheets(roster, reveal=True), f"roster-{roster.station.code}-{roster.year}-full.xlsx"
        )
        add_never_cache_headers(response)
        return response

    def full_view(self, request, object_id):
        roster = self._roster(request, object_id)
        what = roster_description(roster)
        shown = min(roster.row_count, ROWS_SHOWN)
        back_url = reverse("admin:subsidies_placementroster_change", args=[roster.pk])
        page, purpose = self._purpose(request, export=False, what=what, count=shown, back_url=back_url)
        if page is not None:
            return page
        roster_access_record(roster=roster, actor=request.user, export=False, count=shown, purpose=purpose)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{what}（完整信息）",
            "rows_html": render_to_string(
                "subsidies/_roster_rows.html", {"rows": roster.rows.all()[:ROWS_SHOWN], "reveal": True}
            ),
            "purpose": purpose,
            "back_url": back_url,
            "opts": self.opts,
        }
        response = TemplateResponse(request, "admin/subsidies/roster_full.html", context)
        add_never_cache_headers(response)
        return response

    def duplicates_view(self, request, year):
        rows = placements_of_duplicates(actor=request.user, year=year)[:DUPLICATES_SHOWN]
        context = {
            **self.admin_site.each_context(request),
            "title": f"{year} 年被多个站点推荐的人员",
            "rows": rows,
            "reveal": False,
            "full_url": reverse("admin:subsidies_placementroster_duplicates_full", args=[year])
            if may_see_personal_data(request.user)
            else "",
            "opts": self.opts,
        }
        return TemplateResponse(request, "subsidies/duplicates.html", context)

    def duplicates_full_view(self, request, year):
        rows = list(placements_of_duplicates(actor=request.user, year=year)[:DUPLICATES_SHOWN])
        what = f"{year} 年被多个站点推荐的人员"
        back_url = reverse("admin:subsidies_placementroster_duplicates", args=[year])
        page, purpose = self._purpose(request, export=False, what=what, count=len(rows), back_url=back_url)
        if page is not None:
            return page
        duplicates_access_record(year=year, rows=rows, actor=request.user, purpose=purpose)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{what}（完整信息）",
            "rows": rows,
            "reveal": True,
            "purpose": purpose,
            "back_url": back_url,
            "opts": self.opts,
        }
        response = TemplateResponse(request, "subsidies/duplicates.html", context)
        add_never_cache_headers(response)
        return response

    def has_add_permission(self, request):
        return False  # rosters are imported from Excel in the portal or with import_roster

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Payout)
class PayoutAdmin(ReadOnlyScopedAdmin):
    list_display = ["claim", "paid_on", "amount", "voucher_number", "recorded_by"]
    list_select_related = ["claim__station", "recorded_by"]
    search_fields = ["voucher_number", "claim__station__code"]
    readonly_fields = ["claim", "paid_on", "amount", "masked", "voucher_number", "recorded_by", "recorded_at"]
    fields = readonly_fields

    @admin.display(description="收款账号")
    def masked(self, obj):
        return obj.masked_account  # the account paid to, as recorded with the payout
