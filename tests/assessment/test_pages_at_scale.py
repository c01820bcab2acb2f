"""Pages that do not grow with the data (issue 10, item 5).

Every list and detail page makes the same number of queries for 3 stations as for 30; the
campaign's page counts by state and region and links to the filtered lists instead of listing
every entry; the public notice is paged, searched and filtered, and kept in the cache only for as
long as the campaign's results stand; the objection form finds the unit by search.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessment.models import Campaign, CampaignResult, CampaignStation, Entitlement
from assessment.services.campaigns import campaign_open
from assessment.services.sheets import sheet_correct
from core.admin_base import EstimatedCountPaginator
from core.models import AuditEntry
from stations.models import Region, Station
from tests.assessment.steps import lock_sheets, points_inputs, start_notice
from tests.factories import make_region, make_station


def stations_in(region: Region, count: int, prefix: str) -> list[Station]:
    return [
        make_station(region=region, code=f"{prefix}-{i:03d}", name=f"{region.name}{prefix}第{i}站")
        for i in range(count)
    ]


def opened(world, policy, code: str, stations: list[Station]) -> Campaign:
    """A Yunmeng campaign of county A opened by its bureau for exactly `stations`."""
    now = timezone.now()
    campaign = Campaign.objects.create(
        code=code,
        name=f"{code}考核",
        policy=policy,
        region=world.county_a,
        year=2024,
        self_evaluation_due=now + datetime.timedelta(days=10),
        onsite_due=timezone.localdate() + datetime.timedelta(days=20),
        assessed_on=datetime.date(2024, 12, 31),
    )
    return campaign_open(campaign=campaign, actor=world.bureau_a, stations=stations)


def on_notice(campaign: Campaign, tiers=("优秀", "良好")) -> Campaign:
    """Results for every station of `campaign`, on notice now (rows written directly: the workflow
    that computes them is tested elsewhere; these tests are about the pages that show them)."""
    now = timezone.now()
    entries = (
        CampaignStation.objects.filter(campaign=campaign).select_related("station").order_by("station__code")
    )
    for i, entry in enumerate(entries):
        entitlement = Entitlement.objects.create(
            station=entry.station,
            year=campaign.year,
            kind="performance",
            amount=Decimal("30000.00"),
            policy=campaign.policy,
            basis="campaign_result",
            campaign=campaign,
            explanation="补助 30000.00 元",
            decided_at=now,
        )
        CampaignResult.objects.create(
            campaign=campaign,
            station=entry.station,
            score=Decimal("99.00") - i,
            tier="t",
            tier_label=tiers[i % len(tiers)],
            entitlement=entitlement,
            explanation=f"得分 {Decimal('99.00') - i}",
            computed_at=now,
        )
    Campaign.objects.filter(pk=campaign.pk).update(
        status="notice",
        notice_start=now - datetime.timedelta(hours=1),
        notice_end=now + datetime.timedelta(days=7),
    )
    campaign.refresh_from_db()
    return campaign


def fetch(client, url, **query) -> tuple[int, str]:
    """(queries, page) of one GET that must succeed."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, query)
    assert response.status_code == 200, url
    return len(queries.captured_queries), response.content.decode()


@pytest.fixture
def town_a2(world) -> Region:
    return make_region("420923101", "义堂镇", Region.Level.TOWNSHIP, world.county_a)


# --- the campaign's admin page ---------------------------------------------------------------


def test_the_campaign_page_counts_by_state_and_region_with_the_same_queries_for_3_or_30_stations(
    client, world, yunmeng, addresses, town_a2
):
    small = opened(world, yunmeng, "ym-small", [world.station_a, *stations_in(world.town_a, 2, "S")])
    big = opened(world, yunmeng, "ym-big", stations_in(world.town_a, 20, "B") + stations_in(town_a2, 10, "C"))
    client.force_login(world.bureau_a)

    few, _ = fetch(client, reverse("admin:assessment_campaign_change", args=[small.pk]))
    many, page = fetch(client, reverse("admin:assessment_campaign_change", args=[big.pk]))

    assert many == few
    # Counts per township with links to the lists filtered by campaign, state and region ...
    sheets = reverse("admin:assessment_scoresheet_changelist")
    assert f"{sheets}?campaign={big.pk}&amp;status__exact=draft&amp;region={town_a2.pk}" in page
    assert f'&amp;status__exact=draft&amp;region={town_a2.pk}">10</a>' in page
    assert f'&amp;status__exact=draft&amp;region={world.town_a.pk}">20</a>' in page
    assert "义堂镇" in page and "城关镇" in page
    # ... and no row per entry: none of the 30 stations is named on the page.
    assert not any(code in page for code in ("B-000", "B-019", "C-000", "C-009"))


