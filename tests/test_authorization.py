"""Every URL pattern, for every role and for an anonymous visitor, against their own objects and
others'. A new URL pattern that this file does not know fails the suite until it is added here.

Each role of county A must never receive a page that names county B's station, and an object
outside a user's reach answers 404 (the admin's "does not exist" redirect is replaced by 404).
"""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from assessment.models import (
    AnnualReport,
    Campaign,
    CampaignResult,
    CampaignStation,
    Demonstration,
    Entitlement,
    Evidence,
    Objection,
    Policy,
    Recommendation,
    RectificationOrder,
    RubricSection,
    ScoreSheet,
)
from assessment.policies import SEED_POLICIES
from assessment.services.campaigns import assessor_assign, campaign_open, conflict_declare
from assessment.services.policies import policy_install
from assessment.services.rectification import rectification_issue
from assessment.services.sheets import evidence_add
from core.models import AuditEntry, CalendarDay, Job, Notification
from stations.contracts import contract_save
from stations.models import OperatingContract, Region, Station, StationApplication, User, WorkLogDay
from stations.services import station_status_change
from subsidies.models import ClaimMaterial, PlacementRoster, SubsidyClaim
from tests.factories import valid_credit_code

ROLES = ["anonymous", "superuser", "bureau_a", "auditor_a", "operator_a", "assessor_a", "bureau_b"]
ADMIN_USERS = {"superuser", "bureau_a", "auditor_a", "bureau_b"}
CHANGERS = {"superuser", "bureau_a", "bureau_b"}
SIDE_OF = {"bureau_a": "a", "auditor_a": "a", "operator_a": "a", "assessor_a": "a", "bureau_b": "b"}

