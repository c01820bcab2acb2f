"""The seeds' policies as data, and the one place that looks a policy up by its code.

`SEED_POLICIES` holds the three policies encoded from seeds/000, 002 and 004. Everything that
needs a policy by code (the `evaluate` command, and later the campaign workflow) goes through
`get_policy_spec`, so that moving policies into the database changes that function only.
"""

from __future__ import annotations

from assessment.engine.specs import PolicySpec
from assessment.policies import heshan_2024, quanzhou_2023, yunmeng_2024

SEED_POLICIES: dict[str, PolicySpec] = {
    policy.code: policy for policy in (yunmeng_2024.POLICY, quanzhou_2023.POLICY, heshan_2024.POLICY)
}


def get_policy_spec(code: str) -> PolicySpec | None:
    """The newest version of the policy with this code, rebuilt from the database, or None.

    The seeds above are installed into the database after every migrate; a bureau's edits live in
    later versions, so the database is the one source. A campaign uses its own (frozen) version.
    """
    from assessment.selectors import policy_latest, policy_spec

    policy = policy_latest(code)
    return None if policy is None else policy_spec(policy)
