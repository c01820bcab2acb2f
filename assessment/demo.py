"""Demo campaigns, one per seed policy, built through the same services the bureau uses.

- yunmeng-2024: in progress: drafts, a submitted self-evaluation, an on-site score with a gap
  reason, sheets filled by the bureau's Excel import, some locked, a rectification order.
- quanzhou-2023: on public notice, with an open objection; one market left out for recognition.
- heshan-2024: published: 12 months × 36 units imported from Excel, ranked 3:4:3 with
  elimination and the group deduction, and rectification orders for the eliminated units.
- hubei-2024: published: 001's province-wide evaluation of Hubei's gig stations on the Yunmeng
  policy, and the province's three demonstration stations (服务示范零工驿站) chosen from its ranking.
- huizhou-2024: results computed: the 30 pilot employment stations of 003 scored on site by the
  city's assessor (some after a self-evaluation), locked, and rated 五星 to 一星.
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
    sheet_gaps,
    sheet_lock,
    sheet_onsite_save,
    sheet_onsite_submit,
    sheet_self_save,
    sheet_self_submit,
)
from core.xlsx import XlsxSheet, write_xlsx
from stations.contracts import contract_targets_for
from stations.models import Region, Station, User
from stations.worklog import work_log_totals

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
            elif input_type == "text":
                value = value or None  # a written reason goes in as typed; none is an empty cell
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
    _yunmeng_annual_reports(campaign, operators)

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


# Yunmeng's annual reports （年度报告制度）: (what was done, results, problems, next year's plan).
YUNMENG_ANNUAL_REPORTS = {
    "YM-GS-01": (
        "驿站全年工作日开放，设零工信息发布栏和线上小程序登记点，与周边商户建立用工联系。",
        "",
        "",
        "",
    ),
    "YM-GS-02": (
        "驿站全年开放，依托“就在孝感”工作台和小程序发布零工岗位，与镇内 3 家驿站签署联盟协议共享岗位。",
        "零工当日对接到岗明显增加；协助完成灵活就业人员社保补贴申请的基层受理。",
        "小程序推广覆盖的村（社区）不足一半；部分对接结果未及时在系统确认。",
        "逐村（社区）开展小程序推广；每月核对对接结果并录入工作日志；组织两期技能培训推荐。",
    ),
    "YM-GS-03": (
        "驿站与 20 余家企业建立常态联系，开展“大数据+铁脚板”走访，提供政策咨询和劳务合同指导。",
        "走访企业收集的零工需求全部上线发布；调解劳务纠纷，协助签订劳务合同。",
        "岗位推荐成功花名册的用工单位签字不全；公示栏信息更新不及时。",
        "推荐成功的每一单当日请用工单位签字确认；每周更新公示栏；推动意外伤害险投保。",
    ),
}


def _yunmeng_annual_reports(campaign: Campaign, operators: dict[str, User | None]) -> None:
    """YM-GS-02 and YM-GS-03 submitted their reports with the self-evaluation; YM-GS-01 has a draft."""
    from assessment.models import ANNUAL_REPORT_SECTIONS
    from assessment.services.annual_reports import annual_report_save, annual_report_submit

    for code, texts in YUNMENG_ANNUAL_REPORTS.items():
        operator = operators.get(code) or _demo_operator(code)
        station = Station.objects.get(code=code)
        sections = {name: text for (name, _heading), text in zip(ANNUAL_REPORT_SECTIONS, texts, strict=True)}
        report = annual_report_save(campaign=campaign, station=station, actor=operator, sections=sections)
        if all(texts):
            annual_report_submit(report=report, actor=operator)


# The operators the demo makes for stations without one in the account list, by station code:
# people are named on every page and in the history, so these have names like everyone else.
DEMO_OPERATOR_NAMES = {
    "YM-GS-03": ("孙", "伟"),
    # The Huizhou stations whose operators filled in a self-evaluation.
    "HZ-ES-01": ("何", "嘉欣"),
    "HZ-ES-04": ("钟", "志强"),
    "HZ-ES-09": ("叶", "婉婷"),
    "HZ-ES-15": ("曾", "国华"),
    "HZ-ES-20": ("邓", "晓琳"),
    "HZ-ES-24": ("罗", "俊杰"),
}


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


def notice_replayed_and_published(campaign: Campaign, actor: User) -> None:
    """Put computed results on notice and publish them. The demo replays a notice that ran last
    month: its period is dated as it was, then it is published."""
    today, now = timezone.localdate(), timezone.now()
    campaign_notice_start(
        campaign=campaign,
        actor=actor,
        first_day=today,
    )
    Campaign.objects.filter(pk=campaign.pk).update(
        notice_start=now - datetime.timedelta(days=20), notice_end=now - datetime.timedelta(days=13)
    )
    campaign.refresh_from_db()
    campaign_publish(campaign=campaign, actor=actor)


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
    notice_replayed_and_published(campaign, admin)
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
    # 004's timetable: the district recommends its best units to the city, the city to the province.
    from assessment.demo_recommendations import load_heshan_recommendations

    load_heshan_recommendations(campaign, users)


# Why an assessor deducted from 3.3 服务台账 (a discretionary deduction needs a written reason),
# by the size of the deduction, and what they wrote when nothing was deducted.
HUIZHOU_LEDGER_FINDINGS = {
    Decimal("1"): "个别求职登记记录缺联系电话，已当场补正。",
    Decimal("2"): "2024 年 7—9 月求职登记台账未按月装订，部分记录缺服务人员签名。",
    Decimal("3.5"): "企业走访台账与系统登记数量不一致，相差 6 家，未能说明原因。",
    Decimal("5"): "服务台账仅有 2024 年下半年记录，上半年推荐就业记录缺失。",
}
HUIZHOU_LEDGER_COMPLETE = "服务台账齐全，登记规范，未扣分。"

# Why the on-site points of an item differ from a self-evaluation, by item code.
HUIZHOU_GAP_REASONS = {
    "2.1": "现场查看：外立面、服务台及背景墙未按全省统一风格装修，自评按已统一计。",
    "2.2": "公示栏未公布投诉举报电话，岗位信息为 2024 年 6 月旧信息。",
    "3.3": "台账抽查发现登记不全，酌情扣分，理由见该项。",
    "5.1": "按“惠州就业驿站管理系统”导出的岗位归集数核定，低于自评数。",
    "5.2": "走访记录中 9 家企业无走访照片和联系人签字，不予认定。",
    "5.3": "推荐就业花名册中部分人员未能核实就业，按核实人数计。",
    "5.4": "12345 热线转办记录显示有效投诉 1 件，自评未计。",
}


def _huizhou_inputs(station: Station, strength: float, rng: random.Random, jobs_target: int) -> dict:
    """A pilot station's year as the assessor finds it on site: weaker stations miss more.

    The hardware is the station's own record (area, computer, display, monitoring, meeting room);
    `jobs_target` is its operating contract's job-postings target for 2024 (the input is bound to
    it, huizhou-2024.yaml `target:`); the rest is drawn around `strength` (0..1), so the 30
    stations spread over the star tiers.
    """

    def holds(bar: float) -> bool:
        return rng.random() < bar + strength * (1 - bar)

    deduction = (
        Decimal(0)
        if strength > 0.8
        else rng.choice(list(HUIZHOU_LEDGER_FINDINGS)[: 2 + int(3 * (1 - strength))])
    )
    return {
        "service_area": str(station.floor_area),
        "has_computer": station.has_computer,
        "has_display": station.has_display,
        "has_monitoring": station.has_monitoring,
        "has_meeting_room": station.has_meeting_room,
        "unified_name": holds(0.7),
        "unified_decoration": holds(0.3),
        "provincial_plaque": holds(0.5),
        "shows_services": holds(0.8),
        "shows_policies": holds(0.6),
        "shows_jobs": holds(0.5),
        "shows_complaint_line": holds(0.4),
        "free_of_charge_rule": holds(0.8),
        "attendance_rule": holds(0.5),
        "conduct_rule": holds(0.4),
        "information_review_rule": holds(0.3),
        "follows_work_rules": holds(0.6),
        "has_service_process": holds(0.6),
        "ledger_deduction": str(deduction),
        "ledger_deduction_reason": HUIZHOU_LEDGER_FINDINGS.get(deduction, HUIZHOU_LEDGER_COMPLETE),
        "has_station_head": True,
        "has_county_supervisor": holds(0.6),
        "staff_trained": min(4, 1 + int(strength * 3.5 + rng.random())),
        "jobs_target": jobs_target,
        "jobs_collected": int(jobs_target * (0.45 + 0.65 * strength + rng.uniform(-0.05, 0.05))),
        "enterprises_visited": int(8 + 36 * strength + rng.randint(-3, 3)),
        "placements": int(8 + 60 * strength + rng.randint(-5, 5)),
        "valid_complaints": 0 if holds(0.5) else rng.choice([1, 1, 2]),
    }


# The Huizhou inputs taken from the work log (huizhou-2024.yaml `log:`), and the two stations where
# the assessor found the log wrong on site: (input, how many fewer were verified, the reason).
HUIZHOU_LOG_INPUTS = {
    "jobs_collected": "job_postings",
    "enterprises_visited": "enterprise_visits",
    "placements": "placements",
}
HUIZHOU_LOG_CORRECTIONS = {
    "HZ-ES-04": ("placements", 3, "推荐成功就业日志中 3 人重复登记（同一人分两天录入），按核实人数计。"),
    "HZ-ES-09": ("enterprises_visited", 2, "日志登记的 2 家企业走访无走访记录表和企业签字，不予认定。"),
}
HUIZHOU_NO_LOG = "驿站 2024 年未在系统中登记工作日志，按纸质服务台账逐项核实。"
HUIZHOU_LOG_BACKFILLED = "工作日志多为 12 月集中补录，无原始登记表和服务对象签字，按纸质服务台账核实的数计。"


def _huizhou_log_checked(code: str, onsite: dict, logged: dict[str, int], *, weakest: bool) -> dict[str, str]:
    """Set the on-site counts bound to the log to what the assessor verified; return their reasons.

    Most stations' counts are their logged totals as confirmed; at HZ-ES-04 and HZ-ES-09 the
    assessor verified fewer and says why. The weakest station's log was filled in at the year's
    end and not accepted, and a station with nothing logged has no log to accept: both keep the
    counts found in the paper ledger, with the reason (so the rating still reaches 未评定星级).
    """
    if not any(logged.values()):
        return {f"log:{name}": HUIZHOU_NO_LOG for name in HUIZHOU_LOG_INPUTS}
    if weakest:
        return {f"log:{name}": HUIZHOU_LOG_BACKFILLED for name in HUIZHOU_LOG_INPUTS}
    reasons = {}
    for name, field in HUIZHOU_LOG_INPUTS.items():
        onsite[name] = logged[field]
    corrected = HUIZHOU_LOG_CORRECTIONS.get(code)
    if corrected is not None and onsite[corrected[0]] >= corrected[1]:
        name, fewer, reason = corrected
        onsite[name] -= fewer
        reasons[f"log:{name}"] = reason
    return reasons


def _huizhou_self_inputs(onsite: dict, rng: random.Random) -> dict:
    """What an operator claims: the year as found on site, a little rosier."""
    claimed = dict(onsite)
    for name in ("unified_decoration", "shows_jobs", "shows_complaint_line", "conduct_rule"):
        claimed[name] = claimed[name] or rng.random() < 0.5
    claimed["ledger_deduction"], claimed["ledger_deduction_reason"] = "0", HUIZHOU_LEDGER_COMPLETE
    claimed["jobs_collected"] = int(onsite["jobs_collected"] * 1.1)
    claimed["enterprises_visited"] = onsite["enterprises_visited"] + rng.choice([0, 4, 9])
    claimed["placements"] = onsite["placements"] + rng.choice([0, 3, 8])
    claimed["valid_complaints"] = 0
    return claimed


def load_huizhou(users: dict[str, User]) -> None:
    """003's 30 pilot stations rated by the city: on-site scores, some self-evaluations, results."""
    rng = random.Random(441300)
    now = timezone.now()
    bureau, assessor = users["hz-bureau"], users["hz-assessor"]
    campaign = _campaign(
        "huizhou-2024",
        name="惠州市2024年度就业驿站星级评定",
        region=Region.objects.get(code="441300"),
        year=2024,
        self_evaluation_due=now + datetime.timedelta(days=1),
        onsite_due=timezone.localdate() + datetime.timedelta(days=1),
        assessed_on=datetime.date(2024, 12, 31),
    )
    # Opening copies hz-assessor in, the default assessor of every HZ-ES station (load_demo).
    campaign_open(campaign=campaign, actor=bureau)
    for entry in CampaignStation.objects.filter(campaign=campaign, assessor=assessor).select_related(
        "station"
    ):
        conflict_declare(entry=entry, actor=assessor, has_conflict=False)
    sheets = list(
        ScoreSheet.objects.filter(campaign=campaign)
        .select_related("station", "campaign__policy")
        .order_by("station__code")
    )
    # Strengths spread evenly from weak to strong, in an order of their own, so each tier is reached.
    strengths = [0.08 + 0.92 * index / (len(sheets) - 1) for index in range(len(sheets))]
    rng.shuffle(strengths)
    # The stations' 2024 work log, all in one query (zeros where a station logged nothing).
    logged = work_log_totals(
        station_ids=[sheet.station_id for sheet in sheets],
        start=datetime.date(2024, 1, 1),
        end=datetime.date(2024, 12, 31),
    )
    # Their operating contracts' 2024 share of each target (load_demo's load_contracts), in one query.
    targets = contract_targets_for(
        station_ids=[sheet.station_id for sheet in sheets],
        period=(datetime.date(2024, 1, 1), datetime.date(2024, 12, 31)),
    )

    for sheet, strength in zip(sheets, strengths, strict=True):
        code = sheet.station.code
        onsite = _huizhou_inputs(
            sheet.station, strength, rng, jobs_target=targets[sheet.station_id]["job_postings"]
        )
        log_reasons = _huizhou_log_checked(
            code, onsite, logged[sheet.station_id], weakest=strength == min(strengths)
        )
        if code in DEMO_OPERATOR_NAMES:
            operator = _demo_operator(code)
            sheet_self_save(sheet=sheet, actor=operator, raw=_huizhou_self_inputs(onsite, rng))
            evidence_add(
                sheet=sheet,
                actor=operator,
                uploaded=SimpleUploadedFile(
                    f"{code}-2024年服务台账.pdf", _demo_pdf(f"{code} 2024 service ledger")
                ),
                kind="ledger",
            )
            sheet_self_submit(sheet=sheet, actor=operator)
            sheet = ScoreSheet.objects.select_related("station", "campaign").get(pk=sheet.pk)
        sheet = sheet_onsite_save(sheet=sheet, actor=assessor, raw=onsite, gap_reasons={}, findings="")
        # Items scored more than the threshold below the self-evaluation need the assessor's reason.
        gaps = sheet_gaps(sheet) if code in DEMO_OPERATOR_NAMES else {}
        findings = "现场核查服务场所、公示栏和台账，与驿站负责人核对全年服务数据。"
        if onsite["ledger_deduction"] != "0":
            findings = f"{findings}{onsite['ledger_deduction_reason']}"
        sheet_onsite_save(
            sheet=sheet,
            actor=assessor,
            raw=onsite,
            gap_reasons={item: HUIZHOU_GAP_REASONS.get(item, "现场核查结果与自评不符。") for item in gaps}
            | log_reasons,
            findings=findings,
        )
        sheet_onsite_submit(sheet=sheet, actor=assessor)
        sheet_lock(sheet=ScoreSheet.objects.get(pk=sheet.pk), actor=bureau)
    campaign_results_compute(campaign=campaign, actor=bureau)
    # The demo replays the 2024 rating today; its deadlines are dated as they were.
    Campaign.objects.filter(pk=campaign.pk).update(
        self_evaluation_due=datetime.datetime(2025, 1, 10, 18, 0, tzinfo=SHANGHAI),
        onsite_due=datetime.date(2025, 1, 24),
    )


def load_hubei_province(users: dict[str, User]) -> None:
    # 001's province-wide evaluation and its demonstration stations (assessment/demo_recommendations.py).
    from assessment.demo_recommendations import load_hubei_demonstrations

    load_hubei_demonstrations(users)


def load_demo_campaigns(users: dict[str, User]) -> list[str]:
    """Build each demo campaign that does not exist yet; return the codes built."""
    built = []
    for code, loader in (
        ("yunmeng-2024", load_yunmeng),
        ("quanzhou-2023", load_quanzhou),
        ("heshan-2024", load_heshan),
        ("huizhou-2024", load_huizhou),
        ("hubei-2024", load_hubei_province),
    ):
        if not Campaign.objects.filter(code=code).exists():
            loader(users)
            built.append(code)
    return built
