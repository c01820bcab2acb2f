"""The public application for recognition of a new station (认定申请, 002 附件3), and its follow-up.

No login: the applying organisation has no account until it is recognised (its operator account
comes from the recognition). The form is rate-limited per visitor address, as the objection form
is; the organisation is given a reference number and follows its application with that number and
its credit code. The bureau decides in the admin (assessment/station_application_admin.py).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import render

from core.client_address import client_address
from core.upload_limits import FORM_OVERHEAD_BYTES, upload_limit
from stations.applications import (
    APPLICATION_FIELDS,
    PAPER_MAX_BYTES,
    application_find,
    application_regions,
    application_submit,
)
from stations.models import APPLICATION_PAPERS, Region, StationApplication, StationKind

APPLYING_KINDS = {"gig_market", "gig_station", "doorstep_station", "employment_station"}
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        # "泉州市 晋江市 陈埭镇": a township's name alone repeats across counties.
        parent = obj.parent
        names = [obj.name]
        while parent is not None and parent.level >= Region.Level.CITY:
            names.insert(0, parent.name)
            parent = parent.parent
        return " ".join(names)


class StationApplicationForm(forms.ModelForm):
    region = RegionChoiceField(
        label="所在区域", queryset=Region.objects.none(), empty_label="请选择县（区）或乡镇（街道）"
    )
    # A field people never see: bots fill it in, people do not.
    website = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"})
    )

    class Meta:
        model = StationApplication
        fields = list(APPLICATION_FIELDS)
        widgets = {"address": forms.TextInput(attrs={"size": 60})}
        help_texts = {
            "credit_code": "18 位，见营业执照或统一社会信用代码证书。",
            "contact_phone": "用于安排现场核查；认定后为联系人开设站点账号。不会公开。",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = application_regions().select_related("parent__parent")
        # Communities and villages are assessed as units, not applied for by an organisation.
        self.fields["kind"].choices = [("", "请选择类型")] + [
            (value, label) for value, label in StationKind.choices if value in APPLYING_KINDS
        ]
        for kind, label, required in APPLICATION_PAPERS:
            self.fields[f"paper_{kind}"] = forms.FileField(
                label=label,
                required=False,  # the service names every missing paper at once, in one message
                help_text=("必交；" if required else "")
                + "PDF 或 JPG、PNG 图片（扫描件或照片），不超过 10 MB。",
                widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
            )

    def papers(self) -> dict:
        return {kind: self.cleaned_data.get(f"paper_{kind}") for kind, _, _ in APPLICATION_PAPERS}


class FollowForm(forms.Form):
    reference = forms.CharField(
        label="受理编号", max_length=32, widget=forms.TextInput(attrs={"placeholder": "如 RD-2026-000012"})
    )
    credit_code = forms.CharField(label="统一社会信用代码", max_length=18)


@upload_limit(len(APPLICATION_PAPERS) * PAPER_MAX_BYTES + FORM_OVERHEAD_BYTES)
def station_apply(request):
    """The application form: the organisation, the station it asks to have recognised, its contact
    and the papers of the one-time subsidy list. No login."""
    form = StationApplicationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data.get("website"):
            return render(request, "portal/application_thanks.html", {"application": None})
        data = {name: form.cleaned_data[name] for name in APPLICATION_FIELDS}
        try:
            application = application_submit(data=data, papers=form.papers(), address=client_address(request))
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(None if field == "__all__" or field not in form.fields else field, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            return render(request, "portal/application_thanks.html", {"application": application})
    paper_fields = [form[f"paper_{kind}"] for kind, _, _ in APPLICATION_PAPERS]
    fields = [form[name] for name in APPLICATION_FIELDS]
    return render(
        request,
        "portal/application_form.html",
        {"form": form, "fields": fields, "paper_fields": paper_fields},
    )


def station_application_status(request):
    """What became of an application: its state, the on-site check's date, the decision (the station's
    code, or the reason for refusal). Shown to whoever gives the reference number and the credit code."""
    form = FollowForm(request.GET or None)
    application = None
    not_found = False
    if request.GET and form.is_valid():
        application = application_find(
            reference=form.cleaned_data["reference"], credit_code=form.cleaned_data["credit_code"]
        )
        not_found = application is None
    return render(
        request,
        "portal/application_status.html",
        {"form": form, "application": application, "not_found": not_found},
    )
