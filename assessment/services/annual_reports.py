"""A station's annual report （年度报告）: drafted and submitted by its operator with the self-evaluation.

Yunmeng's policy asks each station to report on its year's management and operation to the
county centre (年度报告制度). The report carries the year's work log totals (read from
`stations.worklog.work_log_totals`) and four written sections. It is a draft until the operator
submits it; submission copies the log's totals into the report, so the submitted (and printed)
figures stay what they were when the log is edited later. Saving and submitting close with the
self-evaluation: the same deadline, the same exception for a sheet the bureau returned.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from assessment.models import (
    ANNUAL_REPORT_SECTION_MAX,
    ANNUAL_REPORT_SECTIONS,
    AnnualReport,
    Campaign,
    CampaignStation,
    ScoreSheet,
)
from assessment.services.sheets import sheet_return_reason
from core.permissions import operates, require
from core.workflow import Move, record_audit, transition
from stations.models import Station, User
from stations.validators import personal_data_found
from stations.worklog import LOG_FIELD_LABELS, LOG_FIELD_NAMES, LOG_FIELD_UNITS, work_log_totals

ANNUAL_REPORT_TRANSITIONS: dict[str, set[str]] = {
    AnnualReport.Status.DRAFT: {AnnualReport.Status.SUBMITTED},
    # A submitted report is the station's statement for the year: it is printed and not withdrawn.
    AnnualReport.Status.SUBMITTED: set(),
}

SECTION_NAMES: tuple[str, ...] = tuple(name for name, _heading in ANNUAL_REPORT_SECTIONS)
SECTION_HEADINGS: dict[str, str] = dict(ANNUAL_REPORT_SECTIONS)


def _in_open_campaign(campaign: Campaign) -> bool:
    return campaign.status == Campaign.Status.OPEN


ANNUAL_REPORT_MOVES = (
    Move(
        "submit",
        "提交年度报告",
        to=AnnualReport.Status.SUBMITTED,
        allowed=lambda report, actor: operates(actor, report.station) and _in_open_campaign(report.campaign),
    ),
)


@dataclass(frozen=True)
class TotalLine:
    """One row of the report's totals table: 推荐成功就业 · 37 · 人."""

    name: str
    label: str
    value: int
    unit: str


def report_period(campaign: Campaign) -> tuple[datetime.date, datetime.date]:
    """The calendar year the report covers: the campaign's year, 1 January to 31 December."""
    return datetime.date(campaign.year, 1, 1), datetime.date(campaign.year, 12, 31)


def report_get(*, campaign: Campaign, station: Station) -> AnnualReport | None:
    return AnnualReport.objects.filter(campaign=campaign, station=station).first()


def report_total_lines(
    *, campaign: Campaign, station: Station, report: AnnualReport | None
) -> list[TotalLine]:
    """The totals the report shows: the figures copied at submission, else the log's as of now."""
    if report is not None and report.status == AnnualReport.Status.SUBMITTED:
        totals = report.log_totals
    else:
        start, end = report_period(campaign)
        totals = work_log_totals(station_ids=[station.pk], start=start, end=end)[station.pk]
    return [
        TotalLine(name, LOG_FIELD_LABELS[name], int(totals.get(name, 0)), LOG_FIELD_UNITS[name])
        for name in LOG_FIELD_NAMES
    ]


def _returned_sheet(campaign: Campaign, station: Station) -> bool:
    """Whether one of the station's sheets is a draft the bureau returned （退回修改）."""
    sheets = ScoreSheet.objects.filter(campaign=campaign, station=station, status=ScoreSheet.Status.DRAFT)
    return any(sheet_return_reason(sheet) is not None for sheet in sheets.filter(submitted_at__isnull=True))


def writing_window_open(campaign: Campaign, station: Station) -> bool:
    """Whether the deadline still lets the operator write: before it, or with a returned sheet."""
    return timezone.now() <= campaign.self_evaluation_due or _returned_sheet(campaign, station)


