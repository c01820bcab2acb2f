"""Subsidy fixtures: the seed policies' regions with stations in them, and claims built through the
services. The world's county A (云梦县) is the Yunmeng policy's region."""

from pathlib import Path

import pytest

from stations.models import Region, User
from tests.factories import make_region, make_user
from tests.subsidies.steps import make_fund, published_campaign


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    """Uploaded materials go to a fresh directory per test, so "nothing stored" can be checked."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def published(world):
    """County A's 2024 Yunmeng campaign published: AAA-01 (gig station) scored 92, excellent, 60,000."""
    return published_campaign(world, totals={"AAA-01": 92})


@pytest.fixture
def fund_a(world):
    return make_fund(world.county_a, budget="1000000.00")


@pytest.fixture
def quanzhou(db):
    """Quanzhou (泉州市, installed with the seed policy): a district, its bureau and its operator."""
    city = Region.objects.get(code="350500")
    district = make_region("350503", "丰泽区", Region.Level.COUNTY, city)
    bureau = make_user("bureau_qz", role=User.Role.BUREAU, region=district)
    operator = make_user("operator_qz", role=User.Role.OPERATOR, region=district)
    return district, bureau, operator


@pytest.fixture
def heshan(db):
    """Heshan (赫山区, installed with the seed policy): its bureau and a community's operator."""
    district = Region.objects.get(code="430903")
    bureau = make_user("bureau_hs", role=User.Role.BUREAU, region=district)
    operator = make_user("operator_hs", role=User.Role.OPERATOR, region=district)
    return district, bureau, operator
