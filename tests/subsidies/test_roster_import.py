"""The placement roster （岗位推荐成功花名册）: every row checked before anything is saved, every problem
named by row and column, hostile files refused, personal data never echoed or logged."""

import datetime
import io
import logging
import re
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

import subsidies.services.rosters
from core.models import AuditEntry
from core.permissions import Forbidden
from subsidies.models import Placement, PlacementRoster
from subsidies.rules import ROSTER_COLUMNS
from subsidies.services.rosters import RosterRefused, roster_import
from tests.core.test_filechecks import make_xlsm, make_zip_bomb
from tests.subsidies.rosters import (
    Text,
    id_number,
    person,
    phone,
    roster_bytes,
    roster_upload,
    upload,
    with_wrong_check_character,
)
from tests.subsidies.steps import import_roster, submitted_claim

ROSTER_2024 = [person(1), person(2), person(3)]


def import_a(world, data: bytes, *, year: int = 2024, name: str = "花名册.xlsx"):
    return roster_import(
        station=world.station_a, year=year, file=upload(name, data), source_name=name, actor=world.operator_a
    )


def problems(world, data: bytes, **kwargs) -> list[str]:
    """The problems a refused import reports; nothing may have been saved."""
    rows_before = list(Placement.objects.values_list("pk", "name"))
    rosters_before = list(PlacementRoster.objects.values_list("pk", "row_count", "source_name"))
    with pytest.raises(RosterRefused) as refused:
        import_a(world, data, **kwargs)
    assert list(Placement.objects.values_list("pk", "name")) == rows_before
    assert list(PlacementRoster.objects.values_list("pk", "row_count", "source_name")) == rosters_before
    return [str(problem) for problem in refused.value.problems]


def test_a_valid_roster_imports_every_row_exactly(world):
    people = [*ROSTER_2024, person(4)]
    people[1]["月工资（元）"] = 4200.5  # Excel's float
    people[2]["上岗日期"] = "2024/12/31"  # typed as text with slashes

    roster, warnings = import_a(world, roster_bytes(people))

    assert (roster.station, roster.year, roster.row_count, roster.imported_by) == (
        world.station_a,
        2024,
        4,
        world.operator_a,
    )
    assert warnings == []
    rows = list(
        roster.rows.values_list(
            "row_number", "name", "id_number", "phone", "employer", "job", "start_date", "wage"
        )
    )
    assert rows == [
        (
            2,
            "张1",
            id_number(1),
            phone(1),
            "云梦县第1食品厂",
            "包装工",
            datetime.date(2024, 3, 1),
            Decimal("3500.00"),
        ),
        (
            3,
            "张2",
            id_number(2),
            phone(2),
            "云梦县第2食品厂",
            "包装工",
            datetime.date(2024, 3, 1),
            Decimal("4200.50"),
        ),
        (
            4,
            "张3",
            id_number(3),
            phone(3),
            "云梦县第3食品厂",
            "包装工",
            datetime.date(2024, 12, 31),
            Decimal("3500.00"),
        ),
        (
            5,
            "张4",
            id_number(4),
            phone(4),
            "云梦县第4食品厂",
            "包装工",
            datetime.date(2024, 3, 1),
            Decimal("3500.00"),
        ),
    ]
    entry = AuditEntry.objects.get(action="roster.import")
    assert (entry.actor, entry.reason) == (world.operator_a, "花名册.xlsx：4 人")


def test_an_id_number_ending_in_a_lowercase_x_is_accepted_and_stored_in_capitals(world):
    serial = next(s for s in range(1, 200) if id_number(s).endswith("X"))

    roster, _ = import_a(world, roster_bytes([person(serial, id_number=id_number(serial).lower())]))

    assert roster.rows.get().id_number == id_number(serial)


