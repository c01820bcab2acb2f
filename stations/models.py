"""Regions, people and stations. (The audit trail every workflow writes to is core.models.AuditEntry.)

Models hold fields, choices, constraints and facts about their own row; every write that changes
state lives in services.py and every read that reaches a user goes through selectors.py.
"""

import datetime

from django.contrib.auth.models import AbstractUser
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from core.fields import EncryptedCharField
from core.money import MONEY
from core.people import person_name
from stations.validators import mask_phone, validate_credit_code

phone_validator = RegexValidator(
    r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|\d{3,5})$",
    "请输入手机号（11 位）、带区号的固定电话（如 0712-4321234）或服务热线（如 12333）。",
)


class Region(models.Model):
    """One node of the administrative tree, province down to community or village.

    `path` holds the codes from the root ("/420000/420900/420923/"), so "everything under a
    region" is one indexed prefix match instead of a recursive walk, at province scale too.
    """

    class Level(models.IntegerChoices):
        PROVINCE = 1, "省"
        CITY = 2, "市"
        COUNTY = 3, "县（区）"
        TOWNSHIP = 4, "乡镇（街道）"
        COMMUNITY = 5, "社区（村）"

    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=64)
    level = models.PositiveSmallIntegerField("层级", choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField("路径", max_length=255, unique=True, editable=False)

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["path"]
        indexes = [models.Index(fields=["path"], name="region_path_idx", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.name

    def contains(self, other: "Region") -> bool:
        return other.path.startswith(self.path)


class User(AbstractUser):
    """A person who logs in; `role` and `region` decide what they can reach."""

    class Role(models.TextChoices):
        BUREAU = "bureau", "人社局工作人员"
        ASSESSOR = "assessor", "评估人员"
        OPERATOR = "operator", "站点运营人员"
        AUDITOR = "auditor", "审计/监督人员"

    role = models.CharField("角色", max_length=16, choices=Role.choices, blank=True)
    region = models.ForeignKey(
        Region,
        verbose_name="所属区域",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text="人社局工作人员和审计人员可见此区域及其下级的全部数据。",
    )
    organisation = models.CharField(
        "所在单位", max_length=128, blank=True, help_text="例如受委托的第三方评估机构名称。"
    )
    # Personal data: stored encrypted (core/crypto.py), shown masked.
    phone = EncryptedCharField("手机号", max_length=32, blank=True, validators=[phone_validator])

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            models.CheckConstraint(
                name="user_region_for_regional_roles",
                condition=~Q(role__in=["bureau", "auditor"]) | Q(region__isnull=False),
                violation_error_message="人社局工作人员和审计人员必须指定所属区域。",
            )
        ]

    def get_full_name(self) -> str:
        # Chinese order, surname first and no space: 周敏, not Django's "敏 周".
        return f"{self.last_name}{self.first_name}".strip()

    def get_short_name(self) -> str:
        # The admin greets "欢迎，周敏": a Chinese colleague is not addressed by the given name alone.
        return person_name(self)

    def __str__(self) -> str:
        # Admin dropdowns, autocomplete, list columns and foreign-key displays show the person (陈立),
        # not the login; core.people holds the one rule for a nameless account.
        return person_name(self)

    @property
    def is_bureau(self) -> bool:
        return self.role == self.Role.BUREAU

    @property
    def is_auditor(self) -> bool:
        return self.role == self.Role.AUDITOR

    @property
    def is_operator(self) -> bool:
        return self.role == self.Role.OPERATOR

    @property
    def is_assessor(self) -> bool:
        return self.role == self.Role.ASSESSOR

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class StationKind(models.TextChoices):
    GIG_MARKET = "gig_market", "零工市场"
    GIG_STATION = "gig_station", "零工驿站"
    DOORSTEP_STATION = "doorstep_station", "家门口就业服务站"
    EMPLOYMENT_STATION = "employment_station", "就业驿站"
    COMMUNITY = "community", "充分就业社区"
    VILLAGE = "village", "充分就业村"


class Station(models.Model):
    """A public employment service station (or a community/village under assessment)."""

    class Category(models.TextChoices):
        COMPREHENSIVE = "comprehensive", "综合性"
        INDUSTRY = "industry", "行业性"
        SERVICE_POINT = "service_point", "服务站点"

    class OperatingMode(models.TextChoices):
        SELF_RUN = "self_run", "人社部门自办"
        PUBLIC_AGENCY = "public_agency", "公共就业服务机构挂牌"
        PURCHASED = "purchased", "政府购买服务委托第三方运营"

    class Status(models.TextChoices):
        ACTIVE = "active", "正常"
        RECTIFYING = "rectifying", "整改中"
        REVOKED = "revoked", "已撤销"

    class RecognitionLevel(models.TextChoices):
        PROVINCE = "province", "省级"
        CITY = "city", "市级"
        DISTRICT = "district", "区（县）级"

    code = models.CharField(
        "站点编码",
        max_length=32,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9][A-Z0-9-]*$", "编码只能包含大写字母、数字和连字符。")],
    )
    name = models.CharField("名称", max_length=128)
    kind = models.CharField("类型", max_length=24, choices=StationKind.choices, db_index=True)
    category = models.CharField(
        "类别", max_length=16, choices=Category.choices, default=Category.COMPREHENSIVE, blank=True
    )
    region = models.ForeignKey(
        Region, verbose_name="所在区域", on_delete=models.PROTECT, related_name="stations"
    )
    address = models.CharField("地址", max_length=255, blank=True)
    operating_mode = models.CharField(
        "运营模式", max_length=16, choices=OperatingMode.choices, default=OperatingMode.SELF_RUN
    )
    purchase_contract_start = models.DateField("购买服务合同起始", null=True, blank=True)
    purchase_contract_end = models.DateField("购买服务合同截止", null=True, blank=True)
    operator_organisation = models.CharField("运营机构", max_length=128, blank=True)
    operator_credit_code = models.CharField(
        "统一社会信用代码", max_length=18, blank=True, validators=[validate_credit_code]
    )
    legal_representative = models.CharField("法定代表人", max_length=64, blank=True)
    recognized_on = models.DateField("认定日期", null=True, blank=True)
    recognition_level = models.CharField(
        "认定级别", max_length=16, choices=RecognitionLevel.choices, blank=True
    )
    # The date of the current level (a later, higher level moves it); `recognized_on` stays the first
    # recognition, from which eligibility and the one-time subsidy count.
    recognition_level_on = models.DateField("认定级别日期", null=True, blank=True)
    assessment_group = models.CharField(
        "考核分组", max_length=16, blank=True, help_text="赫山区按 4 个单位一组捆绑考核，如 G1。"
    )
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.ACTIVE, db_index=True, editable=False
    )
    floor_area = models.DecimalField(
        "场地面积（平方米）",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    has_computer = models.BooleanField("配备电脑", default=False)
    has_display = models.BooleanField("配备信息显示屏", default=False)
    has_monitoring = models.BooleanField("配备监控", default=False)
    has_meeting_room = models.BooleanField("配备洽谈室", default=False)
    station_head = models.CharField("站长", max_length=64, blank=True)
    # The head's own phone is personal data: stored encrypted. The service line below is not: the
    # policy has every station publish its service phone (主动公开…服务电话, seed 001), so it is
    # the station's public number, shown unmasked to every user, and stays plain text.
    station_head_phone = EncryptedCharField(
        "站长电话", max_length=32, blank=True, validators=[phone_validator]
    )
    county_supervisor = models.CharField("县级联络员", max_length=64, blank=True)
    opening_hours = models.CharField("服务时间", max_length=128, blank=True)
    service_phone = models.CharField("服务电话", max_length=32, blank=True, validators=[phone_validator])
    complaint_channel = models.CharField("投诉渠道", max_length=255, blank=True)
    alliance = models.CharField("所属驿站联盟", max_length=128, blank=True)
    operators = models.ManyToManyField(
        User,
        verbose_name="运营人员",
        blank=True,
        related_name="operated_stations",
        limit_choices_to={"role": User.Role.OPERATOR},
    )
    # Who may score a station is decided per campaign (CampaignStation.assessor); this is only
    # the assessor a new campaign starts with, so it must not grant any reach of its own.
    default_assessor = models.ForeignKey(
        User,
        verbose_name="默认评估人员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="default_assessed_stations",
        limit_choices_to={"role": User.Role.ASSESSOR},
        help_text="新开考核批次时复制为该站点的评估人员（可在批次中改派）；本身不授予查看或评分站点的权限。",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "站点"
        verbose_name_plural = "站点"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                name="station_contract_period_ordered",
                condition=Q(purchase_contract_start__isnull=True)
                | Q(purchase_contract_end__isnull=True)
                | Q(purchase_contract_end__gte=models.F("purchase_contract_start")),
                violation_error_message="购买服务合同的截止日期不能早于起始日期。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def masked_station_head_phone(self) -> str:
        return (
            mask_phone(self.station_head_phone)
            if self.station_head_phone.startswith("1")
            else (self.station_head_phone)
        )

    @property
    def purchase_contract(self) -> tuple[datetime.date, datetime.date] | None:
        """The purchase-of-services contract as (start, end), both days included; None without one."""
        if self.purchase_contract_start and self.purchase_contract_end:
            return (self.purchase_contract_start, self.purchase_contract_end)
        return None

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        if self.operating_mode == self.OperatingMode.PURCHASED:
            if not self.purchase_contract_start:
                errors["purchase_contract_start"] = "委托第三方运营的站点须填写购买服务合同起始日期。"
            if not self.purchase_contract_end:
                errors["purchase_contract_end"] = "委托第三方运营的站点须填写购买服务合同截止日期。"
        if (
            self.purchase_contract_start
            and self.purchase_contract_end
            and self.purchase_contract_end < self.purchase_contract_start
        ):
            errors["purchase_contract_end"] = "购买服务合同的截止日期不能早于起始日期。"
        if errors:
            raise ValidationError(errors)


#: What a station records each day in its work log (工作日志台账, 001; 000's 数据分析 of service
#: volume), as (field, Chinese label, unit). Rubric inputs and contract targets name these fields.
WORK_LOG_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("job_postings", "收集发布岗位信息", "条"),
    ("matches", "供需对接", "次"),
    ("placements", "推荐成功就业", "人"),
    ("training_referrals", "推荐参加培训", "人"),
    ("policy_consultations", "政策咨询", "人次"),
    ("disputes_helped", "协助维权调解", "件"),
    ("enterprise_visits", "走访企业", "家"),
)


class WorkLogDay(models.Model):
    """One station's services on one day: a count per kind of service, no personal data.

    One row per station and day (a second entry for the same day changes that day's row, recorded),
    so a period's totals are one SUM over an indexed range. Written only by
    `stations.worklog` services (the portal's form and the Excel import).
    """

    station = models.ForeignKey(
        Station, verbose_name="站点", on_delete=models.CASCADE, related_name="work_log_days"
    )
    day = models.DateField("日期")
    job_postings = models.PositiveIntegerField("收集发布岗位信息（条）", default=0)
    matches = models.PositiveIntegerField("供需对接（次）", default=0)
    placements = models.PositiveIntegerField("推荐成功就业（人）", default=0)
    training_referrals = models.PositiveIntegerField("推荐参加培训（人）", default=0)
    policy_consultations = models.PositiveIntegerField("政策咨询（人次）", default=0)
    disputes_helped = models.PositiveIntegerField("协助维权调解（件）", default=0)
    enterprise_visits = models.PositiveIntegerField("走访企业（家）", default=0)
    note = models.CharField(
        "备注", max_length=200, blank=True, help_text="服务概况，不写个人姓名、证件号、电话。"
    )
    recorded_by = models.ForeignKey(
        User, verbose_name="记录人", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    updated_at = models.DateTimeField("记录时间", auto_now=True)

    class Meta:
        verbose_name = "工作日志"
        verbose_name_plural = "工作日志台账"
        ordering = ["station", "-day"]
        constraints = [models.UniqueConstraint(fields=["station", "day"], name="work_log_one_row_per_day")]

    def __str__(self) -> str:
        return f"{self.station.code} {self.day:%Y-%m-%d}"


def contract_target_field(name: str) -> str:
    """The OperatingContract column holding the target for the work-log field `name`."""
    return f"target_{name}"


class OperatingContract(models.Model):
    """A station's operating contract under purchase of services (驿站运营合同, 003).

    The county tenders the station's running to a third party; the contract fixes its period, its
    amount, the operator, and the service targets (目标任务) over the whole period, one per kind of
    service the work log counts (a blank target is not part of the contract). A county clerk
    supervises each station (各县区就业部门安排1名工作人员具体负责每个驿站的日常监管). The station's
    own operating mode, contract dates and operator are written from its contracts
    (stations.contracts), so the two never disagree. Created and changed only through
    `stations.contracts.contract_save`, with a reason, recorded.
    """

    station = models.ForeignKey(
        Station, verbose_name="站点", on_delete=models.PROTECT, related_name="operating_contracts"
    )
    number = models.CharField("合同编号", max_length=64)
    operator_organisation = models.CharField("运营机构（中标单位）", max_length=128)
    operator_credit_code = models.CharField(
        "统一社会信用代码", max_length=18, validators=[validate_credit_code]
    )
    start = models.DateField("合同起始日期")
    end = models.DateField("合同截止日期")
    amount = models.DecimalField("合同金额（元）", **MONEY)
    supervisor = models.ForeignKey(
        User,
        verbose_name="县级监管人员",
        on_delete=models.PROTECT,
        related_name="supervised_contracts",
        limit_choices_to={"role": User.Role.BUREAU},
        help_text="站点所在县（区）就业部门负责该站日常监管的工作人员。",
    )
    target_job_postings = models.PositiveIntegerField("目标：收集发布岗位信息（条）", null=True, blank=True)
    target_matches = models.PositiveIntegerField("目标：供需对接（次）", null=True, blank=True)
    target_placements = models.PositiveIntegerField("目标：推荐成功就业（人）", null=True, blank=True)
    target_training_referrals = models.PositiveIntegerField("目标：推荐参加培训（人）", null=True, blank=True)
    target_policy_consultations = models.PositiveIntegerField("目标：政策咨询（人次）", null=True, blank=True)
    target_disputes_helped = models.PositiveIntegerField("目标：协助维权调解（件）", null=True, blank=True)
    target_enterprise_visits = models.PositiveIntegerField("目标：走访企业（家）", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "运营合同"
        verbose_name_plural = "运营合同（购买服务）"
        ordering = ["station", "-start"]
        constraints = [
            models.CheckConstraint(
                name="operating_contract_period_ordered",
                condition=Q(end__gte=models.F("start")),
                violation_error_message="合同截止日期不能早于起始日期。",
            ),
        ]
        indexes = [models.Index(fields=["station", "start"], name="contract_station_start_idx")]

    def __str__(self) -> str:
        return f"{self.number}（{self.station.code}）"

    @property
    def days(self) -> int:
        """The contract's length in days, both its first and its last day included."""
        return (self.end - self.start).days + 1

    def targets(self) -> dict[str, int]:
        """{work-log field: target over the whole period}, only the fields the contract sets."""
        return {
            name: value
            for name, _label, _unit in WORK_LOG_FIELDS
            if (value := getattr(self, contract_target_field(name))) is not None
        }


#: The papers of 002's one-time subsidy list (申报材料①–⑤), as (kind, Chinese label, required).
#: ① names two papers; they are asked for one by one so the bureau sees which is missing.
APPLICATION_PAPERS: tuple[tuple[str, str, bool], ...] = (
    ("licence", "营业执照或统一社会信用代码证书", True),
    ("legal_rep_id", "法定代表人身份证复印件", True),
    ("premises", "房屋租赁合同、房产证或土地使用证明", True),
    ("recognition_form", "零工市场（驿站）认定申请表", True),
    ("subsidy_form", "零工市场（驿站）补助资金申请表", True),
    ("plan", "实施方案等其他佐证材料", True),
)
APPLICATION_REFERENCE_PREFIX = "RD"


# Letters and digits not read one for another (0/O, 1/I/L) when an applicant types them back.
REFERENCE_KEY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def application_reference_key() -> str:
    import secrets

    return "".join(secrets.choice(REFERENCE_KEY_ALPHABET) for _ in range(4))


class StationApplication(models.Model):
    """An organisation's application to have a new station recognised (认定申请表, 002 附件3).

    Filed on the public application page (no account: the organisation has none until it is
    recognised) and followed there by its reference number; the bureau of its region records the
    on-site check and then recognises it or refuses with a reason. Recognition creates the station,
    its operator account and its one-time entitlement (assessment.services.station_recognition).
    Every move goes through `stations.applications` (core.workflow.transition), recorded.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "已提交（待现场核查）"
        CHECKED = "checked", "已现场核查"
        RECOGNISED = "recognised", "已认定"
        REFUSED = "refused", "不予认定"

    organisation = models.CharField("申请单位", max_length=128)
    credit_code = models.CharField("统一社会信用代码", max_length=18, validators=[validate_credit_code])
    legal_representative = models.CharField("法定代表人", max_length=64)
    station_name = models.CharField("拟认定名称", max_length=128)
    kind = models.CharField("类型", max_length=24, choices=StationKind.choices)
    region = models.ForeignKey(
        Region, verbose_name="所在区域", on_delete=models.PROTECT, related_name="station_applications"
    )
    address = models.CharField("地址", max_length=255)
    floor_area = models.DecimalField(
        "场地面积（平方米）", max_digits=8, decimal_places=2, validators=[MinValueValidator(0)]
    )
    contact_name = models.CharField("联系人", max_length=64)
    # Personal data: stored encrypted, shown masked; the bureau sees it whole, each look recorded.
    contact_phone = EncryptedCharField("联系人手机号", max_length=32, validators=[phone_validator])
    client_key = models.CharField("提交来源标识", max_length=64, db_index=True, editable=False)
    # Random letters ending the reference: the id alone is a sequence anyone could count through.
    reference_key = models.CharField(
        "受理编号校验码", max_length=4, default=application_reference_key, editable=False
    )
    submitted_at = models.DateTimeField("提交时间", auto_now_add=True)
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.SUBMITTED, db_index=True, editable=False
    )
    checked_on = models.DateField("现场核查日期", null=True, blank=True, editable=False)
    check_findings = models.TextField("现场核查情况", blank=True, editable=False)
    checked_by = models.ForeignKey(
        User,
        verbose_name="核查人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    decided_on = models.DateField("决定日期", null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        User,
        verbose_name="决定人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    refusal_reason = models.TextField("不予认定理由", blank=True, editable=False)
    station = models.OneToOneField(
        Station,
        verbose_name="认定的站点",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="application",
        editable=False,
    )
    operator = models.ForeignKey(
        User,
        verbose_name="运营人员账号",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "站点认定申请"
        verbose_name_plural = "站点认定申请"
        ordering = ["-submitted_at"]
        constraints = [
            models.CheckConstraint(
                name="station_application_refusal_has_reason",
                condition=~Q(status="refused") | ~Q(refusal_reason=""),
                violation_error_message="不予认定须写明理由。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.station_name}（{self.reference}）"

    @property
    def reference(self) -> str:
        """The number the applicant quotes (受理编号): RD-<year filed>-<id>-<random letters>,
        e.g. RD-2026-000012-K7QX."""
        if self.pk is None or self.submitted_at is None:
            return ""
        from django.utils import timezone

        filed = timezone.localtime(self.submitted_at)
        return f"{APPLICATION_REFERENCE_PREFIX}-{filed:%Y}-{self.pk:06d}-{self.reference_key}"

    @staticmethod
    def reference_pk(text: str) -> int | None:
        """The id a reference number names ("RD-2026-000012-K7QX", any case, spaces around; the
        admin's search also takes it without the letters), or None."""
        import re

        match = re.fullmatch(
            rf"{APPLICATION_REFERENCE_PREFIX}-\d{{4}}-(\d{{1,9}})(-[A-Z0-9]{{4}})?", text.strip().upper()
        )
        return int(match.group(1)) if match else None

    @property
    def masked_contact_phone(self) -> str:
        return mask_phone(self.contact_phone)


class StationApplicationPaper(models.Model):
    """One paper of an application (a PDF or an image), checked by its content and stored under a
    random name (core.uploads.stored_upload); sent only to the bureau of the application's region."""

    application = models.ForeignKey(
        StationApplication, verbose_name="认定申请", on_delete=models.CASCADE, related_name="papers"
    )
    kind = models.CharField(
        "材料", max_length=24, choices=[(kind, label) for kind, label, _ in APPLICATION_PAPERS]
    )
    file = models.FileField("文件", max_length=255)
    name = models.CharField("文件原名", max_length=100)
    content_type = models.CharField("文件类型", max_length=64)
    size = models.PositiveIntegerField("大小（字节）")

    class Meta:
        verbose_name = "认定申请材料"
        verbose_name_plural = "认定申请材料"
        ordering = ["application", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "kind"], name="station_application_one_paper_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.name}"


class ApplicationAttempt(models.Model):
    """One use of the public application pages by a visitor (a keyed hash of the address, never the
    address): filing an application, or looking one up. The rate limits count these rows, failed
    attempts included (stations.applications.attempt_allowed); rows older than a day are deleted."""

    class Kind(models.TextChoices):
        SUBMIT = "submit", "提交认定申请"
        LOOKUP = "lookup", "查询认定申请"

    kind = models.CharField("类型", max_length=8, choices=Kind.choices)
    client_key = models.CharField("来源标识", max_length=64)
    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "认定申请页访问"
        verbose_name_plural = "认定申请页访问"
        indexes = [models.Index(fields=["client_key", "kind", "at"], name="application_attempt_key")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"
