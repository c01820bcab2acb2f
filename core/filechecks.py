"""Checks on uploaded files (evidence, claim papers, attachments): the bytes decide what a file is.

Operators attach ledgers （台账）， photos and the annual operations report from a phone; assessors and
auditors later open them on office PCs. A file is accepted only when its content is one of five
formats (JPEG, PNG, PDF, .xlsx, .docx; a form may allow fewer: an objection takes images and PDF
only), its name does not claim to be something else, and a zip-based Office file carries no macros,
nothing that reaches outside the file when it is opened (DDE, WEBSERVICE and the like, links to
other workbooks, external templates or objects) and cannot expand into a zip bomb. The browser's content type
and the file name are never trusted: both are chosen by whoever sends the request. Stored files get
a random name, so an operator's file name never reaches the file system.
"""

import hashlib
import html
import os
import re
import secrets
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol
from xml.etree import ElementTree

from django.utils import timezone

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# Content type -> the extension a stored file gets.
ALLOWED_TYPES: MappingProxyType[str, str] = MappingProxyType(
    {
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "application/pdf": ".pdf",
        XLSX: ".xlsx",
        DOCX: ".docx",
    }
)

# What a form asks for when Office files have no business there (a citizen's objection).
IMAGE_AND_PDF_TYPES = frozenset({"image/jpeg", "image/png", "application/pdf"})

MB = 1024 * 1024
MAX_EVIDENCE_BYTES = 20 * MB

# Limits on the inside of an .xlsx/.docx, read from the zip directory without extracting anything.
# Python's zipfile never inflates an entry past its declared file_size, so these sizes are a real
# bound for any reader built on it (openpyxl is). Real Office parts compress 3-15 times; a run of
# zeros compresses about 1000 times, which is what a zip bomb is made of.
MAX_OFFICE_UNCOMPRESSED_BYTES = 100 * MB
MAX_OFFICE_COMPRESSION_RATIO = 100
OFFICE_RATIO_CHECK_FROM_BYTES = 1 * MB  # small parts may compress absurdly well and still be harmless
MAX_OFFICE_ENTRIES = 10_000
MAX_CONTENT_TYPES_BYTES = 1 * MB  # [Content_Types].xml is a few kB in real files

_CHUNK_BYTES = 64 * 1024
_HEAD_BYTES = 4096
_TAIL_BYTES = 1024  # a PDF reader looks for %%EOF in the last 1024 bytes
_JPEG_MAX_SEGMENTS = 1000
_JPEG_MAX_FILL_BYTES = 64

# The extensions a name may carry for each content type; anything else contradicts the content.
_NAME_EXTENSIONS: dict[str, frozenset[str]] = {
    "image/jpeg": frozenset({".jpg", ".jpeg", ".jpe", ".jfif"}),
    "image/png": frozenset({".png"}),
    "application/pdf": frozenset({".pdf"}),
    XLSX: frozenset({".xlsx"}),
    DOCX: frozenset({".docx"}),
}

_TYPE_LABELS = {
    "image/jpeg": "JPG 图片",
    "image/png": "PNG 图片",
    "application/pdf": "PDF 文档",
    XLSX: "Excel 表格（.xlsx）",
    DOCX: "Word 文档（.docx）",
}

# What the name promises, for "文件“x.jpg”的内容不是图片".
_CLAIMED_KIND = {
    ".jpg": "图片",
    ".jpeg": "图片",
    ".jpe": "图片",
    ".jfif": "图片",
    ".png": "图片",
    ".pdf": "PDF 文档",
    ".xlsx": "Excel 表格",
    ".xls": "Excel 表格",
    ".docx": "Word 文档",
    ".doc": "Word 文档",
}

_ACCEPTED_SUMMARY = "只接受 JPG、PNG 图片，PDF,Excel(.xlsx)和 Word(.docx)文件"

_EXECUTABLE_PREFIXES = (
    b"\x7fELF",  # Linux
    b"MZ",  # Windows .exe/.dll
    b"\xfe\xed\xfa\xce",  # Mach-O 32-bit
    b"\xfe\xed\xfa\xcf",  # Mach-O 64-bit
    b"\xce\xfa\xed\xfe",  # Mach-O 32-bit, little-endian
    b"\xcf\xfa\xed\xfe",  # Mach-O 64-bit, little-endian
    b"\xca\xfe\xba\xbe",  # Mach-O universal binary (also a Java class file)
    b"\x00asm",  # WebAssembly
)

