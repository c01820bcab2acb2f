"""`python -m bench.run [--units N] [--stations M] …`: set up a fresh province and print every figure.

    make bench                          # 300 units × 12 months, 30 stations: about a minute
    make bench UNITS=3000 STATIONS=300  # the same at ten times the size

Set-up (not counted in the figures): a fresh database of the bench's own (see bench.database),
`migrate`, `generate_province` (figure 9 is its time) and a superuser by `createsuperuser
--noinput`. Then Django is set up in this process on that database and each figure runs; a figure
that fails prints its error in the table and the next one runs. The database and scratch files
are removed at the end unless --keep.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench.common import Context, Row, seconds
from bench.database import bench_database

# Figures in the order they run: storage first (nothing has written yet), the batch moves last
# (they add a campaign). The table is printed in the order.
FIGURES: list[tuple[str, str, str]] = [
    ("9", "bench.province", "generate_province"),
    ("2", "bench.storage", "score sheet storage"),
    ("1", "bench.results", "compute_results vs evaluate"),
    ("3", "bench.pages", "pages"),
    ("4", "bench.load", "notice under load"),
    ("5", "bench.pdfs", "PDFs"),
    ("7", "bench.roster", "roster import"),
    ("8", "bench.exports", "Excel exports"),
    ("6", "bench.batch", "open, import, lock"),
]
HEADER = ["fig", "what", "product", "baseline", "ratio", "target"]


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--units", type=int, default=300, help="Heshan communities and villages (12 months each)"
    )
    parser.add_argument("--stations", type=int, default=30, help="yearly stations (Yunmeng, Quanzhou)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--roster-rows", type=int, default=5000, help="rows of the roster import (figure 7)")
    parser.add_argument("--pdf-batch", type=int, default=6, help="sheets in the ZIP batch (figure 5)")
    parser.add_argument(
        "--processes",
        type=int,
        default=0,
        help="the ZIP's worker processes (figure 5; 0: the product's default)",
    )
    parser.add_argument("--load-seconds", type=float, default=3.0, help="seconds of load per page (figure 4)")
    parser.add_argument("--only", default="", help="comma-separated figure numbers to run, e.g. 1,3")
    parser.add_argument(
        "--database", default=None, help="PostgreSQL: the bench database's name (default <name>_bench)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database and scratch files")
    return parser.parse_args(argv)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def table(rows: list[Row]) -> str:
    cells = [HEADER, *[row.cells() for row in rows]]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADER))]
    lines = []
    for index, line in enumerate(cells):
        lines.append(" | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
        if index == 0:
            lines.append("-+-".join("-" * width for width in widths))
    notes = [row.note for row in rows if row.note]
    return "\n".join(lines + ([""] + [f"note: {note}" for note in notes] if notes else []))


def subprocess_env(database_url: str, workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_DEBUG="false",
        ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        LOG_LEVEL="WARNING",
        MEDIA_ROOT=str(workdir / "media"),
        PYTHONUNBUFFERED="1",
        # Plain HTTP on this machine (production redirects to HTTPS), with the static files collected
        # as production serves them (bench.province.migrate runs collectstatic).
        SECURE_SSL_REDIRECT="false",
        STATIC_ROOT=str(workdir / "static"),
        # The pages are read in a session opened by force_login, which has no second factor to
        # verify; the two-factor middleware still runs on every page, so its cost is measured.
        TWO_FACTOR_REQUIRED="false",
    )
    env.pop("SECRET_KEY", None)  # commands run without one; the gunicorn of figure 4 gets a throwaway
    # Personal data is encrypted (core/crypto.py) and debug is off: throwaway keys for this database.
    env["FIELD_ENCRYPTION_KEYS"] = "bench:" + base64.b64encode(secrets.token_bytes(32)).decode()
    env["FIELD_HASH_KEY"] = base64.b64encode(secrets.token_bytes(32)).decode()
    env.pop("REDIS_URL", None)  # never a shared cache: each process keeps its own (the default)
    return env


def run_figure(number: str, module_name: str, label: str, ctx: Context) -> list[Row]:
    import importlib

    from django.db import close_old_connections, connection

    started = time.perf_counter()
    rows: list[Row] = []
    try:
        # A figure returns its rows or yields them one by one: those yielded before a failure stay.
        rows.extend(importlib.import_module(module_name).run(ctx))
    except Exception as error:
        progress(f"  figure {number} ({label}) failed:\n" + "".join(traceback.format_exc(limit=6)))
        rows.append(
            Row(number, label, f"ERROR {type(error).__name__}", note=f"figure {number}: {error}"[:400])
        )
        if connection.in_atomic_block:
            connection.set_rollback(True)
        close_old_connections()
    progress(f"  figure {number} ({label}): {time.perf_counter() - started:.1f} s")
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    only = {f.strip() for f in args.only.split(",") if f.strip()}
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    database = bench_database(os.environ.get("DATABASE_URL"), workdir=workdir, name=args.database)
    ctx = Context(
        args=args, env=subprocess_env(database.url, workdir), workdir=workdir, vendor=database.vendor
    )
    where = database.name if database.vendor == "postgresql" else "a throwaway SQLite file"
    progress(
        f"make bench: {args.units} units × 12 months, {args.stations} stations, seed {args.seed}, on {where}"
    )
    rows: list[Row] = []
    try:
        from bench import province

        try:
            progress(f"  migrate: {province.migrate(ctx):.1f} s")
            province.generate(ctx)
            progress(
                f"  generate_province: {ctx.generate_seconds:.1f} s; campaigns {', '.join(ctx.campaigns)}"
            )
            province.superuser(ctx)
        except RuntimeError as error:
            progress(f"make bench: set-up failed, nothing measured: {error}")
            return 1

        # This process now works on the bench database, as the subprocesses do.
        os.environ.update(ctx.env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django

        django.setup()

        started = time.perf_counter()
        for number, module_name, label in FIGURES:
            if not only or number in only:
                rows.extend(run_figure(number, module_name, label, ctx))
        bench_seconds = time.perf_counter() - started
    finally:
        if not args.keep:
            from django.apps import apps

            if apps.ready:
                from django.db import connections

                connections.close_all()
            database.drop()
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            progress(f"kept: database {database.name}, scratch files {workdir}")

    order = {number: index for index, number in enumerate("123456789")}
    rows.sort(key=lambda row: order.get(row.figure, 99))
    print()
    print(
        f"Issue 10 figures at {args.units} units × 12 months and {args.stations} stations "
        f"({database.vendor}, {os.cpu_count()} CPUs; bench time {seconds(bench_seconds)} after set-up)"
    )
    print(table(rows))
    # The numbers are for reading; a figure that could not be measured is a failure (CI runs a
    # small bench so that the bench itself keeps working).
    failed = [row.figure for row in rows if row.product.startswith("ERROR")]
    if failed:
        progress(f"make bench: figure(s) {', '.join(sorted(set(failed)))} failed")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
