"""The second factor (等保 2.0 for administrators): TOTP on a phone, and one-time recovery codes.

django-otp keeps the devices (a TOTPDevice for the authenticator app, a StaticDevice holding the
recovery codes) and remembers in the session which device verified it. TwoFactorMiddleware sends a
person who logged in with a password on to the second step before any page: to enrolment when the
second factor is required of them (bureau staff, auditors and superusers, when TWO_FACTOR_REQUIRED)
and they have no device yet, to the code page when they have one. Operators and assessors may
enrol of their own accord; from then on they need it too.

A wrong code counts as a failed login for django-axes (so codes cannot be guessed faster than
passwords) and TWO_FACTOR_MAX_TRIES wrong codes in one session end it. Enrolment, every wrong code
and every recovery code used leave an audit row.
"""

import io
import re

import qrcode
import qrcode.image.svg
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.permissions import may_keep_account, require
from core.workflow import record_audit

ENROL_ACTION = "two_factor.enrol"
RESET_ACTION = "two_factor.reset"
FAILURE_ACTION = "two_factor.failure"
RECOVERY_ACTION = "two_factor.recovery_used"
RECOVERY_CODES = 10
TWO_FACTOR_MAX_TRIES = 5
TRIES_KEY = "two_factor_failures"
NEW_CODES_KEY = "two_factor_new_codes"
TOO_MANY_TRIES_MESSAGE = "验证码错误次数过多，请重新登录。"

# Pages open before the second step: logging in and out, the second step itself, the probes, and
# the public notice and objection pages that anyone may read.
OPEN_URL_NAMES = frozenset({"login", "logout", "health", "set_language", "admin:login", "admin:logout"})
OPEN_NAMESPACES = frozenset({"two_factor", "notice", "subsidies_public"})


def two_factor_required(user) -> bool:
    """Whether `user` must have a second factor: bureau staff, auditors and superusers."""
    if not settings.TWO_FACTOR_REQUIRED:
        return False
    return bool(user.is_superuser or getattr(user, "is_bureau", False) or getattr(user, "is_auditor", False))


