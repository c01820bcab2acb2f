"""Recognition of new stations (issue 15, item 3; seed 002).

An organisation applies on the public page with the papers of 002's one-time subsidy list; the
bureau of its county records the on-site check and recognises (or refuses with a reason). A
recognition creates the station, its operator account and its first-recognition entitlement.
"""

import datetime
import re
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessment.models import Entitlement
from assessment.services.station_recognition import application_recognise
from core.models import AuditEntry
from core.permissions import Forbidden
from core.workflow import InvalidTransition, available_moves
from stations.applications import (
    APPLICATION_MOVES,
    APPLICATION_TRANSITIONS,
    LOOKUPS_PER_ADDRESS_PER_HOUR,
    application_refuse,
    application_site_check,
    application_submit,
)
from stations.models import ApplicationAttempt, Region, Station, StationApplication, User
from tests.factories import make_region, make_user, valid_credit_code

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PAPER_KINDS = ("licence", "legal_rep_id", "premises", "recognition_form", "subsidy_form", "plan")


def pdf(name="材料.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def papers(**overrides):
    files = {kind: pdf(f"{kind}.pdf") for kind in PAPER_KINDS}
    files.update(overrides)
    return {kind: f for kind, f in files.items() if f is not None}


class Quanzhou:
    def __init__(self):
        city = Region.objects.get(code="350500")  # with the seed policy quanzhou-2023, from migrate
        self.jinjiang = make_region("350582", "晋江市", Region.Level.COUNTY, city)
        self.chendai = make_region("350582100", "陈埭镇", Region.Level.TOWNSHIP, self.jinjiang)
        self.nanan = make_region("350583", "南安市", Region.Level.COUNTY, city)
        self.clerk = make_user("qz_clerk", role=User.Role.BUREAU, region=self.jinjiang)
        # The city above Jinjiang: it manages the county, but 002 gives recognition to the county.
        self.city_clerk = make_user("qz_city", role=User.Role.BUREAU, region=city)
        self.other_clerk = make_user("na_clerk", role=User.Role.BUREAU, region=self.nanan)
        self.auditor = make_user("qz_auditor", role=User.Role.AUDITOR, region=self.jinjiang)


@pytest.fixture
def qz(db):
    return Quanzhou()


def data(qz, **fields):
    return {
        "organisation": "晋江市陈埭人力资源服务有限公司",
        "credit_code": valid_credit_code(21),
        "legal_representative": "许志强",
        "station_name": "陈埭镇岸兜社区零工驿站",
        "kind": "gig_station",
        "region": qz.chendai,
        "address": "晋江市陈埭镇岸兜村商业街 12 号",
        "floor_area": Decimal("85.00"),
        "contact_name": "许晓燕",
        "contact_phone": "13905951111",
        **fields,
    }


def apply(qz, address="10.0.0.1", **fields) -> StationApplication:
    return application_submit(data=data(qz, **fields), papers=papers(), address=address)


def checked(qz, **fields) -> StationApplication:
    application = apply(qz, **fields)
    return application_site_check(
        application=application,
        actor=qz.clerk,
        checked_on=timezone.localdate(),
        findings="场地 85 平方米，配备电脑、显示屏；服务制度上墙。",
    )


# ---- applying


def test_an_application_keeps_its_papers_and_gets_a_reference_the_organisation_follows(client, qz):
    application = apply(qz)
    assert application.status == "submitted"
    assert application.papers.count() == 6
    # The id in sequence, then four random letters: a reference cannot be counted through.
    assert re.fullmatch(
        rf"RD-{timezone.localdate():%Y}-{application.pk:06d}-[A-Z2-9]{{4}}", application.reference
    )
    bare = application.reference[:-5]
    page = client.get(
        reverse("portal:station_application_status"),
        {"reference": bare, "credit_code": application.credit_code},
    )
    assert "没有找到这份申请" in page.content.decode()
    # The phone is stored encrypted and shown masked.
    assert application.masked_contact_phone == "139****1111"
    entry = AuditEntry.objects.get(action="station_application.submit")
    assert entry.region_path == qz.chendai.path

    page = client.get(
        reverse("portal:station_application_status"),
        {"reference": application.reference, "credit_code": application.credit_code},
    )
    assert "已提交（待现场核查）" in page.content.decode()
    wrong = client.get(
        reverse("portal:station_application_status"),
        {"reference": application.reference, "credit_code": valid_credit_code(22)},
    )
    assert "没有找到这份申请" in wrong.content.decode()


def test_the_public_form_files_an_application_without_login(client, qz):
    form = {k: (v.pk if isinstance(v, Region) else v) for k, v in data(qz).items()}
    form.update({f"paper_{kind}": f for kind, f in papers().items()})
    response = client.post(reverse("portal:station_apply"), form)
    page = response.content.decode()
    application = StationApplication.objects.get()
    assert "认定申请已提交" in page
    assert application.reference in page
    assert "晋江市人社局将审核材料" in page  # the county decides, not the township (陈埭镇)
    assert application.contact_phone == "13905951111"


def test_a_bad_credit_code_is_refused_in_chinese(qz):
    with pytest.raises(ValidationError) as refused:
        apply(qz, credit_code="91350582MA12345678")
    assert "credit_code" in refused.value.message_dict
    assert StationApplication.objects.count() == 0


def test_missing_papers_are_named(qz):
    with pytest.raises(ValidationError) as refused:
        application_submit(data=data(qz), papers=papers(legal_rep_id=None, plan=None), address="10.0.0.1")
    message = " ".join(refused.value.message_dict["__all__"])
    assert "法定代表人身份证复印件" in message
    assert "实施方案等其他佐证材料" in message
    assert StationApplication.objects.count() == 0


def test_a_file_that_is_not_pdf_or_an_image_is_refused_in_chinese_and_nothing_kept(qz, client):
    word = SimpleUploadedFile("方案.docx", b"PK\x03\x04not really", content_type="application/msword")
    with pytest.raises(ValidationError) as refused:
        application_submit(data=data(qz), papers=papers(plan=word), address="10.0.0.1")
    message = refused.value.message_dict["__all__"][0]
    assert message.startswith("实施方案等其他佐证材料：")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message[len("实施方案等其他佐证材料：") :])
    assert StationApplication.objects.count() == 0

    form = {k: (v.pk if isinstance(v, Region) else v) for k, v in data(qz).items()}
    form.update(
        {f"paper_{kind}": f for kind, f in papers(plan=SimpleUploadedFile("x.txt", b"hello")).items()}
    )
    page = client.post(reverse("portal:station_apply"), form).content.decode()
    assert "实施方案等其他佐证材料：" in page
    assert StationApplication.objects.count() == 0


