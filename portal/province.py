"""A generated province, to measure the product at the scale it is built for (issue 10).

`province_generate` fills an empty database (only `migrate` run) with:

- a region tree: 湖南省 with cities, counties and townships for the communities and villages, and
  湖北省 and 福建省 trees for the yearly stations (the seed policies' regions, 益阳市/赫山区,
  孝感市/云梦县 and 泉州市, keep their real codes and names; everything else is named from the seed);
- `units` communities (街道) and villages (镇、乡) in groups of four, each with twelve monthly reports
  (most strong, some weak, three very weak so the policy eliminates a few), assessed under the
  Heshan policy in one province-wide campaign whose sheets are all locked and whose results are
  NOT computed, so `compute_results` can be timed on it;
- `stations` yearly stations, half gig and doorstep stations in Hubei under the Yunmeng policy,
  half gig markets and stations in Fujian under the Quanzhou policy (some recognised too late,
  some run under a purchase-of-services contract), each campaign computed, noticed and published;
- bureau staff for every province and county, and for some yearly stations placement rosters and
  claims in every state (draft, submitted, reviewed, on a payee notice, approved, paid).

Everything goes through the services (`campaign_open`, `campaign_results_compute`,
`roster_import`, `claim_create`, …). Recording the on-site inputs and locking, which would take
hours one sheet at a time, go through their bulk services (`assessment.services.sheet_batch`:
`sheets_record_onsite` with the Excel import's action and reason, `sheets_lock_assessed`), which
write what `sheets_import_inputs` and `sheet_lock` write; `one_by_one=True` runs those two instead,
and tests/portal/test_generate_province.py builds a small province both ways and compares the
rows. All values come from `seed`: the same seed gives the same province.
"""

from __future__ import annotations

import datetime
import io
import random
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from assessment.demo import notice_replayed_and_published
from assessment.engine.scoring import FieldRule
from assessment.models import Campaign, Entitlement, Policy, ScoreSheet
from assessment.scoring import compiled_policy
from assessment.services.campaigns import (
    campaign_open,
    campaign_results_compute,
)
from assessment.services.policies import SEED_POLICY_REGIONS, seed_policies_install
from assessment.services.sheet_batch import sheets_lock_assessed, sheets_record_onsite
from assessment.services.sheet_import import FIXED_COLUMNS, _input_columns, sheets_import_inputs
from assessment.services.sheets import sheet_lock
from core.working_days import day_end, earliest_last_day
from core.xlsx import XlsxSheet, write_xlsx
from stations.models import Region, Station, User
from stations.services import region_create, user_sync_staff_flag
from stations.validators import credit_code_check_character, id_number_check_character
from subsidies.demo import GIVEN
from subsidies.models import ClaimKind, Fund, PayeeNotice, SubsidyClaim
from subsidies.rules import MATERIALS, ROSTER_COLUMNS, ROSTER_REQUIREMENT
from subsidies.services.claims import (
    claim_create,
    claim_material_add,
    claim_payee_update,
    claim_review,
    claim_submit,
)
from subsidies.services.payee_notice import payee_notice_publish
from subsidies.services.payouts import claim_approve, claim_pay
from subsidies.services.rosters import roster_import

SHANGHAI = ZoneInfo("Asia/Shanghai")

# The seed policies each campaign uses, and the province it runs in (a province contains the
# policy's own region, which campaign_open requires).
HESHAN, YUNMENG, QUANZHOU = "heshan-2024", "yunmeng-2024", "quanzhou-2023"
PROVINCES = {HESHAN: ("430000", "湖南省"), YUNMENG: ("420000", "湖北省"), QUANZHOU: ("350000", "福建省")}
CAMPAIGNS = {
    HESHAN: ("hunan-2024", "湖南省2024年度充分就业社区（村）考核"),
    YUNMENG: ("hubei-2024", "湖北省2024年度零工驿站和家门口就业服务站考核"),
    QUANZHOU: ("fujian-2023", "福建省2023年度零工市场（驿站）星级评定"),
}
CHUNK_STATIONS = 500  # stations whose sheets are generated, scored and written at a time

_FIRST = (
    "金银青白黄红东西南北长永新安平和兴隆丰太清明石桥河湖江溪峰田林松柏"
    "桃梅竹龙凤鹤鹿云华阳德仁福寿康宁泰昌盛茂源泉沙洲湾塘枫樟杉莲荷"
)
_SECOND = "山水河江湖溪桥林田坪塘湾洲口岭峰冲坝铺阳源泉港丰兴安宁和平康乐盛华塘圹岗湘溪"
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
# The demo's given names and a few more, so a province's rosters repeat fewer people.
_GIVEN = [*GIVEN, "建华", "志强", "海燕", "国庆"]
_EMPLOYERS = [
    "物流有限公司",
    "家政服务中心",
    "电子科技有限公司",
    "建筑劳务有限公司",
    "食品加工厂",
    "物业管理有限公司",
]
_ROADS = ["人民", "建设", "解放", "和平", "新华", "迎宾", "滨江"]
_JOBS = ["分拣员", "家政服务员", "普工", "保洁员", "保安员", "电工", "厨师", "装卸工"]


