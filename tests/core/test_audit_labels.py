"""The audit trail (操作记录) in a clerk's words: every action the code records has a Chinese name,
every state its workflow's name, every key of the changes a Chinese label, every time China time."""

import ast
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType

from assessment.models import Objection
from core.audit import ACTION_LABELS, CHANGE_KEY_LABELS, action_label, changes_lines, field_display
from core.models import AuditEntry
from core.workflow import record_audit
from stations.services import STATION_AUDITED_FIELDS, USER_AUDITED_FIELDS, station_status_change
from subsidies.models import Fund, SubsidyClaim
from subsidies.services.funds import FUND_FIELDS
from tests.ui_language import page_faults, visible_text

ROOT = Path(__file__).resolve().parents[2]
APPS = ["core", "stations", "assessment", "subsidies", "portal"]
CODE = re.compile(r"^[a-z_]+(?:\.[a-z_]+)+$")
FILE_NAME = re.compile(r"\.(?:html|txt|py|json|xlsx|pdf|zip|csv|png|jpe?g|css|js)$")
CHINA = ZoneInfo("Asia/Shanghai")


def source_files():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts and "tests" not in path.parts:
                yield path


def _codes(node):
    """The action codes an expression can take: a literal, either side of a conditional, or an
    f-string as a pattern (claim.review.{decision} → claim\\.review\\..+)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.match(node.value):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _codes(node.body)
        yield from _codes(node.orelse)
    elif isinstance(node, ast.JoinedStr):
        parts = [re.escape(p.value) if isinstance(p, ast.Constant) else ".+" for p in node.values]
        yield re.compile("^" + "".join(parts) + "$")


def recorded_actions() -> tuple[set[str], set[re.Pattern]]:
    """Every action code the code passes as `action=`, assigns to `action` or an *ACTION constant,
    takes as the default of an `action` parameter, or writes as a literal with the prefix of one."""
    codes, patterns = set(), set()
    for path in source_files():
        tree = ast.parse(path.read_text(), str(path))
        found = []
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "action":
                found += _codes(node.value)
            elif isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                if any(n == "action" or n.endswith("ACTION") or n in {"VIEW", "EXPORT"} for n in names):
                    found += _codes(node.value)
            elif isinstance(node, ast.arguments):
                args = node.args[len(node.args) - len(node.defaults) :] + node.kwonlyargs
                defaults = node.defaults + list(node.kw_defaults)
                for arg, default in zip(args, defaults, strict=False):
                    if arg.arg == "action" and default is not None:
                        found += _codes(default)
        for item in found:
            (patterns if isinstance(item, re.Pattern) else codes).add(item)
    # Argparse's action="store_true" is no audit action; neither is a file name.
    return {c for c in codes if not FILE_NAME.search(c)}, patterns


def test_every_action_the_code_records_has_a_chinese_name():
    codes, patterns = recorded_actions()
    assert {"claim.pay", "campaign.assessor_assign", "campaign.no_conflict_declared", "login.locked"} <= codes
    missing = sorted(code for code in codes if code not in ACTION_LABELS)
    assert missing == [], f"这些操作没有中文名称（core/audit.py ACTION_LABELS）：{missing}"
    for pattern in patterns:
        assert any(pattern.match(code) for code in ACTION_LABELS), pattern.pattern
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in ACTION_LABELS.values())


def test_an_action_without_a_name_is_never_shown_as_its_code():
    assert action_label("claim.pay") == "补助拨付"
    assert action_label("something.new_here") == "其他操作"


def test_every_key_the_code_writes_into_changes_reads_in_chinese():
    keys = set()
    for path in source_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "changes" and isinstance(node.value, ast.Dict):
                keys |= {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
    english = sorted(k for k in keys if k.isascii() and k not in CHANGE_KEY_LABELS)
    assert english == [], f"这些变更内容的键没有中文名称：{english}"
    # Keys written from a row's fields are shown by the field's own name, which must be Chinese.
    from stations.models import Station, User

    for model, names in [(Station, STATION_AUDITED_FIELDS), (User, USER_AUDITED_FIELDS), (Fund, FUND_FIELDS)]:
        for name in names:
            label = str(model._meta.get_field(name).verbose_name)
            assert not label.isascii(), f"{model.__name__}.{name}: {label}"


def entry_for(
    model, *, action, from_state="", to_state="", changes=None, repr_="YM-GS-01 2024年补助申报", actor=None
):
    # Created whole: the trail is append-only (on PostgreSQL a trigger refuses any UPDATE).
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        content_type=ContentType.objects.get_for_model(model),
        object_id="1",
        object_repr=repr_,
        from_state=from_state,
        to_state=to_state,
        changes=changes or {},
    )


@pytest.mark.django_db
def test_the_trail_names_actions_states_changes_and_people_in_chinese(client, world):
    world.superuser.last_name, world.superuser.first_name = "王", "芳"
    world.superuser.save()
    pay = entry_for(
        SubsidyClaim, action="claim.pay", from_state="approved", to_state="paid", actor=world.superuser
    )
    entry_for(
        SubsidyClaim,
        action="campaign.assessor_assign",
        changes={"assessor": ["", "陈立"], "payee_account": "****2345", "amount": ["10000", "12000"]},
    )
    client.force_login(world.superuser)
    html = client.get("/admin/core/auditentry/").content.decode()
    for shown in ["补助拨付", "已批准待拨付", "已拨付", "指派评估人员", "王芳"]:
        assert shown in html
    text = " ".join(visible_text(html))
    for code in ["claim.pay", "approved", "assessor_assign", "root"]:
        assert code not in text
    assert page_faults(html) == []

    page = client.get(f"/admin/core/auditentry/{pay.pk}/change/").content.decode()
    assert "已批准待拨付" in page and "已拨付" in page and "补助拨付" in page
    for english in ["Content type", "Object id", "Station:", "对象类型", "对象编号"]:
        assert english not in page
    assert page_faults(page) == []

    assign = AuditEntry.objects.get(action="campaign.assessor_assign")
    # PostgreSQL's jsonb keeps keys in its own order: compare the lines, not their order.
    assert sorted(changes_lines(assign)) == sorted(
        [
            "评估人员：（空） → 陈立",
            "收款账号：****2345",
            "金额（元）：10000 → 12000",
        ]
    )


@pytest.mark.django_db
def test_a_failed_login_record_is_named_in_chinese_not_by_axes(client, world):
    from axes.models import AccessAttempt

    entry_for(
        AccessAttempt,
        action="login.locked",
        changes={"账号": "operator1", "地址": "10.0.0.1", "锁定范围": "账号", "锁定分钟": 15},
        repr_="Attempted Access: 2026-11-30 16:18:00.123456+00:00",
    )
    client.force_login(world.superuser)
    html = client.get("/admin/core/auditentry/").content.decode()
    assert "登录失败记录（账号 operator1）" in html
    assert "Attempted Access" not in html and "+00:00" not in html
    entry = AuditEntry.objects.get(action="login.locked")
    page = client.get(f"/admin/core/auditentry/{entry.pk}/change/").content.decode()
    assert "登录失败锁定 登录失败记录（账号 operator1）" in page  # the page's title
    assert "Attempted Access" not in page and "+00:00" not in page


@pytest.mark.django_db
def test_an_event_at_0018_china_time_reads_0018_everywhere(client, world):
    """The station's history showed 16:18 (UTC, the row's title) next to 00:18 (the time column)."""
    # The event happens at 00:18 China time (the trail is append-only: the clock moves, not the row).
    with time_machine.travel(datetime(2026, 12, 1, 0, 18, tzinfo=CHINA), tick=False):
        station_status_change(
            station=world.station_a, to="rectifying", actor=world.bureau_a, reason="限期整改"
        )
    entry = AuditEntry.objects.get(action="station.status_change")

    assert str(entry).startswith("2026-12-01 00:18 变更站点状态")
    client.force_login(world.bureau_a)
    station_page = client.get(f"/admin/stations/station/{world.station_a.pk}/change/").content.decode()
    assert "00:18" in station_page and "16:18" not in station_page
    history = " ".join(visible_text(station_page.split("状态与变更记录", 1)[1]))
    assert "正常" in history and "整改中" in history and "rectifying" not in history
    entry_page = client.get(f"/admin/core/auditentry/{entry.pk}/change/").content.decode()
    assert "2026-12-01 00:18" in entry_page and "16:18" not in entry_page and "2026-11-30" not in entry_page
    listing = client.get("/admin/core/auditentry/").content.decode()
    assert "00:18" in listing and "16:18" not in listing


@pytest.mark.django_db
def test_a_datetime_recorded_in_changes_is_china_time(world):
    fund = Fund(region=world.county_a, year=2026, code="F", name="资金", budget=1)
    world.station_a.updated_at = datetime(2026, 12, 1, 0, 18, tzinfo=CHINA)
    assert field_display(world.station_a, "updated_at") == "2026-12-01 00:18"
    assert field_display(fund, "year") == "2026"
    record_audit(
        target=world.station_a,
        actor=None,
        action="station.edit",
        station=world.station_a,
        changes={"updated_at": ["", field_display(world.station_a, "updated_at")]},
    )
    entry = AuditEntry.objects.get(action="station.edit")
    assert changes_lines(entry)[0].endswith("2026-12-01 00:18")
    assert "+00:00" not in changes_lines(entry)[0]


@pytest.mark.django_db
def test_an_objection_filed_at_0008_on_1_december_is_of_1_december(world):
    objection = Objection(station=world.station_a)
    objection.filed_at = datetime(2026, 12, 1, 0, 8, tzinfo=CHINA)
    assert str(objection) == "AAA-01 异议（2026-12-01）"
