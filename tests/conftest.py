from dataclasses import dataclass

import pytest

from stations.models import Region, Station, User
from tests.factories import make_region, make_station, make_user


@dataclass
class World:
    """Two counties under one city, each with one station and its people.

    Everything named *_a belongs to county A, *_b to county B; a user of A must never see B.
    assessor_a reaches no station until a campaign assigns them one.
    """

    province: Region
    city: Region
    county_a: Region
    county_b: Region
    town_a: Region
    station_a: Station
    station_b: Station
    superuser: User
    bureau_a: User
    auditor_a: User
    operator_a: User
    assessor_a: User
    bureau_b: User
    operator_b: User


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: a page cached by one test must not answer another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path_factory):
    """Files a test stores (job results, uploads) go to a folder of its own, never the project's media/."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture
def world(db) -> World:
    province = make_region("420000", "湖北省", Region.Level.PROVINCE)
    city = make_region("420900", "孝感市", Region.Level.CITY, province)
    county_a = make_region("420923", "云梦县", Region.Level.COUNTY, city)
    county_b = make_region("420981", "应城市", Region.Level.COUNTY, city)
    town_a = make_region("420923100", "城关镇", Region.Level.TOWNSHIP, county_a)
    town_b = make_region("420981100", "城中街道", Region.Level.TOWNSHIP, county_b)
    station_a = make_station(region=town_a, code="AAA-01", name="甲县城关零工驿站")
    station_b = make_station(region=town_b, code="BBB-01", name="乙市城中零工驿站")
    operator_a = make_user("operator_a", role=User.Role.OPERATOR, region=town_a)
    operator_b = make_user("operator_b", role=User.Role.OPERATOR, region=town_b)
    assessor_a = make_user("assessor_a", role=User.Role.ASSESSOR, region=county_a)
    station_a.operators.add(operator_a)
    station_b.operators.add(operator_b)
    return World(
        province=province,
        city=city,
        county_a=county_a,
        county_b=county_b,
        town_a=town_a,
        station_a=station_a,
        station_b=station_b,
        superuser=make_user("root", superuser=True),
        bureau_a=make_user("bureau_a", role=User.Role.BUREAU, region=county_a),
        auditor_a=make_user("auditor_a", role=User.Role.AUDITOR, region=county_a),
        operator_a=operator_a,
        assessor_a=assessor_a,
        bureau_b=make_user("bureau_b", role=User.Role.BUREAU, region=county_b),
        operator_b=operator_b,
    )
