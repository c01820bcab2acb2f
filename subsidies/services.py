"""The claim's life: create (amount computed), materials and roster, submit, review, payee notice,
approve against a budget, pay once. Every move goes through `stations.workflow.transition`."""

import datetime
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from assessment.engine.subsidy import is_under_purchase_contract
from assessment.models import Campaign, CampaignResult, Policy
from assessment.services.notify import notify_after_commit
from assessment.services.policies import policy_freeze
from stations.models import Region, Station, User
from stations.selectors import station_list
from stations.validators import mask_contact, mask_id_number, mask_phone
from stations.workflow import InvalidTransition, record_audit, transition
from subsidies.models import (
    ClaimKind,
    ClaimMaterial,
    Fund,
    PayeeNotice,
    Payout,
    Placement,
    PlacementRoster,
    SubsidyClaim,
)
from subsidies.rules import (
    MATERIALS,
    ROSTER_COLUMNS,
    ROSTER_MAX_BYTES,
    ROSTER_MAX_ROWS,
    ROSTER_REQUIREMENT,
    RosterProblem,
    check_roster_rows,
    requirement_label,
)

S = SubsidyClaim.Status
CLAIM_TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.SUBMITTED},
    S.SUBMITTED: {S.REVIEWED, S.RETURNED, S.REJECTED},
    S.RETURNED: {S.SUBMITTED},
    S.REVIEWED: {S.NOTICED, S.REJECTED},
    S.NOTICED: {S.APPROVED, S.REJECTED},
    S.APPROVED: {S.PAID},
    S.REJECTED: set(),
    S.PAID: set(),
}
EDITABLE = {S.DRAFT, S.RETURNED}


class ClaimRefused(ValidationError):
    """The station may not claim this (not eligible, no amount, already claimed); the message says why."""


class RosterRefused(Exception):
    """A roster file that cannot be imported; `problems` lists every row and column at fault."""

    def __init__(self, problems: list[RosterProblem] | list[str]):
        self.problems = problems
        super().__init__(f"花名册未导入：共 {len(problems)} 处问题。")


# ------------------------------------------------------------------ who may do what


def _is_operator(actor: User, station: Station) -> bool:
    return actor.is_operator and station.operators.filter(pk=actor.pk).exists()


def _is_bureau_for(actor: User, station: Station) -> bool:
    return actor.is_superuser or (
        actor.is_bureau and actor.region is not None and actor.region.contains(station.region)
    )


def _require_bureau(actor: User, station: Station) -> None:
    if not _is_bureau_for(actor, station):
        raise PermissionError("只有站点所在区域的人社局工作人员可以办理补助审核、公示、批准和拨付。")


# ------------------------------------------------------------------ amounts


def _policies_for(station: Station, *, basis: str) -> list[Policy]:
    """Policies covering the station's kind and region with the given one-time basis, newest first.

    Of each policy code, the newest frozen version counts (the one campaigns and claims already
    use); a draft being edited counts only while no version of its code is frozen.
    """
    candidates = (
        Policy.objects.select_related("region").filter(one_time_basis=basis).order_by("-year", "-version")
    )
    chosen: dict[str, Policy] = {}
    for policy in candidates:
        if station.kind not in policy.kinds or not policy.region.contains(station.region):
            continue
        current = chosen.get(policy.code)
        if current is None or (policy.is_frozen and not current.is_frozen):
            chosen[policy.code] = policy
    return sorted(chosen.values(), key=lambda p: (p.year, p.version), reverse=True)


