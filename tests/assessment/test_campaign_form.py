"""The campaign form's months: twelve checkboxes, stored as the list of month numbers the engine reads."""

import re

from django.urls import reverse

from assessment.models import Campaign, Policy
from tests.assessment.test_policy_forms import visible_text

ADD = "admin:assessment_campaign_add"


def campaign_form(policy, region, **changes):
    """The add form as a clerk fills it in; months are ticked boxes (a list of "1".."12")."""
    return {
        "code": "new-campaign",
        "name": "2024年度考核",
        "policy": policy.pk,
        "region": region.pk,
        "year": policy.year,
        "self_evaluation_due_0": "2026-12-20",
        "self_evaluation_due_1": "18:00",
        "onsite_due": "2026-12-30",
        "assessed_on": "2024-12-31",
        "gap_threshold": "2",
        "entries-TOTAL_FORMS": "0",
        "entries-INITIAL_FORMS": "0",
        **changes,
    }


def test_the_add_page_offers_twelve_month_boxes_and_no_json(client, world):
    client.force_login(world.bureau_a)
    page = client.get(reverse(ADD)).content.decode()

    boxes = re.findall(r'<input type="checkbox" name="months" value="(\d+)"', page)
    assert boxes == [str(month) for month in range(1, 13)]
    text = visible_text(page)
    assert "1月" in text and "12月" in text
    assert "[]</textarea>" not in page and not re.search(r"[\[\]{}]", text)
    assert "js/month-picker.js" in page  # the 全年 / 上半年 / 下半年 buttons, from a file (CSP)


def test_ticked_months_are_stored_as_the_sorted_month_numbers(client, world):
    heshan = Policy.objects.get(code="heshan-2024", version=1)
    client.force_login(world.superuser)

    response = client.post(
        reverse(ADD), campaign_form(heshan, world.county_a, months=["12", "1", "2", "3", "7"])
    )

    assert response.status_code == 302, visible_text(response.content.decode())[:1500]
    campaign = Campaign.objects.get(code="new-campaign")
    assert campaign.months == [1, 2, 3, 7, 12]
    assert campaign.periods == ["2024-01", "2024-02", "2024-03", "2024-07", "2024-12"]


def test_a_yearly_campaign_ticks_no_month(client, world, yunmeng):
    client.force_login(world.bureau_a)

    response = client.post(reverse(ADD), campaign_form(yunmeng, world.county_a))

    assert response.status_code == 302
    assert Campaign.objects.get(code="new-campaign").months == []


def test_a_monthly_policy_without_months_is_a_chinese_form_error(client, world):
    heshan = Policy.objects.get(code="heshan-2024", version=1)
    client.force_login(world.superuser)

    response = client.post(reverse(ADD), campaign_form(heshan, world.county_a))

    assert response.status_code == 200
    assert "按月评分的政策须填写评分月份" in response.content.decode()
    assert not Campaign.objects.filter(code="new-campaign").exists()


def test_a_month_that_is_not_a_month_is_a_chinese_form_error(client, world):
    heshan = Policy.objects.get(code="heshan-2024", version=1)
    client.force_login(world.superuser)

    response = client.post(reverse(ADD), campaign_form(heshan, world.county_a, months=["13"]))

    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert not Campaign.objects.exists()


def test_the_draft_shows_its_months_ticked(client, world):
    heshan = Policy.objects.get(code="heshan-2024", version=1)
    client.force_login(world.superuser)
    client.post(reverse(ADD), campaign_form(heshan, world.county_a, months=["4", "5"]))
    campaign = Campaign.objects.get(code="new-campaign")

    page = client.get(reverse("admin:assessment_campaign_change", args=[campaign.pk])).content.decode()

    ticked = re.findall(r'<input type="checkbox" name="months" value="(\d+)"[^>]*checked', page)
    assert ticked == ["4", "5"]


def test_an_open_campaign_reads_its_months_in_chinese(client, world, heshan_world):
    from assessment.services.campaigns import campaign_open

    campaign, bureau, _, _ = heshan_world
    campaign_open(campaign=campaign, actor=bureau)
    client.force_login(bureau)

    page = client.get(reverse("admin:assessment_campaign_change", args=[campaign.pk])).content.decode()
    text = visible_text(page)

    assert "1月、2月、3月、4月、5月、6月、7月、8月、9月、10月、11月、12月" in text
    assert 'name="months"' not in page
    assert "[1, 2" not in text
