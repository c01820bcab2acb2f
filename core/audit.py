"""What the audit trail's rows are called, and how long the rows that may go are kept.

The trail itself is written by `core.workflow.record_audit` (and its bulk forms); nothing updates
or deletes a row of it except `audit_entries_purge`, which drops the records of personal-data
access past `AUDIT_KEEP_DAYS`. Rows about work and money (workflow moves, amounts, accounts,
administrative changes) are never purged. On PostgreSQL a trigger (core migration 0004) refuses
every other UPDATE or DELETE, whoever sends it.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.utils import timezone

from core.models import AuditEntry

# The minimum the law asks for (等保 2.0: six months); AUDIT_KEEP_DAYS may be longer, never shorter.
AUDIT_KEEP_DAYS_MIN = 180

# Records of who looked at personal data, and why: kept AUDIT_KEEP_DAYS, then purged. Nothing else is.
PURGEABLE_ACTIONS = ("personal_data.view", "personal_data.export")

# Chinese names of the recorded actions, for the history list and its filter (an unknown code
# is shown as it is, so a new action never breaks the page).
ACTION_LABELS = {
    "admin.delete": "在管理后台删除",
    "annual_report.draft": "填写年度报告",
    "annual_report.submit": "提交年度报告",
    "calendar.change": "修改节假日安排",
    "calendar.create": "录入节假日安排",
    "campaign.assessor_assign": "指派评估人员",
    "campaign.conflict_declared": "申报利益冲突",
    "campaign.no_conflict_declared": "声明无利益冲突",
    "campaign.notice": "考核结果公示",
    "campaign.open": "开始考核",
    "campaign.publish": "考核结果通报",
    "campaign.results": "计算考核结果",
    "campaign.results_recomputed": "重新计算考核结果",
    "claim.approve": "补助批准",
    "contract.change": "修改运营合同",
    "contract.create": "新增运营合同",
    "claim.create": "创建补助申报",
    "claim.material_add": "上传申报材料",
    "claim.notice": "列入拟补助公示",
    "claim.pay": "补助拨付",
    "claim.payee": "填写收款账户",
    "claim.reject": "驳回申报",
    "claim.reopen": "撤回重审",
    "claim.submit": "提交补助申报",
    "claim.review.pass": "审核通过",
    "claim.review.return": "退回修改",
    "claim.review.reject": "审核不通过",
    "entitlement.commit": "应享补助锁定",
    "entitlement.correct": "应享补助更正",
    "entitlement.grant": "应享补助确定",
    "entitlement.paid": "应享补助已拨付",
    "entitlement.release": "应享补助解锁",
    "fund.create": "新增补助资金",
    "fund.change": "修改补助资金",
    "login.locked": "登录失败锁定",
    "login.unlock": "解除登录锁定",
    "password.change_own": "修改本人密码",
    "two_factor.enrol": "启用两步验证",
    "two_factor.failure": "两步验证码错误",
    "two_factor.recovery_used": "使用恢复码登录",
    "two_factor.reset": "重置两步验证",
    "notification.resend": "重发通知",
    "objection.answer": "答复异议",
    "objection.file": "提出异议",
    "personal_data.export": "导出完整个人信息",
    "personal_data.view": "查看完整个人信息",
    "policy.freeze": "冻结考核政策",
    "policy.new_version": "新建政策版本",
    "policy.seed_install": "安装内置政策",
    "policy.import": "导入政策文件",
    "rectification.evidence_add": "上传整改材料",
    "rectification.issue": "下发整改通知",
    "rectification.propose_revocation": "提议撤销认定",
    "rectification.respond": "提交整改情况",
    "rectification.return": "退回整改",
    "rectification.revocation_declined": "不予撤销",
    "rectification.revoke": "撤销认定",
    "rectification.verify": "整改验收",
    "demonstration.select": "选树服务示范站",
    "recommendation.city_review": "市级审核推荐单位",
    "recommendation.create": "推荐至上级",
    "recommendation.decide": "省级审定推荐单位",
    "recommendation.withdraw": "撤回推荐",
    "roster.import": "导入花名册",
    "sheet.correct": "更正评分表",
    "sheet.evidence_add": "上传佐证材料",
    "sheet.evidence_remove": "删除佐证材料",
    "sheet.import": "导入评分数据",
    "sheet.lock": "审定锁定评分表",
    "sheet.onsite_submit": "提交现场评估",
    "sheet.return": "退回修改自评",
    "sheet.self_submit": "提交自评",
    "station.change": "修改站点信息",
    "station.contact_update": "更新站点联系信息",
    "station.contract_sync": "按运营合同更新站点信息",
    "station.create": "新增站点",
    "station.edit": "修改站点信息",
    "station.status_change": "变更站点状态",
    "station.recognition_set": "认定站点级别",
    "station_application.recognise": "予以认定新站点",
    "station_application.refuse": "不予认定新站点",
    "station_application.site_check": "记录认定现场核查",
    "station_application.submit": "提交站点认定申请",
    "user.change": "修改用户",
    "user.create": "新增用户",
    "user.password_reset": "重置密码",
    "worklog.import": "导入工作日志",
    "worklog.save": "修改工作日志",
}


# Keys of `changes` that are not a field of the recorded object (or whose field's name would read
# wrong in a history line). A field's key is shown by the field's own Chinese name.
CHANGE_KEY_LABELS = {
    "from_version": "原版本",
    "differences": "差异",
    "password": "密码",
    "assessor": "评估人员",
    "final_total": "审定总分",
    "amount": "金额（元）",
    "payee_account": "收款账号",
    "operators": "运营人员",
}


def action_label(action: str) -> str:
    """The Chinese name of a recorded action; one without a name yet reads 其他操作, never as its code
    (tests/core/test_audit_labels.py finds every action the code writes and fails on a missing name)."""
    return ACTION_LABELS.get(action, "其他操作")


def _model_of(entry):
    try:
        return entry.content_type.model_class() if entry.content_type_id else None
    except ObjectDoesNotExist:
        return None


def _state_choices(model) -> dict[str, str]:
    """{state: label} of the model's workflow: its `status` field first, then any other field with choices."""
    if model is None:
        return {}
    fields = sorted(
        (f for f in model._meta.concrete_fields if f.choices),
        key=lambda f: f.name != "status",
    )
    labels: dict[str, str] = {}
    for field in fields:
        for value, label in field.flatchoices:
            labels.setdefault(str(value), str(label))
    return labels


