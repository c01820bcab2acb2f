"""Who assesses a station is decided per campaign; a station's default assessor is only what a
new campaign copies, and lets nobody see anything by itself."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from assessment.models import Campaign, CampaignStation
from assessment.services.campaigns import assessor_assign, campaign_open
from core.models import AuditEntry
from stations.models import Station, User
from stations.selectors import station_list
from tests.factories import make_station, make_user


def codes(stations):
    return sorted(stations.values_list("code", flat=True))


def station_page(client, user, station: Station) -> int:
    client.force_login(user)
    return client.get(reverse("portal:station_detail", args=[station.code])).status_code


def default_assessor_set(station: Station, assessor: User | None) -> None:
    """What the bureau does on the station's admin page."""
    station.default_assessor = assessor
    station.save(update_fields=["default_assessor"])


def second_campaign(world, yunmeng) -> Campaign:
    """Another open campaign of county A in which AAA-01 takes part (a re-assessment, say)."""
    now = timezone.now()
    campaign = Campaign.objects.create(
        code="yunmeng-2024-recheck",
        name="2024年度云梦县零工驿站复核",
        policy=yunmeng,
        region=world.county_a,
        year=2024,
        self_evaluation_due=now + datetime.timedelta(days=10),
        onsite_due=timezone.localdate() + datetime.timedelta(days=20),
        assessed_on=datetime.date(2024, 12, 31),
    )
    return campaign_open(campaign=campaign, actor=world.bureau_a)


@pytest.fixture
def assessor_a2(world) -> User:
    user = make_user("assessor_a2", role=User.Role.ASSESSOR, region=world.county_a)
    user.email = "assessor_a2@example.cn"
    user.save(update_fields=["email"])
    return user


def test_opening_copies_each_stations_default_assessor_into_its_entry(
    world, campaign, django_capture_on_commit_callbacks
):
    without_default = make_station(region=world.town_a, code="AAA-02", name="甲县城关第二零工驿站")
    default_assessor_set(world.station_a, world.assessor_a)

    with django_capture_on_commit_callbacks(execute=True):
        campaign_open(campaign=campaign, actor=world.bureau_a)

    entry = CampaignStation.objects.get(campaign=campaign, station=world.station_a)
    assert entry.assessor == world.assessor_a
    assert entry.declaration == CampaignStation.Declaration.PENDING  # must still declare before scoring
    assert CampaignStation.objects.get(campaign=campaign, station=without_default).assessor is None
    told = [m for m in mail.outbox if m.to == ["assessor_a@example.cn"]]
    assert [m.subject for m in told] == ["[站点考核] 评估任务：甲县城关零工驿站"]
    assert "声明" in told[0].body
    history = AuditEntry.objects.get(action="campaign.assessor_assign", station=world.station_a)
    assert history.actor == world.bureau_a
    assert history.changes == {"assessor": ["", str(world.assessor_a)]}


def test_an_assessor_of_several_defaults_is_told_once_with_every_station(
    world, campaign, django_capture_on_commit_callbacks
):
    second = make_station(region=world.town_a, code="AAA-02", name="甲县城关第二零工驿站")
    default_assessor_set(world.station_a, world.assessor_a)
    default_assessor_set(second, world.assessor_a)

    with django_capture_on_commit_callbacks(execute=True):
        campaign_open(campaign=campaign, actor=world.bureau_a)

    told = [m for m in mail.outbox if m.to == ["assessor_a@example.cn"]]
    assert len(told) == 1
    assert "甲县城关零工驿站" in told[0].body and "甲县城关第二零工驿站" in told[0].body
    assert codes(station_list(actor=world.assessor_a)) == ["AAA-01", "AAA-02"]


