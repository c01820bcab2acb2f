"""The annual report （年度报告） in the portal: the operator writes and submits it beside the
self-evaluation; whoever reads the sheet (bureau, auditor, the declared assessor) reads it too.

Reached through a score sheet of the campaign (`sheets/<pk>/annual-report/`), so its reach is the
sheet's: another station's sheet answers 404 before anything else is read.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from assessment.models import ANNUAL_REPORT_HINT, ANNUAL_REPORT_SECTION_MAX, AnnualReport, ScoreSheet
from assessment.selectors import sheet_get
from assessment.services.annual_reports import (
    ANNUAL_REPORT_MOVES,
    ANNUAL_REPORT_TRANSITIONS,
    SECTION_HEADINGS,
    SECTION_NAMES,
    annual_report_save,
    annual_report_submit,
    report_get,
    report_period,
    report_total_lines,
    writing_window_open,
)
from core.permissions import Forbidden, operates
from core.workflow import available_moves


class AnnualReportForm(forms.Form):
    """The four written sections; lengths and personal data are checked by the service too."""

    def __init__(self, *args, report: AnnualReport | None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SECTION_NAMES:
            self.fields[name] = forms.CharField(
                label=SECTION_HEADINGS[name],
                required=False,
                max_length=ANNUAL_REPORT_SECTION_MAX,
                initial=getattr(report, name, ""),
                help_text=ANNUAL_REPORT_HINT,
                widget=forms.Textarea(attrs={"rows": 5}),
                error_messages={
                    "max_length": f"不超过 {ANNUAL_REPORT_SECTION_MAX} 字（现有 %(show_value)d 字）。"
                },
            )


def annual_report_card(sheet: ScoreSheet) -> dict | None:
    """What a page beside the sheet shows of the report: its state, totals and sections; None when
    the campaign's policy asks for no report (only Yunmeng's has a 年度报告制度)."""
    if not sheet.campaign.policy.annual_report:
        return None
    report = report_get(campaign=sheet.campaign, station=sheet.station)
    start, end = report_period(sheet.campaign)
    return {
        "report": report,
        "lines": report_total_lines(campaign=sheet.campaign, station=sheet.station, report=report),
        "sections": [
            (SECTION_HEADINGS[name], getattr(report, name, "") if report else "") for name in SECTION_NAMES
        ],
        "year": sheet.campaign.year,
        "period_start": start,
        "period_end": report.log_end if report and report.log_end else end,
    }


def _editable(sheet: ScoreSheet, report: AnnualReport | None, actor) -> bool:
    """The form is shown while the operator may still write; after the deadline the page says so."""
    if not writing_window_open(sheet.campaign, sheet.station):
        return False
    if report is None:
        return operates(actor, sheet.station) and sheet.campaign.status == "open"
    moves = available_moves(report, actor, table=ANNUAL_REPORT_TRANSITIONS, moves=ANNUAL_REPORT_MOVES)
    return any(move.name == "submit" for move in moves)


@login_required
def annual_report(request, pk):
    sheet = sheet_get(actor=request.user, pk=pk)
    card = annual_report_card(sheet)
    if card is None:
        raise Http404("本考核批次的政策不要求提交年度报告。")
    report = card["report"]
    editable = _editable(sheet, report, request.user)
    form = AnnualReportForm(request.POST or None, report=report) if editable else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            report = annual_report_save(
                campaign=sheet.campaign, station=sheet.station, actor=request.user, sections=form.cleaned_data
            )
            if "submit" in request.POST:
                annual_report_submit(report=report, actor=request.user)
                messages.success(
                    request, "年度报告已提交。工作日志统计数按提交时的数字留存，打印在评分表之后。"
                )
            else:
                messages.success(request, "年度报告草稿已保存。")
            return redirect("assessment:annual_report", pk=sheet.pk)
        except Forbidden as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                for message in exc.messages:
                    form.add_error(None, message)
    return render(
        request,
        "assessment/annual_report.html",
        {
            "sheet": sheet,
            "form": form,
            **card,
            "deadline_passed": not writing_window_open(sheet.campaign, sheet.station),
            "is_operator": operates(request.user, sheet.station),
        },
    )