def state_label(entry, value: str) -> str:
    """A recorded state by its workflow's name (approved → 已批准), from the status choices of the
    model the entry is about; a state no model names any more is shown as 其他状态, not as code."""
    if not value:
        return ""
    return _state_choices(_model_of(entry)).get(value) or _any_state_label(value)


def _any_state_label(value: str) -> str:
    # The recorded object's type is gone (a deleted model): any workflow that knows the state names it.
    from django.apps import apps

    for model in apps.get_models():
        field = next((f for f in model._meta.concrete_fields if f.name == "status" and f.choices), None)
        if field is not None and value in dict(field.flatchoices):
            return str(dict(field.flatchoices)[value])
    return "其他状态"


def state_move(entry) -> str:
    """“已批准 → 已付款”, or the one state a move began or ended in, or ""."""
    old, new = state_label(entry, entry.from_state), state_label(entry, entry.to_state)
    if old and new:
        return f"{old} → {new}"
    return new or old


def object_label(entry) -> str:
    """What the entry is about, as recorded; a failed-login record of django-axes (whose own name is
    “Attempted Access: <UTC time>”) is named in Chinese with its account."""
    model = _model_of(entry)
    if model is not None and model._meta.app_label == "axes":
        account = (entry.changes or {}).get("账号") if isinstance(entry.changes, dict) else ""
        return f"登录失败记录（账号 {account}）" if account else "登录失败记录"
    return entry.object_repr


def change_key_label(model, key: str) -> str:
    """A key of `changes` in Chinese: the field's name, a known key's name, or the key itself when it
    is already Chinese (keys written in words, such as 账号 and 用途)."""
    if key in CHANGE_KEY_LABELS:
        return CHANGE_KEY_LABELS[key]
    if model is not None:
        try:
            return str(model._meta.get_field(key).verbose_name)
        except (FieldDoesNotExist, AttributeError):
            pass
    return key


def _shown(value) -> str:
    if value in ("", None):
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def changes_lines(entry) -> list[str]:
    """The recorded changes as a clerk reads them: “预算（元）：1,800,000.00 → 1,900,000.00”.

    Keys that name a field of the recorded object are shown by the field's Chinese name; a pair is
    old → new; a list is joined; anything else (a count, a purpose) is shown as it is.
    """
    if not isinstance(entry.changes, dict):
        return []
    model = _model_of(entry)
    lines = []
    for key, value in entry.changes.items():
        label = change_key_label(model, key)
        if isinstance(value, list) and len(value) == 2:
            lines.append(f"{label}：{_shown(value[0])} → {_shown(value[1])}")
        elif isinstance(value, list):
            lines.append(f"{label}：{'、'.join(str(v) for v in value) or '（空）'}")
        else:
            lines.append(f"{label}：{_shown(value)}")
    return lines


def audit_entries_purge(*, now=None) -> int:
    """Delete the personal-data access records older than AUDIT_KEEP_DAYS; return how many.

    Only PURGEABLE_ACTIONS go; every other row stays for good. The database trigger allows
    exactly this deletion (those actions, older than the legal minimum) and refuses any other.
    """
    now = now or timezone.now()
    keep_days = max(settings.AUDIT_KEEP_DAYS, AUDIT_KEEP_DAYS_MIN)
    deleted, _ = AuditEntry.objects.filter(
        action__in=PURGEABLE_ACTIONS, at__lt=now - timedelta(days=keep_days)
    ).delete()
    return deleted


def field_display(obj, name: str) -> str:
    """A field's value as a clerk reads it in the history: a choice's label, 是/否, a related row's
    name, an amount with thousands separators, "" for nothing; never a code they would look up."""
    field = obj._meta.get_field(name)
    if field.is_relation and getattr(obj, field.attname) is None:
        return ""  # unset: reading the relation of a new row would raise
    value = getattr(obj, name)
    if value is None or value == "":
        return ""
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return f"{value:,}"
    if isinstance(value, datetime):
        # China time, as every page shows it: never the UTC of the database beside it.
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    return str(value)


def changed_fields(before, after, names) -> dict[str, list[str]]:
    """{field: [old, new]} for the fields of `names` whose shown value differs between two rows."""
    changes = {}
    for name in names:
        old, new = field_display(before, name), field_display(after, name)
        if old != new:
            changes[name] = [old, new]
    return changes
