"""Tiers are listed in the policy's own order: highest line first, down to the fallback.

Huizhou's stars were listed 一星, 三星, 二星, 五星, 四星 (by label) on the notice's and the results
list's 等次 filter, and by amount (all 0: any order) in the policy's amounts table.
"""

import io
import re
from urllib.parse import unquote

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from assessment.models import Campaign, Policy
from stations.models import User

STARS = ["五星", "四星", "三星", "二星", "一星", "未评定星级"]


@pytest.fixture
def huizhou(db, settings, tmp_path) -> Campaign:
    """The demo's Huizhou rating (30 stations, computed), put on public notice."""
    settings.MEDIA_ROOT = tmp_path
    call_command("load_demo", stdout=io.StringIO())
    now = timezone.now()
    Campaign.objects.filter(code="huizhou-2024").update(
        status=Campaign.Status.NOTICE,
        notice_start=now - timezone.timedelta(hours=1),
        notice_end=now + timezone.timedelta(days=7),
    )
    return Campaign.objects.get(code="huizhou-2024")


def test_the_notice_filter_lists_the_stars_from_five_down(client, huizhou):
    # The demo reaches every star and the fallback: the whole order is on show.
    assert set(huizhou.results.values_list("tier_label", flat=True)) == set(STARS)
    page = client.get(reverse("notice:detail", args=[huizhou.code])).content.decode()
    select = re.search(r'<select id="notice-tier".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="([^"]+)"', select) == STARS


def test_the_results_list_filter_lists_the_stars_from_five_down(client, huizhou):
    client.force_login(User.objects.get(username="hz-bureau"))
    url = reverse("admin:assessment_campaignresult_changelist")
    for query in ("", f"?campaign={huizhou.pk}"):
        page = client.get(url + query).content.decode()
        labels = [unquote(value) for value in re.findall(r'href="\?[^"]*tier_label=([^"&]+)', page)]
        assert labels == STARS, query
    # Choosing one still lists only its stations.
    five = huizhou.results.filter(tier_label="五星").first().station.code
    one = huizhou.results.filter(tier_label="一星").first().station.code
    page = client.get(url, {"campaign": huizhou.pk, "tier_label": "五星"}).content.decode()
    assert five in page and one not in page


def test_the_policy_amounts_table_lists_the_stars_from_five_down(client, huizhou):
    client.force_login(User.objects.get(username="admin"))
    policy = Policy.objects.filter(code="huizhou-2024").order_by("-version").first()
    page = client.get(reverse("admin:assessment_policy_change", args=[policy.pk])).content.decode()
    start = page.index('id="subsidy_amounts-group"')
    amounts = page[start : page.index("</fieldset>", start)]
    shown = re.findall(r'<td class="field-tier_name">\s*<p>([^<]+)</p>', amounts)
    # A row per star that has an amount (the fallback has none), from five stars down.
    assert shown == STARS[:5]