# URL names outside the admin's per-model views, and who may open them (GET).
ANONYMOUS_ALLOWLIST = {"login", "admin:login", "set_language"}
SITE_URLS = {
    "home": "redirect",
    "login": "public",
    "health": "public",
    "logout": "post_only",
    # The person's own account (core/account_views.py): second factor and own password.
    "two_factor:setup": "login_required",
    "two_factor:verify": "login_required",
    "two_factor:recovery_codes": "login_required",
    "two_factor:cancel": "post_only",
    "password_change": "login_required",
    "password_change_done": "login_required",
    # Login locks (core/login_lock_views.py): read by the admin's users, lifted by bureau staff.
    "login_locks": "admin",
    "login_lock_unlock": "post_only",
    "login_lock_unlock_address": "post_only",
    "two_factor_reset": "post_only",
    "set_language": "post_only",
    "portal:home": "login_required",
    # The desk (tests/desk/ walks what each role sees there, and that no county sees another's).
    "desk:index": "login_required",
    "portal:station_detail": "station_visible",
    "portal:station_contact_edit": "station_operated",
    # The work log (tests/stations/test_work_log.py walks who reads and who writes).
    "portal:work_log": "station_visible",
    "portal:work_log_day": "station_operated",
    "portal:work_log_import": "station_operated",
    "portal:work_log_template": "login_required",
    # A job's page is its starter's (tests/subsidies/test_roster_import_job.py walks the others).
    "portal:job": "object",
    "portal:job_status": "object",
    "portal:job_download": "object",
    "portal:job_retry": "post_only",
    "assessment:sheet_detail": "object",
    "assessment:sheet_self_edit": "object",
    "assessment:annual_report": "object",
    "assessment:sheet_onsite_edit": "object",
    "assessment:evidence_upload": "post_only",
    "assessment:evidence_download": "object",
    "assessment:evidence_delete": "post_only",
    "assessment:assignment_declare": "object",
    "assessment:rectification_detail": "object",
    "assessment:rectification_evidence_upload": "post_only",
    "subsidies:claim_index": "login_required",
    "subsidies:claim_detail": "object",
    "subsidies:claim_payee": "post_only",
    "subsidies:claim_material": "post_only",
    "subsidies:claim_roster": "post_only",
    "subsidies:claim_submit": "post_only",
    "subsidies:material_download": "object",
    "subsidies:roster_template": "login_required",
    "subsidies:roster_export": "object",
    # The roster in full, behind a purpose and an audit row: bureau staff and superusers only (walked below).
    "subsidies:roster_export_full": "object",
    "subsidies_public:payee_notice": "public",
    "notice:detail": "public",
    "notice:objection": "public",
    # The application for recognition of a new station and its follow-up (tests/stations/test_station_applications.py).
    "portal:station_apply": "public",
    "portal:station_application_status": "public",
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
# Models whose admin lets bureau staff add rows, and rows a superuser may delete. Everything about
# an assessment, its money and its history is corrected through a workflow, never deleted.
ADDABLE = {
    "station",
    "region",
    "user",
    "policy",
    "campaign",
    "rectificationorder",
    "fund",
    "payeenotice",
    "operatingcontract",
}
SUPERUSER_DELETABLE = {"station", "region", "user", "policy"}


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
def objects(world, settings, tmp_path):
    """For each admin model: the object of county A and the object of county B."""
    settings.MEDIA_ROOT = tmp_path
    station_status_change(station=world.station_a, to="rectifying", actor=world.bureau_a, reason="甲整改")
    station_status_change(station=world.station_b, to="rectifying", actor=world.bureau_b, reason="乙整改")
    campaigns = build_campaigns(world)
    return {
        Station: {"a": world.station_a, "b": world.station_b},
        Region: {"a": world.county_a, "b": world.county_b},
        User: {"a": world.operator_a, "b": world.operator_b},
        AuditEntry: {
            "a": AuditEntry.objects.filter(station=world.station_a).first(),
            "b": AuditEntry.objects.filter(station=world.station_b).first(),
        },
        Job: {
            side: finished_job(getattr(world, f"bureau_{side}"), campaigns[Campaign][side]) for side in "ab"
        },
        # The country's working calendar (installed by its migration): not of any county.
        CalendarDay: {
            "a": CalendarDay.objects.get(day=date(2026, 10, 1)),
            "b": CalendarDay.objects.get(day=date(2026, 10, 10)),
        },
        Notification: {
            side: Notification.objects.create(
                recipient=getattr(world, f"operator_{side}"),
                address=f"operator_{side}@example.cn",
                subject="[站点考核] 考核批次已开始",
                body="请登录站点门户完成自评。",
            )
            for side in "ab"
        },
        WorkLogDay: {
            side: WorkLogDay.objects.create(station=getattr(world, f"station_{side}"), day=date(2024, 3, 5))
            for side in "ab"
        },
        OperatingContract: {side: operating_contract(world, side) for side in "ab"},
        StationApplication: {side: station_application(world, side) for side in "ab"},
        # Each county's unit recommended to the city (the moves are tested in tests/assessment).
        Recommendation: {
            side: Recommendation.objects.create(
                campaign=campaigns[Campaign][side],
                station=getattr(world, f"station_{side}"),
                city=world.city,
                province=world.province,
                requested_level="city",
                score_county=Decimal("88.50"),
                recommended_by=getattr(world, f"bureau_{side}"),
            )
            for side in "ab"
        },
        Demonstration: {
            side: Demonstration.objects.create(
                campaign=campaigns[Campaign][side],
                station=getattr(world, f"station_{side}"),
                title="服务示范零工驿站",
                rank=1,
                score=Decimal("88.50"),
                selected_by=getattr(world, f"bureau_{side}"),
            )
            for side in "ab"
        },
        **campaigns,
    }


def station_application(world, side) -> StationApplication:
    """Each county's application for a new station, filed on the public page with its papers."""
    from stations.applications import APPLICATION_PAPERS, application_submit

    return application_submit(
        data={
            "organisation": f"{'甲县' if side == 'a' else '乙市'}新建驿站服务中心",
            "credit_code": valid_credit_code(40 if side == "a" else 41),
            "legal_representative": "王五",
            "station_name": f"{'甲县' if side == 'a' else '乙市'}新建零工驿站",
            "kind": "gig_station",
            "region": getattr(world, f"county_{side}"),
            "address": "新建路 1 号",
            "floor_area": Decimal("60.00"),
            "contact_name": "赵六",
            "contact_phone": "13900000000",
        },
        papers={kind: png_upload(f"{kind}.png") for kind, _, _ in APPLICATION_PAPERS},
        address=f"10.0.0.{1 if side == 'a' else 2}",
    )


def operating_contract(world, side) -> OperatingContract:
    """Each county's station run under a purchase-of-services contract, supervised by its bureau."""
    bureau = getattr(world, f"bureau_{side}")
    contract = OperatingContract(
        station=getattr(world, f"station_{side}"),
        number=f"HT-2024-{side}",
        operator_organisation=f"{'甲县' if side == 'a' else '乙市'}人力资源服务有限公司",
        operator_credit_code=valid_credit_code(3),
        start=date(2024, 1, 1),
        end=date(2025, 12, 31),
        amount=Decimal("300000.00"),
        supervisor=bureau,
        target_placements=100,
    )
    return contract_save(contract=contract, actor=bureau, reason="公开招标中标")


# A job and its file belong to the person who started it (bureau_a or bureau_b), not to the region.
JOB_STARTER = {"a": "bureau_a", "b": "bureau_b"}


def finished_job(bureau, campaign) -> Job:
    job = Job.objects.create(
        kind="assessment.table",
        title=f"考核结果表：{campaign.name}",
        key=f"test:{campaign.pk}",
        started_by=bureau,
        status=Job.Status.SUCCEEDED,
        message="考核结果表已生成。",
        result_name="results.xlsx",
    )
    job.result_file.save("results.xlsx", ContentFile(b"PK"), save=True)
    return job


def build_campaigns(world):
    """A campaign per county, with a sheet, evidence, a result, an objection and a rectification order.

    County A's campaign stands in its public notice, county B's is open: the notice page of one
    must be public and the other's must not exist.
    """
    # Both stations take part; they were made "rectifying" above only to give each an audit row.
    Station.objects.filter(pk__in=[world.station_a.pk, world.station_b.pk]).update(status="active")
    world.station_a.refresh_from_db()
    world.station_b.refresh_from_db()
    policy_a = Policy.objects.get(code="yunmeng-2024")
    policy_b = policy_install(
        spec=replace(SEED_POLICIES["yunmeng-2024"], code="yingcheng-2024", name="乙市考核办法"),
        region=world.county_b,
    )
    now = timezone.now()
    built = {}
    for side, policy, region, bureau in (
        ("a", policy_a, world.county_a, world.bureau_a),
        ("b", policy_b, world.county_b, world.bureau_b),
    ):
        campaign = Campaign.objects.create(
            code=f"camp-{side}",
            name=f"{'甲县' if side == 'a' else '乙市'}2024年度站点考核",
            policy=policy,
            region=region,
            year=2024,
            self_evaluation_due=now + timedelta(days=30),
            onsite_due=(now + timedelta(days=60)).date(),
            assessed_on=(now + timedelta(days=60)).date(),
        )
        campaign_open(campaign=campaign, actor=bureau)
        built[side] = campaign
    entry_a = CampaignStation.objects.get(campaign=built["a"], station=world.station_a)
    assessor_assign(entry=entry_a, assessor=world.assessor_a, actor=world.bureau_a, reason="指派")
    conflict_declare(entry=entry_a, actor=world.assessor_a, has_conflict=False)
    sheets = {side: ScoreSheet.objects.get(campaign=built[side]) for side in "ab"}
    evidence = {
        side: evidence_add(
            sheet=sheets[side], actor=operator, uploaded=png_upload(f"{side}.png"), kind="photo"
        )
        for side, operator in (("a", world.operator_a), ("b", world.operator_b))
    }
    from django.core.files.storage import default_storage

    # The notice needs results; the workflow that produces them is tested in tests/assessment.
    results, objections = {}, {}
    for side, station in (("a", world.station_a), ("b", world.station_b)):
        results[side] = CampaignResult.objects.create(
            campaign=built[side],
            station=station,
            score=Decimal("88.50"),
            tier="good",
            tier_label="良好",
            entitlement=Entitlement.objects.create(
                station=station,
                year=built[side].year,
                kind="performance",
                amount=Decimal("50000.00"),
                policy=built[side].policy,
                basis="campaign_result",
                campaign=built[side],
                explanation="良好，绩效补助 50000.00 元",
                decided_at=now,
            ),
            computed_at=now,
        )
        objections[side] = Objection.objects.create(
            campaign=built[side],
            station=station,
            name="市民",
            contact="13800000000",
            reason="得分偏高",
            client_key="x",
            attachment=default_storage.save(f"objections/{side}.png", png_upload("证据.png")),
            attachment_name="证据.png",
        )
    Campaign.objects.filter(pk=built["a"].pk).update(
        status="notice", notice_start=now - timedelta(days=1), notice_end=now + timedelta(days=6)
    )
    orders = {
        side: rectification_issue(
            station=station, actor=bureau, problems="台账不全", deadline=(now + timedelta(days=20)).date()
        )
        for side, station, bureau in (
            ("a", world.station_a, world.bureau_a),
            ("b", world.station_b, world.bureau_b),
        )
    }
    money = build_money(world, built, policy_a, policy_b)
    # The operators' drafts (the portal's moves on them are tested in tests/assessment).
    reports = {
        side: AnnualReport.objects.create(campaign=built[side], station=station, overview="年度工作概况")
        for side, station in (("a", world.station_a), ("b", world.station_b))
    }
    return {
        **money,
        Policy: {"a": policy_a, "b": policy_b},
        RubricSection: {side: p.sections.first() for side, p in (("a", policy_a), ("b", policy_b))},
        Campaign: built,
        ScoreSheet: sheets,
        CampaignResult: results,
        Entitlement: {side: result.entitlement for side, result in results.items()},
        Objection: objections,
        RectificationOrder: orders,
        CampaignStation: {"a": entry_a, "b": CampaignStation.objects.get(campaign=built["b"])},
        Evidence: evidence,
        AnnualReport: reports,
    }


def build_money(world, campaigns, policy_a, policy_b):
    """A fund, a claim with a paper, a roster, a payee notice and a paid claim per county."""
    import datetime as dt

    from subsidies.models import (
        Fund,
        PayeeNotice,
        Payout,
        Placement,
        SubsidyClaim,
    )
    from subsidies.services.claims import claim_material_add

    now = timezone.now()
    built = {model: {} for model in (Fund, SubsidyClaim, ClaimMaterial, PlacementRoster, PayeeNotice, Payout)}
    for side, station, policy, region, bureau, operator in (
        ("a", world.station_a, policy_a, world.county_a, world.bureau_a, world.operator_a),
        ("b", world.station_b, policy_b, world.county_b, world.bureau_b, world.operator_b),
    ):
        built[Fund][side] = Fund.objects.create(
            region=region, year=2024, code=f"fund-{side}", name="补助资金", budget=100000
        )
        # Rows written directly: the claim workflow itself is tested in tests/subsidies.
        claim = SubsidyClaim.objects.create(
            station=station,
            kind="performance",
            year=2024,
            campaign=campaigns[side],
            entitlement=Entitlement.objects.get(
                campaign=campaigns[side], station=station, kind="performance"
            ),
            policy=policy,
            amount=Decimal("50000.00"),
            explanation="良好",
            created_by=operator,
        )
        built[SubsidyClaim][side] = claim
        built[ClaimMaterial][side] = claim_material_add(
            claim=claim, actor=operator, requirement="application_form", uploaded=png_upload("申请表.png")
        )
        roster = PlacementRoster.objects.create(station=station, year=2024, source_name="r.xlsx", row_count=1)
        Placement.objects.create(
            roster=roster,
            row_number=2,
            name="张三",
            id_number="11010519491231002X",
            phone="13800138000",
            employer="某公司",
            job="普工",
            start_date=dt.date(2024, 3, 1),
            wage=Decimal("3000"),
            year=2024,
            station=station,
        )
        built[PlacementRoster][side] = roster
        built[PayeeNotice][side] = PayeeNotice.objects.create(
            region=region,
            year=2024,
            title=f"{station.name}补助公示",
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=4),
            published_by=bureau,
        )
        paid = SubsidyClaim.objects.create(
            station=station,
            kind="start_up",
            year=2024,
            entitlement=Entitlement.objects.create(
                station=station,
                year=2024,
                kind="start_up",
                amount=Decimal("10000.00"),
                policy=policy,
                basis="start_up_selection",
                explanation="启动资金",
                decided_at=now,
                status="paid",
            ),
            policy=policy,
            amount=Decimal("10000.00"),
            approved_amount=Decimal("10000.00"),
            explanation="启动资金",
            created_by=operator,
            status="paid",
        )
        built[Payout][side] = Payout.objects.create(
            claim=paid,
            paid_on=dt.date(2024, 6, 1),
            amount=Decimal("10000.00"),
            account="6222000011112222",
            voucher_number=f"V-{side}",
            recorded_by=bureau,
        )
    return built


