"""The claim pages as each role sees them: operators in the portal, bureau staff and auditors in the
admin, and anyone on the public payee notice."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from subsidies.models import PayeeNotice, Payout, SubsidyClaim
from subsidies.services.claims import claim_create
from subsidies.services.rosters import roster_import
from tests.subsidies.rosters import id_number, person, phone, roster_upload
from tests.subsidies.steps import (
    ACCOUNT,
    after_notice,
    approved_claim,
    make_fund,
    notice_payees,
    reviewed_claim,
    submitted_claim,
)

S = SubsidyClaim.Status


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- the operator's portal -------------------------------------------------------------------------


def test_an_operator_starts_a_claim_in_the_portal_and_sees_the_computed_amount(client, world, published):
    client.force_login(world.operator_a)

    response = client.post(
        reverse("subsidies:claim_index"),
        {"station": world.station_a.pk, "kind": "performance", "year": 2024},
        follow=True,
    )

    text = page(response)
    claim = SubsidyClaim.objects.get()
    assert response.redirect_chain[-1][0] == reverse("subsidies:claim_detail", args=[claim.pk])
    assert "已创建申报，应补助 60,000.00 元。" in text
    assert "60,000.00 元" in text
    assert "未上传" in text and "未导入" in text


def test_a_refused_claim_shows_the_reason_on_the_form(client, world):
    client.force_login(world.operator_a)

    response = client.post(
        reverse("subsidies:claim_index"), {"station": world.station_a.pk, "kind": "performance", "year": 2024}
    )

    assert "结果通报后才能申报年度绩效补助" in page(response)
    assert not SubsidyClaim.objects.exists()


def test_an_operator_sees_only_their_own_stations_claims(client, world, published):
    claim = claim_create(station=world.station_a, kind="performance", year=2024, actor=world.operator_a)

    client.force_login(world.operator_b)
    assert world.station_a.name not in page(client.get(reverse("subsidies:claim_index")))
    assert client.get(reverse("subsidies:claim_detail", args=[claim.pk])).status_code == 404
    for name in ("claim_payee", "claim_material", "claim_roster", "claim_submit"):
        assert client.post(reverse(f"subsidies:{name}", args=[claim.pk])).status_code == 404

    client.force_login(world.operator_a)
    assert world.station_a.name in page(client.get(reverse("subsidies:claim_index")))
    assert "提交申报" in page(client.get(reverse("subsidies:claim_detail", args=[claim.pk])))


def test_the_portal_tells_the_operator_which_papers_are_missing_on_submit(client, world, published):
    claim = claim_create(station=world.station_a, kind="performance", year=2024, actor=world.operator_a)
    client.force_login(world.operator_a)

    response = client.post(reverse("subsidies:claim_submit", args=[claim.pk]), follow=True)

    assert "还缺少以下材料，不能提交：补助申请表、岗位推荐成功花名册" in page(response)
    claim.refresh_from_db()
    assert claim.status == S.DRAFT


def test_a_submitted_claim_shows_its_account_masked_and_no_forms(client, world, published):
    claim = submitted_claim(world.station_a, actor=world.operator_a)
    client.force_login(world.operator_a)

    text = page(client.get(reverse("subsidies:claim_detail", args=[claim.pk])))

    assert "6222****0123" in text
    assert ACCOUNT not in text
    assert "提交申报" not in text
    assert "上传材料" not in text


# --- the admin as bureau staff and auditors see it -------------------------------------------------


@pytest.fixture
def submitted(world, published):
    return submitted_claim(world.station_a, actor=world.operator_a)


def admin_url(name, claim) -> str:
    return reverse(f"admin:subsidies_subsidyclaim_{name}", args=[claim.pk])


def test_an_auditor_reads_the_claim_in_the_admin_with_the_account_masked(client, world, submitted):
    client.force_login(world.auditor_a)

    listing = page(client.get(reverse("admin:subsidies_subsidyclaim_changelist")))
    detail = page(client.get(admin_url("change", submitted)))

    assert world.station_a.code in listing
    assert "60,000.00" in detail or "60000.00" in detail
    assert "6222****0123" in detail
    assert ACCOUNT not in detail
    assert 'name="_save"' not in detail  # read-only


@pytest.mark.parametrize("model", ["subsidyclaim", "fund", "payeenotice", "placementroster", "payout"])
def test_an_auditor_opens_every_subsidy_list_in_the_admin_but_adds_nothing(client, world, model):
    client.force_login(world.auditor_a)

    assert client.get(reverse(f"admin:subsidies_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:subsidies_{model}_add")).status_code == 403


def test_the_claim_page_offers_the_review_to_bureau_staff_only(client, world, submitted):
    review = admin_url("review", submitted)

    client.force_login(world.bureau_a)
    assert review in page(client.get(admin_url("change", submitted)))
    client.force_login(world.auditor_a)
    assert review not in page(client.get(admin_url("change", submitted)))


@pytest.mark.parametrize("action", ["review", "approve", "pay"])
def test_an_auditor_cannot_review_approve_or_pay(client, world, submitted, action):
    client.force_login(world.auditor_a)

    assert client.get(admin_url(action, submitted)).status_code == 403
    response = client.post(admin_url(action, submitted), {"decision": "pass", "note": "越权"})

    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED


def test_another_countys_bureau_does_not_find_the_claim(client, world, submitted):
    client.force_login(world.bureau_b)
    assert client.get(admin_url("change", submitted)).status_code == 404
    assert client.get(admin_url("review", submitted)).status_code == 404
    assert world.station_a.code not in page(client.get(reverse("admin:subsidies_subsidyclaim_changelist")))


def test_bureau_staff_walk_a_claim_through_the_admin_to_its_payout(client, world, submitted, fund_a):
    other_fund = make_fund(world.county_b, budget="500000.00", code="yingcheng-2024")
    other_fund.name = "应城市就业补助资金"
    other_fund.save()
    client.force_login(world.bureau_a)

    response = client.post(admin_url("review", submitted), {"decision": "pass", "note": ""})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == S.REVIEWED

    notice = notice_payees([submitted], bureau=world.bureau_a)
    approve_page = page(client.get(admin_url("approve", submitted)))
    assert "应城市就业补助资金" not in approve_page  # another county's budget is not offered
    refused = page(client.post(admin_url("approve", submitted), {"fund": fund_a.pk}))
    assert "期满后才能批准" in refused
    with after_notice(notice):
        assert client.post(admin_url("approve", submitted), {"fund": fund_a.pk}).status_code == 302
        submitted.refresh_from_db()
        assert submitted.status == S.APPROVED
        today = timezone.localdate()
        response = client.post(
            admin_url("pay", submitted), {"paid_on": today.isoformat(), "voucher_number": "记-2024-0815"}
        )
        assert response.status_code == 302
    payout = Payout.objects.get()
    assert (payout.voucher_number, payout.claim) == ("记-2024-0815", submitted)
    detail = page(client.get(admin_url("change", submitted)))
    assert "凭证号 记-2024-0815" in detail


def test_a_payee_notice_is_published_from_the_admin_with_the_reviewed_claims(client, world, published):
    claim = reviewed_claim(world.station_a, operator=world.operator_a, bureau=world.bureau_a)
    client.force_login(world.bureau_a)
    now = timezone.localtime()
    ends = now + datetime.timedelta(days=9)  # at least the policy's 5 working days

    form = page(client.get(reverse("admin:subsidies_payeenotice_add")))
    assert world.station_a.code in form
    response = client.post(
        reverse("admin:subsidies_payeenotice_add"),
        {
            "region": world.county_a.pk,
            "year": 2024,
            "title": "2024年度零工驿站运营补助拟补助对象公示",
            "starts_at_0": now.date().isoformat(),
            "starts_at_1": now.strftime("%H:%M:%S"),
            "ends_at_0": ends.date().isoformat(),
            "ends_at_1": ends.strftime("%H:%M:%S"),
            "claims": [claim.pk],
        },
    )

    assert response.status_code == 302
    notice = PayeeNotice.objects.get()
    claim.refresh_from_db()
    assert (claim.status, claim.notice) == (S.NOTICED, notice)

    client.force_login(world.bureau_b)  # another county's clerk is offered none of county A's claims
    assert world.station_a.code not in page(client.get(reverse("admin:subsidies_payeenotice_add")))


# --- rosters in the admin ------------------------------------------------------------------------


@pytest.fixture
def shared_person(world):
    """Person 2 is on the 2024 rosters of AAA-01 (county A) and BBB-01 (county B)."""
    for station, operator, people in (
        (world.station_a, world.operator_a, [person(1), person(2)]),
        (world.station_b, world.operator_b, [person(2), person(3)]),
    ):
        roster_import(
            station=station, year=2024, file=roster_upload(people), source_name="花名册.xlsx", actor=operator
        )
    return world


def duplicates_page(client, user, year=2024, *, full=False) -> str:
    """The list as shown (ID numbers masked), or in full after giving a purpose (recorded)."""
    client.force_login(user)
    if full:
        url = reverse("admin:subsidies_placementroster_duplicates_full", args=[year])
        return page(client.post(url, {"purpose": "duplicates", "detail": ""}))
    return page(client.get(reverse("admin:subsidies_placementroster_duplicates", args=[year])))


def test_the_duplicates_page_shows_bureau_staff_the_person_placed_twice(client, shared_person):
    world = shared_person

    everyone = duplicates_page(client, world.superuser, full=True)
    county_a = duplicates_page(client, world.bureau_a, full=True)

    assert everyone.count(id_number(2)) == 2
    assert "AAA-01" in everyone and "BBB-01" in everyone
    assert id_number(1) not in everyone and id_number(3) not in everyone
    assert county_a.count(id_number(2)) == 1  # their own station's row, not county B's
    assert "BBB-01" not in county_a


def test_the_duplicates_page_masks_id_numbers_for_auditors(client, shared_person):
    text = duplicates_page(client, shared_person.auditor_a)

    assert id_number(2) not in text
    assert id_number(2)[:6] + "********" + id_number(2)[-4:] in text


def test_the_duplicates_page_of_a_year_lists_only_that_years_duplicates(client, shared_person):
    world = shared_person
    # Person 5: twice in 2023 (AAA-01 and BBB-01), once in 2024 (AAA-01). Not a 2024 duplicate.
    for station, operator in ((world.station_a, world.operator_a), (world.station_b, world.operator_b)):
        roster_import(
            station=station,
            year=2023,
            file=roster_upload([person(5, start_date=datetime.date(2023, 6, 1))]),
            source_name="2023.xlsx",
            actor=operator,
        )
    roster_import(
        station=world.station_a,
        year=2024,
        file=roster_upload([person(1), person(2), person(5)]),
        source_name="花名册.xlsx",
        actor=world.operator_a,
    )

    assert id_number(5) not in duplicates_page(client, world.superuser, 2024, full=True)
    assert duplicates_page(client, world.superuser, 2023, full=True).count(id_number(5)) == 2


@pytest.mark.parametrize(("who", "full"), [("bureau_a", True), ("superuser", True), ("auditor_a", False)])
def test_the_roster_page_shows_full_numbers_only_to_those_who_may_see_them(client, shared_person, who, full):
    world = shared_person
    roster = world.station_a.placement_rosters.get()
    client.force_login(getattr(world, who))

    text = page(client.get(reverse("admin:subsidies_placementroster_change", args=[roster.pk])))
    # The page itself is masked for everyone; the full numbers are a purpose away (and recorded).
    full_page = client.post(
        reverse("admin:subsidies_placementroster_full", args=[roster.pk]), {"purpose": "claim_review"}
    )

    assert id_number(1) not in text and phone(1) not in text
    assert full_page.status_code == (200 if full else 403)
    assert (id_number(1) in full_page.content.decode()) is full
    assert (phone(1) in full_page.content.decode()) is full
    assert "同年也在" in text  # the duplicate warning for person 2


# --- the public payee notice ---------------------------------------------------------------------


def test_the_public_payee_notice_needs_no_login_and_shows_no_account_or_id_number(
    client, world, published, fund_a
):
    claim = reviewed_claim(world.station_a, operator=world.operator_a, bureau=world.bureau_a)
    notice = notice_payees([claim], bureau=world.bureau_a)

    text = page(client.get(reverse("subsidies_public:payee_notice", args=[notice.pk])))

    assert notice.title in text
    assert world.station_a.name in text
    assert "60,000.00" in text
    assert ACCOUNT not in text and ACCOUNT[-4:] not in text
    for serial in (1, 2, 3):  # the station's roster
        assert id_number(serial) not in text
        assert phone(serial) not in text


def test_the_public_payee_notice_stays_after_approval(client, world, published, fund_a):
    claim = approved_claim(world.station_a, operator=world.operator_a, bureau=world.bureau_a, fund=fund_a)

    text = page(client.get(reverse("subsidies_public:payee_notice", args=[claim.notice_id])))

    assert world.station_a.name in text


def test_a_payee_notice_is_not_public_before_it_starts(client, world, published):
    claim = reviewed_claim(world.station_a, operator=world.operator_a, bureau=world.bureau_a)
    from subsidies.services.payee_notice import payee_notice_publish

    now = timezone.now()
    notice = payee_notice_publish(
        region=world.county_a,
        year=2024,
        title="下周公示",
        starts_at=now + datetime.timedelta(days=2),
        ends_at=now + datetime.timedelta(days=11),  # at least the policy's 5 working days
        claims=[claim],
        actor=world.bureau_a,
    )

    assert client.get(reverse("subsidies_public:payee_notice", args=[notice.pk])).status_code == 404
