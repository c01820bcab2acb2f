"""The pure scoring engine: policies as data, scored exactly over Decimal, with no ORM inside.

Modules, in the order a score is made:
- `specs`: the policy as plain, JSON round-trippable dataclasses.
- `expressions`, `rules`: the rule kinds that give an item its points and its explanation line.
- `inputs`: reading and checking a unit's entered values.
- `scoring`: `compile_rubric` once, then `CompiledRubric.score_sheet` per sheet; `annual_score`.
- `validation`: `validate_rubric` and `validate_inputs`.
- `tiers`, `subsidy`: thresholds and ranked bands, then money, eligibility, elimination, groups.
- `simulate`: `evaluate_cases`, the logic of the `evaluate` command.
- `decimal_math`: the one half-up rounding and the number formats.
"""

from assessment.engine.decimal_math import format_two_places, round_half_up
from assessment.engine.inputs import InputProblem
from assessment.engine.scoring import (
    CompiledRubric,
    ItemResult,
    RubricError,
    RubricFinding,
    SectionResult,
    SheetResult,
    annual_score,
    compile_rubric,
)
from assessment.engine.specs import (
    EligibilitySpec,
    EliminationSpec,
    GroupDeductionSpec,
    InputSpec,
    ItemSpec,
    PartWholeSpec,
    PolicySpec,
    RankedBandSpec,
    RubricSpec,
    SectionSpec,
    SubsidyScheduleSpec,
    ThresholdTierSpec,
    TierSchemeSpec,
)
from assessment.engine.subsidy import (
    RankedOutcome,
    RankedUnit,
    YearlyOutcome,
    decide_ranked_outcomes,
    decide_yearly_outcome,
)
from assessment.engine.tiers import (
    allocate_band_counts,
    assign_ranked_bands,
    lowest_ranked_flags,
    threshold_tier,
)
from assessment.engine.validation import validate_inputs, validate_rubric

__all__ = [
    "CompiledRubric",
    "EligibilitySpec",
    "EliminationSpec",
    "GroupDeductionSpec",
    "InputProblem",
    "InputSpec",
    "ItemResult",
    "ItemSpec",
    "PartWholeSpec",
    "PolicySpec",
    "RankedBandSpec",
    "RankedOutcome",
    "RankedUnit",
    "RubricError",
    "RubricFinding",
    "RubricSpec",
    "SectionResult",
    "SectionSpec",
    "SheetResult",
    "SubsidyScheduleSpec",
    "ThresholdTierSpec",
    "TierSchemeSpec",
    "YearlyOutcome",
    "allocate_band_counts",
    "annual_score",
    "assign_ranked_bands",
    "compile_rubric",
    "decide_ranked_outcomes",
    "decide_yearly_outcome",
    "format_two_places",
    "lowest_ranked_flags",
    "round_half_up",
    "threshold_tier",
    "validate_inputs",
    "validate_rubric",
]
