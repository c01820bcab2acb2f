"""Applications to have a new station recognised (认定申请, 002 附件3), and their moves.

An organisation applies on the public application page (it has no account until it is recognised)
with the papers of 002's one-time subsidy list, and follows its application there by the
reference number it is given. The bureau of the application's county records the on-site check
(现场核查) and then recognises the station or refuses with a reason. Recognition itself, which also
decides the one-time entitlement, is `assessment.services.station_recognition.application_recognise`
(stations may not import assessment); it calls `application_station_create` here for the station
and the operator account, in its own transaction.
"""

import hashlib
import secrets
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.filechecks import IMAGE_AND_PDF_TYPES, EvidenceError, check_evidence_file
from core.notify import notify_after_commit
from core.permissions import is_superuser, may_manage, require
from core.personal_data import personal_data_access_record
from core.scoping import register_scope
from core.uploads import stored_upload
from core.workflow import Move, record_audit, transition
from stations.models import (
    APPLICATION_PAPERS,
    ApplicationAttempt,
    Region,
    Station,
    StationApplication,
    StationApplicationPaper,
    User,
)
from stations.selectors import bureau_staff_for, can_read_everything, is_regional
from stations.services import station_save, user_save

S = StationApplication.Status
APPLICATION_TRANSITIONS: dict[str, set[str]] = {
    S.SUBMITTED: {S.CHECKED, S.REFUSED},
    # Recognition rests on what the bureau saw on site: only a checked application is recognised.
    S.CHECKED: {S.RECOGNISED, S.REFUSED},
    # A decision is final; a refused organisation applies again with a new application.
    S.RECOGNISED: set(),
    S.REFUSED: set(),
}


def county_of(region: Region) -> Region:
    """The county (district) a county or township belongs to."""
    while region.level > Region.Level.COUNTY and region.parent is not None:
        region = region.parent
    return region


def _bureau_of(application, actor) -> bool:
    """002 gives recognition to the county: its own bureau checks, decides and opens the papers
    (or a superuser). A city or province clerk manages the region too, but only reads."""
    if not may_manage(actor, application.region):
        return False
    return is_superuser(actor) or actor.region_id == county_of(application.region).pk


APPLICATION_MOVES = (
    Move("site_check", "记录现场核查", to=S.CHECKED, allowed=_bureau_of),
    Move("recognise", "予以认定", to=S.RECOGNISED, allowed=_bureau_of),
    Move("refuse", "不予认定", to=S.REFUSED, allowed=_bureau_of),
)

# An address may try to file a few times an hour (a refused try counts too: a form sent again after
# a mistake): enough for an organisation, too few to flood the bureau.
APPLICATION_ATTEMPTS_PER_ADDRESS_PER_HOUR = 5
# Looking an application up: an organisation checks now and then; guessing references takes thousands.
LOOKUPS_PER_ADDRESS_PER_HOUR = 20
PAPER_MAX_BYTES = 10 * 1024 * 1024
PAPER_LABELS = {kind: label for kind, label, _ in APPLICATION_PAPERS}
REQUIRED_PAPERS = [kind for kind, _, required in APPLICATION_PAPERS if required]
# A station is recognised where it serves: a county (district) or a township (street).
APPLICATION_LEVELS = (Region.Level.COUNTY, Region.Level.TOWNSHIP)
# Short letters of the kinds in generated station codes (350582-GS-001).
KIND_CODES = {
    "gig_market": "GM",
    "gig_station": "GS",
    "doorstep_station": "DS",
    "employment_station": "ES",
    "community": "CM",
    "village": "VL",
}
# Letters and digits that are not read one for another (0/O, 1/l/I) when a clerk reads a password out.
PASSWORD_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 (an alphabet, not a password)
PASSWORD_LENGTH = 12
APPLICATION_FIELDS = (
    "organisation",
    "credit_code",
    "legal_representative",
    "station_name",
    "kind",
    "region",
    "address",
    "floor_area",
    "contact_name",
    "contact_phone",
)


