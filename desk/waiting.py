"""What waits for a person (待办): counts, the nearest deadline and where to go, by role.

Every count is one aggregate over a scoped selector (a few filtered COUNTs and MINs in a single
query per table), so a bureau of a province waits as many queries as one of a county, and a clerk
counts only what their selectors let them see: county A's bureau never counts county B's claims.
Operators and assessors get the first few rows of each kind as well (one LIMITed query each), so
the phone shows "2025年度自评 · 还剩3天" with a link straight to the sheet.

Deadlines are dates in Asia/Shanghai (`timezone.localdate`): a self-evaluation due at 00:00 on
the 10th is "today" all day on the 9th in China, whatever the server's clock says.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Min, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from assessment.models import Campaign, CampaignStation, Objection, RectificationOrder, ScoreSheet
from assessment.selectors import (
    assignment_list,
    campaign_entry_list,
    campaign_list,
    objection_list,
    rectification_list,
    sheet_list,
)
from core.jobs import visible_jobs
from core.models import Job
from core.permissions import is_active_user, is_superuser
from subsidies.models import SubsidyClaim
from subsidies.selectors import claim_list, payee_notice_list

ROWS_SHOWN = 5  # the rows an operator or assessor sees under each count; the rest behind the link
JOBS_RECENT_DAYS = 7


def as_local_date(value) -> datetime.date | None:
    """A deadline as a date in China: a DateTimeField's value in Asia/Shanghai, a date as it is."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date()
    return value


def due_words(due: datetime.date | None, today: datetime.date) -> str:
    """ "还剩3天", "今天截止" or "已逾期2天": how far a deadline is, counted in calendar days."""
    if due is None:
        return ""
    days = (due - today).days
    if days > 0:
        return f"还剩{days}天"
    if days == 0:
        return "今天截止"
    return f"已逾期{-days}天"


def since_words(since, today: datetime.date) -> str:
    """How long the oldest of them has waited: "最早一件已等待4天" (or "均为今天新到")."""
    day = as_local_date(since)
    if day is None:
        return ""
    days = (today - day).days
    return f"最早一件已等待{days}天" if days > 0 else "均为今天新到"


@dataclass
class Row:
    """One thing waiting, shown under its count on the phone: what, where to go, by when."""

    title: str
    url: str
    due: datetime.date | None = None
    due_text: str = ""


@dataclass
class Waiting:
    """A kind of work waiting: how many, the nearest deadline, the list to open."""

    label: str
    count: int
    url: str
    due: datetime.date | None = None
    due_text: str = ""  # "还剩3天" / "已逾期2天"
    note: str = ""  # what the count means when there is no deadline ("最早一件已等待4天")
    rows: list[Row] = field(default_factory=list)

    @property
    def overdue(self) -> bool:
        return self.due_text.startswith("已逾期")


@dataclass
class JobsDone:
    """The person's own jobs that ended in the last week (results to fetch, failures to retry)."""

    succeeded: int
    failed: int
    recent: list[Job]
    url: str


def period_words(period: str) -> str:
    """A sheet's period as people say it: "2024" is "2024年度", "2024-03" is "2024年3月"."""
    year, _, month = period.partition("-")
    return f"{year}年{int(month)}月" if month else f"{year}年度"


def _item(label, count, url, *, due=None, today, note="", rows=()) -> Waiting:
    due = as_local_date(due)
    if count == 1 and rows:
        url = rows[0].url  # one thing waiting: straight to it
    return Waiting(
        label=label, count=count, url=url, due=due, due_text=due_words(due, today), note=note, rows=list(rows)
    )


