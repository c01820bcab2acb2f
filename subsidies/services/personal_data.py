"""Records of personal data seen or exported in full (see core.personal_data): rosters (the roster, its
station, how many people) and payees' bank accounts (the claim or the stations, how many accounts)."""

from collections.abc import Callable

from core.models import AuditEntry
from core.permissions import may_manage
from core.personal_data import personal_data_access_record
from stations.models import Region, User
from subsidies.models import Placement, PlacementRoster, SubsidyClaim


def roster_description(roster: PlacementRoster) -> str:
    """The roster as the record and the purpose page name it: station, name and year."""
    return f"{roster.station.code} {roster.station.name} {roster.year} 年岗位推荐成功花名册"


def roster_access_record(
    *, roster: PlacementRoster, actor: User, export: bool, count: int, purpose: str
) -> AuditEntry:
    """Record that `actor` saw `count` people of `roster` in full (or exported all of them), and why.

    Raises Forbidden (nothing recorded, nothing to show) when the actor's work does not need them.
    """
    return personal_data_access_record(
        actor=actor,
        export=export,
        target=roster,
        what=roster_description(roster),
        count=count,
        purpose=purpose,
        station=roster.station,
    )


def duplicates_access_record(*, year: int, rows: list[Placement], actor: User, purpose: str) -> AuditEntry:
    """Record that `actor` saw the year's people placed by several stations in full: how many, which stations."""
    return personal_data_access_record(
        actor=actor,
        export=False,
        # The list belongs to no one roster: the record hangs on the reader's region (a superuser's own row).
        target=actor.region or actor,
        what=f"{year} 年被多个站点推荐的人员",
        count=len(rows),
        purpose=purpose,
        region=actor.region,
        stations=sorted({p.station.code for p in rows}),
    )


# Bank accounts of payees. Those who approve and pay a claim see its account in full where they pay
# it (the claim's page, the payout form, the disbursement list and its export): money cannot be
# transferred to "1712****2345". No purpose page is asked for there, unlike the rosters: paying is
# the work itself, and a form before every payment would be clicked through without reading. The
# purpose is that work, and each page view or export still leaves one record (never the number).
PAYMENT_PURPOSE = "支付核对"


def may_see_payee_account(actor: User, region: Region) -> bool:
    """Whether `actor` sees in full the bank account of a claim of a station in `region`: those who
    approve and pay it (bureau staff who manage the region, superusers). Auditors and everyone
    else see it masked."""
    return may_manage(actor, region)


def payee_account_reader(actor: User) -> Callable[[str], bool]:
    """`may_see_payee_account` for a region given by its path, for exports that read plain values
    (no Region row is loaded: the predicate reads only the path)."""
    return lambda path: may_see_payee_account(actor, Region(path=path))


def claim_account_access_record(*, claim: SubsidyClaim, actor: User) -> AuditEntry:
    """Record that `actor` saw the bank account of `claim` in full, to pay it (one claim, one account)."""
    return personal_data_access_record(
        actor=actor,
        export=False,
        target=claim,
        what=f"{claim}的收款账号",
        count=1,
        purpose=PAYMENT_PURPOSE,
        station=claim.station,
    )


def disbursement_access_record(*, actor: User, stations: list[str], count: int, export: bool) -> AuditEntry:
    """Record that `actor` saw (or exported) the disbursement list with `count` accounts in full, of
    the claims of `stations` (their codes)."""
    return personal_data_access_record(
        actor=actor,
        export=export,
        # The list belongs to no one claim: the record hangs on the reader's region (a superuser's own row).
        target=actor.region or actor,
        what=f"补助资金拨付表中的收款账号（{count} 个）",
        count=count,
        purpose=PAYMENT_PURPOSE,
        region=actor.region,
        stations=sorted(set(stations)),
    )
