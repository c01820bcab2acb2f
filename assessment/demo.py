"""Demo campaigns, one per seed policy, built through the same services the bureau uses.

- yunmeng-2024: in progress: drafts, a submitted self-evaluation, an on-site score with a gap
  reason, sheets filled by the bureau's Excel import, some locked, a rectification order.
- quanzhou-2023: on public notice, with an open objection; one market left out for recognition.
- heshan-2024: published: 12 months × 36 units imported from Excel, ranked 3:4:3 with
  elimination and the group deduction, and rectification orders for the eliminated units.
Existing campaigns are left as they are, so load_demo stays safe to run again.
"""

import datetime
import io
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assessment.models import Campaign, CampaignStation, Policy, RectificationOrder, ScoreSheet
from assessment.scoring import input_fields
from assessment.services.campaigns import (
    campaign_notice_start,
    campaign_open,
    campaign_publish,
    campaign_results_compute,
    conflict_declare,
)
from assessment.services.objections import objection_file
from assessment.services.rectification import rectification_issue
from assessment.services.sheet_import import FIXED_COLUMNS, _input_columns, sheets_import_inputs
from assessment.services.sheets import (
    evidence_add,
    sheet_lock,
    sheet_onsite_save,
    sheet_onsite_submit,
    sheet_self_save,
    sheet_self_submit,
)
from core.working_days import earliest_last_day
from core.xlsx import XlsxSheet, write_xlsx
from stations.models import Region, Station, User

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _points_inputs(sheet: ScoreSheet, quality: float, rng: random.Random, share: float = 1.0) -> dict:
    """Manual points for the illustrative rubrics: about `quality` of each item's max, to 0.5 points."""
    raw = {}
    fields = input_fields(sheet.campaign.policy, kind=sheet.station.kind, month=sheet.month)
    for index, (name, _, _, points_max) in enumerate(fields):
        if index >= round(len(fields) * share):
            break
        value = Decimal(str(round(float(points_max) * min(1.0, quality + rng.uniform(-0.08, 0.06)) * 2) / 2))
        raw[name] = str(max(Decimal(0), min(points_max, value)))
    return raw


def _heshan_month(kind: str, rng: random.Random, strength: float) -> dict:
    """A plausible month of a community or village: weaker units miss more targets."""
    miss = 1 - strength
    month = {
        "labor_force": 1000 + rng.randint(-200, 400),
        "long_term_unemployed": rng.choice([0, 0, 0, 1]) + (1 if rng.random() < miss else 0),
        "registration_applications": 10,
        "registration_overdue": 1 if rng.random() < miss / 2 else 0,
        "confirmations_missing": rng.choice([0, 0, 1]),
        "unemployed_willing_at_start": 8,
        "newly_registered_unemployed": 2,
        "recommended_and_employed": 0,
        "matches_not_followed_up": 1 if rng.random() < miss else 0,
        "training_willing_at_start": 4,
        "training_willing_new": 1,
        "training_recommended_and_employed": 0,
        "hard_to_employ_unassisted": 1 if rng.random() < miss else 0,
        "graduate_followup_rate": 100,
        "graduate_service_rate": 100 if rng.random() > miss / 3 else 95,
        "graduate_employment_rate": rng.choice([90, 95, 100]),
        "fishermen_poverty_unemployed": 0,
        "new_posting_enterprises": rng.choice([4, 5, 5, 6]),
        "new_platform_enterprises": rng.choice([1, 2, 2]),
        "market_entities": 20000,
        "invalid_feedback": rng.choice([0, 0, 1]),
        "phone_check_accuracy": rng.choice([86, 88, 90, 92]),
        "survey_points": rng.choice(["2.5", "3"]),
        "data_overdue": 1 if rng.random() < miss / 2 else 0,
        "service_count": int(100 * (0.85 + strength * 0.2)),
        "provincial_avg_service_count": 100,
        "match_success": rng.choice([5, 6, 7]),
        "matched_people": 10,
        "provincial_success_rate": 60,
        "training_referrals": 4,
        "registered_unemployed_cumulative": 40,
        "provincial_training_coverage": 10,
        "training_subsidized": 2,
        "provincial_subsidy_coverage": 50,
        "valid_complaints": 1 if rng.random() < miss / 3 else 0,
        "realname_accounts": 2,
        "inactive_accounts": 0,
        "staff_training_met": rng.random() > miss / 2,
        "new_staff_trained": True,
        "promotion_points": rng.choice(["1.5", "2"]),
    }
    month["registered_unemployed"] = rng.randint(40, 50 + int(miss * 40))
    month["hard_to_employ"] = rng.randint(20, 30 + int(miss * 20))
    month["labor_records_updated"] = int(month["labor_force"] * (0.93 + 0.05 * strength))
    month["provincial_update_coverage"] = "95"
    month["job_recommended"] = 10 if rng.random() > miss else 9
    month["training_recommended"] = 5
    if kind == "community":
        month["zero_employment_households"] = 1 if rng.random() < miss / 3 else 0
    else:
        month.update(
            rural_transferred=290 + rng.randint(0, 20),
            rural_labor_force=500,
            rural_transfer_rate_last_year=60,
        )
    return month