BAD_ROWS = {
    "wrong check character": (
        {"id_number": with_wrong_check_character(id_number(2))},
        "第 3 行 B 列：身份证号码校验位不正确，请核对。",
    ),
    "impossible birth date": (
        {"id_number": id_number(2, born="19900230")},
        "第 3 行 B 列：身份证号码中的出生日期不存在。",
    ),
    "too short": (
        {"id_number": id_number(2)[:15]},
        "第 3 行 B 列：身份证号码应为 18 位，前 17 位为数字，末位为数字或 X。",
    ),
    "a child's birth date": (
        {"id_number": id_number(2, born="20150101")},
        "第 3 行 B 列：按出生日期，2024 年时不在劳动年龄（16 岁以上）",
    ),
    "ID typed into a number cell": (
        {"id_number": float(id_number(2)[:17] + "0")},
        "第 3 行 B 列：被存成了数字，末几位可能已变成 0；请把该列设为“文本”格式后重新填写",
    ),
    "phone too short": ({"phone": "1380013"}, "第 3 行 C 列：应为 11 位手机号码"),
    "landline instead of mobile": ({"phone": "07124321234"}, "第 3 行 C 列：应为 11 位手机号码"),
    "start in the year before": (
        {"start_date": datetime.date(2023, 12, 31)},
        "第 3 行 F 列：上岗日期应在 2024 年内",
    ),
    "start in the year after": (
        {"start_date": datetime.date(2025, 1, 1)},
        "第 3 行 F 列：上岗日期应在 2024 年内",
    ),
    "start date not a date": ({"start_date": "2024-13-01"}, "第 3 行 F 列：日期格式应为 YYYY-MM-DD"),
    "no name": ({"name": None}, "第 3 行 A 列：必填"),
    "no ID number": ({"id_number": None}, "第 3 行 B 列：必填"),
    "no phone": ({"phone": None}, "第 3 行 C 列：必填"),
    "no employer": ({"employer": "  "}, "第 3 行 D 列：必填"),
    "no job": ({"job": None}, "第 3 行 E 列：必填"),
    "no start date": ({"start_date": None}, "第 3 行 F 列：必填"),
    "no wage": ({"wage": None}, "第 3 行 G 列：必填"),
    "wage not a number": ({"wage": "三千五"}, "第 3 行 G 列：应为金额"),
    "negative wage": ({"wage": -3500}, "第 3 行 G 列：应为大于 0 的金额"),
    "zero wage": ({"wage": 0}, "第 3 行 G 列：应为大于 0 的金额"),
    "wage with 3 decimals": ({"wage": 3500.125}, "第 3 行 G 列：金额最多两位小数"),
    "absurd wage": ({"wage": 1e30}, "第 3 行 G 列：金额过大"),
    "name too long": ({"name": "张" * 65}, "第 3 行 A 列：内容过长"),
}


