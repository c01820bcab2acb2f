"""People are named, never shown by their login: core.people, the template filters, User.__str__,
and the user admin that will not create an account without a name."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.urls import reverse

from core.people import person_name, person_with_unit
from stations.models import User
from tests.factories import make_user

NEW_PASSWORD = "Neu-Passwort-2024!"


def named(username: str, last_name: str, first_name: str, **kwargs) -> User:
    user = make_user(username, **kwargs)
    user.last_name, user.first_name = last_name, first_name
    user.save(update_fields=["last_name", "first_name"])
    return user


@pytest.mark.django_db
def test_a_person_is_named_family_name_first_without_a_space():
    chen = named("assessor1", "陈", "立", role=User.Role.ASSESSOR)
    assert person_name(chen) == "陈立"
    assert str(chen) == "陈立"  # admin dropdowns, list columns, foreign keys
    assert chen.get_short_name() == "陈立"  # the admin's greeting: not "立"


@pytest.mark.django_db
def test_a_nameless_account_says_that_its_name_is_missing():
    nameless = named("legacy7", "", "")
    assert person_name(nameless) == "legacy7（未填姓名）"
    assert str(nameless) == "legacy7（未填姓名）"


def test_nobody_is_a_dash():
    assert person_name(None) == "—"
    assert person_name(AnonymousUser()) == "—"
    assert person_with_unit(None) == "—"


@pytest.mark.django_db
def test_an_assessor_of_a_firm_is_named_with_the_firm():
    chen = named("assessor1", "陈", "立", role=User.Role.ASSESSOR)
    chen.organisation = "云梦县众信评估咨询有限公司"
    assert person_with_unit(chen) == "陈立（云梦县众信评估咨询有限公司）"


@pytest.mark.django_db
@pytest.mark.parametrize("library", ["people", "paper"])
def test_the_filters_name_people_in_both_libraries(library):
    chen = named("assessor1", "陈", "立", role=User.Role.ASSESSOR)
    chen.organisation = "众信评估"
    page = Template(f"{{% load {library} %}}{{{{ u|person }}}} / {{{{ u|person_with_unit }}}}").render(
        Context({"u": chen})
    )
    assert page == "陈立 / 陈立（众信评估）"


def add_user_form(**overrides) -> dict:
    return {
        "username": "operator_new",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "role": "operator",
        "last_name": "王",
        "first_name": "五",
        "change_reason": "新聘站点运营人员",
        **overrides,
    }


@pytest.mark.parametrize("who", ["bureau_a", "superuser"])
def test_a_new_account_needs_a_family_and_a_given_name(client, world, who):
    client.force_login(getattr(world, who))
    url = reverse("admin:stations_user_add")
    form = add_user_form(region=world.town_a.pk, last_name="", first_name=" ")

    page = client.post(url, form).content.decode()

    assert "请填写姓。" in page and "请填写名。" in page
    assert not User.objects.filter(username="operator_new").exists()
    response = client.post(url, add_user_form(region=world.town_a.pk))
    assert response.status_code == 302
    assert str(User.objects.get(username="operator_new")) == "王五"


def test_the_admin_offers_people_by_name_in_its_dropdowns(client, world):
    chen = world.assessor_a
    chen.last_name, chen.first_name = "陈", "立"
    chen.save(update_fields=["last_name", "first_name"])
    world.station_a.default_assessor = chen
    world.station_a.save(update_fields=["default_assessor"])
    client.force_login(world.bureau_a)

    page = client.get(reverse("admin:stations_station_change", args=[world.station_a.pk])).content.decode()
    found = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "stations", "model_name": "station", "field_name": "default_assessor", "term": "陈"},
    ).json()

    assert f'<option value="{chen.pk}" selected>陈立</option>' in page  # 默认评估人员
    assert ">assessor_a<" not in page
    assert {"id": str(chen.pk), "text": "陈立"} in found["results"]  # typing the family name finds them
