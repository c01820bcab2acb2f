"""With debug off, a missing page, a refusal, a failure and an expired form answer in Chinese, in the
product's look, with the right status and what the person can do next; never Django's English pages."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import include, path

from tests.ui_language import page_faults


def refuse(request):
    raise PermissionDenied


def fail(request):
    raise RuntimeError("a bug")


# This module is the URLconf of its tests: the site's own pages plus two views that refuse and fail.
urlpatterns = [
    path("refuse/", refuse),
    path("fail/", fail),
    path("", include("config.urls")),
]

pytestmark = [pytest.mark.urls(__name__)]


@pytest.fixture(autouse=True)
def _debug_off(settings):
    settings.DEBUG = False


def assert_chinese_page(response, status, heading):
    html = response.content.decode()
    assert response.status_code == status
    assert heading in html
    assert '<html lang="zh-hans">' in html
    assert "css/portal.css" in html  # the product's look, not Django's bare page
    assert "返回首页" in html
    assert page_faults(html) == [], page_faults(html)
    for english in ("Not Found", "Forbidden", "Server Error", "CSRF verification failed"):
        assert english not in html


@pytest.mark.django_db
def test_a_missing_page_answers_404_in_chinese(client):
    response = client.get("/portal/no-such-page/")
    assert_chinese_page(response, 404, "找不到这个页面")


@pytest.mark.django_db
def test_a_missing_admin_row_answers_404_in_chinese_with_the_way_back_to_the_admin(client, world):
    client.force_login(world.bureau_a)
    response = client.get(f"/admin/stations/station/{world.station_b.pk}/change/")  # another county's
    assert response.status_code == 404
    html = response.content.decode()
    assert "找不到这个页面" in html
    assert "返回管理后台首页" in html
    assert "Not Found" not in html


@pytest.mark.django_db
def test_a_refusal_answers_403_in_chinese_and_offers_to_log_in_again(client, world):
    world.operator_a.first_name = "小明"
    world.operator_a.save(update_fields=["first_name"])
    client.force_login(world.operator_a)
    response = client.get("/refuse/")
    assert_chinese_page(response, 403, "您没有权限进行这项操作")
    html = response.content.decode()
    assert "重新登录" in html
    assert "当前账号（测小明）" in html  # by name, not by login


def test_a_failure_answers_500_in_chinese_without_touching_the_database():
    # No django_db mark: the page must render when the database is what failed.
    client = Client(raise_request_exception=False)
    response = client.get("/fail/")
    assert_chinese_page(response, 500, "系统出错")


@pytest.mark.django_db
def test_an_expired_form_answers_403_in_chinese_and_says_what_to_do():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert_chinese_page(response, 403, "页面已过期")
    html = response.content.decode()
    assert "刷新" in html and "重新登录" in html


def test_the_failure_page_renders_even_without_the_static_files_manifest(settings):
    # A server whose collectstatic went wrong still answers its failures in Chinese, not with a bare
    # "Server Error (500)" from a second error raised while rendering the page.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    response = Client(raise_request_exception=False).get("/fail/")
    assert_chinese_page(response, 500, "系统出错")


@pytest.mark.django_db
def test_a_form_with_too_many_fields_answers_400_in_chinese_and_saves_nothing(client, world, settings):
    # A rubric section's editor sends ~140 fields an item; past the limit Django refuses the body.
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    response = client.post("/accounts/login/", {f"field{i}": "x" for i in range(10)})
    assert_chinese_page(response, 400, "无法处理这次提交")
    assert "Bad Request" not in response.content.decode()
