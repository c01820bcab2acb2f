"""The claim rules as data, and the pure check of a placement roster's rows.

Materials per claim kind come from the seeds: 000 and 002 list the yearly claim's papers, 002 the
one-time subsidy's; 004's start-up grant asks for an application. No ORM here.
"""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from stations.validators import id_number_birth_date, validate_id_number

# requirement code -> label, per claim kind, in the order a clerk checks them.
MATERIALS: dict[str, list[tuple[str, str]]] = {
    "performance": [
        ("application_form", "补助申请表"),
        ("placement_roster", "岗位推荐成功花名册"),
        ("score_sheet", "考核评分表（自评表）"),
        ("implementation_report", "实施情况报告及其他佐证材料"),
    ],
    "one_time": [
        ("business_licence", "营业执照或统一社会信用代码证书"),
        ("legal_rep_id", "法定代表人身份证复印件"),
        ("lease", "场地租赁合同或产权证明"),
        ("recognition_application", "认定申请表"),
        ("application_form", "补助申请表"),
        ("implementation_plan", "实施方案"),
    ],
    "start_up": [
        ("application_form", "补助申请表"),
        ("implementation_plan", "充分就业社区（村）建设实施方案"),
    ],
}

# The roster is satisfied by an imported roster, not by a file.
ROSTER_REQUIREMENT = "placement_roster"

ROSTER_COLUMNS = ["姓名", "身份证号码", "手机号码", "用工单位", "岗位", "上岗日期", "月工资（元）"]
ROSTER_MAX_ROWS = 50_000
ROSTER_MAX_BYTES = 10 * 1024 * 1024
MOBILE = re.compile(r"^1[3-9]\d{9}$")


def requirement_label(kind: str, code: str) -> str:
    return dict(MATERIALS.get(kind, [])).get(code, code)


@dataclass(frozen=True)
class RosterProblem:
    row: int
    column: str  # column letter
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行 {self.column} 列：{self.message}"


@dataclass(frozen=True)
class PlacementRow:
    row_number: int
    name: str
    id_number: str
    phone: str
    employer: str
    job: str
    start_date: datetime.date
    wage: Decimal


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed into a text column
    return str(value).strip()


def _date(value, year: int) -> tuple[datetime.date | None, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "必填"
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, str):
        text = value.strip().replace("/", "-").replace(".", "-")
        try:
            value = datetime.date.fromisoformat(text)
        except ValueError:
            return None, "日期格式应为 YYYY-MM-DD"
    if not isinstance(value, datetime.date):
        return None, "应为日期"
    if value.year != year:
        return None, f"上岗日期应在 {year} 年内"
    return value, None


def _wage(value) -> tuple[Decimal | None, str | None]:
    text = "" if value is None else str(value).strip().replace(",", "")
    if not text:
        return None, "必填"
    if isinstance(value, bool):
        return None, "应为金额"
    try:
        # Excel gives floats; through str() 3500.5 stays 3500.5 (no binary noise).
        wage = Decimal(text)
    except InvalidOperation:
        return None, "应为金额"
    if not wage.is_finite() or wage <= 0:
        return None, "应为大于 0 的金额"
    # Before quantize: 1E+30 has more digits than the context holds, and quantize would raise.
    if wage >= Decimal("1000000"):
        return None, "金额过大"
    if wage != wage.quantize(Decimal("0.01")):
        return None, "金额最多两位小数"
    return wage, None


def check_roster_rows(
    rows: list[tuple[int, dict]], *, year: int
) -> tuple[list[PlacementRow], list[RosterProblem]]:
    """Check every row of a roster; return the rows (complete only without problems) and every problem.

    Messages never repeat the ID number or the phone: they may be shown or logged, the data may not.
    """
    letters = {name: chr(ord("A") + index) for index, name in enumerate(ROSTER_COLUMNS)}
    placements: list[PlacementRow] = []
    problems: list[RosterProblem] = []
    first_row_of: dict[str, int] = {}
    for row_number, cells in rows:
        row_problems: list[RosterProblem] = []

        def problem(column: str, message: str, row_number=row_number, row_problems=row_problems) -> None:
            row_problems.append(RosterProblem(row_number, letters[column], message))

        name, employer, job = (_text(cells.get(c)) for c in ("姓名", "用工单位", "岗位"))
        for column, value in (("姓名", name), ("用工单位", employer), ("岗位", job)):
            if not value:
                problem(column, "必填")
            elif len(value) > (64 if column == "姓名" else 200 if column == "用工单位" else 100):
                problem(column, "内容过长")
        id_number = _text(cells.get("身份证号码")).upper()
        if not id_number:
            problem("身份证号码", "必填")
        elif isinstance(cells.get("身份证号码"), int | float):
            # Excel keeps 15 significant digits of a number: the last digits of an 18-digit ID typed
            # into a number cell are already lost, so the check character would only mislead.
            problem("身份证号码", "被存成了数字，末几位可能已变成 0；请把该列设为“文本”格式后重新填写")
        else:
            try:
                validate_id_number(id_number)
            except ValidationError as exc:
                problem("身份证号码", exc.messages[0])
            else:
                born = id_number_birth_date(id_number)
                if born.year > year - 16 or born.year < year - 80:
                    problem("身份证号码", f"按出生日期，{year} 年时不在劳动年龄（16 岁以上）")
                elif id_number in first_row_of:
                    problem("身份证号码", f"与第 {first_row_of[id_number]} 行是同一人")
                else:
                    first_row_of[id_number] = row_number
        phone = _text(cells.get("手机号码")).replace(" ", "").replace("-", "")
        if not phone:
            problem("手机号码", "必填")
        elif not MOBILE.match(phone):
            problem("手机号码", "应为 11 位手机号码")
        start_date, message = _date(cells.get("上岗日期"), year)
        if message:
            problem("上岗日期", message)
        wage, message = _wage(cells.get("月工资（元）"))
        if message:
            problem("月工资（元）", message)
        if row_problems:
            problems.extend(row_problems)
        else:
            placements.append(
                PlacementRow(row_number, name, id_number, phone, employer, job, start_date, wage)
            )
    if not rows:
        problems.append(RosterProblem(2, "A", "花名册没有任何人员"))
    return placements, problems
