"""Small forms behind the admin's workflow pages. Each takes the object it acts on as `obj`."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from assessment import rule_editor
from assessment.engine.decimal_math import NotANumber, NumberProblem, parse_decimal
from assessment.forms import SheetInputsForm
from assessment.models import ScoreSheet
from assessment.scoring import input_fields
from assessment.services.sheet_import import MAX_IMPORT_BYTES
from core.upload_limits import FORM_OVERHEAD_BYTES


class ConfirmForm(forms.Form):
    intro = ""

    def __init__(self, *args, obj, **kwargs):
        super().__init__(*args, **kwargs)
        self.obj = obj


class CampaignOpenForm(ConfirmForm):
    stations = forms.ModelMultipleChoiceField(
        label="参评站点",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text="默认选中全部符合条件的站点。",
    )

    def __init__(self, *args, obj, **kwargs):
        from assessment.services.campaigns import eligible_stations
        from stations.models import Station

        super().__init__(*args, obj=obj, **kwargs)
        eligible, left_out = eligible_stations(obj)
        self.fields["stations"].queryset = Station.objects.filter(pk__in=[s.pk for s in eligible]).order_by(
            "code"
        )
        self.fields["stations"].initial = [s.pk for s in eligible]
        lines = [f"政策：{obj.policy}（开始后冻结，不再修改）；期间：{'、'.join(obj.periods)}。"]
        if left_out:
            lines.append("以下站点不符合参评条件，不列入：")
            lines += [f"  {s.code} {s.name}:{why}" for s, why in left_out]
        self.intro = "\n".join(lines)


# How far ahead the notice form looks for a year whose holiday list is not entered.
NOTICE_LOOKAHEAD_DAYS = 90


class CampaignNoticeForm(ConfirmForm):
    """The notice's first and last day (China dates); the last day proposed is the earliest the policy allows.

    A period reaching a year whose holiday list is not entered is counted by weekdays only: the
    form says so and asks the clerk to tick that they know before it is accepted.
    """

    # ISO dates: a date input shows nothing for the localised "2026/12/07".
    first_day = forms.DateField(
        label="公示第一天", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    last_day = forms.DateField(
        label="公示最后一天", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    without_calendar = forms.BooleanField(
        label="节假日安排尚未录入的年份仍按周一至周五计算工作日", required=False
    )

    def __init__(self, *args, obj, **kwargs):
        from core.working_days import add_working_days, unrecorded_message, unrecorded_years, working_calendar

        super().__init__(*args, obj=obj, **kwargs)
        today = timezone.localdate()
        minimum = obj.policy.result_notice_working_days
        horizon = today + timezone.timedelta(days=NOTICE_LOOKAHEAD_DAYS)
        calendar = working_calendar(today, horizon)
        last = add_working_days(today, minimum, calendar) if minimum else today + timezone.timedelta(days=7)
        missing = unrecorded_years(today, horizon, calendar)
        if not missing:
            del self.fields["without_calendar"]  # every year a notice given now may reach is entered
        self.fields["first_day"].initial = today
        self.fields["last_day"].initial = last
        lines = []
        if minimum:
            self.fields["last_day"].help_text = (
                f"政策“{obj.policy}”要求公示期不少于{minimum}个工作日（按节假日安排计，含第一天和最后一天），"
                "已填入最早可结束的日期。"
            )
        if missing:
            # Said before the clerk picks the days, not only when the notice is refused.
            lines.append(unrecorded_message(missing))
        lines.append(
            "公示从第一天 0 时起，到最后一天 24 时止。公示期间，任何人都可以在公示页面对结果提出异议；"
            "所有异议答复完毕且公示期满后，才能通报结果。"
        )
        self.intro = "\n".join(lines)

    def clean(self):
        from core.working_days import unrecorded_message, unrecorded_years, working_calendar

        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and last >= first and not data.get("without_calendar"):
            missing = unrecorded_years(first, last, working_calendar(first, last))
            if missing:
                confirm = (
                    "如仍要发布，请勾选下方按周一至周五计算。" if "without_calendar" in self.fields else ""
                )
                self.add_error("last_day", unrecorded_message(missing) + confirm)
        return data


class CampaignImportForm(ConfirmForm):
    # The request may carry the largest sheet data file the import reads (core/upload_limits.py).
    upload_limit = MAX_IMPORT_BYTES + FORM_OVERHEAD_BYTES
    file = forms.FileField(label="Excel 文件", help_text="请先下载模板，按模板填写后上传（.xlsx）。")

    def __init__(self, *args, obj, **kwargs):
        from django.urls import reverse

        super().__init__(*args, obj=obj, **kwargs)
        url = reverse("admin:assessment_campaign_import_template", args=[obj.pk])
        self.fields[
            "file"
        ].help_text = f'请先<a href="{url}">下载模板</a>，按模板填写后上传（.xlsx）。全部行校验通过才会导入。'
        self.intro = (
            "导入的数据作为现场评估（数据分析）数据；已审定锁定的评分表不能导入，请用“更正”。"
            "较大的文件转入后台导入，页面会显示进度。"
        )


class SheetLockForm(ConfirmForm):
    reason = forms.CharField(label="审定意见", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, obj, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        self.intro = (
            f"按现场评估数据审定并锁定：现场评估总分 {obj.onsite_total} 分。锁定后只能通过“更正”修改。"
        )


class SheetReturnForm(ConfirmForm):
    reason = forms.CharField(
        label="退回原因",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="运营方在站点门户看到这段说明，请写明需要修改或补充的内容。",
    )

    def __init__(self, *args, obj, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        due = timezone.localtime(obj.campaign.self_evaluation_due)
        self.intro = (
            f"将“{obj}”的自评退回运营方修改：评分表回到“{ScoreSheet.Status.DRAFT.label}”，已填数据和材料保留，"
            "运营方修改后重新提交。退回会记入操作记录，并通知运营方。"
            f"\n自评截止时间（{due:%Y年%m月%d日 %H:%M}）不变；被退回的评分表截止后仍可重新提交。"
        )


class SheetCorrectionForm(SheetInputsForm):
    """The final column's inputs, prefilled, and the reason for the correction."""

    def __init__(self, *args, obj: ScoreSheet, **kwargs):
        fields = input_fields(obj.campaign.policy, kind=obj.station.kind, month=obj.month)
        super().__init__(*args, fields=fields, values=obj.final_inputs, **kwargs)
        self.fields["reason"] = forms.CharField(label="更正原因", widget=forms.Textarea(attrs={"rows": 3}))
        self.intro = f"当前审定总分 {obj.final_total} 分。更正会记录原因；结果已计算的，将自动重新计算。"


