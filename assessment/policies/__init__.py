"""The shipped policies, as policy files, and the one place that looks a policy up by its code.

Every `<code>.yaml` in this folder is a policy file (assessment/policy_file.py,
docs/policy-format.md), the same kind of file `manage.py export_policy` writes and `import_policy`
reads: there is one kind of policy source. `SEED_POLICIES` (code -> spec) holds them all, read
once at import; `migrate` installs any that is missing (assessment/services/policies.py).
Everything that needs a policy by code (the `evaluate` command, the campaign workflow) goes
through `get_policy_spec`, which reads the database, where a bureau's later versions live.
"""

from __future__ import annotations

from pathlib import Path

from assessment.engine.specs import PolicySpec
from assessment.policy_file import PolicyFileError, read_policy_file

POLICY_DIR = Path(__file__).resolve().parent


def _load_seed_policies() -> dict[str, PolicySpec]:
    policies: dict[str, PolicySpec] = {}
    for path in sorted(POLICY_DIR.glob("*.yaml")):
        try:
            spec = read_policy_file(path.read_bytes())
        except PolicyFileError as error:
            # A shipped file that does not read is a developer's mistake: fail loudly, naming it.
            raise PolicyFileError([f"{path.name}：{problem}" for problem in error.problems]) from None
        if spec.code in policies:
            raise PolicyFileError([f"{path.name}：政策编码 {spec.code} 与另一个随附文件重复"])
        policies[spec.code] = spec
    return policies


SEED_POLICIES: dict[str, PolicySpec] = _load_seed_policies()


def get_policy_spec(code: str) -> PolicySpec | None:
    """The newest version of the policy with this code, rebuilt from the database, or None.

    The seeds above are installed into the database after every migrate; a bureau's edits live in
    later versions, so the database is the one source. A campaign uses its own (frozen) version.
    """
    from assessment.selectors import policy_latest, policy_spec

    policy = policy_latest(code)
    return None if policy is None else policy_spec(policy)
