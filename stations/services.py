"""Writes to stations and people. Views, admin actions and commands call these; none sets a
status field itself."""

import datetime

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import changed_fields
from core.people import person_name
from core.permissions import may_keep_account, may_manage, operates, require
from core.workflow import Move, record_audit, transition
from stations.models import Region, Station, User
from stations.validators import mask_phone

STATION_STATUS_TRANSITIONS: dict[str, set[str]] = {
    Station.Status.ACTIVE: {Station.Status.RECTIFYING, Station.Status.REVOKED},
    Station.Status.RECTIFYING: {Station.Status.ACTIVE, Station.Status.REVOKED},
    # Revocation is final: a revoked station comes back only through a new recognition.
    Station.Status.REVOKED: set(),
}
# One form chooses the new state among those the table allows.
STATION_MOVES = (
    Move(
        "status",
        "变更状态",
        to=Station.Status.values,
        allowed=lambda station, actor: may_manage(actor, station.region),
    ),
)

# Facts an operator keeps current from the portal; the registry facts stay with the bureau.
OPERATOR_EDITABLE_FIELDS = (
    "opening_hours",
    "service_phone",
    "complaint_channel",
    "station_head",
    "station_head_phone",
)
# Personal phone numbers are recorded masked in the history.
MASKED_IN_HISTORY = {"station_head_phone"}


def station_status_change(*, station: Station, to: str, actor: User, reason: str) -> Station:
    """Move a station between active, rectifying and revoked.

    Before: the actor is bureau staff whose region contains the station (or a superuser), and a
    reason is given. After: the status is saved and an audit entry records who, when, from, to
    and why. Raises Forbidden for anyone else, ValidationError without a reason, and
    InvalidTransition for a move the table does not allow (e.g. out of revoked).
    """
    require(may_manage(actor, station.region), "只有站点所在区域的人社局工作人员可以变更站点状态。")
    if not reason.strip():
        raise ValidationError("请填写变更状态的原因。")
    return transition(
        station,
        to=to,
        table=STATION_STATUS_TRANSITIONS,
        actor=actor,
        action="station.status_change",
        reason=reason.strip(),
        station=station,
    )


def station_contact_update(*, station: Station, actor: User, data: dict[str, str]) -> list[str]:
    """Save the contact facts an operator keeps current, and return the names of changed fields.

    Before: the actor operates the station. After: the changed fields are validated with the
    model's own validators, saved with `update_fields`, and one audit entry lists old and new
    values (personal phones masked). Raises Forbidden for anyone else and ValidationError
    (nothing saved) for a bad value.
    """
    require(operates(actor, station), "只有本站点的运营人员可以修改联系信息。")
    with transaction.atomic():
        # Compare with the locked row, not the caller's object: a bound form may have changed it.
        locked = Station.objects.select_for_update().get(pk=station.pk)
        changes = {}
        for name in OPERATOR_EDITABLE_FIELDS:
            if name in data and (new := (data[name] or "").strip()) != getattr(locked, name):
                changes[name] = (getattr(locked, name), new)
        if not changes:
            return []
        for name, (_, new) in changes.items():
            setattr(locked, name, new)
        locked.full_clean(exclude=[f.name for f in Station._meta.fields if f.name not in changes])
        locked.save(update_fields=[*changes, "updated_at"])
        record_audit(
            target=locked,
            actor=actor,
            action="station.contact_update",
            station=locked,
            changes={
                name: [mask_phone(old), mask_phone(new)] if name in MASKED_IN_HISTORY else [old, new]
                for name, (old, new) in changes.items()
            },
        )
    for name, (_, new) in changes.items():
        setattr(station, name, new)
    return list(changes)


def user_sync_staff_flag(user: User) -> None:
    """Admin access follows the role: bureau staff and auditors use the admin, others the portal."""
    user.is_staff = user.is_superuser or user.role in {User.Role.BUREAU, User.Role.AUDITOR}


# ---- administrative changes: each one goes through a service that records old and new values and why

