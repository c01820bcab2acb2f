"""Administrative changes outside the workflows (funds, users, passwords, station operators) ask for a
reason and leave one audit row with old and new values, in words a clerk reads, never a password."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import AuditEntry
from stations.models import User
from subsidies.models import Fund
from tests.factories import make_user

NEW_PASSWORD = "Yunmeng-2026-reset"


def form_data(response) -> dict:
    """What the admin's change form would send back unchanged: its fields and its inlines' forms."""
    context = response.context
    forms = [context["adminform"].form]
    data = {}
    for inline in context.get("inline_admin_formsets", []):
        formset = inline.formset
        forms.append(formset.management_form)
        forms.extend(formset.forms)
    for form in forms:
        for name, field in form.fields.items():
            if field.disabled:
                continue
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None or value is False:
                continue
            if value is True:
                data[key] = "on"
            elif isinstance(value, (list, tuple)):
                data[key] = [str(v.pk if hasattr(v, "pk") else v) for v in value]
            else:
                data[key] = str(value.pk if hasattr(value, "pk") else value)
    return data


def entries(action):
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def test_a_funds_budget_change_asks_why_and_records_old_and_new(client, world):
    fund = Fund.objects.create(
        region=world.county_a, year=2024, code="jiuye-2024", name="就业补助资金", budget=Decimal("1800000.00")
    )
    client.force_login(world.bureau_a)
    url = reverse("admin:subsidies_fund_change", args=[fund.pk])
    data = {**form_data(client.get(url)), "budget": "1900000.00"}

    refused = client.post(url, data)
    assert refused.status_code == 200 and "变更原因" in refused.content.decode()
    fund.refresh_from_db()
    assert fund.budget == Decimal("1800000.00")
    assert entries("fund.change") == []

    assert client.post(url, {**data, "change_reason": "市财政追加预算"}).status_code == 302
    fund.refresh_from_db()
    assert fund.budget == Decimal("1900000.00")
    (entry,) = entries("fund.change")
    assert entry.actor == world.bureau_a
    assert entry.changes == {"budget": ["1,800,000.00", "1,900,000.00"]}
    assert entry.reason == "市财政追加预算"
    page = client.get(reverse("admin:core_auditentry_change", args=[entry.pk])).content.decode()
    assert "预算（元）：1,800,000.00 → 1,900,000.00" in page
    assert "修改补助资金" in client.get(reverse("admin:core_auditentry_changelist")).content.decode()


def test_a_user_created_by_bureau_staff_is_recorded_without_the_password(client, world):
    client.force_login(world.bureau_a)
    response = client.post(
        reverse("admin:stations_user_add"),
        {
            "username": "operator_new",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "role": "operator",
            "region": world.town_a.pk,
            "last_name": "王",
            "first_name": "五",
            "phone": "13900001111",
            "change_reason": "新聘站点运营人员",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="operator_new")
    (entry,) = entries("user.create")
    assert entry.changes["role"] == ["", "站点运营人员"]
    assert entry.changes["region"] == ["", "城关镇"]
    assert entry.changes["phone"] == ["", "139****1111"]
    assert entry.changes["password"] == "已设置"
    assert entry.reason == "新聘站点运营人员"
    stored = json.dumps(entry.changes, ensure_ascii=False)
    assert NEW_PASSWORD not in stored and user.password not in stored and "13900001111" not in stored


def test_a_role_change_and_a_deactivation_are_recorded_with_old_and_new(client, world):
    client.force_login(world.bureau_a)
    url = reverse("admin:stations_user_change", args=[world.operator_a.pk])
    data = form_data(client.get(url))
    data.pop("is_active", None)
    data["role"] = "assessor"

    assert client.post(url, data).status_code == 200  # no reason: the form asks for one
    world.operator_a.refresh_from_db()
    assert world.operator_a.is_active and world.operator_a.role == "operator"

    assert client.post(url, {**data, "change_reason": "调岗并停用"}).status_code == 302
    world.operator_a.refresh_from_db()
    assert not world.operator_a.is_active and world.operator_a.role == "assessor"
    (entry,) = entries("user.change")
    assert entry.changes == {"role": ["站点运营人员", "评估人员"], "is_active": ["是", "否"]}
    assert entry.reason == "调岗并停用"


def test_a_superuser_making_someone_staff_is_recorded(world):
    from stations.services import user_save

    user = world.operator_a
    user.role, user.region, user.is_superuser = User.Role.BUREAU, world.county_a, True
    user_save(user=user, actor=world.superuser, reason="任命为系统管理员")
    (entry,) = entries("user.change")
    assert entry.changes["role"] == ["站点运营人员", "人社局工作人员"]
    assert entry.changes["is_staff"] == ["否", "是"] and entry.changes["is_superuser"] == ["否", "是"]


def test_an_operator_added_to_a_station_is_recorded_with_the_reason(client, world):
    newcomer = make_user("operator_c", role=User.Role.OPERATOR, region=world.town_a)
    world.station_a.operators.set([world.operator_a])
    client.force_login(world.bureau_a)
    url = reverse("admin:stations_station_change", args=[world.station_a.pk])
    data = form_data(client.get(url))
    data["operators"] = [str(world.operator_a.pk), str(newcomer.pk)]
    data["default_assessor"] = str(world.assessor_a.pk)

    assert client.post(url, data).status_code == 200
    assert list(world.station_a.operators.all()) == [world.operator_a]

    response = client.post(url, {**data, "change_reason": "新增运营人员"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert set(world.station_a.operators.all()) == {world.operator_a, newcomer}
    (entry,) = entries("station.edit")
    # People by name (make_user names them 测<username>), never by login.
    assert entry.changes["operators"] == ["测operator_a", "测operator_a、测operator_c"]
    assert entry.changes["default_assessor"] == ["", "测assessor_a"]
    assert entry.reason == "新增运营人员"
    assert entry.station == world.station_a


def reset_url(user):
    return reverse("admin:auth_user_password_change", args=[user.pk])


def test_bureau_staff_reset_an_operators_password_validated_and_recorded(client, world):
    client.force_login(world.bureau_a)
    url = reset_url(world.operator_a)
    assert "新密码" in client.get(url).content.decode()

    weak = client.post(url, {"password1": "abc123", "password2": "abc123", "change_reason": "忘记密码"})
    differ = client.post(
        url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x", "change_reason": "忘记密码"}
    )
    assert weak.status_code == differ.status_code == 200
    assert "两次输入的密码不一致" in differ.content.decode()
    assert weak.context["form"].errors["password1"]
    world.operator_a.refresh_from_db()
    assert not world.operator_a.check_password(NEW_PASSWORD)
    assert entries("user.password_reset") == []

    done = client.post(
        url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "change_reason": "本人来电，已核实"}
    )

    assert done.status_code == 302
    world.operator_a.refresh_from_db()
    assert world.operator_a.check_password(NEW_PASSWORD)
    (entry,) = entries("user.password_reset")
    assert entry.changes == {"password": "已重置"} and entry.reason == "本人来电，已核实"
    assert world.operator_a.password not in json.dumps(entry.changes)


@pytest.mark.parametrize(("target", "status"), [("auditor_a", 403), ("bureau_b", 404), ("operator_b", 404)])
def test_bureau_staff_cannot_reset_a_colleagues_an_auditors_or_another_countys_password(
    client, world, target, status
):
    user = getattr(world, target)
    before = user.password
    client.force_login(world.bureau_a)
    response = client.post(
        reset_url(user), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "change_reason": "试试"}
    )
    assert response.status_code == status
    if status == 403:
        assert "您只能重置本区域内站点运营人员和评估人员的密码" in response.content.decode()
    user.refresh_from_db()
    assert user.password == before
    assert entries("user.password_reset") == []


def test_bureau_staff_cannot_reset_another_clerks_or_a_superusers_password_in_their_region(client, world):
    colleague = make_user("bureau_a2", role=User.Role.BUREAU, region=world.county_a)
    chief = make_user("chief", role=User.Role.OPERATOR, region=world.town_a, superuser=True)
    client.force_login(world.bureau_a)
    for user in (colleague, chief):
        response = client.post(
            reset_url(user), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "change_reason": "试试"}
        )
        assert response.status_code in {403, 404}
        user.refresh_from_db()
        assert not user.check_password(NEW_PASSWORD)
    assert entries("user.password_reset") == []


def test_a_superuser_resets_a_bureau_clerks_password(client, world):
    client.force_login(world.superuser)
    response = client.post(
        reset_url(world.bureau_a),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "change_reason": "本人申请"},
    )
    assert response.status_code == 302
    world.bureau_a.refresh_from_db()
    assert world.bureau_a.check_password(NEW_PASSWORD)
    assert len(entries("user.password_reset")) == 1


def test_the_accounts_page_never_takes_a_password_typed_into_it(client, world):
    """The page shows no hash to copy and ignores a password posted with it; a new password goes
    only through 重置密码, validated and hashed."""
    before = User.objects.get(pk=world.operator_a.pk).password
    client.force_login(world.bureau_a)
    url = reverse("admin:stations_user_change", args=[world.operator_a.pk])
    page = client.get(url)
    assert before not in page.content.decode()
    assert "../password/" in page.content.decode()  # the link to 重置密码
    data = {**form_data(page), "password": "Typed-Plain-2024", "change_reason": "核对信息"}
    assert client.post(url, data).status_code == 302
    after = User.objects.get(pk=world.operator_a.pk)
    assert after.password == before and "Typed-Plain-2024" not in after.password
    assert not any("password" in entry.changes for entry in entries("user.change"))