# Formats we refuse but can name, so the message says what to do instead of "unknown".
_KNOWN_REFUSED_PREFIXES: tuple[tuple[bytes, str], ...] = (
    (b"#!", "一个脚本程序"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "旧版 Office 文件（.doc/.xls）或设置了打开密码的 Office 文件"),
    (b"GIF8", "GIF 图片"),
    (b"BM", "BMP 图片"),
    (b"II*\x00", "TIFF 图片"),
    (b"MM\x00*", "TIFF 图片"),
    (b"Rar!\x1a\x07", "RAR 压缩包"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包"),
    (b"\x1f\x8b", "gzip 压缩包"),
)

_ADVICE_BY_WHAT = {
    "旧版 Office 文件（.doc/.xls）或设置了打开密码的 Office 文件": (
        "请用 Office 或 WPS 打开，取消打开密码，另存为 .docx 或 .xlsx 后再上传"
    ),
    "HEIC 格式的照片（苹果手机默认格式）": (
        "请在手机“设置 → 相机 → 格式”中选择“兼容性最佳”后重新拍摄，或截图后上传截图"
    ),
    "GIF 图片": "请转换为 JPG 或 PNG 后再上传",
    "BMP 图片": "请转换为 JPG 或 PNG 后再上传",
    "TIFF 图片": "请转换为 JPG、PNG 或 PDF 后再上传",
    "WebP 图片": "请转换为 JPG 或 PNG 后再上传",
}

_JPEG_FRAME_MARKERS = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
)  # SOF0..SOF15 without DHT (C4), JPG (C8) and DAC (CC)
_JPEG_STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD8)})
_MACRO_PART_NAMES = frozenset({"vbaproject.bin", "vbadata.xml"})
_PATH_SEPARATORS = re.compile(r"[/\\]")
_LEADING_DOTS_AND_SPACES = re.compile(r"^[\s.]+")
_DISPLAY_NAME_CHARS = 100
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})  # control, bidi/format, surrogates, breaks


class EvidenceError(Exception):
    """An uploaded evidence file was refused; the message tells the operator what to do."""


@dataclass(frozen=True)
class EvidenceCheck:
    """What an accepted evidence file really is."""

    content_type: str
    extension: str  # canonical, from ALLOWED_TYPES
    size: int  # bytes counted while reading, not the declared size
    sha256: str  # hex digest of the content


class UploadedEvidence(Protocol):
    """The parts of django.core.files.uploadedfile.UploadedFile that the check uses."""

    name: str | None
    size: int | None

    def read(self, size: int = -1, /) -> bytes: ...

    def seek(self, offset: int, whence: int = 0, /) -> int: ...


def check_evidence_file(
    uploaded: UploadedEvidence,
    *,
    max_bytes: int = MAX_EVIDENCE_BYTES,
    allowed_types: frozenset[str] = frozenset(ALLOWED_TYPES),
) -> EvidenceCheck:
    """Decide by content whether an uploaded file is acceptable evidence, and describe it.

    The file must be non-empty, at most ``max_bytes`` (counted while reading; the declared size only
    lets an oversized file be refused without reading it), one of ``allowed_types`` (a subset of
    ALLOWED_TYPES) by its magic bytes and inner structure, and named with an extension that agrees
    with its content (or with none).
    Reads the file once to count and hash it, plus a few seeks for the structure checks; the file
    position is back at 0 afterwards, whatever the outcome. Raises EvidenceError with a message for
    the operator.
    """
    name = safe_display_name(getattr(uploaded, "name", None) or "")
    declared_size = getattr(uploaded, "size", None)
    if declared_size is not None and declared_size > max_bytes:
        raise EvidenceError(
            f"文件“{name}”超过 {format_size(max_bytes)} 上限（实际 {format_size(declared_size)}），"
            "请压缩或拆分后再上传。"
        )
    try:
        size, sha256, head, tail = _read_counted(uploaded, name=name, max_bytes=max_bytes)
        if size == 0:
            raise EvidenceError(f"文件“{name}”是空的（0 字节），请重新选择文件后上传。")
        content_type = _content_type(uploaded, name=name, head=head, tail=tail, allowed=allowed_types)
    finally:
        uploaded.seek(0)
    _check_name_agrees(name, content_type)
    return EvidenceCheck(
        content_type=content_type, extension=ALLOWED_TYPES[content_type], size=size, sha256=sha256
    )


