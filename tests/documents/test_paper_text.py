"""What is printed and filed reads as the bureau's paper: people by name, the illustrative point
values said once (not after every item), no codes, file names or notes about our sources."""

import re

import pytest
from django.urls import reverse

from assessment.documents.score_sheet import score_sheet_pdf, station_document
from assessment.documents.tables import CampaignResultTable
from assessment.models import ScoreSheet
from subsidies.construction import ConstructionSummaryTable
from tests.documents.poppler import pdf_text
from tests.documents.test_tables import values, workbook_of

MARK = "（示例分值）"
NOTICE = "说明：本表考核项目分值为示例，以云梦县人力资源和社会保障局正式发布的考核细则为准。"
# A document number of the kind 泉人社规〔2023〕5号 (another bureau's rules), or a file's name.
DOCUMENT_NUMBER = re.compile(r"〔\d{4}〕\d+号")
FILE_NAME = re.compile(r"\.(docx?|pdf|xlsx?)\b|seeds/", re.IGNORECASE)


@pytest.fixture
def chen(world):
    """The assessor as the demo names them: 陈立 of a third-party firm."""
    user = world.assessor_a
    user.last_name, user.first_name, user.organisation = "陈", "立", "云梦县众信评估咨询有限公司"
    user.save(update_fields=["last_name", "first_name", "organisation"])
    return user


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_pdf_names_the_assessor_says_illustrative_once_and_prints_no_policy_code(
    world, chen, scored_campaign
):
    document = station_document(campaign=scored_campaign, station=world.station_a, actor=None)
    text = pdf_text(score_sheet_pdf(document))

    assert "陈立（云梦县众信评估咨询有限公司）" in compact(text)
    assert "assessor_a" not in text
    assert MARK not in compact(text)  # on no item and no section
    assert compact(text).count(NOTICE) == 1  # once, under the title
    assert "1.1 场所与硬件设施" in text
    assert scored_campaign.policy.code not in text  # yunmeng-2024: a code, not a name


def test_the_result_table_says_illustrative_once_above_its_columns(world, scored_campaign):
    workbook = workbook_of(CampaignResultTable(campaign=scored_campaign, actor=world.auditor_a).xlsx())
    cells = [str(cell) for row in values(workbook["考核结果"]) for cell in row if cell is not None]

    assert not [cell for cell in cells if MARK in cell]
    assert cells.count(NOTICE) == 1
    assert "1 驿站建设（满分15，审定）" in cells


def test_the_phone_form_shows_plain_item_titles_and_the_notice_once(client, world, evidence_campaign):
    sheet = ScoreSheet.objects.get(campaign=evidence_campaign, station=world.station_a)
    client.force_login(world.operator_a)
    page = client.get(reverse("assessment:sheet_self_edit", args=[sheet.pk])).content.decode()

    assert MARK not in page
    assert page.count(NOTICE) == 1
    assert "场所与硬件设施" in page


def test_the_construction_summary_reads_as_the_bureaus_document(world, scored_campaign):
    workbook = workbook_of(ConstructionSummaryTable(campaign=scored_campaign, actor=world.auditor_a).xlsx())
    summary = values(workbook["建设情况汇总"])
    title, period, issuer = (row[0] for row in summary[:3])
    text = "\n".join(
        str(cell) for sheet in workbook.worksheets for row in values(sheet) for cell in row if cell
    )

    assert title == "云梦县2024年度零工驿站、家门口就业服务站建设情况汇总表"
    assert period.startswith("统计年度：2024年")
    assert issuer.startswith(
        "填报单位：云梦县人力资源和社会保障局（盖章）　　报送：孝感市人力资源和社会保障局"
    )
    assert "填报日期：" in issuer
    assert summary[3][0] == "县（市、区）"  # then the figures
    assert not FILE_NAME.search(text), FILE_NAME.search(text)
    assert not DOCUMENT_NUMBER.search(text), DOCUMENT_NUMBER.search(text)
    assert "未公布" not in text and "附件7" not in text
    assert scored_campaign.code not in text and scored_campaign.policy.code not in text
