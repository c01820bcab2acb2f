"""The desk (工作台): the first page after login, what waits for each role, and the campaign's picture.

Built through the services where a person would act (the bureau opens the campaign, the operator
submits, the assessor declares); rows no workflow under test writes (a result, a ledger row, a
fund, a finished job) are written directly, as the campaign page's tests do.
"""

import datetime
import re
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessment.models import Campaign, CampaignResult, Entitlement, Objection, RectificationOrder, ScoreSheet
from assessment.services.rectification import rectification_issue
from core.models import Job
from subsidies.models import Fund
from tests.assessment.steps import assign_assessor, points_inputs, self_evaluate
from tests.assessment.test_pages_at_scale import on_notice, opened, stations_in

DESK = reverse("desk:index")


def desk_of(client, user) -> str:
    client.force_login(user)
    response = client.get(DESK)
    assert response.status_code == 200
    return response.content.decode()


def waiting_rows(page: str) -> dict[str, str]:
    """The admin desk's 待办 table as {事项: the rest of its row in words}."""
    rows = {}
    for row in re.findall(r"<tr[^>]*>\s*<td><a href=\"[^\"]*\">([^<]*)</a></td>(.*?)</tr>", page, re.S):
        label, rest = row
        rows[label] = " ".join(re.sub(r"<[^>]+>", " ", rest).split())
    return rows


def submitted(sheet: ScoreSheet, operator) -> ScoreSheet:
    return self_evaluate(
        sheet, operator=operator, raw=points_inputs(sheet.campaign, kind=sheet.station.kind, total=90)
    )


@pytest.mark.parametrize(
    ("username", "looks_like"),
    [("bureau_a", 'id="site-name"'), ("operator_a", 'class="topbar"'), ("assessor_a", 'class="topbar"')],
)
def test_everybody_lands_on_the_desk_after_login(client, world, username, looks_like):
    response = client.post(reverse("login"), {"username": username, "password": "pw-for-tests"}, follow=True)
    assert response.redirect_chain[-1][0] == DESK
    page = response.content.decode()
    assert "<h1>工作台</h1>" in page or "工作台</h1>" in page
    assert looks_like in page  # the admin's look for the bureau, the phone layout for the others


def test_the_admin_index_and_header_and_the_portal_home_lead_to_the_desk(client, world):
    client.force_login(world.bureau_a)
    index = client.get(reverse("admin:index")).content.decode()
    assert index.count(f'href="{DESK}"') >= 2  # the header's link and the index's first entry
    client.force_login(world.assessor_a)
    assert f'href="{DESK}"' in client.get(reverse("portal:home")).content.decode()
    # The portal's brand in the top bar goes home, and home is the desk.
    assert 'class="brand" href="/"' in client.get(reverse("portal:home")).content.decode()
    assert client.get("/").url == DESK


def test_the_bureau_sees_what_waits_with_counts_deadlines_and_filtered_lists(client, world, sheet):
    submitted(sheet, world.operator_a)
    rows = waiting_rows(desk_of(client, world.bureau_a))
    due = (timezone.localdate() + datetime.timedelta(days=20)).isoformat()
    assert rows["已提交自评、待现场评估的评分表"] == f"1 {due} 还剩20天"
    assert rows["未指派评估人员的参评站点"] == f"1 {due} 还剩20天"
    page = desk_of(client, world.bureau_a)
    sheets = reverse("admin:assessment_scoresheet_changelist")
    assert f'href="{sheets}?status__exact=submitted"' in page


def test_an_overdue_rectification_comes_first_and_says_how_late(client, world, open_campaign):
    today = timezone.localdate()
    rectification_issue(
        station=world.station_a,
        actor=world.bureau_a,
        problems="台账不全",
        deadline=today + datetime.timedelta(days=3),
    )
    assert waiting_rows(desk_of(client, world.bureau_a))["整改期限内的整改通知"].endswith("还剩3天")
    with time_machine.travel(timezone.now() + datetime.timedelta(days=5)):
        page = desk_of(client, world.bureau_a)
        first = next(iter(waiting_rows(page)))
    assert first == "逾期未整改的整改通知"
    assert waiting_rows(page)[first].endswith("已逾期2天")
    assert 'class="overdue"' in page


