from django import forms
from django.utils import timezone

from subsidies.models import ClaimKind, SubsidyClaim


class ClaimStartForm(forms.Form):
    kind = forms.ChoiceField(label="补助类型", choices=ClaimKind.choices)
    year = forms.TypedChoiceField(label="年度", coerce=int)

    def __init__(self, *args, stations, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        self.fields["year"].choices = [(y, str(y)) for y in range(this_year, this_year - 4, -1)]
        self.fields["station"] = forms.ModelChoiceField(label="站点", queryset=stations, empty_label=None)
        self.order_fields(["station", "kind", "year"])


class PayeeForm(forms.ModelForm):
    class Meta:
        model = SubsidyClaim
        fields = ["payee_name", "payee_bank", "payee_account"]
        widgets = {"payee_account": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The model allows them empty (a draft has none yet); the form saves all three or none.
        for field in self.fields.values():
            field.required = True


class MaterialForm(forms.Form):
    requirement = forms.ChoiceField(label="材料")
    file = forms.FileField(label="文件", help_text="JPG、PNG、PDF、XLSX、DOCX，单个文件不超过 20 MB。")

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requirement"].choices = choices


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label="花名册（.xlsx）",
        help_text="请按模板填写；全部行校验通过才会导入，并替换本年度原有花名册。文件较大时转入后台导入，可查看进度。",
    )
