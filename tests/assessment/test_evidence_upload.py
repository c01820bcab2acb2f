"""Evidence files through the operator portal: stored under random names, served only to people who
may see the sheet, and every bad file refused with a message, no row and no file left behind."""

import datetime
import errno
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessment.models import Evidence
from core.filechecks import MAX_EVIDENCE_BYTES
from core.models import AuditEntry
from tests.assessment.steps import assign_assessor
from tests.core.test_filechecks import make_png

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def upload(client, sheet, name, content, kind="ledger"):
    return client.post(
        reverse("assessment:evidence_upload", args=[sheet.pk]),
        {"kind": kind, "file": SimpleUploadedFile(name, content)},
        follow=True,
    )


def download(client, evidence):
    response = client.get(reverse("assessment:evidence_download", args=[evidence.pk]))
    # Reading the stream to its end closes the file (the test client closes it then).
    body = b"".join(response.streaming_content) if response.status_code == 200 else b""
    return response, body


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        pytest.param("服务台账 2024.pdf", PDF, "application/pdf", id="pdf"),
        pytest.param("驿站门头照片.png", make_png(), "image/png", id="png"),
    ],
)
def test_an_accepted_file_is_stored_under_a_random_name(
    client, world, sheet, media, name, content, content_type
):
    client.force_login(world.operator_a)
    response = upload(client, sheet, name, content)

    assert f"已上传：{name}" in response.content.decode()
    evidence = Evidence.objects.get(sheet=sheet)
    assert (evidence.original_name, evidence.content_type, evidence.size) == (
        name,
        content_type,
        len(content),
    )
    files = stored_files(media)
    assert len(files) == 1
    assert files[0].read_bytes() == content
    assert files[0].relative_to(media).as_posix() == evidence.file.name
    assert evidence.file.name.startswith("evidence/")
    assert Path(name).stem not in evidence.file.name
    assert AuditEntry.objects.get(action="sheet.evidence_add").reason == name


def test_the_file_is_served_only_to_people_who_may_see_the_sheet(client, world, sheet, media):
    client.force_login(world.operator_a)
    upload(client, sheet, "台账.pdf", PDF)
    evidence = Evidence.objects.get()

    response, body = download(client, evidence)
    assert (response.status_code, body, response["Content-Type"]) == (200, PDF, "application/pdf")
    assert response["X-Content-Type-Options"] == "nosniff"

    client.force_login(world.bureau_a)
    assert download(client, evidence)[0].status_code == 200

    for outsider in (world.operator_b, world.bureau_b, world.assessor_a):  # assessor: not assigned
        client.force_login(outsider)
        assert download(client, evidence)[0].status_code == 404

    assign_assessor(sheet, assessor=world.assessor_a, bureau=world.bureau_a)
    client.force_login(world.assessor_a)
    assert download(client, evidence)[0].status_code == 200

    client.logout()
    assert download(client, evidence)[0].status_code == 302  # to the login page


def test_another_stations_operator_cannot_upload_to_the_sheet(client, world, sheet, media):
    client.force_login(world.operator_b)
    response = client.post(
        reverse("assessment:evidence_upload", args=[sheet.pk]),
        {"kind": "ledger", "file": SimpleUploadedFile("a.pdf", PDF)},
    )
    assert response.status_code == 404
    assert not Evidence.objects.exists()
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param("说明.txt", "这是一段文字说明".encode(), "无法识别它的格式", id="wrong-type"),
        pytest.param("动图.gif", b"GIF89a" + b"\x00" * 64, "它是GIF 图片", id="gif"),
        pytest.param("照片.jpg", b"MZ\x90\x00\x03" + b"\x00" * 200, "它是一个可执行程序", id="exe-as-jpg"),
        pytest.param(
            "照片.jpg", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "它是一个可执行程序", id="elf-as-jpg"
        ),
        pytest.param("台账.pdf", b"", "是空的（0 字节）", id="empty"),
        pytest.param("台账.png", PDF, "扩展名是 .png，但内容是 PDF", id="name-contradicts-content"),
    ],
)
def test_a_bad_file_is_refused_with_a_message_and_leaves_nothing_behind(
    client, world, sheet, media, name, content, message
):
    client.force_login(world.operator_a)
    response = upload(client, sheet, name, content)

    assert response.status_code == 200
    page = response.content.decode()
    assert message in page, page
    assert "已上传" not in page
    assert not Evidence.objects.exists()
    assert stored_files(media) == []
    assert not AuditEntry.objects.filter(action="sheet.evidence_add").exists()


def test_a_file_over_the_size_limit_is_refused(client, world, sheet, media):
    too_big = PDF[:-7] + b"\x00" * (MAX_EVIDENCE_BYTES - len(PDF) + 1) + PDF[-7:]
    assert len(too_big) == MAX_EVIDENCE_BYTES + 1
    client.force_login(world.operator_a)

    response = upload(client, sheet, "年度报告.pdf", too_big)

    assert "超过 20 MB 上限" in response.content.decode()
    assert not Evidence.objects.exists()
    assert stored_files(media) == []


def test_uploads_after_the_self_evaluation_deadline_are_refused(client, world, sheet, media):
    client.force_login(world.operator_a)
    with time_machine.travel(sheet.campaign.self_evaluation_due + datetime.timedelta(seconds=1), tick=False):
        response = upload(client, sheet, "台账.pdf", PDF)
    assert "截止" in response.content.decode()
    assert not Evidence.objects.exists()
    assert stored_files(media) == []


def test_removing_a_file_deletes_it_from_storage_after_commit(
    client, world, sheet, media, django_capture_on_commit_callbacks
):
    client.force_login(world.operator_a)
    upload(client, sheet, "台账.pdf", PDF)
    evidence = Evidence.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("assessment:evidence_delete", args=[evidence.pk]), follow=True)
    assert "已删除：台账.pdf" in response.content.decode()
    assert not Evidence.objects.exists()
    assert stored_files(media) == []


def test_another_stations_operator_cannot_remove_a_file(client, world, sheet, media):
    client.force_login(world.operator_a)
    upload(client, sheet, "台账.pdf", PDF)
    client.force_login(world.operator_b)
    evidence = Evidence.objects.get()
    assert client.post(reverse("assessment:evidence_delete", args=[evidence.pk])).status_code == 404
    assert Evidence.objects.exists()
    assert len(stored_files(media)) == 1


def test_a_failed_file_write_is_a_server_error_not_a_refusal(client, world, sheet, media, monkeypatch):
    # EACCES on the media folder raises the builtin PermissionError (an OSError). The view used to
    # catch it as if it were a refusal and show "[Errno 13] Permission denied" to the operator;
    # now only core.permissions.Forbidden is a refusal, and a broken disk is an error that is logged.
    from django.core.files.storage import FileSystemStorage

    def fail(self, name, content):
        raise PermissionError(errno.EACCES, "Permission denied", name)

    monkeypatch.setattr(FileSystemStorage, "_save", fail)
    client.force_login(world.operator_a)
    with pytest.raises(PermissionError):
        upload(client, sheet, "台账.pdf", PDF)
    assert not Evidence.objects.filter(sheet=sheet).exists()
    assert not stored_files(media)
