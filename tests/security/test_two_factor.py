"""The second factor (core/two_factor.py): enrolment by QR code, the code after the password,
recovery codes, and the limit on wrong codes. Codes are computed from the device's key, as the
phone's app does, at a frozen time."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axes.models import AccessFailureLog
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.models import AuditEntry

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
STEP = datetime.timedelta(seconds=30)


@pytest.fixture(autouse=True)
def required(settings):
    settings.TWO_FACTOR_REQUIRED = True


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def code_now(device: TOTPDevice) -> str:
    """What the authenticator app shows now."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def password_login(client, user, address="10.3.3.3"):
    response = client.post(
        reverse("login"), {"username": user.username, "password": "pw-for-tests"}, REMOTE_ADDR=address
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return client.get(response["Location"])


def enrol(client, user) -> list[str]:
    """Log in with the password, scan the QR code, confirm it with the app's code: the recovery codes."""
    first = password_login(client, user)
    assert first.status_code == 302 and first["Location"].startswith(reverse("two_factor:setup"))
    client.get(first["Location"])
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    shown = client.post(
        reverse("two_factor:setup"), {"code": code_now(device), "next": "/admin/"}, follow=True
    )
    return re.findall(r"<li>([a-z2-7]{8})</li>", shown.content.decode())


def test_bureau_staff_must_enrol_by_qr_code_before_any_page(client, world, clock):
    first = password_login(client, world.bureau_a)
    assert first.status_code == 302
    assert first["Location"].startswith(reverse("two_factor:setup"))
    # Every page, portal and admin alike, sends them to enrolment until they have a second factor.
    for url in (reverse("admin:index"), reverse("portal:home"), reverse("password_change")):
        assert client.get(url)["Location"].startswith(reverse("two_factor:setup"))
    page = client.get(reverse("two_factor:setup"))
    text = page.content.decode()
    assert "<svg" in text and "启用两步验证" in text
    assert "<script" not in text
    device = TOTPDevice.objects.get(user=world.bureau_a, confirmed=False)
    key = re.search(r'<p class="key">([A-Z2-7 ]+)</p>', text).group(1)
    assert len(key.replace(" ", "")) == 32  # the 20-byte key in base32, for typing in by hand

    wrong = client.post(reverse("two_factor:setup"), {"code": "000000"})
    assert "验证码不正确" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed

    clock.shift(STEP)
    done = client.post(reverse("two_factor:setup"), {"code": code_now(device), "next": "/admin/"})
    assert done.status_code == 302
    codes_page = client.get(done["Location"]).content.decode()
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", codes_page)
    assert len(codes) == 10 and "只显示这一次" in codes_page
    # Shown once: the page does not show them again.
    assert not re.findall(
        r"<li>([a-z2-7]{8})</li>", client.get(reverse("two_factor:recovery_codes")).content.decode()
    )
    assert client.get(reverse("admin:index")).status_code == 200
    assert AuditEntry.objects.filter(action="two_factor.enrol", actor=world.bureau_a).count() == 1


def test_after_the_password_the_code_from_the_app_opens_the_admin(client, world, clock):
    enrol(client, world.bureau_a)
    device = TOTPDevice.objects.get(user=world.bureau_a, confirmed=True)
    client.post(reverse("logout"))
    clock.shift(STEP * 2)

    first = password_login(client, world.bureau_a)
    assert first["Location"].startswith(reverse("two_factor:verify"))
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("two_factor:verify"))
    # Pages anyone may read stay open (a missing notice is a 404, not a detour).
    assert client.get(reverse("health")).status_code == 200
    assert client.get(reverse("notice:detail", args=["no-such-campaign"])).status_code == 404

    wrong = client.post(reverse("two_factor:verify"), {"code": "123456"})
    assert "验证码不正确" in wrong.content.decode()
    assert AuditEntry.objects.filter(action="two_factor.failure", actor=world.bureau_a).count() == 1
    assert AccessFailureLog.objects.filter(username="bureau_a").count() == 1

    clock.shift(STEP)
    ok = client.post(reverse("two_factor:verify"), {"code": code_now(device), "next": reverse("admin:index")})
    assert ok.status_code == 302 and ok["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_recovery_code_works_once(client, world, clock):
    codes = enrol(client, world.bureau_a)
    client.post(reverse("logout"))
    password_login(client, world.bureau_a)
    ok = client.post(reverse("two_factor:verify"), {"code": codes[0].upper(), "next": "/admin/"})
    assert ok.status_code == 302 and ok["Location"] == "/admin/"
    assert client.get(reverse("admin:index")).status_code == 200
    entry = AuditEntry.objects.get(action="two_factor.recovery_used")
    assert entry.actor == world.bureau_a and "剩余 9 个" in entry.reason
    assert StaticToken.objects.filter(token=codes[0]).count() == 0

    client.post(reverse("logout"))
    password_login(client, world.bureau_a, address="10.3.3.4")
    again = client.post(reverse("two_factor:verify"), {"code": codes[0]})
    assert "验证码不正确" in again.content.decode()


def test_five_wrong_codes_send_the_person_back_to_the_login(client, world, clock):
    enrol(client, world.bureau_a)
    client.post(reverse("logout"))
    clock.shift(datetime.timedelta(minutes=20))
    password_login(client, world.bureau_a)
    for _ in range(4):
        clock.shift(STEP)
        assert client.post(reverse("two_factor:verify"), {"code": "999999"}).status_code == 200
    clock.shift(STEP)
    last = client.post(reverse("two_factor:verify"), {"code": "999999"})
    # Logged out, and the wrong codes counted as failed logins: the account is locked like after
    # five wrong passwords.
    assert "登录失败次数过多" in last.content.decode()
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("admin:login"))
    assert AuditEntry.objects.filter(action="two_factor.failure").count() == 5