def evidence_storage_name(check: EvidenceCheck, *, prefix: str) -> str:
    """A fresh random storage path such as "evidence/2025/03/<32 hex digits>.pdf".

    The operator's file name is never part of it: names collide, leak personal data and can carry
    path tricks. Keep the original name (through safe_display_name) in a model field instead.
    """
    clean_prefix = prefix.strip("/")
    if not clean_prefix or "\\" in clean_prefix or ".." in clean_prefix.split("/"):
        raise ValueError(f"Storage prefix {prefix!r} must be a relative path without '..'.")
    now = timezone.now()
    if timezone.is_aware(now):
        now = timezone.localtime(now)  # file by the bureau's month, not UTC's
    return f"{clean_prefix}/{now:%Y}/{now:%m}/{secrets.token_hex(16)}{check.extension}"


def safe_display_name(name: str) -> str:
    """The user's file name, made safe to show and to send in Content-Disposition.

    Keeps only the last path component (old browsers send "C:\\Users\\...\\a.jpg"), drops control
    and invisible formatting characters (a right-to-left override can make "gpj.exe" read as
    "exe.jpg"), leading dots and spaces, and cuts the name to 100 characters, keeping a short
    extension. A name with nothing left becomes "未命名文件".
    """
    name = unicodedata.normalize("NFC", name or "")
    name = _PATH_SEPARATORS.split(name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    name = _LEADING_DOTS_AND_SPACES.sub("", name).rstrip()
    if len(name) > _DISPLAY_NAME_CHARS:
        stem, ext = os.path.splitext(name)
        if 1 < len(ext) <= 10:
            name = stem[: _DISPLAY_NAME_CHARS - len(ext)].rstrip() + ext
        else:
            name = name[:_DISPLAY_NAME_CHARS].rstrip()
    return name or "未命名文件"


def format_size(num_bytes: int) -> str:
    """A byte count as people read it: "20 MB", "512 KB", "300 字节"."""
    for unit, factor in (("MB", MB), ("KB", 1024)):
        if num_bytes >= factor:
            text = f"{num_bytes / factor:.1f}".removesuffix(".0")
            return f"{text} {unit}"
    return f"{num_bytes} 字节"


def check_office_zip(
    archive: zipfile.ZipFile,
    *,
    label: str,
    max_uncompressed_bytes: int = MAX_OFFICE_UNCOMPRESSED_BYTES,
    max_ratio: int = MAX_OFFICE_COMPRESSION_RATIO,
) -> str:
    """The content type (XLSX or DOCX) of an Office file, judged from its zip directory.

    Refuses encrypted entries, too many entries, a total uncompressed size over
    ``max_uncompressed_bytes``, an entry that expands more than ``max_ratio`` times (zip bomb),
    macros (vbaProject.bin, Excel 4.0 macro sheets, ActiveX controls, or a macroEnabled content
    type), zips that are neither .xlsx nor .docx, and content that reaches outside the file when
    opened (refuse_calling_out). [Content_Types].xml and the relationship parts are decompressed
    after their sizes are checked; formula and field parts are streamed. ``label`` starts each
    message, e.g. "文件“台账.xlsx”". Shared with the Excel reader so both refuse the same files.
    """
    infos = archive.infolist()
    if len(infos) > MAX_OFFICE_ENTRIES:
        raise EvidenceError(f"{label}包含的内部文件过多（{len(infos)} 个），不像正常的 Office 文件，已拒收。")
    if any(info.flag_bits & 0x1 for info in infos):
        raise EvidenceError(f"{label}设置了密码（已加密），无法检查内容。请取消密码后再上传。")
    total = sum(info.file_size for info in infos)
    if total > max_uncompressed_bytes:
        raise EvidenceError(
            f"{label}解压后有 {format_size(total)}，超过 {format_size(max_uncompressed_bytes)} 上限"
            "(疑似“压缩炸弹”)，已拒收。"
        )
    for info in infos:
        if info.file_size >= OFFICE_RATIO_CHECK_FROM_BYTES and (
            info.file_size > max_ratio * max(info.compress_size, 1)
        ):
            raise EvidenceError(
                f"{label}中的“{safe_display_name(info.filename)}”压缩比异常"
                f"({format_size(info.compress_size)} 解压后为 {format_size(info.file_size)},"
                "疑似“压缩炸弹”)，已拒收。"
            )
    names = {info.filename for info in infos}
    if any(n.rsplit("/", 1)[-1].lower() in _MACRO_PART_NAMES for n in names) or any(
        _normal_part(n).startswith(_MACRO_FOLDERS) for n in names
    ):
        raise EvidenceError(_macro_message(label))
    if "[Content_Types].xml" not in names:
        raise EvidenceError(f"{label}是一个普通压缩包，不是 Excel(.xlsx)或 Word(.docx)文件。")
    content_types_info = archive.getinfo("[Content_Types].xml")
    if content_types_info.file_size > MAX_CONTENT_TYPES_BYTES:
        raise EvidenceError(f"{label}的内部结构异常（[Content_Types].xml 过大），已拒收。")
    try:
        content_types = archive.read(content_types_info)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, OSError) as exc:
        raise EvidenceError(f"{label}已损坏，无法读取。请重新保存后再上传。") from exc
    if b"macroenabled" in content_types.lower():
        raise EvidenceError(_macro_message(label))
    kind = XLSX if "xl/workbook.xml" in names else DOCX if "word/document.xml" in names else None
    if kind is not None:
        refuse_calling_out(archive, label=label, kind=kind)
        return kind
    if "ppt/presentation.xml" in names:
        raise EvidenceError(f"{label}是 PowerPoint 演示文稿，不是 Excel(.xlsx)或 Word(.docx)文件。")
    raise EvidenceError(f"{label}不是 Excel(.xlsx)或 Word(.docx)文件。")


