import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stations.models import Station
from tests.factories import make_station


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_station_changelist_makes_the_same_number_of_queries_for_5_or_40_rows(client, world):
    client.force_login(world.bureau_a)
    url = reverse("admin:stations_station_changelist")
    for _ in range(4):
        make_station(region=world.town_a)
    few = count_queries(client, url)
    for _ in range(35):
        make_station(region=world.town_a)
    assert count_queries(client, url) == few


def test_station_search_finds_by_credit_code_and_name(client, world):
    client.force_login(world.bureau_a)
    make_station(region=world.town_a, name="义堂镇零工驿站", operator_credit_code="91350100M000100Y43")
    page = client.get(
        reverse("admin:stations_station_changelist"), {"q": "91350100M000100Y43"}
    ).content.decode()
    assert "义堂镇零工驿站" in page
    assert "甲县城关零工驿站" not in page


def test_status_change_page_records_the_reason(client, world):
    client.force_login(world.bureau_a)
    url = reverse("admin:stations_station_status", args=[world.station_a.pk])
    assert "整改中" in client.get(url).content.decode()
    client.post(url, {"to": "rectifying", "reason": "台账不全"})
    world.station_a.refresh_from_db()
    assert world.station_a.status == "rectifying"
    page = client.get(reverse("admin:stations_station_change", args=[world.station_a.pk])).content.decode()
    assert "台账不全" in page


@pytest.mark.parametrize(("state", "offered"), [("active", True), ("rectifying", True), ("revoked", False)])
def test_the_status_button_shows_exactly_while_the_table_allows_a_change(client, world, state, offered):
    Station.objects.filter(pk=world.station_a.pk).update(status=state)
    button = f'href="{reverse("admin:stations_station_status", args=[world.station_a.pk])}"'
    change = reverse("admin:stations_station_change", args=[world.station_a.pk])

    client.force_login(world.bureau_a)
    assert (button in client.get(change).content.decode()) is offered
    client.force_login(world.auditor_a)
    assert button not in client.get(change).content.decode()


def test_a_revoked_stations_status_page_refuses_to_change_it(client, world):
    Station.objects.filter(pk=world.station_a.pk).update(status="revoked")
    client.force_login(world.bureau_a)

    page = client.get(reverse("admin:stations_station_status", args=[world.station_a.pk])).content.decode()

    assert "当前状态下不能办理此事项" in page


def test_auditor_sees_the_station_form_without_a_save_button(client, world):
    client.force_login(world.auditor_a)
    page = client.get(reverse("admin:stations_station_change", args=[world.station_a.pk])).content.decode()
    assert "甲县城关零工驿站" in page
    assert 'name="_save"' not in page
