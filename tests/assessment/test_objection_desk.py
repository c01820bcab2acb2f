"""The bureau's desk for objections: reaching the objector, the reference number, dates in China time."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from assessment.models import Objection
from assessment.services.objections import objection_file
from core.models import AuditEntry
from tests.assessment.steps import lock_sheets, start_notice

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
CONTACT = "13912345678"


@pytest.fixture
def noticed(world, open_campaign):
    lock_sheets(open_campaign, totals={"AAA-01": 92}, assessor=world.assessor_a, bureau=world.bureau_a)
    return start_notice(open_campaign, bureau=world.bureau_a)


@pytest.fixture
def objection(world, noticed) -> Objection:
    return objection_file(
        campaign=noticed,
        station=world.station_a,
        name="李四",
        contact=CONTACT,
        reason="该驿站全年多数时间不开门。",
        attachment=None,
        address="10.0.0.1",
    )


def change_page(client, objection) -> str:
    response = client.get(reverse("admin:assessment_objection_change", args=[objection.pk]))
    assert response.status_code == 200
    return response.content.decode()


def contact_views():
    return AuditEntry.objects.filter(action="personal_data.view")


# --- reaching the objector ------------------------------------------------------------------------


def test_the_bureau_sees_the_contact_in_full_and_the_look_is_recorded(client, world, objection):
    client.force_login(world.bureau_a)
    page = change_page(client, objection)
    assert CONTACT in page

    entry = contact_views().get()
    assert (entry.actor, entry.object_id, entry.station) == (
        world.bureau_a,
        str(objection.pk),
        world.station_a,
    )
    assert entry.object_repr == f"异议 {objection.reference} 的联系方式"
    # The row says who looked at what, never the contact itself.
    written = " ".join(str(value) for value in (entry.object_repr, entry.reason, entry.changes))
    assert CONTACT not in written and "1391" not in written


def test_an_auditor_sees_the_contact_masked_and_leaves_no_record_of_a_look(client, world, objection):
    client.force_login(world.auditor_a)
    page = change_page(client, objection)
    assert CONTACT not in page
    assert "139****5678" in page
    assert not contact_views().exists()


def test_the_list_keeps_the_contact_masked_even_for_the_bureau(client, world, objection):
    client.force_login(world.bureau_a)
    page = client.get(reverse("admin:assessment_objection_changelist")).content.decode()
    assert CONTACT not in page
    assert not contact_views().exists()


# --- the reference number -------------------------------------------------------------------------


def test_the_objector_is_given_a_reference_the_bureau_finds_the_objection_by(client, world, noticed):
    response = client.post(
        reverse("notice:objection", args=[noticed.code]),
        {"station": world.station_a.code, "name": "李四", "contact": CONTACT, "reason": "分数偏高。"},
        REMOTE_ADDR="10.0.0.9",
    )
    objection = Objection.objects.get()
    year = datetime.datetime.now(SHANGHAI).year
    assert objection.reference == f"YY-{year}-{objection.pk:06d}"
    assert f'受理编号：<strong class="code">{objection.reference}</strong>' in response.content.decode()

    other = objection_file(
        campaign=noticed,
        station=world.station_a,
        name="王五",
        contact="0712-4321234",
        reason="分数有误",
        attachment=None,
        address="10.0.0.10",
    )
    client.force_login(world.bureau_a)
    listing = reverse("admin:assessment_objection_changelist")
    assert objection.reference in client.get(listing).content.decode()
    found = client.get(listing, {"q": objection.reference.lower()}).content.decode()
    assert objection.reference in found and other.reference not in found
    assert Objection.reference_pk(f" {other.reference} ") == other.pk
    assert Objection.reference_pk("YY-2026-") is None


# --- dates in China time --------------------------------------------------------------------------


def test_an_objection_filed_at_eight_past_midnight_is_of_that_day_in_china(client, world, noticed):
    # 00:08 in China is 16:08 of the day before in UTC: the day shown is China's (issue 13 saw
    # 00:08 on 1 December titled 30 November). Today, so that the notice is open.
    today = datetime.datetime.now(SHANGHAI).date()
    with time_machine.travel(datetime.datetime.combine(today, datetime.time(0, 8), SHANGHAI), tick=False):
        objection = objection_file(
            campaign=noticed,
            station=world.station_a,
            name="李四",
            contact=CONTACT,
            reason="分数偏高。",
            attachment=None,
            address="10.0.0.1",
        )
    assert str(objection) == f"{world.station_a.code} 异议（{today:%Y-%m-%d}）"
    assert objection.reference.startswith(f"YY-{today.year}-")
    client.force_login(world.auditor_a)
    page = change_page(client, objection)
    assert f"异议（{today:%Y-%m-%d}）" in page
    assert f"{today - datetime.timedelta(days=1):%Y-%m-%d}" not in page


# --- the form's example ---------------------------------------------------------------------------


def test_the_form_gives_an_example_code_from_the_notices_own_list(client, world, noticed):
    page = client.get(reverse("notice:objection", args=[noticed.code])).content.decode()
    assert f'placeholder="如 {world.station_a.code}"' in page
    assert "HS-C-01" not in page
