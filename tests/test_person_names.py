"""Wherever a person is shown, they are shown by name (陈立), never by their login (assessor_a):
admin lists and greetings, the history, the portal, notifications and the pages of accounts."""

import pytest
from django.core import mail
from django.urls import reverse

from assessment.models import ScoreSheet
from assessment.services.campaigns import conflict_declare
from core.models import AuditEntry
from stations.models import User
from tests.assessment.conftest import addresses, campaign, open_campaign, yunmeng  # noqa: F401
from tests.assessment.steps import assign_assessor, entry_of

LOGINS = ("assessor_a", "bureau_a", "operator_a")


@pytest.fixture
def people(world):
    """The world's people with real names, as every account created since issue 13 has."""
    for user, (last, first) in (
        (world.assessor_a, ("陈", "立")),
        (world.bureau_a, ("周", "敏")),
        (world.operator_a, ("刘", "洋")),
    ):
        user.last_name, user.first_name = last, first
        user.save(update_fields=["last_name", "first_name"])
    return world


def assert_names_not_logins(page: str, *names: str) -> None:
    for name in names:
        assert name in page, name
    for login in LOGINS:
        assert f">{login}<" not in page and f"{login}（" not in page, login


@pytest.fixture
def assigned(people, open_campaign):  # noqa: F811 -- people first: the history is written with the names
    sheet = ScoreSheet.objects.get(campaign=open_campaign, station=people.station_a)
    assign_assessor(sheet, assessor=people.assessor_a, bureau=people.bureau_a)
    return sheet


def test_the_admin_lists_the_assessor_by_name(client, people, assigned):
    client.force_login(people.bureau_a)
    page = client.get(reverse("admin:assessment_campaignstation_changelist")).content.decode()
    assert_names_not_logins(page, "陈立")


def test_the_admin_greets_the_clerk_by_full_name(client, people):
    client.force_login(people.bureau_a)
    page = client.get(reverse("admin:index")).content.decode()
    assert "<strong>周敏</strong>" in page  # Django's greeting used the given name alone: 敏


def test_the_history_names_the_assessor_assigned_and_the_operators(client, people, assigned):
    (entry,) = AuditEntry.objects.filter(action="campaign.assessor_assign")
    assert entry.changes == {"assessor": ["", "陈立"]}

    client.force_login(people.bureau_a)
    url = reverse("admin:stations_station_change", args=[people.station_a.pk])
    page = client.get(url).content.decode()
    assert_names_not_logins(page, "陈立", "周敏")


def test_a_conflict_declared_reaches_the_bureau_with_the_assessors_name(
    people,
    open_campaign,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    sheet = ScoreSheet.objects.get(campaign=open_campaign, station=people.station_a)
    assign_assessor(sheet, assessor=people.assessor_a, bureau=people.bureau_a, declare=False)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        conflict_declare(
            entry=entry_of(sheet), actor=people.assessor_a, has_conflict=True, statement="站长是我表弟"
        )
    assert any("陈立 申报与该站点存在利益冲突" in message.body for message in mail.outbox)


def test_the_portal_names_the_person_logged_in(client, people):
    client.force_login(people.operator_a)
    page = client.get(reverse("portal:home"), follow=True).content.decode()
    assert "刘洋" in page and "operator_a" not in page


def test_an_account_page_names_the_person_not_the_login(client, people):
    client.force_login(people.bureau_a)
    url = reverse("admin:auth_user_password_change", args=[people.operator_a.pk])
    page = client.get(url).content.decode()
    assert "重置密码：刘洋" in page


def test_a_nameless_account_is_shown_as_such_not_passed_off_as_a_name(client, world):
    nameless = User.objects.create(username="legacy7", role=User.Role.OPERATOR, region=world.town_a)
    world.station_a.operators.add(nameless)
    client.force_login(world.bureau_a)
    page = client.get(reverse("admin:stations_user_changelist")).content.decode()
    assert "（未填）" in page  # the 姓名 column of an account created before names were required