def test_an_address_may_try_five_times_an_hour_and_refused_tries_count(qz):
    # Two tries refused for a bad credit code, three filed: the sixth try is refused however it is.
    for _ in range(2):
        with pytest.raises(ValidationError) as refused:
            apply(qz, address="10.9.9.9", credit_code="91350582MA12345678")
        assert "credit_code" in refused.value.message_dict
    for _ in range(3):
        apply(qz, address="10.9.9.9")
    with pytest.raises(ValidationError, match="提交过于频繁"):
        apply(qz, address="10.9.9.9")
    assert StationApplication.objects.count() == 3
    assert ApplicationAttempt.objects.filter(kind="submit").count() == 6
    apply(qz, address="10.9.9.10")
    # An hour later the address may try again.
    ApplicationAttempt.objects.update(at=timezone.now() - datetime.timedelta(hours=1, minutes=1))
    apply(qz, address="10.9.9.9")


def test_status_lookups_are_limited_per_address(client, qz):
    application = apply(qz)
    url = reverse("portal:station_application_status")
    guess = {"reference": application.reference[:-4] + "AAAA", "credit_code": application.credit_code}
    for _ in range(LOOKUPS_PER_ADDRESS_PER_HOUR):
        assert "没有找到这份申请" in client.get(url, guess).content.decode()
    page = client.get(url, {"reference": application.reference, "credit_code": application.credit_code})
    text = page.content.decode()
    assert "查询过于频繁，请一小时后再试" in text
    assert "已提交（待现场核查）" not in text
    # Another address is not held back.
    other = client.get(
        url,
        {"reference": application.reference, "credit_code": application.credit_code},
        REMOTE_ADDR="10.1.2.3",
    )
    assert "已提交（待现场核查）" in other.content.decode()