def _import_rows(campaign: Campaign, actor: User, inputs_for) -> int:
    """Fill sheets through the bureau's Excel import: the same file a clerk would upload."""
    columns = _input_columns(campaign)
    header = FIXED_COLUMNS + [title for _, _, title in columns]
    rows = []
    for sheet in (
        ScoreSheet.objects.filter(campaign=campaign)
        .select_related("station")
        .order_by("station__code", "period")
    ):
        values = inputs_for(sheet)
        if values is None:
            continue
        cells = []
        for name, input_type, _ in columns:
            value = values.get(name)
            if input_type == "flag" and value is not None:
                value = "是" if value else "否"
            elif value is not None and not isinstance(value, str):
                value = value if isinstance(value, int) else str(value)
            cells.append(value)
        rows.append([sheet.station.code, sheet.period, sheet.station.name, *cells])
    workbook = write_xlsx([XlsxSheet(title="数据", header=header, rows=rows)])
    return sheets_import_inputs(campaign=campaign, actor=actor, file=io.BytesIO(workbook))


def _campaign(code: str, **fields) -> Campaign:
    policy = Policy.objects.filter(code=code).order_by("-version").first()
    return Campaign.objects.create(code=code, policy=policy, **fields)


def load_yunmeng(users: dict[str, User]) -> None:
    rng = random.Random(2024)
    now = timezone.now()
    bureau, admin = users["bureau"], users["admin"]
    campaign = _campaign(
        "yunmeng-2024",
        name="云梦县2024年度零工驿站和家门口就业服务站考核",
        region=Region.objects.get(code="420923"),
        year=2024,
        self_evaluation_due=now + datetime.timedelta(days=10),
        onsite_due=timezone.localdate() + datetime.timedelta(days=25),
        assessed_on=datetime.date(2024, 12, 31),
    )
    campaign_open(campaign=campaign, actor=bureau)
    sheets = {
        s.station.code: s
        for s in ScoreSheet.objects.filter(campaign=campaign).select_related("station", "campaign__policy")
    }
    operators = {
        s.code: s.operators.first()
        for s in Station.objects.filter(code__in=sheets).prefetch_related("operators")
    }
    # Opening copied assessor1 in as the default assessor of YM-GS-01…03 and YM-DS-01.
    assessor = users["assessor1"]
    for code in ("YM-GS-02", "YM-GS-03", "YM-DS-01"):  # YM-GS-01 is left for the newcomer to declare
        entry = CampaignStation.objects.get(campaign=campaign, station__code=code, assessor=assessor)
        conflict_declare(entry=entry, actor=assessor, has_conflict=False)

    # YM-GS-01: operator1's draft, half filled. YM-GS-02: submitted. YM-GS-03: submitted and scored on site.
    sheet_self_save(
        sheet=sheets["YM-GS-01"],
        actor=operators["YM-GS-01"],
        raw=_points_inputs(sheets["YM-GS-01"], 0.9, rng, 0.5),
    )
    for code in ("YM-GS-02", "YM-GS-03"):
        operator = operators[code] or _demo_operator(code)
        sheet_self_save(sheet=sheets[code], actor=operator, raw=_points_inputs(sheets[code], 0.92, rng))
        # A self-evaluation is submitted with its evidence (at least one file).
        evidence_add(
            sheet=sheets[code],
            actor=operator,
            uploaded=SimpleUploadedFile(
                f"{code}-2024年服务台账.pdf", _demo_pdf(f"{code} 2024 service ledger")
            ),
            kind="ledger",
        )
        sheet_self_submit(sheet=sheets[code], actor=operator)
    onsite = dict(sheets["YM-GS-03"].self_inputs)
    first = next(iter(onsite))
    onsite[first] = "3"  # the ledger did not support the reported placements
    sheet_onsite_save(
        sheet=sheets["YM-GS-03"],
        actor=assessor,
        raw=onsite,
        gap_reasons={
            first.removeprefix("item_")
            .removesuffix("_points")
            .replace("_", "."): "台账中 2024 年 5—8 月推荐成功记录缺少用工单位签字，不予认可。"
        },
        findings="岗位推荐成功花名册缺少用工单位签字；公示栏信息未更新。",
    )
    sheet_onsite_submit(sheet=sheets["YM-GS-03"], actor=assessor)

    # The rest: the bureau's data analysis by Excel import; some already reviewed and locked.
    imported = {c for c in sheets if c not in {"YM-GS-01", "YM-GS-02", "YM-GS-03", "YM-DS-01"}}
    quality = {code: 0.62 + 0.3 * rng.random() for code in imported}
    _import_rows(
        campaign,
        bureau,
        lambda s: _points_inputs(s, quality[s.station.code], rng) if s.station.code in imported else None,
    )
    for code in ("YM-GS-04", "YM-GS-05", "YM-DS-02", "YM-DS-03"):
        sheet_lock(sheet=ScoreSheet.objects.get(pk=sheets[code].pk), actor=bureau, reason="与台账核对一致")
    rectification_issue(
        station=Station.objects.get(code="YM-DS-06"),
        campaign=campaign,
        actor=bureau,
        problems="服务时间公示与实际不符；求职登记台账缺 2024 年 9 月记录。",
        deadline=timezone.localdate() + datetime.timedelta(days=20),
    )
    # An order whose deadline passed without an answer, so a newcomer can try revocation at once:
    # `bureau` proposes (提请撤销资格), `admin` approves (a revocation needs two people). No order
    # can be issued with a past deadline, so it is issued as any other and then dated as if it had
    # been issued five weeks ago (its history rows keep today's date: they are never rewritten).
    lapsed = rectification_issue(
        station=Station.objects.get(code="YM-DS-05"),
        actor=bureau,
        problems="2024 年 10 月日常巡查：服务场所已连续两周未开放，未按要求公示服务时间和联系电话。",
        deadline=timezone.localdate() + datetime.timedelta(days=1),
    )
    RectificationOrder.objects.filter(pk=lapsed.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=5),
        issued_at=now - datetime.timedelta(days=35),
    )
    del admin