def _require_open(*, campaign: Campaign, station: Station, actor: User) -> None:
    """The self-evaluation's conditions: the station's operator, an open campaign, before the deadline."""
    require(operates(actor, station), "只有本站点的运营人员可以填写年度报告。")
    if not campaign.policy.annual_report:
        raise ValidationError("本考核批次的政策不要求提交年度报告。")
    if not CampaignStation.objects.filter(campaign=campaign, station=station).exists():
        raise ValidationError("该站点未参加本考核批次，不需要提交年度报告。")
    if not _in_open_campaign(campaign):
        raise ValidationError(f"考核批次当前为“{campaign.get_status_display()}”，不能填写年度报告。")
    # As for the sheet: a sheet the bureau returned may be redone after the deadline, report too.
    if not writing_window_open(campaign, station):
        raise ValidationError(
            f"年度报告随自评一并提交，已于 "
            f"{timezone.localtime(campaign.self_evaluation_due):%Y年%m月%d日 %H:%M} 截止，"
            "不能再修改或提交。如有特殊情况，请联系县公共就业和人才服务中心。"
        )


def clean_sections(sections: dict[str, str]) -> dict[str, str]:
    """The four sections trimmed, or a ValidationError by field: too long, or personal data in it."""
    cleaned = {name: str(sections.get(name) or "").strip() for name in SECTION_NAMES}
    problems: dict[str, str] = {}
    for name, text in cleaned.items():
        heading = SECTION_HEADINGS[name]
        if len(text) > ANNUAL_REPORT_SECTION_MAX:
            problems[name] = (
                f"“{heading}”有 {len(text)} 字，超过 {ANNUAL_REPORT_SECTION_MAX} 字，请精简后再保存。"
            )
        elif found := personal_data_found(text):
            # The work log's note is held to the same test (stations.validators).
            problems[name] = f"“{heading}”中有像{found}的数字：年度报告不写个人信息，请删去后再保存。"
    if problems:
        raise ValidationError(problems)
    return cleaned


def annual_report_save(
    *, campaign: Campaign, station: Station, actor: User, sections: dict[str, str]
) -> AnnualReport:
    """Keep the operator's draft (made at the first save); refused once submitted or closed."""
    _require_open(campaign=campaign, station=station, actor=actor)
    cleaned = clean_sections(sections)
    with transaction.atomic():
        report = AnnualReport.objects.select_for_update().filter(campaign=campaign, station=station).first()
        if report is None:
            try:
                with transaction.atomic():
                    report = AnnualReport.objects.create(campaign=campaign, station=station, **cleaned)
            except IntegrityError:  # another tab made it a moment ago: save onto that one
                report = AnnualReport.objects.select_for_update().get(campaign=campaign, station=station)
            else:
                record_audit(
                    target=report,
                    actor=actor,
                    action="annual_report.draft",
                    to_state=AnnualReport.Status.DRAFT,
                    station=station,
                )
                return report
        if report.status != AnnualReport.Status.DRAFT:
            raise ValidationError("年度报告已提交，不能再修改。")
        for name, text in cleaned.items():
            setattr(report, name, text)
        report.save(update_fields=[*SECTION_NAMES, "updated_at"])
    return report


def annual_report_submit(*, report: AnnualReport, actor: User) -> AnnualReport:
    """Submit the report: every section written; the year's log totals are copied into it now.

    The totals cover 1 January to 31 December of the campaign's year, or to today when the
    submission comes before the year's end (the copy says up to which day).
    """
    campaign, station = report.campaign, report.station
    _require_open(campaign=campaign, station=station, actor=actor)
    with transaction.atomic():
        stored = AnnualReport.objects.select_for_update().get(pk=report.pk)
        missing = {
            name: f"请填写“{SECTION_HEADINGS[name]}”，再提交年度报告；已填写的内容已保存为草稿。"
            for name in SECTION_NAMES
            if not getattr(stored, name).strip()
        }
        if missing:
            raise ValidationError(missing)
        start, year_end = report_period(campaign)
        end = min(year_end, timezone.localdate())
        totals = work_log_totals(station_ids=[station.pk], start=start, end=end)[station.pk]
        transition(
            report,
            to=AnnualReport.Status.SUBMITTED,
            table=ANNUAL_REPORT_TRANSITIONS,
            actor=actor,
            action="annual_report.submit",
            station=station,
            extra_fields={
                "log_totals": totals,
                "log_start": start,
                "log_end": end,
                "submitted_at": timezone.now(),
                "submitted_by": actor,
            },
        )
    for name in SECTION_NAMES:
        setattr(report, name, getattr(stored, name))
    return report