def png_upload(name):
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    raw += chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")
    return SimpleUploadedFile(name, raw, content_type="image/png")


def test_every_url_pattern_is_covered_by_this_test():
    known = set(SITE_URLS) | admin_model_url_names()
    unknown = all_url_names() - known
    assert not unknown, f"add these URLs to the authorization test: {sorted(unknown)}"


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
    if response.streaming:
        body = b"".join(response.streaming_content).decode(errors="replace")
    else:
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
        # No campaign assigns assessor_a anything here; their reach through one is walked below.
        "assessor_a": set(),
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


MONEY_REACH = {"a": {"superuser", "bureau_a", "auditor_a", "operator_a"}, "b": {"superuser", "bureau_b"}}

# Who reaches each portal page of an object, per side: everyone else gets 404 (anonymous: login).
PORTAL_OBJECT_URLS = {
    "assessment:sheet_detail": (
        ScoreSheet,
        {
            "a": {"superuser", "bureau_a", "auditor_a", "operator_a", "assessor_a"},
            "b": {"superuser", "bureau_b"},
        },
    ),
    "assessment:sheet_self_edit": (ScoreSheet, {"a": {"operator_a"}, "b": set()}),
    # The annual report beside the sheet: read by whoever reads the sheet, written by its operator.
    "assessment:annual_report": (
        ScoreSheet,
        {
            "a": {"superuser", "bureau_a", "auditor_a", "operator_a", "assessor_a"},
            "b": {"superuser", "bureau_b"},
        },
    ),
    "assessment:sheet_onsite_edit": (ScoreSheet, {"a": {"assessor_a"}, "b": set()}),
    "assessment:evidence_download": (
        Evidence,
        {
            "a": {"superuser", "bureau_a", "auditor_a", "operator_a", "assessor_a"},
            "b": {"superuser", "bureau_b"},
        },
    ),
    "assessment:assignment_declare": (CampaignStation, {"a": {"assessor_a"}, "b": set()}),
    "assessment:rectification_detail": (
        RectificationOrder,
        {"a": {"superuser", "bureau_a", "auditor_a", "operator_a"}, "b": {"superuser", "bureau_b"}},
    ),
    # Its purpose page: only those whose work needs full ID numbers (everyone else exports masked).
    "subsidies:roster_export_full": (
        PlacementRoster,
        {"a": {"superuser", "bureau_a"}, "b": {"superuser", "bureau_b"}},
    ),
}


