"""Storing an evidence file: checked by content, saved under a random name, recorded, never orphaned."""

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import models, transaction

from assessment.evidence import EvidenceError, check_evidence_file, evidence_storage_name, safe_display_name
from assessment.models import Evidence
from stations.models import Station, User
from stations.workflow import record_audit


def evidence_store(
    *, uploaded, actor: User, kind: str, owner: models.Model, station: Station, action: str, **belongs_to
) -> Evidence:
    """Check `uploaded` by its content, store it and write its Evidence row and an audit entry.

    `belongs_to` is `sheet=…` or `rectification=…`. Raises ValidationError with the checker's
    message for a refused file; then nothing is stored. If the row cannot be written, the stored
    file is removed again.
    """
    if kind not in Evidence.Kind.values:
        raise ValidationError("请选择材料类别。")
    try:
        check = check_evidence_file(uploaded)
    except EvidenceError as exc:
        raise ValidationError(str(exc)) from exc
    name = default_storage.save(evidence_storage_name(check, prefix="evidence"), uploaded)
    try:
        with transaction.atomic():
            evidence = Evidence.objects.create(
                kind=kind,
                file=name,
                original_name=safe_display_name(uploaded.name),
                content_type=check.content_type,
                size=check.size,
                sha256=check.sha256,
                uploaded_by=actor,
                **belongs_to,
            )
            record_audit(
                target=owner, actor=actor, action=action, station=station, reason=evidence.original_name
            )
    except Exception:
        default_storage.delete(name)  # no orphan file when the row could not be written
        raise
    return evidence
