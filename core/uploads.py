"""Storing an uploaded file and sending a stored one back.

A file is checked by its content, saved under a random name and never left without the row that
refers to it; a stored file goes out only after the caller checked who may see it.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404

from core.filechecks import (
    ALLOWED_TYPES,
    MAX_EVIDENCE_BYTES,
    EvidenceCheck,
    EvidenceError,
    check_evidence_file,
    evidence_storage_name,
    safe_display_name,
)

# Opened in the browser; anything else downloads.
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "application/pdf"})


@dataclass(frozen=True)
class StoredUpload:
    name: str  # the random storage name
    display_name: str  # the uploader's file name, made safe to show
    check: EvidenceCheck


@contextmanager
def stored_upload(
    uploaded,
    *,
    prefix: str,
    max_bytes: int = MAX_EVIDENCE_BYTES,
    allowed_types: frozenset[str] = frozenset(ALLOWED_TYPES),
) -> Iterator[StoredUpload]:
    """Check `uploaded` by its content and store it; inside the block, write the row that refers to it.

    `allowed_types` narrows the formats a form takes (core.filechecks.IMAGE_AND_PDF_TYPES for a
    citizen's objection); Office files are accepted only without anything that calls out.

    Raises ValidationError with the checker's message for a refused file (nothing is stored). If
    the block raises, the stored file is removed again, so no file is left without its row.
    """
    try:
        check = check_evidence_file(uploaded, max_bytes=max_bytes, allowed_types=allowed_types)
    except EvidenceError as exc:
        raise ValidationError(str(exc)) from exc
    name = default_storage.save(evidence_storage_name(check, prefix=prefix), uploaded)
    try:
        yield StoredUpload(name=name, display_name=safe_display_name(uploaded.name), check=check)
    except BaseException:
        default_storage.delete(name)
        raise


def stored_file_response(name: str, *, filename: str, content_type: str) -> FileResponse:
    """A stored upload, sent only after the caller checked who may see it.

    Images and PDFs open in the browser, anything else downloads; the browser may not guess
    another type, and a sandboxing policy keeps an opened file from running anything.
    """
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404("文件不存在。") from None
    inline = content_type in INLINE_TYPES
    response = FileResponse(handle, as_attachment=not inline, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    )
    return response
