"""The login lock: django-axes counts the failures, this module decides how long a lock lasts, what
the person sees, what the audit trail keeps, and who may lift a lock.

Axes (settings: AXES_*) records every attempt in the database, so a lock holds across every server
process: AccessAttempt counts the failures that still count, AccessFailureLog keeps every failure,
AccessLog every successful login. LOGIN_LOCK_FAILURES failures lock the account, and as many from one
address lock the address, whichever comes first; an unknown username is counted like a real one, so
neither the message nor the lock tells a guesser whether an account exists.

A lock lasts LOGIN_LOCK_MINUTES, doubled for each earlier lock of the same account or address within
the last day (15, 30, 60 … minutes), up to LOGIN_LOCK_MAX_HOURS. The earlier locks are read from the
audit trail, which keeps every lock ("login.locked") for good, so the count survives axes' cleanup.
"""

import math
from datetime import timedelta

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.db.models import Max, Q, QuerySet, Sum
from django.dispatch import receiver
from django.shortcuts import render
from django.utils import timezone

from core.models import AuditEntry
from core.permissions import accounts_kept_by, is_superuser, may_keep_account, require
from core.workflow import record_audit

SCOPE_LABELS = {"account": "账号", "address": "地址"}

LOCK_ACTION = "login.locked"
UNLOCK_ACTION = "login.unlock"
# Earlier locks within this time make the next one longer.
LOCK_HISTORY = timedelta(hours=24)

WRONG_CREDENTIALS_MESSAGE = "用户名或密码不正确，请重新输入。"


def lock_message(minutes: int) -> str:
    return f"登录失败次数过多，请 {minutes} 分钟后再试，或联系人社局工作人员解锁。"


def _earlier_locks(*, username: str | None, address: str | None, since) -> int:
    """How many locks of this account, or of this address, the audit trail holds since `since`."""
    locks = AuditEntry.objects.filter(action=LOCK_ACTION, at__gte=since)
    by_account = locks.filter(changes__账号=username).count() if username else 0
    by_address = locks.filter(changes__地址=address).count() if address else 0
    return max(by_account, by_address)


def _duration_after(earlier_locks: int) -> timedelta:
    base = timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
    longest = timedelta(hours=settings.LOGIN_LOCK_MAX_HOURS)
    # The exponent is bounded before it is used: a flood of locks must not overflow the timedelta.
    return min(base * 2 ** min(earlier_locks, 20), longest)


def failure_limit(request=None, credentials=None) -> int:
    """AXES_FAILURE_LIMIT. Axes compares one number with the larger of the account's and the
    address's failures; this makes that mean "the account has LOGIN_LOCK_FAILURES, or the address
    LOGIN_LOCK_ADDRESS_FAILURES": the account's own limit once it has reached it, else the
    address's (which the account's count, being below the smaller limit, cannot reach)."""
    account_limit = settings.LOGIN_LOCK_FAILURES
    if request is not None and credentials is not None:
        request.axes_credentials = credentials
    username, _address = _who(request)
    if username is None:
        return settings.LOGIN_LOCK_ADDRESS_FAILURES
    now = getattr(request, "axes_attempt_time", None) or timezone.now()
    failures = (
        AccessAttempt.objects.filter(username=username, expiration__expires_at__gt=now).aggregate(
            n=Sum("failures_since_start")
        )["n"]
        or 0
    )
    return account_limit if failures >= account_limit else settings.LOGIN_LOCK_ADDRESS_FAILURES


def _who(request) -> tuple[str | None, str | None]:
    if request is None:
        return None, None
    credentials = getattr(request, "axes_credentials", None)
    username = get_client_username(request, credentials)
    address = getattr(request, "axes_ip_address", None)
    return username, address


def lock_duration(request=None) -> timedelta:
    """AXES_COOLOFF_TIME: how long the failures of this request's account and address count.

    While a lock is on, the audit trail already holds it, so the lock in force is the one after all
    earlier ones: the n-th lock within a day lasts LOGIN_LOCK_MINUTES × 2^(n-1).
    """
    username, address = _who(request)
    if username is None and address is None:
        return _duration_after(0)
    now = getattr(request, "axes_attempt_time", None) or timezone.now()
    locks = _earlier_locks(username=username, address=address, since=now - LOCK_HISTORY)
    return _duration_after(max(locks - 1, 0))