def _macro_message(label: str) -> str:
    return (
        f"{label}包含宏（VBA 代码），出于安全考虑不予接收。"
        "请在 Office 或 WPS 中另存为不含宏的 .xlsx 或 .docx 后再上传。"
    )


# --- Office content that reaches outside the file -----------------------------------------------
# A spreadsheet or document can make the PC that opens it run a program or fetch an address:
# DDE (a formula "=cmd|' /C calc'!A0", a Word field DDEAUTO), functions that fetch (WEBSERVICE,
# IMAGE) or call code (RTD, CALL, REGISTER, EXEC), links to other workbooks, data connections,
# and relationships whose target is outside the package (a remote template, object or picture).
# Clicked hyperlinks are fine: nothing happens until someone clicks. FILTERXML only parses text
# it is given, so it is left alone; without WEBSERVICE it fetches nothing.

_MACRO_FOLDERS = ("xl/macrosheets/", "xl/activex/", "word/activex/")
_EXTERNAL_WORKBOOK_PARTS = ("xl/externallinks/",)
_DATA_CONNECTION_PARTS = frozenset({"xl/connections.xml"})
_MAX_RELS_BYTES = 5 * MB  # relationship parts are a few kB in real files
_SCAN_BYTES = 1 * MB
_XLSX_FORMULA_ELEMENTS = frozenset(
    {"f", "definedName", "calculatedColumnFormula", "totalsRowFormula", "formula", "formula1", "formula2"}
)
_STRING_LITERAL = re.compile(r'"(?:[^"]|"")*"')
# Excel writes newer functions with a prefix (_xlfn.IMAGE); a name that merely ends in one of these
# (MYCALL, A.CALL) is not one of them.
_CALLING_FUNCTION = re.compile(
    r"(?<![A-Za-z0-9_.])(?:_xlfn\.|_xludf\.)?(WEBSERVICE|IMAGE|RTD|CALL|REGISTER\.ID|REGISTER|EXEC)\s*\(",
    re.IGNORECASE,
)
# Word fields that fetch or run something when the document is opened or its fields are updated.
_CALLING_FIELDS = frozenset({"DDE", "DDEAUTO", "INCLUDETEXT", "INCLUDEPICTURE", "LINK", "IMPORT"})
_EXTERNAL_TARGET_KINDS = {
    "attachedtemplate": "外部模板",
    "oleobject": "外部对象",
    "externallinkpath": "其他工作簿",
    "image": "网络图片",
    "subdocument": "外部子文档",
    "frame": "外部网页",
}


def refuse_calling_out(archive: zipfile.ZipFile, *, label: str, kind: str) -> None:
    """Refuse an .xlsx or .docx that reaches outside itself when opened (see the notes above).

    Relationship parts are read whole after a size check; formula and field parts are streamed,
    and parsed only when a byte scan finds a formula or field in them, so a large sheet of plain
    values costs one pass over its bytes. Raises EvidenceError naming what was found and where.
    """
    names = archive.namelist()
    for name in names:
        part = _normal_part(name)
        if part.startswith(_EXTERNAL_WORKBOOK_PARTS):
            raise EvidenceError(_linked_workbook_message(label))
        if part in _DATA_CONNECTION_PARTS:
            raise EvidenceError(
                f"{label}包含数据连接（打开或刷新时会从数据库或网页取数）。出于安全考虑不予接收。"
                "请删除数据连接（“数据 → 查询和连接”），或复制后用“选择性粘贴 → 数值”粘贴到新表格，保存后再上传。"
            )
    try:
        for name in names:
            if _normal_part(name).endswith(".rels"):
                _refuse_external_targets(archive, name, label=label, kind=kind)
        for name in names:
            part = _normal_part(name)
            if not part.endswith(".xml"):
                continue
            if kind == XLSX and part.startswith("xl/") and part != "xl/sharedstrings.xml":
                _refuse_calling_formulas(archive, name, label=label)
            elif kind == DOCX and part.startswith("word/"):
                _refuse_calling_fields(archive, name, label=label)
    except (
        zipfile.BadZipFile,
        ElementTree.ParseError,
        zlib.error,
        NotImplementedError,
        EOFError,
        OSError,
    ) as exc:
        raise EvidenceError(_unreadable_office(label, kind)) from exc


