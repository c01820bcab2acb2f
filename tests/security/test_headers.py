"""Every page carries the Content-Security-Policy and runs no inline script; responses that can hold
personal data or files are never cached by the browser or a proxy."""

import re

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import get_template
from django.test import TestCase
from django.urls import NoReverseMatch, reverse

from assessment.models import Evidence
from assessment.services.sheets import evidence_add
from core.headers import ADMIN_CHANGELIST_STYLE_HASH, CONTENT_SECURITY_POLICY
from core.jobs import start_job
from subsidies.services.claims import claim_create, claim_material_add
from tests.assessment.conftest import addresses, campaign, open_campaign, sheet, yunmeng  # noqa: F401
from tests.assessment.steps import lock_sheets, start_notice
from tests.core.test_filechecks import make_pdf
from tests.core.test_jobs import start as start_test_job  # also registers the test job kinds
from tests.subsidies.steps import import_roster, published_campaign

# <script> without src= that is not a data block (json_script writes type="application/json").
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)(?![^>]*type=[\"']application/json[\"'])[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)
SCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I)
STYLE_ELEMENT = re.compile(r"<style[^>]*>(.*?)</style>", re.S | re.I)


def assert_page_is_csp_clean(response, url: str) -> None:
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, url
    page = response.content.decode()
    assert not INLINE_SCRIPT.search(page), (url, INLINE_SCRIPT.search(page).group(0))
    assert not EVENT_HANDLER.search(page), (url, EVENT_HANDLER.search(page).group(0))
    assert not STYLE_ATTRIBUTE.search(page), (url, STYLE_ATTRIBUTE.search(page).group(0))
    assert not SCRIPT_URL.search(page), url
    for style in STYLE_ELEMENT.findall(page):
        assert _hash(style) == ADMIN_CHANGELIST_STYLE_HASH, (url, style)


def _hash(text: str) -> str:
    import base64
    import hashlib

    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


def drain(response) -> None:
    """Read a streamed response to its end, as a server does; the client then closes it properly
    (closing it unread would end the test's database connection on PostgreSQL)."""
    if response.streaming:
        b"".join(response.streaming_content)


def is_not_stored(response) -> bool:
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


@pytest.fixture
def noticed(world, open_campaign):  # noqa: F811
    lock_sheets(open_campaign, totals={"AAA-01": 92}, assessor=world.assessor_a, bureau=world.bureau_a)
    return start_notice(open_campaign, bureau=world.bureau_a)


def html_pages(client, urls: list[str]) -> list[str]:
    """GET each url; check every HTML page that answers 200. The urls checked."""
    checked = []
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 302, 403), (url, response.status_code)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            assert_page_is_csp_clean(response, url)
            checked.append(url)
    return checked


def test_public_pages_carry_the_policy_and_keep_their_caching(client, noticed):
    urls = [
        reverse("login"),
        reverse("notice:detail", args=[noticed.code]),
        reverse("notice:objection", args=[noticed.code]),
        reverse("notice:objection", args=[noticed.code]) + "?q=城关",
    ]
    assert html_pages(client, urls) == urls
    notice = client.get(reverse("notice:detail", args=[noticed.code]))
    assert "no-store" not in notice.get("Cache-Control", "")
    again = client.get(reverse("notice:detail", args=[noticed.code]))  # from the server's cache
    assert again.content == notice.content


def test_portal_pages_of_an_operator_carry_the_policy_and_are_not_stored(client, world, sheet):  # noqa: F811
    client.force_login(world.operator_a)
    urls = [
        reverse("portal:station_detail", args=[world.station_a.code]),
        reverse("assessment:sheet_detail", args=[sheet.pk]),
        reverse("assessment:sheet_self_edit", args=[sheet.pk]),
        reverse("subsidies:claim_index"),
    ]
    assert html_pages(client, urls) == urls
    for url in urls:
        assert is_not_stored(client.get(url)), url