@pytest.mark.parametrize("role", ROLES)
def test_portal_pages_of_assessment_objects_answer_each_role_as_expected(client, world, objects, role):
    login(client, world, role)
    for name, (model, reach) in PORTAL_OBJECT_URLS.items():
        for side in ("a", "b"):
            response = client.get(reverse(name, args=[objects[model][side].pk]))
            if role == "anonymous":
                assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
            else:
                expected = 200 if role in reach[side] else 404
                if expected == 200 and name == "assessment:sheet_onsite_edit" and response.status_code == 302:
                    # A sheet that cannot be scored on site now sends its own assessor to the sheet.
                    sheet_page = reverse("assessment:sheet_detail", args=[objects[model][side].pk])
                    assert response["Location"] == sheet_page, f"{role} GET {name} ({side})"
                else:
                    assert response.status_code == expected, (
                        f"{role} GET {name} ({side}): {response.status_code}"
                    )
            assert_no_leak(response, world, role)
    # Uploading to and deleting from a sheet is for its operator only; nobody else changes its files.
    for side in ("a", "b"):
        sheet, evidence = objects[ScoreSheet][side], objects[Evidence][side]
        upload = client.post(
            reverse("assessment:evidence_upload", args=[sheet.pk]),
            {"kind": "photo", "file": png_upload("x.png")},
        )
        delete = client.post(reverse("assessment:evidence_delete", args=[evidence.pk]))
        if role == "anonymous":
            assert upload.status_code == delete.status_code == 302
        elif role not in PORTAL_OBJECT_URLS["assessment:sheet_detail"][1][side]:
            assert upload.status_code == delete.status_code == 404
        if not (role == "operator_a" and side == "a"):
            assert Evidence.objects.filter(pk=evidence.pk).exists()
            assert Evidence.objects.filter(sheet=sheet).count() == 1
        order = objects[RectificationOrder][side]
        answer = client.post(
            reverse("assessment:rectification_evidence_upload", args=[order.pk]),
            {"kind": "photo", "file": png_upload("fixed.png")},
        )
        rectification_reach = PORTAL_OBJECT_URLS["assessment:rectification_detail"][1][side]
        if role == "anonymous":
            assert answer.status_code == 302
        elif role not in rectification_reach:
            assert answer.status_code == 404
        own = role == "operator_a" and side == "a"
        assert Evidence.objects.filter(rectification=order).count() == (1 if own else 0)


