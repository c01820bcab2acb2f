"""The person's own account pages: the second step after the password, enrolling a second factor,
the recovery codes, and changing one's own password. Thin: the rules are in core.two_factor and
core.passwords."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from core import two_factor
from core.passwords import OwnPasswordChangeView


class CodeForm(forms.Form):
    code = forms.CharField(label="验证码", max_length=32, strip=True)
    # Only when replacing an authenticator: a code of the one in use (two_factor.two_factor_enrol).
    current_code = forms.CharField(label="原验证器的验证码", max_length=32, strip=True, required=False)


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


@login_required
def two_factor_setup(request):
    """Enrol an authenticator app: QR code and key, then a code from the app to confirm it."""
    user = request.user
    if two_factor.two_factor_enabled(user) and not user.is_verified():
        return redirect(f"{reverse('two_factor:verify')}?{urlencode({'next': _next(request)})}")
    device = two_factor.totp_device_pending(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.two_factor_enrol(
                request=request,
                device=device,
                token=form.cleaned_data["code"],
                current_token=form.cleaned_data["current_code"],
            )
        except ValidationError as error:
            form.add_error("current_code" if "原验证器" in error.messages[0] else "code", error)
        else:
            request.session[two_factor.NEW_CODES_KEY] = codes
            return redirect(f"{reverse('two_factor:recovery_codes')}?{urlencode({'next': _next(request)})}")
    context = {
        "form": form,
        "qr_svg": two_factor.qr_svg(device),
        "manual_key": two_factor.manual_key(device),
        "already": two_factor.two_factor_enabled(user),
        "required": two_factor.two_factor_required(user),
        "next": _next(request),
    }
    return render(request, "two_factor/setup.html", context)


@login_required
def two_factor_recovery_codes(request):
    """The recovery codes just issued, shown once; a verified person may issue new ones."""
    if request.method == "POST":
        if not request.user.is_verified():
            return redirect("two_factor:verify")
        request.session[two_factor.NEW_CODES_KEY] = two_factor.recovery_codes_issue(user=request.user)
        return redirect("two_factor:recovery_codes")
    codes = request.session.pop(two_factor.NEW_CODES_KEY, None)
    context = {"codes": codes, "next": _next(request), "enabled": two_factor.two_factor_enabled(request.user)}
    return render(request, "two_factor/recovery_codes.html", context)


@login_required
def two_factor_verify(request):
    """The second step after the password: a code from the app or a recovery code."""
    if request.user.is_verified() or not two_factor.two_factor_enabled(request.user):
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        target = _next(request)
        if two_factor.two_factor_verify(request=request, token=form.cleaned_data["code"]):
            return redirect(target)
        if not request.user.is_authenticated:
            # When the wrong codes also locked the account, the lock's page answers instead (axes).
            if not getattr(request, "axes_locked_out", False):
                messages.error(request, two_factor.TOO_MANY_TRIES_MESSAGE)
            return redirect("login")
        form.add_error("code", "验证码不正确，请重新输入。")
    return render(request, "two_factor/verify.html", {"form": form, "next": _next(request)})


@require_POST
@login_required
def two_factor_cancel(request):
    """Leave the second step: log out (the logout view does the rest)."""
    logout(request)
    return redirect("login")


# ---- Own password: the portal's page, and the admin's (same view, the admin's look).

password_change = login_required(
    OwnPasswordChangeView.as_view(
        template_name="account/password_change.html", success_url=reverse_lazy("password_change_done")
    )
)


@login_required
def password_change_done(request):
    return render(request, "account/password_change_done.html")


def admin_password_change(request):
    """The admin's own "修改密码" page, with the change recorded like the portal's."""
    view = OwnPasswordChangeView.as_view(
        template_name="registration/password_change_form.html",
        success_url=reverse_lazy("admin:password_change_done"),
        extra_context={**admin.site.each_context(request), "title": "修改密码"},
    )
    return view(request)
