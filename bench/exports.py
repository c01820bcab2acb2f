"""Figure 8: Excel exports, against openpyxl `write_only` writing the same rows.

The campaign's result table and the bureau's sheet-import template are downloaded through the
admin's links (the whole file, streamed or not); the result table is a job (started by POST, run
in-process here as without a broker, then downloaded from the job's page), timed from the POST
to the last byte. The workbook is read back with python-calamine
and exactly its sheets, rows and columns are written again with a bare openpyxl write-only
workbook: that is the baseline.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

from django.test import Client
from django.urls import reverse

from bench.common import Context, Row, ratio, response_body, rows_of_xlsx, seconds


def bare_write(sheets) -> float:
    from openpyxl import Workbook

    # calamine pads short rows with "": those cells were empty, so they are written as empty.
    sheets = [
        (title, [[None if value == "" else value for value in row] for row in rows]) for title, rows in sheets
    ]
    started = time.perf_counter()
    workbook = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(io.BytesIO())
    return time.perf_counter() - started


def download_via_job(client: Client, url: str):
    """POST the export page (the job runs in-process at the commit), then download the job's file."""
    from django.urls import resolve

    started = client.post(url, {"csrfmiddlewaretoken": "bench"})
    if started.status_code != 302:
        raise RuntimeError(f"starting the export answered HTTP {started.status_code}")
    job_id = resolve(started["Location"]).kwargs["object_id"]
    return client.get(reverse("admin:core_job_download", args=[job_id]))


def run(ctx: Context) -> Iterator[Row]:
    campaign = ctx.monthly_campaign()
    client = Client()
    client.force_login(ctx.superuser())
    for label, name in (
        ("result table", "admin:assessment_campaign_results_xlsx"),
        ("sheet-import template", "admin:assessment_campaign_import_template"),
    ):
        url = reverse(name, args=[campaign.pk])
        started = time.perf_counter()
        response = client.get(url) if name.endswith("import_template") else download_via_job(client, url)
        data = response_body(response)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"{label} answered HTTP {response.status_code}")
        sheets = rows_of_xlsx(data)
        baseline = bare_write(sheets)
        first = sheets[0][1]
        shape = f"{len(first)} rows × {max((len(r) for r in first), default=0)} columns"
        yield Row(
            "8",
            f"{label} ({campaign.code}: {shape}, {len(data) // 1024} KB)",
            seconds(elapsed),
            f"openpyxl write_only {seconds(baseline)}",
            ratio(elapsed, baseline),
            "≤ 1.3×",
        )