def claim_amount(
    *, station: Station, kind: str, year: int, claim: SubsidyClaim | None = None
) -> tuple[Policy, Campaign | None, Decimal, str]:
    """What the station may claim: (policy, campaign, amount, why), or ClaimRefused saying why not.

    performance: the station's result in the region's published campaign of that year (final
    results only; the engine already applied the tiers, eligibility and purchase-of-services rule).
    one_time: the policy's amount for the kind, in the year of first recognition, once ever, not
    during a purchase-of-services contract. start_up: the policy's amount for a unit chosen (with
    a recognition level) for that year. `claim` is the claim being rechecked: it does not count as
    an earlier one-time claim of its own.
    """
    if station.status == Station.Status.REVOKED:
        raise ClaimRefused("站点资格已撤销，不能申报补助。")
    if kind == ClaimKind.PERFORMANCE:
        results = CampaignResult.objects.select_related("campaign__policy").filter(
            station=station, campaign__year=year, campaign__status=Campaign.Status.PUBLISHED
        )
        if claim is not None and claim.campaign_id:
            results = results.filter(campaign_id=claim.campaign_id)  # a claim keeps its campaign
        elif results.count() > 1:
            raise ClaimRefused(f"本站 {year} 年度有多个已通报的考核结果，请联系人社局确定依据哪一批次申报。")
        result = results.first()
        if result is None:
            raise ClaimRefused(f"{year} 年度没有已通报的考核结果，结果通报后才能申报年度绩效补助。")
        if result.subsidy <= 0:
            raise ClaimRefused(f"按 {year} 年度考核结果，本站没有年度补助：{result.explanation}")
        why = f"{result.campaign.name}：{result.tier_label}，{result.explanation}"
        return result.campaign.policy, result.campaign, result.subsidy, why
    basis = {ClaimKind.ONE_TIME: "first_recognition", ClaimKind.START_UP: "start_up"}.get(kind)
    if basis is None:
        raise ClaimRefused("未知的补助类型。")
    # A claim keeps the (frozen) policy it was filed under.
    policies = (
        [claim.policy]
        if claim is not None
        else [p for p in _policies_for(station, basis=basis) if p.year <= year]
    )
    if not policies:
        raise ClaimRefused(f"没有适用于本站（{station.get_kind_display()}）的{ClaimKind(kind).label}政策。")
    policy = policies[0]
    amount_row = policy.one_time_amounts.filter(kind=station.kind).first()
    if amount_row is None or amount_row.amount <= 0:
        raise ClaimRefused(f"政策“{policy}”没有为{station.get_kind_display()}规定{ClaimKind(kind).label}。")
    if kind == ClaimKind.ONE_TIME:
        if station.recognized_on is None or station.recognized_on.year != year:
            raise ClaimRefused(
                f"一次性运营补助在首次认定当年申报；本站认定日期为 {station.recognized_on or '未登记'}。"
            )
        contract = None
        if station.purchase_contract_start and station.purchase_contract_end:
            contract = (station.purchase_contract_start, station.purchase_contract_end)
        if policy.purchase_of_services_excluded and (
            is_under_purchase_contract(contract, station.recognized_on)
            or is_under_purchase_contract(contract, timezone.localdate())
        ):
            raise ClaimRefused("站点在政府购买服务合同期内，不重复享受补助。")
        earlier = SubsidyClaim.objects.filter(station=station, kind=ClaimKind.ONE_TIME).exclude(
            status=S.REJECTED
        )
        if claim is not None:
            earlier = earlier.exclude(pk=claim.pk)
        if earlier.exists():
            raise ClaimRefused("一次性运营补助每个站点只能申报一次，本站已申报过。")
        why = (
            f"{policy.name}：{station.recognized_on} 首次认定，"
            f"{station.get_kind_display()}一次性补助 {amount_row.amount} 元"
        )
    else:
        if policy.year != year:
            raise ClaimRefused(f"{year} 年没有适用的启动资金政策。")
        if not station.recognition_level:
            raise ClaimRefused("启动资金只发给年初确定的建设单位（须有认定级别）。")
        why = f"{policy.name}：年初确定的建设单位，启动资金 {amount_row.amount} 元"
    return policy, None, amount_row.amount, why


# ------------------------------------------------------------------ the operator's part


