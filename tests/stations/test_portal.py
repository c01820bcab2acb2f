from django.urls import reverse

from core.models import AuditEntry


def test_operator_with_one_station_lands_on_the_desk_and_reaches_the_station_in_one_click(client, world):
    response = client.post(
        reverse("login"), {"username": "operator_a", "password": "pw-for-tests"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("desk:index")
    assert f'href="{reverse("portal:station_detail", args=["AAA-01"])}"' in response.content.decode()
    page = client.get(reverse("portal:home"), follow=True).content.decode()
    assert "甲县城关零工驿站" in page
    assert "修改联系信息" in page


def test_wrong_password_says_so_in_chinese(client, world):
    response = client.post(reverse("login"), {"username": "operator_a", "password": "nope"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_operator_edits_contact_facts_from_the_phone_form(client, world):
    client.force_login(world.operator_a)
    url = reverse("portal:station_contact_edit", args=["AAA-01"])
    page = client.get(url).content.decode()
    assert 'name="viewport"' in page
    assert 'inputmode="tel"' in page
    response = client.post(
        url,
        {
            "opening_hours": "周一至周六 8:00-18:00",
            "service_phone": "12333",
            "complaint_channel": "",
            "station_head": "李娜",
            "station_head_phone": "13800001111",
        },
        follow=True,
    )
    assert "联系信息已保存" in response.content.decode()
    world.station_a.refresh_from_db()
    assert world.station_a.opening_hours == "周一至周六 8:00-18:00"
    assert AuditEntry.objects.get().actor == world.operator_a


def test_bad_phone_shows_the_error_next_to_the_field_and_keeps_the_old_value(client, world):
    client.force_login(world.operator_a)
    url = reverse("portal:station_contact_edit", args=["AAA-01"])
    response = client.post(url, {"service_phone": "12-34", "opening_hours": "全天"})
    assert response.status_code == 200
    assert "请输入手机号" in response.content.decode()
    world.station_a.refresh_from_db()
    assert world.station_a.opening_hours == ""


def test_detail_page_masks_the_station_heads_mobile(client, world):
    world.station_a.station_head_phone = "13912345678"
    world.station_a.save()
    client.force_login(world.auditor_a)
    page = client.get(reverse("portal:station_detail", args=["AAA-01"])).content.decode()
    assert "139****5678" in page
    assert "13912345678" not in page
    assert "修改联系信息" not in page
