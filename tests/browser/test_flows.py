"""Four people at their screens, in a real browser: what each one does and sees.

The world (campaigns, sheets, claims) is built through the services, as in the other tests; only
the step the person takes goes through the pages: the operator's self-evaluation on a phone with
an evidence file, the assessor's on-site score that differs and needs its reason, a citizen's
objection on the public notice, and the bureau's payout with the whole bank account in view.
"""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from assessment.models import Objection, ScoreSheet
from subsidies.models import SubsidyClaim
from tests.assessment.steps import assign_assessor, points_inputs, self_evaluate
from tests.browser.conftest import PHONE
from tests.core.test_filechecks import make_pdf
from tests.subsidies.steps import ACCOUNT, approved_claim, make_fund, noticed_campaign, published_campaign

pytestmark = pytest.mark.browser


def waiting_on_the_desk(browser, url: str, world):
    """The desk's link to `url` among what waits for the person, naming the station."""
    return browser.wait(
        EC.element_to_be_clickable(
            (By.XPATH, f"//main//a[@href='{url}' and contains(., '{world.station_a.name}')]")
        ),
        f"the desk offers no link to {url} naming {world.station_a.name}",
    )


def test_the_operator_self_evaluates_on_a_phone_with_an_evidence_file(browser, world, sheet, tmp_path):
    ledger = tmp_path / "服务台账2024.pdf"
    ledger.write_bytes(make_pdf())
    inputs = points_inputs(sheet.campaign, kind=world.station_a.kind, total=90)

    browser.viewport(*PHONE, phone=True)
    browser.log_in(world.operator_a)
    browser.screenshot("desk")
    # The desk lists the self-evaluation among what waits for the operator; a tap opens its form.
    browser.press(waiting_on_the_desk(browser, reverse("assessment:sheet_self_edit", args=[sheet.pk]), world))
    assert browser.find("h1").text == f"自评：{world.station_a.name}"
    # The page is laid out for the phone's width, and nothing sticks out sideways.
    assert browser.driver.execute_script(
        "return [window.innerWidth, document.documentElement.scrollWidth]"
    ) == [PHONE[0], PHONE[0]]

    for name, value in inputs.items():
        browser.type(browser.driver.find_element(By.NAME, name), value)
    browser.screenshot("filled")
    browser.press(browser.button("保存草稿"))
    assert "草稿已保存。" in browser.messages()

    Select(browser.field("材料类别")).select_by_index(0)
    browser.driver.find_element(By.CSS_SELECTOR, "input[type=file][name=file]").send_keys(str(ledger))
    browser.press(browser.button("上传"))
    assert f"已上传：{ledger.name}" in browser.messages()
    assert ledger.name in browser.text("ul.files")
    browser.screenshot("evidence-uploaded")

    browser.press(browser.button("提交自评"), confirm="提交后不能再修改，确认提交自评？")
    browser.screenshot("submitted")
    assert "自评已提交。现场评估时，评估人员会核对您填报的数据和材料。" in browser.messages()
    page = browser.text()
    assert "已提交自评" in page
    assert ledger.name in page
    assert browser.text("table.sheet tfoot th:nth-child(3)") == "90.00"  # the self-evaluation's total
    assert ScoreSheet.objects.get(pk=sheet.pk).status == ScoreSheet.Status.SUBMITTED


