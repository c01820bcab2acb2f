"""The audit trail every workflow writes to.

It points at the user and the station by their string names, so core imports no domain app;
the table keeps the name it was created with in stations.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class AuditEntry(models.Model):
    """One recorded change: who did what to which object, when, from which state to which, and why.

    Every workflow writes one in the same transaction as the change itself, so the history can
    never disagree with the data.
    """

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField("操作", max_length=64)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    target = GenericForeignKey("content_type", "object_id")
    object_repr = models.CharField("对象", max_length=200)
    region_path = models.CharField(max_length=255, blank=True, editable=False)
    station = models.ForeignKey(
        "stations.Station", null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    from_state = models.CharField("原状态", max_length=32, blank=True)
    to_state = models.CharField("新状态", max_length=32, blank=True)
    reason = models.TextField("原因", blank=True)
    changes = models.JSONField("变更内容", default=dict, blank=True)

    class Meta:
        db_table = "stations_auditentry"
        verbose_name = "操作记录"
        verbose_name_plural = "操作记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"