def _admin_list(model_name: str, **query) -> str:
    url = reverse(f"admin:{model_name}_changelist")
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def bureau_waiting(actor, *, now: datetime.datetime | None = None) -> list[Waiting]:
    """What waits for bureau staff (and a superuser, over everything): six queries, whatever the size.

    Only kinds with something waiting are returned, most urgent first (overdue, then by deadline).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    S = ScoreSheet.Status
    sheets = (
        sheet_list(actor=actor)
        .filter(campaign__status=Campaign.Status.OPEN)
        .aggregate(
            submitted=Count("id", filter=Q(status=S.SUBMITTED)),
            submitted_due=Min("campaign__onsite_due", filter=Q(status=S.SUBMITTED)),
            assessed=Count("id", filter=Q(status=S.ASSESSED)),
            assessed_since=Min("assessed_at", filter=Q(status=S.ASSESSED)),
            late_self=Count("id", filter=Q(status=S.DRAFT, campaign__self_evaluation_due__lt=now)),
            late_self_due=Min(
                "campaign__self_evaluation_due",
                filter=Q(status=S.DRAFT, campaign__self_evaluation_due__lt=now),
            ),
        )
    )
    unassigned = (
        campaign_entry_list(actor=actor)
        .filter(campaign__status=Campaign.Status.OPEN, assessor__isnull=True)
        .aggregate(n=Count("id"), due=Min("campaign__onsite_due"))
    )
    C = SubsidyClaim.Status
    ended = Q(status=C.NOTICED, notice__ends_at__lt=now)
    claims = claim_list(actor=actor).aggregate(
        submitted=Count("id", filter=Q(status=C.SUBMITTED)),
        submitted_since=Min("submitted_at", filter=Q(status=C.SUBMITTED)),
        reviewed=Count("id", filter=Q(status=C.REVIEWED)),
        notice_over=Count("id", filter=ended),
        notice_over_since=Min("notice__ends_at", filter=ended),
        approved=Count("id", filter=Q(status=C.APPROVED)),
        approved_since=Min("approved_at", filter=Q(status=C.APPROVED)),
    )
    objections = (
        objection_list(actor=actor)
        .filter(status=Objection.Status.OPEN)
        .aggregate(n=Count("id"), since=Min("filed_at"))
    )
    R = RectificationOrder.Status
    late = Q(status=R.ISSUED, deadline__lt=today)
    running = Q(status=R.ISSUED, deadline__gte=today)
    orders = rectification_list(actor=actor).aggregate(
        responded=Count("id", filter=Q(status=R.RESPONDED)),
        responded_since=Min("responded_at", filter=Q(status=R.RESPONDED)),
        late=Count("id", filter=late),
        late_due=Min("deadline", filter=late),
        running=Count("id", filter=running),
        running_due=Min("deadline", filter=running),
    )
    notice_over = Q(status=Campaign.Status.NOTICE, notice_end__lt=now)
    on_notice = Q(status=Campaign.Status.NOTICE, notice_end__gte=now)
    campaigns = campaign_list(actor=actor).aggregate(
        results=Count("id", filter=Q(status=Campaign.Status.RESULTS)),
        notice_over=Count("id", filter=notice_over),
        notice_over_since=Min("notice_end", filter=notice_over),
        on_notice=Count("id", filter=on_notice),
        on_notice_due=Min("notice_end", filter=on_notice),
    )
    payee = (
        payee_notice_list(actor=actor).filter(ends_at__gte=now).aggregate(n=Count("id"), due=Min("ends_at"))
    )

    sheet, claim, order = "assessment_scoresheet", "subsidies_subsidyclaim", "assessment_rectificationorder"
    items = [
        _item(
            "逾期未提交自评的评分表",
            sheets["late_self"],
            _admin_list(sheet, status__exact=S.DRAFT),
            due=sheets["late_self_due"],
            today=today,
        ),
        _item(
            "未指派评估人员的参评站点",
            unassigned["n"],
            _admin_list("assessment_campaignstation", assessor__isempty=1),
            due=unassigned["due"],
            today=today,
        ),
        _item(
            "已提交自评、待现场评估的评分表",
            sheets["submitted"],
            _admin_list(sheet, status__exact=S.SUBMITTED),
            due=sheets["submitted_due"],
            today=today,
        ),
        _item(
            "现场评估完成、待审定的评分表",
            sheets["assessed"],
            _admin_list(sheet, status__exact=S.ASSESSED),
            today=today,
            note=since_words(sheets["assessed_since"], today),
        ),
        _item(
            "待答复的异议",
            objections["n"],
            _admin_list("assessment_objection", status__exact=Objection.Status.OPEN),
            today=today,
            note=since_words(objections["since"], today),
        ),
        _item(
            "待核实的整改情况",
            orders["responded"],
            _admin_list(order, status__exact=R.RESPONDED),
            today=today,
            note=since_words(orders["responded_since"], today),
        ),
        _item(
            "逾期未整改的整改通知",
            orders["late"],
            _admin_list(order, status__exact=R.ISSUED),
            due=orders["late_due"],
            today=today,
        ),
        _item(
            "整改期限内的整改通知",
            orders["running"],
            _admin_list(order, status__exact=R.ISSUED),
            due=orders["running_due"],
            today=today,
        ),
        _item(
            "结果已计算、待公示的考核批次",
            campaigns["results"],
            _admin_list("assessment_campaign", status__exact=Campaign.Status.RESULTS),
            today=today,
        ),
        _item(
            "公示期满、待通报的考核批次",
            campaigns["notice_over"],
            _admin_list("assessment_campaign", status__exact=Campaign.Status.NOTICE),
            due=campaigns["notice_over_since"],
            today=today,
        ),
        _item(
            "公示中的考核结果",
            campaigns["on_notice"],
            _admin_list("assessment_campaign", status__exact=Campaign.Status.NOTICE),
            due=campaigns["on_notice_due"],
            today=today,
        ),
        _item(
            "待审核的补助申报",
            claims["submitted"],
            _admin_list(claim, status__exact=C.SUBMITTED),
            today=today,
            note=since_words(claims["submitted_since"], today),
        ),
        _item(
            "审核通过、待列入拨付公示的申报",
            claims["reviewed"],
            _admin_list(claim, status__exact=C.REVIEWED),
            today=today,
        ),
        _item(
            "拨付公示期满、待批准的申报",
            claims["notice_over"],
            _admin_list(claim, status__exact=C.NOTICED),
            today=today,
            note=since_words(claims["notice_over_since"], today).replace("最早一件", "公示结束后"),
        ),
        _item(
            "公示中的拨付公示",
            payee["n"],
            _admin_list("subsidies_payeenotice"),
            due=payee["due"],
            today=today,
        ),
        _item(
            "已批准、待拨付的申报",
            claims["approved"],
            _admin_list(claim, status__exact=C.APPROVED),
            today=today,
            note=since_words(claims["approved_since"], today),
        ),
    ]
    return _most_urgent_first([item for item in items if item.count])


def _most_urgent_first(items: list[Waiting]) -> list[Waiting]:
    """Overdue first, then by the nearest deadline, then those without one in their given order."""
    far = datetime.date.max
    return sorted(items, key=lambda item: (not item.overdue, item.due or far))


def _rows(queryset: QuerySet, make) -> list[Row]:
    return [make(obj) for obj in queryset[:ROWS_SHOWN]]


def operator_waiting(actor, *, now: datetime.datetime | None = None) -> list[Waiting]:
    """What waits for an operator: self-evaluations to submit, rectifications to answer, claims to
    finish or correct. Two queries per kind (the count, the first rows)."""
    now = now or timezone.now()
    today = timezone.localdate(now)

    drafts = sheet_list(actor=actor).filter(
        campaign__status=Campaign.Status.OPEN, status=ScoreSheet.Status.DRAFT
    )
    drafts_count = drafts.aggregate(n=Count("id"), due=Min("campaign__self_evaluation_due"))

    def sheet_row(sheet: ScoreSheet) -> Row:
        due = as_local_date(sheet.campaign.self_evaluation_due)
        return Row(
            title=f"{sheet.station.name} · {period_words(sheet.period)}自评",
            url=reverse("assessment:sheet_self_edit", args=[sheet.pk]),
            due=due,
            due_text=due_words(due, today),
        )

    issued = rectification_list(actor=actor).filter(status=RectificationOrder.Status.ISSUED)
    issued_count = issued.aggregate(n=Count("id"), due=Min("deadline"))

    def order_row(order: RectificationOrder) -> Row:
        return Row(
            title=f"{order.station.name} · 整改通知",
            url=reverse("assessment:rectification_detail", args=[order.pk]),
            due=order.deadline,
            due_text=due_words(order.deadline, today),
        )

    C = SubsidyClaim.Status
    to_finish = claim_list(actor=actor).filter(status__in=[C.RETURNED, C.DRAFT])
    claims_count = to_finish.aggregate(
        returned=Count("id", filter=Q(status=C.RETURNED)), draft=Count("id", filter=Q(status=C.DRAFT))
    )

    def claim_row(claim: SubsidyClaim) -> Row:
        return Row(
            title=f"{claim.station.name} · {claim.year}年{claim.get_kind_display()}（{claim.get_status_display()}）",
            url=reverse("subsidies:claim_detail", args=[claim.pk]),
        )

    items = [
        _item(
            "待填写、提交的自评",
            drafts_count["n"],
            reverse("portal:home"),
            due=drafts_count["due"],
            today=today,
            rows=_rows(
                drafts.order_by("campaign__self_evaluation_due", "station__code", "period"), sheet_row
            ),
        ),
        _item(
            "待提交整改情况的整改通知",
            issued_count["n"],
            reverse("portal:home"),
            due=issued_count["due"],
            today=today,
            rows=_rows(issued.order_by("deadline"), order_row),
        ),
        _item(
            "退回修改、待完善的补助申报",
            claims_count["returned"] + claims_count["draft"],
            reverse("subsidies:claim_index"),
            today=today,
            note=f"其中退回修改 {claims_count['returned']} 件" if claims_count["returned"] else "",
            rows=_rows(to_finish.order_by("-status", "year", "pk"), claim_row),
        ),
    ]
    return _most_urgent_first([item for item in items if item.count])


def assessor_waiting(actor, *, now: datetime.datetime | None = None) -> list[Waiting]:
    """What waits for an assessor: conflict declarations before the sheet, then the sheets to score
    on site, nearest on-site deadline first."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    pending = assignment_list(actor=actor).filter(
        campaign__status=Campaign.Status.OPEN, declaration=CampaignStation.Declaration.PENDING
    )
    pending_count = pending.aggregate(n=Count("id"), due=Min("campaign__onsite_due"))

    def entry_row(entry: CampaignStation) -> Row:
        return Row(
            title=f"{entry.station.name} · {entry.campaign.name}",
            url=reverse("assessment:assignment_declare", args=[entry.pk]),
            due=entry.campaign.onsite_due,
            due_text=due_words(entry.campaign.onsite_due, today),
        )

    # Draft sheets too: the on-site score may be recorded before the operator submits (services).
    to_score = sheet_list(actor=actor).filter(
        campaign__status=Campaign.Status.OPEN,
        status__in=[ScoreSheet.Status.DRAFT, ScoreSheet.Status.SUBMITTED],
    )
    to_score_count = to_score.aggregate(n=Count("id"), due=Min("campaign__onsite_due"))

    def sheet_row(sheet: ScoreSheet) -> Row:
        due = sheet.campaign.onsite_due
        return Row(
            title=f"{sheet.station.name} · {period_words(sheet.period)}（{sheet.get_status_display()}）",
            url=reverse("assessment:sheet_onsite_edit", args=[sheet.pk]),
            due=due,
            due_text=due_words(due, today),
        )

    items = [
        _item(
            "待声明利益冲突的评估任务",
            pending_count["n"],
            reverse("portal:home"),
            due=pending_count["due"],
            today=today,
            rows=_rows(pending.order_by("campaign__onsite_due", "station__code"), entry_row),
        ),
        _item(
            "待现场评分的评分表",
            to_score_count["n"],
            reverse("portal:home"),
            due=to_score_count["due"],
            today=today,
            rows=_rows(to_score.order_by("campaign__onsite_due", "station__code", "period"), sheet_row),
        ),
    ]
    return _most_urgent_first([item for item in items if item.count])


