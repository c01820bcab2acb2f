"""`manage.py import_roster`: exit 0 when it imports, 1 when it refuses, every problem on stderr."""

import io

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from subsidies.models import Placement, PlacementRoster
from subsidies.rules import ROSTER_COLUMNS
from tests.subsidies.rosters import id_number, person, phone, roster_bytes, with_wrong_check_character


def run(*args, **options) -> tuple[int, str, str]:
    """Run the command as a shell would: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_roster", *args, stdout=out, stderr=err, **options)
    except SystemExit as exit_:
        return exit_.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_template_writes_the_blank_roster(tmp_path, db):
    target = tmp_path / "模板.xlsx"

    status, out, _ = run(str(target), template=True)

    assert status == 0
    assert str(target) in out
    workbook = load_workbook(target)
    assert [cell.value for cell in workbook["花名册"][1]] == ROSTER_COLUMNS
    assert workbook["填写说明"]["A2"].value == "姓名"


def test_a_valid_file_is_imported_and_the_command_exits_0(tmp_path, world):
    path = tmp_path / "花名册.xlsx"
    path.write_bytes(roster_bytes([person(1), person(2)]))

    status, out, err = run(str(path), station="AAA-01", year=2024)

    assert (status, err) == (0, "")
    assert out.strip() == "已导入 AAA-01 2024 年花名册：2 人。"
    roster = PlacementRoster.objects.get()
    assert (roster.station, roster.row_count, roster.imported_by, roster.source_name) == (
        world.station_a,
        2,
        None,
        "花名册.xlsx",
    )


def test_a_refused_file_exits_1_with_one_line_per_problem_and_no_personal_data(tmp_path, world):
    path = tmp_path / "花名册.xlsx"
    bad_id = with_wrong_check_character(id_number(2))
    path.write_bytes(roster_bytes([person(1), person(2, id_number=bad_id), person(3, phone="12345")]))

    status, out, err = run(str(path), station="AAA-01", year=2024)

    assert status == 1
    assert out == ""
    assert err.splitlines() == [
        "花名册未导入：共 2 处问题。",
        "第 3 行 B 列：身份证号码校验位不正确，请核对。",
        "第 4 行 C 列：应为 11 位手机号码",
    ]
    assert bad_id not in err and phone(1) not in err
    assert not Placement.objects.exists()


def test_a_duplicate_person_is_reported_on_stderr_but_imported(tmp_path, world):
    first, second = tmp_path / "甲.xlsx", tmp_path / "乙.xlsx"
    first.write_bytes(roster_bytes([person(1)]))
    second.write_bytes(roster_bytes([person(1)]))
    run(str(first), station="AAA-01", year=2024)

    status, _, err = run(str(second), station="BBB-01", year=2024)

    assert status == 0
    assert err.strip() == "提示：第 2 行 张1：同年也在 AAA-01 的花名册中"
    assert PlacementRoster.objects.count() == 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"station": "NOPE-01", "year": 2024}, "没有编码为 NOPE-01 的站点。"),
        ({"station": "AAA-01"}, "请同时给出 --station 和 --year。"),
    ],
)
def test_bad_arguments_exit_1_with_the_reason(tmp_path, world, options, message):
    path = tmp_path / "花名册.xlsx"
    path.write_bytes(roster_bytes([person(1)]))

    status, _, err = run(str(path), **options)

    assert (status, err.strip()) == (1, message)


def test_a_missing_file_exits_1(tmp_path, world):
    status, _, err = run(str(tmp_path / "没有.xlsx"), station="AAA-01", year=2024)
    assert status == 1
    assert "找不到文件" in err