def test_a_filled_hidden_field_files_nothing(client, qz):
    form = {k: (v.pk if isinstance(v, Region) else v) for k, v in data(qz).items()}
    form.update({f"paper_{kind}": f for kind, f in papers().items()})
    form["website"] = "http://spam.example"
    response = client.post(reverse("portal:station_apply"), form)
    assert response.status_code == 200
    assert StationApplication.objects.count() == 0
    assert not AuditEntry.objects.filter(action="station_application.submit").exists()


def test_a_paper_over_ten_megabytes_is_refused_in_chinese_and_nothing_kept(qz):
    big = SimpleUploadedFile("场地.pdf", PDF + b"0" * (10 * 1024 * 1024), content_type="application/pdf")
    with pytest.raises(ValidationError) as refused:
        application_submit(data=data(qz), papers=papers(premises=big), address="10.0.0.1")
    message = refused.value.message_dict["__all__"][0]
    assert message.startswith("房屋租赁合同、房产证或土地使用证明：")
    assert "超过 10" in message
    assert StationApplication.objects.count() == 0


def test_the_form_reads_its_places_in_the_same_queries_for_two_or_twenty_townships(client, qz):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse("portal:station_apply"))
        assert "泉州市 晋江市 陈埭镇" in page.content.decode()
        return len(captured)

    make_region("350582101", "池店镇", Region.Level.TOWNSHIP, qz.jinjiang)
    few = queries()
    for n in range(18):
        make_region(f"3505831{n:02d}", f"镇{n}", Region.Level.TOWNSHIP, qz.nanan)
    assert Region.objects.filter(level=Region.Level.TOWNSHIP, code__startswith="35058").count() == 20
    assert queries() == few


def test_a_city_is_not_a_place_for_a_station(qz):
    with pytest.raises(ValidationError) as refused:
        apply(qz, region=Region.objects.get(code="350500"))
    assert "县（区）或乡镇（街道）" in refused.value.message_dict["region"][0]


def posted(qz, **fields) -> dict:
    form = {k: (v.pk if isinstance(v, Region) else v) for k, v in data(qz, **fields).items()}
    form.update({f"paper_{kind}": f for kind, f in papers().items()})
    return form


def test_one_round_shows_a_bad_credit_code_a_missing_and_a_refused_paper_at_once(client, qz):
    form = posted(qz, credit_code="91350582MA12345678")
    del form["paper_legal_rep_id"]
    form["paper_plan"] = SimpleUploadedFile("方案.txt", b"hello")
    page = client.post(reverse("portal:station_apply"), form).content.decode()
    # The form refuses the credit code itself; the papers are still checked in the same round.
    assert "统一社会信用代码校验位不正确" in page
    assert "请上传以下材料：法定代表人身份证复印件。" in page
    assert "实施方案等其他佐证材料：" in page
    assert "必交材料，请选择文件。" in page  # beside the missing paper too
    assert StationApplication.objects.count() == 0


def test_the_service_names_every_problem_at_once(qz):
    with pytest.raises(ValidationError) as refused:
        application_submit(
            data=data(qz, credit_code="91350582MA12345678", legal_representative=""),
            papers=papers(plan=None),
            address="10.0.0.1",
        )
    problems = refused.value.message_dict
    assert {"credit_code", "legal_representative", "plan"} <= set(problems)
    assert "实施方案等其他佐证材料" in " ".join(problems["__all__"])


