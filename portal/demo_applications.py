"""The demo's applications for recognition of new stations in Quanzhou (002): one waiting for its
on-site check, one recognised with its station, operator account and one-time entitlement.

Filed and decided through the services the product uses (the public page's and the admin's), so a
newcomer finds them in 站点认定申请 and follows the recognised one to its station and its 30,000 元.
Here, not in stations/, because recognition decides money (assessment). Idempotent: skipped when
the applications are there.
"""

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assessment.demo import _demo_pdf
from assessment.services.station_recognition import application_recognise
from stations.applications import application_site_check, application_submit
from stations.models import APPLICATION_PAPERS, Region, StationApplication, User
from stations.validators import credit_code_check_character

DEMO_APPLICATIONS = [
    {
        "organisation": "晋江市安心人力资源服务有限公司",
        "serial": 301,
        "legal_representative": "许建国",
        "station_name": "泉州市晋江市磁灶镇零工驿站",
        "kind": "gig_station",
        "county": "350582",
        "address": "晋江市磁灶镇张林村工业路 8 号一楼",
        "floor_area": Decimal("96.00"),
        "contact_name": "许雅婷",
        "contact_phone": "13905952301",
        "recognise": True,
    },
    {
        "organisation": "南安市众和劳务服务有限公司",
        "serial": 302,
        "legal_representative": "黄志明",
        "station_name": "泉州市南安市官桥镇零工市场",
        "kind": "gig_market",
        "county": "350583",
        "address": "南安市官桥镇官桥街 56 号",
        "floor_area": Decimal("320.00"),
        "contact_name": "黄秀兰",
        "contact_phone": "13805952302",
        "recognise": False,
    },
]


def _credit_code(serial: int, county: str) -> str:
    body = f"91{county}MA{serial:07d}"[:17]
    return body + credit_code_check_character(body)


def load_demo_applications(users: dict[str, User]) -> int:
    """File the demo applications and decide the first; returns how many were filed (0 when there)."""
    admin = users["admin"]
    filed = 0
    for row in DEMO_APPLICATIONS:
        credit_code = _credit_code(row["serial"], row["county"])
        if StationApplication.objects.filter(credit_code=credit_code).exists():
            continue
        application = application_submit(
            data={
                "organisation": row["organisation"],
                "credit_code": credit_code,
                "legal_representative": row["legal_representative"],
                "station_name": row["station_name"],
                "kind": row["kind"],
                "region": Region.objects.get(code=row["county"]),
                "address": row["address"],
                "floor_area": row["floor_area"],
                "contact_name": row["contact_name"],
                "contact_phone": row["contact_phone"],
            },
            papers={
                kind: SimpleUploadedFile(f"{label}.pdf", _demo_pdf(f"demo paper: {kind}"), "application/pdf")
                for kind, label, _ in APPLICATION_PAPERS
            },
            address=f"demo-{row['serial']}",
        )
        filed += 1
        if row["recognise"]:
            application_site_check(
                application=application,
                actor=admin,
                checked_on=timezone.localdate(),
                findings="场地 96 平方米，与租赁合同一致；配备电脑、信息显示屏和洽谈区；服务制度上墙，专职人员 2 名。",
            )
            application_recognise(application=application, actor=admin)
    return filed
