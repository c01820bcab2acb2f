"""The pure scoring engine: policies as data, scored exactly over Decimal, with no ORM inside.

Modules, in the order a score is made:
- `specs`: the policy as plain, JSON round-trippable dataclasses.
- `expressions`, `rules`: the rule kinds that give an item its points and its explanation line.
- `inputs`: reading and checking a unit's entered values.
- `scoring`: `compile_rubric` once, then `CompiledRubric.score_sheet` per sheet; `annual_score`.
- `validation`: `validate_rubric` and `validate_inputs`.
- `tiers`: thresholds and ranked bands.
- `decision`: `decide_campaign`, the one decision from scores to every amount (eligibility,
  tiers or bands, elimination, groups, one-time), and `decide_one_time` / `decide_start_up`.
- `simulate`: `evaluate_cases`, the logic of the `evaluate` command.
- `decimal_math`: the one half-up rounding and the number formats.
"""

from assessment.engine.decimal_math import format_two_places, round_half_up
from assessment.engine.decision import (
    DecisionUnit,
    Grant,
    UnitDecision,
    decide_campaign,
    decide_one_time,
    decide_start_up,
)
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
from assessment.engine.tiers import (
    allocate_band_counts,
    assign_ranked_bands,
    lowest_ranked_flags,
    threshold_tier,
)
from assessment.engine.validation import validate_inputs, validate_rubric

__all__ = [
    "CompiledRubric",
    "DecisionUnit",
    "EligibilitySpec",
    "EliminationSpec",
    "Grant",
    "GroupDeductionSpec",
    "InputProblem",
    "InputSpec",
    "ItemResult",
    "ItemSpec",
    "PartWholeSpec",
    "PolicySpec",
    "RankedBandSpec",
    "RubricError",
    "RubricFinding",
    "RubricSpec",
    "SectionResult",
    "SectionSpec",
    "SheetResult",
    "SubsidyScheduleSpec",
    "ThresholdTierSpec",
    "TierSchemeSpec",
    "UnitDecision",
    "allocate_band_counts",
    "annual_score",
    "assign_ranked_bands",
    "compile_rubric",
    "decide_campaign",
    "decide_one_time",
    "decide_start_up",
    "format_two_places",
    "lowest_ranked_flags",
    "round_half_up",
    "threshold_tier",
    "validate_inputs",
    "validate_rubric",
]
