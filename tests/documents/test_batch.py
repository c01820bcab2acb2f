import io
import re
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from assessment.documents.score_sheet import BatchTiming, score_sheet_documents, score_sheets_zip
from tests.documents.poppler import pdf_text
from tests.jobs_steps import download_through_job


def read_zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def test_zip_holds_one_pdf_per_station_named_by_code_and_an_index(world, scored_campaign):
    timing = BatchTiming()
    documents = list(score_sheet_documents(campaign=scored_campaign, actor=None))
    chunks = list(score_sheets_zip(documents, timing=timing))

    files = read_zip(b"".join(chunks))
    assert sorted(files) == ["AAA-01.pdf", "AAA-02.pdf", "index.txt"]
    assert len(chunks) == 3  # one chunk per PDF as it is rendered, then the index and directory
    for document in documents:
        pdf = files[document.filename]
        assert pdf.startswith(b"%PDF-")
        assert document.station.code in pdf_text(pdf)
    index = files["index.txt"].decode("utf-8-sig")
    assert all(d.fingerprint_short in index for d in documents)
    assert timing.count == 2 and timing.pdf_bytes == files["AAA-01.pdf"].__len__() + len(files["AAA-02.pdf"])


def test_zip_rendered_by_two_worker_processes_holds_the_same_sheets_in_order(world, scored_campaign):
    documents = list(score_sheet_documents(campaign=scored_campaign, actor=None))
    timing = BatchTiming()
    with zipfile.ZipFile(
        io.BytesIO(b"".join(score_sheets_zip(documents, timing=timing, processes=2)))
    ) as archive:
        names = archive.namelist()
        pdfs = {name: archive.read(name) for name in names}

    assert names == ["AAA-01.pdf", "AAA-02.pdf", "index.txt"]
    assert timing.processes == 2 and timing.count == 2
    for document in documents:
        text = pdf_text(pdfs[document.filename])
        assert f"数据指纹 {document.fingerprint_short}" in text
        assert document.station.code in text
    assert re.search(r"合计\s+100(\.00)?\s+94\.00\s+92\.00\s+92\.00", pdf_text(pdfs["AAA-01.pdf"]))


@pytest.mark.parametrize("role", ["bureau_a", "auditor_a", "superuser"])
def test_bureau_and_auditors_download_the_zip_from_the_admin(client, world, scored_campaign, role):
    client.force_login(getattr(world, role))
    response = download_through_job(
        client, reverse("admin:assessment_campaign_score_sheets_zip", args=[scored_campaign.pk])
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f'filename="{scored_campaign.code}-score-sheets-' in response["Content-Disposition"]
    files = read_zip(b"".join(response.streaming_content))
    assert {"AAA-01.pdf", "AAA-02.pdf"} <= set(files)


def test_auditors_of_another_county_get_404_for_every_export(client, world, scored_campaign, auditor_b):
    client.force_login(auditor_b)
    for name in ("score_sheets_zip", "results_xlsx", "notice_xlsx", "construction_xlsx"):
        url = reverse(f"admin:assessment_campaign_{name}", args=[scored_campaign.pk])
        assert client.get(url).status_code == 404, name
    sheet = scored_campaign.sheets.first()
    assert client.get(reverse("admin:assessment_scoresheet_pdf", args=[sheet.pk])).status_code == 404


def test_a_city_auditor_reaches_the_county_campaign(client, world, scored_campaign, city_auditor):
    client.force_login(city_auditor)
    response = download_through_job(
        client, reverse("admin:assessment_campaign_results_xlsx", args=[scored_campaign.pk])
    )
    assert response.status_code == 200
    response.close()  # a streamed file response: closing it closes its file


def test_the_sheet_page_offers_the_pdf_with_the_fingerprint_it_prints(client, world, scored_campaign):
    sheet = scored_campaign.sheets.get(station=world.station_a)
    client.force_login(world.auditor_a)
    page = client.get(reverse("admin:assessment_scoresheet_change", args=[sheet.pk])).content.decode()
    pdf_url = reverse("admin:assessment_scoresheet_pdf", args=[sheet.pk])
    assert pdf_url in page

    response = client.get(pdf_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    short = next(score_sheet_documents(campaign=scored_campaign, actor=None)).fingerprint_short
    assert short in page
    assert f"数据指纹 {short}" in pdf_text(response.content)


def test_the_campaign_page_links_every_export_for_auditors(client, world, scored_campaign):
    client.force_login(world.auditor_a)
    page = client.get(reverse("admin:assessment_campaign_change", args=[scored_campaign.pk])).content.decode()
    for name in ("score_sheets_zip", "results_xlsx", "notice_xlsx", "construction_xlsx"):
        assert reverse(f"admin:assessment_campaign_{name}", args=[scored_campaign.pk]) in page, name


def test_command_writes_one_pdf_per_station(world, scored_campaign, tmp_path, capsys):
    out = tmp_path / "exports" / "yunmeng"
    call_command("export_score_sheets", campaign=scored_campaign.code, out=str(out))

    assert sorted(p.name for p in out.iterdir()) == ["AAA-01.pdf", "AAA-02.pdf"]
    assert "甲县城关零工驿站" in pdf_text((out / "AAA-01.pdf").read_bytes())
    printed = capsys.readouterr().out
    assert "已写入 2 个 PDF" in printed
    assert "ms" in printed


def test_command_refuses_an_unknown_campaign(world, scored_campaign, tmp_path):
    with pytest.raises(CommandError, match="没有编码为“no-such-campaign”的考核批次") as raised:
        call_command("export_score_sheets", campaign="no-such-campaign", out=str(tmp_path / "x"))
    assert raised.value.returncode == 1  # what `manage.py` exits with
    assert scored_campaign.code in str(raised.value)  # the codes it knows, to pick from
    assert not (tmp_path / "x").exists()