@pytest.mark.parametrize(("changes", "expected"), BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_each_bad_input_is_reported_with_row_and_column_and_nothing_is_saved(world, changes, expected):
    bad = person(2, **changes)

    reported = problems(world, roster_bytes([person(1), bad, person(3)]))

    assert reported == [expected]
    assert not any(id_number(n) in text or phone(n) in text for text in reported for n in (1, 2, 3))


def test_the_same_person_twice_in_one_file_is_reported_at_the_second_row(world):
    reported = problems(world, roster_bytes([person(1), person(2), person(1, phone=phone(9))]))

    assert reported == ["第 4 行 B 列：与第 2 行是同一人"]


def test_every_problem_of_every_row_is_reported_in_order(world):
    rows = [
        person(1, phone="123", wage="abc"),
        person(2),
        person(3, id_number=with_wrong_check_character(id_number(3)), start_date=datetime.date(2020, 1, 1)),
    ]

    assert problems(world, roster_bytes(rows)) == [
        "第 2 行 C 列：应为 11 位手机号码",
        "第 2 行 G 列：应为金额",
        "第 4 行 B 列：身份证号码校验位不正确，请核对。",
        "第 4 行 F 列：上岗日期应在 2024 年内",
    ]


def test_blank_rows_are_skipped_and_rows_keep_their_excel_numbers(world):
    rows = [person(1), {}, person(2, phone="1")]

    assert problems(world, roster_bytes(rows)) == ["第 4 行 C 列：应为 11 位手机号码"]


def test_a_roster_without_people_is_refused(world):
    assert problems(world, roster_bytes([])) == ["第 2 行 A 列：花名册没有任何人员"]


def test_a_failed_reimport_leaves_the_previous_roster_untouched(world):
    import_a(world, roster_bytes(ROSTER_2024))

    problems(world, roster_bytes([person(7, phone="abc")]))

    roster = PlacementRoster.objects.get()
    assert roster.row_count == 3
    assert list(roster.rows.values_list("name", flat=True)) == ["张1", "张2", "张3"]


def test_a_reimport_replaces_the_rows_of_the_year(world):
    import_a(world, roster_bytes(ROSTER_2024), name="第一版.xlsx")

    roster, _ = import_a(world, roster_bytes([person(5), person(6)]), name="第二版.xlsx")

    assert PlacementRoster.objects.count() == 1
    assert (roster.row_count, roster.source_name) == (2, "第二版.xlsx")
    assert list(Placement.objects.values_list("name", "row_number")) == [("张5", 2), ("张6", 3)]


def test_the_roster_is_frozen_once_the_claim_is_submitted(world, published):
    submitted_claim(world.station_a, actor=world.operator_a)

    reported = problems(world, roster_bytes([person(5)]))

    assert reported == ["本年度补助申报已提交，花名册不能再替换；如需更正，请联系人社局退回申报。"]


def test_another_stations_operator_cannot_import(world):
    with pytest.raises(Forbidden):
        roster_import(
            station=world.station_a,
            year=2024,
            file=roster_upload(ROSTER_2024),
            source_name="x.xlsx",
            actor=world.operator_b,
        )
    assert not PlacementRoster.objects.exists()


# --- hostile and malformed files -----------------------------------------------------------------


def with_dimension(data: bytes, ref: str) -> bytes:
    """The same workbook claiming another sheet size in its <dimension> element."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content, count = re.subn(
                    rb'<dimension ref="[^"]*"', b'<dimension ref="%s"' % ref.encode(), content
                )
                assert count == 1
            target.writestr(info.filename, content)
    return out.getvalue()


def test_a_file_that_is_not_a_zip_is_refused(world):
    (message,) = problems(world, b"name,id\n" * 50)
    assert "不是 Excel(.xlsx)文件" in message


def test_an_old_xls_file_is_refused_with_advice(world):
    (message,) = problems(world, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), name="花名册.xls")
    assert "另存为 .xlsx" in message


def test_a_zip_bomb_is_refused_before_it_is_opened(world):
    (message,) = problems(world, make_zip_bomb(megabytes=60))
    assert "压缩炸弹" in message


def test_a_macro_workbook_renamed_to_xlsx_is_refused(world):
    (message,) = problems(world, make_xlsm(), name="花名册.xlsx")
    assert "包含宏" in message


def test_a_formula_cell_is_refused_with_its_row_and_column(world):
    (message,) = problems(world, roster_bytes([person(1), person(2, wage="=3000+500")]))
    assert "有公式：第 3 行 G 列" in message


def test_text_that_merely_starts_with_an_equals_sign_is_not_a_formula(world):
    roster, _ = import_a(world, roster_bytes([person(1, employer=Text("=某某劳务公司"))]))
    assert roster.rows.get().employer == "=某某劳务公司"


def test_more_rows_than_the_cap_are_refused(world, monkeypatch):
    monkeypatch.setattr(subsidies.services.rosters, "ROSTER_MAX_ROWS", 3)

    (message,) = problems(world, roster_bytes([person(n) for n in range(1, 5)]))

    assert "最多只能有 3 行数据（第 2 行到第 4 行）" in message


def test_more_rows_than_the_cap_are_refused_even_when_the_sheet_understates_its_size(world, monkeypatch):
    monkeypatch.setattr(subsidies.services.rosters, "ROSTER_MAX_ROWS", 3)
    data = with_dimension(roster_bytes([person(n) for n in range(1, 5)]), "A1:G2")

    (message,) = problems(world, data)

    assert "最多只能有 3 行数据" in message
    assert "第 5 行还有内容" in message


def test_a_sheet_claiming_a_million_rows_is_refused_without_reading_them(world):
    data = with_dimension(roster_bytes(ROSTER_2024), "A1:G1048576")

    (message,) = problems(world, data)

    assert "最多只能有 50000 行数据" in message
    assert "表格范围到了第 1048576 行" in message


def test_a_sheet_whose_columns_are_in_another_order_is_refused_naming_each_column(world):
    header = ["姓名", "手机号码", "身份证号码", *ROSTER_COLUMNS[3:]]

    (message,) = problems(world, roster_bytes(ROSTER_2024, header=header))

    assert "表头（第 1 行）与模板不一致" in message
    assert "B 列应为“身份证号码”，实际是“手机号码”" in message
    assert "C 列应为“手机号码”，实际是“身份证号码”" in message


def test_a_sheet_without_its_header_row_is_refused_without_echoing_the_person(world):
    first = person(1)
    data = roster_bytes([person(2)], header=[str(first[column]) for column in ROSTER_COLUMNS])

    (message,) = problems(world, data)

    assert "表头（第 1 行）与模板不一致" in message
    assert id_number(1) not in message
    assert phone(1) not in message
    assert "420923********" in message  # masked, so the clerk still sees which column is which


# --- the template ----------------------------------------------------------------------------------


def test_the_template_downloads_from_the_portal_and_a_filled_template_imports(client, world):
    client.force_login(world.operator_a)

    response = client.get(reverse("subsidies:roster_template"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["花名册", "填写说明"]
    assert [c.value for c in workbook["花名册"][1]] == ROSTER_COLUMNS
    assert workbook["花名册"].max_row == 1
    for row in ROSTER_2024:
        workbook["花名册"].append([row[column] for column in ROSTER_COLUMNS])
    filled = io.BytesIO()
    workbook.save(filled)

    roster, _ = import_a(world, filled.getvalue())

    assert roster.row_count == 3


def test_the_template_needs_a_login(client):
    response = client.get(reverse("subsidies:roster_template"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


# --- the same person placed by two stations ------------------------------------------------------


def test_a_person_placed_by_two_stations_in_a_year_is_a_warning_not_a_refusal(world):
    import_a(world, roster_bytes(ROSTER_2024))

    roster_b, warnings = roster_import(
        station=world.station_b,
        year=2024,
        file=roster_upload([person(8), person(2)]),
        source_name="乙.xlsx",
        actor=world.operator_b,
    )

    assert roster_b.row_count == 2
    # The operator of county B is told, without learning which station of county A it is.
    assert warnings == ["第 3 行 张2：同年也在 其他 1 个站点 的花名册中"]


def test_the_same_person_in_different_years_is_no_warning(world):
    import_a(world, roster_bytes(ROSTER_2024))
    _, warnings = roster_import(
        station=world.station_b,
        year=2023,
        file=roster_upload([person(2, start_date=datetime.date(2023, 5, 1))]),
        source_name="乙.xlsx",
        actor=world.operator_b,
    )
    assert warnings == []


def test_the_portal_shows_the_operator_each_problem_and_imports_nothing(client, world, published):
    from subsidies.services.claims import claim_create

    claim = claim_create(station=world.station_a, kind="performance", year=2024, actor=world.operator_a)
    client.force_login(world.operator_a)
    data = roster_bytes([person(1), person(2, phone="12"), person(3, wage=-1)])

    response = client.post(
        reverse("subsidies:claim_roster", args=[claim.pk]), {"file": upload("花名册.xlsx", data)}, follow=True
    )

    page = response.content.decode()
    assert "花名册未导入：共 2 处问题。" in page
    assert "第 3 行 C 列：应为 11 位手机号码" in page
    assert "第 4 行 G 列：应为大于 0 的金额" in page
    assert not Placement.objects.exists()

    response = client.post(
        reverse("subsidies:claim_roster", args=[claim.pk]),
        {"file": upload("花名册.xlsx", roster_bytes(ROSTER_2024))},
        follow=True,
    )
    assert "花名册已导入：3 人。" in response.content.decode()


# --- personal data never reaches the logs ---------------------------------------------------------


def test_id_numbers_and_phones_never_reach_the_logs(client, world, published, caplog, tmp_path):
    from django.core.management import call_command

    from subsidies.services.claims import claim_create

    claim = claim_create(station=world.station_a, kind="performance", year=2024, actor=world.operator_a)
    request_logger = logging.getLogger("django.request")  # does not propagate to the root logger
    request_logger.addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.request")
    client.force_login(world.operator_a)
    url = reverse("subsidies:claim_roster", args=[claim.pk])
    bad = [person(1), person(2, id_number=with_wrong_check_character(id_number(2))), person(1)]
    headerless = roster_bytes([person(3)], header=[str(v) for v in person(4).values()])
    try:
        client.post(url, {"file": upload("错.xlsx", roster_bytes(bad))})
        client.post(url, {"file": upload("无表头.xlsx", headerless)})
        client.post(url, {"file": upload("对.xlsx", roster_bytes(ROSTER_2024))})
        import_roster(world.station_b, actor=world.operator_b, first=2, count=2)  # a duplicate warning
        path = tmp_path / "错.xlsx"
        path.write_bytes(roster_bytes(bad))
        with pytest.raises(SystemExit):
            call_command(
                "import_roster",
                str(path),
                station="AAA-01",
                year=2024,
                stdout=io.StringIO(),
                stderr=io.StringIO(),
            )
        client.get(
            reverse("subsidies:roster_export", args=[PlacementRoster.objects.get(station=world.station_a).pk])
        ).getvalue()  # read to the end: the download's temporary file is then closed
    finally:
        request_logger.removeHandler(caplog.handler)

    assert Placement.objects.filter(station=world.station_a).count() == 3  # the good file did import
    logged = caplog.text + "".join(str(record.args) for record in caplog.records)
    for serial in (1, 2, 3, 4):
        assert id_number(serial) not in logged
        assert with_wrong_check_character(id_number(serial)) not in logged
        assert phone(serial) not in logged


def test_a_roster_larger_than_one_write_batch_is_written_whole_in_file_order(world):
    people = [
        person(i % 1000, name=f"张{i}", id_number=id_number(i % 1000, born=f"19{70 + i // 1000}0101"))
        for i in range(2500)
    ]

    roster, _ = import_a(world, roster_bytes(people))

    assert roster.row_count == 2500
    written = list(roster.rows.order_by("row_number").values_list("row_number", "name", "id_number"))
    assert written == [(i + 2, f"张{i}", people[i]["身份证号码"]) for i in range(2500)]
    assert set(roster.rows.values_list("year", "station")) == {(2024, world.station_a.pk)}


def test_a_failure_while_writing_leaves_the_previous_roster_untouched(world, monkeypatch):
    import_a(world, roster_bytes(ROSTER_2024))

    def audit_fails(**kwargs):
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr(subsidies.services.rosters, "record_audit", audit_fails)
    with pytest.raises(RuntimeError):
        import_a(world, roster_bytes([person(5), person(6)]))

    roster = PlacementRoster.objects.get()
    assert roster.row_count == 3
    assert list(roster.rows.order_by("row_number").values_list("name", flat=True)) == ["张1", "张2", "张3"]
