"""Create (or bring back to its known state) the demo county data and accounts.

Idempotent: every row is found by its natural key (region code, station code, username) and
updated, so running it twice leaves the same data. The demo accounts exist only because this
command made them.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from stations import demo_data as demo
from stations.demo_worklog import load_demo_work_log
from stations.models import Region, Station, User
from stations.services import region_create, user_sync_staff_flag
from stations.validators import credit_code_check_character


def demo_credit_code(serial: int, region_code: str) -> str:
    """A unified social credit code with a correct check character (category 52: social organisation)."""
    body = f"52{region_code[:6]}MJ{serial:07d}"[:17]
    return body + credit_code_check_character(body)


class Command(BaseCommand):
    help = "Load the demo regions, stations and accounts (safe to run again)."

    def handle(self, *args, **options):
        # The demo's own notifications (campaign opened, assessor assigned, …) would flood the
        # console; a newcomer sees the real ones when they click through the cycle.
        backend = settings.EMAIL_BACKEND
        settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
        try:
            with transaction.atomic():
                self.load(*args, **options)
        finally:
            settings.EMAIL_BACKEND = backend

    def load(self, *args, **options):
        regions = self.load_regions()
        stations = self.load_stations(regions)
        users = self.load_users(regions, stations)
        # Before the campaigns: the 2024 work log is what their sheets can read (stations/demo_worklog.py).
        logged = load_demo_work_log()
        self.stdout.write(f"Work log: {logged} days of 2024 for the YM- and HZ-ES- stations.")
        self.load_contracts(stations, users)
        extra = self.load_policies_and_campaigns(users)
        # After the policies: recognising a station decides its one-time amount (portal/demo_applications.py).
        from portal.demo_applications import load_demo_applications

        filed = load_demo_applications(users)
        self.stdout.write(f"Applications for recognition: {filed} filed in Quanzhou (one recognised).")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {len(regions)} regions, {len(stations)} stations, {len(users)} accounts "
                f"({', '.join(users)}; password {demo.DEMO_PASSWORD}){extra}."
            )
        )

    def load_regions(self) -> dict[str, Region]:
        regions: dict[str, Region] = {r.code: r for r in Region.objects.all()}
        for code, name, level, parent_code in demo.REGIONS:
            if code in regions:
                continue
            regions[code] = region_create(
                code=code, name=name, level=level, parent=regions[parent_code] if parent_code else None
            )
        return regions

    def load_stations(self, regions: dict[str, Region]) -> dict[str, Station]:
        rows: list[dict] = []
        for i, town in enumerate(demo.YUNMENG_GIG_STATIONS):
            rows.append(
                {
                    "code": f"YM-GS-{i + 1:02d}",
                    "name": f"云梦县{town}零工驿站",
                    "kind": "gig_station",
                    "region": regions[demo.YUNMENG_TOWNS[i]],
                    "recognized_on": demo.yunmeng_recognized_on(i),
                    "floor_area": Decimal(60 + i * 15),
                }
            )
        for i, place in enumerate(demo.YUNMENG_DOORSTEP_STATIONS):
            rows.append(
                {
                    "code": f"YM-DS-{i + 1:02d}",
                    "name": f"云梦县{place}家门口就业服务站",
                    "kind": "doorstep_station",
                    "region": regions[demo.YUNMENG_TOWNS[(i + 6) % 12]],
                    "recognized_on": demo.yunmeng_recognized_on(i + 7),
                    "category": Station.Category.SERVICE_POINT,
                    "floor_area": Decimal(25 + i * 5),
                }
            )
        for i, (county, name) in enumerate(demo.QUANZHOU_MARKETS):
            rows.append(
                {
                    "code": f"QZ-GM-{i + 1:02d}",
                    "name": f"泉州市{name}",
                    "kind": "gig_market",
                    "region": regions[county],
                    # The third market was recognised in 2023, under half a year before assessment.
                    "recognized_on": datetime.date(2022, 4, 1) if i < 2 else datetime.date(2023, 7, 15),
                    "floor_area": Decimal(300 + i * 120),
                }
            )
        for i, (county, name) in enumerate(demo.QUANZHOU_STATIONS):
            purchased = i == 3
            rows.append(
                {
                    "code": f"QZ-GS-{i + 1:02d}",
                    "name": f"泉州市{name}",
                    "kind": "gig_station",
                    "region": regions[county],
                    "recognized_on": datetime.date(2022 + i % 2, 1 + i, 10),
                    "operating_mode": Station.OperatingMode.PURCHASED
                    if purchased
                    else Station.OperatingMode.SELF_RUN,
                    "purchase_contract_start": datetime.date(2023, 1, 1) if purchased else None,
                    "purchase_contract_end": datetime.date(2024, 12, 31) if purchased else None,
                    "floor_area": Decimal(80 + i * 10),
                }
            )
        serial = 0
        for district_code, district_name, count in demo.HUIZHOU_DISTRICTS:
            for _ in range(count):
                place = demo.HUIZHOU_PLACES[serial]
                serial += 1
                rows.append(
                    {
                        "code": f"HZ-ES-{serial:02d}",
                        "name": f"惠州市{district_name}{place}就业驿站",
                        "kind": "employment_station",
                        "region": regions[district_code],
                        "recognized_on": datetime.date(2023, 5, 20),
                        "operating_mode": Station.OperatingMode.PURCHASED,
                        "purchase_contract_start": datetime.date(2023, 6, 1),
                        "purchase_contract_end": datetime.date(2025, 5, 31),
                        "floor_area": Decimal(20 + serial),
                    }
                )
        for i in range(36):
            is_village = i % 2 == 1
            names = demo.HESHAN_VILLAGES if is_village else demo.HESHAN_COMMUNITIES
            rows.append(
                {
                    "code": f"HS-{'V' if is_village else 'C'}-{i // 2 + 1:02d}",
                    "name": f"赫山区{names[i // 2]}{'村' if is_village else '社区'}",
                    "kind": "village" if is_village else "community",
                    "region": regions[demo.HESHAN_TOWNSHIPS[i % 12]],
                    "recognized_on": datetime.date(2022, 12, 1),
                    "recognition_level": demo.heshan_level(i),
                    "assessment_group": f"G{i // 4 + 1}",
                    "category": Station.Category.SERVICE_POINT,
                }
            )

        stations: dict[str, Station] = {}
        for serial, row in enumerate(rows, start=1):
            region = row["region"]
            defaults = {
                "category": Station.Category.COMPREHENSIVE,
                "address": f"{region.parent.name if region.parent else ''}{region.name}人民路{serial}号",
                "operating_mode": Station.OperatingMode.SELF_RUN,
                "operator_organisation": f"{region.name}公共就业服务中心",
                "operator_credit_code": demo_credit_code(serial, region.code),
                "legal_representative": "张" + "伟芳敏静丽强磊军洋勇"[serial % 10],
                "station_head": "李" + "娜秀英华玉兰桂芳红梅"[serial % 10],
                "station_head_phone": f"139{serial:08d}",
                "county_supervisor": "王" + "建国志明"[serial % 4],
                "opening_hours": "周一至周五 8:30-12:00,14:30-17:30",
                "service_phone": f"0712-{4300000 + serial}",
                "complaint_channel": "12333 人社服务热线",
                "has_computer": True,
                "has_display": serial % 3 != 0,
                "has_monitoring": serial % 2 == 0,
                "has_meeting_room": serial % 4 != 0,
                "alliance": "云梦县零工驿站联盟" if row["code"].startswith("YM-GS") else "",
                **row,
            }
            if defaults["operating_mode"] == Station.OperatingMode.PURCHASED:
                defaults["operator_organisation"] = f"{region.name}人力资源服务有限公司"
                defaults["operator_credit_code"] = demo_credit_code(serial, region.code).replace(
                    "52", "91", 1
                )
                defaults["operator_credit_code"] = defaults["operator_credit_code"][:17] + (
                    credit_code_check_character(defaults["operator_credit_code"][:17])
                )
            code = defaults.pop("code")
            # The level is set when the demo first creates the station, then only by recorded moves
            # (004's recommendation, assessment/demo_recommendations.py): a re-run must not reset it.
            level = defaults.pop("recognition_level", None)
            created_with = {**defaults, **({"recognition_level": level} if level else {})}
            station, _ = Station.objects.update_or_create(
                code=code, defaults=defaults, create_defaults=created_with
            )
            stations[code] = station
        return stations

    def load_users(self, regions: dict[str, Region], stations: dict[str, Station]) -> None:
        accounts = [
            ("admin", "", None, "系统", "管理员", True),
            ("bureau", User.Role.BUREAU, regions["420923"], "周", "敏", False),
            ("assessor1", User.Role.ASSESSOR, regions["420923"], "陈", "立", False),
            ("operator1", User.Role.OPERATOR, regions["420923100"], "刘", "洋", False),
            ("operator2", User.Role.OPERATOR, regions["420923101"], "黄", "丽", False),
            ("auditor", User.Role.AUDITOR, regions["420900"], "吴", "静", False),
            # 003's pilot stations are rated by the city: its bureau clerk and its assessor.
            ("hz-bureau", User.Role.BUREAU, regions["441300"], "郑", "海燕", False),
            ("hz-assessor", User.Role.ASSESSOR, regions["441300"], "梁", "振宇", False),
            # 004's recommendation up the hierarchy: the district, the city and the province.
            ("hs-bureau", User.Role.BUREAU, regions["430903"], "彭", "伟", False),
            ("yy-bureau", User.Role.BUREAU, regions["430900"], "曾", "红", False),
            ("hn-bureau", User.Role.BUREAU, regions["430000"], "谭", "志刚", False),
            # 001's province-wide evaluation and its demonstration stations.
            ("hb-bureau", User.Role.BUREAU, regions["420000"], "汪", "建华", False),
        ]
        organisations = {
            "assessor1": "云梦县众信评估咨询有限公司",
            "hz-assessor": "惠州市鹏诚评估咨询有限公司",
        }
        users = {}
        for username, role, region, last_name, first_name, superuser in accounts:
            user, _ = User.objects.get_or_create(username=username)
            user.role = role
            user.region = region
            user.last_name, user.first_name = last_name, first_name
            user.is_superuser = superuser
            user.is_active = True
            user.organisation = organisations.get(username, "")
            user.email = f"{username}@example.invalid"
            user_sync_staff_flag(user)
            user.set_password(demo.DEMO_PASSWORD)
            user.save()
            users[username] = user
        stations["YM-GS-01"].operators.set([users["operator1"]])
        stations["YM-GS-02"].operators.set([users["operator2"]])
        # The default a new campaign copies; assessor1 sees these only once a campaign assigns them.
        Station.objects.filter(code__in=["YM-GS-01", "YM-GS-02", "YM-GS-03", "YM-DS-01"]).update(
            default_assessor=users["assessor1"]
        )
        Station.objects.filter(code__startswith="HZ-ES-").update(default_assessor=users["hz-assessor"])
        return users

    def load_contracts(self, stations: dict[str, Station], users: dict[str, User]) -> None:
        """003's pilot stations are run by tendered operators: an operating contract for each, with
        yearly targets for job postings, placements and enterprise visits (doubled: the contract
        runs two years) near what the demo's log holds for 2024, so some stations are behind. Saved
        through the service, so the stations' contract dates follow it.
        The city's clerk supervises them: the demo has no district bureau accounts."""
        from stations.contracts import contract_save
        from stations.models import OperatingContract

        for code, station in stations.items():
            if not code.startswith("HZ-ES-"):
                continue
            serial = int(code.rsplit("-", 1)[1])
            contract = OperatingContract.objects.filter(station=station).order_by("start").first()
            contract = contract or OperatingContract(station=station)
            contract.number = f"HZJYYZ-2023-{serial:02d}"
            contract.operator_organisation = station.operator_organisation
            contract.operator_credit_code = station.operator_credit_code
            contract.start, contract.end = datetime.date(2023, 6, 1), datetime.date(2025, 5, 31)
            contract.amount = Decimal(300_000 + (serial * 7_000) % 200_000)
            contract.supervisor = users["hz-bureau"]
            # Huizhou 5.1's target (huizhou-2024.yaml `target: job_postings`): 2024's share is 761–961,
            # above most stations' logged postings, so the rating's 5.1 spreads the stars.
            contract.target_job_postings = 2 * (760 + 40 * (serial % 6))
            contract.target_placements = 2 * (55 + 5 * (serial % 4))
            contract.target_enterprise_visits = 2 * (55 + 5 * (serial % 3))
            contract_save(
                contract=contract, actor=users["admin"], reason="演示数据：驿站运营合同（中标机构）"
            )

    def load_policies_and_campaigns(self, users) -> str:
        """The seed policies (installed by migrate; again here in case), and a campaign for each."""
        from assessment.demo import load_demo_campaigns
        from assessment.services.policies import seed_policies_install
        from subsidies.demo import load_subsidy_demo

        seed_policies_install()
        built = load_demo_campaigns(users)
        load_subsidy_demo(users)
        return f", campaigns built: {', '.join(built)}" if built else ", campaigns already there"