def test_the_deadline_is_counted_in_china_not_on_the_servers_clock(client, world, sheet):
    """Self-evaluation due at 09:00 on a day in China is "today" from midnight in China, which is
    16:00 the day before in UTC."""
    due = datetime.datetime(2030, 3, 10, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    Campaign.objects.filter(pk=sheet.campaign_id).update(self_evaluation_due=due)
    with time_machine.travel(datetime.datetime(2030, 3, 9, 16, 30, tzinfo=datetime.UTC)):  # 00:30 in China
        page = desk_of(client, world.operator_a)
    assert "今天截止" in page


def test_the_operator_sees_the_self_evaluation_to_submit_and_goes_straight_to_it(client, world, sheet):
    page = desk_of(client, world.operator_a)
    assert "待填写、提交的自评" in page and "还剩10天" in page
    assert f'href="{reverse("assessment:sheet_self_edit", args=[sheet.pk])}"' in page
    assert "2024年度自评" in page
    assert "style=" not in page  # the CSP refuses style attributes
    submitted(sheet, world.operator_a)
    assert "待填写、提交的自评" not in desk_of(client, world.operator_a)


def test_the_operator_sees_a_rectification_to_answer(client, world, open_campaign):
    order = rectification_issue(
        station=world.station_a,
        actor=world.bureau_a,
        problems="台账不全",
        deadline=timezone.localdate() + datetime.timedelta(days=6),
    )
    page = desk_of(client, world.operator_a)
    assert "待提交整改情况的整改通知" in page and "还剩6天" in page
    assert f'href="{reverse("assessment:rectification_detail", args=[order.pk])}"' in page
    assert "目前没有待办事项" in desk_of(client, world.operator_b)


def test_the_assessor_declares_first_then_sees_the_sheet_to_score(client, world, sheet):
    assign_assessor(sheet, assessor=world.assessor_a, bureau=world.bureau_a, declare=False)
    page = desk_of(client, world.assessor_a)
    assert "待声明利益冲突的评估任务" in page and "还剩20天" in page
    assert "assignments/" in page and "/declare/" in page
    assert "待现场评分的评分表" not in page  # the sheet stays closed until the declaration
    from assessment.services.campaigns import conflict_declare
    from tests.assessment.steps import entry_of

    conflict_declare(entry=entry_of(sheet), actor=world.assessor_a, has_conflict=False)
    page = desk_of(client, world.assessor_a)
    assert "待声明利益冲突的评估任务" not in page
    assert "待现场评分的评分表" in page
    assert f'href="{reverse("assessment:sheet_onsite_edit", args=[sheet.pk])}"' in page


def test_finished_jobs_are_on_the_desk_of_whoever_started_them(client, world):
    job = Job.objects.create(
        kind="tests.file",
        title="导入花名册 甲县城关零工驿站",
        key="k",
        started_by=world.operator_a,
        status=Job.Status.SUCCEEDED,
        finished_at=timezone.now(),
    )
    page = desk_of(client, world.operator_a)
    assert "导入花名册 甲县城关零工驿站" in page
    assert f'href="{reverse("portal:job", args=[job.pk])}"' in page
    assert "导入花名册" not in desk_of(client, world.operator_b)
    assert "导入花名册" not in desk_of(client, world.bureau_a)


def county_b_campaign_with_money(world, yunmeng) -> Campaign:
    """County B's campaign: a submitted sheet, a result, 98,765 元 on the ledger, a fund, open work."""
    now = timezone.now()
    campaign = Campaign.objects.create(
        code="b-2024",
        name="乙市2024年度考核",
        policy=yunmeng,
        region=world.county_b,
        year=2024,
        status=Campaign.Status.OPEN,
        self_evaluation_due=now + datetime.timedelta(days=10),
        onsite_due=timezone.localdate() + datetime.timedelta(days=20),
        assessed_on=datetime.date(2024, 12, 31),
    )
    ScoreSheet.objects.create(campaign=campaign, station=world.station_b, period="2024", status="submitted")
    entitlement = Entitlement.objects.create(
        station=world.station_b,
        year=2024,
        kind="performance",
        amount=Decimal("98765.00"),
        policy=yunmeng,
        basis="campaign_result",
        campaign=campaign,
        explanation="补助 98765.00 元",
        decided_at=now,
    )
    CampaignResult.objects.create(
        campaign=campaign,
        station=world.station_b,
        score=Decimal("95"),
        tier="x",
        tier_label="乙市优秀",
        entitlement=entitlement,
        computed_at=now,
    )
    Fund.objects.create(
        region=world.county_b, year=2024, code="b-fund", name="乙市补助资金", budget=Decimal("777777")
    )
    Objection.objects.create(
        campaign=campaign,
        station=world.station_b,
        name="某人",
        contact="13800000000",
        reason="不服",
        client_key="k",
    )
    RectificationOrder.objects.create(
        station=world.station_b, problems="乙", deadline=timezone.localdate(), issued_by=world.bureau_b
    )
    return campaign


def test_a_county_clerk_sees_none_of_another_countys_counts_or_money(client, world, yunmeng, sheet):
    campaign_b = county_b_campaign_with_money(world, yunmeng)
    submitted(sheet, world.operator_a)
    client.force_login(world.bureau_a)
    page = client.get(DESK, {"campaign": campaign_b.pk}).content.decode()  # asking for B's by its number
    rows = waiting_rows(page)
    assert rows["已提交自评、待现场评估的评分表"].startswith("1 ")  # A's one sheet, not two
    assert "待答复的异议" not in rows and "整改期限内的整改通知" not in rows
    for of_b in ("乙市2024年度考核", "乙市优秀", "98,765", "777,777", "乙市城中街道"):
        assert of_b not in page
    assert "2024年度云梦县零工驿站运营考核" in page  # A's own campaign instead

    # B's clerk sees B's picture and work, and nothing of A's.
    page = desk_of(client, world.bureau_b)
    assert "乙市优秀" in page and "98,765" in page and "777,777" in page
    assert "待答复的异议" in waiting_rows(page)
    assert "云梦" not in page and "城关镇" not in page


def test_the_auditor_sees_the_picture_read_only_and_no_work(client, world, sheet):
    submitted(sheet, world.operator_a)
    page = desk_of(client, world.auditor_a)
    assert "<h2>待办事项</h2>" not in page and "待现场评估" not in page
    assert "评分表进度" in page and "已提交自评" in page


def test_the_picture_counts_tiers_money_against_the_fund_and_progress(client, world, yunmeng, town_a2):
    stations = [world.station_a, *stations_in(town_a2, 3, "YT")]
    on_notice(opened(world, yunmeng, "pic-2024", stations), tiers=("优秀", "良好"))
    Fund.objects.create(
        region=world.county_a, year=2024, code="a-fund", name="云梦县补助资金", budget=Decimal("200000")
    )
    page = desk_of(client, world.bureau_a)
    assert "pic-2024考核" in page
    assert "<title>优秀：2 个</title>" in page and "<title>良好：2 个</title>" in page
    # 4 stations × 30,000 元 = 120,000 against a fund of 200,000: said in words, and drawn.
    assert "应享补助合计 120,000 元，资金预算 200,000 元，占 60.0%" in page
    assert "120,000 元 / 资金预算 200,000 元" in page
    assert ">城关镇<" in page and ">义堂镇<" in page and "90,000 元" in page  # by township
    assert "共 4 张" in page  # the progress of the four sheets
    assert "style=" not in page.split('id="content-main"')[1]  # the CSP refuses style attributes


def desk_queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(DESK).status_code == 200
    return len(queries.captured_queries)


def test_the_desk_makes_the_same_queries_for_3_stations_as_for_15(client, world, yunmeng, town_a2):
    small = on_notice(opened(world, yunmeng, "small", stations_in(town_a2, 3, "S")))
    Campaign.objects.filter(pk=small.pk).update(created_at=timezone.now() - datetime.timedelta(days=1))
    counts_small = {user.username: desk_queries(client, user) for user in (world.bureau_a, world.auditor_a)}
    opened(world, yunmeng, "large", stations_in(world.town_a, 15, "L"))
    on_notice(Campaign.objects.get(code="large"))
    for user in (world.bureau_a, world.auditor_a, world.superuser):
        page = desk_of(client, user)
        assert "large考核" in page and "共 15 张" in page  # the newest campaign, all of it counted
    counts_large = {user.username: desk_queries(client, user) for user in (world.bureau_a, world.auditor_a)}
    assert counts_large == counts_small, (counts_small, counts_large)
    assert max(counts_large.values()) <= 25  # a handful of aggregates, not a query per row
