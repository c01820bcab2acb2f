from decimal import Decimal

from django import forms

from assessment.engine.decimal_math import format_plain
from assessment.engine.inputs import TEXT_MAX_CHARS
from assessment.models import Evidence, Objection

FLAG_CHOICES = [("", "—"), ("true", "是"), ("false", "否")]
INPUT_MODES = {"count": "numeric", "rate": "decimal", "number": "decimal", "points": "decimal"}
HINTS = {"count": "整数", "rate": "百分比 0–100", "number": "数值", "flag": ""}


def _range_attrs(input_type: str, points_max: Decimal | None) -> dict[str, str]:
    if input_type == "points" and points_max is not None:
        most = format_plain(points_max)  # 8, as the engine's message says it, not 8.00
        return {"data-min": "0", "data-max": most, "data-range": f"应在 0 到 {most} 分之间"}
    if input_type == "rate":
        return {"data-min": "0", "data-max": "100", "data-range": "应为 0 到 100 之间的百分比"}
    if input_type == "count":
        return {"data-min": "0", "data-whole": "true", "data-range": "应为不小于 0 的整数"}
    return {"data-min": "0", "data-range": "不能为负数"}


class SheetInputsForm(forms.Form):
    """One field per input the rubric reads for this station kind and month.

    Fields are plain text so that what the operator typed is kept in a draft as typed; the engine
    decides what is valid and its messages are shown next to the field.
    """

    def __init__(
        self,
        *args,
        fields: list[tuple[str, str, str, Decimal | None]],
        values: dict,
        log_figures: dict | None = None,
        log_reasons: dict[str, str] | None = None,
        target_figures: dict | None = None,
        targets_fixed: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.input_names = []
        log_figures = log_figures or {}
        for name, input_type, label, points_max in fields:
            self.input_names.append(name)
            current = values.get(name)
            figure = log_figures.get(name)
            if figure is not None and current in (None, ""):
                # A count taken from the work log starts at the logged total, to be confirmed.
                current = figure.value
            target = (target_figures or {}).get(name)
            fixed = targets_fixed and target is not None and target.value is not None
            if target is not None and target.value is not None and (fixed or current in (None, "")):
                # A count taken from the operating contract starts at its target for the period
                # (and, on the self-evaluation, is it: `targets_fixed`); without a contract (or
                # that target) it stays empty for the person to type.
                current = target.value
            if input_type == "flag":
                initial = "" if current is None else ("true" if current is True else "false")
                field = forms.ChoiceField(label=label, choices=FLAG_CHOICES, required=False, initial=initial)
            elif input_type == "text":
                # A written reason: no numeric hints, so static/js/sheet_inputs.js leaves it alone;
                # the engine checks its length and whether the item needs it.
                field = forms.CharField(
                    label=label,
                    required=False,
                    initial="" if current is None else str(current),
                    help_text=f"文字，最多 {TEXT_MAX_CHARS} 字；扣分时须写明理由",
                    widget=forms.Textarea(attrs={"rows": 2, "maxlength": str(TEXT_MAX_CHARS)}),
                )
            else:
                hint = f"0–{format_plain(points_max)} 分" if input_type == "points" else HINTS[input_type]
                attrs = {"inputmode": INPUT_MODES[input_type], "autocomplete": "off"}
                # The range the engine accepts, for static/js/sheet_inputs.js to flag a value as it
                # is typed; the server checks the same (assessment/engine/inputs.py) on every save.
                attrs.update(_range_attrs(input_type, points_max))
                if fixed:
                    # Read-only, not disabled: posted with the form; the service writes the
                    # contract figure whatever arrives (assessment/contract_inputs.py).
                    attrs["readonly"] = "readonly"
                    hint = "取自运营合同，不能修改；合同有误请联系人社局更正"
                field = forms.CharField(
                    label=label,
                    required=False,
                    initial="" if current is None else str(current),
                    help_text=hint,
                    widget=forms.TextInput(attrs=attrs),
                )
            field.warning = ""
            # assessment.worklog_inputs.LogFigure: "工作日志：N 人（查看明细）" beside the field.
            field.log_figure = figure
            asked = figure is not None or (target is not None and target.value is not None)
            # The reason written for a difference from the log or the contract's target.
            field.log_reason = (log_reasons or {}).get(name, "") if asked else ""
            field.reason_asked = asked
            # assessment.contract_inputs.TargetFigure: "合同目标：N 条" (or "无运营合同") beside it.
            field.target_figure = target
            self.fields[name] = field
        # Where the on-site form asks why a value differs from the log: {input name: reason}.
        self.log_reasons = log_reasons

    def warning_texts(self, problems: dict[str, str]) -> dict[str, str]:
        """The engine's problems with a draft's values as the operator reads them, by field:
        “场所与硬件设施得分”填写的 9，应在 0 到 8 分之间."""
        texts = {}
        for name, message in problems.items():
            field = self.fields.get(name)
            if field is None:
                continue
            suffix = f"（{field.label}）"
            # By the prefixed name: the 试算 page draws several cases' forms on one page.
            value = self.data.get(self.add_prefix(name)) if self.is_bound else field.initial
            # A written reason is not echoed back: it may be a paragraph.
            echo = value not in (None, "") and not isinstance(field.widget, forms.Textarea)
            if message.endswith(suffix) and echo:
                texts[name] = f"“{field.label}”填写的 {value}，{message.removesuffix(suffix)}"
            else:
                texts[name] = f"“{field.label}”：{message.removesuffix(suffix)}"
        return texts

    def warn(self, problems: dict[str, str]) -> None:
        """Mark each field whose stored value the engine would refuse (shown by _inputs.html)."""
        for name, text in self.warning_texts(problems).items():
            self.fields[name].warning = text

    def raw_inputs(self) -> dict:
        raw = {}
        for name in self.input_names:
            value = self.cleaned_data.get(name, "")
            if isinstance(self.fields[name], forms.ChoiceField):
                if value in {"true", "false"}:
                    raw[name] = value == "true"
            elif value.strip():
                raw[name] = value.strip()
        return raw


class EvidenceUploadForm(forms.Form):
    kind = forms.ChoiceField(label="材料类别", choices=Evidence.Kind.choices)
    # An empty file reaches the content check, whose message names the file and says what to do.
    file = forms.FileField(
        label="文件",
        allow_empty_file=True,
        help_text="支持 JPG、PNG、PDF、XLSX、DOCX，单个文件不超过 20 MB。",
    )


class ConflictDeclarationForm(forms.Form):
    has_conflict = forms.TypedChoiceField(
        label="与该站点是否存在利益冲突",
        choices=[("false", "不存在利益冲突"), ("true", "存在利益冲突，申请回避")],
        coerce=lambda v: v == "true",
        widget=forms.RadioSelect,
    )
    statement = forms.CharField(
        label="说明",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="存在利益冲突时必填。",
    )


class ObjectionForm(forms.ModelForm):
    attachment = forms.FileField(
        label="附件（可选）",
        required=False,
        help_text="JPG、PNG 图片或 PDF 文件，不超过 10 MB。",
        # Only what the phone's picker offers first; the server decides by the file's content.
        widget=forms.ClearableFileInput(
            attrs={"accept": ".jpg,.jpeg,.png,.pdf,image/jpeg,image/png,application/pdf"}
        ),
    )
    # A field people never see: bots fill it in, people do not.
    website = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"})
    )

    class Meta:
        model = Objection
        fields = ["station", "name", "contact", "reason"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, stations, **kwargs):
        super().__init__(*args, **kwargs)
        # A notice may list tens of thousands of units: the visitor types the code (found with the
        # search on the page), never picks from a drop-down of them all.
        station = self.fields["station"]
        station.queryset = stations
        station.to_field_name = "code"
        # The example is a code of this notice's own list: another county's code would mislead.
        example = stations.order_by("code").values_list("code", flat=True).first()
        station.widget = forms.TextInput(
            attrs={"autocomplete": "off", **({"placeholder": f"如 {example}"} if example else {})}
        )
        station.label = "站点编码"
        station.error_messages["invalid_choice"] = "本次公示名单中没有这个编码，请用上面的查找核对。"


class RectificationResponseForm(forms.Form):
    response = forms.CharField(label="整改情况", widget=forms.Textarea(attrs={"rows": 6}), max_length=5000)
