"""Figure 3: pages that must not grow with the data, through Django's test client.

Each page is fetched once to warm up (its time is shown as "first": caches still empty) and then
three times, timed: the fastest counts, with the queries of the first of them. Admin pages are
read as the bureau clerk of the campaign's region (generate_province makes one), or else the
bench's superuser (made with `createsuperuser`); the public pages anonymously. The baseline is a
trivial view in the same client: `/healthz` when the product has one, otherwise the login page
(said so in the table).
"""

from __future__ import annotations

import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from bench.common import Context, Row, ratio, response_body, seconds, size

TRIVIAL_NAMES = ("healthz", "health", "ping")


def trivial_url() -> tuple[str, str]:
    """The cheapest page the product serves, and what it is called in the table."""
    for name in TRIVIAL_NAMES:
        try:
            return reverse(name), name
        except NoReverseMatch:
            continue
    return reverse("login"), "login page (no /healthz)"


def fetch(client: Client, url: str, repeat: int = 3) -> tuple[float, int, int, int, float]:
    """(seconds, queries, bytes, status, first) of a GET after a warm-up GET: the fastest of `repeat`
    timed fetches (the machine may be busy with other work), the queries of the first; `first` is
    the warm-up's time (a cache still empty)."""
    started = time.perf_counter()
    response_body(client.get(url))
    first = time.perf_counter() - started
    best = None
    for attempt in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            body = response_body(response)
            elapsed = time.perf_counter() - started
        if attempt == 0:
            counted = len(queries.captured_queries)
        best = elapsed if best is None else min(best, elapsed)
    return best, counted, len(body), response.status_code, first


def pages(ctx: Context) -> list[tuple[str, str, bool]]:
    """(label, URL, logged in) of every page the figure measures."""
    from assessment.models import ScoreSheet

    campaign = ctx.monthly_campaign()
    public = ctx.public_campaign()
    station_code = (
        ScoreSheet.objects.filter(campaign=campaign).values_list("station__code", flat=True).first()
    )
    return [
        (
            f"campaign admin page ({campaign.code})",
            reverse("admin:assessment_campaign_change", args=[campaign.pk]),
            True,
        ),
        (f"public notice ({public.code})", reverse("notice:detail", args=[public.code]), False),
        (f"objection form ({public.code})", reverse("notice:objection", args=[public.code]), False),
        ("score sheet list (all)", reverse("admin:assessment_scoresheet_changelist"), True),
        (
            f"audit search (q={station_code})",
            reverse("admin:core_auditentry_changelist") + f"?q={station_code}",
            True,
        ),
    ]


def reader(ctx: Context):
    """Who reads the admin pages: the bureau clerk of the campaign's region, if the province has
    one (their reads are scoped, as a real clerk's), else the bench's superuser."""
    from stations.models import User

    campaign = ctx.monthly_campaign()
    clerk = (
        User.objects.filter(role=User.Role.BUREAU, region=campaign.region, is_active=True, is_staff=True)
        .order_by("username")
        .first()
    )
    return clerk or ctx.superuser()


def run(ctx: Context) -> list[Row]:
    admin_client = Client()
    user = reader(ctx)
    admin_client.force_login(user)
    public_client = Client()
    url, trivial_label = trivial_url()
    base_time, base_queries, base_bytes, _, _ = fetch(admin_client, url)
    rows = [
        Row(
            "3",
            f"trivial view: {trivial_label}",
            f"{seconds(base_time)}, {base_queries} q, {size(base_bytes)}",
            target="(the baseline below)",
            note=f"pages: admin pages read as {user.username}"
            + (" (bureau clerk of the campaign's region)" if not user.is_superuser else " (superuser)"),
        )
    ]
    for label, page, logged_in in pages(ctx):
        try:
            elapsed, queries, body, status, first = fetch(admin_client if logged_in else public_client, page)
        except Exception as error:  # one page failing leaves the others measured
            rows.append(
                Row("3", label, f"ERROR {type(error).__name__}", note=f"figure 3, {label}: {error}"[:400])
            )
            continue
        over = [what for what, bad in (("time", elapsed > 1), ("size", body > 1024 * 1024)) if bad]
        rows.append(
            Row(
                "3",
                label + ("" if status == 200 else f" HTTP {status}"),
                f"{seconds(elapsed)}, {queries} q, {size(body)} (first {seconds(first)})",
                f"{seconds(base_time)}, {base_queries} q",
                ratio(elapsed, base_time),
                "≤ 1 s, ≤ 1 MB" + (f"  (over: {', '.join(over)})" if over else ""),
            )
        )
    return rows
