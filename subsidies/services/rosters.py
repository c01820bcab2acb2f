"""The placement roster (岗位推荐成功花名册): import with every row checked first, all or nothing;
people placed by two stations flagged; the template a clerk fills."""

import re
from collections.abc import Callable

from django.db import DatabaseError, connection, transaction

from core.crypto import encrypt, lookup_hash
from core.permissions import may_manage, operates, require
from core.workflow import record_audit
from stations.models import Station, User
from stations.selectors import station_list
from stations.validators import mask_contact, mask_personal_data
from subsidies.models import ClaimKind, Placement, PlacementRoster, SubsidyClaim
from subsidies.rules import (
    ROSTER_COLUMNS,
    ROSTER_MAX_BYTES,
    ROSTER_MAX_ROWS,
    PlacementRow,
    RosterProblem,
    check_roster_rows,
)
from subsidies.services.claims import EDITABLE

S = SubsidyClaim.Status


class RosterRefused(Exception):
    """A roster file that cannot be imported; `problems` lists every row and column at fault."""

    def __init__(self, problems: list[RosterProblem] | list[str]):
        self.problems = problems
        super().__init__(f"花名册未导入：共 {len(problems)} 处问题。")


def roster_import(
    *,
    station: Station,
    year: int,
    file,
    source_name: str,
    actor: User | None,
    progress: Callable[..., None] | None = None,
) -> tuple[PlacementRoster, list[str]]:
    """Import (or replace) the station's roster for `year`: every row checked first, all or nothing.

    Returns the roster and warnings: people also placed by another station the same year, which
    bureau staff should look at (not a refusal). Raises RosterRefused with every problem, or
    Forbidden. `actor` None is the command line, run by the bureau's administrator. `progress`
    (a job's `core.jobs.Progress`) hears each step and the rows written, `progress(done, total)`.
    """
    from core.xlsx import XlsxError, read_xlsx_rows

    progress = progress or _no_progress

    if actor is not None:
        require(
            operates(actor, station) or may_manage(actor, station.region),
            "只有本站点的运营人员或所在区域的人社局工作人员可以导入花名册。",
        )
    locked_claims = SubsidyClaim.objects.filter(
        station=station, year=year, kind=ClaimKind.PERFORMANCE
    ).exclude(status__in=[*EDITABLE, S.REJECTED])
    submitted_message = "本年度补助申报已提交，花名册不能再替换；如需更正，请联系人社局退回申报。"
    if locked_claims.exists():
        raise RosterRefused([submitted_message])
    progress(0, step="正在读取文件")
    try:
        table = read_xlsx_rows(
            file, max_rows=ROSTER_MAX_ROWS, max_bytes=ROSTER_MAX_BYTES, expected_header=ROSTER_COLUMNS
        )
    except XlsxError as exc:
        # The reader quotes header cells it did not expect; a file without its header row puts a
        # person's ID number and phone there. `from None`: the unmasked text must not ride along.
        raise RosterRefused([_without_personal_data(str(exc))]) from None
    progress(0, step=f"正在逐行校验 {len(table.rows)} 行")
    rows, problems = check_roster_rows(table.rows, year=year)
    del table  # the checked rows are all that is written; the cells can go
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
        progress(0, len(rows), step=f"正在写入 {len(rows)} 人")
        roster.rows.all().delete()
        _insert_placements(roster, rows, progress=progress)
        record_audit(
            target=roster,
            actor=actor,
            action="roster.import",
            station=station,
            reason=f"{source_name[:100]}：{len(rows)} 人",
        )
    progress(len(rows), len(rows), step="正在核对其他站点同年的花名册")
    nameable = None if actor is None else set(station_list(actor=actor).values_list("pk", flat=True))
    return roster, roster_duplicate_warnings(roster, nameable=nameable)


_COPY_COLUMNS = [
    "roster",
    "row_number",
    "name",
    "id_number",
    "id_number_hash",
    "phone",
    "employer",
    "job",
    "start_date",
    "wage",
    "year",
    "station",
]
_BULK_CHUNK = 2000


def _no_progress(done: int, total: int | None = None, *, step: str | None = None) -> None:
    pass


def _insert_placements(roster: PlacementRoster, rows: list[PlacementRow], *, progress=_no_progress) -> None:
    """Write the checked rows inside the caller's transaction: COPY on PostgreSQL, else bulk inserts.

    COPY sends the 50,000 rows a roster may hold in one stream, about ten times faster than
    Django's multi-row INSERTs, which build a model instance and a parameter list per row. Both
    store the ID number and the phone encrypted and the ID number's lookup hash (bulk_create through
    the model's fields, COPY by calling core.crypto itself).
    """
    if connection.vendor == "postgresql":
        fields = [Placement._meta.get_field(name) for name in _COPY_COLUMNS]
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        table = connection.ops.quote_name(Placement._meta.db_table)
        import psycopg

        try:
            _copy_placements(roster, rows, table=table, columns=columns, progress=progress)
        except (DatabaseError, psycopg.Error):
            # PostgreSQL names the failing value in a COPY error (an ID number, say): never let
            # it reach a log or a page. The caller's transaction rolls back: nothing is saved.
            raise RosterRefused(["花名册写入数据库失败，未导入任何数据，请联系系统管理员。"]) from None
        return
    for start in range(0, len(rows), _BULK_CHUNK):
        Placement.objects.bulk_create(
            [
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
                    year=roster.year,
                    station_id=roster.station_id,
                )
                for r in rows[start : start + _BULK_CHUNK]
            ]
        )
        progress(min(start + _BULK_CHUNK, len(rows)), len(rows))