def seeded(key: str) -> random.Random:
    """A generator for made-up data: the same key gives the same province (never for secrets)."""
    return random.Random(key)  # noqa: S311


class ProvinceRefused(Exception):
    """The database is not empty, or the sizes make no sense; the message says what to do."""


@dataclass
class ProvinceReport:
    """What was made: (step, seconds, what) in order, the campaign codes, and counts."""

    steps: list[tuple[str, float, str]] = field(default_factory=list)
    campaigns: list[str] = field(default_factory=list)
    actors: dict[str, str] = field(default_factory=dict)  # campaign code -> username running it


# --------------------------------------------------------------------------------------------
# Names and numbers, all from one seeded generator
# --------------------------------------------------------------------------------------------


class _Names:
    """Place names unique within their scope: two characters and a suffix, like 青溪镇, 桃源村."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def pick(self, suffix: str, taken: set[str]) -> str:
        for _ in range(200):
            first, second = self.rng.choice(_FIRST), self.rng.choice(_SECOND)
            if first != second and first + second + suffix not in taken:
                break
        else:  # a very crowded scope: add a third character
            first += self.rng.choice(_SECOND)
            second = self.rng.choice(_FIRST)
        name = first + second + suffix
        taken.add(name)
        return name


def _person_name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(_SURNAMES), rng.choice(_GIVEN)


def _credit_code(serial: int, region_code: str, category: str = "52") -> str:
    body = f"{category}{region_code[:6]}MJ{serial:07d}"[:17]
    return body + credit_code_check_character(body)


def _spread(rng: random.Random, total: int, low: int, high: int) -> list[int]:
    """Split `total` into parts of low..high (the last may be smaller); at least one part."""
    parts: list[int] = []
    while sum(parts) < total:
        parts.append(min(rng.randint(low, high), total - sum(parts)))
    return parts or [0]


# --------------------------------------------------------------------------------------------
# Regions
# --------------------------------------------------------------------------------------------


@dataclass
class _Township:
    region: Region
    county: Region
    kind: str  # "street" (街道), "town" (镇), "township" (乡)


def _existing_region(code: str) -> Region | None:
    return Region.objects.filter(code=code).first()


def _region(code: str, name: str, level: int, parent: Region | None) -> Region:
    """The seed policies' regions are already there (with their real names); others are made."""
    return _existing_region(code) or region_create(code=code, name=name, level=level, parent=parent)


