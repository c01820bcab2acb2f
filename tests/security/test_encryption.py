"""Personal data encrypted at rest: what the database holds is ciphertext, what people see is unchanged.

Each test reads the raw columns with a cursor, as someone with a copy of the database would.
"""

import base64
import io

import pytest
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core import crypto
from stations.models import Station, User
from subsidies.models import Payout, Placement, SubsidyClaim
from subsidies.selectors import placements_of_duplicates
from subsidies.services.rosters import roster_duplicate_warnings
from tests.subsidies.rosters import id_number, phone
from tests.subsidies.steps import ACCOUNT, approved_claim, import_roster, make_fund, pay, published_campaign


def key(key_id: str, fill: bytes) -> str:
    return f"{key_id}:{base64.b64encode(fill * 32).decode()}"


HASH_KEY = base64.b64encode(b"h" * 32).decode()
V1, V2 = key("v1", b"1"), key("v2", b"2")


def raw(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} ORDER BY id")  # noqa: S608 - fixed names of the test
        return [value for (value,) in cursor.fetchall()]


def set_raw(table: str, column: str, pk: int, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])  # noqa: S608


@pytest.fixture
def paid(world):
    """County A's claim, approved and paid to ACCOUNT, with a roster of people 1-3."""
    published_campaign(world, totals={"AAA-01": 92})
    fund = make_fund(world.county_a, budget="1000000.00")
    claim = approved_claim(world.station_a, operator=world.operator_a, bureau=world.bureau_a, fund=fund)
    return pay(claim, bureau=world.bureau_a)


def test_id_numbers_phones_and_accounts_are_ciphertext_in_the_database_and_plain_to_the_product(world, paid):
    world.operator_a.phone = "13912345678"
    world.operator_a.save(update_fields=["phone"])
    world.station_a.station_head_phone = "13987654321"
    world.station_a.service_phone = "12333"
    world.station_a.save(update_fields=["station_head_phone", "service_phone"])

    stored = {
        "id_number": raw("subsidies_placement", "id_number"),
        "phone": raw("subsidies_placement", "phone"),
        "payee_account": raw("subsidies_subsidyclaim", "payee_account"),
        "account": raw("subsidies_payout", "account"),
        "user phone": [v for v in raw("stations_user", "phone") if v],
        "head phone": [v for v in raw("stations_station", "station_head_phone") if v],
    }
    plain = [id_number(n) for n in (1, 2, 3)] + [phone(n) for n in (1, 2, 3)]
    plain += [ACCOUNT, "13912345678", "13987654321", "1391234", "5678", "7890123"]
    current = crypto.keyring().current.key_id
    for column, values in stored.items():
        assert values, column
        for value in values:
            assert value.startswith(f"{current}:"), column
            assert not any(p in value for p in plain), column
    # The station's public service line is no personal data: plain, as the public sees it.
    assert "12333" in raw("stations_station", "service_phone")

    # The product reads them in full, and masks them where it always did.
    assert sorted(Placement.objects.values_list("id_number", flat=True)) == [id_number(n) for n in (1, 2, 3)]
    assert Payout.objects.get().account == ACCOUNT
    claim = SubsidyClaim.objects.get()
    assert (claim.payee_account, claim.masked_account) == (ACCOUNT, "6222****0123")
    assert User.objects.get(pk=world.operator_a.pk).masked_phone == "139****5678"
    assert Station.objects.get(pk=world.station_a.pk).masked_station_head_phone == "139****4321"


def test_the_same_value_encrypts_differently_each_time_but_hashes_alike(world):
    first, second = crypto.encrypt(id_number(1)), crypto.encrypt(id_number(1))
    assert first != second
    assert crypto.decrypt(first) == crypto.decrypt(second) == id_number(1)
    assert (
        crypto.lookup_hash(id_number(1))
        == crypto.lookup_hash(id_number(1))
        != crypto.lookup_hash(id_number(2))
    )
    assert len(crypto.lookup_hash(id_number(1))) == 32

    import_roster(world.station_a, actor=world.operator_a, first=1, count=2)
    import_roster(world.station_b, actor=world.operator_b, first=2, count=2)
    rows = Placement.objects.filter(id_number_hash=crypto.lookup_hash(id_number(2))).order_by("station__code")
    assert [p.station.code for p in rows] == ["AAA-01", "BBB-01"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number FROM subsidies_placement WHERE id_number_hash = %s",
            [crypto.lookup_hash(id_number(2))],
        )
        ciphertexts = [value for (value,) in cursor.fetchall()]
    assert len(ciphertexts) == 2 and ciphertexts[0] != ciphertexts[1]


