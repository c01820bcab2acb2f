"""Figure 5: PDF score sheets, against WeasyPrint's own layout of the same HTML.

Single sheet: a Heshan unit's 12-month score sheet through the admin's PDF link (the document is
built from the database and rendered), beside `weasyprint.HTML(string=html, …).render()` of the
very HTML the product handed WeasyPrint (caught on its way in), with the same base URL and static
files fetcher so the same stylesheet and fonts apply; layout only, no PDF written. Seconds per page
use the layout's page count.

Batch: K sheets through the ZIP function (`score_sheets_zip`, with its worker processes when it
takes them), per sheet, beside one render × K / processes.
"""

from __future__ import annotations

import inspect
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.test import Client
from django.urls import reverse

from bench.common import Context, Row, ratio, response_body, seconds

PROCESS_PARAMETERS = ("processes", "workers", "jobs")


@contextmanager
def html_caught():
    """Catch the HTML the product gives WeasyPrint (and the keywords it passes) during the block."""
    from assessment.documents import pdf as product_pdf

    caught: list[dict] = []
    original = product_pdf.HTML

    def recording(*args, **kwargs):
        caught.append({"args": args, **kwargs})
        return original(*args, **kwargs)

    product_pdf.HTML = recording
    try:
        yield caught
    finally:
        product_pdf.HTML = original


def bare_layout(call: dict) -> tuple[float, int]:
    """(seconds, pages) of WeasyPrint laying out the same HTML with the same resources; no PDF."""
    from weasyprint import HTML

    keywords = {k: v for k, v in call.items() if k in {"string", "base_url", "media_type"}}
    if call.get("url_fetcher") is not None:
        fetcher = call["url_fetcher"]
        try:
            keywords["url_fetcher"] = type(fetcher)()  # a fresh one: fetchers may keep what they served
        except TypeError:
            keywords["url_fetcher"] = fetcher
    started = time.perf_counter()
    document = HTML(**keywords).render()
    return time.perf_counter() - started, len(document.pages)


def fallback_html(campaign, station) -> dict:
    """The document's HTML from the product's template, when the render was not caught in-process."""
    from django.template.loader import render_to_string

    from assessment.documents.pdf import BASE_URL, StaticOnlyFetcher
    from assessment.documents.score_sheet import TEMPLATE, score_sheet_context, station_document

    document = station_document(campaign=campaign, station=station, actor=None)
    html = render_to_string(TEMPLATE, score_sheet_context(document))
    return {"string": html, "base_url": BASE_URL, "url_fetcher": StaticOnlyFetcher(), "media_type": "print"}


def zip_batch(campaign, station_ids: list[int], processes: int | None) -> dict:
    """The ZIP of these stations' sheets: its seconds, bytes and processes, and the steady pace.

    The ZIP yields a chunk per PDF as it is done; the time from the first PDF's chunk to the last
    one's, over K - 1, is the pace once the workers run (their start-up is in `seconds` only).
    """
    from assessment.documents import score_sheet

    parameters = inspect.signature(score_sheet.score_sheets_zip).parameters
    keywords: dict = {}
    used = 1
    name = next((n for n in PROCESS_PARAMETERS if n in parameters), None)
    if name is not None:
        used = processes or os.cpu_count() or 1
        keywords[name] = used
    timing = None
    if "timing" in parameters and hasattr(score_sheet, "BatchTiming"):
        keywords["timing"] = timing = score_sheet.BatchTiming()
    started = time.perf_counter()
    documents = score_sheet.score_sheet_documents(campaign=campaign, actor=None, station_ids=station_ids)
    stamps, total = [], 0
    for chunk in score_sheet.score_sheets_zip(documents, **keywords):
        total += len(chunk)
        stamps.append(time.perf_counter())
    elapsed = time.perf_counter() - started
    used = getattr(timing, "processes", used) or used
    count = len(station_ids)
    steady = (stamps[count - 1] - stamps[0]) / (count - 1) if count > 1 and len(stamps) == count + 1 else None
    return {"seconds": elapsed, "bytes": total, "processes": used, "steady": steady}


def run(ctx: Context) -> Iterator[Row]:
    from assessment.models import ScoreSheet

    campaign = ctx.monthly_campaign()
    months = len(campaign.months)
    sheet = (
        ScoreSheet.objects.filter(campaign=campaign)
        .select_related("station")
        .order_by("station__code", "period")
        .first()
    )
    client = Client()
    client.force_login(ctx.superuser())
    url = reverse("admin:assessment_scoresheet_pdf", args=[sheet.pk])
    client.get(url)  # fonts, stylesheet and the policy are loaded once per process, not per sheet
    with html_caught() as caught:
        started = time.perf_counter()
        response = client.get(url)
        pdf = response_body(response)
        single = time.perf_counter() - started
    if response.status_code != 200 or not pdf.startswith(b"%PDF"):
        raise RuntimeError(f"the score sheet PDF answered HTTP {response.status_code}")
    call = caught[-1] if caught and caught[-1].get("string") else fallback_html(campaign, sheet.station)
    layout, pages = bare_layout(call)
    yield Row(
        "5",
        f"PDF of a {months}-month sheet ({sheet.station.code}, {pages} pages, {len(pdf) // 1024} KB)",
        f"{seconds(single)} ({seconds(single / pages)} a page)",
        f"layout {seconds(layout)} ({seconds(layout / pages)} a page)",
        ratio(single, layout),
        "≤ 2 s a sheet, ≤ 0.15 s a page" + ("" if single <= 2 and single / pages <= 0.15 else "  (over)"),
        note=""
        if caught
        else "PDF figure: the render was not caught in-process; layout of the template's HTML",
    )

    count = ctx.args.pdf_batch
    station_ids = list(
        ScoreSheet.objects.filter(campaign=campaign)
        .order_by("station__code")
        .values_list("station_id", flat=True)
        .distinct()[:count]
    )
    batch = zip_batch(campaign, station_ids, ctx.args.processes or None)
    used, count = batch["processes"], len(station_ids)
    per_sheet = batch["seconds"] / count
    pace = batch["steady"]
    floor = single / used
    yield Row(
        "5",
        f"ZIP of {count} sheets ({batch['bytes'] // 1024} KB, {used} process{'es' if used > 1 else ''})",
        (f"{seconds(pace)} a sheet running, " if pace else "")
        + f"{seconds(per_sheet)} with start-up ({seconds(batch['seconds'])} in all)",
        f"single {seconds(single)} / {used} = {seconds(floor)}",
        ratio(pace or per_sheet, floor),
        "≤ 1.2× (500 sheets)",
        note=(
            "ZIP figure: ratio of the pace once the workers run (first to last PDF); "
            "their start-up weighs less in a batch of 500"
            if pace
            else ""
        )
        + (
            ""
            if used > 1
            else "ZIP figure: score_sheets_zip takes no processes/workers argument, so one process is assumed"
        ),
    )
