"""The public notice （公示）， objections from anyone, their answers, and publication （通报）."""

import datetime
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from assessment.models import Campaign, Objection
from assessment.services.campaigns import (
    campaign_notice_start,
    campaign_open,
    campaign_publish,
    campaign_results_compute,
)
from assessment.services.objections import OBJECTIONS_PER_ADDRESS_PER_HOUR, objection_answer, objection_file
from core.models import AuditEntry
from core.permissions import Forbidden
from tests.assessment.steps import lock_sheets, start_notice
from tests.core.test_filechecks import make_png


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def locked(world, open_campaign):
    lock_sheets(open_campaign, totals={"AAA-01": 92}, assessor=world.assessor_a, bureau=world.bureau_a)
    return open_campaign


@pytest.fixture
def noticed(world, locked):
    """Results on public notice from an hour ago for seven days."""
    return start_notice(locked, bureau=world.bureau_a)


def objection_data(world, **extra):
    return {
        "station": world.station_a.code,
        "name": "李四",
        "contact": "13912345678",
        "reason": "该驿站全年多数时间不开门，得分明显偏高。",
        **extra,
    }


def file_objection(client, campaign, data, address="10.0.0.1"):
    return client.post(reverse("notice:objection", args=[campaign.code]), data, REMOTE_ADDR=address)


def file_directly(campaign, station, address="10.0.0.1"):
    return objection_file(
        campaign=campaign,
        station=station,
        name="王五",
        contact="0712-4321234",
        reason="分数有误",
        attachment=None,
        address=address,
    )


# --- the notice page --------------------------------------------------------------------------


def test_the_notice_page_is_public_during_the_notice(client, noticed):
    response = client.get(reverse("notice:detail", args=[noticed.code]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "甲县城关零工驿站" in page
    assert "优秀" in page
    assert "92.00" in page
    assert reverse("notice:objection", args=[noticed.code]) in page


def test_the_notice_page_stays_public_after_publication(client, world, noticed):
    with time_machine.travel(noticed.notice_end + datetime.timedelta(seconds=1), tick=False):
        campaign_publish(campaign=noticed, actor=world.bureau_a)
    response = client.get(reverse("notice:detail", args=[noticed.code]))
    assert response.status_code == 200
    assert "已经公示并最终确定" in response.content.decode()
    assert client.get(reverse("notice:objection", args=[noticed.code])).status_code == 404


def test_there_is_no_notice_page_before_the_notice(client, world, campaign):
    url = reverse("notice:detail", args=[campaign.code])
    objection_url = reverse("notice:objection", args=[campaign.code])
    assert client.get(url).status_code == 404  # draft
    campaign_open(campaign=campaign, actor=world.bureau_a)
    assert client.get(url).status_code == 404  # open
    lock_sheets(campaign, totals={"AAA-01": 92}, assessor=world.assessor_a, bureau=world.bureau_a)
    campaign_results_compute(campaign=campaign, actor=world.bureau_a)
    assert client.get(url).status_code == 404  # results computed, not yet on notice
    assert client.get(objection_url).status_code == 404


def test_a_notice_that_starts_tomorrow_is_not_shown_yet(client, world, locked):
    campaign_results_compute(campaign=locked, actor=world.bureau_a)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    campaign_notice_start(
        campaign=locked,
        actor=world.bureau_a,
        first_day=tomorrow,
        last_day=tomorrow + datetime.timedelta(days=7),
    )
    assert client.get(reverse("notice:detail", args=[locked.code])).status_code == 404
    response = file_objection(client, locked, objection_data(world))
    assert "当前不受理异议" in response.content.decode()
    assert not Objection.objects.exists()


# --- filing an objection ----------------------------------------------------------------------


def test_anyone_files_an_objection_with_an_attachment(
    client, world, bureau_a2, noticed, media, django_capture_on_commit_callbacks
):
    png = make_png()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = file_objection(
            client, noticed, objection_data(world, attachment=SimpleUploadedFile("现场照片.png", png))
        )

    assert response.status_code == 200
    assert "assessment/objection_thanks.html" in [t.name for t in response.templates]
    objection = Objection.objects.get()
    assert (objection.station, objection.name, objection.status) == (world.station_a, "李四", "open")
    assert objection.attachment_name == "现场照片.png"
    assert objection.attachment.name.startswith("objections/")
    assert "现场照片" not in objection.attachment.name
    assert (media / objection.attachment.name).read_bytes() == png
    assert AuditEntry.objects.filter(action="objection.file", actor=None).count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["bureau_a2@example.cn", "bureau_a@example.cn"]


def test_an_executable_attachment_is_refused_and_nothing_is_kept(client, world, noticed, media):
    response = file_objection(
        client, noticed, objection_data(world, attachment=SimpleUploadedFile("截图.jpg", b"MZ" + b"\0" * 100))
    )
    assert "一个可执行程序" in response.content.decode()
    assert not Objection.objects.exists()
    assert [p for p in media.rglob("*") if p.is_file()] == []


def test_an_objection_after_the_notice_period_is_refused(client, world, noticed):
    with time_machine.travel(noticed.notice_end + datetime.timedelta(seconds=1), tick=False):
        response = file_objection(client, noticed, objection_data(world))
        assert "当前不受理异议" in response.content.decode()
        with pytest.raises(ValidationError, match="不在公示期内"):
            file_directly(noticed, world.station_a)
    assert not Objection.objects.exists()


def test_an_objection_about_a_station_not_on_the_list_is_refused(client, world, noticed):
    response = file_objection(client, noticed, objection_data(world, station=world.station_b.code))
    assert response.status_code == 200
    assert "station" in response.context["form"].errors
    with pytest.raises(ValidationError, match="不在本次公示名单中"):
        file_directly(noticed, world.station_b)
    assert not Objection.objects.exists()


def test_objections_are_rate_limited_per_address(client, world, noticed):
    for _ in range(OBJECTIONS_PER_ADDRESS_PER_HOUR):
        response = file_objection(client, noticed, objection_data(world))
        assert "assessment/objection_thanks.html" in [t.name for t in response.templates]

    refused = file_objection(client, noticed, objection_data(world))

    assert "提交过于频繁，请一小时后再试。" in refused.content.decode()
    assert Objection.objects.count() == OBJECTIONS_PER_ADDRESS_PER_HOUR
    file_objection(client, noticed, objection_data(world), address="10.0.0.2")  # a neighbour is not blocked
    assert Objection.objects.count() == OBJECTIONS_PER_ADDRESS_PER_HOUR + 1
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1, seconds=1)):
        file_objection(client, noticed, objection_data(world))  # an hour later the address may file again
    assert Objection.objects.count() == OBJECTIONS_PER_ADDRESS_PER_HOUR + 2


