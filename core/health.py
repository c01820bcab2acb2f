"""`/health/` for load balancers and monitoring: can this server reach what it needs?

It answers JSON, 200 when every configured check passes and 503 otherwise:
`{"status": "ok", "checks": {"database": "ok", "broker": "not configured", "storage": "ok"}}`.
No login, nothing personal, and no exception text: a check reports one short word and the
server's log gets the detail. It never answers 500: a failing check is the answer, not an error.

A load balancer probes by address (Host: 10.0.0.5) over plain HTTP, which ALLOWED_HOSTS and
SECURE_SSL_REDIRECT would refuse or redirect; `HealthCheckMiddleware`, first in MIDDLEWARE,
answers the probe before anything reads the Host header. The view reads no Host and builds no URL,
so a forged Host cannot reach anything through it.
"""

import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

HEALTH_PATH = "/health/"
OK = "ok"
FAILED = "error"
NOT_CONFIGURED = "not configured"
# A probe answers within seconds: the broker gets one attempt of this many seconds.
BROKER_CONNECT_TIMEOUT = 2


def database_check() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK


def broker_check() -> str:
    if not settings.CELERY_BROKER_URL:
        return NOT_CONFIGURED  # tasks run in-process: there is no broker to reach
    from kombu import Connection

    # max_retries=0 is one attempt: a retry would first sleep two seconds, and the balancer
    # probes again anyway.
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=BROKER_CONNECT_TIMEOUT) as broker:
        broker.ensure_connection(max_retries=0)
    return OK


def storage_check() -> str:
    # Uploads and job files go through default_storage: write and remove a file as they would.
    # A name of its own per probe, so two probes at once never remove each other's file.
    name = default_storage.save(f"health/probe-{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    default_storage.delete(name)
    return OK


CHECKS: dict[str, Callable[[], str]] = {
    "database": database_check,
    "broker": broker_check,
    "storage": storage_check,
}


def _run(name: str, check: Callable[[], str]) -> str:
    try:
        return check()
    except Exception as error:
        # The detail goes to the log for whoever runs the server, never into the answer.
        logger.warning("Health check %s failed: %s: %s", name, type(error).__name__, error)
        return FAILED


@require_safe
@never_cache
def health(request: HttpRequest) -> HttpResponse:
    checks = {name: _run(name, check) for name, check in CHECKS.items()}
    healthy = all(result in (OK, NOT_CONFIGURED) for result in checks.values())
    return JsonResponse(
        {"status": OK if healthy else FAILED, "checks": checks}, status=200 if healthy else 503
    )


class HealthCheckMiddleware:
    """Answers GET/HEAD /health/ before host validation and the HTTPS redirect (first in MIDDLEWARE).

    Everything else passes on untouched, so every other page still refuses an unknown Host.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == HEALTH_PATH and request.method in ("GET", "HEAD"):
            return health(request)
        return self.get_response(request)
