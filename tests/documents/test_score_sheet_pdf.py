import datetime
import hashlib
import re

import pytest
import time_machine
from django.template.defaultfilters import filesizeformat

from assessment.documents.score_sheet import (
    fingerprint,
    group_hex,
    score_sheet_documents,
    score_sheet_pdf,
    station_document,
    station_fingerprint,
)
from assessment.models import CampaignResult, ScoreSheet
from assessment.services.campaigns import campaign_open, campaign_results_compute
from assessment.services.sheets import sheet_correct, sheet_lock, sheet_onsite_save, sheet_onsite_submit
from tests.assessment.builders import heshan_perfect_month
from tests.assessment.steps import assign_assessor
from tests.documents.poppler import pdf_fonts, pdf_pages, pdf_text


def document_of(campaign, station):
    return station_document(campaign=campaign, station=station, actor=None)


def test_pdf_text_holds_the_station_the_three_totals_the_result_and_the_assessor(world, scored_campaign):
    document = document_of(scored_campaign, world.station_a)
    text = pdf_text(score_sheet_pdf(document))

    assert "2024年度云梦县零工驿站运营考核评分表" in text
    assert "甲县城关零工驿站" in text
    assert "AAA-01" in text
    assert "云梦县 城关镇" in text
    # 合计 row: max, self-evaluation, on-site, final.
    assert re.search(r"合计\s+100(\.00)?\s+94\.00\s+92\.00\s+92\.00", text), text
    assert "92.00 分" in text
    assert "优秀" in text
    assert "60,000.00 元" in text
    assert "测assessor_a" in text  # family name first, as a Chinese form writes it
    assert "测bureau_a" in text
    assert "评估人员（签字）" in text


def test_every_page_carries_the_fingerprint_and_its_number_of_pages(world, scored_campaign):
    document = document_of(scored_campaign, world.station_a)
    pages = pdf_pages(score_sheet_pdf(document))

    assert len(pages) >= 2
    short = document.fingerprint_short
    assert re.fullmatch(r"[0-9a-f]{4}( [0-9a-f]{4}){3}", short)
    for number, page in enumerate(pages, start=1):
        assert f"数据指纹 {short}" in page, f"page {number} lacks the fingerprint"
        assert re.search(rf"第\s*{number}\s*页\s*共\s*{len(pages)}\s*页", page)
        assert "甲县城关零工驿站" in page  # the running header names the station on every page
    assert document.fingerprint in pages[0].replace("\n", "")  # in full, once, under the title


def test_evidence_index_lists_each_file_with_kind_size_and_hash(world, scored_campaign):
    document = document_of(scored_campaign, world.station_a)
    # The photo the fixture uploads (self_evaluate attaches a ledger PDF of its own as well).
    [evidence] = [e for e in document.evidence if e.original_name == "2024年服务台账.png"]
    text = pdf_text(score_sheet_pdf(document))

    assert "2024年服务台账.png" in text
    assert "台账" in text
    assert evidence.sha256[:16] in text
    assert filesizeformat(evidence.size).replace("\xa0", " ") in text.replace("\xa0", " ")


def test_fonts_are_embedded_with_a_chinese_font_and_no_type3(world, scored_campaign):
    fonts = pdf_fonts(score_sheet_pdf(document_of(scored_campaign, world.station_a)))

    assert fonts, "no fonts at all: the text would not be text"
    assert all(font.embedded for font in fonts), fonts
    assert not [font for font in fonts if "Type 3" in font.type], fonts
    assert any("CJK" in font.name for font in fonts), fonts


def test_a_sheet_without_results_says_not_yet_computed(world, evidence_campaign):
    text = pdf_text(score_sheet_pdf(document_of(evidence_campaign, world.station_a)))

    assert "尚未计算" in text
    assert "已提交自评" in text
    assert "94.00" in text