# The operators the demo makes for stations without one in the account list, by station code:
# people are named on every page and in the history, so these have names like everyone else.
DEMO_OPERATOR_NAMES = {"YM-GS-03": ("孙", "伟")}


def _demo_pdf(text: str) -> bytes:
    """A one-page PDF saying `text`: a demo evidence file the content check accepts."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length %d>>stream\n%s\nendstream" % (len(stream), stream),
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _demo_operator(code: str) -> User:
    """YM-GS-03 has no operator account in the demo list; it gets one so its self-evaluation is real.

    Active, because an inactive account may do nothing (core.permissions), but without a usable
    password, so nobody logs in as it.
    """
    station = Station.objects.get(code=code)
    last_name, first_name = DEMO_OPERATOR_NAMES.get(code, ("站点", "运营人员"))
    user, _ = User.objects.get_or_create(
        username=f"op-{code.lower()}",
        defaults={"role": User.Role.OPERATOR, "region": station.region, "password": make_password(None)},
    )
    if not user.is_active or (user.last_name, user.first_name) != (last_name, first_name):
        user.is_active = True
        user.last_name, user.first_name = last_name, first_name
        user.save(update_fields=["is_active", "last_name", "first_name"])
    station.operators.add(user)
    return user


def load_quanzhou(users: dict[str, User]) -> None:
    rng = random.Random(2023)
    now = timezone.now()
    admin = users["admin"]
    campaign = _campaign(
        "quanzhou-2023",
        name="泉州市2023年度零工市场（驿站）星级评定",
        region=Region.objects.get(code="350500"),
        year=2023,
        self_evaluation_due=now + datetime.timedelta(days=1),
        onsite_due=timezone.localdate() + datetime.timedelta(days=1),
        assessed_on=datetime.date(2023, 11, 30),
    )
    campaign_open(campaign=campaign, actor=admin)  # QZ-GM-03 is left out: recognised in July 2023
    quality = {}
    _import_rows(
        campaign,
        admin,
        lambda s: _points_inputs(s, quality.setdefault(s.station.code, 0.6 + 0.38 * rng.random()), rng),
    )
    for sheet in ScoreSheet.objects.filter(campaign=campaign):
        sheet_lock(sheet=sheet, actor=admin)
    campaign_results_compute(campaign=campaign, actor=admin)
    today = timezone.localdate()
    campaign_notice_start(
        campaign=campaign,
        actor=admin,
        first_day=today,
        last_day=earliest_last_day(today, campaign.policy.result_notice_working_days),
    )
    result = campaign.results.order_by("-score").first()
    objection_file(
        campaign=campaign,
        station=result.station,
        name="林先生",
        contact="13905951234",
        reason="该市场今年 6 月起周末经常不开门，评为最高星级与实际不符，请核实。",
        attachment=None,
        address="demo",
    )
    # The demo replays the 2023 cycle today; its deadlines are dated as they were.
    Campaign.objects.filter(pk=campaign.pk).update(
        self_evaluation_due=datetime.datetime(2023, 10, 31, 18, 0, tzinfo=SHANGHAI),
        onsite_due=datetime.date(2023, 11, 30),
    )


def load_heshan(users: dict[str, User]) -> None:
    rng = random.Random(430903)
    now = timezone.now()
    admin = users["admin"]
    campaign = _campaign(
        "heshan-2024",
        name="赫山区2024年度充分就业社区（村）考核",
        region=Region.objects.get(code="430903"),
        year=2024,
        months=list(range(1, 13)),
        self_evaluation_due=now + datetime.timedelta(days=1),
        onsite_due=timezone.localdate() + datetime.timedelta(days=1),
        assessed_on=datetime.date(2024, 12, 31),
    )
    campaign_open(campaign=campaign, actor=admin)
    strength = {
        s.code: 0.55 + 0.45 * rng.random() for s in Station.objects.filter(kind__in=["community", "village"])
    }
    _import_rows(campaign, admin, lambda s: _heshan_month(s.station.kind, rng, strength[s.station.code]))
    for sheet in ScoreSheet.objects.filter(campaign=campaign):
        sheet_lock(sheet=sheet, actor=admin)
    campaign_results_compute(campaign=campaign, actor=admin)
    today = timezone.localdate()
    campaign_notice_start(
        campaign=campaign,
        actor=admin,
        first_day=today,
        last_day=earliest_last_day(today, campaign.policy.result_notice_working_days),
    )
    # The demo replays a notice that ran last month: its period is dated as it was, then it is published.
    Campaign.objects.filter(pk=campaign.pk).update(
        notice_start=now - datetime.timedelta(days=20), notice_end=now - datetime.timedelta(days=13)
    )
    campaign.refresh_from_db()
    campaign_publish(campaign=campaign, actor=admin)
    for result in campaign.results.filter(eliminated=True).select_related("station"):
        rectification_issue(
            station=result.station,
            campaign=campaign,
            actor=admin,
            problems=f"2024 年度考核得分 {result.score} 分，列全区末位。请对照考核细则逐项整改。",
            deadline=timezone.localdate() + datetime.timedelta(days=30),
        )
    Campaign.objects.filter(pk=campaign.pk).update(
        self_evaluation_due=datetime.datetime(2025, 1, 10, 18, 0, tzinfo=SHANGHAI),
        onsite_due=datetime.date(2025, 1, 20),
    )


def load_demo_campaigns(users: dict[str, User]) -> list[str]:
    """Build each demo campaign that does not exist yet; return the codes built."""
    built = []
    for code, loader in (
        ("yunmeng-2024", load_yunmeng),
        ("quanzhou-2023", load_quanzhou),
        ("heshan-2024", load_heshan),
    ):
        if not Campaign.objects.filter(code=code).exists():
            loader(users)
            built.append(code)
    return built