def test_the_form_says_before_any_file_that_files_are_chosen_again_after_an_error(client, qz):
    page = client.get(reverse("portal:station_apply")).content.decode()
    notice = page.index("已选择的材料文件需要重新选择")
    assert notice < page.index('type="file"')
    # The bureau that accepts: the counties of the region whose policy recognises on application.
    assert "本页受理泉州市辖区内" in page and "县（市、区）人社局受理" in page


def test_a_region_without_recognition_on_application_is_not_offered_and_refused(client, qz):
    # Yunmeng's policy (seeded by migrate) pays no one-time subsidy on first recognition.
    yunmeng = Region.objects.get(code="420923")
    township = make_region("420923100", "城关镇", Region.Level.TOWNSHIP, yunmeng)
    page = client.get(reverse("portal:station_apply")).content.decode()
    assert "泉州市 晋江市 陈埭镇" in page
    assert "城关镇" not in page and "云梦县" not in page
    response = client.post(reverse("portal:station_apply"), posted(qz, region=township))
    assert "所选区域不通过本页受理站点认定申请" in response.content.decode()
    assert StationApplication.objects.count() == 0
    with pytest.raises(ValidationError) as refused:
        application_submit(
            data=data(qz, region=township),
            papers=papers(),
            address="10.0.0.1",
            within=[Region.objects.get(code="350500")],
        )
    assert "不通过本页受理站点认定申请" in refused.value.message_dict["region"][0]


def test_the_status_page_and_the_recognise_page_give_days_in_chinese(client, qz):
    application = checked(qz)
    today = timezone.localdate()
    chinese = f"{today.year}年{today.month}月{today.day}日"
    page = client.get(
        reverse("portal:station_application_status"),
        {"reference": application.reference, "credit_code": application.credit_code},
    ).content.decode()
    assert f"现场核查日期：{chinese}" in page
    assert today.isoformat() not in page
    client.force_login(qz.clerk)
    page = client.get(
        reverse("admin:stations_stationapplication_recognise", args=[application.pk])
    ).content.decode()
    assert f"现场核查：{chinese}" in page
    assert f"现场核查：{today.isoformat()}" not in page


# ---- the review's moves and who may make them


def test_the_table_and_the_moves_each_state_offers(qz):
    assert {
        "submitted": {"checked", "refused"},
        "checked": {"recognised", "refused"},
        "recognised": set(),
        "refused": set(),
    } == APPLICATION_TRANSITIONS
    application = apply(qz)
    names = lambda actor: [  # noqa: E731
        m.name
        for m in available_moves(application, actor, table=APPLICATION_TRANSITIONS, moves=APPLICATION_MOVES)
    ]
    assert names(qz.clerk) == ["site_check", "refuse"]
    assert names(qz.other_clerk) == names(qz.auditor) == names(qz.city_clerk) == []
    application.status = "checked"
    assert names(qz.clerk) == ["recognise", "refuse"]


def test_only_the_bureau_of_the_county_checks_and_decides(qz):
    application = apply(qz)
    for outsider in (qz.other_clerk, qz.auditor, qz.city_clerk):
        with pytest.raises(Forbidden):
            application_site_check(
                application=application, actor=outsider, checked_on=timezone.localdate(), findings="看过"
            )
        with pytest.raises(Forbidden):
            application_refuse(application=application, actor=outsider, reason="不符合")
    # Recognition waits for the on-site check.
    with pytest.raises(ValidationError, match="不能予以认定"):
        application_recognise(application=application, actor=qz.clerk)
    assert Station.objects.filter(name="陈埭镇岸兜社区零工驿站").count() == 0


