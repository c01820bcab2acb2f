"""Request bodies are refused past their form's limit as they come in, before anything is stored.

The bodies here are real multipart bodies. The largest one (300 MB) is produced while it is read,
so the test never holds it, and counts how much of it the server read.
"""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http.multipartparser import MultiPartParser
from django.test import RequestFactory
from django.test.client import ClientHandler
from django.urls import resolve, reverse

from assessment.models import Objection
from assessment.services.objections import OBJECTION_ATTACHMENT_MAX_BYTES
from assessment.services.sheet_import import MAX_IMPORT_BYTES
from core.filechecks import MAX_EVIDENCE_BYTES
from core.upload_limits import FORM_OVERHEAD_BYTES, UploadLimitHandler
from subsidies.rules import ROSTER_MAX_BYTES
from tests.assessment.conftest import addresses, campaign, open_campaign, yunmeng  # noqa: F401
from tests.assessment.steps import lock_sheets, start_notice
from tests.core.test_filechecks import make_docx, make_pdf, make_png, make_xlsx

MB = 1024 * 1024
BOUNDARY = "----limits-boundary"
OBJECTION_LIMIT = OBJECTION_ATTACHMENT_MAX_BYTES + FORM_OVERHEAD_BYTES


@pytest.fixture
def noticed(world, open_campaign):  # noqa: F811
    lock_sheets(open_campaign, totals={"AAA-01": 92}, assessor=world.assessor_a, bureau=world.bureau_a)
    return start_notice(open_campaign, bureau=world.bureau_a)


@pytest.fixture
def disk(settings, tmp_path) -> dict[str, Path]:
    """Where an upload could land: the storage and the folder of spooled temporary files."""
    places = {"media": tmp_path / "media", "temp": tmp_path / "upload-temp"}
    for place in places.values():
        place.mkdir()
    settings.MEDIA_ROOT = places["media"]
    settings.FILE_UPLOAD_TEMP_DIR = places["temp"]
    return places


def files_in(places: dict[str, Path]) -> list[Path]:
    return [p for place in places.values() for p in place.rglob("*") if p.is_file()]


def multipart_head(fields: dict[str, str], *, file_field: str, filename: str) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
    )
    return b"".join(parts)


TAIL = f"\r\n--{BOUNDARY}--\r\n".encode()


class GeneratedBody(io.RawIOBase):
    """A multipart body of ``file_bytes`` zeros in one file, made as it is read; counts what is read."""

    def __init__(self, head: bytes, file_bytes: int):
        self.head, self.file_bytes, self.position, self.read_bytes = head, file_bytes, 0, 0
        self.length = len(head) + file_bytes + len(TAIL)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = min(len(buffer), self.length - self.position)
        chunk = bytearray(size)
        for i in range(size):  # only the header and trailer bytes are not zero
            pos = self.position + i
            if pos < len(self.head):
                chunk[i] = self.head[pos]
            elif pos >= len(self.head) + self.file_bytes:
                chunk[i] = TAIL[pos - len(self.head) - self.file_bytes]
            if i > 4096 and len(self.head) + 4096 < pos < len(self.head) + self.file_bytes - 4096:
                break  # the rest of this read is zeros: leave bytearray's zeros in place
        buffer[:size] = chunk
        self.position += size
        self.read_bytes += size
        return size


def objection_fields(world) -> dict[str, str]:
    return {
        "station": world.station_a.code,
        "name": "李四",
        "contact": "13912345678",
        "reason": "该驿站全年多数时间不开门。",
    }


def served(path: str, body: GeneratedBody, **extra) -> tuple[int, str]:
    """The request as gunicorn hands it over: a WSGI environ with the body as a stream."""
    environ = RequestFactory()._base_environ(
        PATH_INFO=path,
        REQUEST_METHOD="POST",
        CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
        CONTENT_LENGTH=str(body.length),
        REMOTE_ADDR="10.0.0.1",
        **{"wsgi.input": body},
        **extra,
    )
    response = ClientHandler(enforce_csrf_checks=True)(environ)
    return response.status_code, response.content.decode()


def test_an_anonymous_300_mb_objection_is_refused_before_a_byte_is_read(world, noticed, disk):
    body = GeneratedBody(
        multipart_head(objection_fields(world), file_field="attachment", filename="现场照片.pdf"), 300 * MB
    )

    status, page = served(reverse("notice:objection", args=[noticed.code]), body)

    assert status == 413
    assert "上传的内容过大" in page
    assert "本页最多接受 10.1 MB，这次提交的内容有 300 MB" in page
    assert "没有接收，也没有保存任何内容" in page
    assert body.read_bytes == 0
    assert files_in(disk) == []
    assert not Objection.objects.exists()


def test_an_objection_just_over_its_limit_is_refused_and_nothing_is_kept(client, world, noticed, disk):
    oversized = SimpleUploadedFile("扫描件.pdf", b"%PDF-1.4\n" + bytes(OBJECTION_LIMIT))

    response = client.post(
        reverse("notice:objection", args=[noticed.code]),
        {**objection_fields(world), "attachment": oversized},
        REMOTE_ADDR="10.0.0.1",
    )

    assert response.status_code == 413
    assert "上传的内容过大" in response.content.decode()
    assert files_in(disk) == []
    assert not Objection.objects.exists()