def client_key(address: str) -> str:
    """A keyed hash of the visitor's address: enough to rate-limit, without storing the address."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:station_application:{address}".encode()).hexdigest()


def attempt_allowed(*, kind: str, address: str, limit: int) -> bool:
    """Record one attempt of this address, then say whether it is within `limit` in the past hour.

    Insert first, then count, each in its own commit (called outside any transaction): whichever
    attempt commits as the n-th of the hour counts at least n rows, so however many requests run at
    once, no more than `limit` are let through, with no lock. A count before the insert would let
    simultaneous requests all see the same lower number. Failed attempts count as well.
    """
    key = client_key(address)
    now = timezone.now()
    ApplicationAttempt.objects.filter(at__lt=now - timedelta(days=1)).delete()  # nothing kept longer
    ApplicationAttempt.objects.create(kind=kind, client_key=key)
    recent = ApplicationAttempt.objects.filter(kind=kind, client_key=key, at__gte=now - timedelta(hours=1))
    return recent.count() <= limit


def application_list(*, actor) -> QuerySet[StationApplication]:
    """Applications the actor may see: their region's (bureau staff, auditors), all (superusers)."""
    applications = StationApplication.objects.select_related("region", "station")
    if can_read_everything(actor):
        return applications
    if is_regional(actor):
        return applications.filter(region__path__startswith=actor.region.path)
    return applications.none()


register_scope(StationApplication, application_list)


def application_regions(within: Sequence[Region] | None = None) -> QuerySet[Region]:
    """The places an application may name: counties (districts) and townships (streets), of the
    regions `within` when given (the portal passes those whose policy pays a one-time subsidy on
    first recognition: stations may not read policies). An empty `within` offers nothing."""
    regions = Region.objects.filter(level__in=APPLICATION_LEVELS).order_by("path")
    if within is None:
        return regions
    if not within:
        return regions.none()
    under = Q()
    for region in within:
        under |= Q(path__startswith=region.path)
    return regions.filter(under)


def application_paper_problems(papers: dict) -> dict[str, list[str]]:
    """Every missing or refused paper at once, so one correction round suffices.

    Returns {paper kind: [what is wrong with it]} and, under "__all__", one line naming every
    missing paper and one line per refused paper; {} when all is well. Each file is checked by its
    content (PDF, JPG or PNG, size) but not stored.
    """
    problems: dict[str, list[str]] = {}
    summary: list[str] = []
    missing = [kind for kind in REQUIRED_PAPERS if not papers.get(kind)]
    if missing:
        summary.append(f"请上传以下材料：{'、'.join(PAPER_LABELS[kind] for kind in missing)}。")
        for kind in missing:
            problems[kind] = ["必交材料，请选择文件。"]
    for kind, label, _required in APPLICATION_PAPERS:
        if not papers.get(kind):
            continue
        try:
            check_evidence_file(papers[kind], max_bytes=PAPER_MAX_BYTES, allowed_types=IMAGE_AND_PDF_TYPES)
        except EvidenceError as exc:
            summary.append(f"{label}：{exc}")
            problems[kind] = [str(exc)]
    if summary:
        problems["__all__"] = summary
    return problems


