"""Figure 4: the public notice under load, against a trivial view of the same deployment.

gunicorn with 3 sync workers serves the bench database on a free local port (DJANGO_DEBUG off, a
throwaway SECRET_KEY); 20 client threads each send GETs one after another for `--load-seconds`,
first to the notice page, then to the trivial view (see bench.pages.trivial_url). The ratio is
notice requests/s over trivial requests/s.
"""

from __future__ import annotations

import http.client
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time

from bench.common import ROOT, Context, Row, seconds
from bench.pages import trivial_url

WORKERS = 3
CLIENTS = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def wait_until_serving(port: int, process: subprocess.Popen, path: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {process.returncode}")
        try:
            get(port, path)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on port {port} within {timeout:.0f} s")


def hammer(port: int, path: str, duration: float) -> tuple[float, list[float], dict[int, int]]:
    """(requests/s, latencies, responses by status) of CLIENTS threads for `duration` seconds."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop = time.perf_counter() + duration

    def client() -> None:
        mine, codes = [], {}
        while time.perf_counter() < stop:
            started = time.perf_counter()
            try:
                status = get(port, path)
            except OSError:
                status = 0
            mine.append(time.perf_counter() - started)
            codes[status] = codes.get(status, 0) + 1
        with lock:
            latencies.extend(mine)
            for status, count in codes.items():
                statuses[status] = statuses.get(status, 0) + count

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return statuses.get(200, 0) / elapsed, latencies, statuses


def run(ctx: Context) -> list[Row]:
    from django.urls import reverse

    public = ctx.public_campaign()
    notice = reverse("notice:detail", args=[public.code])
    trivial, trivial_label = trivial_url()
    port = free_port()
    env = {
        **ctx.env,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--workers",
        str(WORKERS),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--timeout",
        "120",
    ]
    log = (ctx.workdir / "gunicorn.log").open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        wait_until_serving(port, process, trivial)
        measured = {}
        for label, path in (("notice", notice), ("trivial", trivial)):
            for _ in range(WORKERS * 2):  # every worker has read its code and the notice's cache
                get(port, path)
            measured[label] = hammer(port, path, ctx.args.load_seconds)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()

    def described(label: str) -> str:
        rate, latencies, statuses = measured[label]
        errors = {k: v for k, v in statuses.items() if k != 200}
        median = statistics.median(latencies) if latencies else 0.0
        return f"{rate:.1f} req/s, median {seconds(median)}" + (f", non-200: {errors}" if errors else "")

    notice_rate, trivial_rate = measured["notice"][0], measured["trivial"][0]
    share = notice_rate / trivial_rate if trivial_rate else None
    return [
        Row(
            "4",
            f"notice under load ({public.code})",
            described("notice"),
            described("trivial"),
            share,
            "≥ 0.1×" + ("" if share is None or share >= 0.1 else "  (under)"),
            note=f"gunicorn {WORKERS} sync workers, {CLIENTS} client threads, {ctx.args.load_seconds:g} s "
            f"per page; baseline: {trivial_label}",
        )
    ]