def test_the_self_evaluation_asks_before_submitting_without_inline_script(client, world, sheet):  # noqa: F811
    client.force_login(world.operator_a)
    page = client.get(reverse("assessment:sheet_self_edit", args=[sheet.pk])).content.decode()
    assert 'data-confirm="提交后不能再修改，确认提交自评？"' in page
    assert "js/confirm.js" in page


@pytest.mark.parametrize("who", ["bureau_a", "auditor_a", "superuser"])
def test_every_admin_list_carries_the_policy_and_is_not_stored(client, world, who):
    client.force_login(getattr(world, who))
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        try:
            urls.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
        except NoReverseMatch:
            continue
    assert len(html_pages(client, urls)) >= 10
    for url in urls[:5]:
        assert is_not_stored(client.get(url)), url


def test_the_admin_pages_with_forms_carry_the_policy(client, world, open_campaign):  # noqa: F811
    client.force_login(world.bureau_a)
    urls = [
        reverse("admin:stations_station_change", args=[world.station_a.pk]),
        reverse("admin:assessment_campaign_change", args=[open_campaign.pk]),
        reverse("admin:assessment_campaign_import", args=[open_campaign.pk]),
    ]
    assert html_pages(client, urls) == urls


def test_job_pages_follow_the_job_from_a_static_script(client, world):
    with TestCase.captureOnCommitCallbacks(execute=False):  # stays queued: the page follows it
        queued, _ = start_job(kind="tests.file", actor=world.bureau_a, title="测试任务", key="q")
    done, _ = start_test_job("tests.file", world.bureau_a, key="d")
    client.force_login(world.bureau_a)

    page = client.get(reverse("admin:core_job_change", args=[queued.pk]))
    assert_page_is_csp_clean(page, "job page")
    text = page.content.decode()
    assert 'data-active="1"' in text
    assert f'data-status-url="{reverse("admin:core_job_status", args=[queued.pk])}"' in text
    assert "js/job.js" in text
    assert_page_is_csp_clean(client.get(reverse("admin:core_job_change", args=[done.pk])), "finished job")

    download = client.get(reverse("admin:core_job_download", args=[done.pk]))
    assert download.status_code == 200
    assert is_not_stored(download)
    drain(download)


def test_stored_files_and_exports_are_not_stored(client, world, sheet, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path
    evidence = evidence_add(
        sheet=sheet,
        actor=world.operator_a,
        uploaded=SimpleUploadedFile("台账.pdf", make_pdf()),
        kind=Evidence.Kind.LEDGER,
    )
    published_campaign(world, totals={"AAA-01": 92}, code="yunmeng-2024-headers")
    claim = claim_create(station=world.station_a, kind="performance", year=2024, actor=world.operator_a)
    material = claim_material_add(
        claim=claim,
        actor=world.operator_a,
        requirement="application_form",
        uploaded=SimpleUploadedFile("申请表.pdf", make_pdf()),
    )
    roster, _ = import_roster(world.station_a, actor=world.operator_a)
    client.force_login(world.operator_a)

    for url in [
        reverse("assessment:evidence_download", args=[evidence.pk]),
        reverse("subsidies:material_download", args=[material.pk]),
        reverse("subsidies:roster_export", args=[roster.pk]),
        reverse("subsidies:roster_template"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert is_not_stored(response), url
        drain(response)
    # A stored file keeps its own, stricter policy.
    stored = client.get(reverse("assessment:evidence_download", args=[evidence.pk]))
    assert stored["Content-Security-Policy"].startswith("default-src 'none'")
    drain(stored)


def test_the_upload_refusal_page_carries_the_policy(client, noticed):
    response = client.post(
        reverse("notice:objection", args=[noticed.code]),
        {"reason": "x" * (11 * 1024 * 1024)},
    )
    assert response.status_code == 413
    assert_page_is_csp_clean(response, "413")


def test_the_admin_changelist_style_hash_is_the_one_django_writes():
    # Rendered as written: Django's change_list.html holds the element's text literally.
    source = get_template("admin/change_list.html").template.source
    assert [_hash(style) for style in STYLE_ELEMENT.findall(source)] == [ADMIN_CHANGELIST_STYLE_HASH]