def test_user_text_is_printed_as_text(world, scored_campaign):
    station = scored_campaign.entries.get(station__code="AAA-02").station
    text = pdf_text(score_sheet_pdf(document_of(scored_campaign, station)), layout=False)

    assert '=HYPERLINK("http://x.invalid","点我")家门口站' in text.replace("\n", "")


def test_fingerprint_is_sha256_of_canonical_json():
    data = {"b": "二", "a": [1, "1.50"], "c": None}
    canonical = '{"a":[1,"1.50"],"b":"二","c":null}'
    assert fingerprint(data) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert group_hex("0123456789abcdef0123") == "0123 4567 89ab cdef"


def test_fingerprint_stays_for_the_same_data_and_changes_with_a_correction(world, scored_campaign):
    before = document_of(scored_campaign, world.station_a)
    with time_machine.travel(datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)):
        printed_later = document_of(scored_campaign, world.station_a)
    assert printed_later.fingerprint == before.fingerprint
    assert station_fingerprint(campaign=scored_campaign, station=world.station_a) == before.fingerprint

    sheet = ScoreSheet.objects.select_related("campaign__policy", "station").get(
        campaign=scored_campaign, station=world.station_a
    )
    inputs = dict(sheet.final_inputs)
    first = next(iter(inputs))
    inputs[first] = "0"
    sheet_correct(sheet=sheet, actor=world.bureau_a, final_inputs=inputs, reason="台账核对后更正")

    after = document_of(scored_campaign, world.station_a)
    assert after.fingerprint != before.fingerprint
    assert after.result.score != before.result.score


def test_documents_of_a_campaign_come_one_per_station_in_code_order(world, scored_campaign):
    codes = [d.station.code for d in score_sheet_documents(campaign=scored_campaign, actor=None)]
    assert codes == ["AAA-01", "AAA-02"]


@pytest.fixture
def heshan_year(heshan_world):
    """Heshan's three communities with twelve locked months: full marks but for one valid complaint
    (3.3 群众满意度, 4 of 5) in January to June, so each unit scores 99 then 100 and 99.50 for the year."""
    campaign, bureau, assessor, stations = heshan_world
    campaign_open(campaign=campaign, actor=bureau)
    for station in stations:
        sheets = ScoreSheet.objects.filter(campaign=campaign, station=station).select_related(
            "campaign__policy", "station"
        )
        assign_assessor(sheets[0], assessor=assessor, bureau=bureau)
        for sheet in sheets:
            raw = heshan_perfect_month() | {"valid_complaints": 1 if sheet.month <= 6 else 0}
            sheet_onsite_save(sheet=sheet, actor=assessor, raw=raw, gap_reasons={}, findings="")
            sheet_onsite_submit(sheet=sheet, actor=assessor)
            sheet_lock(sheet=sheet, actor=bureau)
    campaign_results_compute(campaign=campaign, actor=bureau)
    return campaign, bureau, stations


def numbers_of_row(text: str, start: str) -> list[str]:
    """The numbers on the first printed line that begins with `start` (the matrix comes before the notes)."""
    line = next(line for line in text.splitlines() if re.match(rf"\s*{re.escape(start)}\s", line))
    return re.findall(r"\d+\.\d\d", line[line.index(start) + len(start) :])


def test_monthly_pdf_sums_up_the_year_and_holds_every_month(heshan_year):
    campaign, _, stations = heshan_year
    document = document_of(campaign, stations[0])
    pdf = score_sheet_pdf(document)
    text = pdf_text(pdf)

    result = CampaignResult.objects.get(campaign=campaign, station=stations[0])
    assert str(result.score) == "99.50"
    assert document.annual_total == result.score
    assert "月度得分汇总" in text
    assert "12 个月中 12 个已审定锁定" in text
    for month in range(1, 13):  # a row per month in the summary, with who assessed and locked it
        assert re.search(rf"2024年{month}月\s+—\s+{'99' if month <= 6 else '100'}\.00\s+", text), month
    assert re.search(r"月度平均\s+99\.50", text)
    assert result.tier_label in text
    assert len(pdf) < 1_000_000  # a year of sheets stays a reasonable attachment


