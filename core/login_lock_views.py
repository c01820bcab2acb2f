"""The admin's page of login locks and second-factor resets, for bureau staff (their region's accounts)."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core import login_lock, two_factor
from core.people import person_name
from core.permissions import Forbidden, is_superuser, may_change_in_admin


def login_locks(request):
    """Locked accounts within the viewer's reach (and, for superusers, locked addresses)."""
    context = {
        **admin.site.each_context(request),
        "title": "登录锁定",
        "accounts": login_lock.locked_accounts(actor=request.user),
        "addresses": login_lock.locked_addresses() if is_superuser(request.user) else [],
        "may_unlock": may_change_in_admin(request.user),
    }
    return render(request, "account/login_locks.html", context)


@require_POST
def login_lock_unlock(request, user_id: int):
    user = get_object_or_404(login_lock.users_in_reach(actor=request.user), pk=user_id)
    try:
        login_lock.login_lock_release(user=user, actor=request.user, reason=request.POST.get("reason", ""))
    except Forbidden as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, f"已解除 {person_name(user)} 的登录锁定。")
    return redirect("login_locks")


@require_POST
def login_lock_unlock_address(request):
    if not is_superuser(request.user):
        raise Http404("没有这条记录，或您无权查看。")
    address = request.POST.get("address", "")
    login_lock.login_lock_release_address(address=address, actor=request.user)
    messages.success(request, f"已解除地址 {address} 的登录锁定。")
    return redirect("login_locks")


@require_POST
def two_factor_reset(request):
    """A person lost their phone and recovery codes: bureau staff remove their second factor."""
    username = request.POST.get("username", "").strip()
    user = login_lock.users_in_reach(actor=request.user).filter(username=username).first()
    if user is None:
        messages.error(request, "本辖区没有这个用户名的用户。")
        return redirect("login_locks")
    try:
        two_factor.two_factor_reset(user=user, actor=request.user, reason=request.POST.get("reason", ""))
    except (Forbidden, ValidationError) as refusal:
        messages.error(request, refusal.messages[0])
    else:
        messages.success(request, f"已重置 {person_name(user)} 的两步验证，其下次登录时重新设置。")
    return redirect("login_locks")