@pytest.mark.parametrize("role", ROLES)
def test_public_notice_is_open_to_all_only_while_a_campaign_is_on_notice(client, world, objects, role):
    login(client, world, role)
    notice = client.get(reverse("notice:detail", args=["camp-a"]))
    assert notice.status_code == 200
    assert world.station_a.name in notice.content.decode()
    assert client.get(reverse("notice:objection", args=["camp-a"])).status_code == 200
    assert client.get(reverse("notice:detail", args=["camp-b"])).status_code == 404
    assert client.get(reverse("notice:objection", args=["camp-b"])).status_code == 404


# Printed and exported documents (assessment/documents): read-only, so auditors download them too.
DOCUMENT_VIEWS = {"score_sheets_zip", "results_xlsx", "notice_xlsx", "construction_xlsx", "pdf"}

# Admin pages about a whole list rather than one object (exports, lists of flags).
LIST_VIEWS = {
    "changelist",
    "add",
    "disbursement",
    "duplicates",
    "duplicates_full",
    "policy_import",
    "policy_format",
}
LIST_VIEW_ARGS = {"duplicates": [2024], "duplicates_full": [2024]}
# Pages that show ID numbers and phones in full after asking why (core/personal_data.py): bureau
# staff and superusers get the purpose page, auditors a refusal (they read everything masked).
PERSONAL_DATA_VIEWS = {"full", "export_full", "duplicates_full", "paper"}


