"""Every URL pattern, for every role and for an anonymous visitor, against their own objects and
others'. A new URL pattern that this file does not know fails the suite until it is added here.

Each role of county A must never receive a page that names county B's station, and an object
outside a user's reach answers 404 (the admin's "does not exist" redirect is replaced by 404).
"""

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from stations.models import AuditEntry, Region, Station, User
from stations.services import station_status_change

ROLES = ["anonymous", "superuser", "bureau_a", "auditor_a", "operator_a", "assessor_a", "bureau_b"]
ADMIN_USERS = {"superuser", "bureau_a", "auditor_a", "bureau_b"}
CHANGERS = {"superuser", "bureau_a", "bureau_b"}
SIDE_OF = {"bureau_a": "a", "auditor_a": "a", "operator_a": "a", "assessor_a": "a", "bureau_b": "b"}

# URL names outside the admin's per-model views, and who may open them (GET).
ANONYMOUS_ALLOWLIST = {"login", "admin:login", "set_language"}
SITE_URLS = {
    "home": "redirect",
    "login": "public",
    "logout": "post_only",
    "set_language": "post_only",
    "portal:home": "login_required",
    "portal:station_detail": "station_visible",
    "portal:station_contact_edit": "station_operated",
    "admin:index": "admin",
    "admin:login": "public",
    "admin:logout": "post_only",
    "admin:password_change": "admin",
    "admin:password_change_done": "admin",
    "admin:jsi18n": "admin",
    "admin:autocomplete": "admin",
    "admin:view_on_site": "admin_object",
    "admin:app_list": "admin",
}
ADMIN_MODEL_VIEWS = {"changelist", "add", "change", "delete", "history", "status", "password_change"}