def test_the_campaign_page_opens_a_county_onto_its_townships(client, world, yunmeng, addresses, town_a2):
    campaign = opened(
        world, yunmeng, "ym-drill", stations_in(world.town_a, 2, "B") + stations_in(town_a2, 3, "C")
    )
    client.force_login(world.bureau_a)
    url = reverse("admin:assessment_campaign_change", args=[campaign.pk])
    _, page = fetch(client, f"{url}?region={town_a2.pk}")
    assert f'region={town_a2.pk}">3</a>' in page  # the township's own stations
    assert "城关镇" not in page  # its sibling is not part of this view
    assert f'href="{url}?region={world.county_a.pk}"' in page  # the way back up


def test_the_filtered_sheet_list_shows_only_that_region_and_state(client, world, yunmeng, addresses, town_a2):
    campaign = opened(
        world, yunmeng, "ym-filter", stations_in(world.town_a, 2, "B") + stations_in(town_a2, 2, "C")
    )
    client.force_login(world.bureau_a)
    url = reverse("admin:assessment_scoresheet_changelist")
    _, page = fetch(client, f"{url}?campaign={campaign.pk}&status__exact=draft&region={town_a2.pk}")
    assert "C-000" in page and "C-001" in page
    assert "B-000" not in page and "B-001" not in page
    _, none = fetch(client, f"{url}?campaign={campaign.pk}&status__exact=locked&region={town_a2.pk}")
    assert "C-000" not in none


# --- every list: the same queries for 3 or 30 rows -------------------------------------------

LISTS = [
    "admin:assessment_scoresheet_changelist",
    "admin:assessment_campaignstation_changelist",
    "admin:assessment_campaignresult_changelist",
    "admin:assessment_entitlement_changelist",
    "admin:assessment_campaign_changelist",
    "admin:core_auditentry_changelist",
    "admin:stations_station_changelist",
    "admin:stations_region_changelist",
]


@pytest.mark.parametrize("name", LISTS)
def test_a_list_makes_the_same_queries_for_3_or_30_stations(client, world, yunmeng, addresses, name):
    client.force_login(world.bureau_a)
    on_notice(opened(world, yunmeng, "ym-three", [world.station_a, *stations_in(world.town_a, 2, "S")]))
    few, _ = fetch(client, reverse(name))
    on_notice(opened(world, yunmeng, "ym-thirty", stations_in(world.town_a, 27, "B")))
    cache.clear()  # the history's list of actions is cached: compare a cold page with a cold page
    many, _ = fetch(client, reverse(name))
    assert many == few


def test_sheet_and_history_searches_find_a_station_by_its_code(client, world, yunmeng, addresses):
    opened(world, yunmeng, "ym-search", stations_in(world.town_a, 12, "B"))
    client.force_login(world.bureau_a)
    _, sheets = fetch(client, reverse("admin:assessment_scoresheet_changelist"), q="b-007")
    assert "B-007" in sheets and "B-006" not in sheets and "B-008" not in sheets
    _, by_name = fetch(client, reverse("admin:assessment_scoresheet_changelist"), q="B第11站")
    assert "B-011" in by_name and "B-010" not in by_name
    _, history = fetch(client, reverse("admin:core_auditentry_changelist"), q="B-007")
    assert "B-007" in history and "B-006" not in history


# --- assessor assignment, a page of entries at a time ----------------------------------------


