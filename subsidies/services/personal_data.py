"""Records of rosters seen or exported in full (see core.personal_data): the roster, its station, how many people."""

from core.models import AuditEntry
from core.personal_data import personal_data_access_record
from stations.models import User
from subsidies.models import Placement, PlacementRoster


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
