"""Placement rosters as a clerk fills them in: valid people, and the files that carry them."""

import datetime
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from core.filechecks import XLSX
from stations.validators import id_number_check_character
from subsidies.rules import ROSTER_COLUMNS


def id_number(serial: int, *, born: str = "19900101", area: str = "420923") -> str:
    """A resident ID number with a correct GB 11643 check character."""
    first_17 = f"{area}{born}{serial:03d}"
    return first_17 + id_number_check_character(first_17)


def with_wrong_check_character(number: str) -> str:
    wrong = "0" if number[17] != "0" else "1"
    return number[:17] + wrong


def phone(serial: int) -> str:
    return f"1380013{serial:04d}"


def person(serial: int, **changes: object) -> dict[str, object]:
    """One placed person, by column title; `changes` replace columns by their ASCII aliases."""
    row: dict[str, object] = {
        "姓名": f"张{serial}",
        "身份证号码": id_number(serial),
        "手机号码": phone(serial),
        "用工单位": f"云梦县第{serial}食品厂",
        "岗位": "包装工",
        "上岗日期": datetime.date(2024, 3, 1),
        "月工资（元）": Decimal("3500.00"),
    }
    aliases = {
        "name": "姓名",
        "id_number": "身份证号码",
        "phone": "手机号码",
        "employer": "用工单位",
        "job": "岗位",
        "start_date": "上岗日期",
        "wage": "月工资（元）",
    }
    for alias, value in changes.items():
        row[aliases[alias]] = value
    return row


class Text(str):
    """A value written as a text cell even when it starts with "=", as a clerk's "'=..." would be."""


def roster_bytes(people: list[dict[str, object]], *, header: list[str] | None = None) -> bytes:
    """An .xlsx as Excel saves it (openpyxl's ordinary mode): the header row, then one row per person."""
    header = ROSTER_COLUMNS if header is None else header
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "花名册"
    sheet.append(header)
    for row_index, row in enumerate(people, start=2):
        for column_index, title in enumerate(header, start=1):
            value = row.get(title)
            if value is None:
                continue
            cell = sheet.cell(row=row_index, column=column_index, value=value)
            if isinstance(value, Text):
                cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def roster_upload(
    people: list[dict[str, object]], *, name: str = "花名册.xlsx", **kwargs
) -> SimpleUploadedFile:
    return upload(name, roster_bytes(people, **kwargs))


def upload(name: str, data: bytes, content_type: str = XLSX) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)