def test_an_objection_within_its_limit_is_still_filed(client, world, noticed, disk):
    response = client.post(
        reverse("notice:objection", args=[noticed.code]),
        {**objection_fields(world), "attachment": SimpleUploadedFile("扫描件.pdf", make_pdf())},
        REMOTE_ADDR="10.0.0.1",
    )

    assert "assessment/objection_thanks.html" in [t.name for t in response.templates]
    assert Objection.objects.get().attachment_name == "扫描件.pdf"


@pytest.mark.parametrize(
    ("name", "build"),
    [("台账.xlsx", make_xlsx), ("说明.docx", make_docx)],
    ids=["xlsx", "docx"],
)
def test_an_objection_attachment_must_be_an_image_or_a_pdf(client, world, noticed, disk, name, build):
    response = client.post(
        reverse("notice:objection", args=[noticed.code]),
        {**objection_fields(world), "attachment": SimpleUploadedFile(name, build())},
        REMOTE_ADDR="10.0.0.1",
    )

    assert response.status_code == 200
    assert (
        f"文件“{name}”是压缩包或 Office 文件，此处只接受 JPG 图片、PNG 图片、PDF 文档。"
        in response.content.decode()
    )
    assert not Objection.objects.exists()
    assert files_in(disk) == []


def test_a_png_objection_attachment_is_accepted(client, world, noticed, disk):
    client.post(
        reverse("notice:objection", args=[noticed.code]),
        {**objection_fields(world), "attachment": SimpleUploadedFile("照片.png", make_png())},
        REMOTE_ADDR="10.0.0.1",
    )
    assert Objection.objects.get().attachment_name == "照片.png"


def test_the_upload_handler_stops_a_body_whose_length_was_not_declared_honestly(rf, disk):
    # A server that does not bound the body by its Content-Length (or a length that lies): the
    # handler counts the file's bytes as they stream past and stops at the view's limit, before the
    # temporary file behind it grows further; the temporary file is removed.
    limit = 1 * MB
    body = GeneratedBody(multipart_head({"kind": "ledger"}, file_field="file", filename="台账.pdf"), 50 * MB)
    request = rf.post("/", content_type=f"multipart/form-data; boundary={BOUNDARY}")
    request.upload_limit = limit
    meta = {**request.META, "CONTENT_LENGTH": "1000"}
    handlers = [UploadLimitHandler(request), TemporaryFileUploadHandler(request)]

    _post, files = MultiPartParser(meta, body, handlers).parse()

    assert request.upload_refused is True
    assert dict(files) == {}
    assert body.read_bytes < limit + 4 * 64 * 1024  # a few chunks past the limit, not 50 MB
    assert files_in(disk) == []


def test_the_upload_handler_refuses_a_declared_length_over_the_limit_without_reading(rf, disk):
    body = GeneratedBody(multipart_head({}, file_field="file", filename="a.pdf"), 5 * MB)
    request = rf.post("/", content_type=f"multipart/form-data; boundary={BOUNDARY}")
    request.upload_limit = 1 * MB
    meta = {**request.META, "CONTENT_LENGTH": str(body.length)}

    post, files = MultiPartParser(
        meta, body, [UploadLimitHandler(request), TemporaryFileUploadHandler(request)]
    ).parse()

    assert (request.upload_refused, dict(post), dict(files), body.read_bytes) == (True, {}, {}, 0)


def test_a_page_without_a_declared_limit_takes_a_small_body_only(client, db, settings):
    response = client.post(
        reverse("login"),
        {"username": "x", "password": "y", "padding": "x" * settings.UPLOAD_DEFAULT_MAX_BYTES},
    )

    assert response.status_code == 413
    assert "本页最多接受 1 MB" in response.content.decode()


def test_form_fields_over_their_own_limit_get_the_same_page_not_a_bare_400(client, world, noticed, disk):
    # Within the objection's 10 MB, but the text fields alone are over DATA_UPLOAD_MAX_MEMORY_SIZE.
    response = client.post(
        reverse("notice:objection", args=[noticed.code]),
        {
            **objection_fields(world),
            "reason": "多" * (1 * MB),
            "attachment": SimpleUploadedFile("a.png", make_png()),
        },
        REMOTE_ADDR="10.0.0.1",
    )

    assert response.status_code == 413
    assert "本页最多接受 1 MB" in response.content.decode()
    assert not Objection.objects.exists()


@pytest.mark.parametrize(
    ("url_name", "args", "limit"),
    [
        ("notice:objection", ["c"], OBJECTION_ATTACHMENT_MAX_BYTES),
        ("assessment:evidence_upload", [1], MAX_EVIDENCE_BYTES),
        ("assessment:rectification_evidence_upload", [1], MAX_EVIDENCE_BYTES),
        ("subsidies:claim_material", [1], MAX_EVIDENCE_BYTES),
        ("subsidies:claim_roster", [1], ROSTER_MAX_BYTES),
        ("admin:assessment_campaign_import", [1], MAX_IMPORT_BYTES),
    ],
)
def test_every_form_that_takes_a_file_declares_the_largest_file_it_takes(url_name, args, limit):
    assert resolve(reverse(url_name, args=args)).func.upload_limit == limit + FORM_OVERHEAD_BYTES
