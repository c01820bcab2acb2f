"""Test data built through the same services the product uses."""

import datetime
import itertools

from stations.models import Region, Station, User
from stations.services import region_create, user_sync_staff_flag
from stations.validators import credit_code_check_character

_serial = itertools.count(1)


def valid_credit_code(seed: int = 1) -> str:
    body = f"91420923MA{seed:07d}"
    return body + credit_code_check_character(body)


def make_region(code: str, name: str, level: int, parent: Region | None = None) -> Region:
    """The region with this code: the seed policies already put some of the real tree in place."""
    existing = Region.objects.filter(code=code).first()
    return existing or region_create(code=code, name=name, level=level, parent=parent)


def make_station(*, region: Region, code: str | None = None, kind: str = "gig_station", **fields) -> Station:
    n = next(_serial)
    station = Station(
        code=code or f"T-{n:04d}",
        name=fields.pop("name", f"测试站点{n}"),
        kind=kind,
        region=region,
        recognized_on=fields.pop("recognized_on", datetime.date(2023, 1, 1)),
        **fields,
    )
    station.full_clean()
    station.save()
    return station


def make_user(
    username: str, *, role: str = "", region: Region | None = None, superuser: bool = False
) -> User:
    user = User(
        username=username,
        role=role,
        region=region,
        is_superuser=superuser,
        last_name="测",
        first_name=username,
    )
    user.set_password("pw-for-tests")
    user_sync_staff_flag(user)
    user.save()
    return user
