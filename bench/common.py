"""What every figure shares: the rows it returns, the run's context, timing and formatting helpers."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "manage.py"
BENCH_USER = "bench-admin"
BENCH_PASSWORD = "bench-pass-2024-not-secret"  # noqa: S105 (a throwaway database's superuser)


@dataclass
class Row:
    """One line of the table. `ratio` is product / baseline unless the figure says otherwise."""

    figure: str
    what: str
    product: str
    baseline: str = "—"
    ratio: float | None = None
    target: str = ""
    note: str = ""  # printed under the table

    def cells(self) -> list[str]:
        ratio = "—" if self.ratio is None else f"{self.ratio:.2f}×"
        return [self.figure, self.what, self.product, self.baseline, ratio, self.target]


@dataclass
class Context:
    """What the set-up made and every figure may use."""

    args: Any
    env: dict[str, str]  # the environment of every subprocess (the bench database, quiet mail and logs)
    workdir: Path  # scratch files of this run, removed at the end
    vendor: str  # "postgresql" or "sqlite"
    campaigns: list[str] = field(default_factory=list)  # as generate_province printed them
    generate_seconds: float | None = None
    generate_output: str = ""
    cache: dict[str, Any] = field(default_factory=dict)  # what one figure leaves for another

    # ---- what the figures look up in the generated database (Django is set up by then)

    def superuser(self):
        from stations.models import User

        return User.objects.get(username=BENCH_USER)

    def monthly_campaign(self):
        """The Heshan monthly campaign: the generated monthly campaign with the most sheets."""
        from django.db.models import Count

        from assessment.models import Campaign

        found = (
            Campaign.objects.filter(code__in=self.campaigns)
            .exclude(months=[])
            .exclude(months__isnull=True)
            .annotate(sheet_count=Count("sheets"))
            .order_by("-sheet_count")
            .select_related("policy", "region")
            .first()
        )
        if found is None or not found.months:
            raise LookupError(f"generate_province made no monthly campaign (campaigns: {self.campaigns})")
        return found

    def public_campaign(self):
        """The campaign whose public notice the figures read: the monthly one, put on notice as the
        bureau would (results computed if figure 1 has not, then 开始公示) the first time it is
        asked for; if that is refused, the generated campaign on notice or published with most results.
        """
        from django.db.models import Count

        from assessment.models import Campaign

        if "public_campaign" not in self.cache:
            self.cache["public_campaign"] = self._give_notice()
        code = self.cache["public_campaign"]
        if code is not None:
            return Campaign.objects.get(code=code)
        public = Campaign.objects.filter(code__in=self.campaigns, status__in=["notice", "published"])
        found = public.annotate(result_count=Count("results")).order_by("-result_count").first()
        if found is None:
            statuses = dict(Campaign.objects.filter(code__in=self.campaigns).values_list("code", "status"))
            raise LookupError(f"no generated campaign is on notice or published: {statuses}")
        return found

    def _give_notice(self) -> str | None:

        from django.utils import timezone

        from assessment.services.campaigns import campaign_notice_start, campaign_results_compute

        campaign = self.monthly_campaign()
        actor = self.superuser()
        try:
            if campaign.status == "open":
                campaign_results_compute(campaign=campaign, actor=actor)
                campaign.refresh_from_db()
            if campaign.status == "results":
                today = timezone.localdate()
                campaign_notice_start(
                    campaign=campaign,
                    actor=actor,
                    first_day=today,
                )
                campaign.refresh_from_db()
        except Exception as error:  # the figures fall back to another public campaign
            print(f"  could not put {campaign.code} on notice: {error}", file=sys.stderr)
        return campaign.code if campaign.status in {"notice", "published"} else None


def manage(*args: str) -> list[str]:
    return [sys.executable, str(MANAGE), *args]


@dataclass
class Measured:
    """A finished subprocess: exit status, wall time, peak resident memory and its output."""

    returncode: int
    seconds: float
    max_rss_bytes: int
    stdout: str
    stderr: str

    def check(self, what: str) -> Measured:
        if self.returncode != 0:
            tail = (self.stderr.strip() or self.stdout.strip()).splitlines()[-5:]
            raise RuntimeError(f"{what} exited {self.returncode}: " + " / ".join(tail))
        return self


def run_measured(command: list[str], *, env: dict[str, str], workdir: Path) -> Measured:
    """Run `command` to completion; its own peak RSS comes from wait4 (not the max over all children)."""
    with (
        tempfile.TemporaryFile(dir=workdir) as out,
        tempfile.TemporaryFile(dir=workdir) as err,
    ):
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=ROOT)  # noqa: S603
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(
            returncode=process.returncode,
            seconds=seconds,
            max_rss_bytes=usage.ru_maxrss * 1024,  # Linux reports kilobytes
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """`with stopwatch() as elapsed: ...` then `elapsed()` is the seconds the block took."""
    started = time.perf_counter()
    end: list[float] = []
    try:
        yield lambda: (end[0] if end else time.perf_counter()) - started
    finally:
        end.append(time.perf_counter())


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = function()
    return time.perf_counter() - started, value


def seconds(value: float) -> str:
    if value < 0.001:
        return f"{value * 1e6:.0f} µs"
    if value < 1:
        return f"{value * 1e3:.1f} ms"
    return f"{value:.2f} s"


def size(value: float) -> str:
    if value < 1024:
        return f"{value:.0f} B"
    if value < 1024 * 1024:
        return f"{value / 1024:.1f} KB"
    if value < 1024**3:
        return f"{value / 1024 / 1024:.1f} MB"
    return f"{value / 1024**3:.2f} GB"


def ratio(product: float | None, baseline: float | None) -> float | None:
    if product is None or not baseline:
        return None
    return product / baseline


def response_body(response) -> bytes:
    """A test-client response's bytes, streamed or not."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def rows_of_xlsx(data: bytes) -> list[tuple[str, list[list[Any]]]]:
    """Every sheet of a workbook as (title, rows of values), read with python-calamine."""
    import io

    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return [(name, workbook.get_sheet_by_name(name).to_python()) for name in workbook.sheet_names]