def all_url_names(patterns=None, namespace=""):
    names = set()
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            names |= all_url_names(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            names.add(namespace + p.name)
    return names


# Django's UserAdmin names its password view after auth.User whatever the user model is.
EXTRA_ADMIN_URLS = {"admin:auth_user_password_change": (User, "password_change")}


def admin_model_url_names():
    names = set(EXTRA_ADMIN_URLS)
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        names |= {n for n in all_url_names() if n.startswith(prefix)}
    return names


def admin_model_and_view(name):
    if name in EXTRA_ADMIN_URLS:
        return EXTRA_ADMIN_URLS[name]
    model = next(
        m for m in admin.site._registry if name.startswith(f"admin:{m._meta.app_label}_{m._meta.model_name}_")
    )
    return model, name.split(f"{model._meta.model_name}_", 1)[1]


def login(client, world, role):
    if role != "anonymous":
        client.force_login(getattr(world, role))


@pytest.fixture
def objects(world):
    """For each admin model: the object of county A and the object of county B."""
    station_status_change(station=world.station_a, to="rectifying", actor=world.bureau_a, reason="甲整改")
    station_status_change(station=world.station_b, to="rectifying", actor=world.bureau_b, reason="乙整改")
    return {
        Station: {"a": world.station_a, "b": world.station_b},
        Region: {"a": world.county_a, "b": world.county_b},
        User: {"a": world.operator_a, "b": world.operator_b},
        AuditEntry: {
            "a": AuditEntry.objects.get(station=world.station_a),
            "b": AuditEntry.objects.get(station=world.station_b),
        },
    }


def test_every_url_pattern_is_covered_by_this_test():
    known = set(SITE_URLS) | admin_model_url_names()
    unknown = all_url_names() - known
    assert not unknown, f"add these URLs to the authorization test: {sorted(unknown)}"
    for name in admin_model_url_names():
        assert admin_model_and_view(name)[1] in ADMIN_MODEL_VIEWS, name


def forbidden_text(world, role):
    """Text that must never appear in a page served to `role`: the other county's station."""
    side = SIDE_OF.get(role)
    if side == "a":
        return [world.station_b.code, world.station_b.name]
    if side == "b":
        return [world.station_a.code, world.station_a.name]
    if role == "anonymous":
        return [world.station_a.code, world.station_b.code]
    return []


def assert_no_leak(response, world, role):
    body = response.content.decode(errors="replace")
    for text in forbidden_text(world, role):
        assert text not in body, f"{role} received {text!r} from {response.request['PATH_INFO']}"


@pytest.mark.parametrize("role", ROLES)
def test_site_pages_answer_each_role_as_expected(client, world, role):
    login(client, world, role)
    visible = {
        "superuser": {"a", "b"},
        "bureau_a": {"a"},
        "auditor_a": {"a"},
        "operator_a": {"a"},
        "assessor_a": {"a"},
        "bureau_b": {"b"},
    }.get(role, set())
    operated = {"operator_a": {"a"}}.get(role, set())
    stations = {"a": world.station_a, "b": world.station_b}
    for side, station in stations.items():
        detail = client.get(reverse("portal:station_detail", args=[station.code]))
        edit = client.get(reverse("portal:station_contact_edit", args=[station.code]))
        post = client.post(
            reverse("portal:station_contact_edit", args=[station.code]), {"opening_hours": "hacked"}
        )
        if role == "anonymous":
            assert detail.status_code == edit.status_code == post.status_code == 302
            assert detail["Location"].startswith(reverse("login"))
        else:
            assert detail.status_code == (200 if side in visible else 404)
            assert edit.status_code == (200 if side in operated else 404)
            assert post.status_code == (200 if side in operated else 404) or post.status_code == 302
        for r in (detail, edit, post):
            assert_no_leak(r, world, role)
        station.refresh_from_db()
        assert (station.opening_hours == "hacked") == (side in operated)

    home = client.get(reverse("portal:home"), follow=True)
    assert home.status_code == 200
    assert_no_leak(home, world, role)
    assert client.get(reverse("login")).status_code == 200
    assert client.get(reverse("logout")).status_code == 405


def expected_admin_status(role, view, model, side, world):
    if role not in ADMIN_USERS:
        return 302  # to the admin's login page
    visible = role == "superuser" or SIDE_OF[role] == side
    object_view = view in {"change", "delete", "history", "status", "password_change"}
    if object_view and not visible:
        return 404
    can_change = role in CHANGERS
    if view in {"changelist", "history"}:
        return 200
    if view == "change":
        return 200  # read-only for those who may not change
    if view == "add":
        return 200 if can_change and model is not AuditEntry else 403
    if view == "delete":
        return 200 if role == "superuser" and model is not AuditEntry else 403
    if view == "status":
        return 200 if can_change else 403
    if view == "password_change":
        return 200 if can_change else 403
    raise AssertionError(view)


@pytest.mark.parametrize("role", ROLES)
def test_admin_model_pages_answer_each_role_as_expected(client, world, objects, role):
    login(client, world, role)
    checked = 0
    for name in sorted(admin_model_url_names()):
        model, view = admin_model_and_view(name)
        for side in ("a", "b"):
            obj = objects[model][side]
            args = [] if view in {"changelist", "add"} else [obj.pk]
            response = client.get(reverse(name, args=args))
            expected = expected_admin_status(role, view, model, side, world)
            assert response.status_code == expected, f"{role} GET {name} ({side}): {response.status_code}"
            assert_no_leak(response, world, role)
            checked += 1
    assert checked >= 2 * len(admin.site._registry) * 4


@pytest.mark.parametrize("role", ["auditor_a", "operator_a", "assessor_a", "anonymous"])
def test_roles_that_may_not_change_cannot_post_to_the_admin(client, world, objects, role):
    login(client, world, role)
    station = world.station_a
    change = client.post(reverse("admin:stations_station_change", args=[station.pk]), {"name": "改名"})
    status = client.post(
        reverse("admin:stations_station_status", args=[station.pk]), {"to": "revoked", "reason": "越权"}
    )
    delete = client.post(reverse("admin:stations_station_delete", args=[station.pk]), {"post": "yes"})
    assert change.status_code in {302, 403}
    assert status.status_code in {302, 403}
    assert delete.status_code in {302, 403}
    if role == "auditor_a":
        assert change.status_code == status.status_code == delete.status_code == 403
    station.refresh_from_db()
    assert station.name == "甲县城关零工驿站"
    assert station.status == "rectifying"


@pytest.mark.parametrize("role", ["bureau_a", "auditor_a", "superuser"])
def test_admin_changelists_filters_and_autocompletes_stay_in_scope(client, world, objects, role):
    login(client, world, role)
    changelist = client.get(reverse("admin:stations_station_changelist"))
    assert changelist.status_code == 200
    page = changelist.content.decode()
    assert world.station_a.code in page
    assert (world.station_b.code in page) == (role == "superuser")
    # The region filter offers only regions that hold visible stations.
    assert ("城中街道" in page) == (role == "superuser")
    for field in ("region", "operators"):
        response = client.get(
            reverse("admin:autocomplete"),
            {"app_label": "stations", "model_name": "station", "field_name": field, "term": ""},
        )
        assert response.status_code == 200
        texts = [r["text"] for r in response.json()["results"]]
        assert texts, field
        if role != "superuser":
            assert all("应城" not in t and "城中" not in t and "operator_b" not in t for t in texts), texts


def test_bureau_user_form_offers_only_their_regions_and_junior_roles(client, world):
    client.force_login(world.bureau_a)
    page = client.get(reverse("admin:stations_user_add")).content.decode()
    assert "人社局工作人员" not in page.split('name="role"', 1)[1].split("</select>", 1)[0]
    assert "is_superuser" not in page
    # A bureau colleague's account is read-only to bureau staff; an operator's is editable.
    assert (
        client.post(reverse("admin:stations_user_change", args=[world.auditor_a.pk]), {}).status_code == 403
    )


@pytest.mark.parametrize("role", ROLES)
def test_admin_site_pages_open_only_for_bureau_auditors_and_superusers(client, world, role):
    login(client, world, role)
    for name, args in [
        ("admin:index", []),
        ("admin:password_change", []),
        ("admin:password_change_done", []),
        ("admin:jsi18n", []),
        ("admin:app_list", ["stations"]),
    ]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == (200 if role in ADMIN_USERS else 302), (role, name)
        assert_no_leak(response, world, role)
    assert client.get(reverse("admin:login")).status_code in {200, 302}


def test_set_language_switches_the_portal_to_english(client, world):
    client.force_login(world.operator_a)
    client.post(reverse("set_language"), {"language": "en", "next": "/portal/"})
    assert client.cookies["django_language"].value == "en"
