"""The results list (考核结果) and the stations taking part (参评站点) at a clerk's 1366 px.

Beside the admin's menu and filters a list has about 700 px; the results' eight columns (with the
long campaign name, two yes/no columns) pushed the subsidies off screen, the stations' six the
assessor. The campaign is now a quiet line under the station: five and four columns fit.
"""

import re

from django.urls import reverse

from assessment.services.campaigns import campaign_results_compute
from tests.assessment.conftest import addresses, campaign, open_campaign, yunmeng  # noqa: F401
from tests.assessment.steps import lock_sheets


def column_heads(page: str) -> list[str]:
    """The list's column titles (without the sort controls)."""
    heads = re.findall(
        r'<th scope="col"\s+class="[^"]*column-(\w+)[^"]*">.*?<div class="text">(.*?)</div>', page, re.S
    )
    return [re.sub(r"<[^>]+>|\s+", "", html) for name, html in heads if name != "action_checkbox"]


def test_the_results_list_shows_the_subsidies_in_five_columns(client, world, open_campaign):  # noqa: F811
    lock_sheets(open_campaign, totals={"AAA-01": 92}, assessor=world.assessor_a, bureau=world.bureau_a)
    campaign_results_compute(campaign=open_campaign, actor=world.bureau_a)
    client.force_login(world.bureau_a)

    page = client.get(reverse("admin:assessment_campaignresult_changelist")).content.decode()

    assert column_heads(page) == ["站点/考核批次", "得分", "等次", "年度补助（元）", "一次性补助（元）"]
    row = page[page.index("AAA-01") :]
    row = row[: row.index("</tr>")]
    assert open_campaign.name in row  # the campaign, a line under the station
    assert "优秀" in row and "60,000.00" in row  # the tier and the money, as clerks write it
    assert "css/admin-results.css" in page  # amounts right-aligned, on one line


def test_the_stations_taking_part_show_the_assessor_in_four_columns(client, world, open_campaign):  # noqa: F811
    chen = world.assessor_a
    chen.last_name, chen.first_name = "陈", "立"
    chen.save(update_fields=["last_name", "first_name"])
    lock_sheets(open_campaign, totals={"AAA-01": 92}, assessor=chen, bureau=world.bureau_a)
    client.force_login(world.bureau_a)

    page = client.get(reverse("admin:assessment_campaignstation_changelist")).content.decode()

    assert column_heads(page) == ["站点/区域·考核批次", "评估人员", "利益冲突声明", "声明时间"]
    row = page[page.index("AAA-01") :]
    row = row[: row.index("</tr>")]
    assert f"城关镇 · {open_campaign.name}" in row and "陈立" in row