def claim_create(*, station: Station, kind: str, year: int, actor: User) -> SubsidyClaim:
    """Start a claim; its amount is computed now and again at submission and approval."""
    if not (_is_operator(actor, station) or _is_bureau_for(actor, station)):
        raise PermissionError("只有本站点的运营人员或所在区域的人社局工作人员可以申报。")
    policy, campaign, amount, why = claim_amount(station=station, kind=kind, year=year)
    try:
        with transaction.atomic():
            claim = SubsidyClaim.objects.create(
                station=station,
                kind=kind,
                year=year,
                campaign=campaign,
                policy=policy,
                amount=amount,
                explanation=why,
                payee_name=station.operator_organisation,
                created_by=actor,
            )
            record_audit(
                target=claim, actor=actor, action="claim.create", station=station, to_state=claim.status
            )
            # The claim's amount rests on this policy: from now on it changes only by a new version.
            policy_freeze(policy=policy, actor=actor, reason=f"补助申报 {claim} 使用")
    except IntegrityError:
        # The database's own constraint: one claim per station, kind and year (and one one-time claim ever).
        raise ClaimRefused(f"本站 {year} 年度的{ClaimKind(kind).label}已经申报过，不能重复申报。") from None
    return claim


def _require_editable(claim: SubsidyClaim, actor: User) -> None:
    if not (_is_operator(actor, claim.station) or _is_bureau_for(actor, claim.station)):
        raise PermissionError("只有本站点的运营人员可以修改申报。")
    if claim.status not in EDITABLE:
        raise ValidationError(f"申报当前为“{claim.get_status_display()}”，不能再修改。")


def claim_payee_update(
    *, claim: SubsidyClaim, actor: User, name: str, bank: str, account: str
) -> SubsidyClaim:
    """Record the account the money goes to (the station's operator organisation's account)."""
    _require_editable(claim, actor)
    account = account.replace(" ", "")
    if not account.isdigit() or not 8 <= len(account) <= 32:
        raise ValidationError({"payee_account": "银行账号应为 8 到 32 位数字。"})
    if not name.strip() or not bank.strip():
        raise ValidationError("请填写收款单位和开户银行。")
    with transaction.atomic():
        SubsidyClaim.objects.filter(pk=claim.pk).update(
            payee_name=name.strip(), payee_bank=bank.strip(), payee_account=account
        )
        record_audit(
            target=claim,
            actor=actor,
            action="claim.payee",
            station=claim.station,
            changes={"payee_account": f"****{account[-4:]}"},
        )
    claim.payee_name, claim.payee_bank, claim.payee_account = name.strip(), bank.strip(), account
    return claim


def claim_material_add(*, claim: SubsidyClaim, actor: User, requirement: str, uploaded) -> ClaimMaterial:
    """Attach a required paper, checked by its content and stored under a random name."""
    from assessment.services.evidence import stored_upload

    _require_editable(claim, actor)
    codes = [code for code, _ in MATERIALS[claim.kind] if code != ROSTER_REQUIREMENT]
    if requirement not in codes:
        raise ValidationError("请选择本类补助要求的材料。")
    with stored_upload(uploaded, prefix="claims") as upload, transaction.atomic():
        material = ClaimMaterial.objects.create(
            claim=claim,
            requirement=requirement,
            file=upload.name,
            original_name=upload.display_name,
            content_type=upload.check.content_type,
            size=upload.check.size,
            sha256=upload.check.sha256,
            uploaded_by=actor,
        )
        record_audit(
            target=claim,
            actor=actor,
            action="claim.material_add",
            station=claim.station,
            reason=f"{requirement_label(claim.kind, requirement)}：{material.original_name}",
        )
    return material


def missing_materials(claim: SubsidyClaim) -> list[str]:
    """Labels of the required materials not yet there (the roster counts when imported with rows)."""
    have = set(claim.materials.values_list("requirement", flat=True))
    missing = []
    for code, label in MATERIALS[claim.kind]:
        if code == ROSTER_REQUIREMENT:
            if not PlacementRoster.objects.filter(
                station=claim.station, year=claim.year, row_count__gt=0
            ).exists():
                missing.append(label)
        elif code not in have:
            missing.append(label)
    return missing


