"""Demo subsidy claims in every state, built through the services: Heshan's published results pay
out (one claim paid, one approved, one on the payee notice, one submitted, one draft), Quanzhou
has a one-time claim in draft, and two stations' rosters share a person (the duplicate flag)."""

import datetime
import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.xlsx import XlsxSheet, write_xlsx
from stations.models import Region, Station, User
from stations.validators import id_number_check_character
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

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
]


def _pdf(title: str) -> SimpleUploadedFile:
    body = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    return SimpleUploadedFile(f"{title}.pdf", body, content_type="application/pdf")


def _person(rng: random.Random, region_code: str) -> tuple[str, str, str]:
    born = datetime.date(1970, 1, 1) + datetime.timedelta(days=rng.randint(0, 365 * 35))
    body = f"{region_code[:6]}{born:%Y%m%d}{rng.randint(0, 999):03d}"
    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
    return (
        name,
        body + id_number_check_character(body),
        f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
    )


def _roster_file(people: list[tuple[str, str, str]], year: int, rng: random.Random) -> io.BytesIO:
    rows = [
        [
            name,
            id_number,
            phone,
            rng.choice(["益阳市鑫达物流有限公司", "赫山区家政服务中心", "益阳高新区电子厂"]),
            rng.choice(["分拣员", "家政服务员", "普工", "保洁员"]),
            datetime.date(year, rng.randint(1, 12), rng.randint(1, 28)),
            f"{rng.randint(22, 45)}00",
        ]
        for name, id_number, phone in people
    ]
    return io.BytesIO(write_xlsx([XlsxSheet(title="花名册", header=ROSTER_COLUMNS, rows=rows)]))


def _prepare(claim: SubsidyClaim, actor: User) -> None:
    """Everything a station hands in: the papers and the account."""
    for code, label in MATERIALS[claim.kind]:
        if code != ROSTER_REQUIREMENT:
            claim_material_add(claim=claim, actor=actor, requirement=code, uploaded=_pdf(label))
    claim_payee_update(
        claim=claim,
        actor=actor,
        name=claim.station.operator_organisation or claim.station.name,
        bank="中国农业银行益阳赫山支行",
        account=f"1832{claim.station.pk:012d}",
    )


def load_subsidy_demo(users: dict[str, User]) -> None:
    if SubsidyClaim.objects.exists():
        return
    rng = random.Random(5)
    admin = users["admin"]
    heshan = Region.objects.get(code="430903")
    now = timezone.now()
    fund = Fund.objects.create(
        region=heshan,
        year=2024,
        code="heshan-2024-full-employment",
        name="2024年充分就业社区（村）建设补助资金",
        budget=1_800_000,
    )
    Fund.objects.create(
        region=Region.objects.get(code="420923"),
        year=2024,
        code="yunmeng-2024-gig",
        name="2024年零工驿站运营补助资金",
        budget=500_000,
    )
    Fund.objects.create(
        region=Region.objects.get(code="350500"),
        year=2023,
        code="quanzhou-2023-gig",
        name="2023年零工市场建设补助资金",
        budget=600_000,
    )

    # Rosters: one person is placed by both HS-C-03 and HS-C-05 (the bureau sees the duplicate flag).
    shared = _person(rng, "430903")
    for code in ("HS-C-03", "HS-C-05", "HS-C-07", "HS-C-08", "HS-C-11"):
        people = [_person(rng, "430903") for _ in range(rng.randint(12, 30))]
        if code in ("HS-C-03", "HS-C-05"):
            people.append(shared)
        station = Station.objects.get(code=code)
        roster_import(
            station=station,
            year=2024,
            file=_roster_file(people, 2024, rng),
            source_name=f"{code}花名册.xlsx",
            actor=admin,
        )

    claims = {
        code: claim_create(
            station=Station.objects.get(code=code), kind=ClaimKind.PERFORMANCE, year=2024, actor=admin
        )
        for code in ("HS-C-03", "HS-C-05", "HS-C-07", "HS-C-08", "HS-C-11")
    }
    for code in ("HS-C-05", "HS-C-07", "HS-C-08", "HS-C-11"):
        _prepare(claims[code], admin)
        claim_submit(claim=claims[code], actor=admin)
    for code in ("HS-C-07", "HS-C-08", "HS-C-11"):
        claim_review(claim=claims[code], actor=admin, decision="pass", note="材料齐全，金额与考核结果一致")

    # HS-C-08 and HS-C-11 went through a payee notice that has ended; HS-C-07's is running now.
    past = payee_notice_publish(
        region=heshan,
        year=2024,
        title="赫山区2024年度充分就业社区（村）补助资金拟补助对象公示（第一批）",
        starts_at=now,
        ends_at=now + datetime.timedelta(days=5),
        claims=[claims["HS-C-08"], claims["HS-C-11"]],
        actor=admin,
    )
    # The demo replays a notice that ran last month: dated as it was, so approval is due.
    PayeeNotice.objects.filter(pk=past.pk).update(
        starts_at=now - datetime.timedelta(days=30), ends_at=now - datetime.timedelta(days=25)
    )
    payee_notice_publish(
        region=heshan,
        year=2024,
        title="赫山区2024年度充分就业社区（村）补助资金拟补助对象公示（第二批）",
        starts_at=now - datetime.timedelta(days=1),
        ends_at=now + datetime.timedelta(days=4),
        claims=[claims["HS-C-07"]],
        actor=admin,
    )
    for code in ("HS-C-08", "HS-C-11"):
        claims[code].refresh_from_db()
        claim_approve(claim=claims[code], actor=admin, fund=fund)
    claim_pay(
        claim=claims["HS-C-11"],
        actor=admin,
        paid_on=timezone.localdate(),
        voucher_number="HS-2024-记-0318",
    )

    # Heshan's start-up grants, and a Quanzhou one-time subsidy for a station first recognised in 2023
    # too late to take part in that year's campaign (so its recognition decides the amount).
    start_up = claim_create(
        station=Station.objects.get(code="HS-V-01"), kind=ClaimKind.START_UP, year=2024, actor=admin
    )
    _prepare(start_up, admin)
    claim_create(
        station=Station.objects.get(code="QZ-GS-06"), kind=ClaimKind.ONE_TIME, year=2023, actor=admin
    )
