"""Province-scale timings. Run with `.venv/bin/pytest -m benchmark -s tests/benchmarks`; they print
numbers and assert nothing about speed (the machine decides that), only that the work was done."""

import random
import time
import tracemalloc
from decimal import Decimal

import pytest

from assessment.engine.decision import DecisionUnit, decide_campaign
from assessment.engine.scoring import compile_rubric
from assessment.policies import SEED_POLICIES
from tests.assessment.builders import heshan_perfect_month

pytestmark = pytest.mark.benchmark


def test_scoring_a_provinces_monthly_sheets():
    policy = SEED_POLICIES["heshan-2024"]
    rubric = compile_rubric(policy.rubric, kinds=policy.kinds)
    rng = random.Random(1)
    months = []
    for _ in range(200):
        raw = heshan_perfect_month(rng.choice(["community", "village"]))
        raw["long_term_unemployed"] = rng.randint(0, 3)
        raw["registered_unemployed"] = rng.randint(40, 80)
        months.append(raw)

    def run(sheets: int, explain: bool) -> Decimal:
        total = Decimal(0)
        for index in range(sheets):
            raw = months[index % len(months)]
            kind = "community" if "zero_employment_households" in raw else "village"
            values, problems = rubric.parse_inputs(raw, kind=kind, month=index % 12 + 1)
            assert not problems
            total += rubric.score_sheet(values, kind=kind, month=index % 12 + 1, explain=explain).total
        return total

    sheets = 24_000  # 2,000 units × 12 months; a province of 10,000 units is five times this
    for explain in (False, True):
        started = time.perf_counter()
        assert run(sheets, explain) > 0
        elapsed = time.perf_counter() - started
        label = "with" if explain else "without"
        print(
            f"\n{sheets} monthly sheets checked and scored ({label} explanations) in {elapsed:.1f} s: "
            f"{elapsed / sheets * 1e3:.3f} ms each, about {elapsed * 5:.0f} s for 120,000"
        )
    tracemalloc.start()
    run(2_000, True)
    print(
        f"peak memory while scoring: {tracemalloc.get_traced_memory()[1] / 1024:.0f} KiB (results are not kept)"
    )
    tracemalloc.stop()


def test_ranking_a_provinces_units():
    policy = SEED_POLICIES["heshan-2024"]
    rng = random.Random(2)
    units = [
        DecisionUnit(
            code=f"U{i:05d}",
            kind=rng.choice(["community", "village"]),
            level=rng.choice(["province", "city", "city", "district", None]),
            group=f"G{i // 4}",
            score=Decimal(rng.randint(8500, 10000)) / 100,
        )
        for i in range(30_000)
    ]
    started = time.perf_counter()
    outcomes = decide_campaign(policy, units)
    elapsed = time.perf_counter() - started
    paid = sum(o.performance_subsidy for o in outcomes)
    print(
        f"\n{len(units)} units ranked 3:4:3 with elimination and group deductions in {elapsed:.2f} s; "
        f"total {paid:,.2f} yuan"
    )
    assert len(outcomes) == len(units)