def test_a_person_on_two_stations_rosters_is_still_found(world):
    import_roster(world.station_a, actor=world.operator_a, first=1, count=3)
    roster_b, warnings = import_roster(world.station_b, actor=world.operator_b, first=3, count=2)

    assert warnings == ["第 2 行 张3：同年也在 其他 1 个站点 的花名册中"]
    assert roster_duplicate_warnings(roster_b) == ["第 2 行 张3：同年也在 AAA-01 的花名册中"]
    shown = [
        (p.id_number, p.station.code) for p in placements_of_duplicates(actor=world.superuser, year=2024)
    ]
    assert shown == [(id_number(3), "AAA-01"), (id_number(3), "BBB-01")]


def test_the_database_cannot_be_asked_to_compare_an_encrypted_field(world):
    with pytest.raises(FieldError, match=r"subsidies.Placement.id_number is encrypted"):
        Placement.objects.filter(id_number=id_number(1)).exists()
    with pytest.raises(FieldError, match="encrypted"):
        User.objects.filter(phone__startswith="139").exists()
    assert not User.objects.filter(phone__isnull=True).exists()


def test_a_changed_ciphertext_is_refused_with_a_clear_error_not_garbage(world):
    import_roster(world.station_a, actor=world.operator_a, first=1, count=2)
    first, second = Placement.objects.order_by("row_number")
    stored = raw("subsidies_placement", "id_number")[0]
    key_id, body = stored.split(":")
    data = bytearray(base64.b64decode(body))
    data[20] ^= 0x01  # one bit of the ciphertext
    set_raw(
        "subsidies_placement", "id_number", first.pk, f"{key_id}:{base64.b64encode(bytes(data)).decode()}"
    )

    with pytest.raises(
        crypto.FieldDecryptionError, match=r"subsidies\.Placement\.id_number：密文校验失败"
    ) as refused:
        Placement.objects.get(pk=first.pk)
    assert id_number(1) not in str(refused.value)
    assert Placement.objects.get(pk=second.pk).id_number == id_number(2)  # the other rows still read

    # A plain value written around the application is refused as well, not shown as if it were sound.
    set_raw("subsidies_placement", "phone", second.pk, phone(9))
    with pytest.raises(crypto.FieldDecryptionError, match="不是本系统加密后的格式"):
        Placement.objects.get(pk=second.pk)


def test_a_wrong_key_fails_loudly(world, settings):
    settings.FIELD_ENCRYPTION_KEYS, settings.FIELD_HASH_KEY = [V1], HASH_KEY
    import_roster(world.station_a, actor=world.operator_a, first=1, count=1)

    settings.FIELD_ENCRYPTION_KEYS = [key("v1", b"x")]  # the same id, another secret
    with pytest.raises(crypto.FieldDecryptionError, match="密钥 v1 不是加密时用的那一把"):
        Placement.objects.get()
    settings.FIELD_ENCRYPTION_KEYS = [V2]  # the key that wrote it is gone
    with pytest.raises(
        crypto.FieldDecryptionError, match="用密钥 v1 加密，但 FIELD_ENCRYPTION_KEYS 中没有这把密钥"
    ):
        Placement.objects.get()


def test_without_keys_outside_debug_nothing_is_encrypted_or_decrypted(settings):
    settings.DEBUG, settings.TESTING = False, False
    settings.FIELD_ENCRYPTION_KEYS, settings.FIELD_HASH_KEY = [], ""
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEYS and FIELD_HASH_KEY must be set"):
        crypto.encrypt(id_number(1))
    settings.FIELD_ENCRYPTION_KEYS, settings.FIELD_HASH_KEY = ["v1:too-short"], HASH_KEY
    with pytest.raises(ImproperlyConfigured, match=r"not valid base64|32 random bytes"):
        crypto.encrypt(id_number(1))


