"""Campaign fixtures: the seed Yunmeng policy run by county A's bureau, built through the services.

Deadlines are relative to the real clock (self-evaluation due in 10 days, on-site in 20), so only
the tests about deadlines need a frozen clock, and they travel to one second after the deadline.
"""

import datetime

import pytest
from django.utils import timezone

from assessment.models import Campaign, Policy, ScoreSheet
from assessment.services.campaigns import campaign_open
from stations.models import Region, User
from tests.factories import make_region, make_station, make_user


@pytest.fixture
def addresses(world):
    """Everybody of the world gets an email address, so notifications can be counted."""
    for user in (
        world.bureau_a,
        world.auditor_a,
        world.operator_a,
        world.assessor_a,
        world.bureau_b,
        world.operator_b,
    ):
        user.email = f"{user.username}@example.cn"
        user.save(update_fields=["email"])
    return world


@pytest.fixture
def bureau_a2(world) -> User:
    """A second clerk of county A's bureau, for the moves that need two people."""
    user = make_user("bureau_a2", role=User.Role.BUREAU, region=world.county_a)
    user.email = "bureau_a2@example.cn"
    user.save(update_fields=["email"])
    return user


@pytest.fixture
def yunmeng(db) -> Policy:
    return Policy.objects.get(code="yunmeng-2024", version=1)


@pytest.fixture
def campaign(world, addresses, yunmeng) -> Campaign:
    """A draft Yunmeng campaign of county A (the bureau fills in this row in the admin)."""
    now = timezone.now()
    return Campaign.objects.create(
        code="yunmeng-2024-test",
        name="2024年度云梦县零工驿站运营考核",
        policy=yunmeng,
        region=world.county_a,
        year=2024,
        self_evaluation_due=now + datetime.timedelta(days=10),
        onsite_due=timezone.localdate() + datetime.timedelta(days=20),
        assessed_on=datetime.date(2024, 12, 31),
    )


@pytest.fixture
def open_campaign(campaign, world) -> Campaign:
    """The campaign opened by county A's bureau: station AAA-01 takes part with one yearly sheet."""
    return campaign_open(campaign=campaign, actor=world.bureau_a)


@pytest.fixture
def sheet(open_campaign, world) -> ScoreSheet:
    return ScoreSheet.objects.select_related("campaign__policy", "station").get(
        campaign=open_campaign, station=world.station_a
    )


@pytest.fixture
def heshan_world(db):
    """Heshan (monthly, ranked): its bureau, an assessor and three communities of province or city level."""
    county = Region.objects.get(code="430903")  # installed with the seed policy
    town = make_region("430903001", "桃花仑街道", Region.Level.TOWNSHIP, county)
    bureau = make_user("bureau_hs", role=User.Role.BUREAU, region=county)
    assessor = make_user("assessor_hs", role=User.Role.ASSESSOR, region=county)
    stations = [
        make_station(region=town, code=code, kind="community", recognition_level=level)
        for code, level in (("HS-01", "province"), ("HS-02", "city"), ("HS-03", "city"))
    ]
    campaign = Campaign.objects.create(
        code="heshan-2024-test",
        name="2024年赫山区充分就业社区考核",
        policy=Policy.objects.get(code="heshan-2024"),
        region=county,
        year=2024,
        months=list(range(1, 13)),
        self_evaluation_due=timezone.now() + datetime.timedelta(days=10),
        onsite_due=timezone.localdate() + datetime.timedelta(days=20),
        assessed_on=datetime.date(2024, 12, 31),
    )
    return campaign, bureau, assessor, stations