def expected_admin_status(role, view, model, side):
    if role not in ADMIN_USERS:
        return 302  # to the admin's login page
    visible = role == "superuser" or SIDE_OF[role] == side
    if model is Job:
        visible = role in ("superuser", JOB_STARTER[side])
        if not visible and view not in LIST_VIEWS:
            return 404
        return {"retry": 405, "delete": 403, "add": 403}.get(view, 200)
    if model is CalendarDay:
        # Every admin user reads the calendar; bureau staff keep it (and remove a wrong day).
        return 200 if view not in ("add", "delete") or role in CHANGERS else 403
    if view not in LIST_VIEWS and not visible:
        return 404
    may_change = role in CHANGERS
    name = model._meta.model_name
    if view in DOCUMENT_VIEWS:
        return 200  # documents are read, not changed: auditors download them too
    if view in PERSONAL_DATA_VIEWS:
        return 200 if may_change else 403
    # 导入政策文件 writes a policy: like a workflow move, for those who may change only.
    if view in (LIST_VIEWS - {"add", "policy_import"}) | {
        "history",
        "change",
        "import_template",
        "export",
        "try",  # 试算 on a policy: trying is reading, nothing is saved
        "attachment",
        "totals",
    }:
        return 200  # read-only for those who may not change
    if view == "add":
        return 200 if may_change and name in ADDABLE else 403
    if view == "delete":
        return 200 if role == "superuser" and name in SUPERUSER_DELETABLE else 403
    # Every other admin page is a workflow move (status, password, lock, publish, …): changers only.
    return 200 if may_change else 403