def test_the_bureau_assigns_an_assessor_to_the_chosen_entries_of_a_list(
    client, world, yunmeng, addresses, django_capture_on_commit_callbacks
):
    from django.core import mail

    campaign = opened(world, yunmeng, "ym-assign", stations_in(world.town_a, 4, "B"))
    chosen = list(CampaignStation.objects.filter(campaign=campaign, station__code__in=["B-001", "B-002"]))
    client.force_login(world.bureau_a)
    url = reverse("admin:assessment_campaignstation_changelist") + f"?campaign={campaign.pk}"
    ids = [entry.pk for entry in chosen]
    confirm = client.post(url, {"action": "assign_assessor", "_selected_action": ids, "index": "0"})
    assert confirm.status_code == 200 and "确认指派" in confirm.content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            url,
            {
                "action": "assign_assessor",
                "_selected_action": ids,
                "index": "0",
                "assessor": world.assessor_a.pk,
                "change_reason": "按区域分批指派",
                "apply": "1",
            },
        )
    assert done.status_code == 302
    assigned = dict(
        CampaignStation.objects.filter(campaign=campaign).values_list("station__code", "assessor")
    )
    assert assigned == {
        "B-000": None,
        "B-001": world.assessor_a.pk,
        "B-002": world.assessor_a.pk,
        "B-003": None,
    }
    history = AuditEntry.objects.filter(
        action="campaign.assessor_assign", station__code__in=["B-001", "B-002"]
    )
    assert history.count() == 2
    assert any(m.to == ["assessor_a@example.cn"] for m in mail.outbox)


# --- the public notice -----------------------------------------------------------------------


def notice_url(campaign, **query) -> str:
    from urllib.parse import urlencode

    return reverse("notice:detail", args=[campaign.code]) + ("?" + urlencode(query) if query else "")


def rows_of(page: str) -> int:
    return page.split("<tbody>", 1)[1].split("</tbody>", 1)[0].count("<tr>")


def test_the_notice_is_paged_by_fifty(client, world, yunmeng, addresses):
    campaign = on_notice(opened(world, yunmeng, "ym-pages", stations_in(world.town_a, 55, "B")))
    _, first = fetch(client, notice_url(campaign))
    _, second = fetch(client, notice_url(campaign, page=2))
    assert rows_of(first) == 50 and rows_of(second) == 5
    assert "共 55 个单位" in first and "第 1 / 2 页" in first and "下一页" in first
    assert "B-000" in first and "B-049" in first and "B-050" not in first
    assert "B-050" in second and "<td>51</td>" in second


def test_the_notice_finds_a_unit_by_code_or_name_and_filters_by_region_and_tier(
    client, world, yunmeng, addresses, town_a2
):
    campaign = on_notice(
        opened(world, yunmeng, "ym-find", stations_in(world.town_a, 6, "B") + stations_in(town_a2, 4, "C"))
    )
    _, by_code = fetch(client, notice_url(campaign, q="c-002"))
    assert rows_of(by_code) == 1 and "C-002" in by_code
    _, by_name = fetch(client, notice_url(campaign, q="城关镇B第3"))
    assert rows_of(by_name) == 1 and "B-003" in by_name
    _, by_region = fetch(client, notice_url(campaign, region=town_a2.pk))
    assert rows_of(by_region) == 4 and "B-000" not in by_region
    _, by_tier = fetch(client, notice_url(campaign, region=town_a2.pk, tier="良好"))
    assert rows_of(by_tier) == 2  # every other unit is 良好
    _, nothing = fetch(client, notice_url(campaign, q="没有这个站"))
    assert "没有符合条件的单位" in nothing


def test_the_notice_makes_the_same_queries_for_3_or_30_units_and_one_once_cached(
    client, world, yunmeng, addresses
):
    small = on_notice(opened(world, yunmeng, "ym-n3", [world.station_a, *stations_in(world.town_a, 2, "S")]))
    big = on_notice(opened(world, yunmeng, "ym-n30", stations_in(world.town_a, 30, "B")))
    few, _ = fetch(client, notice_url(small))
    many, page = fetch(client, notice_url(big))
    cached, again = fetch(client, notice_url(big))
    assert many == few
    assert cached == 1
    assert again == page


