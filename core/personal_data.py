"""Looking at personal data in full leaves a record: who, when, what, how many people, and why.

Resident ID numbers and phones are shown and exported masked to everyone by default. A person whose
work needs them in full (`core.permissions.may_see_personal_data`) asks for them on a page of their
own, chooses a purpose (and writes one when it is 其他), and only then gets the page or the file;
`personal_data_access_record` writes the audit row first, in the same request. The row names the
roster or list, the station and the number of people, never the numbers themselves.
"""

import re

from django import forms
from django.db import models

from core.models import AuditEntry
from core.permissions import may_see_personal_data, require
from core.workflow import audit_entry

VIEW = "personal_data.view"
EXPORT = "personal_data.export"


class Purpose(models.TextChoices):
    CLAIM_REVIEW = "claim_review", "补助审核核对"
    DUPLICATES = "duplicates", "重复领取核查"
    AUDIT = "audit", "审计检查"
    OTHER = "other", "其他"


# A purpose is free text the reader writes: it must not become a place where the numbers are copied.
_LOOKS_PERSONAL = re.compile(r"\d{17}[\dXx]|(?<!\d)1\d{10}(?!\d)")


class PurposeForm(forms.Form):
    """Why the full data is needed: one of the usual purposes, or 其他 with words of one's own."""

    purpose = forms.ChoiceField(label="查看用途", choices=Purpose.choices, widget=forms.RadioSelect)
    detail = forms.CharField(
        label="用途说明",
        required=False,
        max_length=200,
        help_text="选择“其他”时必填；请勿填写身份证号或手机号。",
        widget=forms.TextInput(attrs={"size": 60}),
    )

    def clean(self):
        data = super().clean()
        detail = (data.get("detail") or "").strip()
        data["detail"] = detail
        if data.get("purpose") == Purpose.OTHER and not detail:
            self.add_error("detail", "选择“其他”时请写明用途。")
        if _LOOKS_PERSONAL.search(detail):
            self.add_error("detail", "用途说明中请勿填写身份证号或手机号。")
        return data

    def purpose_text(self) -> str:
        """The purpose as the record keeps it: its label, with the reader's words after it."""
        label = Purpose(self.cleaned_data["purpose"]).label
        detail = self.cleaned_data["detail"]
        return f"{label}：{detail}" if detail else label


def personal_data_access_record(
    *,
    actor,
    export: bool,
    target: models.Model,
    what: str,
    count: int,
    purpose: str,
    station: models.Model | None = None,
    region: models.Model | None = None,
    stations: list[str] | None = None,
) -> AuditEntry:
    """Record that `actor` saw (or exported, `export`) `count` people's data in full, and why.

    Before: the actor may see personal data and `purpose` is the text of a valid PurposeForm.
    After: one AuditEntry (`personal_data.view` / `personal_data.export`) with `what` as its
    object, the station or region it belongs to, and `changes` holding the number of people,
    the purpose and, for a list across stations, their codes. Raises Forbidden for anyone else,
    so nothing is shown unless the record was written.
    """
    require(may_see_personal_data(actor), "您的岗位不需要查看完整的身份证号和手机号，只能查看脱敏信息。")
    if not purpose.strip():
        raise ValueError("A purpose is required: build it with PurposeForm.purpose_text().")
    changes: dict = {"内容": what, "人数": count, "用途": purpose}
    if stations:
        changes["站点"] = "、".join(stations)
    entry = audit_entry(
        target=target,
        actor=actor,
        action=EXPORT if export else VIEW,
        reason=purpose,
        changes=changes,
        station=station,
        region=region,
    )
    entry.object_repr = what[:200]
    entry.save(force_insert=True)
    return entry