def application_problems(
    *, data: dict, papers: dict, within: Sequence[Region] | None = None
) -> dict[str, list[str]]:
    """Every problem with an application, by field (and by paper kind, and "__all__"), in one pass:
    the fields, the place (one of `application_regions(within)`) and every paper. {} when none."""
    application = StationApplication(
        **{name: (value.strip() if isinstance(value, str) else value) for name, value in data.items()}
    )
    errors: dict[str, list[str]] = {}
    try:
        application.full_clean(exclude=["client_key"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if application.region_id is not None:
        if application.region.level not in APPLICATION_LEVELS:
            errors.setdefault("region", []).append("请选择站点所在的县（区）或乡镇（街道）。")
        elif not application_regions(within).filter(pk=application.region_id).exists():
            errors.setdefault("region", []).append(
                f"{application.region.name}不通过本页受理站点认定申请，请向所在地人社部门咨询。"
            )
    for key, messages in application_paper_problems(papers).items():
        errors.setdefault(key, []).extend(messages)
    return errors


def application_submit(
    *, data: dict, papers: dict, address: str, within: Sequence[Region] | None = None
) -> StationApplication:
    """File an application from the public page.

    Before: `data` holds APPLICATION_FIELDS (region a Region), `papers` maps each paper kind of
    APPLICATION_PAPERS to an uploaded file, the region is one of `application_regions(within)`,
    and this address tried fewer times than the hourly limit (this attempt is recorded first,
    whatever becomes of it).
    After: the application and its papers are saved (each checked by its content: PDF, JPG or PNG,
    stored under a random name), one audit row records the filing, and the region's bureau is told.
    Raises ValidationError in Chinese, a message or every problem at once by field, by paper kind
    and "__all__" (`application_problems`); nothing is kept then.
    """
    if not attempt_allowed(
        kind=ApplicationAttempt.Kind.SUBMIT, address=address, limit=APPLICATION_ATTEMPTS_PER_ADDRESS_PER_HOUR
    ):
        raise ValidationError("提交过于频繁，请一小时后再试，或直接联系所在地人社部门。")
    errors = application_problems(data=data, papers=papers, within=within)
    if errors:
        raise ValidationError(errors)
    application = StationApplication(
        **{name: (value.strip() if isinstance(value, str) else value) for name, value in data.items()}
    )
    key = client_key(address)
    with transaction.atomic(), ExitStack() as stack:
        stored = {}
        for kind, _label, _required in APPLICATION_PAPERS:
            if not papers.get(kind):
                continue
            try:
                # Images and PDF only: scans and photos of papers; the bureau has no use for Office files here.
                stored[kind] = stack.enter_context(
                    stored_upload(
                        papers[kind],
                        prefix="station_applications",
                        max_bytes=PAPER_MAX_BYTES,
                        allowed_types=IMAGE_AND_PDF_TYPES,
                    )
                )
            except ValidationError as exc:
                raise ValidationError({"__all__": [f"{PAPER_LABELS[kind]}：{exc.messages[0]}"]}) from exc
        application.client_key = key
        application.save(force_insert=True)
        StationApplicationPaper.objects.bulk_create(
            StationApplicationPaper(
                application=application,
                kind=kind,
                file=upload.name,
                name=upload.display_name[:100],
                content_type=upload.check.content_type,
                size=upload.check.size,
            )
            for kind, upload in stored.items()
        )
        record_audit(
            target=application, actor=None, action="station_application.submit", region=application.region
        )
        notify_after_commit(
            recipients=bureau_staff_for(application.region),
            subject=f"收到站点认定申请：{application.station_name}",
            body=(
                f"{application.organisation}申请认定“{application.station_name}”"
                f"（{application.get_kind_display()}，受理编号 {application.reference}），"
                "请在后台审核材料并安排现场核查。"
            ),
        )
    return application


class TooManyLookups(Exception):
    """This address looked up more applications in the past hour than LOOKUPS_PER_ADDRESS_PER_HOUR."""


def application_find(*, reference: str, credit_code: str, address: str) -> StationApplication | None:
    """The application a reference number names, only with the credit code it was filed under:
    the follow-up page shows its state to whoever holds both, never to someone guessing numbers.
    The reference ends in random letters and each address has LOOKUPS_PER_ADDRESS_PER_HOUR tries
    an hour (raises TooManyLookups past them), so neither part can be counted through."""
    if not attempt_allowed(
        kind=ApplicationAttempt.Kind.LOOKUP, address=address, limit=LOOKUPS_PER_ADDRESS_PER_HOUR
    ):
        raise TooManyLookups
    pk = StationApplication.reference_pk(reference or "")
    if pk is None:
        return None
    application = StationApplication.objects.filter(pk=pk).first()
    if application is None or application.credit_code != (credit_code or "").strip().upper():
        return None
    return application if application.reference == reference.strip().upper() else None


def _decision_day(day: date | None, application: StationApplication) -> date:
    day = day or timezone.localdate()
    if day > timezone.localdate():
        raise ValidationError("日期不能晚于今天。")
    if day < timezone.localtime(application.submitted_at).date():
        raise ValidationError("日期不能早于申请提交的日期。")
    return day


def application_site_check(
    *, application: StationApplication, actor: User, checked_on: date, findings: str
) -> StationApplication:
    """Record the on-site check: when, what was found, by whom (已提交 → 已现场核查).

    Raises Forbidden for anyone but the bureau of the application's region, ValidationError
    without findings or with a day in the future or before the filing, InvalidTransition otherwise.
    """
    require(_bureau_of(application, actor), "只有申请所在县（区）的人社局工作人员可以记录现场核查。")
    findings = (findings or "").strip()
    if not findings:
        raise ValidationError("请填写现场核查情况（场地、设施、人员、制度等）。")
    checked_on = _decision_day(checked_on, application)
    return transition(
        application,
        to=S.CHECKED,
        table=APPLICATION_TRANSITIONS,
        actor=actor,
        action="station_application.site_check",
        reason=findings,
        region=application.region,
        extra_fields={"checked_on": checked_on, "check_findings": findings, "checked_by": actor},
    )


def application_refuse(
    *, application: StationApplication, actor: User, reason: str, decided_on: date | None = None
) -> StationApplication:
    """Refuse recognition, with the reason the applicant reads on the follow-up page. Nothing is created."""
    require(_bureau_of(application, actor), "只有申请所在县（区）的人社局工作人员可以作出认定决定。")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("不予认定须写明理由，申请单位会在查询页看到。")
    decided_on = _decision_day(decided_on, application)
    application = transition(
        application,
        to=S.REFUSED,
        table=APPLICATION_TRANSITIONS,
        actor=actor,
        action="station_application.refuse",
        reason=reason,
        region=application.region,
        extra_fields={"decided_on": decided_on, "decided_by": actor, "refusal_reason": reason},
    )
    return application


def station_code_for(region: Region, kind: str) -> str:
    """The next free code of the kind in the region's county: <county code>-<kind letters>-<serial>.

    The county's code keeps codes unique across the country and tells a clerk where a station is;
    the serial counts the county's stations of the kind that were given such a code.
    """
    county = county_of(region)
    # Two clerks recognising in the same county at once would count the same codes: the county's
    # row orders them (call inside the recognition's transaction).
    Region.objects.select_for_update().filter(pk=county.pk).first()
    prefix = f"{county.code}-{KIND_CODES.get(kind, 'ST')}-"
    taken = set(Station.objects.filter(code__startswith=prefix).values_list("code", flat=True))
    serial = len(taken) + 1
    while f"{prefix}{serial:03d}" in taken:
        serial += 1
    return f"{prefix}{serial:03d}"


def one_time_password() -> str:
    """A password to give the operator once: 12 letters and digits from a random source."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def _operator_username(code: str) -> str:
    base = f"op-{code.lower()}"
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    return username


def _split_name(name: str) -> tuple[str, str]:
    """A Chinese name as (family, given): the first character is the family name, or the first two
    for a name of four characters or more (欧阳娜娜). Accounts need both (core/people.py)."""
    name = name.strip()
    cut = 2 if len(name) >= 4 else 1
    return name[:cut], name[cut:] or name[:cut]


def application_station_create(
    *, application: StationApplication, actor: User, decided_on: date | None = None
) -> tuple[Station, User, str]:
    """The station and the operator account a recognition creates; the application moves to 已认定.

    Call inside the recognition's transaction (`assessment.services.station_recognition`), which
    also decides the one-time entitlement. The station: a generated code, the application's facts,
    recognised on the decision day, active, run by the applicant. The account: an operator of that
    station, named after the contact, with the contact's phone and a one-time password, returned
    (the password is never stored or recorded in clear). Each of the three writes its audit row.
    Raises Forbidden, ValidationError or InvalidTransition (nothing saved).
    """
    require(_bureau_of(application, actor), "只有申请所在县（区）的人社局工作人员可以作出认定决定。")
    decided_on = _decision_day(decided_on, application)
    with transaction.atomic():
        locked = (
            StationApplication.objects.select_for_update().select_related("region").get(pk=application.pk)
        )
        if S.RECOGNISED not in APPLICATION_TRANSITIONS.get(locked.status, set()):
            raise ValidationError(f"“{locked}”当前为“{locked.get_status_display()}”，不能予以认定。")
        if locked.checked_on and decided_on < locked.checked_on:
            raise ValidationError("认定日期不能早于现场核查日期。")
        reason = f"认定申请 {locked.reference} 予以认定"
        station = Station(
            code=station_code_for(locked.region, locked.kind),
            name=locked.station_name,
            kind=locked.kind,
            region=locked.region,
            address=locked.address,
            floor_area=locked.floor_area,
            operator_organisation=locked.organisation,
            operator_credit_code=locked.credit_code,
            legal_representative=locked.legal_representative,
            recognized_on=decided_on,
            station_head=locked.contact_name,
            station_head_phone=locked.contact_phone,
        )
        station.full_clean()
        password = one_time_password()
        family, given = _split_name(locked.contact_name)
        operator = User(
            username=_operator_username(station.code),
            role=User.Role.OPERATOR,
            region=locked.region,
            organisation=locked.organisation,
            last_name=family,
            first_name=given,
            phone=locked.contact_phone,
        )
        operator.set_password(password)
        user_save(user=operator, actor=actor, reason=reason)
        station_save(station=station, actor=actor, reason=reason, operators=[operator])
        transition(
            locked,
            to=S.RECOGNISED,
            table=APPLICATION_TRANSITIONS,
            actor=actor,
            action="station_application.recognise",
            reason=f"认定为 {station.code} {station.name}",
            station=station,
            extra_fields={
                "decided_on": decided_on,
                "decided_by": actor,
                "station": station,
                "operator": operator,
            },
        )
    for name in ("status", "decided_on", "decided_by", "station", "operator"):
        setattr(application, name, getattr(locked, name))
    return station, operator, password


def may_see_papers(actor, application: StationApplication) -> bool:
    """The county bureau that decides (and superusers) opens the papers: they hold an ID copy."""
    return _bureau_of(application, actor)


def application_paper_open(*, paper: StationApplicationPaper, actor: User) -> StationApplicationPaper:
    """Record that the bureau opened a paper (the legal representative's ID copy is personal data).

    One `personal_data.view` row names the application and the paper, never its content.
    Raises Forbidden for anyone else, so nothing is sent unless the record was written.
    """
    application = paper.application
    require(may_see_papers(actor, application), "只有申请所在县（区）的人社局工作人员可以查看申请材料。")
    personal_data_access_record(
        actor=actor,
        export=False,
        target=application,
        what=f"认定申请 {application.reference} 的{paper.get_kind_display()}",
        count=1,
        purpose="站点认定审核",
        region=application.region,
    )
    return paper


def application_contact_view(*, application: StationApplication, actor: User) -> str:
    """The contact's phone in full, for the bureau that arranges the on-site check; recorded."""
    require(may_see_papers(actor, application), "只有申请所在县（区）的人社局工作人员可以查看联系人电话。")
    personal_data_access_record(
        actor=actor,
        export=False,
        target=application,
        what=f"认定申请 {application.reference} 的联系人电话",
        count=1,
        purpose="站点认定审核：联系现场核查",
        region=application.region,
    )
    return application.contact_phone


__all__ = [
    "APPLICATION_MOVES",
    "APPLICATION_TRANSITIONS",
    "TooManyLookups",
    "application_contact_view",
    "application_find",
    "application_list",
    "application_paper_open",
    "application_paper_problems",
    "application_problems",
    "application_refuse",
    "application_regions",
    "application_site_check",
    "application_station_create",
    "application_submit",
    "attempt_allowed",
    "may_see_papers",
    "station_code_for",
]