def test_a_bot_filling_the_hidden_field_leaves_nothing(client, world, noticed):
    response = file_objection(client, noticed, objection_data(world, website="http://spam.example"))
    assert response.status_code == 302
    assert not Objection.objects.exists()


# --- answers and publication ------------------------------------------------------------------


def test_an_answer_needs_text_and_the_regions_bureau(world, noticed):
    objection = file_directly(noticed, world.station_a)
    with pytest.raises(ValidationError):
        objection_answer(objection=objection, actor=world.bureau_a, response="  ")
    with pytest.raises(Forbidden):
        objection_answer(objection=objection, actor=world.bureau_b, response="已核实")
    objection.refresh_from_db()
    assert objection.status == Objection.Status.OPEN

    objection_answer(objection=objection, actor=world.bureau_a, response="经核实，该站点按时开放。")
    objection.refresh_from_db()
    assert (objection.status, objection.responded_by) == ("answered", world.bureau_a)
    entry = AuditEntry.objects.get(action="objection.answer")
    assert (entry.from_state, entry.to_state, entry.reason) == (
        "open",
        "answered",
        "经核实，该站点按时开放。",
    )


def test_publication_is_refused_while_an_objection_is_open(world, noticed):
    objection = file_directly(noticed, world.station_a)
    with time_machine.travel(noticed.notice_end + datetime.timedelta(seconds=1), tick=False):
        with pytest.raises(ValidationError, match="还有 1 件异议未答复"):
            campaign_publish(campaign=noticed, actor=world.bureau_a)
        noticed.refresh_from_db()
        assert noticed.status == Campaign.Status.NOTICE

        objection_answer(objection=objection, actor=world.bureau_a, response="已核实，维持原结果。")
        campaign_publish(campaign=noticed, actor=world.bureau_a)
    noticed.refresh_from_db()
    assert noticed.status == Campaign.Status.PUBLISHED


def test_publication_is_refused_before_the_notice_ends(world, noticed):
    with (
        time_machine.travel(noticed.notice_end - datetime.timedelta(seconds=1), tick=False),
        pytest.raises(ValidationError, match="公示期满后才能通报结果"),
    ):
        campaign_publish(campaign=noticed, actor=world.bureau_a)
    noticed.refresh_from_db()
    assert noticed.status == Campaign.Status.NOTICE


def test_publication_after_the_notice_is_recorded_and_tells_the_operators(
    world, noticed, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with (
        time_machine.travel(noticed.notice_end + datetime.timedelta(seconds=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        campaign_publish(campaign=noticed, actor=world.bureau_a)
    entry = AuditEntry.objects.get(action="campaign.publish")
    assert (entry.actor, entry.from_state, entry.to_state) == (world.bureau_a, "notice", "published")
    assert [m.to for m in mail.outbox] == [["operator_a@example.cn"]]
    assert "结果已通报" in mail.outbox[0].subject


def test_a_notice_period_that_has_already_ended_is_refused(world, locked):
    campaign_results_compute(campaign=locked, actor=world.bureau_a)
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="公示结束时间已过"):
        campaign_notice_start(
            campaign=locked,
            actor=world.bureau_a,
            first_day=today - datetime.timedelta(days=8),
            last_day=today - datetime.timedelta(days=1),
        )
    locked.refresh_from_db()
    assert locked.status == Campaign.Status.RESULTS
    assert locked.notice_end is None


def test_the_objectors_contact_is_ciphertext_in_the_database(world, noticed):
    """A citizen's phone is personal data: a copy of the database does not give it away, while the
    bureau still reads it (masked on its list, core/crypto.py)."""
    from django.db import connection

    objection = file_directly(noticed, world.station_a)
    with connection.cursor() as cursor:
        cursor.execute("SELECT contact FROM assessment_objection WHERE id = %s", [objection.pk])
        (stored,) = cursor.fetchone()
    assert "4321234" not in stored and stored.startswith("dev:")
    assert Objection.objects.get(pk=objection.pk).contact == "0712-4321234"