def two_factor_enabled(user) -> bool:
    """Whether `user` has enrolled. One query on every page of an unverified session (operators who
    did not opt in): an authenticator app is what enrolment confirms; recovery codes only come with
    one and go with it, so they need no query of their own."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def _is_open(match) -> bool:
    return match.view_name in OPEN_URL_NAMES or bool(set(match.namespaces) & OPEN_NAMESPACES)


class TwoFactorMiddleware:
    """After the password, the second step before any page (see the module's docstring).

    In process_view, where Django has resolved the URL already (a path that resolves to nothing
    is a 404 for everyone and never gets here)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if user.is_authenticated and not user.is_verified() and not _is_open(request.resolver_match):
            if two_factor_enabled(user):
                return _to("two_factor:verify", request)
            if two_factor_required(user):
                return _to("two_factor:setup", request)
        return None


def _to(name: str, request):
    return redirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")


# ---- Enrolment.


def totp_device_pending(*, user) -> TOTPDevice:
    """The unconfirmed authenticator of `user` that enrolment shows as a QR code (made once)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name="手机验证器", confirmed=False)


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an SVG QR code, markup to put in the page as it is."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode()
    # The XML declaration is for a file; inside HTML it would show as text in some browsers.
    return re.sub(r"^<\?xml[^>]*\?>\s*", "", svg)


def manual_key(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for typing into the app by hand."""
    from base64 import b32encode

    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def _clean(token: str) -> str:
    return re.sub(r"\s+", "", token or "").lower()


def recovery_codes_issue(*, user) -> list[str]:
    """New recovery codes for `user`, replacing any earlier ones; shown once, then kept only here."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="恢复码", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def two_factor_enrol(*, request, device: TOTPDevice, token: str, current_token: str = "") -> list[str]:
    """Confirm `device` with a code the app shows, verify this session with it, issue recovery codes.

    Before: `device` is the person's pending authenticator; someone who already has one gives a
    code of it (or a recovery code) as `current_token`, so a session left open on a shared PC
    cannot swap in the taker's phone and lock the owner out. After: it is their only authenticator,
    the session counts as verified, an audit row records the enrolment. Returns the recovery codes.
    Raises ValidationError (nothing saved) when a code is wrong.
    """
    user = request.user
    token = _clean(token)
    if two_factor_enabled(user) and not _matches_current_device(user, _clean(current_token), besides=device):
        raise ValidationError(
            "原验证器的验证码不正确。更换手机前，请输入原手机验证器当前显示的 6 位数字或一个恢复码。"
        )
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        if not token.isdigit() or not device.verify_token(token):
            raise ValidationError("验证码不正确。请确认手机时间准确，输入验证器中当前显示的 6 位数字。")
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        codes = recovery_codes_issue(user=user)
        record_audit(target=user, actor=user, action=ENROL_ACTION, reason="启用两步验证", region=user.region)
    otp_login(request, device)
    return codes


def _matches_current_device(user, token: str, *, besides: TOTPDevice) -> bool:
    """Whether `token` is a current code of one of `user`'s confirmed authenticators, or one of their
    recovery codes (used up by this), other than the pending `besides`."""
    if not token:
        return False
    kind = TOTPDevice if token.isdigit() else StaticDevice
    with transaction.atomic():
        for candidate in devices_for_user(user, confirmed=True, for_verify=True):
            if candidate.pk == besides.pk and isinstance(candidate, TOTPDevice):
                continue
            if isinstance(candidate, kind) and candidate.verify_token(token):
                return True
    return False


# ---- Verification after the password.


def two_factor_verify(*, request, token: str) -> bool:
    """Check a code of the logged-in person: a 6-digit TOTP or a recovery code (used up by this).

    On success the session counts as verified. On failure an audit row is written, django-axes
    counts a failed login for the account and address, and after TWO_FACTOR_MAX_TRIES the person
    is logged out (the caller sends them back to the login page). Returns whether it succeeded.
    """
    user = request.user
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        # The account (or this address) was locked after the password was accepted, by guesses in
        # another session: a right code must not finish the login. AxesMiddleware answers with the
        # lock's page when the request says it is locked out.
        request.axes_locked_out = True
        logout(request)
        return False
    token = _clean(token)
    device = None
    if token:
        with transaction.atomic():
            kind = TOTPDevice if token.isdigit() else StaticDevice
            for candidate in devices_for_user(user, confirmed=True, for_verify=True):
                if isinstance(candidate, kind) and candidate.verify_token(token):
                    device = candidate
                    break
    if device is not None:
        if isinstance(device, StaticDevice):
            record_audit(
                target=user,
                actor=user,
                action=RECOVERY_ACTION,
                reason=f"使用恢复码登录，剩余 {device.token_set.count()} 个。",
                region=user.region,
            )
        otp_login(request, device)
        request.session.pop(TRIES_KEY, None)
        return True
    tries = request.session.get(TRIES_KEY, 0) + 1
    request.session[TRIES_KEY] = tries
    record_audit(
        target=user,
        actor=user,
        action=FAILURE_ACTION,
        reason=f"两步验证码错误（本次登录第 {tries} 次）。",
        region=user.region,
    )
    # Axes reads the username from the request's credentials when it sizes the lock (the form of
    # this page has no username field).
    AxesProxyHandler.update_request(request)
    request.axes_credentials = credentials
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if tries >= TWO_FACTOR_MAX_TRIES:
        logout(request)
    return False


def two_factor_reset(*, user, actor, reason: str) -> None:
    """Remove `user`'s authenticator and recovery codes (a lost phone): they enrol again at next login.

    Before: `actor` is bureau staff of `user`'s region or a superuser, and gives a reason; else
    Forbidden or ValidationError. After: no device of `user` is left, an audit row names who and why.
    """
    region = getattr(user, "region", None)
    require(may_keep_account(actor, user), "您只能重置本辖区站点运营人员和评估人员的两步验证。")
    if not (reason or "").strip():
        raise ValidationError("请填写重置两步验证的原因。")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        record_audit(target=user, actor=actor, action=RESET_ACTION, reason=reason.strip(), region=region)
