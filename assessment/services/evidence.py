"""Storing an uploaded file: checked by content, saved under a random name, recorded, never orphaned."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import models, transaction

from assessment.evidence import (
    MAX_EVIDENCE_BYTES,
    EvidenceCheck,
    EvidenceError,
    check_evidence_file,
    evidence_storage_name,
    safe_display_name,
)
from assessment.models import Evidence
from stations.models import Station, User
from stations.workflow import record_audit


@dataclass(frozen=True)
class StoredUpload:
    name: str  # the random storage name
    display_name: str  # the uploader's file name, made safe to show
    check: EvidenceCheck


@contextmanager
def stored_upload(uploaded, *, prefix: str, max_bytes: int = MAX_EVIDENCE_BYTES) -> Iterator[StoredUpload]:
    """Check `uploaded` by its content and store it; inside the block, write the row that refers to it.

    Raises ValidationError with the checker's message for a refused file (nothing is stored). If
    the block raises, the stored file is removed again, so no file is left without its row.
    """
    try:
        check = check_evidence_file(uploaded, max_bytes=max_bytes)
    except EvidenceError as exc:
        raise ValidationError(str(exc)) from exc
    name = default_storage.save(evidence_storage_name(check, prefix=prefix), uploaded)
    try:
        yield StoredUpload(name=name, display_name=safe_display_name(uploaded.name), check=check)
    except BaseException:
        default_storage.delete(name)
        raise


def evidence_store(
    *, uploaded, actor: User, kind: str, owner: models.Model, station: Station, action: str, **belongs_to
) -> Evidence:
    """Store an evidence file and write its Evidence row and an audit entry.

    `belongs_to` is `sheet=…` or `rectification=…`. Raises ValidationError for a refused file or
    an unknown kind; then nothing is stored.
    """
    if kind not in Evidence.Kind.values:
        raise ValidationError("请选择材料类别。")
    with stored_upload(uploaded, prefix="evidence") as upload, transaction.atomic():
        evidence = Evidence.objects.create(
            kind=kind,
            file=upload.name,
            original_name=upload.display_name,
            content_type=upload.check.content_type,
            size=upload.check.size,
            sha256=upload.check.sha256,
            uploaded_by=actor,
            **belongs_to,
        )
        record_audit(target=owner, actor=actor, action=action, station=station, reason=evidence.original_name)
    return evidence
