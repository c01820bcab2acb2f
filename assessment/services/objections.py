"""Objections （异议） to a campaign's results during the public notice, and their answers."""

import hashlib
from contextlib import nullcontext
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assessment.models import Campaign, Objection
from assessment.services.campaigns import require_bureau
from core.filechecks import IMAGE_AND_PDF_TYPES
from core.notify import notify_after_commit
from core.permissions import may_manage, require
from core.personal_data import personal_data_access_record
from core.uploads import stored_upload
from core.workflow import Move, record_audit, transition
from stations.models import Station, User
from stations.selectors import bureau_staff_for

OBJECTION_TRANSITIONS: dict[str, set[str]] = {
    Objection.Status.OPEN: {Objection.Status.ANSWERED},
    Objection.Status.ANSWERED: set(),
}
OBJECTION_MOVES = (
    Move(
        "answer",
        "答复异议",
        to=Objection.Status.ANSWERED,
        allowed=lambda objection, actor: may_manage(actor, objection.campaign.region),
    ),
)

# An address may file a few objections an hour: enough for a citizen, too few to flood the clerks.
OBJECTIONS_PER_ADDRESS_PER_HOUR = 3
OBJECTION_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


def client_key(address: str) -> str:
    """A keyed hash of the visitor's address: enough to rate-limit, without storing the address."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:objection:{address}".encode()).hexdigest()


def notice_is_open(campaign: Campaign, now=None) -> bool:
    now = now or timezone.now()
    return (
        campaign.status == Campaign.Status.NOTICE
        and campaign.notice_start is not None
        and campaign.notice_end is not None
        and campaign.notice_start <= now <= campaign.notice_end
    )


def objection_file(
    *, campaign: Campaign, station: Station, name: str, contact: str, reason: str, attachment, address: str
) -> Objection:
    """File an objection from the public notice page.

    Before: the campaign is in its notice period, the station is on its result list, and this
    address has filed fewer than the hourly limit. After: the objection is recorded (with the
    attachment checked by content and stored under a random name) and the bureau is told.
    Raises ValidationError with a message for the citizen.
    """
    key = client_key(address)
    with transaction.atomic():
        # Locking the campaign row orders this filing against a concurrent publication.
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if not notice_is_open(locked):
            raise ValidationError("不在公示期内，不能提交异议。")
        if not locked.results.filter(station=station).exists():
            raise ValidationError("该站点不在本次公示名单中。")
        recent = Objection.objects.filter(
            client_key=key, filed_at__gte=timezone.now() - timedelta(hours=1)
        ).count()
        if recent >= OBJECTIONS_PER_ADDRESS_PER_HOUR:
            raise ValidationError("提交过于频繁，请一小时后再试。如情况紧急，请拨打公示中的监督电话。")
        upload = (
            # Images and PDF only, as the form says: a citizen has no reason to send Office files.
            stored_upload(
                attachment,
                prefix="objections",
                max_bytes=OBJECTION_ATTACHMENT_MAX_BYTES,
                allowed_types=IMAGE_AND_PDF_TYPES,
            )
            if attachment
            else nullcontext()
        )
        with upload as stored:
            objection = Objection.objects.create(
                campaign=locked,
                station=station,
                name=name.strip(),
                contact=contact.strip(),
                reason=reason.strip(),
                attachment=stored.name if stored else "",
                attachment_name=stored.display_name if stored else "",
                client_key=key,
            )
            record_audit(target=objection, actor=None, action="objection.file", station=station)
        notify_after_commit(
            recipients=bureau_staff_for(station.region),
            subject=f"收到异议：{station.name}",
            body=(
                f"{locked.name}公示期间收到一件关于“{station.name}”的异议（受理编号 {objection.reference}），"
                "请在后台答复。"
            ),
        )
    return objection


def objection_answer(*, objection: Objection, actor: User, response: str) -> Objection:
    """Record the bureau's answer to an objection. Every objection must be answered before publication."""
    require_bureau(actor, objection.campaign)
    if not response.strip():
        raise ValidationError("请填写答复内容。")
    return transition(
        objection,
        to=Objection.Status.ANSWERED,
        table=OBJECTION_TRANSITIONS,
        actor=actor,
        action="objection.answer",
        reason=response.strip(),
        station=objection.station,
        extra_fields={"response": response.strip(), "responded_by": actor, "responded_at": timezone.now()},
    )


def may_reach_objector(actor: User | None, objection: Objection) -> bool:
    """Bureau staff who run the station's region (and superusers) answer the objector, so they reach them."""
    return may_manage(actor, objection.station.region)


def objection_contact_view(*, objection: Objection, actor: User) -> str:
    """The objector's contact in full, for the bureau staff who answer (the thank-you page promises a reply).

    Before: the actor may manage the station's region (`may_reach_objector`). After: one
    `personal_data.view` row names the objection and its station, never the contact itself.
    Everyone else sees the contact masked. Raises Forbidden.
    """
    require(
        may_reach_objector(actor, objection),
        "只有负责该站点所在区域的人社局工作人员可以查看异议人的联系方式。",
    )
    personal_data_access_record(
        actor=actor,
        export=False,
        target=objection,
        what=f"异议 {objection.reference} 的联系方式",
        count=1,
        purpose="答复异议",
        station=objection.station,
    )
    return objection.contact