def _province_tree(
    names: _Names, rng: random.Random, *, province_code: str, townships: int, per_county: tuple[int, int]
) -> list[_Township]:
    """Cities of 4–10 counties, counties of `per_county` townships, `townships` in all."""
    province = _existing_region(province_code)
    county_sizes = _spread(rng, townships, *per_county)
    city_sizes = _spread(rng, len(county_sizes), 4, 10)
    if len(city_sizes) > 90 or max(city_sizes) > 90:
        raise ProvinceRefused("规模过大：一个省最多生成 90 个市、每市 90 个县。")
    city_names: set[str] = set()
    town_names: set[str] = set()
    result: list[_Township] = []
    county_index = 0
    for city_number, counties in enumerate(city_sizes, start=1):
        city = _region(f"{province_code[:2]}{city_number:02d}00", names.pick("市", city_names), 2, province)
        county_names: set[str] = set()
        for county_number in range(1, counties + 1):
            size = county_sizes[county_index]
            county_index += 1
            urban = county_number <= 2  # the first counties of a city are its urban districts
            suffix = "区" if urban else rng.choice("县县县市")
            county = _region(f"{city.code[:4]}{county_number:02d}", names.pick(suffix, county_names), 3, city)
            streets = size // 2 if urban else min(1, size)
            for index in range(size):
                if index < streets:
                    kind, code, suffix = "street", f"{county.code}{index + 1:03d}", "街道"
                elif index - streets < max(1, size * 2 // 3):
                    kind, code, suffix = "town", f"{county.code}{100 + index:03d}", "镇"
                else:
                    kind, code, suffix = "township", f"{county.code}{200 + index:03d}", "乡"
                town = _region(code, names.pick(suffix, town_names), 4, county)
                result.append(_Township(town, county, kind))
    return result


# --------------------------------------------------------------------------------------------
# Stations
# --------------------------------------------------------------------------------------------


def _station(rng: random.Random, serial: int, town: _Township, **fields) -> Station:
    """A station row with the contact details every station has (valid codes and phones)."""
    region = town.region
    surname, given = _person_name(rng)
    row = {
        "category": Station.Category.COMPREHENSIVE,
        "address": f"{town.county.name}{region.name}{rng.choice(_ROADS)}路{rng.randint(1, 300)}号",
        "operating_mode": Station.OperatingMode.SELF_RUN,
        "operator_organisation": f"{region.name}公共就业服务中心",
        "operator_credit_code": _credit_code(serial, region.code),
        "legal_representative": surname + given,
        "station_head": "".join(_person_name(rng)),
        "station_head_phone": f"139{serial:08d}",
        "county_supervisor": "".join(_person_name(rng)),
        "opening_hours": "周一至周五 8:30-12:00,14:30-17:30",
        "service_phone": f"0{rng.randint(710, 799)}-{rng.randint(2000000, 8999999)}",
        "complaint_channel": "12333 人社服务热线",
        "has_computer": True,
        "has_display": rng.random() < 0.7,
        "has_monitoring": rng.random() < 0.5,
        "has_meeting_room": rng.random() < 0.6,
        "region": region,
        **fields,
    }
    if row["operating_mode"] == Station.OperatingMode.PURCHASED:
        row["operator_organisation"] = f"{town.county.name}{rng.choice('众信鑫达诚邦')}人力资源服务有限公司"
        row["operator_credit_code"] = _credit_code(serial, region.code, category="91")
    return Station(**row)


def _heshan_units(
    rng: random.Random, names: _Names, towns: list[_Township], sizes: list[int]
) -> list[Station]:
    """Communities in 街道, villages (and a few communities) in 镇 and 乡, in groups of four."""
    rows: list[Station] = []
    for town, size in zip(towns, sizes, strict=True):
        taken: set[str] = set()
        for index in range(size):
            community = town.kind == "street" or (town.kind == "town" and index < 2)
            kind = "community" if community else "village"
            level = rng.choices(["province", "city", "district"], weights=[15, 45, 40])[0]
            serial = len(rows) + 1
            rows.append(
                _station(
                    rng,
                    serial,
                    town,
                    code=f"HN-{town.region.code}-{'C' if community else 'V'}{index + 1:02d}",
                    name=f"{town.county.name}{names.pick('社区' if community else '村', taken)}",
                    kind=kind,
                    category=Station.Category.SERVICE_POINT,
                    recognized_on=datetime.date(
                        2021 + rng.randint(0, 2), rng.randint(1, 12), rng.randint(1, 28)
                    ),
                    recognition_level=level,
                    assessment_group=f"G{(serial - 1) // 4 + 1}",
                )
            )
    return rows


def _yearly_stations(
    rng: random.Random, policy_code: str, towns: list[_Township], sizes: list[int], serial_from: int
) -> list[Station]:
    """Yunmeng: gig and doorstep stations. Quanzhou: a market in some counties, gig stations,
    some recognised in 2023 (a few too late to take part), some under a purchase contract."""
    rows: list[Station] = []
    markets_in: set[str] = set()
    for town, size in zip(towns, sizes, strict=True):
        for index in range(size):
            serial = serial_from + len(rows)
            fields: dict = {"floor_area": Decimal(rng.randint(30, 300))}
            if policy_code == YUNMENG:
                gig = rng.random() < 0.6
                kind = "gig_station" if gig else "doorstep_station"
                fields["recognized_on"] = datetime.date(
                    2021 + rng.randint(0, 3), rng.randint(1, 6), rng.randint(1, 28)
                )
                fields["alliance"] = f"{town.county.name}零工驿站联盟" if gig else ""
                if not gig:
                    fields["category"] = Station.Category.SERVICE_POINT
                label = "零工驿站" if gig else "家门口就业服务站"
                code = f"{'GS' if gig else 'DS'}-{town.region.code}-{index + 1}"
            else:
                market = town.county.code not in markets_in and rng.random() < 0.3
                kind = "gig_market" if market else "gig_station"
                if market:
                    markets_in.add(town.county.code)
                    fields["floor_area"] = Decimal(rng.randint(300, 1200))
                draw = rng.random()
                if draw < 0.06 and rows:  # recognised after May 2023: too late for the campaign
                    fields["recognized_on"] = datetime.date(2023, rng.randint(6, 10), rng.randint(1, 28))
                elif draw < 0.3:  # first recognised in the campaign's year: it decides the one-time amount
                    fields["recognized_on"] = datetime.date(2023, rng.randint(1, 5), rng.randint(1, 28))
                else:
                    fields["recognized_on"] = datetime.date(
                        2021 + rng.randint(0, 1), rng.randint(1, 12), rng.randint(1, 28)
                    )
                if rng.random() < 0.1:
                    fields.update(
                        operating_mode=Station.OperatingMode.PURCHASED,
                        purchase_contract_start=datetime.date(2023, 1, 1),
                        purchase_contract_end=datetime.date(2024, 12, 31),
                    )
                label = "零工市场" if market else "零工驿站"
                code = f"{'GM' if market else 'GS'}-{town.region.code}-{index + 1}"
            rows.append(
                _station(
                    rng,
                    serial,
                    town,
                    code=code,
                    name=f"{town.county.name}{town.region.name}{label}",
                    kind=kind,
                    **fields,
                )
            )
    return rows


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


def _unit_strength(rng: random.Random, weak: bool) -> float:
    """Most units are strong, a quarter middling, a few weak; `weak` ones are sure to be at the bottom."""
    if weak:
        return 0.25 + 0.1 * rng.random()
    draw = rng.random()
    if draw < 0.65:
        return 0.82 + 0.18 * rng.random()
    if draw < 0.93:
        return 0.62 + 0.2 * rng.random()
    return 0.4 + 0.22 * rng.random()


def heshan_month_inputs(kind: str, rng: random.Random, strength: float, base: dict) -> dict:
    """One month's report of a community or village: weaker units miss more targets.

    `base` holds the unit's size (labour force, market entities), which changes little month to
    month. Values are what a form or the Excel import gives: counts as int, rates and points as text.
    """
    miss = 1 - strength
    labor_force = base["labor_force"] + rng.randint(-15, 15)
    month = {
        "labor_force": labor_force,
        "registered_unemployed": rng.randint(40, 50 + int(miss * 40)),
        "long_term_unemployed": rng.choice([0, 0, 0, 1]) + (1 if rng.random() < miss else 0),
        "hard_to_employ": rng.randint(20, 30 + int(miss * 20)),
        "labor_records_updated": int(labor_force * (0.93 + 0.05 * strength)),
        "provincial_update_coverage": "95",
        "registration_applications": rng.randint(8, 14),
        "registration_overdue": 1 if rng.random() < miss / 2 else 0,
        "confirmations_missing": rng.choice([0, 0, 1]),
        "job_recommended": 10 if rng.random() > miss else 9,
        "unemployed_willing_at_start": 8,
        "newly_registered_unemployed": 2,
        "recommended_and_employed": 0,
        "matches_not_followed_up": 1 if rng.random() < miss else 0,
        "training_recommended": 5,
        "training_willing_at_start": 4,
        "training_willing_new": 1,
        "training_recommended_and_employed": 0,
        "hard_to_employ_unassisted": 1 if rng.random() < miss else 0,
        "graduate_followup_rate": 100,
        "graduate_service_rate": 100 if rng.random() > miss / 3 else 95,
        "graduate_employment_rate": rng.choice([90, 95, 100]),
        "fishermen_poverty_unemployed": 0,
        "new_posting_enterprises": rng.choice([4, 5, 5, 6]),
        "new_platform_enterprises": rng.choice([1, 2, 2]),
        "market_entities": base["market_entities"],
        "invalid_feedback": rng.choice([0, 0, 1]),
        "phone_check_accuracy": rng.choice([86, 88, 90, 92]),
        "survey_points": rng.choice(["2.5", "3"]),
        "data_overdue": 1 if rng.random() < miss / 2 else 0,
        "service_count": int(100 * (0.85 + strength * 0.2)) + rng.randint(-3, 3),
        "provincial_avg_service_count": 100,
        "match_success": rng.choice([5, 6, 7]),
        "matched_people": 10,
        "provincial_success_rate": 60,
        "training_referrals": 4,
        "registered_unemployed_cumulative": 40,
        "provincial_training_coverage": 10,
        "training_subsidized": 2,
        "provincial_subsidy_coverage": 50,
        "valid_complaints": 1 if rng.random() < miss / 3 else 0,
        "realname_accounts": 2,
        "inactive_accounts": 0,
        "staff_training_met": rng.random() > miss / 2,
        "new_staff_trained": True,
        "promotion_points": rng.choice(["1.5", "2"]),
    }
    if kind == "community":
        month["zero_employment_households"] = 1 if rng.random() < miss / 3 else 0
    else:
        month.update(
            rural_transferred=base["rural_labor_force"] * 58 // 100 + rng.randint(0, 20),
            rural_labor_force=base["rural_labor_force"],
            rural_transfer_rate_last_year=60,
        )
    return month


#: The reason a generated discretionary deduction gives (the engine refuses a deduction without one).
GENERATED_REASON = "现场核查：部分台账资料不全"


def _points_inputs(fields: tuple[FieldRule, ...], quality: float, rng: random.Random) -> dict:
    """Hand-scored items: about `quality` of each item's maximum, to half a point, as text.

    A discretionary deduction takes off the rest instead, and when any points are deducted every
    written-reason field says why.
    """
    raw = {}
    deducted = False
    for rule in fields:
        if rule.spec.type != "points" or rule.points_max is None:
            continue
        share = min(1.0, max(0.0, quality + rng.uniform(-0.08, 0.06)))
        if rule.deduction:
            share = 1.0 - share
        value = max(Decimal(0), min(rule.points_max, Decimal(round(float(rule.points_max) * share * 2)) / 2))
        raw[rule.spec.name] = str(value)
        deducted = deducted or (rule.deduction and value > 0)
    if deducted:
        raw.update({rule.spec.name: GENERATED_REASON for rule in fields if rule.spec.type == "text"})
    return raw


class _Inputs:
    """Each station's reports, from a generator seeded by the province's seed and the station's code
    (so the inputs do not depend on the order or the chunks they are made in)."""

    def __init__(self, seed: int, campaign: Campaign, weak: set[str]):
        self.seed, self.campaign, self.weak = seed, campaign, weak
        self.policy = campaign.policy

    def for_station(self, station: Station) -> dict[str, dict]:
        rng = seeded(f"{self.seed}/{station.code}")
        periods = self.campaign.periods
        if self.policy.period == Policy.Period.MONTHLY:
            strength = _unit_strength(rng, station.code in self.weak)
            base = {
                "labor_force": rng.randint(700, 1500),
                "market_entities": rng.randint(12000, 30000),
                "rural_labor_force": rng.randint(400, 700),
            }
            return {p: heshan_month_inputs(station.kind, rng, strength, base) for p in periods}
        quality = 0.55 + 0.43 * rng.random()
        fields = compiled_policy(self.policy)[1].field_rules(station.kind)
        return {p: _points_inputs(fields, quality, rng) for p in periods}


# --------------------------------------------------------------------------------------------
# Recording and locking: the services one by one, or the same rows in bulk
# --------------------------------------------------------------------------------------------


def _onsite_entries(
    campaign: Campaign, stations: list[Station], inputs: _Inputs
) -> Iterator[tuple[int, dict]]:
    """(sheet id, inputs) of every sheet of `stations`, made a chunk of stations at a time."""
    for chunk in _chunks(stations, CHUNK_STATIONS):
        by_id = {station.pk: station for station in chunk}
        reports = {pk: inputs.for_station(station) for pk, station in by_id.items()}
        sheets = ScoreSheet.objects.filter(campaign=campaign, station_id__in=by_id).order_by("pk")
        for pk, station_id, period in sheets.values_list("pk", "station_id", "period"):
            yield pk, reports[station_id][period]


def _record_bulk(campaign: Campaign, actor: User, stations: list[Station], inputs: _Inputs) -> int:
    """The rows `sheets_import_inputs` writes (the bureau's data analysis), through the bulk service."""
    return sheets_record_onsite(
        campaign=campaign,
        actor=actor,
        entries=_onsite_entries(campaign, stations, inputs),
        action="sheet.import",
        reason="Excel 批量导入数据",
    )


def _record_one_by_one(campaign: Campaign, actor: User, chunk: list[Station], inputs: _Inputs) -> int:
    """The bureau's Excel import (`sheets_import_inputs`), one file per chunk of stations."""
    columns = _input_columns(campaign)
    header = FIXED_COLUMNS + [title for _, _, title in columns]
    table = []
    for station in chunk:
        for period, values in inputs.for_station(station).items():
            cells = []
            for name, input_type, _ in columns:
                value = values.get(name)
                if input_type == "flag" and value is not None:
                    value = "是" if value else "否"
                cells.append(value)
            table.append([station.code, period, station.name, *cells])
    workbook = write_xlsx([XlsxSheet(title="数据", header=header, rows=table)])
    return sheets_import_inputs(campaign=campaign, actor=actor, file=io.BytesIO(workbook))


def _lock_one_by_one(campaign: Campaign, actor: User) -> int:
    sheets = ScoreSheet.objects.filter(campaign=campaign, status=ScoreSheet.Status.ASSESSED).select_related(
        "station__region", "campaign__policy"
    )
    count = 0
    for sheet in sheets.order_by("station__code", "period"):
        sheet_lock(sheet=sheet, actor=actor)
        count += 1
    return count


# --------------------------------------------------------------------------------------------
# The generation
# --------------------------------------------------------------------------------------------


def _refuse_unless_empty() -> None:
    seed_regions = {code for chain in SEED_POLICY_REGIONS.values() for code, _, _ in chain}
    found = {
        "站点": Station.objects.count(),
        "用户": User.objects.count(),
        "考核批次": Campaign.objects.count(),
        "补助申报": SubsidyClaim.objects.count(),
        "补助资金": Fund.objects.count(),
        "行政区划（随附政策所需之外）": Region.objects.exclude(code__in=seed_regions).count(),
    }
    present = [f"{label} {count} 条" for label, count in found.items() if count]
    if present:
        raise ProvinceRefused(
            f"数据库中已有数据（{'、'.join(present)}），未生成任何内容。"
            "generate_province 只在刚执行过 migrate 的空数据库中生成；"
            "请另建一个数据库（如 createdb 新库名，设置 DATABASE_URL 后执行 migrate），再运行本命令。"
        )


class _Clock:
    """Runs the steps one after the other, saying what each made and how long it took."""

    def __init__(self, report: ProvinceReport, say: Callable[[str], None]):
        self.report, self.say = report, say

    def step(self, label: str, work: Callable[[], str]):
        started = time.perf_counter()
        what = work()
        seconds = time.perf_counter() - started
        self.report.steps.append((label, seconds, what))
        self.say(f"{label}：{what}（{seconds:.2f} 秒）")
        return what


def _users(regions: list[Region], rng: random.Random) -> dict[str, User]:
    """One bureau account per province and county (no usable password: `createsuperuser` or the
    admin's password reset gives access), by username `bureau-<region code>`."""
    users = []
    for region in regions:
        surname, given = _person_name(rng)
        user = User(
            username=f"bureau-{region.code}",
            role=User.Role.BUREAU,
            region=region,
            last_name=surname,
            first_name=given,
            organisation=f"{region.name}人力资源和社会保障局",
            email=f"bureau-{region.code}@example.invalid",
            password=make_password(None),
        )
        user_sync_staff_flag(user)
        users.append(user)
    User.objects.bulk_create(users, batch_size=1000)
    return {u.username: u for u in User.objects.filter(role=User.Role.BUREAU)}


def _campaign_create(policy_code: str, region: Region) -> Campaign:
    policy = Policy.objects.filter(code=policy_code).order_by("-version").first()
    code, name = CAMPAIGNS[policy_code]
    if policy_code == HESHAN:
        dates = {
            "months": list(range(1, 13)),
            "self_evaluation_due": datetime.datetime(2025, 1, 10, 18, 0, tzinfo=SHANGHAI),
            "onsite_due": datetime.date(2025, 1, 20),
            "assessed_on": datetime.date(2024, 12, 31),
        }
    elif policy_code == YUNMENG:
        dates = {
            "self_evaluation_due": datetime.datetime(2024, 12, 10, 18, 0, tzinfo=SHANGHAI),
            "onsite_due": datetime.date(2024, 12, 25),
            "assessed_on": datetime.date(2024, 12, 31),
        }
    else:
        dates = {
            "self_evaluation_due": datetime.datetime(2023, 10, 31, 18, 0, tzinfo=SHANGHAI),
            "onsite_due": datetime.date(2023, 11, 30),
            "assessed_on": datetime.date(2023, 11, 30),
        }
    return Campaign.objects.create(
        code=code, name=name, policy=policy, region=region, year=policy.year, **dates
    )


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _run_campaign(
    clock: _Clock,
    *,
    policy_code: str,
    province: Region,
    actor: User,
    seed: int,
    weak: set[str],
    one_by_one: bool,
    finish: bool,
) -> Campaign:
    label = CAMPAIGNS[policy_code][0]
    campaign = _campaign_create(policy_code, province)

    def opened() -> str:
        campaign_open(campaign=campaign, actor=actor)
        entries = campaign.entries.count()
        return f"{entries} 个参评单位，{campaign.sheets.count()} 张评分表"

    clock.step(f"{label} 开始考核", opened)
    stations = list(
        Station.objects.filter(campaign_entries__campaign=campaign).select_related("region").order_by("code")
    )
    inputs = _Inputs(seed, campaign, weak)

    def recorded() -> str:
        if one_by_one:
            count = sum(
                _record_one_by_one(campaign, actor, chunk, inputs)
                for chunk in _chunks(stations, CHUNK_STATIONS)
            )
        else:
            count = _record_bulk(campaign, actor, stations, inputs)
        return f"{count} 张评分表录入现场评估数据"

    clock.step(f"{label} 录入数据", recorded)

    def locked() -> str:
        count = (
            _lock_one_by_one(campaign, actor)
            if one_by_one
            else sheets_lock_assessed(campaign=campaign, actor=actor)
        )
        return f"{count} 张评分表审定锁定"

    clock.step(f"{label} 审定锁定", locked)
    if not finish:
        return campaign

    def published() -> str:
        rows = campaign_results_compute(campaign=campaign, actor=actor)
        # A generated province replays a notice that ran before, as load_demo does.
        notice_replayed_and_published(campaign, actor)
        return f"{len(rows)} 个结果，已公示并通报"

    clock.step(f"{label} 计算结果、公示、通报", published)
    return campaign


def _pdf(title: str) -> SimpleUploadedFile:
    body = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    return SimpleUploadedFile(f"{title}.pdf", body, content_type="application/pdf")


def _person(rng: random.Random, region_code: str) -> list:
    born = datetime.date(1968, 1, 1) + datetime.timedelta(days=rng.randint(0, 365 * 36))
    body = f"{region_code[:6]}{born:%Y%m%d}{rng.randint(0, 999):03d}"
    surname, given = _person_name(rng)
    return [
        surname + given,
        body + id_number_check_character(body),
        f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
    ]


def _roster(rng: random.Random, station: Station, year: int, shared: list | None) -> io.BytesIO:
    people = [_person(rng, station.region.code) for _ in range(rng.randint(8, 30))]
    if shared is not None:
        people.append(shared)  # placed by two stations: the bureau sees the duplicate flag
    rows = [
        [
            *person,
            f"{station.region.name}{rng.choice(_EMPLOYERS)}",
            rng.choice(_JOBS),
            datetime.date(year, rng.randint(1, 12), rng.randint(1, 28)),
            f"{rng.randint(22, 58)}00",
        ]
        for person in people
    ]
    return io.BytesIO(write_xlsx([XlsxSheet(title="花名册", header=ROSTER_COLUMNS, rows=rows)]))


def _claims(campaign: Campaign, actor: User, seed: int) -> str:
    """Rosters and claims for about one station in ten with an amount, in every state of a claim."""
    rng = seeded(f"{seed}/claims/{campaign.code}")
    year = campaign.year
    performance = list(
        Entitlement.objects.filter(campaign=campaign, kind=Entitlement.Kind.PERFORMANCE, amount__gt=0)
        .select_related("station__region")
        .order_by("station__code")
    )
    # One in ten, and at least six (one claim in each state) when there are that many.
    step = max(1, min(10, len(performance) // 6))
    chosen = [e.station for e in performance[step // 2 :: step]]
    shared = _person(rng, chosen[0].region.code) if chosen else None
    claims: list[SubsidyClaim] = []
    for index, station in enumerate(chosen):
        roster_import(
            station=station,
            year=year,
            file=_roster(rng, station, year, shared if index < 2 else None),
            source_name=f"{station.code}花名册.xlsx",
            actor=actor,
        )
        claims.append(claim_create(station=station, kind=ClaimKind.PERFORMANCE, year=year, actor=actor))
    stage = {claim.pk: index % 6 for index, claim in enumerate(claims)}  # 0 draft … 5 paid
    for claim in claims:
        if stage[claim.pk] >= 1:
            for requirement, title in MATERIALS[claim.kind]:
                if requirement != ROSTER_REQUIREMENT:
                    claim_material_add(
                        claim=claim, actor=actor, requirement=requirement, uploaded=_pdf(title)
                    )
            claim_payee_update(
                claim=claim,
                actor=actor,
                name=claim.station.operator_organisation,
                bank=f"中国农业银行{claim.station.region.name}支行",
                account=f"6228{zlib.crc32(claim.station.code.encode()):012d}",
            )
            claim_submit(claim=claim, actor=actor)
        if stage[claim.pk] >= 2:
            claim_review(claim=claim, actor=actor, decision="pass", note="材料齐全，金额与考核结果一致")
    province = campaign.region
    now = timezone.now()
    # Each payee notice runs the policy's minimum of working days from its first day.
    minimum = campaign.policy.payee_notice_working_days

    def notice_end(starts_at):
        return max(
            day_end(earliest_last_day(timezone.localdate(starts_at), minimum)),
            now + datetime.timedelta(hours=1),
        )

    ended = [c for c in claims if stage[c.pk] >= 4]
    running = [c for c in claims if stage[c.pk] == 3]
    if ended:
        notice = payee_notice_publish(
            region=province,
            year=year,
            title=f"{province.name}{year}年度补助资金拟补助对象公示（第一批）",
            starts_at=now,
            ends_at=notice_end(now),
            claims=ended,
            actor=actor,
        )
        # Replayed as it ran last month, so its claims can be approved.
        PayeeNotice.objects.filter(pk=notice.pk).update(
            starts_at=now - datetime.timedelta(days=30), ends_at=now - datetime.timedelta(days=25)
        )
        fund = Fund.objects.create(
            region=province,
            year=year,
            code=f"{campaign.code}-subsidy",
            name=f"{year}年{province.name}就业服务站点补助资金",
            budget=sum((c.amount for c in ended), Decimal(0)) * 2,
        )
        for index, claim in enumerate(ended):
            claim.refresh_from_db()
            claim_approve(claim=claim, actor=actor, fund=fund)
            if stage[claim.pk] == 5:
                claim_pay(
                    claim=claim,
                    actor=actor,
                    paid_on=timezone.localdate(),
                    voucher_number=f"{campaign.code}-{index + 1:05d}",
                )
    if running:
        payee_notice_publish(
            region=province,
            year=year,
            title=f"{province.name}{year}年度补助资金拟补助对象公示（第二批）",
            starts_at=now - datetime.timedelta(days=1),
            ends_at=notice_end(now - datetime.timedelta(days=1)),
            claims=running,
            actor=actor,
        )
    one_time = 0
    for entitlement in (
        Entitlement.objects.filter(campaign=campaign, kind=Entitlement.Kind.ONE_TIME, amount__gt=0)
        .select_related("station")
        .order_by("station__code")[: max(1, len(chosen) // 2)]
    ):
        claim_create(station=entitlement.station, kind=ClaimKind.ONE_TIME, year=year, actor=actor)
        one_time += 1
    return (
        f"{len(chosen)} 份花名册，{len(claims)} 份年度补助申报（草稿至已拨付），{one_time} 份一次性补助申报"
    )


def province_generate(
    *, units: int, stations: int, seed: int, one_by_one: bool = False, say: Callable[[str], None] = print
) -> ProvinceReport:
    """Fill an empty database with a province (see the module's docstring); all or nothing.

    Raises ProvinceRefused when the database holds data already or the sizes are negative.
    """
    if units < 0 or stations < 0 or units + stations == 0:
        raise ProvinceRefused("请给出社区（村）数 --units 和站点数 --stations（不能为负数，且不能都为 0）。")
    _refuse_unless_empty()
    report = ProvinceReport()
    clock = _Clock(report, say)
    backend = settings.EMAIL_BACKEND
    # Opening, claims and payouts tell operators and staff; a generated province has no one to tell.
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    try:
        with transaction.atomic():
            _generate(clock, report, units=units, stations=stations, seed=seed, one_by_one=one_by_one)
    finally:
        settings.EMAIL_BACKEND = backend
    return report


def _generate(
    clock: _Clock, report: ProvinceReport, *, units: int, stations: int, seed: int, one_by_one: bool
) -> None:
    rng = seeded(str(seed))
    names = _Names(rng)
    yearly = {YUNMENG: (stations + 1) // 2, QUANZHOU: stations // 2}
    wanted = {code: count for code, count in {HESHAN: units, **yearly}.items() if count}

    clock.step(
        "随附政策",
        lambda: f"{len(seed_policies_install().installed)} 个新安装，共 {Policy.objects.count()} 个",
    )

    trees: dict[str, list[_Township]] = {}
    # Stations per township: 10 to 28 communities and villages, 1 to 3 yearly stations.
    sizes = {
        code: _spread(rng, count, *((10, 28) if code == HESHAN else (1, 3))) for code, count in wanted.items()
    }

    def regions() -> str:
        for code in wanted:
            per_county = (8, 16) if code == HESHAN else (4, 10)
            trees[code] = _province_tree(
                names,
                rng,
                province_code=PROVINCES[code][0],
                townships=len(sizes[code]),
                per_county=per_county,
            )
        return f"{Region.objects.count()} 个行政区划（省、市、县、乡镇街道）"

    clock.step("行政区划", regions)

    def made_stations() -> str:
        rows: list[Station] = []
        if HESHAN in wanted:
            rows += _heshan_units(rng, names, trees[HESHAN], sizes[HESHAN])
        for code in (YUNMENG, QUANZHOU):
            if code in wanted:
                rows += _yearly_stations(rng, code, trees[code], sizes[code], serial_from=len(rows) + 1)
        Station.objects.bulk_create(rows, batch_size=2000)
        return f"{units} 个社区（村），{stations} 个年度考核站点"

    clock.step("站点", made_stations)

    actors: dict[str, User] = {}

    def made_users() -> str:
        places = [Region.objects.get(code=PROVINCES[code][0]) for code in wanted]
        counties = {t.county.pk: t.county for tree in trees.values() for t in tree}
        users = _users(places + sorted(counties.values(), key=lambda r: r.code), rng)
        for code in wanted:
            actors[code] = users[f"bureau-{PROVINCES[code][0]}"]
        return f"{len(users)} 个人社局工作人员账号（每省、每县一个，用户名 bureau-区划代码）"

    clock.step("用户", made_users)

    # Three units are sure to be among the weakest, so the policy eliminates some (if they score < 95).
    heshan_codes = sorted(
        Station.objects.filter(kind__in=["community", "village"]).values_list("code", flat=True)
    )
    weak = set(seeded(f"{seed}/weak").sample(heshan_codes, min(3, len(heshan_codes))))

    for code in wanted:
        campaign = _run_campaign(
            clock,
            policy_code=code,
            province=Region.objects.get(code=PROVINCES[code][0]),
            actor=actors[code],
            seed=seed,
            weak=weak,
            one_by_one=one_by_one,
            finish=code != HESHAN,
        )
        report.campaigns.append(campaign.code)
        report.actors[campaign.code] = actors[code].username
        if code != HESHAN:
            clock.step(
                f"{campaign.code} 花名册与补助申报", lambda c=campaign, a=actors[code]: _claims(c, a, seed)
            )