# What the history keeps of a station the bureau edits (contact phones masked, see MASKED_IN_HISTORY).
STATION_AUDITED_FIELDS = (
    "code",
    "name",
    "kind",
    "category",
    "region",
    "address",
    "recognized_on",
    "recognition_level",
    "assessment_group",
    "operating_mode",
    "purchase_contract_start",
    "purchase_contract_end",
    "operator_organisation",
    "operator_credit_code",
    "legal_representative",
    "alliance",
    "floor_area",
    "station_head",
    "station_head_phone",
    "county_supervisor",
    "service_phone",
    "default_assessor",
)
USER_AUDITED_FIELDS = (
    "username",
    "role",
    "region",
    "organisation",
    "last_name",
    "first_name",
    "email",
    "phone",
    "is_active",
    "is_staff",
    "is_superuser",
)
# The roles whose accounts bureau staff keep (and whose passwords they reset); the rest only a superuser.
RESET_SHOWN = "已重置"


def _reason(reason: str) -> str:
    if not (reason or "").strip():
        raise ValidationError("请填写变更原因。")
    return reason.strip()


def _masked(changes: dict[str, list[str]], names) -> dict[str, list[str]]:
    return {k: [mask_phone(v[0]), mask_phone(v[1])] if k in names else v for k, v in changes.items()}


def station_save(*, station: Station, actor: User, reason: str, operators=None) -> Station:
    """Save a station the bureau created or edited in the admin, with its operators, and record why.

    Before: the actor manages the station's region (and, for an edit, the region it was in) and
    gives a reason; `station` carries the new values (not yet saved); `operators` (a list of users,
    or None to leave them) replaces the station's operators. After: the station is saved, and one
    audit entry (`station.create` / `station.edit`) lists every changed fact as [old, new], the
    operators as names, phones masked. Raises Forbidden or ValidationError (nothing saved).
    """
    require(may_manage(actor, station.region), "只有站点所在区域的人社局工作人员可以修改站点。")
    reason = _reason(reason)
    with transaction.atomic():
        before = Station.objects.select_for_update().filter(pk=station.pk).first() if station.pk else None
        if before is not None:
            require(may_manage(actor, before.region), "只有站点所在区域的人社局工作人员可以修改站点。")
        changes = changed_fields(before or Station(), station, STATION_AUDITED_FIELDS)
        old_operators = sorted(person_name(u) for u in before.operators.all()) if before is not None else []
        station.save()
        if operators is not None:
            station.operators.set(operators)
            new_operators = sorted(person_name(u) for u in operators)
            if new_operators != old_operators:
                changes["operators"] = ["、".join(old_operators), "、".join(new_operators)]
        if changes or before is None:
            record_audit(
                target=station,
                actor=actor,
                action="station.edit" if before is not None else "station.create",
                station=station,
                reason=reason,
                changes=_masked(changes, {"station_head_phone"}),
            )
    return station


def station_recognition_set(
    *, station: Station, level: str, on: datetime.date, actor: User, reason: str
) -> Station:
    """Write the recognition level a recognising authority decided, and record it.

    Before: the actor manages the station's region (the province that decides manages it), `level`
    is one of Station.RecognitionLevel and a reason is given. After: `recognition_level` is the new
    level; `recognized_on` is set to `on` only when the station had no recognition date, since that
    date is its first recognition (eligibility and the one-time subsidy count from it) and a later
    level does not move it; `recognition_level_on` is `on`, the date of this level. One audit entry
    (`station.recognition_set`) lists the changed facts, the level's date among them. Raises
    Forbidden or ValidationError (nothing saved).
    """
    require(may_manage(actor, station.region), "只有站点所在区域或上级的人社局工作人员可以认定站点级别。")
    if level not in Station.RecognitionLevel.values:
        raise ValidationError("请选择认定级别：省级、市级或区（县）级。")
    if on is None:
        raise ValidationError("请填写认定日期。")
    reason = _reason(reason)
    with transaction.atomic():
        locked = Station.objects.select_for_update().get(pk=station.pk)
        before = Station(
            recognition_level=locked.recognition_level,
            recognized_on=locked.recognized_on,
            recognition_level_on=locked.recognition_level_on,
        )
        locked.recognition_level = level
        locked.recognition_level_on = on
        if locked.recognized_on is None:
            locked.recognized_on = on
        changes = changed_fields(
            before, locked, ("recognition_level", "recognized_on", "recognition_level_on")
        )
        locked.save(
            update_fields=["recognition_level", "recognized_on", "recognition_level_on", "updated_at"]
        )
        record_audit(
            target=locked,
            actor=actor,
            action="station.recognition_set",
            station=locked,
            reason=reason,
            changes=changes,
        )
    station.recognition_level, station.recognized_on = locked.recognition_level, locked.recognized_on
    station.recognition_level_on = locked.recognition_level_on
    return station


