"""Full ID numbers and phones are one click away for those whose work needs them, behind a purpose,
and each such view or export leaves exactly one audit row (who, when, what, how many, why) that
never holds the numbers themselves. Masked pages and exports need no reason and leave no row."""

import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.models import AuditEntry
from subsidies.services.rosters import roster_import
from tests.subsidies.rosters import id_number, person, phone, roster_upload

PEOPLE = 3
PURPOSE = {"purpose": "claim_review", "detail": ""}


@pytest.fixture
def roster(world):
    roster, _ = roster_import(
        station=world.station_a,
        year=2024,
        file=roster_upload([person(n) for n in range(1, PEOPLE + 1)]),
        source_name="花名册.xlsx",
        actor=world.operator_a,
    )
    return roster


@pytest.fixture
def twice_placed(world, roster):
    """Person 1 is on county B's roster of the same year too: a duplicate both counties may check."""
    other, _ = roster_import(
        station=world.station_b,
        year=2024,
        file=roster_upload([person(1)]),
        source_name="花名册.xlsx",
        actor=world.operator_b,
    )
    return other


def access_rows():
    return AuditEntry.objects.filter(action__startswith="personal_data.")


def full_numbers():
    return [id_number(n) for n in range(1, PEOPLE + 1)] + [phone(n) for n in range(1, PEOPLE + 1)]


def text_of(response) -> str:
    # A streamed file read to its end closes the response (and its temporary file).
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content.startswith(b"PK"):
        sheet = load_workbook(io.BytesIO(content)).active
        return json.dumps(
            [[str(c) for c in row] for row in sheet.iter_rows(values_only=True)], ensure_ascii=False
        )
    return content.decode()


def admin_urls(roster):
    return {
        "page": reverse("admin:subsidies_placementroster_change", args=[roster.pk]),
        "export": reverse("admin:subsidies_placementroster_export", args=[roster.pk]),
        "full": reverse("admin:subsidies_placementroster_full", args=[roster.pk]),
        "export_full": reverse("admin:subsidies_placementroster_export_full", args=[roster.pk]),
        "duplicates": reverse("admin:subsidies_placementroster_duplicates", args=[2024]),
        "duplicates_full": reverse("admin:subsidies_placementroster_duplicates_full", args=[2024]),
    }


def test_the_roster_page_and_exports_are_masked_for_bureau_staff_too_and_leave_no_row(client, world, roster):
    client.force_login(world.bureau_a)
    urls = admin_urls(roster)
    portal_export = reverse("subsidies:roster_export", args=[roster.pk])
    for url in (urls["page"], urls["export"], urls["duplicates"], portal_export):
        response = client.get(url)
        assert response.status_code == 200, url
        body = text_of(response)
        assert not any(number in body for number in full_numbers()), url
    # The masked ones are shown (and the way to the full ones offered), no reason asked, nothing recorded.
    page = client.get(urls["page"]).content.decode()
    assert id_number(1)[:6] + "********" + id_number(1)[-4:] in page
    assert "显示完整信息" in page and "导出（含完整身份证号）" in page
    assert access_rows().count() == 0


def test_a_full_view_asks_why_then_shows_the_numbers_and_records_who_what_how_many_and_why(
    client, world, roster
):
    client.force_login(world.bureau_a)
    url = admin_urls(roster)["full"]

    ask = client.get(url)
    assert ask.status_code == 200
    assert "补助审核核对" in ask.content.decode() and id_number(1) not in ask.content.decode()
    # 其他 without words is refused in Chinese; nothing is shown or recorded.
    refused = client.post(url, {"purpose": "other", "detail": " "})
    assert "选择“其他”时请写明用途。" in refused.content.decode()
    assert id_number(1) not in refused.content.decode()
    # A purpose that carries an ID number is refused too: the record must never hold one.
    copied = client.post(url, {"purpose": "other", "detail": f"核对 {id_number(2)}"})
    assert "请勿填写身份证号或手机号" in copied.content.decode()
    assert access_rows().count() == 0

    shown = client.post(url, {"purpose": "other", "detail": "核对第 2 行上岗日期"})

    assert shown.status_code == 200
    assert all(number in shown.content.decode() for number in full_numbers())
    assert "no-store" in shown["Cache-Control"]
    (row,) = access_rows()
    assert row.action == "personal_data.view"
    assert row.actor == world.bureau_a
    assert row.station == world.station_a
    assert row.object_repr == "AAA-01 甲县城关零工驿站 2024 年岗位推荐成功花名册"
    assert row.changes["人数"] == PEOPLE
    assert row.reason == "其他：核对第 2 行上岗日期"