def test_a_city_clerk_reads_but_does_not_check_decide_or_open_the_papers(client, qz):
    application = checked(qz)
    with pytest.raises(Forbidden):
        application_recognise(application=application, actor=qz.city_clerk)
    with pytest.raises(Forbidden):
        application_refuse(application=application, actor=qz.city_clerk, reason="不符合")
    with pytest.raises(Forbidden):
        application_site_check(
            application=apply(qz), actor=qz.city_clerk, checked_on=timezone.localdate(), findings="看过"
        )
    assert not Station.objects.filter(name="陈埭镇岸兜社区零工驿站").exists()

    client.force_login(qz.city_clerk)
    page = client.get(
        reverse("admin:stations_stationapplication_change", args=[application.pk])
    ).content.decode()
    assert application.station_name in page
    assert "139****1111" in page and "13905951111" not in page
    # No move is offered: the buttons would lead to the check and the decision pages.
    for move in ("site_check", "recognise", "refuse"):
        assert reverse(f"admin:stations_stationapplication_{move}", args=[application.pk]) not in page
    paper = client.get(
        reverse("admin:stations_stationapplication_paper", args=[application.pk, "legal_rep_id"])
    )
    assert paper.status_code == 403
    refused = client.post(
        reverse("admin:stations_stationapplication_recognise", args=[application.pk]),
        {"decided_on": timezone.localdate().isoformat()},
    )
    assert "只有申请所在县（区）的人社局工作人员" in refused.content.decode()
    application.refresh_from_db()
    assert application.status == "checked"
    assert not AuditEntry.objects.filter(action="personal_data.view").exists()


# ---- deciding


def test_recognition_creates_the_station_its_operator_and_the_one_time_entitlement(qz):
    application = checked(qz)
    today = timezone.localdate()
    result = application_recognise(application=application, actor=qz.clerk)

    station = Station.objects.get(application=application)
    assert station.code == "350582-GS-001"
    assert (station.name, station.kind, station.region, station.status) == (
        "陈埭镇岸兜社区零工驿站",
        "gig_station",
        qz.chendai,
        "active",
    )
    assert station.recognized_on == today
    assert station.operator_credit_code == application.credit_code
    operator = User.objects.get(username="op-350582-gs-001")
    assert operator.role == "operator" and operator.get_full_name() == "许晓燕"
    assert operator.phone == "13905951111"
    assert list(station.operators.all()) == [operator]
    assert operator.check_password(result.password) and len(result.password) == 12
    # 002: 零工驿站每家给予3万元 (one-time operating subsidy on first recognition).
    entitlement = Entitlement.objects.get(station=station, kind="one_time")
    assert entitlement.amount == Decimal("30000.00")
    assert entitlement.basis == "first_recognition" and entitlement.year == today.year
    application.refresh_from_db()
    assert (application.status, application.station, application.operator) == (
        "recognised",
        station,
        operator,
    )
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "station_application.recognise",
        "station.create",
        "user.create",
        "entitlement.grant",
    } <= actions
    # The password never reaches the history.
    assert not AuditEntry.objects.filter(changes__icontains=result.password).exists()


def test_a_recognition_that_fails_at_the_entitlement_leaves_nothing_behind(qz):
    application = checked(qz)
    operators = User.objects.filter(role="operator").count()
    with (
        mock.patch(
            "assessment.services.station_recognition.entitlement_one_time_decide",
            side_effect=RuntimeError("policy store unavailable"),
        ),
        pytest.raises(RuntimeError),
    ):
        application_recognise(application=application, actor=qz.clerk)
    assert not Station.objects.filter(region=qz.chendai).exists()
    assert User.objects.filter(role="operator").count() == operators
    assert not Entitlement.objects.exists()
    application.refresh_from_db()
    assert (application.status, application.station, application.operator) == ("checked", None, None)
    assert not AuditEntry.objects.filter(
        action__in=["station_application.recognise", "station.create"]
    ).exists()
    # And it can be recognised once the failure is gone.
    assert application_recognise(application=application, actor=qz.clerk).station.code == "350582-GS-001"


def test_a_market_gets_sixty_thousand_and_the_next_code(qz):
    application_recognise(application=checked(qz), actor=qz.clerk)
    result = application_recognise(
        application=checked(qz, kind="gig_market", station_name="晋江市陈埭零工市场"), actor=qz.clerk
    )
    assert result.station.code == "350582-GM-001"
    assert result.entitlement.amount == Decimal("60000.00")  # 002: 零工市场每家给予6万元


