"""Session timeouts (core/sessions.py), the password rule and changing one's own password (core/passwords.py)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from core.models import AuditEntry, Job
from stations.demo_data import DEMO_PASSWORD

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def timeouts_on(settings):
    settings.SESSION_TIMEOUTS = True


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def log_in(client, username="operator_a"):
    response = client.post(reverse("login"), {"username": username, "password": "pw-for-tests"})
    assert response.status_code == 302


def test_an_idle_session_ends_after_thirty_minutes_with_a_message(client, world, clock):
    log_in(client)
    clock.shift(datetime.timedelta(minutes=29))
    assert client.get(reverse("portal:home")).status_code in {200, 302}
    clock.shift(datetime.timedelta(minutes=29))  # 58 minutes since login, 29 since the last click
    page = client.get(reverse("subsidies:claim_index"))
    assert page.status_code == 200
    clock.shift(datetime.timedelta(minutes=31))
    gone = client.get(reverse("subsidies:claim_index"))
    assert gone.status_code == 302 and gone["Location"].startswith(reverse("login"))
    login_page = client.get(gone["Location"]).content.decode()
    assert "长时间未操作，已自动退出，请重新登录" in login_page
    # Logged out for real: the next page asks for the login again, without the message.
    again = client.get(reverse("subsidies:claim_index"))
    assert again["Location"].startswith(reverse("login"))


def test_a_job_pages_polling_does_not_keep_the_session_alive(client, world, clock):
    log_in(client)
    job = Job.objects.create(kind="tests.poll", title="导入花名册", key="poll", started_by=world.operator_a)
    for _ in range(40):  # an open job page asks every two seconds; here once a minute for 40 minutes
        clock.shift(datetime.timedelta(minutes=1))
        status = client.get(reverse("portal:job_status", args=[job.pk]))
        if status.status_code != 200:
            break
    # 30 minutes without a click of the person's own: the poll itself is turned away to the login.
    assert status.status_code == 302 and status["Location"].startswith(reverse("login"))
    assert client.get(reverse("subsidies:claim_index")).status_code == 302


def test_a_session_ends_after_the_absolute_limit_however_busy(client, world, clock, settings):
    settings.SESSION_ABSOLUTE_HOURS = 12
    log_in(client)
    for _ in range(12 * 4 + 1):
        clock.shift(datetime.timedelta(minutes=15))
        response = client.get(reverse("subsidies:claim_index"))
        if response.status_code != 200:
            break
    assert response.status_code == 302
    assert "已超过最长时限" in client.get(response["Location"]).content.decode()
    assert datetime.datetime.now(tz=START.tzinfo) - START > datetime.timedelta(hours=12)


def test_idle_minutes_come_from_the_settings(client, world, clock, settings):
    settings.SESSION_IDLE_MINUTES = 5
    log_in(client)
    clock.shift(datetime.timedelta(minutes=6))
    assert client.get(reverse("subsidies:claim_index")).status_code == 302


# ---- The password rule.


@pytest.mark.parametrize(
    "password",
    ["alllowercaseletters", "ALLUPPER123", "short1A!", "lowercase-only-words"],
)
def test_weak_passwords_are_refused_in_chinese(password, world):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        validate_password(password, user=world.operator_a)
    assert any("至少" in message for message in refused.value.messages), refused.value.messages


@pytest.mark.parametrize("password", ["Station2024a", "zhan-dian-2024", "Kao.He.Ping.Gu", DEMO_PASSWORD])
def test_passwords_of_three_classes_and_ten_characters_pass(password, world):
    validate_password(password, user=world.operator_a)


# ---- Changing one's own password.


def test_operator_changes_their_own_password_from_the_portal(client, world):
    client.force_login(world.operator_a)
    home = client.get(reverse("portal:home"), follow=True).content.decode()
    assert reverse("password_change") in home
    page = client.get(reverse("password_change")).content.decode()
    assert "旧密码" in page and "新密码" in page and "至少 3 类" in page
    url = reverse("password_change")

    wrong_old = client.post(
        url, {"old_password": "nope", "new_password1": "Zhan-2024x", "new_password2": "Zhan-2024x"}
    )
    assert "旧密码不正确" in wrong_old.content.decode()
    weak = client.post(
        url,
        {"old_password": "pw-for-tests", "new_password1": "zhandian2024", "new_password2": "zhandian2024"},
    )
    assert "至少 3 类" in weak.content.decode()
    world.operator_a.refresh_from_db()
    assert world.operator_a.check_password("pw-for-tests")
    assert not AuditEntry.objects.filter(action="password.change_own").exists()

    done = client.post(
        url, {"old_password": "pw-for-tests", "new_password1": "Zhan-2024x", "new_password2": "Zhan-2024x"}
    )
    assert done.status_code == 302
    assert "密码已修改" in client.get(done["Location"]).content.decode()
    # Still logged in after the change.
    assert client.get(reverse("subsidies:claim_index")).status_code == 200
    world.operator_a.refresh_from_db()
    assert world.operator_a.check_password("Zhan-2024x")
    entry = AuditEntry.objects.get(action="password.change_own")
    assert entry.actor == world.operator_a and entry.object_id == str(world.operator_a.pk)
    assert "Zhan-2024x" not in str(entry.changes) + entry.reason


def test_bureau_changes_their_own_password_in_the_admin(client, world):
    client.force_login(world.bureau_a)
    url = reverse("admin:password_change")
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "修改密码" in text and "旧密码" in text
    response = client.post(
        url,
        {
            "old_password": "pw-for-tests",
            "new_password1": "Ju-Renshe-2024",
            "new_password2": "Ju-Renshe-2024",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("admin:password_change_done")
    assert client.get(reverse("admin:index")).status_code == 200
    entry = AuditEntry.objects.get(action="password.change_own")
    assert entry.actor == world.bureau_a
    assert entry.region_path == world.bureau_a.region.path


def test_anonymous_visitors_cannot_reach_the_password_page(client, world):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
