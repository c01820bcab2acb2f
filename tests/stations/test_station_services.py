import pytest
from django.core.exceptions import ValidationError

from core.models import AuditEntry
from core.permissions import Forbidden
from core.workflow import InvalidTransition
from stations.models import Station
from stations.services import STATION_STATUS_TRANSITIONS, station_contact_update, station_status_change
from tests.factories import make_station

ALL_STATUSES = list(Station.Status.values)
# The station workflow as it is meant to be, written out: the oracle for STATION_STATUS_TRANSITIONS.
EXPECTED_STATION_TRANSITIONS = {
    "active": {"rectifying", "revoked"},
    "rectifying": {"active", "revoked"},
    "revoked": set(),  # final: a revoked station comes back only through a new recognition
}


def test_the_table_is_the_one_written_out_here():
    assert set(EXPECTED_STATION_TRANSITIONS) == set(ALL_STATUSES)
    assert {s: set(ends) for s, ends in STATION_STATUS_TRANSITIONS.items()} == EXPECTED_STATION_TRANSITIONS


@pytest.mark.parametrize("start", ALL_STATUSES)
@pytest.mark.parametrize("to", ALL_STATUSES)
def test_every_status_move_is_allowed_or_refused_as_the_table_says(world, start, to):
    station = make_station(region=world.town_a)
    Station.objects.filter(pk=station.pk).update(status=start)
    station.refresh_from_db()
    allowed = to in EXPECTED_STATION_TRANSITIONS[start]
    if allowed:
        station_status_change(station=station, to=to, actor=world.bureau_a, reason="年度考核不合格")
        station.refresh_from_db()
        assert station.status == to
        entry = AuditEntry.objects.get(station=station)
        assert (entry.actor, entry.from_state, entry.to_state, entry.reason) == (
            world.bureau_a,
            start,
            to,
            "年度考核不合格",
        )
    else:
        with pytest.raises(InvalidTransition):
            station_status_change(station=station, to=to, actor=world.bureau_a, reason="试图变更")
        station.refresh_from_db()
        assert station.status == start
        assert not AuditEntry.objects.filter(station=station).exists()


def test_status_change_needs_a_reason(world):
    with pytest.raises(ValidationError):
        station_status_change(station=world.station_a, to="rectifying", actor=world.bureau_a, reason="  ")
    world.station_a.refresh_from_db()
    assert world.station_a.status == "active"


@pytest.mark.parametrize("who", ["auditor_a", "operator_a", "assessor_a", "bureau_b"])
def test_only_the_stations_own_bureau_changes_its_status(world, who):
    with pytest.raises(Forbidden):
        station_status_change(station=world.station_a, to="revoked", actor=getattr(world, who), reason="x")
    world.station_a.refresh_from_db()
    assert world.station_a.status == "active"


def test_operator_updates_contact_facts_and_history_masks_the_personal_phone(world):
    changed = station_contact_update(
        station=world.station_a,
        actor=world.operator_a,
        data={
            "service_phone": "0712-4321234",
            "station_head_phone": "13912345678",
            "opening_hours": "8:00-18:00",
        },
    )
    assert sorted(changed) == ["opening_hours", "service_phone", "station_head_phone"]
    world.station_a.refresh_from_db()
    assert world.station_a.service_phone == "0712-4321234"
    entry = AuditEntry.objects.get(action="station.contact_update")
    assert entry.changes["station_head_phone"] == ["", "139****5678"]
    assert "13912345678" not in str(entry.changes)


def test_contact_update_refuses_a_bad_phone_and_saves_nothing(world):
    with pytest.raises(ValidationError) as exc:
        station_contact_update(
            station=world.station_a,
            actor=world.operator_a,
            data={"service_phone": "not a phone", "opening_hours": "全天"},
        )
    assert "service_phone" in exc.value.message_dict
    world.station_a.refresh_from_db()
    assert world.station_a.opening_hours == ""
    assert not AuditEntry.objects.exists()


def test_contact_update_by_another_stations_operator_is_refused(world):
    with pytest.raises(Forbidden):
        station_contact_update(station=world.station_a, actor=world.operator_b, data={"opening_hours": "x"})


def test_purchase_mode_requires_contract_dates(world):
    station = Station(
        code="P-01", name="委托站", kind="gig_station", region=world.town_a, operating_mode="purchased"
    )
    with pytest.raises(ValidationError) as exc:
        station.full_clean()
    assert {"purchase_contract_start", "purchase_contract_end"} <= set(exc.value.message_dict)


def test_station_refuses_a_credit_code_with_a_wrong_check_character(world):
    station = Station(
        code="P-02",
        name="站",
        kind="gig_station",
        region=world.town_a,
        operator_credit_code="91350100M000100Y44",
    )
    with pytest.raises(ValidationError) as exc:
        station.full_clean()
    assert "operator_credit_code" in exc.value.message_dict
