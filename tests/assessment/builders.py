"""Small builders for engine tests: one-item rubrics, and Heshan months that score exactly 100."""

from decimal import Decimal
from typing import Any

from assessment.engine.scoring import ItemResult, compile_rubric
from assessment.engine.specs import InputSpec, ItemSpec, RubricSpec, SectionSpec

KIND = "unit"


def item(
    rule: str,
    params: dict[str, Any],
    inputs: dict[str, str],
    max_points: str = "5",
    code: str = "1.1",
    **extra: Any,
) -> ItemSpec:
    """An item reading `inputs` ({name: type}), labelled by name so explanations are predictable."""
    return ItemSpec(
        code=code,
        title=f"项目{code}",
        max_points=Decimal(max_points),
        rule=rule,
        params=params,
        inputs=tuple(InputSpec(name, input_type, name) for name, input_type in inputs.items()),
        **extra,
    )


def rubric_of(*items: ItemSpec, section_max: str | None = None) -> RubricSpec:
    maximum = Decimal(section_max) if section_max else sum((spec.max_points for spec in items), Decimal(0))
    return RubricSpec(
        max_points=maximum,
        sections=(SectionSpec(code="1", title="测试部分", max_points=maximum, items=items),),
    )


def score_item(spec: ItemSpec, values: dict[str, Any], month: int | None = None) -> ItemResult:
    """Score a one-item rubric; the values must pass the input checks."""
    compiled = compile_rubric(rubric_of(spec), kinds=(KIND,))
    parsed, problems = compiled.parse_inputs(values, kind=KIND, month=month)
    assert problems == [], problems
    sheet = compiled.score_sheet(parsed, kind=KIND, month=month)
    return sheet.sections[0].items[0]


def heshan_perfect_month(kind: str = "community") -> dict[str, Any]:
    """Inputs on which every Heshan item sits exactly on its threshold, so the month scores 100.

    Rates land exactly on targets (950 / 1000 = 95%， 970 / 1000 = 97%， 6 / 10 = 60% against 60, ...),
    counts that deduct are 0, counts that must reach a number reach it exactly.
    """
    month: dict[str, Any] = {
        "labor_force": 1000,
        "registered_unemployed": 50,
        "long_term_unemployed": 0,
        "hard_to_employ": 30,
        "labor_records_updated": 950,
        "provincial_update_coverage": "95",
        "registration_applications": 10,
        "registration_overdue": 0,
        "confirmations_missing": 0,
        "job_recommended": 10,
        "unemployed_willing_at_start": 8,
        "newly_registered_unemployed": 2,
        "recommended_and_employed": 0,
        "matches_not_followed_up": 0,
        "training_recommended": 5,
        "training_willing_at_start": 4,
        "training_willing_new": 1,
        "training_recommended_and_employed": 0,
        "hard_to_employ_unassisted": 0,
        "graduate_followup_rate": 100,
        "graduate_service_rate": 100,
        "graduate_employment_rate": 100,
        "fishermen_poverty_unemployed": 0,
        "new_posting_enterprises": 5,
        "new_platform_enterprises": 2,
        "market_entities": 20000,
        "invalid_feedback": 0,
        "phone_check_accuracy": 90,
        "survey_points": 3,
        "data_overdue": 0,
        "service_count": 100,
        "provincial_avg_service_count": 100,
        "match_success": 6,
        "matched_people": 10,
        "provincial_success_rate": 60,
        "training_referrals": 4,
        "registered_unemployed_cumulative": 40,
        "provincial_training_coverage": 10,
        "training_subsidized": 2,
        "provincial_subsidy_coverage": 50,
        "valid_complaints": 0,
        "realname_accounts": 2,
        "inactive_accounts": 0,
        "staff_training_met": True,
        "new_staff_trained": True,
        "promotion_points": 2,
    }
    if kind == "community":
        month["zero_employment_households"] = 0
    else:
        month.update(rural_transferred=300, rural_labor_force=500, rural_transfer_rate_last_year=60)
    return month