def _unreadable_office(label: str, kind: str) -> str:
    # The same words as the Excel import's for a file it cannot read (core/xlsx.py).
    extension = ALLOWED_TYPES[kind]
    return f"{label}已损坏或不是标准的 {extension} 文件，无法读取。请用 Office 或 WPS 另存为 {extension} 后再上传。"


def _normal_part(name: str) -> str:
    return name.replace("\\", "/").lstrip("/").lower()


def _linked_workbook_message(label: str) -> str:
    # The same words as the Excel import's (core/xlsx.py), which finds these links first there.
    return (
        f"{label}引用了其他工作簿的数据（外部链接）。请在 Excel 中点“数据 → 编辑链接 → 断开链接”"
        "（WPS：“数据 → 编辑链接 → 断开链接”），或复制后用“选择性粘贴 → 数值”粘贴回原处，保存后再上传。"
    )


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _refuse_external_targets(archive: zipfile.ZipFile, name: str, *, label: str, kind: str) -> None:
    info = archive.getinfo(name)
    if info.file_size > _MAX_RELS_BYTES:
        raise EvidenceError(_unreadable_office(label, kind))
    # A few kB, size-checked; expat (2.4.1+) refuses entity expansion bombs and ElementTree never
    # fetches external entities.
    root = ElementTree.fromstring(archive.read(info))  # noqa: S314
    for element in root.iter():
        if _local_name(element.tag) != "Relationship":
            continue
        attributes = {_local_name(key).lower(): value for key, value in element.attrib.items()}
        if attributes.get("targetmode", "").strip().lower() != "external":
            continue
        relation = attributes.get("type", "").rstrip("/").rsplit("/", 1)[-1].lower()
        if relation == "hyperlink":
            continue  # followed only when someone clicks it
        if relation == "externallinkpath":
            raise EvidenceError(_linked_workbook_message(label))
        what = _EXTERNAL_TARGET_KINDS.get(relation, "外部文件或网址")
        raise EvidenceError(
            f"{label}引用了文件之外的内容（{what}），打开时会自动访问外部。出于安全考虑不予接收。"
            "请删除这部分内容，或另存为 PDF 后再上传。"
        )


def _mentions(archive: zipfile.ZipFile, name: str, pattern: re.Pattern[bytes]) -> bool:
    """Whether the part's bytes match ``pattern`` (a short tag), streamed without parsing."""
    carry = b""
    with archive.open(name) as stream:
        while block := stream.read(_SCAN_BYTES):
            if pattern.search(carry + block):
                return True
            carry = block[-64:]
    return False


def _refuse_calling_formulas(archive: zipfile.ZipFile, name: str, *, label: str) -> None:
    """Every formula of a spreadsheet part, checked by _formula_problem.

    A byte scan reads the formulas of a part as Excel writes it (a 50,000-formula sheet in well
    under a second); a part it cannot read that way (a comment or CDATA section, a formula
    element holding markup) is parsed instead, up to _MAX_PARSED_PART_BYTES.
    """
    try:
        found = _scanned_formula_problem(archive, name)
    except _NeedsParser:
        if archive.getinfo(name).file_size > _MAX_PARSED_PART_BYTES:
            raise EvidenceError(_unreadable_office(label, XLSX)) from None
        found = _parsed_formula_problem(archive, name)
    if found is not None:
        cell, problem = found
        # "单元格 B2 含有 DDE 公式": Chinese typography puts a space around Latin words.
        place = f"单元格 {cell} " if cell else "公式"
        raise EvidenceError(
            f"{label}的{place}{_spaced('含有', problem)}，打开时会运行程序或访问外部。"
            "出于安全考虑不予接收。请把公式复制后用“选择性粘贴 → 数值”粘贴回原处，保存后再上传。"
        )


class _NeedsParser(Exception):
    """The byte scan met markup it does not read; the part goes to the XML parser."""


