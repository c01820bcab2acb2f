"""Checks on uploaded files (evidence, claim papers, attachments): the bytes decide what a file is.

Operators attach ledgers （台账）， photos and the annual operations report from a phone; assessors and
auditors later open them on office PCs. A file is accepted only when its content is one of five
formats (JPEG, PNG, PDF, .xlsx, .docx), its name does not claim to be something else, and a
zip-based Office file carries no macros and cannot expand into a zip bomb. The browser's content type
and the file name are never trusted: both are chosen by whoever sends the request. Stored files get
a random name, so an operator's file name never reaches the file system.
"""

import hashlib
import os
import re
import secrets
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

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


def check_evidence_file(uploaded: UploadedEvidence, *, max_bytes: int = MAX_EVIDENCE_BYTES) -> EvidenceCheck:
    """Decide by content whether an uploaded file is acceptable evidence, and describe it.

    The file must be non-empty, at most ``max_bytes`` (counted while reading; the declared size only
    lets an oversized file be refused without reading it), one of ALLOWED_TYPES by its magic bytes
    and inner structure, and named with an extension that agrees with its content (or with none).
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
        content_type = _content_type(uploaded, name=name, head=head, tail=tail)
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
    macros (vbaProject.bin, or a macroEnabled content type) and zips that are neither .xlsx nor
    .docx. Only [Content_Types].xml is decompressed, after its size is checked. ``label`` starts
    each message, e.g. "文件“台账.xlsx”". Shared with the Excel reader so both refuse the same files.
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
    if any(n.rsplit("/", 1)[-1].lower() in _MACRO_PART_NAMES for n in names):
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
    if "xl/workbook.xml" in names:
        return XLSX
    if "word/document.xml" in names:
        return DOCX
    if "ppt/presentation.xml" in names:
        raise EvidenceError(f"{label}是 PowerPoint 演示文稿，不是 Excel(.xlsx)或 Word(.docx)文件。")
    raise EvidenceError(f"{label}不是 Excel(.xlsx)或 Word(.docx)文件。")


def _macro_message(label: str) -> str:
    return (
        f"{label}包含宏（VBA 代码），出于安全考虑不予接收。"
        "请在 Office 或 WPS 中另存为不含宏的 .xlsx 或 .docx 后再上传。"
    )


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


def _content_type(uploaded: UploadedEvidence, *, name: str, head: bytes, tail: bytes) -> str:
    """The allowed content type that the bytes are, or EvidenceError saying what they are instead."""
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
            f"文件“{name}”的{_spaced('内容不是', claimed)}：无法识别它的格式。{_ACCEPTED_SUMMARY}。"
        )
    advice = _ADVICE_BY_WHAT.get(what, f"已拒收。{_ACCEPTED_SUMMARY}")
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