@pytest.mark.parametrize("role", ROLES)
def test_admin_model_pages_answer_each_role_as_expected(client, world, objects, role):
    login(client, world, role)
    checked = 0
    for name in sorted(admin_model_url_names()):
        model, view = admin_model_and_view(name)
        if model is Policy and view in ("import", "format"):
            # 导入政策文件 and 政策文件格式 are about the list; a campaign's import is about one.
            view = f"policy_{view}"
        for side in ("a", "b"):
            obj = objects[model][side]
            args = LIST_VIEW_ARGS.get(view, []) if view in LIST_VIEWS else [obj.pk]
            if view == "totals":  # a campaign's totals, reached from the claims
                args = [objects[Campaign][side].pk]
            if view == "paper":  # an application's paper, named by its kind
                args = [obj.pk, "licence"]
            response = client.get(reverse(name, args=args))
            expected = expected_admin_status(role, view, model, side)
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


def test_a_browser_asking_for_english_still_gets_the_admin_in_chinese(client, world):
    # The product speaks Chinese only: neither the browser's language nor a forged switch turns
    # Django's own admin text ("Select … to change", "Home") to English next to our Chinese.
    client.force_login(world.bureau_a)
    client.post(reverse("set_language"), {"language": "en", "next": "/admin/"})
    page = client.get(reverse("admin:stations_station_changelist"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    text = page.content.decode()
    assert "首页" in text and "Home" not in text and "Select " not in text


@pytest.mark.parametrize("role", ROLES)
def test_subsidy_pages_answer_each_role_and_change_nothing_that_is_not_theirs(client, world, objects, role):
    from subsidies.models import PayeeNotice

    login(client, world, role)
    for name in ("subsidies:claim_index", "subsidies:roster_template"):
        response = client.get(reverse(name))
        assert response.status_code == (302 if role == "anonymous" else 200), (role, name)
        assert_no_leak(response, world, role)
    # Anyone may read a payee notice once it has started; it names stations and amounts only.
    for side in ("a", "b"):
        page = client.get(reverse("subsidies_public:payee_notice", args=[objects[PayeeNotice][side].pk]))
        assert page.status_code == 200
        assert "6222000011112222" not in page.content.decode()
    # Posting to another station's claim reaches nothing: 404 (or the login page).
    claim_b = objects[SubsidyClaim]["b"]
    for name in (
        "subsidies:claim_payee",
        "subsidies:claim_submit",
        "subsidies:claim_material",
        "subsidies:claim_roster",
    ):
        response = client.post(reverse(name, args=[claim_b.pk]), {})
        expected = {302} if role == "anonymous" else {302} if role in {"superuser", "bureau_b"} else {404}
        assert response.status_code in expected | ({404} if role in {"superuser", "bureau_b"} else set()), (
            role,
            name,
        )
    claim_b.refresh_from_db()
    assert claim_b.status == "draft"


def test_roster_page_shows_people_masked_to_auditors_and_never_names_another_countys_station(
    client, world, objects
):
    from subsidies.models import Placement

    roster_a = objects[PlacementRoster]["a"]
    # The same person is also on county B's roster this year.
    person = Placement.objects.get(roster=roster_a)
    others = Placement.objects.filter(year=2024, id_number_hash=person.id_number_hash).exclude(
        roster=roster_a
    )
    assert [p.id_number for p in others] == [person.id_number]
    url = reverse("admin:subsidies_placementroster_change", args=[roster_a.pk])
    client.force_login(world.bureau_a)
    page = client.get(url).content.decode()
    # Masked for bureau staff too until they ask, with a purpose (tests/security/test_audit_personal_data.py).
    assert "11010519491231002X" not in page and "110105********002X" in page
    assert "同年也在 其他 1 个站点 的花名册中" in page
    assert "BBB-01" not in page
    client.force_login(world.auditor_a)
    page = client.get(url).content.decode()
    assert "110105********002X" in page and "11010519491231002X" not in page
    assert "138****8000" in page and "13800138000" not in page
