"""The login lock (django-axes, core/login_lock.py) as a guesser and as the person locked out see it."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.urls import reverse

from core.models import AuditEntry

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
RIGHT = "pw-for-tests"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def attempt(client, username, password, address="10.1.1.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def error_text(response) -> str:
    """The message the login page shows for a refused login."""
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', response.content.decode())
    return found.group(1) if found else ""


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] != reverse("login")


def test_five_wrong_passwords_lock_the_account_until_the_lock_expires(client, world, clock):
    for _ in range(4):
        assert error_text(attempt(client, "operator_a", "wrong")) == "用户名或密码不正确，请重新输入。"
    fifth = attempt(client, "operator_a", "wrong")
    assert "登录失败次数过多，请 15 分钟后再试" in error_text(fifth)

    clock.shift(datetime.timedelta(minutes=5))
    right = attempt(client, "operator_a", RIGHT)
    assert not logged_in(right)
    assert error_text(right) == "登录失败次数过多，请 10 分钟后再试，或联系人社局工作人员解锁。"

    clock.shift(datetime.timedelta(minutes=10, seconds=1))
    assert logged_in(attempt(client, "operator_a", RIGHT))


def test_lock_message_is_the_same_for_an_unknown_username(client, world, clock):
    wrong_known = attempt(client, "operator_a", "wrong", address="10.1.1.1")
    wrong_unknown = attempt(client, "nobody_here", "wrong", address="10.1.1.2")
    assert error_text(wrong_known) == error_text(wrong_unknown) == "用户名或密码不正确，请重新输入。"
    assert wrong_known.status_code == wrong_unknown.status_code
    for _ in range(4):
        attempt(client, "operator_a", "wrong", address="10.1.1.1")
        attempt(client, "nobody_here", "wrong", address="10.1.1.2")
    # Locked alike: an existing account with its right password, and a name nobody has.
    known = attempt(client, "operator_a", RIGHT, address="10.1.1.1")
    unknown = attempt(client, "nobody_here", RIGHT, address="10.1.1.2")
    assert error_text(known) == error_text(unknown)
    assert "登录失败次数过多" in error_text(known)
    assert known.status_code == unknown.status_code == 429


def test_one_address_trying_many_usernames_is_locked_for_all_of_them(client, world, clock, settings):
    assert settings.LOGIN_LOCK_ADDRESS_FAILURES == 20
    for n in range(19):
        attempt(client, f"guess{n}", "wrong", address="10.9.9.9")
    # 19 failures of an office's colleagues (one gateway address) do not lock the others out.
    assert logged_in(attempt(client, "operator_b", RIGHT, address="10.9.9.9"))
    client.post(reverse("logout"))
    attempt(client, "guess19", "wrong", address="10.9.9.9")
    refused = attempt(client, "operator_a", RIGHT, address="10.9.9.9")
    assert not logged_in(refused)
    assert "登录失败次数过多" in error_text(refused)
    # The same person from another address is not affected: it was the address that was locked.
    assert logged_in(attempt(client, "operator_a", RIGHT, address="10.2.2.2"))


def test_each_further_lock_lasts_twice_as_long(client, world, clock):
    for _ in range(5):
        attempt(client, "operator_a", "wrong")
    clock.shift(datetime.timedelta(minutes=16))
    for _ in range(5):
        second = attempt(client, "operator_a", "wrong")
    assert "请 30 分钟后再试" in error_text(second)
    clock.shift(datetime.timedelta(minutes=16))
    assert not logged_in(attempt(client, "operator_a", RIGHT))
    clock.shift(datetime.timedelta(minutes=15))
    assert logged_in(attempt(client, "operator_a", RIGHT))


def test_every_success_failure_and_lock_is_recorded(client, world, clock):
    for _ in range(5):
        attempt(client, "operator_a", "wrong")
    attempt(client, "operator_a", RIGHT)  # refused during the lock
    failures = AccessFailureLog.objects.filter(username="operator_a")
    assert failures.count() == 6
    assert failures.filter(locked_out=True).count() == 2  # the failure that locked, the refusal after it
    lock = AuditEntry.objects.get(action="login.locked")
    assert lock.object_id == str(world.operator_a.pk)
    # Five failures of one account from one address lock the account; the address takes 20 (an office).
    # In words: the history list shows each key and value to a clerk as they are.
    assert lock.changes == {
        "账号": "operator_a",
        "地址": "10.1.1.1",
        "锁定范围": "账号",
        "锁定分钟": 15,
    }
    # The lock is placed in the person's region, so their bureau sees it.
    assert lock.region_path == world.operator_a.region.path
    clock.shift(datetime.timedelta(minutes=16))
    attempt(client, "operator_a", RIGHT)
    assert AccessLog.objects.filter(username="operator_a", ip_address="10.1.1.1").count() == 1
    # No password, right or wrong, is kept with the attempts.
    assert not AccessAttempt.objects.filter(post_data__contains="wrong").exists()


def lock_operator_a(client):
    for _ in range(5):
        attempt(client, "operator_a", "wrong")


def test_bureau_lifts_the_lock_of_an_account_in_its_region(client, world, clock):
    lock_operator_a(client)
    staff = type(client)()
    staff.force_login(world.bureau_a)
    # The clerk finds the page from the admin's home page.
    home = staff.get(reverse("admin:index")).content.decode()
    assert "账号安全" in home and f'href="{reverse("login_locks")}"' in home
    page = staff.get(reverse("login_locks"))
    assert page.status_code == 200
    assert "operator_a" in page.content.decode()
    assert "解除锁定" in page.content.decode()
    response = staff.post(reverse("login_lock_unlock", args=[world.operator_a.pk]))
    assert response.status_code == 302
    assert "已解除" in staff.get(reverse("login_locks")).content.decode()
    assert logged_in(attempt(client, "operator_a", RIGHT))
    entry = AuditEntry.objects.get(action="login.unlock")
    assert entry.actor == world.bureau_a and entry.object_id == str(world.operator_a.pk)


def test_bureau_of_another_county_can_neither_see_nor_lift_the_lock(client, world, clock):
    lock_operator_a(client)
    other = type(client)()
    other.force_login(world.bureau_b)
    assert "operator_a" not in other.get(reverse("login_locks")).content.decode()
    assert other.post(reverse("login_lock_unlock", args=[world.operator_a.pk])).status_code == 404
    assert not logged_in(attempt(client, "operator_a", RIGHT))
    assert not AuditEntry.objects.filter(action="login.unlock").exists()


def test_auditors_see_the_locks_but_cannot_lift_them(client, world, clock):
    lock_operator_a(client)
    auditor = type(client)()
    auditor.force_login(world.auditor_a)
    page = auditor.get(reverse("login_locks")).content.decode()
    assert "operator_a" not in page or "解除锁定" not in page
    assert auditor.post(reverse("login_lock_unlock", args=[world.operator_a.pk])).status_code == 404
    assert not logged_in(attempt(client, "operator_a", RIGHT))


def test_bureau_cannot_lift_the_lock_of_a_colleague_or_a_superuser_of_its_region(client, world, clock):
    """Lifting a lock on an account someone is guessing at helps the guesser: bureau staff lift only
    their operators' and assessors' locks; a colleague's or a superuser's waits for a superuser."""
    from tests.factories import make_user

    colleague = make_user("bureau_a2", role="bureau", region=world.county_a)
    chief = make_user("chief_a", region=world.county_a, superuser=True)
    for account in (colleague, chief):
        for _ in range(5):
            attempt(client, account.username, "wrong", address="10.7.7.7")
    staff = type(client)()
    staff.force_login(world.bureau_a)
    page = staff.get(reverse("login_locks")).content.decode()
    assert "bureau_a2" not in page and "chief_a" not in page
    for account in (colleague, chief):
        assert staff.post(reverse("login_lock_unlock", args=[account.pk])).status_code == 404
    assert not AuditEntry.objects.filter(action="login.unlock").exists()
    superuser = type(client)()
    superuser.force_login(world.superuser)
    assert superuser.post(reverse("login_lock_unlock", args=[colleague.pk])).status_code == 302


def test_the_admin_login_is_locked_like_the_portal_login(client, world, clock):
    admin_login = reverse("admin:login")
    for _ in range(5):
        client.post(admin_login, {"username": "bureau_a", "password": "wrong"}, REMOTE_ADDR="10.4.4.4")
    locked = client.post(admin_login, {"username": "bureau_a", "password": RIGHT}, REMOTE_ADDR="10.4.4.4")
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()