def claim_submit(*, claim: SubsidyClaim, actor: User) -> SubsidyClaim:
    """Submit the claim: every required paper there, the account given, the amount recomputed."""
    _require_editable(claim, actor)
    missing = missing_materials(claim)
    if missing:
        raise ValidationError(f"还缺少以下材料，不能提交：{'、'.join(missing)}。")
    if not (claim.payee_name and claim.payee_bank and claim.payee_account):
        raise ValidationError("请先填写收款单位、开户银行和银行账号。")
    _, _, amount, why = _recheck_amount(claim)
    with transaction.atomic():
        SubsidyClaim.objects.filter(pk=claim.pk).update(amount=amount, explanation=why)
        transition(
            claim,
            to=S.SUBMITTED,
            table=CLAIM_TRANSITIONS,
            actor=actor,
            action="claim.submit",
            station=claim.station,
            extra_fields={"submitted_at": timezone.now()},
        )
        from assessment.services.notify import bureau_staff_for

        notify_after_commit(
            recipients=bureau_staff_for(claim.station.region),
            subject=f"补助申报待审核：{claim}",
            body=f"{claim.station.name}提交了{claim.get_kind_display()}申报，金额 {amount} 元。",
        )
    claim.amount, claim.explanation = amount, why
    return claim


def _recheck_amount(claim: SubsidyClaim):
    """The amount as the rules give it now (results may have been corrected since the claim began)."""
    return claim_amount(station=claim.station, kind=claim.kind, year=claim.year, claim=claim)


# ------------------------------------------------------------------ the roster


def roster_import(
    *, station: Station, year: int, file, source_name: str, actor: User | None
) -> tuple[PlacementRoster, list[str]]:
    """Import (or replace) the station's roster for `year`: every row checked first, all or nothing.

    Returns the roster and warnings: people also placed by another station the same year, which
    bureau staff should look at (not a refusal). Raises RosterRefused with every problem, or
    PermissionError. `actor` None is the command line, run by the bureau's administrator.
    """
    from assessment.xlsx import XlsxError, read_xlsx_rows

    if actor is not None and not (_is_operator(actor, station) or _is_bureau_for(actor, station)):
        raise PermissionError("只有本站点的运营人员或所在区域的人社局工作人员可以导入花名册。")
    locked_claims = SubsidyClaim.objects.filter(
        station=station, year=year, kind=ClaimKind.PERFORMANCE
    ).exclude(status__in=[*EDITABLE, S.REJECTED])
    submitted_message = "本年度补助申报已提交，花名册不能再替换；如需更正，请联系人社局退回申报。"
    if locked_claims.exists():
        raise RosterRefused([submitted_message])
    try:
        table = read_xlsx_rows(
            file, max_rows=ROSTER_MAX_ROWS, max_bytes=ROSTER_MAX_BYTES, expected_header=ROSTER_COLUMNS
        )
    except XlsxError as exc:
        # The reader quotes header cells it did not expect; a file without its header row puts a
        # person's ID number and phone there. `from None`: the unmasked text must not ride along.
        raise RosterRefused([_without_personal_data(str(exc))]) from None
    rows, problems = check_roster_rows(table.rows, year=year)
    if problems:
        raise RosterRefused(problems)
    with transaction.atomic():
        # Lock the year's claims and look again: a submission may have happened while the file was read.
        claims = SubsidyClaim.objects.select_for_update().filter(
            station=station, year=year, kind=ClaimKind.PERFORMANCE
        )
        if any(c.status not in {*EDITABLE, S.REJECTED} for c in claims):
            raise RosterRefused([submitted_message])
        roster, _ = PlacementRoster.objects.update_or_create(
            station=station,
            year=year,
            defaults={"source_name": source_name[:100], "row_count": len(rows), "imported_by": actor},
        )
        roster.rows.all().delete()
        Placement.objects.bulk_create(
            (
                Placement(
                    roster=roster,
                    row_number=r.row_number,
                    name=r.name,
                    id_number=r.id_number,
                    phone=r.phone,
                    employer=r.employer,
                    job=r.job,
                    start_date=r.start_date,
                    wage=r.wage,
                    year=year,
                    station=station,
                )
                for r in rows
            ),
            batch_size=2000,
        )
        record_audit(
            target=roster,
            actor=actor,
            action="roster.import",
            station=station,
            reason=f"{source_name[:100]}：{len(rows)} 人",
        )
    nameable = None if actor is None else set(station_list(actor=actor).values_list("pk", flat=True))
    return roster, roster_duplicate_warnings(roster, nameable=nameable)