def test_monthly_pdf_sets_sections_and_items_out_month_by_month_with_the_mean(heshan_year):
    campaign, _, stations = heshan_year
    text = pdf_text(score_sheet_pdf(document_of(campaign, stations[0])))

    head = numbers_of_row(text, "考核项目")  # no numbers: the heads are words
    assert head == []
    head_line = next(line for line in text.splitlines() if "考核项目" in line and "月均" in line)
    assert re.findall(r"\d+月", head_line) == [f"{month}月" for month in range(1, 13)]
    # 分值, January … December, the mean.
    assert numbers_of_row(text, "3.3 群众满意度") == ["5.00"] + ["4.00"] * 6 + ["5.00"] * 6 + ["4.50"]
    assert numbers_of_row(text, "3 服务质量情况") == ["25.00"] + ["24.00"] * 6 + ["25.00"] * 6 + ["24.50"]
    assert numbers_of_row(text, "月度得分") == ["100.00"] + ["99.00"] * 6 + ["100.00"] * 6 + ["99.50"]
    assert numbers_of_row(text, "1.1 登记失业人员就业率") == ["5.00"] * 14


def test_monthly_pdf_explains_only_the_points_lost(heshan_year):
    campaign, _, stations = heshan_year
    text = pdf_text(score_sheet_pdf(document_of(campaign, stations[0])))

    # One line per month that lost the point, with the engine's explanation; none for full marks.
    assert text.count("群众有效投诉 1 例") == 6
    for month in range(1, 7):
        assert re.search(
            rf"2024年{month}月\s+月度得分 99\.00\n3\.3 群众满意度\s+审定 4\.00 / 5\.00\s+群众有效投诉", text
        )
    for month in range(7, 13):
        assert not re.search(rf"2024年{month}月\s+月度得分", text)
    assert not re.search(r"得满分 \d", text)  # "…，得满分 5 分": full marks are not explained


def test_monthly_pdf_prints_on_site_points_a_correction_changed(heshan_year):
    campaign, bureau, stations = heshan_year
    sheet = ScoreSheet.objects.select_related("campaign__policy", "station").get(
        campaign=campaign, station=stations[0], period="2024-08"
    )
    sheet_correct(
        sheet=sheet,
        actor=bureau,
        final_inputs=dict(sheet.final_inputs) | {"valid_complaints": 2},
        reason="复核投诉记录后更正",
    )
    text = pdf_text(score_sheet_pdf(document_of(campaign, stations[0])))

    assert re.search(r"2024年8月\s+月度得分 98\.00", text)
    # The on-site points the correction replaced stay on paper beside the final ones.
    assert re.search(r"3\.3 群众满意度\s+自评 —\s+现场 5\.00\s+审定 3\.00 / 5\.00", text)
    assert re.search(r"3 服务质量情况\s+自评 —\s+现场 25\.00\s+审定 23\.00 / 25\.00", text)


def test_yearly_pdf_explains_only_items_below_full_marks(world, scored_campaign):
    text = pdf_text(score_sheet_pdf(document_of(scored_campaign, world.station_a)))

    lines = {line.split()[0]: line for line in text.splitlines() if re.match(r"\s*\d\.\d\s", line)}
    full = [
        code
        for code, line in lines.items()
        if re.findall(r"\d+\.\d\d", line)[-1] == re.findall(r"\d+\.\d\d", line)[0]
    ]
    lost = [code for code in lines if code not in full]
    assert full and lost
    for code in full:
        assert "评定得" not in lines[code], lines[code]
    for code in lost:
        assert "评定得" in lines[code], lines[code]


def test_the_page_head_prints_a_name_with_quotes_as_text(world, scored_campaign):
    station = scored_campaign.entries.get(station__code="AAA-02").station
    pages = pdf_pages(score_sheet_pdf(document_of(scored_campaign, station)))

    for page in pages:
        assert '=HYPERLINK("http://x.invalid","点我")家门口站' in page.replace("\n", "")
