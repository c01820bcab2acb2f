"""How a person is named on screen and on paper.

A clerk, an auditor or a citizen knows people by name (陈立), not by login (assessor1). Every
page, document, export and message that shows a person goes through `person_name`, so the rule
(family name first, no space; a nameless account marked as such) lives in one place.
"""

from __future__ import annotations

from typing import Any

# Shown where there is no person at all (a step nobody has taken yet, a system action).
NOBODY = "—"


def person_name(user: Any) -> str:
    """The person's name in Chinese order (周敏); for an account without a name, its login marked as such.

    A nameless account is an administrative gap (accounts are created with a name since
    issue 13), so rather than pass the login off as a name it says so — "assessor1（未填姓名）"
    — which tells the reader who it was and the administrator what to fix.
    """
    if user is None or getattr(user, "is_anonymous", False):
        return NOBODY
    name = f"{(user.last_name or '').strip()}{(user.first_name or '').strip()}"
    if name:
        return name
    return f"{user.get_username()}（未填姓名）"


def person_with_unit(user: Any) -> str:
    """陈立（云梦县众信评估咨询有限公司）: the name with the organisation, for a third-party assessor."""
    name = person_name(user)
    if name == NOBODY:
        return name
    organisation = (getattr(user, "organisation", "") or "").strip()
    return f"{name}（{organisation}）" if organisation else name
