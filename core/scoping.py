"""Which selector scopes each model wherever it appears to a user.

Admin changelists, dropdowns, autocompletes and filter choices all ask `scoped_queryset`; each app
registers its models' selectors with `register_scope` (in its selectors module), so scoping is
decided once per model and a model nobody registered is refused rather than shown whole.
"""

from collections.abc import Callable

from django.contrib.auth.models import Group, Permission
from django.db.models import Model, QuerySet

from core.permissions import is_superuser

SCOPES: dict[type[Model], Callable[..., QuerySet]] = {}


def register_scope(model: type[Model], selector: Callable[..., QuerySet]) -> None:
    SCOPES[model] = selector


def scoped_queryset(model: type[Model], *, actor) -> QuerySet:
    """The rows of `model` the actor may see. A model without a registered scope is refused."""
    try:
        selector = SCOPES[model]
    except KeyError:
        raise LookupError(f"No scope is registered for {model.__name__}; register one in its app.") from None
    return selector(actor=actor)


def superuser_only_list(model: type[Model]) -> Callable[..., QuerySet]:
    """Groups and permissions are a superuser's tools; roles and regions decide everyone else's reach."""

    def selector(*, actor) -> QuerySet:
        return model.objects.all() if is_superuser(actor) else model.objects.none()

    return selector


register_scope(Group, superuser_only_list(Group))
register_scope(Permission, superuser_only_list(Permission))
