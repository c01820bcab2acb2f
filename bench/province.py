"""Set-up (migrate, generate the province, a superuser) and figure 9: generate_province itself."""

from __future__ import annotations

import re

from bench.common import BENCH_PASSWORD, BENCH_USER, Context, Row, manage, run_measured, seconds

CAMPAIGN_LINE = re.compile(r"^campaign\s+(\S+)\s*$", re.MULTILINE)


def migrate(ctx: Context) -> float:
    done = run_measured(manage("migrate", "--noinput", "-v", "0"), env=ctx.env, workdir=ctx.workdir)
    done.check("manage.py migrate")
    # Pages name their static files through collectstatic's manifest once debug is off.
    run_measured(manage("collectstatic", "--noinput", "-v", "0"), env=ctx.env, workdir=ctx.workdir).check(
        "manage.py collectstatic"
    )
    return done.seconds


def generate(ctx: Context) -> None:
    """`manage.py generate_province --units N --stations M --seed S`; it prints `campaign CODE` lines."""
    args = ctx.args
    command = manage(
        "generate_province",
        "--units",
        str(args.units),
        "--stations",
        str(args.stations),
        "--seed",
        str(args.seed),
    )
    done = run_measured(command, env=ctx.env, workdir=ctx.workdir).check("manage.py generate_province")
    ctx.generate_seconds = done.seconds
    ctx.generate_output = done.stdout
    ctx.campaigns = CAMPAIGN_LINE.findall(done.stdout)
    if not ctx.campaigns:
        raise RuntimeError("generate_province printed no `campaign CODE` line:\n" + done.stdout[-2000:])


def superuser(ctx: Context) -> None:
    """Django's own `createsuperuser --noinput` on the generated database (the issue says it works)."""
    env = {
        **ctx.env,
        "DJANGO_SUPERUSER_USERNAME": BENCH_USER,
        "DJANGO_SUPERUSER_PASSWORD": BENCH_PASSWORD,
        "DJANGO_SUPERUSER_EMAIL": "bench@example.invalid",
    }
    run_measured(manage("createsuperuser", "--noinput"), env=env, workdir=ctx.workdir).check(
        "manage.py createsuperuser --noinput"
    )


def run(ctx: Context) -> list[Row]:
    """Figure 9. No baseline: the issue asks only what generating a province takes."""
    from assessment.models import ScoreSheet
    from stations.models import Station

    stations = Station.objects.count()
    sheets = ScoreSheet.objects.count()
    per_sheet = ctx.generate_seconds / sheets if sheets else None
    return [
        Row(
            "9",
            "generate_province",
            f"{seconds(ctx.generate_seconds)} ({stations} stations, {sheets} sheets"
            + (f", {per_sheet * 1e3:.2f} ms a sheet)" if per_sheet else ")"),
            target="(none)",
        )
    ]