def test_operators_may_opt_in_and_then_need_the_code(client, world, clock):
    landing = password_login(client, world.operator_a)
    assert landing.status_code in {200, 302}
    assert not landing.get("Location", "").startswith("/accounts/two-factor/")
    page = client.get(reverse("two_factor:setup"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=world.operator_a, confirmed=False)
    client.post(reverse("two_factor:setup"), {"code": code_now(device)})
    client.post(reverse("logout"))
    clock.shift(STEP * 2)
    again = password_login(client, world.operator_a, address="10.3.3.5")
    assert again["Location"].startswith(reverse("two_factor:verify"))


def test_without_the_requirement_bureau_staff_go_straight_in(client, world, settings):
    settings.TWO_FACTOR_REQUIRED = False
    landing = password_login(client, world.bureau_a)
    assert not landing.get("Location", "").startswith("/accounts/two-factor/")
    assert client.get(reverse("admin:index")).status_code == 200


def test_bureau_resets_the_second_factor_of_their_regions_user_who_lost_the_phone(
    client, world, clock, settings
):
    settings.TWO_FACTOR_REQUIRED = False  # the bureau's own second factor is walked above
    client.force_login(world.operator_a)
    client.get(reverse("two_factor:setup"))
    device = TOTPDevice.objects.get(user=world.operator_a, confirmed=False)
    client.post(reverse("two_factor:setup"), {"code": code_now(device)})
    other = type(client)()
    other.force_login(world.bureau_b)
    other.post(reverse("two_factor_reset"), {"username": "operator_a", "reason": "手机丢失"})
    assert TOTPDevice.objects.filter(user=world.operator_a, confirmed=True).exists()

    staff = type(client)()
    staff.force_login(world.bureau_a)
    no_reason = staff.post(
        reverse("two_factor_reset"), {"username": "operator_a", "reason": " "}, follow=True
    )
    assert "请填写重置两步验证的原因" in no_reason.content.decode()
    assert TOTPDevice.objects.filter(user=world.operator_a, confirmed=True).exists()
    done = staff.post(
        reverse("two_factor_reset"), {"username": "operator_a", "reason": "手机丢失"}, follow=True
    )
    assert "已重置" in done.content.decode()
    assert not TOTPDevice.objects.filter(user=world.operator_a).exists()
    entry = AuditEntry.objects.get(action="two_factor.reset")
    assert entry.actor == world.bureau_a and entry.reason == "手机丢失"
    # Operators need no second factor unless they enrol: the next login goes straight in.
    client.post(reverse("logout"))
    landing = password_login(client, world.operator_a, address="10.3.3.6")
    assert not landing.get("Location", "").startswith("/accounts/two-factor/")


def test_bureau_cannot_remove_the_second_factor_of_a_colleague_or_a_superuser(client, world, settings):
    """With a colleague's or a superuser's password, a clerk who could strip their second factor
    would enrol a phone of their own at the next login: only a superuser resets those."""
    from tests.factories import make_user

    settings.TWO_FACTOR_REQUIRED = False
    colleague = make_user("bureau_a2", role="bureau", region=world.county_a)
    chief = make_user("chief_a", region=world.county_a, superuser=True)
    for account in (colleague, chief):
        TOTPDevice.objects.create(user=account, name="手机", confirmed=True)
    staff = type(client)()
    staff.force_login(world.bureau_a)
    for account in (colleague, chief):
        staff.post(reverse("two_factor_reset"), {"username": account.username, "reason": "手机丢失"})
        assert TOTPDevice.objects.filter(user=account, confirmed=True).exists()
    assert not AuditEntry.objects.filter(action="two_factor.reset").exists()
    superuser = type(client)()
    superuser.force_login(world.superuser)
    superuser.post(reverse("two_factor_reset"), {"username": "bureau_a2", "reason": "手机丢失"})
    assert not TOTPDevice.objects.filter(user=colleague).exists()


def test_a_right_code_does_not_finish_a_login_once_the_account_is_locked(client, world, clock):
    """Someone guessing the password elsewhere locks the account while this session waits at the
    code page: the right code no longer lets it in."""
    enrol(client, world.bureau_a)
    device = TOTPDevice.objects.get(user=world.bureau_a, confirmed=True)
    client.post(reverse("logout"))
    clock.shift(STEP * 2)
    assert password_login(client, world.bureau_a)["Location"].startswith(reverse("two_factor:verify"))
    guesser = type(client)()
    for _ in range(5):
        guesser.post(reverse("login"), {"username": "bureau_a", "password": "wrong"}, REMOTE_ADDR="10.9.9.9")
    refused = client.post(reverse("two_factor:verify"), {"code": code_now(device), "next": "/admin/"})
    assert refused.status_code == 429 and "登录失败次数过多" in refused.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302  # logged out: back to the login


def test_replacing_the_authenticator_needs_a_code_of_the_one_in_use(client, world, clock):
    """A verified session left open on a shared PC must not let someone swap in their own phone."""
    codes = enrol(client, world.bureau_a)
    old = TOTPDevice.objects.get(user=world.bureau_a, confirmed=True)
    clock.shift(STEP * 2)
    page = client.get(reverse("two_factor:setup")).content.decode()
    assert "更换验证器" in page and "原手机验证器当前的验证码" in page
    new = TOTPDevice.objects.get(user=world.bureau_a, confirmed=False)
    refused = client.post(reverse("two_factor:setup"), {"code": code_now(new), "current_code": "000000"})
    assert "原验证器的验证码不正确" in refused.content.decode()
    assert TOTPDevice.objects.get(user=world.bureau_a, confirmed=True).pk == old.pk
    no_code = client.post(reverse("two_factor:setup"), {"code": code_now(new)})
    assert "原验证器的验证码不正确" in no_code.content.decode()

    # The owner, with the old phone (or a recovery code), moves to the new one.
    clock.shift(STEP)
    done = client.post(reverse("two_factor:setup"), {"code": code_now(new), "current_code": codes[0]})
    assert done.status_code == 302
    assert list(TOTPDevice.objects.filter(user=world.bureau_a, confirmed=True)) == [new]