def user_save(*, user: User, actor: User, reason: str) -> User:
    """Save an account created or edited in the admin, and record what changed and why.

    Before: the actor may keep the account (as it was, and as it will be: bureau staff give only
    the operator or assessor role, in their region) and gives a reason; `user` carries the new
    values. After: the staff flag follows the role, the account is saved, and one audit entry
    (`user.create` / `user.change`) lists the changed role, region, active flag, admin flags and
    personal details as [old, new] (the phone masked; a password only as “已设置”/“已重置”).
    Raises Forbidden or ValidationError (nothing saved).
    """
    refusal = "您只能管理本区域内站点运营人员和评估人员的账号。"
    reason = _reason(reason)
    require(may_keep_account(actor, user), refusal)
    if not actor.is_superuser and user.region is not None:
        require(may_manage(actor, user.region), refusal)
    user_sync_staff_flag(user)
    with transaction.atomic():
        before = User.objects.select_for_update().filter(pk=user.pk).first() if user.pk else None
        if before is not None:
            require(may_keep_account(actor, before), refusal)
        changes = _masked(changed_fields(before or User(), user, USER_AUDITED_FIELDS), {"phone"})
        if before is None:
            changes["password"] = "已设置" if user.has_usable_password() else "未设置（不能登录）"
        elif before.password != user.password:
            changes["password"] = RESET_SHOWN
        user.save()
        record_audit(
            target=user,
            actor=actor,
            action="user.change" if before is not None else "user.create",
            region=user.region or getattr(actor, "region", None),
            reason=reason,
            changes=changes,
        )
    return user


def user_password_reset(*, user: User, actor: User, password: str, reason: str) -> User:
    """Set a new password for someone who lost theirs (an operator or assessor, by bureau staff).

    Before: the actor may keep the account (bureau staff: an operator's or assessor's in their
    reach; never another clerk's, an auditor's or a superuser's), the password passes
    AUTH_PASSWORD_VALIDATORS and a reason is given. After: the password is set (the person's
    other sessions end, their session hash changes) and an audit entry records “密码：已重置” and
    why, never the password or its hash. Raises Forbidden or ValidationError (nothing saved).
    """
    require(
        may_keep_account(actor, user),
        "您只能重置本区域内站点运营人员和评估人员的密码；其他账号的密码请联系系统管理员。",
    )
    reason = _reason(reason)
    validate_password(password, user)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.set_password(password)
        locked.save(update_fields=["password"])
        record_audit(
            target=locked,
            actor=actor,
            action="user.password_reset",
            region=locked.region or getattr(actor, "region", None),
            reason=reason,
            changes={"password": RESET_SHOWN},
        )
    user.password = locked.password
    return user


def region_create(*, code: str, name: str, level: int, parent: Region | None) -> Region:
    """Add a region under `parent`, computing its path. Raises ValidationError on a bad level."""
    if parent is not None and level <= parent.level:
        raise ValidationError(f"“{name}”的层级必须低于上级“{parent.name}”。")
    path = f"{parent.path if parent else '/'}{code}/"
    return Region.objects.create(code=code, name=name, level=level, parent=parent, path=path)


__all__ = [
    "OPERATOR_EDITABLE_FIELDS",
    "STATION_MOVES",
    "STATION_STATUS_TRANSITIONS",
    "region_create",
    "station_contact_update",
    "station_recognition_set",
    "station_save",
    "station_status_change",
    "user_password_reset",
    "user_save",
    "user_sync_staff_flag",
]