_FORMULA_NAMES = rb"(?:f|definedName|calculatedColumnFormula|totalsRowFormula|formula[12]?)"
_FORMULA_START = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?" + _FORMULA_NAMES + rb"(?=[\s/>])")
_FORMULA_EMPTY = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?" + _FORMULA_NAMES + rb"(?:\s[^<>]*)?/>")
_FORMULA_ELEMENT = re.compile(
    rb"<((?:[A-Za-z_][\w.\-]*:)?" + _FORMULA_NAMES + rb")(?:\s[^<>]*)?(?<!/)>([^<]*)</\1\s*>"
)
_CELL_START = re.compile(rb'<(?:[A-Za-z_][\w.\-]*:)?c\s[^<>]*?\br="([A-Za-z]{1,3}[0-9]{1,7})"')
_FORMULA_HINTS = (b"<f>", b"<f ", b":f>", b":f ", b"definedName", b"Formula", b"formula")
_MAX_PARSED_PART_BYTES = 20 * MB


def _scanned_formula_problem(archive: zipfile.ZipFile, name: str) -> tuple[str, str] | None:
    """(cell, problem) of the first formula that calls out, read from the part's bytes."""
    carry = b""
    last_cell = ""
    with archive.open(name) as stream:
        while True:
            block = stream.read(_SCAN_BYTES)
            data = carry + block
            if block:
                # Cut before the last start tag: every formula element before it is whole (its
                # text holds no "<"), and the one that starts there is read with the next block.
                cut = max(data.rfind(b"<"), 0)
                while cut > 0 and data[cut + 1 : cut + 2] == b"/":
                    cut = data.rfind(b"<", 0, cut)
                cut = max(cut, 0)
                data, carry = data[:cut], data[cut:]
                if len(carry) > _SCAN_BYTES:
                    raise _NeedsParser  # one element over a whole block: not as Excel writes
            if b"<!" in data:
                raise _NeedsParser  # a comment or CDATA could hide a formula from the scan
            if any(hint in data for hint in _FORMULA_HINTS) and _may_call_out(data):
                elements = list(_FORMULA_ELEMENT.finditer(data))
                if len(_FORMULA_START.findall(data)) != len(elements) + len(_FORMULA_EMPTY.findall(data)):
                    raise _NeedsParser  # a formula element this scan does not read whole
                for element in elements:
                    problem = _formula_problem(html.unescape(element.group(2).decode("utf-8", "replace")))
                    if problem:
                        cells = list(_CELL_START.finditer(data, 0, element.start()))
                        cell = cells[-1].group(1).decode() if cells else last_cell
                        is_cell = element.group(1).rsplit(b":", 1)[-1] == b"f"
                        return (cell if is_cell else "", problem)
            cells = list(_CELL_START.finditer(data[-4096:])) if b"r=" in data else []
            if cells:
                last_cell = cells[-1].group(1).decode()
            if not block:
                return None


# Without one of these anywhere in a block, no formula in it can call out: most blocks of a ledger
# full of SUMs are passed over without reading a single formula. Character references (&#124;)
# could spell any of them, so they send the block to the full read as well.
_CALLING_OUT_HINTS = (b"|", b"&#", b"webservice", b"image", b"rtd", b"call", b"register", b"exec")


def _may_call_out(data: bytes) -> bool:
    lowered = data.lower()
    return any(hint in lowered for hint in _CALLING_OUT_HINTS)


def _parsed_formula_problem(archive: zipfile.ZipFile, name: str) -> tuple[str, str] | None:
    cell = ""
    with archive.open(name) as stream:
        # expat refuses entity expansion bombs and ElementTree never fetches external entities.
        for event, element in ElementTree.iterparse(stream, events=("start", "end")):  # noqa: S314
            local = _local_name(element.tag)
            if event == "start":
                if local == "c":
                    cell = element.get("r", "")
                continue
            if local in _XLSX_FORMULA_ELEMENTS:
                problem = _formula_problem("".join(element.itertext()))
                if problem:
                    return (cell if local == "f" else "", problem)
            if local == "row":
                element.clear()  # keep memory flat over a long sheet
    return None


def _formula_problem(formula: str) -> str | None:
    """What in a formula reaches outside the workbook, in words, or None."""
    code = _STRING_LITERAL.sub('""', formula)  # text in quotes is only text
    if "|" in code:
        return "DDE 公式（调用其他程序）"
    found = _CALLING_FUNCTION.search(code)
    if found:
        return f"函数 {found.group(1).upper()}（访问外部）"
    return None


