"""Small forms behind the admin's workflow pages. Each takes the object it acts on as `obj`."""

from django import forms
from django.utils import timezone
from django.utils.html import format_html_join

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


class CampaignNoticeForm(ConfirmForm):
    start = forms.DateTimeField(
        label="公示开始", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    end = forms.DateTimeField(label="公示结束", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def __init__(self, *args, obj, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        now = timezone.localtime().replace(second=0, microsecond=0)
        self.fields["start"].initial = now
        self.fields["end"].initial = now + timezone.timedelta(days=7)
        self.intro = (
            "公示期间，任何人都可以在公示页面对结果提出异议；所有异议答复完毕且公示期满后，才能通报结果。"
        )


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
        self.intro = f"异议人：{obj.name}；涉及站点：{obj.station}\n理由：{obj.reason}"


class RectificationVerifyForm(ConfirmForm):
    accepted = forms.TypedChoiceField(
        label="核实结论",
        choices=[("true", "整改到位"), ("false", "未整改到位，退回重新整改")],
        coerce=lambda v: v == "true",
    )
    note = forms.CharField(label="核实意见", widget=forms.Textarea(attrs={"rows": 3}))
    new_deadline = forms.DateField(
        label="新的整改期限", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, obj, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        self.intro = f"整改情况：{obj.response}"


class RevocationProposalForm(ConfirmForm):
    reason = forms.CharField(label="提请理由", widget=forms.Textarea(attrs={"rows": 3}))


class RevocationDecisionForm(ConfirmForm):
    approve = forms.TypedChoiceField(
        label="审批结论",
        choices=[("true", "同意撤销站点资格"), ("false", "不同意，给予新的整改期限")],
        coerce=lambda v: v == "true",
    )
    reason = forms.CharField(label="审批意见", widget=forms.Textarea(attrs={"rows": 3}))
    new_deadline = forms.DateField(
        label="新的整改期限", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def evidence_links(sheet: ScoreSheet):
    from django.urls import reverse

    return format_html_join(
        "",
        '<li><a href="{}">{}</a>({})</li>',
        (
            (reverse("assessment:evidence_download", args=[e.pk]), e.original_name, e.get_kind_display())
            for e in sheet.evidence.all()
        ),
    )