def test_a_deactivated_default_assessor_is_not_copied(world, campaign):
    default_assessor_set(world.station_a, world.assessor_a)
    world.assessor_a.is_active = False
    world.assessor_a.save(update_fields=["is_active"])

    campaign_open(campaign=campaign, actor=world.bureau_a)

    assert CampaignStation.objects.get(campaign=campaign, station=world.station_a).assessor is None


def test_a_default_assessor_without_a_campaign_assignment_cannot_see_the_station(client, world):
    default_assessor_set(world.station_a, world.assessor_a)

    assert codes(station_list(actor=world.assessor_a)) == []
    assert station_page(client, world.assessor_a, world.station_a) == 404


def test_a_default_assessor_reassigned_away_in_the_campaign_loses_the_station(
    client, world, open_campaign, assessor_a2
):
    # The default was set after opening: the open campaign does not pick it up.
    default_assessor_set(world.station_a, world.assessor_a)
    entry = CampaignStation.objects.get(campaign=open_campaign, station=world.station_a)
    assert entry.assessor is None
    assert station_page(client, world.assessor_a, world.station_a) == 404

    assessor_assign(entry=entry, assessor=assessor_a2, actor=world.bureau_a, reason="指派")

    assert station_page(client, assessor_a2, world.station_a) == 200
    assert station_page(client, world.assessor_a, world.station_a) == 404


def test_an_assessor_assigned_in_a_campaign_sees_the_station(client, world, open_campaign):
    assert station_page(client, world.assessor_a, world.station_a) == 404
    entry = CampaignStation.objects.get(campaign=open_campaign, station=world.station_a)

    assessor_assign(entry=entry, assessor=world.assessor_a, actor=world.bureau_a, reason="指派")

    assert codes(station_list(actor=world.assessor_a)) == ["AAA-01"]
    assert station_page(client, world.assessor_a, world.station_a) == 200
    home = client.get(reverse("portal:home")).content.decode()
    assert "AAA-01" in home


def test_reassigning_in_one_campaign_changes_neither_another_campaign_nor_the_default(
    world, campaign, yunmeng, assessor_a2
):
    default_assessor_set(world.station_a, world.assessor_a)
    campaign_open(campaign=campaign, actor=world.bureau_a)
    recheck = second_campaign(world, yunmeng)
    first_entry = CampaignStation.objects.get(campaign=campaign, station=world.station_a)

    assessor_assign(entry=first_entry, assessor=assessor_a2, actor=world.bureau_a, reason="指派")

    assert CampaignStation.objects.get(campaign=campaign, station=world.station_a).assessor == assessor_a2
    assert CampaignStation.objects.get(campaign=recheck, station=world.station_a).assessor == world.assessor_a
    world.station_a.refresh_from_db()
    assert world.station_a.default_assessor == world.assessor_a
    # Both still reach the station, each through their own campaign.
    assert codes(station_list(actor=world.assessor_a)) == ["AAA-01"]
    assert codes(station_list(actor=assessor_a2)) == ["AAA-01"]


def test_changing_the_default_leaves_open_campaigns_alone(world, campaign, assessor_a2):
    default_assessor_set(world.station_a, world.assessor_a)
    campaign_open(campaign=campaign, actor=world.bureau_a)

    default_assessor_set(world.station_a, assessor_a2)

    assert (
        CampaignStation.objects.get(campaign=campaign, station=world.station_a).assessor == world.assessor_a
    )
    assert codes(station_list(actor=assessor_a2)) == []


def test_an_assignment_without_a_reason_is_refused_and_changes_nothing(world, open_campaign):
    from django.core.exceptions import ValidationError

    entry = CampaignStation.objects.get(campaign=open_campaign, station=world.station_a)
    with pytest.raises(ValidationError, match="请填写变更原因"):
        assessor_assign(entry=entry, assessor=world.assessor_a, actor=world.bureau_a, reason="  ")
    assert CampaignStation.objects.get(pk=entry.pk).assessor is None
    assert not AuditEntry.objects.filter(action="campaign.assessor_assign").exists()
