from stations.selectors import audit_entry_list, region_list, station_list, user_list
from stations.services import station_status_change


def codes(qs):
    return sorted(qs.values_list("code", flat=True))


def test_each_role_sees_exactly_its_stations(world):
    assert codes(station_list(actor=world.superuser)) == ["AAA-01", "BBB-01"]
    assert codes(station_list(actor=world.bureau_a)) == ["AAA-01"]
    assert codes(station_list(actor=world.auditor_a)) == ["AAA-01"]
    assert codes(station_list(actor=world.operator_a)) == ["AAA-01"]
    assert codes(station_list(actor=world.assessor_a)) == []  # until a campaign assigns them one
    assert codes(station_list(actor=world.bureau_b)) == ["BBB-01"]
    assert codes(station_list(actor=world.operator_b)) == ["BBB-01"]


def test_a_city_level_auditor_sees_both_counties(world):
    world.auditor_a.region = world.city
    world.auditor_a.save()
    assert codes(station_list(actor=world.auditor_a)) == ["AAA-01", "BBB-01"]


def test_inactive_or_roleless_users_see_nothing(world):
    world.bureau_a.is_active = False
    world.bureau_a.save()
    assert not station_list(actor=world.bureau_a).exists()
    world.operator_a.role = ""
    world.operator_a.save()
    assert not station_list(actor=world.operator_a).exists()


def test_regions_are_scoped_to_the_subtree(world):
    assert set(region_list(actor=world.bureau_a).values_list("code", flat=True)) == {"420923", "420923100"}
    assert set(region_list(actor=world.operator_a).values_list("code", flat=True)) == {"420923100"}


def test_people_are_scoped_to_the_region_and_its_stations(world):
    names = set(user_list(actor=world.bureau_a).values_list("username", flat=True))
    assert names == {"bureau_a", "auditor_a", "operator_a", "assessor_a"}
    assert set(user_list(actor=world.operator_a).values_list("username", flat=True)) == {"operator_a"}


def test_history_is_scoped_like_the_stations(world):
    station_status_change(station=world.station_b, to="rectifying", actor=world.bureau_b, reason="台账缺失")
    assert not audit_entry_list(actor=world.bureau_a).exists()
    assert audit_entry_list(actor=world.bureau_b).count() == 1
    assert audit_entry_list(actor=world.operator_b).count() == 1
    assert not audit_entry_list(actor=world.operator_a).exists()