_ID_NUMBER_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
_MOBILE_LIKE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


_DIGIT_RUN = re.compile(r"\d(?:[ \-]?\d){6,}")


def _without_personal_data(text: str) -> str:
    """`text` with anything shaped like a resident ID number or a mobile number masked."""
    text = _ID_NUMBER_LIKE.sub(lambda match: mask_id_number(match.group().upper()), text)
    text = _MOBILE_LIKE.sub(lambda match: mask_phone(match.group()), text)
    # Phones typed with spaces or dashes ("138 1234 5679"): any run of 7 or more digits.
    return _DIGIT_RUN.sub(lambda match: mask_contact(match.group()), text)


def roster_duplicate_warnings(roster: PlacementRoster, *, nameable: set[int] | None = None) -> list[str]:
    """People of this roster also on another station's roster of the same year (ID numbers not shown).

    `nameable` are the stations the reader may know of: others are counted, not named, so a
    warning never reveals another region's station (None names every station).
    """
    ids = roster.rows.values("id_number")
    others = (
        Placement.objects.filter(year=roster.year, id_number__in=ids)
        .exclude(station=roster.station)
        .values_list("id_number", "station_id", "station__code")
    )
    other_stations: dict[str, set[tuple[int, str]]] = {}
    for id_number, station_id, code in others:
        other_stations.setdefault(id_number, set()).add((station_id, code))
    warnings = []
    for row_number, name, id_number in roster.rows.filter(id_number__in=list(other_stations)).values_list(
        "row_number", "name", "id_number"
    ):
        stations = other_stations[id_number]
        named = sorted(code for sid, code in stations if nameable is None or sid in nameable)
        hidden = len(stations) - len(named)
        where = "、".join(named + ([f"其他 {hidden} 个站点"] if hidden else []))
        warnings.append(f"第 {row_number} 行 {name}：同年也在 {where} 的花名册中")
    return warnings


def roster_template() -> bytes:
    """The roster template: the header a clerk fills, and a sheet of instructions."""
    from assessment.xlsx import XlsxSheet, write_xlsx

    notes = [
        ["姓名", "必填"],
        ["身份证号码", "18 位，末位可为 X；按校验位和出生日期检查"],
        ["手机号码", "11 位手机号码"],
        ["用工单位", "必填"],
        ["岗位", "必填"],
        ["上岗日期", "YYYY-MM-DD，须在申报年度内"],
        ["月工资（元）", "大于 0，最多两位小数"],
    ]
    return write_xlsx(
        [
            XlsxSheet(
                title="花名册", header=ROSTER_COLUMNS, rows=[], column_widths=[10, 22, 14, 30, 16, 12, 12]
            ),
            XlsxSheet(title="填写说明", header=["列", "要求"], rows=notes, column_widths=[14, 50]),
        ]
    )


# ------------------------------------------------------------------ the bureau's part


def claim_review(*, claim: SubsidyClaim, actor: User, decision: str, note: str) -> SubsidyClaim:
    """Review a submitted claim: pass it on to the payee notice, return it for changes, or reject it."""
    _require_bureau(actor, claim.station)
    targets = {"pass": S.REVIEWED, "return": S.RETURNED, "reject": S.REJECTED}
    if decision not in targets:
        raise ValidationError("请选择审核结论。")
    if decision != "pass" and not note.strip():
        raise ValidationError("退回或不予补助时，请写明原因。")
    with transaction.atomic():
        transition(
            claim,
            to=targets[decision],
            table=CLAIM_TRANSITIONS,
            actor=actor,
            action=f"claim.review.{decision}",
            reason=note.strip(),
            station=claim.station,
            extra_fields={"review_note": note.strip()},
        )
        if decision != "pass":
            notify_after_commit(
                recipients=claim.station.operators.all(),
                subject=f"补助申报{'退回修改' if decision == 'return' else '不予补助'}：{claim}",
                body=f"审核意见：{note.strip()}",
            )
    return claim