def jobs_done(actor, *, now: datetime.datetime | None = None, in_admin: bool) -> JobsDone | None:
    """The actor's own jobs finished in the last week: two queries. None when there are none."""
    if not is_active_user(actor):
        return None
    now = now or timezone.now()
    finished = visible_jobs(actor=actor).filter(
        finished_at__gte=now - datetime.timedelta(days=JOBS_RECENT_DAYS),
        status__in=[Job.Status.SUCCEEDED, Job.Status.FAILED],
    )
    if is_superuser(actor):
        finished = finished.filter(started_by=actor)  # a superuser sees everyone's; the desk shows their own
    counts = finished.aggregate(
        ok=Count("id", filter=Q(status=Job.Status.SUCCEEDED)),
        failed=Count("id", filter=Q(status=Job.Status.FAILED)),
    )
    if not counts["ok"] and not counts["failed"]:
        return None
    recent = list(finished.order_by("-finished_at")[:ROWS_SHOWN])
    for job in recent:
        job.url = (
            reverse("admin:core_job_change", args=[job.pk])
            if in_admin
            else reverse("portal:job", args=[job.pk])
        )
    return JobsDone(
        succeeded=counts["ok"],
        failed=counts["failed"],
        recent=recent,
        url=reverse("admin:core_job_changelist") if in_admin else "",
    )