def test_every_unmasked_read_writes_one_row_and_no_row_holds_a_number(client, world, roster, twice_placed):
    """The issue's finding: 24 reads, 6 of them unmasked, left 0 rows. Now the 6 leave 6, the 18 none."""
    urls = admin_urls(roster)
    portal_export = reverse("subsidies:roster_export", args=[roster.pk])
    portal_full = reverse("subsidies:roster_export_full", args=[roster.pk])
    masked_reads = [
        (world.bureau_a, urls["page"]),
        (world.bureau_a, urls["export"]),
        (world.bureau_a, urls["duplicates"]),
        (world.bureau_a, portal_export),
        (world.auditor_a, urls["page"]),
        (world.auditor_a, urls["export"]),
        (world.auditor_a, urls["duplicates"]),
        (world.auditor_a, portal_export),
        (world.operator_a, portal_export),
        (world.superuser, urls["page"]),
        (world.superuser, urls["export"]),
        (world.superuser, portal_export),
    ]
    for user, url in masked_reads + masked_reads[:6]:  # 18 masked reads
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
        assert id_number(1) not in text_of(response), url
    assert access_rows().count() == 0

    unmasked_reads = [
        (world.bureau_a, urls["full"]),
        (world.bureau_a, urls["export_full"]),
        (world.bureau_a, urls["duplicates_full"]),
        (world.bureau_a, portal_full),
        (world.superuser, urls["export_full"]),
        (world.superuser, urls["duplicates_full"]),
    ]
    for user, url in unmasked_reads:
        client.force_login(user)
        response = client.post(url, PURPOSE)
        assert response.status_code == 200, url
        assert id_number(1) in text_of(response), url

    rows = list(access_rows().order_by("id"))
    assert len(rows) == 6
    assert [r.action.split(".")[1] for r in rows] == ["view", "export", "view", "export", "export", "view"]
    assert all(r.reason == "补助审核核对" for r in rows)
    assert [r.changes["人数"] for r in rows] == [PEOPLE, PEOPLE, 1, PEOPLE, PEOPLE, 2]
    assert rows[2].changes["站点"] == "AAA-01" and rows[5].changes["站点"] == "AAA-01、BBB-01"
    stored = json.dumps([[r.object_repr, r.reason, r.changes] for r in rows], ensure_ascii=False)
    assert not any(number in stored for number in [*full_numbers(), id_number(1)])


@pytest.mark.parametrize("who", ["auditor_a", "operator_a"])
def test_roles_whose_work_needs_no_full_numbers_cannot_ask_for_them(client, world, roster, who):
    client.force_login(getattr(world, who))
    urls = admin_urls(roster)
    portal_full = reverse("subsidies:roster_export_full", args=[roster.pk])
    detail_of_claimless_roster = client.get(urls["page"]).content.decode() if who == "auditor_a" else ""
    assert "显示完整信息" not in detail_of_claimless_roster
    if who == "auditor_a":
        for url in (urls["full"], urls["export_full"], urls["duplicates_full"]):
            refused = client.post(url, PURPOSE)
            assert refused.status_code == 403, url
            assert id_number(1) not in refused.content.decode()
    assert client.post(portal_full, PURPOSE).status_code == 404
    assert access_rows().count() == 0


def test_another_countys_clerk_reaches_neither_the_roster_nor_a_record_of_it(client, world, roster):
    client.force_login(world.bureau_b)
    urls = admin_urls(roster)
    for url in (urls["full"], urls["export_full"], reverse("subsidies:roster_export_full", args=[roster.pk])):
        assert client.post(url, PURPOSE).status_code == 404, url
    assert access_rows().count() == 0


def test_the_audit_list_names_the_access_in_chinese_and_shows_its_purpose(client, world, roster):
    client.force_login(world.bureau_a)
    text_of(client.post(admin_urls(roster)["export_full"], {"purpose": "audit", "detail": "市局专项检查"}))
    row = access_rows().get()
    listing = client.get(reverse("admin:core_auditentry_changelist")).content.decode()
    assert "导出完整个人信息" in listing and "审计检查：市局专项检查" in listing
    detail = client.get(reverse("admin:core_auditentry_change", args=[row.pk])).content.decode()
    assert f"人数：{PEOPLE}" in detail
