"""The papers a claim needs before it can be submitted, each checked by its content."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from subsidies.models import ClaimMaterial, SubsidyClaim
from subsidies.services.claims import claim_create, claim_material_add, claim_payee_update, claim_submit
from tests.core.test_filechecks import make_pdf, make_png
from tests.subsidies.rosters import upload
from tests.subsidies.steps import (
    ACCOUNT,
    add_materials,
    import_roster,
    quanzhou_station,
    stored_files,
    submitted_claim,
)

EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(240) + b"PE\x00\x00"


def submit_refusal(claim, actor) -> str:
    with pytest.raises(ValidationError) as refused:
        claim_submit(claim=claim, actor=actor)
    return refused.value.messages[0]


@pytest.fixture
def claim(world, published):
    claim = claim_create(station=world.station_a, kind="performance", year=2024, actor=world.operator_a)
    claim_payee_update(
        claim=claim, actor=world.operator_a, name="云梦县某人力资源公司", bank="工行", account=ACCOUNT
    )
    return claim


def test_a_claim_without_its_papers_cannot_be_submitted_and_the_clerk_is_told_which(world, claim):
    message = submit_refusal(claim, world.operator_a)

    assert message == (
        "还缺少以下材料，不能提交：补助申请表、岗位推荐成功花名册、考核评分表（自评表）、实施情况报告及其他佐证材料。"
    )
    claim.refresh_from_db()
    assert claim.status == SubsidyClaim.Status.DRAFT


def test_the_one_time_subsidy_asks_for_the_recognition_papers(quanzhou):
    _, _, operator = quanzhou
    claim = claim_create(
        station=quanzhou_station(quanzhou, code="QZ-01"), kind="one_time", year=2024, actor=operator
    )
    claim_material_add(
        claim=claim, actor=operator, requirement="application_form", uploaded=upload("申请表.pdf", make_pdf())
    )

    message = submit_refusal(claim, operator)

    assert message == (
        "还缺少以下材料，不能提交：营业执照或统一社会信用代码证书、法定代表人身份证复印件、"
        "场地租赁合同或产权证明、认定申请表、实施方案。"
    )


def test_the_roster_requirement_is_met_by_an_imported_roster_not_by_a_file(world, claim):
    add_materials(claim, actor=world.operator_a)
    assert submit_refusal(claim, world.operator_a) == "还缺少以下材料，不能提交：岗位推荐成功花名册。"

    with pytest.raises(ValidationError) as refused:
        claim_material_add(
            claim=claim,
            actor=world.operator_a,
            requirement="placement_roster",
            uploaded=upload("花名册.pdf", make_pdf()),
        )
    assert refused.value.messages == ["请选择本类补助要求的材料。"]

    import_roster(world.station_a, actor=world.operator_a, year=2023)  # another year's roster does not count
    assert submit_refusal(claim, world.operator_a) == "还缺少以下材料，不能提交：岗位推荐成功花名册。"

    import_roster(world.station_a, actor=world.operator_a, year=2024)
    claim_submit(claim=claim, actor=world.operator_a)
    claim.refresh_from_db()
    assert claim.status == SubsidyClaim.Status.SUBMITTED
    assert claim.submitted_at is not None


def test_a_claim_without_the_payees_account_cannot_be_submitted(world, published):
    claim = claim_create(station=world.station_a, kind="performance", year=2024, actor=world.operator_a)
    add_materials(claim, actor=world.operator_a)
    import_roster(world.station_a, actor=world.operator_a)

    assert submit_refusal(claim, world.operator_a) == "请先填写收款单位、开户银行和银行账号。"


@pytest.mark.parametrize("account", ["1234567", "6222 0212 3456 789X", ""])
def test_a_bank_account_must_be_8_to_32_digits(world, claim, account):
    with pytest.raises(ValidationError) as refused:
        claim_payee_update(claim=claim, actor=world.operator_a, name="某公司", bank="工行", account=account)
    assert refused.value.message_dict == {"payee_account": ["银行账号应为 8 到 32 位数字。"]}


def test_files_are_judged_by_their_content_and_a_renamed_program_is_not_stored(world, claim, media):
    with pytest.raises(ValidationError):
        claim_material_add(
            claim=claim,
            actor=world.operator_a,
            requirement="application_form",
            uploaded=upload("补助申请表.pdf", EXECUTABLE, "application/pdf"),
        )

    assert not ClaimMaterial.objects.exists()
    assert stored_files(media) == []


def test_an_accepted_file_is_stored_under_a_random_name_with_its_fingerprint(world, claim, media):
    material = claim_material_add(
        claim=claim,
        actor=world.operator_a,
        requirement="score_sheet",
        uploaded=upload("../../自评表.png", make_png(), "application/octet-stream"),
    )

    assert (material.original_name, material.content_type) == ("自评表.png", "image/png")
    assert len(material.sha256) == 64
    assert "自评表" not in material.file.name
    assert [p.name for p in stored_files(media)] == [material.file.name.rsplit("/", 1)[-1]]


def test_a_submitted_claim_takes_no_more_papers(world, published):
    claim = submitted_claim(world.station_a, actor=world.operator_a)

    with pytest.raises(ValidationError) as refused:
        claim_material_add(
            claim=claim,
            actor=world.operator_a,
            requirement="application_form",
            uploaded=upload("a.pdf", make_pdf()),
        )
    assert "不能再修改" in refused.value.messages[0]


def test_the_operator_uploads_papers_in_the_portal_and_sees_what_is_still_missing(
    client, world, claim, media
):
    client.force_login(world.operator_a)
    url = reverse("subsidies:claim_material", args=[claim.pk])

    response = client.post(
        url, {"requirement": "application_form", "file": upload("申请表.png", make_png())}, follow=True
    )
    page = response.content.decode()
    assert "已上传：申请表.png" in page
    assert "还缺少：岗位推荐成功花名册、考核评分表（自评表）、实施情况报告及其他佐证材料。" in page

    response = client.post(
        url, {"requirement": "score_sheet", "file": upload("自评表.pdf", EXECUTABLE)}, follow=True
    )
    assert "自评表.pdf" in response.content.decode()
    assert ClaimMaterial.objects.filter(requirement="score_sheet").count() == 0
    assert len(stored_files(media)) == 1