def _counting_attempts(*, username: str | None, address: str | None, now, duration: timedelta):
    """The attempt rows that count now for the account and for the address (either may be None)."""
    threshold = now - duration
    recent = AccessAttempt.objects.filter(attempt_time__gte=threshold)
    return (
        recent.filter(username=username) if username is not None else recent.none(),
        recent.filter(ip_address=address) if address else recent.none(),
    )


def _lock_end(attempts: QuerySet, *, duration: timedelta, limit: int):
    """When the failures in `attempts` fall below `limit` again, or None when they are below it now."""
    counted = 0
    for attempt_time, failures in attempts.order_by("-attempt_time").values_list(
        "attempt_time", "failures_since_start"
    ):
        counted += failures
        if counted >= limit:
            # Once this row stops counting, fewer than `limit` failures remain.
            return attempt_time + duration
    return None


def lock_ends_at(request):
    """When the lock that refuses this request ends (the later of the account's and the address's)."""
    username, address = _who(request)
    now = getattr(request, "axes_attempt_time", None) or timezone.now()
    duration = lock_duration(request)
    account_rows, address_rows = _counting_attempts(
        username=username, address=address, now=now, duration=duration
    )
    ends = [
        end
        for attempts, limit in (
            (account_rows, settings.LOGIN_LOCK_FAILURES),
            (address_rows, settings.LOGIN_LOCK_ADDRESS_FAILURES),
        )
        if (end := _lock_end(attempts, duration=duration, limit=limit)) is not None
    ]
    return max(ends) if ends else now + duration


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the login page again, with how long the lock lasts.

    The same page for an existing and an unknown username, for a wrong and a right password.
    """
    if credentials is not None:
        request.axes_credentials = credentials
    remaining = lock_ends_at(request) - (getattr(request, "axes_attempt_time", None) or timezone.now())
    minutes = max(1, math.ceil(remaining.total_seconds() / 60))
    username, _address = _who(request)
    form = AuthenticationForm(request, initial={"username": username or ""})
    context = {"form": form, "lock_message": lock_message(minutes), "next": request.POST.get("next", "")}
    return render(request, "registration/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


@receiver(user_locked_out)
def record_lock(sender, request, username, ip_address, **kwargs):
    """Axes signals a lock at the failure that starts it and at each refused attempt during it."""
    if request is None:
        return
    if getattr(request, "axes_failures_since_start", None) is None:
        # Refused while locked: axes records nothing then (so the lock is not restarted); we do.
        AccessFailureLog.objects.create(
            username=username,
            ip_address=ip_address,
            user_agent=request.axes_user_agent,
            http_accept=request.axes_http_accept,
            path_info=request.axes_path_info,
            attempt_time=request.axes_attempt_time,
            locked_out=True,
        )
        return
    _record_new_lock(request, username=username, address=ip_address)


def _record_new_lock(request, *, username: str | None, address: str | None) -> None:
    now = request.axes_attempt_time
    earlier = _earlier_locks(username=username, address=address, since=now - LOCK_HISTORY)
    duration = _duration_after(earlier)
    # Which of the two is locked: the account's failures, the address's, or both reached the limit.
    account_rows, address_rows = _counting_attempts(
        username=username, address=address, now=now, duration=_duration_after(max(earlier - 1, 0))
    )
    limits = {"account": settings.LOGIN_LOCK_FAILURES, "address": settings.LOGIN_LOCK_ADDRESS_FAILURES}
    scope = [
        name
        for name, rows in (("account", account_rows), ("address", address_rows))
        if (rows.aggregate(n=Sum("failures_since_start"))["n"] or 0) >= limits[name]
    ]
    limit = limits[scope[0]] if scope else settings.LOGIN_LOCK_FAILURES
    user = get_user_model().objects.filter(username=username).select_related("region").first()
    with transaction.atomic():
        # The rows of this lock expire with it; axes set their expiry before it knew of the lock.
        this_lock = Q(pk__in=[])
        if username is not None:
            this_lock |= Q(access_attempt__username=username)
        if address:
            this_lock |= Q(access_attempt__ip_address=address)
        AccessAttemptExpiration.objects.filter(this_lock).update(expires_at=now + duration)
        attempt = AccessAttempt.objects.filter(
            username=username, ip_address=address, user_agent=request.axes_user_agent
        ).first()
        target = user or attempt
        if target is None:
            return
        record_audit(
            target=target,
            actor=None,
            action=LOCK_ACTION,
            reason=f"连续 {limit} 次登录失败，锁定 {int(duration.total_seconds() // 60)} 分钟。",
            # In words, as the history list shows them to a clerk.
            changes={
                "账号": username or "",
                "地址": address or "",
                "锁定范围": "、".join(SCOPE_LABELS[name] for name in scope) or "账号",
                "锁定分钟": int(duration.total_seconds() // 60),
            },
            region=getattr(user, "region", None),
        )


# ---- Who is locked, and lifting a lock (bureau staff for their region's accounts).


def users_in_reach(*, actor) -> QuerySet:
    """The accounts whose lock and second factor `actor` may lift (`may_keep_account`): never a
    colleague's, an auditor's or a superuser's for bureau staff, since lifting those would help
    whoever is guessing at them."""
    return accounts_kept_by(actor).select_related("region")


def _locked_usernames(*, now) -> dict[str, object]:
    """Locked usernames and when their lock ends, read from the rows that have not expired yet."""
    limit = settings.LOGIN_LOCK_FAILURES
    rows = (
        AccessAttempt.objects.filter(expiration__expires_at__gt=now)
        .values("username")
        .annotate(failures=Sum("failures_since_start"), ends=Max("expiration__expires_at"))
        .filter(failures__gte=limit)
    )
    return {row["username"]: row["ends"] for row in rows}


def locked_accounts(*, actor, now=None) -> list[tuple[object, object]]:
    """(user, lock end) for each locked account `actor` may unlock, by username."""
    ends = _locked_usernames(now=now or timezone.now())
    users = users_in_reach(actor=actor).filter(username__in=list(ends)).order_by("username")
    return [(user, ends[user.username]) for user in users]


def locked_addresses(*, now=None) -> list[tuple[str, object]]:
    """(address, lock end) of each locked address: shown to superusers only (an address has no region)."""
    now = now or timezone.now()
    limit = settings.LOGIN_LOCK_ADDRESS_FAILURES
    rows = (
        AccessAttempt.objects.filter(expiration__expires_at__gt=now)
        .values("ip_address")
        .annotate(failures=Sum("failures_since_start"), ends=Max("expiration__expires_at"))
        .filter(failures__gte=limit)
        .order_by("ip_address")
    )
    return [(row["ip_address"], row["ends"]) for row in rows]


def login_lock_release(*, user, actor, reason: str = "") -> int:
    """Lift the lock of `user`'s account: their counted failures are forgotten.

    Before: `actor` is bureau staff of `user`'s region (or above) or a superuser, else Forbidden.
    After: the account's AccessAttempt rows are gone and a "login.unlock" audit row names who lifted
    it. Returns how many attempt rows were removed. The address's own lock, if any, stays.
    """
    region = getattr(user, "region", None)
    require(may_keep_account(actor, user), "您只能解锁本辖区站点运营人员和评估人员的账号。")
    with transaction.atomic():
        removed = AxesProxyHandler.reset_attempts(username=user.get_username())
        record_audit(
            target=user,
            actor=actor,
            action=UNLOCK_ACTION,
            reason=reason or "人社局解除登录锁定。",
            changes={"账号": user.get_username()},
            region=region,
        )
    return removed


def login_lock_release_address(*, address: str, actor) -> int:
    """Lift the lock of an address (superusers only: an address belongs to no region)."""
    require(is_superuser(actor), "只有系统管理员可以解锁地址。")
    with transaction.atomic():
        removed = AxesProxyHandler.reset_attempts(ip_address=address)
        record_audit(
            target=actor,
            actor=actor,
            action=UNLOCK_ACTION,
            reason="解除地址的登录锁定。",
            changes={"地址": address},
        )
    return removed