def test_invented_searches_and_page_numbers_are_answered_but_not_kept_in_the_cache(
    client, world, yunmeng, addresses
):
    campaign = on_notice(opened(world, yunmeng, "ym-junk", stations_in(world.town_a, 3, "B")))
    fetch(client, notice_url(campaign))  # the plain first page is kept
    queries, _ = fetch(client, notice_url(campaign, page="001"))
    assert queries == 1  # the same first page, not a new entry
    for query in ({"q": "随便搜搜"}, {"page": "999"}, {"tier": "不存在的等次"}):
        first, _ = fetch(client, notice_url(campaign, **query))
        second, _ = fetch(client, notice_url(campaign, **query))
        assert second == first > 1, query  # rendered again: nothing was stored for it


def test_a_region_or_page_in_unusual_digits_is_ignored_not_an_error(client, world, yunmeng, addresses):
    campaign = on_notice(opened(world, yunmeng, "ym-digits", stations_in(world.town_a, 3, "B")))
    _, page = fetch(client, notice_url(campaign, region="²", page="³"))
    assert rows_of(page) == 3


def test_a_correction_during_notice_shows_on_the_cached_notice_at_once(client, world, open_campaign):
    lock_sheets(open_campaign, totals={"AAA-01": 72}, assessor=world.assessor_a, bureau=world.bureau_a)
    noticed = start_notice(open_campaign, bureau=world.bureau_a)
    _, before = fetch(client, notice_url(noticed))
    assert "72.00" in before
    sheet_correct(
        sheet=noticed.sheets.get(),
        actor=world.bureau_a,
        final_inputs=points_inputs(noticed, kind="gig_station", total=91),
        reason="复核台账后更正",
    )
    _, after = fetch(client, notice_url(noticed))
    assert "91.00" in after and "72.00" not in after


def test_the_cached_notice_does_not_carry_one_visitors_name_to_the_next(client, world, yunmeng, addresses):
    campaign = on_notice(opened(world, yunmeng, "ym-who", [world.station_a]))
    client.force_login(world.bureau_a)
    _, seen_by_clerk = fetch(client, notice_url(campaign))
    assert "bureau_a" in seen_by_clerk  # the top bar names who is logged in
    client.logout()
    _, seen_by_public = fetch(client, notice_url(campaign))
    assert "bureau_a" not in seen_by_public
    assert world.station_a.name in seen_by_public


# --- the objection form ----------------------------------------------------------------------


def test_the_objection_form_finds_the_unit_by_search_not_from_a_list_of_all(
    client, world, yunmeng, addresses
):
    small = on_notice(opened(world, yunmeng, "ym-o3", stations_in(world.town_a, 3, "S")))
    big = on_notice(opened(world, yunmeng, "ym-o30", stations_in(world.town_a, 30, "B")))
    few, _ = fetch(client, reverse("notice:objection", args=[small.code]))
    many, page = fetch(client, reverse("notice:objection", args=[big.code]))
    assert many == few
    assert "<select" not in page.split("提交异议")[0] and "B-029" not in page
    _, found = fetch(client, reverse("notice:objection", args=[big.code]), q="B第12站")
    assert "B-012" in found and "?station=B-012" in found and "B-013" not in found
    _, chosen = fetch(client, reverse("notice:objection", args=[big.code]), station="B-012")
    assert 'value="B-012"' in chosen
    refused = client.post(
        reverse("notice:objection", args=[big.code]),
        {"station": "S-001", "name": "李四", "contact": "13800000000", "reason": "不是这一批的站点"},
    )
    assert "本次公示名单中没有这个编码" in refused.content.decode()


# --- counting a big table --------------------------------------------------------------------


def test_a_count_beyond_the_exact_bound_is_postgresqls_estimate_and_exact_elsewhere(world):
    stations_in(world.town_a, 30, "B")
    paginator = EstimatedCountPaginator(Station.objects.order_by("code"), 10)
    paginator.exact_up_to = 5
    if connection.vendor == "postgresql":
        assert paginator.count > 5 and paginator.estimated
    else:
        assert (paginator.count, paginator.estimated) == (Station.objects.count(), False)
    within = EstimatedCountPaginator(Station.objects.filter(code__startswith="B-00"), 10)
    assert (within.count, within.estimated) == (10, False)
