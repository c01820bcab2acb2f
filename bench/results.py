"""Figure 1: a campaign's results, by `compute_results` against `evaluate` on the same inputs.

Memory: compute_results runs first as its own process, as a bureau's administrator would run it,
and wait4 gives its peak resident memory (ru_maxrss). Time: then both commands are called in this
process (`call_command`), evaluate first, on the file `export_campaign_inputs` wrote, so neither
pays Python's and Django's start-up; the timed compute_results is a recomputation of the same
campaign, which does the same work. The memory target is absolute (under 1 GB at 30,000 units).
"""

from __future__ import annotations

import io
import json
import time

from django.core.management import call_command

from bench.common import BENCH_USER, Context, Row, manage, ratio, run_measured, seconds, size

GB = 1024**3


def run(ctx: Context) -> list[Row]:
    campaign = ctx.monthly_campaign()
    inputs = ctx.workdir / f"{campaign.code}-inputs.json"
    units = campaign.entries.count()
    sheets = campaign.sheets.count()

    def command(*args: str):
        return run_measured(manage(*args), env=ctx.env, workdir=ctx.workdir).check(" ".join(args[:1]))

    def in_process(*args: str) -> float:
        err = io.StringIO()
        started = time.perf_counter()
        try:
            call_command(*args, stdout=io.StringIO(), stderr=err)
        except SystemExit as exit:  # evaluate exits 1 on bad input
            raise RuntimeError(f"{args[0]} exited {exit.code}: {err.getvalue().strip()[:300]}") from None
        return time.perf_counter() - started

    # The process first, while this one is still small: Linux counts the parent's resident memory
    # at fork into the child's ru_maxrss, and `evaluate` in this process grows it to gigabytes.
    compute_process = command("compute_results", "--campaign", campaign.code, "--user", BENCH_USER)
    exported = in_process("export_campaign_inputs", "--campaign", campaign.code, "--out", str(inputs))
    policy_code = json.loads(inputs.read_text(encoding="utf-8")).get("policy") or campaign.policy.code
    evaluated = in_process("evaluate", policy_code, str(inputs))
    computed = in_process("compute_results", "--campaign", campaign.code, "--user", BENCH_USER)
    compute_rss = compute_process.max_rss_bytes
    return [
        Row(
            "1",
            f"compute_results ({campaign.code}: {units} units, {sheets} sheets)",
            seconds(computed),
            f"evaluate {seconds(evaluated)}",
            ratio(computed, evaluated),
            "≤ 1.5×",
        ),
        Row(
            "1",
            "compute_results peak memory (own process)",
            f"{size(compute_rss)} ({seconds(compute_process.seconds)} with start-up)",
            "—",
            None,
            "< 1 GB" + ("" if compute_rss < GB else "  (over)"),
        ),
        Row(
            "1",
            "export_campaign_inputs (for evaluate)",
            f"{seconds(exported)}, {size(inputs.stat().st_size)} JSON",
            target="(none)",
        ),
    ]
