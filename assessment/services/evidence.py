"""Storing an evidence file for a score sheet or a rectification answer: checked, stored, recorded."""

from django.core.exceptions import ValidationError
from django.db import models, transaction

from assessment.models import Evidence
from core.uploads import stored_upload
from core.workflow import record_audit
from stations.models import Station, User


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