def _refuse_calling_fields(archive: zipfile.ZipFile, name: str, *, label: str) -> None:
    if not _mentions(archive, name, re.compile(rb"instr", re.IGNORECASE)):
        return
    if archive.getinfo(name).file_size > _MAX_PARSED_PART_BYTES:
        # Parsing takes about a second per 5 MB; a document's text part is rarely over 1 MB.
        raise EvidenceError(_unreadable_office(label, DOCX))
    with archive.open(name) as stream:
        for instruction in _field_instructions(stream):
            words = instruction.split(None, 1)
            keyword = words[0].upper() if words else ""
            if keyword in _CALLING_FIELDS:
                raise EvidenceError(
                    f"{label}含有会自动从外部取数据或运行程序的域（{keyword}）。出于安全考虑不予接收。"
                    "请在 Word 或 WPS 中全选（Ctrl+A）后按 Ctrl+Shift+F9，把域转换为普通文字，保存后再上传。"
                )


def _field_instructions(stream) -> Iterator[str]:
    """The instruction of every field in a WordprocessingML part: simple fields (w:fldSimple) and
    complex ones, whose instruction may be split over many runs (w:instrText) between the field's
    begin and separate (or end) marks, fields nested inside each other included."""
    open_fields: list[list[str] | None] = []  # None: the field's instruction was already given
    # Streamed; expat refuses entity expansion bombs and ElementTree never fetches external entities.
    for event, element in ElementTree.iterparse(stream, events=("start", "end")):  # noqa: S314
        local = _local_name(element.tag)
        if event == "start":
            if local == "fldSimple":
                yield next((v for k, v in element.attrib.items() if _local_name(k) == "instr"), "")
            elif local == "fldChar":
                mark = next((v for k, v in element.attrib.items() if _local_name(k) == "fldCharType"), "")
                if mark == "begin":
                    open_fields.append([])
                elif mark == "separate" and open_fields and open_fields[-1] is not None:
                    yield "".join(open_fields[-1])
                    open_fields[-1] = None
                elif mark == "end" and open_fields:
                    parts = open_fields.pop()
                    if parts is not None:
                        yield "".join(parts)
        elif local == "instrText" and open_fields and open_fields[-1] is not None:
            open_fields[-1].append(element.text or "")
        elif local == "p":
            element.clear()
    for parts in open_fields:
        if parts is not None:
            yield "".join(parts)


