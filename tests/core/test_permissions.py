"""The named predicates of core.permissions, and what a refusal is (and is not)."""

import errno
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from core.permissions import (
    Forbidden,
    is_assigned_assessor,
    may_change_in_admin,
    may_manage,
    may_read,
    may_use_admin,
    operates,
    require,
)
from stations.models import Region, User
from stations.services import station_status_change
from tests.factories import make_region, make_user


@pytest.fixture
def people(world):
    """Everyone the predicates tell apart, around station A in a town of county A."""
    inactive_bureau = make_user("bureau_a_left", role=User.Role.BUREAU, region=world.county_a)
    inactive_bureau.is_active = False
    inactive_bureau.save(update_fields=["is_active"])
    inactive_operator = make_user("operator_a_left", role=User.Role.OPERATOR, region=world.town_a)
    world.station_a.operators.add(inactive_operator)
    inactive_operator.is_active = False
    inactive_operator.save(update_fields=["is_active"])
    town_bureau = make_region("420923101", "义堂镇", Region.Level.TOWNSHIP, world.county_a)
    return {
        "superuser": world.superuser,
        "bureau of the county": world.bureau_a,
        "bureau of the sibling county": world.bureau_b,
        "bureau of the city (parent region)": make_user(
            "bureau_city", role=User.Role.BUREAU, region=world.city
        ),
        "bureau of another town in the county": make_user(
            "bureau_town", role=User.Role.BUREAU, region=town_bureau
        ),
        "auditor of the county": world.auditor_a,
        "auditor of the city": make_user("auditor_city", role=User.Role.AUDITOR, region=world.city),
        "auditor of the sibling county": make_user(
            "auditor_b", role=User.Role.AUDITOR, region=world.county_b
        ),
        "operator of the station": world.operator_a,
        "operator of another station": world.operator_b,
        "assessor": world.assessor_a,
        "inactive bureau of the county": inactive_bureau,
        "inactive operator of the station": inactive_operator,
        "anonymous": AnonymousUser(),
    }


# The expected answers, written out: who may manage, read, operate station A and use the admin.
EXPECTED = {
    #                                          may_manage, may_read, operates, admin, admin change
    "superuser": (True, True, False, True, True),
    "bureau of the county": (True, True, False, True, True),
    "bureau of the sibling county": (False, False, False, True, True),
    "bureau of the city (parent region)": (True, True, False, True, True),
    "bureau of another town in the county": (False, False, False, True, True),
    "auditor of the county": (False, True, False, True, False),
    "auditor of the city": (False, True, False, True, False),
    "auditor of the sibling county": (False, False, False, True, False),
    "operator of the station": (False, False, True, False, False),
    "operator of another station": (False, False, False, False, False),
    "assessor": (False, False, False, False, False),
    "inactive bureau of the county": (False, False, False, False, False),
    "inactive operator of the station": (False, False, False, False, False),
    "anonymous": (False, False, False, False, False),
}


@pytest.mark.parametrize("who", list(EXPECTED))
def test_each_predicate_for_each_kind_of_person(world, people, who):
    actor = people[who]
    answers = (
        may_manage(actor, world.station_a.region),
        may_read(actor, world.station_a.region),
        operates(actor, world.station_a),
        may_use_admin(actor),
        may_change_in_admin(actor),
    )
    assert answers == EXPECTED[who]


def test_a_region_is_managed_from_above_never_from_below(world, people):
    assert may_manage(world.bureau_a, world.county_a)
    assert may_manage(people["bureau of the city (parent region)"], world.county_a)
    assert not may_manage(world.bureau_a, world.city)
    assert not may_read(world.auditor_a, world.city)


def test_the_assigned_assessor_is_the_assessor_of_that_entry_only(world, people):
    entry = SimpleNamespace(assessor_id=world.assessor_a.pk)
    unassigned = SimpleNamespace(assessor_id=None)
    assert is_assigned_assessor(world.assessor_a, entry)
    assert not is_assigned_assessor(world.assessor_a, unassigned)
    assert not is_assigned_assessor(world.bureau_a, entry)
    assert not is_assigned_assessor(world.superuser, entry)
    assert not is_assigned_assessor(people["anonymous"], unassigned)

    world.assessor_a.is_active = False
    assert not is_assigned_assessor(world.assessor_a, entry)


def test_require_raises_the_domain_refusal_with_its_message():
    require(True, "不会出现")
    with pytest.raises(Forbidden) as refused:
        require(False, "只有本区域的人社局工作人员可以办理此事项。")
    assert str(refused.value) == "只有本区域的人社局工作人员可以办理此事项。"
    assert refused.value.messages == ["只有本区域的人社局工作人员可以办理此事项。"]


def test_a_service_refusal_is_permission_denied_and_not_an_os_error(world):
    with pytest.raises(PermissionDenied) as refused:
        station_status_change(station=world.station_a, to="rectifying", actor=world.bureau_b, reason="检查")
    assert isinstance(refused.value, Forbidden)
    assert not isinstance(refused.value, OSError)
    assert "人社局工作人员" in str(refused.value)


def test_an_inactive_bureau_user_is_refused_by_the_service(world, people):
    with pytest.raises(Forbidden):
        station_status_change(
            station=world.station_a,
            to="rectifying",
            actor=people["inactive bureau of the county"],
            reason="离职前的操作",
        )
    world.station_a.refresh_from_db()
    assert world.station_a.status == "active"


def test_a_refusal_is_not_what_a_failed_file_write_raises():
    # What the views catch for a refusal must not catch EACCES on the media folder.
    failed_write = PermissionError(errno.EACCES, "Permission denied", "/srv/media/evidence/x.pdf")
    assert not isinstance(failed_write, Forbidden)
    assert not issubclass(Forbidden, OSError)