def claim_reject(*, claim: SubsidyClaim, actor: User, note: str) -> SubsidyClaim:
    """Refuse a claim already reviewed or on the payee notice (e.g. after an objection to the notice)."""
    _require_bureau(actor, claim.station)
    if not note.strip():
        raise ValidationError("不予补助时，请写明原因。")
    with transaction.atomic():
        transition(
            claim,
            to=S.REJECTED,
            table=CLAIM_TRANSITIONS,
            actor=actor,
            action="claim.reject",
            reason=note.strip(),
            station=claim.station,
            extra_fields={"review_note": note.strip()},
        )
        notify_after_commit(
            recipients=claim.station.operators.all(),
            subject=f"补助申报不予补助：{claim}",
            body=f"审核意见：{note.strip()}",
        )
    return claim


def payee_notice_publish(
    *, region: Region, year: int, title: str, starts_at, ends_at, claims: list[SubsidyClaim], actor: User
) -> PayeeNotice:
    """Publish the payee list (拟补助对象公示) of reviewed claims for a notice period.

    Before: the actor is bureau staff of `region` (or above), every claim is reviewed, lies in the
    region and is of `year`, and the period ends in the future. After: the notice exists and every
    claim is on it ("noticed"), all or none. Raises PermissionError, ValidationError,
    InvalidTransition.
    """
    if not (
        actor.is_superuser or (actor.is_bureau and actor.region is not None and actor.region.contains(region))
    ):
        raise PermissionError(f"只有{region.name}（或上级）人社局的工作人员可以发布该区域的补助对象公示。")
    if not claims:
        raise ValidationError("请选择要公示的申报。")
    if ends_at <= starts_at or ends_at <= timezone.now():
        raise ValidationError("公示结束时间必须晚于开始时间和当前时间。")
    for claim in claims:
        _require_bureau(actor, claim.station)
        if not region.contains(claim.station.region):
            raise ValidationError(f"{claim} 不在{region.name}。")
        if claim.year != year:
            raise ValidationError(f"{claim} 不是 {year} 年度的申报。")
    with transaction.atomic():
        notice = PayeeNotice.objects.create(
            region=region,
            year=year,
            title=title.strip(),
            starts_at=starts_at,
            ends_at=ends_at,
            published_by=actor,
        )
        for claim in claims:
            transition(
                claim,
                to=S.NOTICED,
                table=CLAIM_TRANSITIONS,
                actor=actor,
                action="claim.notice",
                station=claim.station,
                extra_fields={"notice": notice},
            )
    return notice


def fund_remaining(fund: Fund) -> Decimal:
    """The budget less every approved or paid amount drawn on it."""
    used = fund.claims.filter(status__in=[S.APPROVED, S.PAID]).aggregate(total=Sum("approved_amount"))[
        "total"
    ]
    return fund.budget - (used or Decimal(0))