def _read_counted(uploaded: UploadedEvidence, *, name: str, max_bytes: int) -> tuple[int, str, bytes, bytes]:
    """Read the whole file once: count its bytes, hash it, and keep its first and last bytes."""
    uploaded.seek(0)
    digest = hashlib.sha256()
    size = 0
    head = b""
    tail = b""
    while chunk := uploaded.read(_CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            # The declared size lied (or was missing); stop before reading any further.
            raise EvidenceError(f"文件“{name}”超过 {format_size(max_bytes)} 上限，请压缩或拆分后再上传。")
        digest.update(chunk)
        if len(head) < _HEAD_BYTES:
            head += chunk[: _HEAD_BYTES - len(head)]
        tail = (tail + chunk[-_TAIL_BYTES:])[-_TAIL_BYTES:]
    return size, digest.hexdigest(), head, tail


def _accepted_summary(allowed: frozenset[str]) -> str:
    if allowed >= ALLOWED_TYPES.keys():
        return _ACCEPTED_SUMMARY
    return "只接受 " + "、".join(_TYPE_LABELS[t] for t in ALLOWED_TYPES if t in allowed)


def _content_type(
    uploaded: UploadedEvidence, *, name: str, head: bytes, tail: bytes, allowed: frozenset[str]
) -> str:
    """The allowed content type that the bytes are, or EvidenceError saying what they are instead."""
    content_type = _recognised_type(uploaded, name=name, head=head, tail=tail, allowed=allowed)
    if content_type not in allowed:
        raise EvidenceError(f"文件“{name}”是{_TYPE_LABELS[content_type]}，此处{_accepted_summary(allowed)}。")
    return content_type


def _recognised_type(
    uploaded: UploadedEvidence, *, name: str, head: bytes, tail: bytes, allowed: frozenset[str]
) -> str:
    if head.startswith(b"\xff\xd8\xff"):
        if not _jpeg_has_frame(uploaded):
            raise EvidenceError(
                f"文件“{name}”不是完整的 JPG 图片（找不到图像数据），可能在传输中损坏。请重新拍摄或截图后上传。"
            )
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        if not _png_header_is_valid(head):
            raise EvidenceError(f"文件“{name}”不是完整的 PNG 图片（文件头已损坏）。请重新导出或截图后上传。")
        return "image/png"
    if head.startswith(b"%PDF-"):
        if b"%%EOF" not in tail:
            raise EvidenceError(
                f"文件“{name}”不是完整的 PDF(缺少文件结尾)，可能下载或上传没有完成。请重新导出后上传。"
            )
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        if not allowed & {XLSX, DOCX}:
            # Not even opened: a form that takes no Office files has no reason to parse a zip.
            raise EvidenceError(f"文件“{name}”是压缩包或 Office 文件，此处{_accepted_summary(allowed)}。")
        label = f"文件“{name}”"
        try:
            with zipfile.ZipFile(uploaded) as archive:
                return check_office_zip(archive, label=label)
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
            # zipfile reports a mangled directory in several ways; all mean the same to the operator.
            raise EvidenceError(
                f"{label}已损坏，无法作为 Excel 或 Word 文件打开。请重新保存后再上传。"
            ) from exc
    what = _describe_refused(head)
    claimed = _CLAIMED_KIND.get(_name_extension(name), "可接受的文件")
    if what is None:
        raise EvidenceError(
            f"文件“{name}”的{_spaced('内容不是', claimed)}：无法识别它的格式。{_accepted_summary(allowed)}。"
        )
    advice = _ADVICE_BY_WHAT.get(what, f"已拒收。{_accepted_summary(allowed)}")
    raise EvidenceError(f"文件“{name}”的{_spaced('内容不是', claimed)}：它是{what}。{advice}。")


def _spaced(chinese: str, word: str) -> str:
    """Chinese text followed by a word, with the space that Chinese typography puts before Latin."""
    return f"{chinese} {word}" if word[:1].isascii() else f"{chinese}{word}"


def _describe_refused(head: bytes) -> str | None:
    if head.startswith(_EXECUTABLE_PREFIXES):
        return "一个可执行程序"
    for prefix, what in _KNOWN_REFUSED_PREFIXES:
        if head.startswith(prefix):
            return what
    if head[4:8] == b"ftyp" and head[8:12] in {b"heic", b"heix", b"hevc", b"mif1", b"msf1"}:
        return "HEIC 格式的照片（苹果手机默认格式）"
    if head[4:8] == b"ftyp":
        return "视频文件"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "WebP 图片"
    return None


def _check_name_agrees(name: str, content_type: str) -> None:
    extension = _name_extension(name)
    if extension and extension not in _NAME_EXTENSIONS[content_type]:
        canonical = ALLOWED_TYPES[content_type]
        raise EvidenceError(
            f"文件“{name}”的扩展名是 {extension}，但{_spaced('内容是', _TYPE_LABELS[content_type])}。"
            f"请确认选对了文件；如果文件本身没错，请把扩展名改为 {canonical} 后再上传。"
        )


def _name_extension(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def _png_header_is_valid(head: bytes) -> bool:
    """PNG starts with an IHDR chunk of 13 bytes: non-zero size, and a CRC that matches."""
    if len(head) < 33 or head[8:16] != b"\x00\x00\x00\x0dIHDR":
        return False
    width, height = struct.unpack(">II", head[16:24])
    (crc,) = struct.unpack(">I", head[29:33])
    return width > 0 and height > 0 and zlib.crc32(head[12:29]) == crc


def _jpeg_has_frame(uploaded: UploadedEvidence) -> bool:
    """Walk the JPEG segments from the start until a frame header (SOF) says how big the image is.

    The end marker FF D9 is not required: phones append data after it (Samsung motion photos carry
    a video there), and a real image must still describe its frame before its first scan.
    """
    uploaded.seek(2)
    for _ in range(_JPEG_MAX_SEGMENTS):
        if uploaded.read(1) != b"\xff":
            return False
        marker = uploaded.read(1)
        for _ in range(_JPEG_MAX_FILL_BYTES):
            if marker != b"\xff":
                break
            marker = uploaded.read(1)
        if not marker:
            return False
        code = marker[0]
        if code in _JPEG_FRAME_MARKERS:
            frame = uploaded.read(8)  # length, precision, height, width, components
            if len(frame) < 8:
                return False
            width = struct.unpack(">H", frame[5:7])[0]
            return width > 0 and frame[7] > 0
        if code in (0xD9, 0xDA):  # end of image, or a scan before any frame
            return False
        if code in _JPEG_STANDALONE_MARKERS:
            continue
        length_bytes = uploaded.read(2)
        if len(length_bytes) < 2:
            return False
        (length,) = struct.unpack(">H", length_bytes)
        if length < 2:
            return False
        uploaded.seek(length - 2, os.SEEK_CUR)
    return False