def _copy_placements(
    roster: PlacementRoster, rows: list[PlacementRow], *, table: str, columns: str, progress=_no_progress
) -> None:
    # Only quoted names of our own table and columns are formatted in; values go by COPY's stream.
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for done, r in enumerate(rows, start=1):
            if done % _BULK_CHUNK == 0:
                progress(done, len(rows))
            # COPY bypasses the model fields: encrypt and hash here, as EncryptedCharField and
            # LookupHashField would (core/fields.py).
            copy.write_row(
                (
                    roster.pk,
                    r.row_number,
                    r.name,
                    encrypt(r.id_number),
                    lookup_hash(r.id_number),
                    encrypt(r.phone),
                    r.employer,
                    r.job,
                    r.start_date,
                    r.wage,
                    roster.year,
                    roster.station_id,
                )
            )


_DIGIT_RUN = re.compile(r"\d(?:[ \-]?\d){6,}")


def _without_personal_data(text: str) -> str:
    """`text` with anything shaped like a resident ID number or a phone number masked."""
    text = mask_personal_data(text)
    # A roster's phone column may hold a landline ("0712-1234567"): any other run of 7 or more digits.
    return _DIGIT_RUN.sub(lambda match: mask_contact(match.group()), text)


def roster_duplicate_warnings(roster: PlacementRoster, *, nameable: set[int] | None = None) -> list[str]:
    """People of this roster also on another station's roster of the same year (ID numbers not shown).

    Compared by the ID number's keyed hash (stored encrypted, the number itself cannot be compared
    by the database), on the (year, id_number_hash) index; nothing is decrypted.
    `nameable` are the stations the reader may know of: others are counted, not named, so a
    warning never reveals another region's station (None names every station).
    """
    hashes = roster.rows.values("id_number_hash")
    others = (
        Placement.objects.filter(year=roster.year, id_number_hash__in=hashes)
        .exclude(station=roster.station)
        .values_list("id_number_hash", "station_id", "station__code")
    )
    other_stations: dict[str, set[tuple[int, str]]] = {}
    for person, station_id, code in others:
        other_stations.setdefault(person, set()).add((station_id, code))
    warnings = []
    for row_number, name, person in (
        roster.rows.filter(id_number_hash__in=list(other_stations))
        .order_by("row_number")
        .values_list("row_number", "name", "id_number_hash")
    ):
        stations = other_stations[person]
        named = sorted(code for sid, code in stations if nameable is None or sid in nameable)
        hidden = len(stations) - len(named)
        where = "、".join(named + ([f"其他 {hidden} 个站点"] if hidden else []))
        warnings.append(f"第 {row_number} 行 {name}：同年也在 {where} 的花名册中")
    return warnings


def claim_duplicate_warnings(claim: SubsidyClaim, *, viewer: User) -> list[str]:
    """The duplicate-placement warnings of the roster a performance claim rests on, as `viewer` may read
    them (other regions' stations counted, not named): what the operator was told the bureau would
    check, for the reviewer to see before approving. Empty for other kinds and without a roster."""
    if claim.kind != ClaimKind.PERFORMANCE:
        return []
    roster = PlacementRoster.objects.filter(station=claim.station, year=claim.year).first()
    if roster is None:
        return []
    nameable = set(station_list(actor=viewer).values_list("pk", flat=True))
    return roster_duplicate_warnings(roster, nameable=nameable)


def roster_template() -> bytes:
    """The roster template: the header a clerk fills, and a sheet of instructions."""
    from core.xlsx import XlsxSheet, write_xlsx

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
                title="花名册",
                header=ROSTER_COLUMNS,
                rows=[],
                column_widths=[10, 22, 14, 30, 16, 12, 12],
                # Text, so Excel keeps an 18-digit ID number as typed (a number column shows 4.20923E+17
                # and loses the last digits) and a phone number stays 11 characters.
                column_formats={
                    ROSTER_COLUMNS.index("身份证号码"): "@",
                    ROSTER_COLUMNS.index("手机号码"): "@",
                },
            ),
            XlsxSheet(title="填写说明", header=["列", "要求"], rows=notes, column_widths=[14, 50]),
        ]
    )
