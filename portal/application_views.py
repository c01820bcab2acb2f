"""The public application for recognition of a new station (认定申请, 002 附件3), and its follow-up.

No login: the applying organisation has no account until it is recognised (its operator account
comes from the recognition). The form and the look-up are rate-limited per visitor address (every
try counts), as the objection form is; the organisation is given a reference number (ending in
random letters) and follows its application with that number and its credit code. The county's
bureau decides in the admin (assessment/station_application_admin.py).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import render

from assessment.selectors import first_recognition_regions
from core.client_address import client_address
from core.upload_limits import FORM_OVERHEAD_BYTES, upload_limit
from stations.applications import (
    APPLICATION_FIELDS,
    APPLICATION_LEVELS,
    PAPER_MAX_BYTES,
    TooManyLookups,
    application_find,
    application_paper_problems,
    application_regions,
    application_submit,
    county_of,
)
from stations.models import APPLICATION_PAPERS, Region, StationApplication, StationKind

APPLYING_KINDS = {"gig_market", "gig_station", "doorstep_station", "employment_station"}
PAPER_KINDS = {kind for kind, _, _ in APPLICATION_PAPERS}
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


def region_choices(empty_label: str, within: list[Region]) -> list[tuple]:
    """The places an application may name, each as "泉州市 晋江市 陈埭镇" (a township's name alone
    repeats across counties), from one read of the cities, counties and townships: the page is
    public, and reading each place's parents would cost a query per township."""
    rows = {
        pk: (name, parent_id, level)
        for pk, name, parent_id, level in Region.objects.filter(
            level__in=(Region.Level.CITY, *APPLICATION_LEVELS)
        ).values_list("pk", "name", "parent_id", "level")
    }
    choices = [("", empty_label)]
    for region in application_regions(within).values_list("pk", flat=True):
        names, current = [], region
        while current in rows:
            name, parent_id, _level = rows[current]
            names.insert(0, name)
            current = parent_id
        choices.append((region, " ".join(names)))
    return choices


class StationApplicationForm(forms.ModelForm):
    region = forms.ModelChoiceField(
        label="所在区域",
        queryset=Region.objects.none(),
        empty_label="请选择县（区）或乡镇（街道）",
        error_messages={"invalid_choice": "所选区域不通过本页受理站点认定申请，请从列表中选择。"},
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

    def __init__(self, *args, within: list[Region], **kwargs):
        """`within`: the regions whose policy recognises stations on application (the portal reads
        them from the policies; stations may not), whose counties and townships are offered."""
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = application_regions(within)
        self.fields["region"].choices = region_choices(self.fields["region"].empty_label, within)
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

    def add_problems(self, problems: dict[str, list[str]]) -> None:
        """Put the service's problems beside their fields (papers beside theirs), the rest on top."""
        for key, messages in problems.items():
            field = f"paper_{key}" if key in PAPER_KINDS else key
            if field not in self.fields:
                self.add_error(None, messages)
            elif not self.has_error(field):  # a field the form refused already says so, once
                self.add_error(field, messages)


class FollowForm(forms.Form):
    reference = forms.CharField(
        label="受理编号",
        max_length=32,
        widget=forms.TextInput(attrs={"placeholder": "如 RD-2026-000012-K7QX"}),
    )
    credit_code = forms.CharField(label="统一社会信用代码", max_length=18)


@upload_limit(len(APPLICATION_PAPERS) * PAPER_MAX_BYTES + FORM_OVERHEAD_BYTES)
def station_apply(request):
    """The application form: the organisation, the station it asks to have recognised, its contact
    and the papers of the one-time subsidy list. No login.

    Every problem is shown at once (the fields beside them, every missing or refused paper named),
    so one correction round suffices: browsers cannot keep chosen files, so each round costs the
    applicant choosing every paper again."""
    within = first_recognition_regions()
    form = StationApplicationForm(request.POST or None, request.FILES or None, within=within)
    if request.method == "POST":
        if not form.is_valid():
            # The form refused a field: still check the papers now rather than in the next round.
            form.add_problems(application_paper_problems(form.papers()))
        elif form.cleaned_data.get("website"):
            return render(request, "portal/application_thanks.html", {"application": None})
        else:
            data = {name: form.cleaned_data[name] for name in APPLICATION_FIELDS}
            try:
                application = application_submit(
                    data=data, papers=form.papers(), address=client_address(request), within=within
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    form.add_problems(exc.message_dict)
                else:
                    form.add_error(None, exc.messages)
            else:
                county = county_of(application.region)
                return render(
                    request, "portal/application_thanks.html", {"application": application, "county": county}
                )
    paper_fields = [form[f"paper_{kind}"] for kind, _, _ in APPLICATION_PAPERS]
    fields = [form[name] for name in APPLICATION_FIELDS]
    return render(
        request,
        "portal/application_form.html",
        {
            "form": form,
            "fields": fields,
            "paper_fields": paper_fields,
            "regions": "、".join(region.name for region in within),
        },
    )


def station_application_status(request):
    """What became of an application: its state, the on-site check's date, the decision (the station's
    code, or the reason for refusal). Shown to whoever gives the reference number and the credit code."""
    form = FollowForm(request.GET or None)
    application = None
    not_found = False
    if request.GET and form.is_valid():
        try:
            application = application_find(
                reference=form.cleaned_data["reference"],
                credit_code=form.cleaned_data["credit_code"],
                address=client_address(request),
            )
        except TooManyLookups:
            form.add_error(None, "查询过于频繁，请一小时后再试，或直接联系所在地人社部门。")
        else:
            not_found = application is None
    return render(
        request,
        "portal/application_status.html",
        {"form": form, "application": application, "not_found": not_found},
    )