def test_refusal_keeps_its_reason_creates_nothing_and_the_organisation_reads_it(client, qz):
    application = apply(qz)
    with pytest.raises(ValidationError, match="须写明理由"):
        application_refuse(application=application, actor=qz.clerk, reason="  ")
    application_refuse(application=application, actor=qz.clerk, reason="场地面积不足，且无服务制度。")
    application.refresh_from_db()
    assert application.status == "refused"
    assert application.refusal_reason == "场地面积不足，且无服务制度。"
    assert Station.objects.filter(region=qz.chendai).count() == 0
    assert not User.objects.filter(role="operator", region=qz.chendai).exists()
    assert not Entitlement.objects.filter(station__region=qz.chendai).exists()
    entry = AuditEntry.objects.get(action="station_application.refuse")
    assert (entry.from_state, entry.to_state, entry.reason) == (
        "submitted",
        "refused",
        "场地面积不足，且无服务制度。",
    )
    with pytest.raises(InvalidTransition):
        application_site_check(
            application=application, actor=qz.clerk, checked_on=timezone.localdate(), findings="再看"
        )
    page = client.get(
        reverse("portal:station_application_status"),
        {"reference": application.reference, "credit_code": application.credit_code},
    ).content.decode()
    assert "不予认定" in page and "场地面积不足" in page


def test_a_check_in_the_future_is_refused(qz):
    with pytest.raises(ValidationError, match="不能晚于今天"):
        application_site_check(
            application=apply(qz),
            actor=qz.clerk,
            checked_on=timezone.localdate() + datetime.timedelta(days=1),
            findings="看过",
        )


# ---- the admin


def test_the_bureau_reviews_in_the_admin_and_sees_the_password_once(client, qz):
    application = apply(qz)
    client.force_login(qz.clerk)
    page = client.get(
        reverse("admin:stations_stationapplication_change", args=[application.pk])
    ).content.decode()
    assert "13905951111" in page and "记录现场核查" in page
    assert AuditEntry.objects.filter(action="personal_data.view").count() == 1
    paper = client.get(
        reverse("admin:stations_stationapplication_paper", args=[application.pk, "legal_rep_id"])
    )
    assert paper.status_code == 200
    assert b"".join(paper.streaming_content) == PDF
    assert AuditEntry.objects.filter(action="personal_data.view").count() == 2

    client.post(
        reverse("admin:stations_stationapplication_site_check", args=[application.pk]),
        {"checked_on": timezone.localdate().isoformat(), "findings": "场地、设施与申请一致。"},
    )
    response = client.post(
        reverse("admin:stations_stationapplication_recognise", args=[application.pk]),
        {"decided_on": timezone.localdate().isoformat()},
    )
    text = response.content.decode()
    assert "op-350582-gs-001" in text and "初始密码只显示这一次" in text
    assert "30,000.00 元" in text
    application.refresh_from_db()
    assert application.status == "recognised"


def test_another_county_and_an_auditor_do_not_reach_what_is_not_theirs(client, qz):
    application = apply(qz)
    client.force_login(qz.other_clerk)
    assert (
        client.get(reverse("admin:stations_stationapplication_change", args=[application.pk])).status_code
        == 404
    )
    assert (
        client.get(
            reverse("admin:stations_stationapplication_paper", args=[application.pk, "licence"])
        ).status_code
        == 404
    )
    listing = client.get(reverse("admin:stations_stationapplication_changelist")).content.decode()
    assert application.station_name not in listing
    client.force_login(qz.auditor)
    page = client.get(
        reverse("admin:stations_stationapplication_change", args=[application.pk])
    ).content.decode()
    assert "139****1111" in page and "13905951111" not in page
    assert (
        client.get(
            reverse("admin:stations_stationapplication_paper", args=[application.pk, "licence"])
        ).status_code
        == 403
    )
    assert not AuditEntry.objects.filter(action="personal_data.view").exists()
