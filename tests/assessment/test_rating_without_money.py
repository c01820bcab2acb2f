"""A policy that pays nothing (Huizhou's stars: 003 pays operators by contract) shows no money.

Its notice, results list, Excel tables and score-sheet PDF showed 年度补助 0.00 on every row and
"绩效补助 0.00 元" in every explanation, which citizens read as stations denied their money.
"""

import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from assessment.documents.score_sheet import score_sheet_html, station_document
from assessment.documents.tables import CampaignResultTable, NoticeListTable
from assessment.engine.specs import SubsidyScheduleSpec
from assessment.models import Campaign
from stations.models import User
from tests.assessment.test_pages_at_scale import on_notice, opened, stations_in

MONEY_HEADERS = ["年度补助（元）", "一次性补助（元）"]


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


def test_a_schedule_pays_nothing_only_when_no_amount_is_above_zero():
    kind = "employment_station"
    assert SubsidyScheduleSpec(amounts={kind: {"five_star": Decimal("0.00")}}).pays_nothing
    assert SubsidyScheduleSpec(amounts={}).pays_nothing
    assert not SubsidyScheduleSpec(amounts={kind: {"a": Decimal(0), "b": Decimal("0.01")}}).pays_nothing
    one_time = SubsidyScheduleSpec(amounts={kind: {"a": Decimal(0)}}, one_time_amounts={kind: Decimal(1)})
    assert not one_time.pays_nothing


def test_the_huizhou_notice_has_no_money_column_and_says_the_rating_pays_nothing(client, huizhou):
    page = client.get(reverse("notice:detail", args=[huizhou.code])).content.decode()
    assert "五星" in page  # the results are there ...
    assert "补助（元）" not in page and "0.00 元" not in page  # ... without money
    assert "绩效补助" not in page
    assert page.count("不设补助") == 30  # every station's explanation says why


def test_the_yunmeng_notice_keeps_its_money_column(client, world, yunmeng, addresses):
    campaign = on_notice(opened(world, yunmeng, "ym-money", stations_in(world.town_a, 2, "B")))
    page = client.get(reverse("notice:detail", args=[campaign.code])).content.decode()
    assert "年度补助（元）" in page and "30,000.00" in page


def test_the_huizhou_tables_leave_the_money_columns_out(huizhou):
    for table in (
        NoticeListTable(campaign=huizhou, actor=None),
        CampaignResultTable(campaign=huizhou, actor=None),
    ):
        (sheet,) = table.sheets()
        assert not set(MONEY_HEADERS) & set(sheet.header), type(table).__name__
        rows = list(sheet.rows)
        assert len(rows) == 30
        assert all(len(row) == len(sheet.header) for row in rows)
        assert all(str(row[-1]).endswith("不设补助") for row in rows)
        assert len(sheet.column_widths) == len(sheet.header)


def test_the_huizhou_results_list_has_no_money_columns(client, huizhou):
    client.force_login(User.objects.get(username="hz-bureau"))
    url = reverse("admin:assessment_campaignresult_changelist")
    for query in ({}, {"campaign": huizhou.pk}):
        page = client.get(url, query).content.decode()
        assert "五星" in page
        assert not any(header in page for header in MONEY_HEADERS), query


def test_the_huizhou_score_sheet_pdf_prints_no_money(huizhou):
    result = huizhou.results.select_related("station").first()
    html = score_sheet_html(station_document(campaign=huizhou, station=result.station, actor=None))
    assert result.tier_label in html and "不设补助" in html
    assert "年度补助" not in html and "一次性补助" not in html and "0.00 元" not in html


def test_the_huizhou_trial_shows_the_star_and_no_amount(client, huizhou):
    from assessment.models import Policy
    from tests.assessment.test_huizhou_policy import STATION

    client.force_login(User.objects.get(username="admin"))
    policy = Policy.objects.filter(code="huizhou-2024").order_by("-version").first()
    typed = {
        f"case1-{name}": ("true" if value else "false") if isinstance(value, bool) else str(value)
        for name, value in STATION.items()
    }
    url = reverse("admin:assessment_policy_try", args=[policy.pk]) + "?kind=employment_station"
    page = client.post(url, {**typed, "assessed_on": "2024-12-31"}).content.decode()
    results = re.search(r'<table class="trial-results">.*?</table>', page, re.S).group(0)
    assert "三星" in results and "不设补助" in results  # the hand case: 71.25, three stars
    assert "补助金额" not in results and "0.00 元" not in results