class ObjectionAnswerForm(ConfirmForm):
    response = forms.CharField(label="答复", widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args, obj, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        self.intro = (
            f"受理编号：{obj.reference}；异议人：{obj.name}；涉及站点：{obj.station}\n理由：{obj.reason}"
        )


def evidence_table(files) -> str:
    """The evidence files as a table the bureau reads and opens: name (a link through the scoped file
    view), kind, size, when (China time) and by whom (by name). "无" when there are none."""
    from django.template.defaultfilters import filesizeformat
    from django.urls import reverse

    from core.people import person_name

    rows = [
        (
            reverse("assessment:evidence_download", args=[e.pk]),
            e.original_name,
            e.get_kind_display(),
            filesizeformat(e.size),
            f"{timezone.localtime(e.uploaded_at):%Y-%m-%d %H:%M}",
            person_name(e.uploaded_by),
        )
        for e in files
    ]
    if not rows:
        return format_html('<p class="evidence-none">{}</p>', "无（运营方未上传材料）")
    return format_html(
        '<table class="evidence-files"><thead><tr><th>文件</th><th>类别</th><th>大小</th>'
        "<th>上传时间</th><th>上传人</th></tr></thead><tbody>{}</tbody></table>",
        format_html_join(
            "",
            '<tr><td><a href="{}" target="_blank" rel="noopener">{}</a></td>'
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            rows,
        ),
    )


class _Shown(forms.Widget):
    """A widget that shows ready-made HTML and takes no input (a disabled field renders it)."""

    def __init__(self, html: str):
        super().__init__()
        self.html = html

    def render(self, name, value, attrs=None, renderer=None):
        return self.html


def shown_field(label: str, html: str) -> forms.Field:
    """A read-only line of a workflow form: what the clerk must see before deciding."""
    return forms.Field(label=label, required=False, disabled=True, widget=_Shown(html))


class RectificationIssueForm(forms.ModelForm):
    """The admin's form for a new order: the deadline is checked here, so a deadline of today or
    earlier is an error next to the field, not a refusal from the service while saving (a 500)."""

    def clean_deadline(self):
        from assessment.services.rectification import deadline_refusal

        deadline = self.cleaned_data.get("deadline")
        if refusal := deadline_refusal(deadline):
            raise forms.ValidationError(refusal)
        return deadline

    def clean_problems(self):
        problems = (self.cleaned_data.get("problems") or "").strip()
        if not problems:
            raise forms.ValidationError("请写明需要整改的问题。")
        return problems


def _require_new_deadline(form: forms.Form, *, needed: bool, what: str) -> None:
    from assessment.services.rectification import deadline_refusal

    if not needed or "new_deadline" in form.errors:
        return
    if refusal := deadline_refusal(form.cleaned_data.get("new_deadline"), what=what):
        form.add_error("new_deadline", refusal)


class RectificationVerifyForm(ConfirmForm):
    accepted = forms.TypedChoiceField(
        label="核实结论",
        choices=[("true", "整改到位"), ("false", "未整改到位，退回重新整改")],
        coerce=lambda v: v == "true",
    )
    note = forms.CharField(label="核实意见", widget=forms.Textarea(attrs={"rows": 3}))
    new_deadline = forms.DateField(
        label="新的整改期限",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="退回重新整改时必填，须晚于今天。",
    )

    def __init__(self, *args, obj, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        responded = (
            f"（{timezone.localtime(obj.responded_at):%Y-%m-%d %H:%M} 提交）" if obj.responded_at else ""
        )
        self.intro = f"存在问题：{obj.problems}\n整改情况{responded}：{obj.response}"
        # The operator's files are what the verification checks: shown first, each opens in a new tab.
        self.fields = {
            "evidence": shown_field("整改材料", evidence_table(obj.evidence.select_related("uploaded_by"))),
            **self.fields,
        }

    def clean(self):
        cleaned = super().clean()
        _require_new_deadline(self, needed=cleaned.get("accepted") is False, what="退回重新整改的新期限")
        return cleaned


class RevocationProposalForm(ConfirmForm):
    reason = forms.CharField(label="提请理由", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, obj, **kwargs):
        from assessment.services.rectification import revocation_note

        super().__init__(*args, obj=obj, **kwargs)
        self.intro = revocation_note(obj)


class RevocationDecisionForm(ConfirmForm):
    approve = forms.TypedChoiceField(
        label="审批结论",
        choices=[("true", "同意撤销站点资格"), ("false", "不同意，给予新的整改期限")],
        coerce=lambda v: v == "true",
    )
    reason = forms.CharField(label="审批意见", widget=forms.Textarea(attrs={"rows": 3}))
    new_deadline = forms.DateField(
        label="新的整改期限",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="不同意撤销时必填，须晚于今天。",
    )

    def clean(self):
        cleaned = super().clean()
        _require_new_deadline(self, needed=cleaned.get("approve") is False, what="不予撤销时的新整改期限")
        return cleaned


# ---------------------------------------------------------------- policy and campaign forms
#
# The policy's JSON columns keep the shapes the engine, the seeds and `evaluate` read; these forms
# only put choices, checkboxes and labelled fields in front of them, so no clerk types a code.

ELIMINATION_SCOPE_LABELS = {"all_units": "全部参评单位", "ranked_units": "仅参与排名的单位"}
GROUP_REWARD_RULE_LABELS = {
    "group_best": "无单位被淘汰的小组中得分最高的单位",
    "whole_group": "无单位被淘汰的小组中的每个单位",
}
ONE_TIME_BASIS_LABELS = {
    "": "无",
    "first_recognition": "首次认定当年发放",
    "start_up": "年初确定创建单位时发放",
}
MONTH_CHOICES = [(month, f"{month}月") for month in range(1, 13)]


class UnitInput(forms.NumberInput):
    """A number with its unit after it (“元”, “分”), so an amount reads as it does on paper."""

    def __init__(self, unit: str, attrs=None):
        super().__init__(attrs={"class": "amount", "step": "0.01", "min": "0", **(attrs or {})})
        self.unit = unit

    def render(self, name, value, attrs=None, renderer=None):
        from django.utils.html import format_html

        return format_html(
            '{}<span class="unit">{}</span>', super().render(name, value, attrs, renderer), self.unit
        )


def _levels():
    from stations.models import Station

    return Station.RecognitionLevel.choices


def _kind_choices():
    from stations.models import StationKind

    return StationKind.choices


def _fixed_band_field(level_label: str) -> forms.CharField:
    return forms.CharField(
        label=f"{level_label}单位的固定档次名称",
        required=False,
        max_length=32,
        help_text="不参与排名、直接归入固定档次时填写，如“区级”；不适用留空。",
    )


class PolicyForm(forms.ModelForm):
    """The policy's own row: kinds and ranked levels as checkboxes, fixed bands as named fields."""

    kinds = forms.MultipleChoiceField(
        label="适用站点类型",
        choices=_kind_choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choice-row"}),
    )
    ranked_levels = forms.MultipleChoiceField(
        label="参与排名的认定级别",
        choices=_levels,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choice-row"}),
        required=False,
        help_text="按排名比例分档时，这些认定级别的单位按得分排名分档。",
    )
    elimination_scope = forms.ChoiceField(
        label="淘汰比较范围",
        choices=[("", "—"), *ELIMINATION_SCOPE_LABELS.items()],
        required=False,
    )
    one_time_basis = forms.ChoiceField(
        label="一次性补助依据", choices=list(ONE_TIME_BASIS_LABELS.items()), required=False
    )
    group_reward_rule = forms.ChoiceField(
        label="捆绑考核奖励对象",
        choices=[("", "—"), *GROUP_REWARD_RULE_LABELS.items()],
        required=False,
        help_text="填写奖励金额后生效；金额留空表示不设奖励，填 0 表示设奖励但金额未定。",
    )

    class Meta:
        from assessment.models import Policy

        model = Policy
        fields = [
            "version",
            "name",
            "region",
            "year",
            "period",
            "kinds",
            "source",
            "notes",
            "rubric_max_points",
            "tier_method",
            "fallback_label",
            "ranked_levels",
            "elimination_lowest_count",
            "elimination_below_score",
            "elimination_scope",
            "group_deduction_amount",
            "group_reward_amount",
            "group_reward_rule",
            "one_time_basis",
            "one_time_label",
            "min_months_recognised",
            "purchase_of_services_excluded",
            "annual_report",
        ]
        widgets = {"group_deduction_amount": UnitInput("元"), "group_reward_amount": UnitInput("元")}

    # One named field per recognition level (Station.RecognitionLevel): the band a level gets
    # without ranking (Heshan's 区级). Its code stays what it was, or is the level's own name.
    fixed_band_province = _fixed_band_field("省级")
    fixed_band_city = _fixed_band_field("市级")
    fixed_band_district = _fixed_band_field("区（县）级")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bands, labels = self.instance.level_bands or {}, self.instance.level_band_labels or {}
        for level, _ in _levels():
            if level in bands:
                self.fields[f"fixed_band_{level}"].initial = labels.get(level, "")

    def clean_kinds(self):
        chosen = self.cleaned_data["kinds"]
        before = self.instance.kinds or []
        if set(chosen) == set(before):
            return list(before)  # unchanged: keep the stored order, so nothing differs from the seed
        return [value for value, _ in _kind_choices() if value in chosen]

    def clean_ranked_levels(self):
        chosen = self.cleaned_data["ranked_levels"]
        before = self.instance.ranked_levels or []
        if set(chosen) == set(before):
            return list(before)
        return [value for value, _ in _levels() if value in chosen]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("tier_method") == "ranked":
            self._clean_fixed_bands(cleaned)
        elif cleaned.get("fallback_label") and not self.instance.fallback_tier:
            self.instance.fallback_tier = "below"  # the code of "below the lowest tier"
        eliminating = [cleaned.get(f) for f in ("elimination_lowest_count", "elimination_below_score")]
        if any(value is not None for value in eliminating) and None in eliminating:
            self.add_error("elimination_lowest_count", "末位淘汰名额与淘汰分数线须同时填写，或同时留空。")
        if all(value is not None for value in eliminating) and not cleaned.get("elimination_scope"):
            cleaned["elimination_scope"] = "all_units"
        # The reward's rule goes with its amount: no amount, no rule; an amount, a rule (default
        # the group's best, the reading of 004's "带动好的社区(村)").
        if cleaned.get("group_reward_amount") is None:
            cleaned["group_reward_rule"] = ""
        elif not cleaned.get("group_reward_rule"):
            cleaned["group_reward_rule"] = "group_best"
        return cleaned

    def _clean_fixed_bands(self, cleaned):
        """The fixed-band fields as the level_bands / level_band_labels the engine reads."""
        before = self.instance.level_bands or {}
        bands, labels = {}, {}
        for level, level_label in _levels():
            name = (cleaned.get(f"fixed_band_{level}") or "").strip()
            if not name:
                continue
            if level in (cleaned.get("ranked_levels") or []):
                self.add_error(f"fixed_band_{level}", f"{level_label}已勾选参与排名，不能同时设固定档次。")
            bands[level], labels[level] = before.get(level, level), name
        self.level_bands, self.level_band_labels = bands, labels
        if not (cleaned.get("ranked_levels") or bands):
            self.add_error(
                "ranked_levels", "按排名比例分档时，请至少勾选一个参与排名的认定级别或填写固定档次。"
            )

    def _post_clean(self):
        # Before the model's own check (a fixed band must have a name), which reads these.
        if hasattr(self, "level_bands"):
            self.instance.level_bands = self.level_bands
            self.instance.level_band_labels = self.level_band_labels
        super()._post_clean()


# A stored tier the policy no longer has (its tier renamed or removed since).
UNKNOWN_TIER = "（本政策没有的等次）"


class _CodedRowForm(forms.ModelForm):
    """A tier or band row whose code is made, not typed: clerks name a tier, the engine keys it."""

    code_prefix = "tier"

    def save(self, commit=True):
        row = super().save(commit=False)
        if not row.code:
            used = set(type(row).objects.filter(policy=row.policy_id).values_list("code", flat=True))
            number = len(used) + 1
            while f"{self.code_prefix}{number}" in used:
                number += 1
            row.code = f"{self.code_prefix}{number}"
        if commit:
            row.save()
        return row


class TierThresholdForm(_CodedRowForm):
    code_prefix = "tier"

    class Meta:
        from assessment.models import TierThreshold

        model = TierThreshold
        fields = ["label", "min_score"]
        widgets = {"min_score": UnitInput("分")}


class RankedBandForm(_CodedRowForm):
    code_prefix = "band"

    class Meta:
        from assessment.models import RankedBand

        model = RankedBand
        fields = ["position", "label", "weight"]


class SubsidyAmountForm(forms.ModelForm):
    """A row of the amounts table: kind and tier chosen by name, the amount in 元."""

    policy = None  # set by the inline for the policy on the page
    policy_tiers: list[tuple[str, str]] | None = None  # its tiers, read once for all the rows

    class Meta:
        from assessment.models import SubsidyAmount

        model = SubsidyAmount
        fields = ["kind", "tier", "amount"]
        widgets = {"amount": UnitInput("元")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from assessment.selectors import policy_tiers

        choices = list(self.policy_tiers if self.policy_tiers is not None else policy_tiers(self.policy))
        stored = self.instance.tier
        if stored and stored not in dict(choices):
            choices.append((stored, UNKNOWN_TIER))
        self.fields["tier"] = forms.ChoiceField(
            label="等次/档次",
            choices=[("", "—"), *choices],
            help_text="" if choices else "请先添加等次并保存。",
        )
        if self.policy is not None and self.policy.kinds:
            self.fields["kind"].choices = [("", "—")] + [
                (value, label) for value, label in _kind_choices() if value in self.policy.kinds
            ]


class OneTimeAmountForm(forms.ModelForm):
    class Meta:
        from assessment.models import OneTimeAmount

        model = OneTimeAmount
        fields = ["kind", "amount"]
        widgets = {"amount": UnitInput("元")}


class PolicyCopyForm(ConfirmForm):
    """The copy a clerk makes of a policy: for the same year (a corrected version) or a new year."""

    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    name = forms.CharField(
        label="名称", max_length=200, widget=forms.TextInput(attrs={"class": "vTextField"})
    )

    def __init__(self, *args, obj, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        self.fields["year"].initial = obj.year
        self.fields["name"].initial = obj.name
        self.fields["name"].help_text = "年度改了而名称未改时，名称中的年份随之改为新年度。"
        self.intro = (
            f"复制“{obj}”的评分表、等次和补助标准。同一年度：复制为下一版本，用于修改已冻结的政策；"
            "新的年度：复制为该年度的政策（第 1 版），供新年度的考核批次使用。"
        )

    def clean(self):
        cleaned = super().clean()
        year, name = cleaned.get("year"), cleaned.get("name")
        if year and name and year != self.obj.year and name == self.obj.name:
            cleaned["name"] = name.replace(str(self.obj.year), str(year))
        return cleaned


class CampaignForm(forms.ModelForm):
    """The campaign's months as twelve checkboxes; stored as the sorted list of month numbers."""

    months = forms.TypedMultipleChoiceField(
        label="评分月份",
        choices=MONTH_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "month-picker"}),
        help_text="按月评分的政策勾选评分的月份；按年度评分的政策不勾选。",
    )

    class Meta:
        from assessment.models import Campaign

        model = Campaign
        fields = [
            "code",
            "name",
            "policy",
            "region",
            "year",
            "months",
            "self_evaluation_due",
            "onsite_due",
            "assessed_on",
            "gap_threshold",
        ]

    def clean_months(self):
        return sorted(set(self.cleaned_data["months"]))


# ---------------------------------------------------------------- the rubric item and its rule
#
# The rule's parameters as labelled fields (assessment/rule_editor.py maps them to the stored
# params and inputs). Every rule's fields are on the page; static/js/rule-editor.js shows the
# chosen rule's, and without JavaScript the others are simply ignored on saving.


class RowsWidget(forms.MultiWidget):
    """A small table of rows (a step table, a list of conditions): one input per column and row."""

    def __init__(self, columns, rows: int):
        # columns: (key, heading, widget maker, default value of an untouched row)
        self.columns, self.rows = columns, rows
        super().__init__([make() for _ in range(rows) for _, _, make, _ in columns])

    def decompress(self, value):
        rows = value if isinstance(value, list) else []
        flat = []
        for index in range(self.rows):
            row = rows[index] if index < len(rows) and isinstance(rows[index], dict) else {}
            flat += [row.get(key) or default for key, _, _, default in self.columns]
        return flat

    def flat(self, value) -> list:
        if (
            isinstance(value, list)
            and len(value) == len(self.widgets)
            and not any(isinstance(v, dict) for v in value)
        ):
            return value
        return self.decompress(value)

    def render(self, name, value, attrs=None, renderer=None):
        values = self.flat(value)
        base_id = (attrs or {}).get("id") or self.attrs.get("id") or name
        heads = format_html_join("", "<th>{}</th>", ((heading,) for _, heading, _, _ in self.columns))
        width = len(self.columns)
        rows = []
        for row in range(self.rows):
            cells = []
            for column in range(width):
                index = row * width + column
                widget = self.widgets[index]
                key = self.columns[column][0]
                cells.append(
                    format_html(
                        '<td class="col-{}">{}</td>',
                        key,
                        widget.render(
                            f"{name}_{index}",
                            values[index],
                            {
                                "id": f"{base_id}_{index}",
                                "aria-label": f"第 {row + 1} 行 {self.columns[column][1]}",
                            },
                            renderer,
                        ),
                    )
                )
            rows.append(
                format_html(
                    '<tr><th class="row-number">{}</th>{}</tr>',
                    row + 1,
                    format_html_join("", "{}", ((c,) for c in cells)),
                )
            )
        return format_html(
            '<table class="rule-rows"><thead><tr><th class="row-number">行</th>{}</tr></thead><tbody>{}</tbody></table>',
            heads,
            format_html_join("", "{}", ((r,) for r in rows)),
        )

    def id_for_label(self, id_):
        return f"{id_}_0" if id_ else id_


class RowsField(forms.MultiValueField):
    """The rows typed, as [{"row": 1, key: "text", …}], rows left empty dropped; checked by the rule editor."""

    def __init__(self, columns, rows: int, **kwargs):
        self.columns = columns
        super().__init__(
            fields=[forms.CharField(required=False, max_length=200) for _ in range(rows * len(columns))],
            widget=RowsWidget(columns, rows),
            require_all_fields=False,
            required=False,
            **kwargs,
        )

    def compress(self, data_list):
        width = len(self.columns)
        rows = []
        for start in range(0, len(data_list or []), width):
            row = {key: (data_list[start + i] or "").strip() for i, (key, _, _, _) in enumerate(self.columns)}
            # A row with nothing typed (its list at its default) is no row.
            if any(row[key] and row[key] != default for key, _, _, default in self.columns):
                rows.append({"row": start // width + 1, **row})
        return rows

    def has_changed(self, initial, data):
        if self.disabled:
            return False
        return self.compress(self.widget.flat(initial)) != self.compress(list(data or []))


class PreloadedItemField(forms.ModelChoiceField):
    """An item chosen among items already read for the whole page (a sub-item's parent, an item
    form's own id): the choices are those items and a choice is looked up among them, where a
    ModelChoiceField would run a query per form."""

    def __init__(self, items, **kwargs):
        from assessment.models import RubricItem

        items = list(items)
        self.items_by_pk = {item.pk: item for item in items}
        super().__init__(queryset=RubricItem.objects.none(), **kwargs)
        self.choices = [
            ("", self.empty_label),
            *((item.pk, self.label_from_instance(item)) for item in items),
        ]

    def to_python(self, value):
        if value in self.empty_values:
            return None
        key = getattr(value, "pk", value)
        try:
            return self.items_by_pk[int(key)]
        except (KeyError, TypeError, ValueError):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from None


def _number_cell():
    return forms.TextInput(attrs={"class": "rule-number", "inputmode": "decimal"})


def _test_cell():
    return forms.Select(choices=rule_editor.TEST_CHOICES)


STEP_COLUMNS = [
    ("at_least", "不低于", _number_cell, ""),
    ("below", "低于（最高一档空着）", _number_cell, ""),
    ("points", "得分", _number_cell, ""),
]


def _condition_columns(points_heading: str | None):
    columns = [
        ("name", "条件名称（如“建立服务台账”）", lambda: forms.TextInput(attrs={"class": "rule-name"}), ""),
        ("test", "怎样算达到", _test_cell, "flag"),
        ("least", "至少几个", _number_cell, ""),
    ]
    if points_heading:
        columns.append(("points", points_heading, _number_cell, ""))
    return columns


class RuleNumberField(forms.DecimalField):
    """A number of a rule, bounded as the engine bounds its parameters: "1e999999999" is a form
    error in words, never an overflow (a 500) when the rule editor writes it out."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_decimal(value)
        except NotANumber:
            raise forms.ValidationError("请填写数字。", code="invalid") from None
        except NumberProblem as problem:
            raise forms.ValidationError(f"{problem}，请检查填写的数字。", code="invalid") from None


def _decimal_field(label: str, help_text: str = "", *, unit: str = "", show_when: str = "", **kwargs):
    attrs = {"data-show-when": show_when} if show_when else {}
    widget = UnitInput(unit, attrs=attrs) if unit else forms.NumberInput(attrs={"step": "any", **attrs})
    return RuleNumberField(label=label, required=False, help_text=help_text, widget=widget, **kwargs)


def _text_field(label: str, help_text: str = "", *, show_when: str = "", size: int = 40, **kwargs):
    attrs = {"size": size, **({"data-show-when": show_when} if show_when else {})}
    return forms.CharField(
        label=label,
        required=False,
        max_length=200,
        help_text=help_text,
        widget=forms.TextInput(attrs=attrs),
        **kwargs,
    )


def _choice_field(label: str, choices, help_text: str = "", *, initial, show_when: str = ""):
    attrs = {"data-show-when": show_when} if show_when else {}
    return forms.ChoiceField(
        label=label,
        choices=choices,
        required=False,
        initial=initial,
        help_text=help_text,
        widget=forms.Select(attrs=attrs),
    )


def rule_label(rule: str) -> str:
    from assessment.rule_text import RULE_LABELS

    return RULE_LABELS.get(rule, "其他计分规则")


# The rule's fieldsets on the item: (heading, the rules that use them, field lines, description).
RULE_FIELDSETS = [
    (
        "评估人员评分",
        ("manual",),
        [],
        "评估人员按细则直接评定 0 至满分之间的得分；评分表上这一项的名称就是项目内容。",
    ),
    (
        "计数的数据",
        ("per_count_deduction", "per_count_award"),
        [("count_label", "count_unit"), "count_log"],
        "",
    ),
    (
        "扣分办法",
        ("per_count_deduction",),
        ["deduct_mode", ("deduct_step", "deduct_required", "deduct_free")],
        "扣完为止，不会扣成负分。",
    ),
    ("得分办法", ("per_count_award",), ["award_each"], "得分最多为本项满分。"),
    (
        "计量的数据",
        ("rate_vs_target", "proportional", "step_table"),
        [
            "measure_kind",
            "rate_label",
            ("done_label", "total_label"),
            "zero_denominator",
            ("value_label", "value_unit"),
            "measure_log",
        ],
        "",
    ),
    (
        "目标与扣分",
        ("rate_vs_target",),
        ["target", ("target_per", "target_step"), "target_partial"],
        "达到目标得满分；未达到的按差距扣分，扣完为止。",
    ),
    ("按比例得分", ("proportional",), [], "得分 = 本项满分 × 百分比（100% 及以上得满分）。"),
    (
        "分档",
        ("step_table",),
        ["steps", "steps_otherwise"],
        "每一档写“不低于”“低于”和得分；各档要首尾相接（上一档的“低于”等于下一档的“不低于”），最高一档的“低于”空着。没填的行不算。",
    ),
    (
        "条件（全部达到得满分）",
        ("all_or_nothing",),
        ["all_conditions", "all_otherwise"],
        "每个条件评估时填“是/否”或填个数。",
    ),
    ("条件与得分", ("per_condition",), ["cond_rows"], "达到的条件各得其分，合计最多为本项满分。"),
    (
        "条件与扣分",
        ("per_unmet_deduction",),
        ["unmet_rows", "unmet_step"],
        "全部达到得满分；每有一项未达到扣该项的分，扣完为止。",
    ),
    (
        "酌情扣分",
        ("discretionary_deduction",),
        ["most"],
        "评估人员填写扣几分，扣分时必须写明理由；评分表上自动出现“扣分”和“扣分理由”两栏。",
    ),
    (
        "各子项合计",
        ("capped_sum",),
        [],
        "本项得分 = 各分项得分之和，最多为本项满分。分项作为单独的项目添加，“上级项目”选本项。",
    ),
]


def rubric_item_fieldsets():
    """The item inline's fieldsets: the item, its rule's fields (one block per rule), where it applies."""
    fieldsets = [
        (None, {"fields": [("code", "position", "max_points"), "title", "rule", "rule_text", "inputs_text"]}),
    ]
    for heading, rules, lines, description in RULE_FIELDSETS:
        names = "、".join(rule_label(rule) for rule in rules)
        fieldsets.append(
            (
                f"{heading}（{names}）" if len(rules) > 1 else heading,
                {
                    "fields": lines,
                    "classes": ["rule-fields", *(f"for-{rule}" for rule in rules)],
                    "description": description,
                },
            )
        )
    fieldsets.append(("适用范围", {"fields": [("scored_from_month", "parent"), "kinds", "note"]}))
    return fieldsets


class RubricItemForm(forms.ModelForm):
    """An item with its rule chosen from a list and the rule's parameters as labelled fields.

    A rule the fields cannot show exactly (from a policy file: an expression, a reference value, a
    gate) stays as stored; its item's other fields are edited as usual.
    """

    # Read once per page by the inline and shared by its forms (a query per form otherwise):
    # (item pk, input name) of every item of the policy (new names avoid them); the section's items
    # (a sub-item's parent is one of them); the pks of the items that have sub-items.
    policy_inputs: tuple[tuple[int, str], ...] = ()
    section_items: tuple | None = None
    items_with_children: frozenset[int] | None = None

    kinds = forms.MultipleChoiceField(
        label="仅适用的站点类型",
        choices=_kind_choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choice-row"}),
        required=False,
        help_text="不勾选：适用于本政策的全部站点类型。",
    )

    count_label = _text_field("数据名称", "评估时填写的是什么的个数，如“群众有效投诉”“参加培训的人员”。")
    count_unit = _text_field("单位", "量词，如 人、户、条、家、件。", size=6, initial="个")
    deduct_mode = _choice_field("方式", rule_editor.MODE_CHOICES, initial="each")
    deduct_step = _decimal_field("每个扣分", unit="分")
    deduct_required = _decimal_field(
        "要求数量", "“比要求每少一个扣分”时填写，如要求 5 家。", show_when="deduct_mode:below"
    )
    deduct_free = _decimal_field(
        "不扣分的个数", "“每出现一个扣分”时可填：这么多个以内不扣分；不填为 0。", show_when="deduct_mode:each"
    )
    award_each = _decimal_field("每个得分", unit="分")
    count_log = _choice_field(
        "从工作日志取数",
        rule_editor.LOG_CHOICES,
        "选一项工作日志数据：评分表上显示站点日志在评分期间的合计并预填，现场核实不一致时须写明理由。",
        initial="",
    )

    measure_kind = _choice_field(
        "按什么计分",
        rule_editor.MEASURE_CHOICES,
        "评估时填写什么。“个数”“数值”只用于分档计分（如面积 20 平方米以上得 7 分）。",
        initial="rate",
    )
    rate_label = _text_field(
        "百分比的名称", "评估时直接填写的百分比，如“培训合格率”。", show_when="measure_kind:rate"
    )
    done_label = _text_field("完成数的名称", "如“已培训人数”。", show_when="measure_kind:ratio", size=24)
    total_label = _text_field(
        "目标数的名称", "如“应培训人数”。百分比 = 完成数 ÷ 目标数。", show_when="measure_kind:ratio", size=24
    )
    zero_denominator = _choice_field(
        "目标数为 0 时",
        rule_editor.ZERO_CHOICES,
        "分档计分选“视为未完成”时，按“低于最低一档得分”计。",
        initial="met",
        show_when="measure_kind:ratio",
    )
    value_label = _text_field(
        "数值的名称", "如“服务场所面积”“推荐成功就业人数”。", show_when="measure_kind:count number", size=24
    )
    value_unit = _text_field("单位", "如 平方米、人。", show_when="measure_kind:count number", size=6)
    measure_log = _choice_field(
        "从工作日志取数",
        rule_editor.LOG_CHOICES,
        "个数或完成数取自站点工作日志在评分期间的合计时选择；评分表上显示日志合计并预填。",
        initial="",
        show_when="measure_kind:count ratio",
    )

    target = _decimal_field("目标", "达到这个百分比得满分。", unit="%")
    target_per = _decimal_field("每差几个百分点", "通常为 1。", unit="个百分点", initial=Decimal(1))
    target_step = _decimal_field("扣几分", unit="分")
    target_partial = _choice_field("不足一档的处理", rule_editor.PARTIAL_CHOICES, initial="prorate")

    # Sized per item in __init__: never fewer rows than the item has (a hidden row is lost on saving).
    steps = RowsField(STEP_COLUMNS, rule_editor.STEP_ROWS, label="各档")
    steps_otherwise = _decimal_field("低于最低一档得分", "不填为 0 分。", unit="分")
    all_conditions = RowsField(_condition_columns(None), rule_editor.CONDITION_ROWS, label="条件")
    all_otherwise = _decimal_field("未全部达到时得分", "不填为 0 分。", unit="分")
    cond_rows = RowsField(_condition_columns("得分"), rule_editor.CONDITION_ROWS, label="条件")
    unmet_rows = RowsField(
        _condition_columns("扣分（空着按统一扣分）"), rule_editor.CONDITION_ROWS, label="条件"
    )
    unmet_step = _decimal_field("统一每项扣分", "每行没有单独填写扣分的条件，未达到时扣这么多分。", unit="分")
    most = _decimal_field("最多扣分", "不填：最多扣到本项满分。", unit="分")

    RULE_FIELD_NAMES = (
        "count_label", "count_unit", "deduct_mode", "deduct_step", "deduct_required", "deduct_free", "award_each",
        "measure_kind", "rate_label", "done_label", "total_label", "zero_denominator", "value_label", "value_unit",
        "count_log", "measure_log",
        "target", "target_per", "target_step", "target_partial", "steps", "steps_otherwise", "all_conditions",
        "all_otherwise", "cond_rows", "unmet_rows", "unmet_step", "most",
    )  # fmt: skip

    class Meta:
        from assessment.models import RubricItem

        model = RubricItem
        fields = [
            "position",
            "code",
            "title",
            "max_points",
            "rule",
            "scored_from_month",
            "kinds",
            "parent",
            "note",
        ]

    def __init__(self, *args, **kwargs):
        from assessment.rule_editor import EDITABLE_RULES, Before, fields_from_item

        super().__init__(*args, **kwargs)
        item = self.instance
        parent = self.fields.get("parent")
        if self.section_items is not None and parent is not None:
            self.fields["parent"] = PreloadedItemField(
                self.section_items,
                label=parent.label,
                required=False,
                widget=parent.widget,
                help_text=parent.help_text,
            )
        self.before = None
        values: dict | None = {}
        if item.pk:
            self.before = Before(
                rule=item.rule, params=item.params or {}, inputs=item.inputs or [], title=item.title
            )
            values = fields_from_item(
                item.rule, item.params or {}, item.inputs or [], title=item.title, code=item.code
            )
        self.rule_editable = values is not None
        if self.rule_editable:
            self.fields["rule"] = forms.ChoiceField(
                label="计分规则",
                choices=[(rule, rule_label(rule)) for rule in EDITABLE_RULES],
                initial="manual",
                help_text="选定后，下面只显示这种计分规则要填写的内容。",
                widget=forms.Select(attrs={"class": "rule-choice"}),
            )
            for name, value in values.items():
                self.initial[name] = value
            # As many rows as the item has, and one empty row to add another; at least the usual.
            for name in ("steps", "all_conditions", "cond_rows", "unmet_rows"):
                field = self.fields[name]
                wanted = max(field.widget.rows, len(values.get(name) or []) + 1)
                if wanted != field.widget.rows:
                    self.fields[name] = RowsField(field.columns, wanted, label=field.label)
        else:
            self.fields["rule"] = forms.ChoiceField(
                label="计分规则",
                choices=[(item.rule, rule_label(item.rule))],
                disabled=True,
                required=False,
                help_text="此规则来自政策文件，参数请在政策文件中修改。",
                widget=forms.Select(attrs={"class": "rule-choice"}),
            )
            for name in self.RULE_FIELD_NAMES:
                self.fields[name].disabled = True

    def clean_kinds(self):
        chosen = self.cleaned_data["kinds"]
        before = self.instance.kinds or []
        if set(chosen) == set(before):
            return list(before)
        return [value for value, _ in _kind_choices() if value in chosen]

    def clean_rule(self):
        # A rule the fields cannot show is never changed here (the select is disabled).
        return self.cleaned_data["rule"] if self.rule_editable else self.instance.rule

    def clean(self):
        from assessment.rule_editor import FieldProblems, item_from_fields, same_inputs, same_params

        cleaned = super().clean()
        self.rule_params = self.rule_inputs = None
        rule = cleaned.get("rule")
        if not self.rule_editable or not rule:
            return cleaned
        if rule != "capped_sum" and self.instance.pk and self._has_children():
            self.add_error("rule", "本项下面有分项，计分规则只能是“各子项合计”；请先把分项移走或删除。")
            return cleaned
        taken = {name for pk, name in self.policy_inputs if pk != self.instance.pk}
        try:
            params, inputs = item_from_fields(
                rule,
                cleaned,
                code=cleaned.get("code") or "",
                title=cleaned.get("title") or "",
                before=self.before,
                taken=taken,
            )
        except FieldProblems as problems:
            for name, messages in problems.problems.items():
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)
            return cleaned
        before = self.before
        if (
            before is not None
            and before.rule == rule
            and same_params(rule, params, before.params)
            and same_inputs(inputs, before.inputs)
        ):
            # Nothing that scores differs: keep what is stored, to the letter (as the file wrote it).
            params, inputs = dict(before.params), list(before.inputs)
        if not self.errors:  # the engine needs the item's own fields (its max) to be valid
            self._check_with_engine(rule, params, inputs, cleaned)
        self.rule_params, self.rule_inputs = params, inputs
        return cleaned

    def _get_validation_exclusions(self):
        exclude = super()._get_validation_exclusions()
        if self.instance.pk and not self.has_changed():
            # Nothing differs from what is stored and nothing will be saved: checking the stored
            # values against the model again costs queries per item (the month range constraint is
            # checked by the database) for nothing. A changed item is checked in full.
            exclude.update(field.name for field in self.instance._meta.fields)
        return exclude

    def _has_children(self) -> bool:
        if self.items_with_children is not None:
            return self.instance.pk in self.items_with_children
        return self.instance.children.exists()

    def _check_with_engine(self, rule, params, inputs, cleaned) -> None:
        """Compile the item as the engine will (a gap in a step table, points above the max…)."""
        from assessment.engine.rules import RuleError, build_rule
        from assessment.engine.specs import InputSpec, ItemSpec
        from assessment.rule_editor import in_words

        if rule == "capped_sum" or cleaned.get("max_points") is None:
            return
        specs = tuple(InputSpec.from_dict(spec) for spec in inputs)
        item = ItemSpec(
            code=cleaned.get("code") or "",
            title=cleaned.get("title") or "",
            max_points=cleaned["max_points"],
            rule=rule,
            params=params,
            inputs=specs,
        )
        try:
            build_rule(item, {spec.name: spec for spec in specs})
        except RuleError as error:
            message = in_words(str(error), {spec.name: spec.label for spec in specs})
            target = {
                "step_table": "steps",
                "per_condition": "cond_rows",
                "per_unmet_deduction": "unmet_rows",
            }
            self.add_error(target.get(rule), message)

    def save(self, commit=True):
        item = super().save(commit=False)
        if self.rule_editable and self.rule_params is not None:
            item.params, item.inputs = self.rule_params, self.rule_inputs
        if commit:
            item.save()
        return item
