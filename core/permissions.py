"""Who may do what: named predicates for services, views, admin pages and templates alike.

Every predicate answers False for an anonymous or inactive user before it looks at anything else;
an active superuser passes every predicate about a region or the admin. Services turn a False into
a refusal with `require(...)`, which raises `Forbidden` with a message the person refused can act
on; views and admin pages catch `Forbidden` (never the builtin PermissionError, an OSError that a
failed file write raises too) and show that message.

Core imports no domain app, so the predicates read their arguments duck-typed: a user has
`is_authenticated`, `is_active`, `is_superuser`, `is_staff`, `is_bureau`, `is_auditor`,
`is_operator` and `region`; a region has `contains(other_region)`; a station has `operators`; a
campaign's entry for a station has `assessor_id`.
"""

from django.core.exceptions import PermissionDenied


class Forbidden(PermissionDenied):
    """A refusal by the rules of who may do what, with the message for the person refused.

    A PermissionDenied, so one that no view catches answers 403 rather than 500; `messages` reads
    like a ValidationError's, so a view can show either the same way.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    @property
    def messages(self) -> list[str]:
        return [self.message]


def require(allowed: bool, message: str) -> None:
    """Raise Forbidden(message) unless `allowed`: `require(may_manage(actor, region), "…")`."""
    if not allowed:
        raise Forbidden(message)


def is_active_user(actor) -> bool:
    """Somebody logged in whose account is active."""
    return actor is not None and bool(actor.is_authenticated) and bool(actor.is_active)


def is_superuser(actor) -> bool:
    """An active superuser: reads and changes everything."""
    return is_active_user(actor) and actor.is_superuser


def _in_reach(actor, region) -> bool:
    return actor.region is not None and region is not None and actor.region.contains(region)


def may_manage(actor, region) -> bool:
    """Bureau staff whose region is `region` or encloses it, or a superuser: they run its matters."""
    if not is_active_user(actor):
        return False
    return actor.is_superuser or (actor.is_bureau and _in_reach(actor, region))


# The accounts bureau staff keep for their region (password, login lock, second factor): never a
# colleague's, an auditor's or a superuser's, or one clerk could take over another's reach.
ACCOUNTS_BUREAU_KEEPS = ("operator", "assessor")


def may_keep_account(actor, user) -> bool:
    """A superuser keeps every account; bureau staff the operators' and assessors' they can see (their
    region's, and a firm's assessors working on its stations): the password, the login lock and the
    second factor alike. `user` without a pk is one being created."""
    if not is_active_user(actor):
        return False
    if actor.is_superuser:
        return True
    if not actor.is_bureau or getattr(user, "is_superuser", False):
        return False
    if getattr(user, "role", "") not in ACCOUNTS_BUREAU_KEEPS:
        return False
    return user.pk is None or accounts_kept_by(actor).filter(pk=user.pk).exists()


def accounts_kept_by(actor):
    """The accounts `may_keep_account` lets `actor` keep, as a queryset (the login-lock page lists them)."""
    # Here, not at the top: core.scoping reads this module's predicates.
    from django.contrib.auth import get_user_model

    from core.scoping import scoped_queryset

    users = scoped_queryset(get_user_model(), actor=actor)
    if is_superuser(actor):
        return users
    if not (is_active_user(actor) and actor.is_bureau):
        return users.none()
    return users.filter(is_superuser=False, role__in=ACCOUNTS_BUREAU_KEEPS)


def may_read(actor, region) -> bool:
    """Bureau staff or auditors of `region` or an enclosing region, or a superuser."""
    if not is_active_user(actor):
        return False
    return actor.is_superuser or ((actor.is_bureau or actor.is_auditor) and _in_reach(actor, region))


def operates(actor, station) -> bool:
    """An operator of `station`: keeps its data, fills in its self-evaluation, files its claims."""
    return is_active_user(actor) and actor.is_operator and station.operators.filter(pk=actor.pk).exists()


def is_assigned_assessor(actor, entry) -> bool:
    """The person a campaign assigned to assess this station (`entry` is the campaign's station row)."""
    return is_active_user(actor) and entry.assessor_id is not None and entry.assessor_id == actor.pk


def may_use_admin(actor) -> bool:
    """Bureau staff and auditors work in the admin (auditors read-only); everyone else in the portal."""
    if not (is_active_user(actor) and actor.is_staff):
        return False
    return actor.is_superuser or actor.is_bureau or actor.is_auditor


def may_change_in_admin(actor) -> bool:
    """Bureau staff (and superusers) change things in the admin; auditors only look."""
    if not is_active_user(actor):
        return False
    return actor.is_superuser or (actor.is_bureau and actor.is_staff)


def may_see_personal_data(actor) -> bool:
    """Whose work needs resident ID numbers and phones in full: bureau staff who check the rosters,
    and superusers. Even they see them masked until they ask, give a purpose and leave a record
    (`core.personal_data`); auditors, operators and assessors only ever see them masked."""
    return is_active_user(actor) and (actor.is_superuser or actor.is_bureau)