def claim_approve(*, claim: SubsidyClaim, actor: User, fund: Fund) -> SubsidyClaim:
    """Approve after the payee notice ended: the amount is recomputed and snapshot, drawn on `fund`.

    Refused while the notice runs, for a fund of another region or year, and when the fund's
    remaining budget is short (the message gives the figures). The fund row is locked, so two
    approvals at once cannot both spend the same remainder.
    """
    _require_bureau(actor, claim.station)
    if claim.notice is None or timezone.now() < claim.notice.ends_at:
        ends = timezone.localtime(claim.notice.ends_at).strftime("%Y-%m-%d %H:%M") if claim.notice else "—"
        raise ValidationError(f"补助对象公示期至 {ends} 结束，期满后才能批准。")
    if fund.year != claim.year or not fund.region.contains(claim.station.region):
        raise ValidationError(f"资金“{fund}”不是本站所在区域 {claim.year} 年度的资金。")
    from subsidies.selectors import fund_list

    if not fund_list(actor=actor).filter(pk=fund.pk).exists():
        raise PermissionError(f"资金“{fund}”不在您的管理范围内，请由其所属区域的工作人员批准。")
    _, _, amount, why = _recheck_amount(claim)
    if amount != claim.amount:
        # The public saw the noticed amount; a different one needs review and a notice of its own.
        raise ValidationError(
            f"应补助金额已由公示时的 {claim.amount:,.2f} 元变为 {amount:,.2f} 元（{why}），"
            "请将申报退回重新审核并重新公示。"
        )
    with transaction.atomic():
        locked_fund = Fund.objects.select_for_update().get(pk=fund.pk)
        remaining = fund_remaining(locked_fund)
        if amount > remaining:
            used = locked_fund.budget - remaining
            raise ValidationError(
                f"预算不足：资金“{locked_fund}”预算 {locked_fund.budget:,.2f} 元，已批准 {used:,.2f} 元，"
                f"剩余 {remaining:,.2f} 元，本笔 {amount:,.2f} 元。"
            )
        transition(
            claim,
            to=S.APPROVED,
            table=CLAIM_TRANSITIONS,
            actor=actor,
            action="claim.approve",
            reason=f"批准 {amount} 元，列支“{locked_fund}”",
            station=claim.station,
            extra_fields={
                "approved_amount": amount,
                "fund": locked_fund,
                "approved_at": timezone.now(),
                "approved_by": actor,
                "explanation": why,
            },
        )
    return claim


def claim_pay(*, claim: SubsidyClaim, actor: User, paid_on: datetime.date, voucher_number: str) -> Payout:
    """Record the payment of an approved claim: the approved amount, to the claim's account, once.

    Refused (ValidationError) without a voucher number, for a date after today or before the
    approval, and for a voucher number already used; a second payment of the same claim, even at
    the same moment, is an InvalidTransition (the claim row is locked). Nothing is saved then.
    """
    _require_bureau(actor, claim.station)
    voucher_number = voucher_number.strip()
    if not voucher_number:
        raise ValidationError("请填写凭证号。")
    if paid_on > timezone.localdate():
        raise ValidationError("拨付日期不能晚于今天。")
    # Read from the row: the caller's copy may predate the approval. It never changes once set.
    approved_at = SubsidyClaim.objects.filter(pk=claim.pk).values_list("approved_at", flat=True).first()
    if approved_at is not None and paid_on < timezone.localdate(approved_at):
        raise ValidationError(f"拨付日期 {paid_on} 早于批准日期 {timezone.localdate(approved_at)}，请核对。")
    try:
        with transaction.atomic():
            transition(
                claim,
                to=S.PAID,
                table=CLAIM_TRANSITIONS,
                actor=actor,
                action="claim.pay",
                reason=f"凭证 {voucher_number}",
                station=claim.station,
            )
            locked = SubsidyClaim.objects.get(pk=claim.pk)
            payout = Payout.objects.create(
                claim=locked,
                paid_on=paid_on,
                amount=locked.approved_amount,
                account=locked.payee_account,
                voucher_number=voucher_number,
                recorded_by=actor,
            )
            notify_after_commit(
                recipients=claim.station.operators.all(),
                subject=f"补助已拨付：{claim}",
                body=f"{locked.approved_amount} 元已于 {paid_on} 拨付至尾号 {locked.payee_account[-4:]} 的账户。",
            )
    except IntegrityError:
        raise ValidationError(f"凭证号 {voucher_number} 已被使用，请核对。") from None
    return payout


__all__ = [
    "CLAIM_TRANSITIONS",
    "ClaimRefused",
    "InvalidTransition",
    "RosterRefused",
    "claim_amount",
    "claim_approve",
    "claim_create",
    "claim_material_add",
    "claim_pay",
    "claim_payee_update",
    "claim_reject",
    "claim_review",
    "claim_submit",
    "fund_remaining",
    "missing_materials",
    "payee_notice_publish",
    "roster_import",
    "roster_template",
]
