from decimal import Decimal

from django import forms

from assessment.models import Evidence, Objection

FLAG_CHOICES = [("", "—"), ("true", "是"), ("false", "否")]
INPUT_MODES = {"count": "numeric", "rate": "decimal", "number": "decimal", "points": "decimal"}
HINTS = {"count": "整数", "rate": "百分比 0–100", "number": "数值", "flag": ""}


class SheetInputsForm(forms.Form):
    """One field per input the rubric reads for this station kind and month.

    Fields are plain text so that what the operator typed is kept in a draft as typed; the engine
    decides what is valid and its messages are shown next to the field.
    """

    def __init__(self, *args, fields: list[tuple[str, str, str, Decimal | None]], values: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.input_names = []
        for name, input_type, label, points_max in fields:
            self.input_names.append(name)
            current = values.get(name)
            if input_type == "flag":
                initial = "" if current is None else ("true" if current is True else "false")
                field = forms.ChoiceField(label=label, choices=FLAG_CHOICES, required=False, initial=initial)
            else:
                hint = f"0–{points_max} 分" if input_type == "points" else HINTS[input_type]
                field = forms.CharField(
                    label=label,
                    required=False,
                    initial="" if current is None else str(current),
                    help_text=hint,
                    widget=forms.TextInput(
                        attrs={"inputmode": INPUT_MODES[input_type], "autocomplete": "off"}
                    ),
                )
            self.fields[name] = field

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
        station.widget = forms.TextInput(attrs={"autocomplete": "off", "placeholder": "如 HS-C-01"})
        station.label = "站点编码"
        station.error_messages["invalid_choice"] = "本次公示名单中没有这个编码，请用上面的查找核对。"


class RectificationResponseForm(forms.Form):
    response = forms.CharField(label="整改情况", widget=forms.Textarea(attrs={"rows": 6}), max_length=5000)