def test_rotation_reencrypts_with_the_new_key_and_old_rows_read_until_then(world, settings):
    settings.FIELD_ENCRYPTION_KEYS, settings.FIELD_HASH_KEY = [V1], HASH_KEY
    import_roster(world.station_a, actor=world.operator_a, first=1, count=3)
    world.operator_a.phone = "13912345678"
    world.operator_a.save(update_fields=["phone"])

    # Step 1: the new key first, the old one kept. Old rows read; new rows use the new key.
    settings.FIELD_ENCRYPTION_KEYS = [V2, V1]
    assert sorted(Placement.objects.values_list("phone", flat=True)) == [phone(n) for n in (1, 2, 3)]
    import_roster(world.station_b, actor=world.operator_b, first=3, count=1)
    assert {v.split(":")[0] for v in raw("subsidies_placement", "id_number")} == {"v1", "v2"}

    # Step 2: the command moves every value to the new key, in chunks smaller than the table.
    out = io.StringIO()
    call_command("rotate_field_key", "--chunk", "2", stdout=out)
    report = out.getvalue()
    assert "subsidies.Placement：4 行，重写 3 行（密钥 v1 6 个值）" in report
    assert "stations.User：" in report and "重写 1 行（密钥 v1 1 个值）" in report
    for table, column in [("subsidies_placement", "id_number"), ("subsidies_placement", "phone")]:
        assert {v.split(":")[0] for v in raw(table, column)} == {"v2"}
    assert {v.split(":")[0] for v in raw("stations_user", "phone") if v} == {"v2"}

    # Step 3: the old key removed: everything reads, and the same person is still found twice.
    settings.FIELD_ENCRYPTION_KEYS = [V2]
    assert sorted(Placement.objects.values_list("id_number", flat=True)) == sorted(
        [id_number(1), id_number(2), id_number(3), id_number(3)]
    )
    assert User.objects.get(pk=world.operator_a.pk).phone == "13912345678"
    assert len(placements_of_duplicates(actor=world.superuser, year=2024)) == 2
    again = io.StringIO()
    call_command("rotate_field_key", stdout=again)
    assert "完成：共重写 0 行" in again.getvalue()


def test_a_new_hash_key_finds_duplicates_again_after_rehash(world, settings):
    settings.FIELD_ENCRYPTION_KEYS, settings.FIELD_HASH_KEY = [V1], HASH_KEY
    import_roster(world.station_a, actor=world.operator_a, first=1, count=2)
    settings.FIELD_HASH_KEY = base64.b64encode(b"n" * 32).decode()
    import_roster(world.station_b, actor=world.operator_b, first=2, count=1)
    assert len(placements_of_duplicates(actor=world.superuser, year=2024)) == 0  # hashes under two keys

    call_command("rotate_field_key", "--rehash", stdout=io.StringIO())
    assert len(placements_of_duplicates(actor=world.superuser, year=2024)) == 2


BEFORE = [("stations", "0005_auditentry_moved_to_core"), ("subsidies", "0004_claim_entitlement_required")]
AFTER = [("stations", "0006_encrypt_phones"), ("subsidies", "0005_encrypt_personal_data")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_rows_and_going_back_restores_them():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        Region, Station, User = (old.get_model("stations", m) for m in ("Region", "Station", "User"))
        Roster, Person = (
            old.get_model("subsidies", "PlacementRoster"),
            old.get_model("subsidies", "Placement"),
        )
        region = Region.objects.create(code="429999", name="测试县", level=3, path="/429999/")
        stations = [
            Station.objects.create(
                code=f"M-{n}", name="站", kind="gig_station", region=region, station_head_phone=h
            )
            for n, h in [(1, "13900000001"), (2, "")]
        ]
        User.objects.create(username="m", phone="13900000002")
        for station, people in zip(stations, [(1, 2), (2, 3)], strict=True):
            roster = Roster.objects.create(station=station, year=2024, source_name="x.xlsx", row_count=2)
            for n in people:
                Person.objects.create(
                    roster=roster, station=station, year=2024, row_number=n + 1, name=f"张{n}",
                    id_number=id_number(n), phone=phone(n), employer="厂", job="工",
                    start_date="2024-03-01", wage="3000",
                )  # fmt: skip

        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        assert all(v.startswith("dev:") for v in raw("subsidies_placement", "id_number"))
        assert all(v.startswith("dev:") for v in raw("subsidies_placement", "phone"))
        assert raw("stations_station", "station_head_phone")[0].startswith("dev:")
        assert raw("stations_station", "station_head_phone")[1] == ""  # blank stays blank
        assert raw("stations_user", "phone")[0].startswith("dev:")
        new = executor.loader.project_state(AFTER).apps
        people = new.get_model("subsidies", "Placement").objects.order_by("pk")
        assert [p.id_number for p in people] == [id_number(n) for n in (1, 2, 2, 3)]
        hashes = [p.id_number_hash for p in people]
        assert hashes[1] == hashes[2] == crypto.lookup_hash(id_number(2)) and hashes[0] != hashes[1]

        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)
        assert raw("subsidies_placement", "id_number") == [id_number(n) for n in (1, 2, 2, 3)]
        assert raw("stations_station", "station_head_phone") == ["13900000001", ""]
        assert raw("stations_user", "phone") == ["13900000002"]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
