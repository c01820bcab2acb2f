"""The audit trail is append-only for everyone: no admin edit or delete (a superuser included), on
PostgreSQL no UPDATE or DELETE by SQL either; records of personal-data access are kept
AUDIT_KEEP_DAYS (at least 180) and then purged, every other row for good."""

import datetime

import pytest
import time_machine
from django.core.checks import run_checks
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from core.jobs import jobs_housekeeping
from core.models import AuditEntry
from core.personal_data import personal_data_access_record
from stations.services import station_status_change

needs_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")


def access_row(world, *, days_ago: int) -> AuditEntry:
    with time_machine.travel(timezone.now() - datetime.timedelta(days=days_ago), tick=False):
        return personal_data_access_record(
            actor=world.bureau_a,
            export=True,
            target=world.station_a,
            what=f"{days_ago} 天前导出的花名册",
            count=3,
            purpose="补助审核核对",
            station=world.station_a,
        )


def test_nobody_adds_changes_or_deletes_a_row_in_the_admin_not_even_a_superuser(client, world):
    station_status_change(station=world.station_a, to="rectifying", actor=world.bureau_a, reason="整改")
    entry = AuditEntry.objects.get(action="station.status_change")
    client.force_login(world.superuser)

    page = client.get(reverse("admin:core_auditentry_change", args=[entry.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode() and "删除" not in page.content.decode()
    assert client.get(reverse("admin:core_auditentry_add")).status_code == 403
    assert (
        client.post(reverse("admin:core_auditentry_change", args=[entry.pk]), {"reason": "改掉"}).status_code
        == 403
    )
    assert (
        client.post(reverse("admin:core_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code
        == 403
    )
    listing = client.get(reverse("admin:core_auditentry_changelist")).content.decode()
    assert 'value="delete_selected"' not in listing
    assert "变更站点状态" in listing  # the action in words, not its code
    entry.refresh_from_db()
    assert entry.reason == "整改"


def test_a_keep_period_under_180_days_is_refused_by_the_system_check(settings):
    settings.AUDIT_KEEP_DAYS = 179
    assert "core.E020" in [message.id for message in run_checks()]
    settings.AUDIT_KEEP_DAYS = 180
    assert "core.E020" not in [message.id for message in run_checks()]


def test_housekeeping_purges_access_records_past_the_keep_period_and_nothing_else(world):
    kept = access_row(world, days_ago=179)
    purged = access_row(world, days_ago=181)
    with time_machine.travel(timezone.now() - datetime.timedelta(days=400), tick=False):
        station_status_change(station=world.station_a, to="rectifying", actor=world.bureau_a, reason="整改")
    workflow = AuditEntry.objects.get(action="station.status_change")

    counts = jobs_housekeeping()

    assert counts["audit_purged"] == 1
    assert set(AuditEntry.objects.values_list("pk", flat=True)) == {kept.pk, workflow.pk}
    assert not AuditEntry.objects.filter(pk=purged.pk).exists()


def test_a_longer_keep_period_keeps_older_access_records(world, settings):
    settings.AUDIT_KEEP_DAYS = 365
    row = access_row(world, days_ago=200)
    assert jobs_housekeeping()["audit_purged"] == 0
    assert AuditEntry.objects.filter(pk=row.pk).exists()


@pytest.mark.postgres
@needs_postgres
def test_postgresql_refuses_raw_update_and_delete_of_the_trail(world):
    station_status_change(station=world.station_a, to="rectifying", actor=world.bureau_a, reason="整改")
    entry = AuditEntry.objects.get(action="station.status_change")
    recent_access = access_row(world, days_ago=10)
    for sql, params in [
        ("UPDATE stations_auditentry SET reason = %s WHERE id = %s", ["改掉", entry.pk]),
        ("UPDATE stations_auditentry SET actor_id = NULL WHERE id = %s", [entry.pk]),
        ("DELETE FROM stations_auditentry WHERE id = %s", [entry.pk]),
        ("DELETE FROM stations_auditentry WHERE id = %s", [recent_access.pk]),
    ]:
        with (
            pytest.raises(DatabaseError, match="操作记录不可"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, params)
    entry.refresh_from_db()
    assert entry.reason == "整改" and entry.actor == world.bureau_a
    assert AuditEntry.objects.filter(pk=recent_access.pk).exists()


@pytest.mark.postgres
@needs_postgres
def test_postgresql_lets_the_purge_and_a_station_deletion_through(world):
    old_access = access_row(world, days_ago=181)
    station_status_change(station=world.station_b, to="rectifying", actor=world.bureau_b, reason="整改")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM stations_auditentry WHERE id = %s", [old_access.pk])
    assert not AuditEntry.objects.filter(pk=old_access.pk).exists()
    # Deleting a station keeps its history, only unlinked from it (on_delete=SET_NULL).
    world.station_b.delete()
    entry = AuditEntry.objects.get(action="station.status_change")
    assert entry.station_id is None and entry.reason == "整改"


def test_a_superusers_deletion_in_the_admin_stays_in_the_history(client, world):
    """Only a superuser may delete in the admin; what was deleted, and by whom, is kept."""
    from stations.models import Region
    from tests.factories import make_region

    village = make_region("420923100201", "试点村", Region.Level.COMMUNITY, world.town_a)
    client.force_login(world.superuser)
    url = reverse("admin:stations_region_delete", args=[village.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Region.objects.filter(pk=village.pk).exists()
    entry = AuditEntry.objects.get(action="admin.delete")
    assert entry.actor == world.superuser
    assert entry.changes == {"对象": "行政区划：试点村"}
