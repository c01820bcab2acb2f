"""Session timeouts (等保 2.0): an idle one and an absolute one.

A person is logged out after SESSION_IDLE_MINUTES without a request of their own, and
SESSION_ABSOLUTE_HOURS after they logged in whatever they do. The login time and the last activity
live in the session. A job page asks for its status every two seconds by itself: those requests
(PASSIVE_URL_NAMES) are not activity, or an open job page would keep a session alive for ever.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

LOGIN_AT = "session_login_at"
ACTIVE_AT = "session_active_at"
TIMED_OUT_MESSAGE = "长时间未操作，已自动退出，请重新登录。"
EXPIRED_MESSAGE = "登录已超过最长时限，已自动退出，请重新登录。"

# Requests a page sends by itself, not the person: they neither count as activity nor keep a session.
PASSIVE_URL_NAMES = frozenset({"portal:job_status", "admin:core_job_status"})
# The last activity is written at most this often (seconds): not one session save per click.
ACTIVITY_RESOLUTION = 60


@receiver(user_logged_in)
def _start_session_clock(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = timezone.now().timestamp()
        request.session[LOGIN_AT] = now
        request.session[ACTIVE_AT] = now


def session_timeout(session, *, now: float) -> str | None:
    """The message to log out with when `session` has timed out at `now`, or None."""
    login_at = session.get(LOGIN_AT)
    active_at = session.get(ACTIVE_AT, login_at)
    if login_at is not None and now - login_at > settings.SESSION_ABSOLUTE_HOURS * 3600:
        return EXPIRED_MESSAGE
    if active_at is not None and now - active_at > settings.SESSION_IDLE_MINUTES * 60:
        return TIMED_OUT_MESSAGE
    return None


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.SESSION_TIMEOUTS or not request.user.is_authenticated:
            return None
        now = timezone.now().timestamp()
        session = request.session
        if LOGIN_AT not in session:
            # A session from before this middleware, or one made without the login view (tests'
            # force_login): its clock starts now.
            session[LOGIN_AT] = session[ACTIVE_AT] = now
            return None
        message = session_timeout(session, now=now)
        if message is not None:
            logout(request)
            messages.info(request, message)
            return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")
        match = request.resolver_match
        passive = match is not None and match.view_name in PASSIVE_URL_NAMES
        if not passive and now - session.get(ACTIVE_AT, 0) >= ACTIVITY_RESOLUTION:
            session[ACTIVE_AT] = now
        return None