def test_the_assessor_must_give_a_reason_for_an_on_site_score_that_differs(browser, world, sheet):
    full = points_inputs(sheet.campaign, kind=world.station_a.kind, total=100)
    self_evaluate(sheet, operator=world.operator_a, raw=full)
    assign_assessor(sheet, assessor=world.assessor_a, bureau=world.bureau_a)
    reason = "服务台账缺 3 至 5 月记录，现场核实不足"

    browser.log_in(world.assessor_a)
    # The desk lists the sheet to score on site; a click opens its form.
    browser.press(
        waiting_on_the_desk(browser, reverse("assessment:sheet_onsite_edit", args=[sheet.pk]), world)
    )
    first = browser.driver.find_element(By.NAME, "item_1_1_points")
    assert first.get_attribute("value") == full["item_1_1_points"]  # prefilled from the self-evaluation
    own = Decimal(full["item_1_1_points"])
    browser.type(first, str(own - 4))
    browser.press(browser.button("提交现场评分"))
    browser.screenshot("reason-demanded")
    assert "项目 1.1 的现场评分与自评相差超过 2.00 分，请写明原因。" in browser.text()
    assert ScoreSheet.objects.get(pk=sheet.pk).status == ScoreSheet.Status.SUBMITTED

    # The reason's box names the item and both scores.
    assert browser.text("label[for='gap_1.1']") == f"项目 1.1：自评 {own:.2f} 分，现场 {own - 4:.2f} 分"
    reason_box = browser.find("textarea[name='gap_1.1']")
    browser.type(reason_box, reason)
    browser.screenshot("reason-given")
    browser.press(browser.button("提交现场评分"))
    browser.screenshot("submitted")
    assert "现场评分已提交，等待人社局综合评审。" in browser.messages()
    assert "现场评估完成" in browser.text()
    assert browser.text("table.sheet tfoot th:nth-child(4)") == "96.00"  # the on-site total
    sheet.refresh_from_db()
    assert (sheet.status, sheet.gap_reasons) == (ScoreSheet.Status.ASSESSED, {"1.1": reason})


# The thank-you page gives the objector a reference number (受理编号) to ask about the objection with.
REFERENCE = re.compile(r"受理编号[：:\s]*([A-Za-z0-9][A-Za-z0-9-]{3,})")


def test_a_citizen_objects_on_the_public_notice_and_is_thanked(browser, world):
    campaign = noticed_campaign(world, totals={"AAA-01": 88})

    browser.open(reverse("notice:detail", args=[campaign.code]))
    assert world.station_a.name in browser.text("table.notice")
    browser.screenshot("notice")
    browser.press(browser.link("对此结果提出异议"))
    assert browser.field("站点编码").get_attribute("value") == world.station_a.code
    browser.type(browser.find("#id_name"), "王小明")
    browser.type(browser.find("#id_contact"), "13800001234")
    browser.type(browser.find("#id_reason"), "该驿站全年多次无人值守，台账与实际服务人数不符。")
    browser.screenshot("objection")
    browser.press(browser.button("提交异议"))
    browser.screenshot("thanks")

    assert browser.find("h1").text == "异议已收到"
    page = browser.text()
    assert campaign.name in page
    objection = Objection.objects.get()
    assert (objection.station, objection.reason) == (
        world.station_a,
        "该驿站全年多次无人值守，台账与实际服务人数不符。",
    )
    shown = REFERENCE.search(page)
    assert shown is not None, page
    assert shown.group(1) == objection.reference


def test_the_bureau_pays_a_claim_seeing_the_whole_bank_account(browser, world):
    # The cycle ran in the last weeks: the claim was approved after its payee notice, days ago, so
    # today's payout date is after the approval.
    with time_machine.travel(timezone.now() - datetime.timedelta(days=20), tick=False):
        published_campaign(world, totals={"AAA-01": 92})
        fund = make_fund(world.county_a, budget="1000000.00")
        claim = approved_claim(world.station_a, operator=world.operator_a, bureau=world.bureau_a, fund=fund)
    assert claim.approved_at < timezone.now()

    browser.log_in(world.bureau_a, then=reverse("admin:subsidies_subsidyclaim_change", args=[claim.pk]))
    browser.screenshot("claim")
    assert ACCOUNT in browser.text("#content")  # the claim's page shows it in full to who pays it too
    browser.press(browser.link("登记拨付"))
    browser.screenshot("payout-form")
    page = browser.text("#content")
    assert f"{claim.approved_amount:,.2f} 元" in page
    assert claim.payee_name in page
    # Finance transfers from this page: the whole account, not 6222****0123.
    assert ACCOUNT in page, page

    # The form proposes today. A date input shows only an ISO value (2026-12-01): given 2026/12/01
    # the browser shows an empty field, and the clerk must pick the day.
    assert browser.field("拨付日期").get_attribute("value") == timezone.localdate().isoformat()
    browser.type(browser.field("凭证号"), "记-2024-0107")
    browser.press(browser.button("确认"))
    browser.screenshot("paid")
    assert "拨付已登记。" in browser.text("body")
    claim.refresh_from_db()
    assert claim.status == SubsidyClaim.Status.PAID
    assert "记-2024-0107" in browser.text("body")
