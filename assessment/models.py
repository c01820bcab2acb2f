"""Policies as data: a rubric of sections and items, a tier scheme and a subsidy schedule.

Each table maps onto a spec class of `assessment.engine.specs`, so `assessment.selectors.policy_spec`
rebuilds the exact PolicySpec the pure engine scores with. A policy a campaign has used is
frozen (`frozen_at`): its rows no longer change, and an edit makes a new version.
"""

import re
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from assessment.engine.specs import ELIMINATION_SCOPES, GROUP_REWARD_RULES, ONE_TIME_BASES, RULE_KINDS
from core.fields import CompactJSONField, EncryptedCharField
from core.money import MONEY
from stations.models import Region, Station, StationKind

POINTS = {"max_digits": 6, "decimal_places": 2, "validators": [MinValueValidator(0)]}


class Policy(models.Model):
    class Period(models.TextChoices):
        YEARLY = "yearly", "按年度评分"
        MONTHLY = "monthly", "按月评分、年度取平均"

    class TierMethod(models.TextChoices):
        THRESHOLDS = "thresholds", "按分数线定等次"
        RANKED = "ranked", "按排名比例分档"

    code = models.SlugField("政策编码", max_length=64, help_text="如 yunmeng-2024；新版本沿用同一编码。")
    version = models.PositiveSmallIntegerField("版本", default=1)
    name = models.CharField("名称", max_length=200)
    region = models.ForeignKey(
        Region, verbose_name="适用区域", on_delete=models.PROTECT, related_name="policies"
    )
    year = models.PositiveSmallIntegerField(
        "年度", validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    period = models.CharField("评分周期", max_length=8, choices=Period.choices, default=Period.YEARLY)
    kinds = models.JSONField("适用站点类型", default=list, help_text="站点类型编码的列表。")
    source = models.CharField("政策依据", max_length=255, blank=True)
    notes = models.TextField("说明", blank=True)

    rubric_max_points = models.DecimalField("评分表满分", default=100, **POINTS)
    part_whole = models.JSONField(
        "数据勾稽关系",
        default=list,
        blank=True,
        help_text='部分不得大于整体，如 {"part": "a", "whole": "b + c"}。',
    )

    tier_method = models.CharField("定等方式", max_length=12, choices=TierMethod.choices)
    fallback_tier = models.CharField("未达最低分数线的等次编码", max_length=32, blank=True)
    fallback_label = models.CharField("未达最低分数线的等次名称", max_length=32, blank=True)
    ranked_levels = models.JSONField("参与排名的认定级别", default=list, blank=True)
    level_bands = models.JSONField(
        "固定档次的认定级别", default=dict, blank=True, help_text='如 {"district": "district"}。'
    )
    level_band_labels = models.JSONField(
        "固定档次的名称", default=dict, blank=True, help_text='按认定级别，如 {"district": "区级"}。'
    )
    elimination_lowest_count = models.PositiveSmallIntegerField("末位淘汰名额", null=True, blank=True)
    elimination_below_score = models.DecimalField("淘汰分数线（低于）", null=True, blank=True, **POINTS)
    elimination_scope = models.CharField(
        "淘汰比较范围", max_length=16, blank=True, choices=[(s, s) for s in ELIMINATION_SCOPES]
    )
    group_deduction_amount = models.DecimalField("捆绑考核扣减金额", null=True, blank=True, **MONEY)
    # Empty: the policy has no group reward; 0: it has one whose amount is not set yet (Heshan's
    # seed rewards "带动好的社区(村)" without saying how much).
    group_reward_amount = models.DecimalField("捆绑考核奖励金额", null=True, blank=True, **MONEY)
    group_reward_rule = models.CharField(
        "捆绑考核奖励对象", max_length=16, blank=True, choices=[(r, r) for r in GROUP_REWARD_RULES]
    )

    one_time_basis = models.CharField(
        "一次性补助依据", max_length=24, blank=True, choices=[(b, b or "无") for b in ONE_TIME_BASES]
    )
    one_time_label = models.CharField("一次性补助名称", max_length=64, blank=True)
    min_months_recognised = models.PositiveSmallIntegerField("认定满几个月方可参评", null=True, blank=True)
    purchase_of_services_excluded = models.BooleanField("购买服务合同期内不享受补助", default=False)
    # Counted on the working calendar (core.working_days); 0: the policy sets no minimum, or (for the
    # payee notice) publishes no list of payees before paying.
    result_notice_working_days = models.PositiveSmallIntegerField(
        "结果公示最少工作日", default=0, help_text="考核结果公示期不少于几个工作日；0 表示不作要求。"
    )
    payee_notice_working_days = models.PositiveSmallIntegerField(
        "补助对象公示最少工作日", default=0, help_text="拟补助对象公示期不少于几个工作日；0 表示不作要求。"
    )
    # Yunmeng's 年度报告制度 (000): each station reports on its year with the self-evaluation. Other
    # policies ask for no report, and their pages show none.
    annual_report = models.BooleanField(
        "要求提交年度报告",
        default=False,
        help_text="站点随自评一并提交年度报告（年度工作概况、成效、问题和下一年度计划，附工作日志统计）。",
    )

    frozen_at = models.DateTimeField("冻结时间", null=True, blank=True, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "考核政策"
        verbose_name_plural = "考核政策"
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="policy_code_version_unique")]

    def __str__(self) -> str:
        return f"{self.name}(v{self.version})"

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        # A fixed band is shown by its label on the notice and the score sheet, never by its code.
        labels = self.level_band_labels if isinstance(self.level_band_labels, dict) else {}
        unlabelled = [level for level in (self.level_bands or {}) if not str(labels.get(level, "")).strip()]
        if isinstance(self.level_bands, dict) and unlabelled:
            levels = "、".join(unlabelled)
            example = '{"district": "区级"}'
            raise ValidationError(
                {"level_band_labels": f"请为固定档次的认定级别 {levels} 填写名称，如 {example}。"}
            )


class TierThreshold(models.Model):
    policy = models.ForeignKey(
        Policy, verbose_name="政策", on_delete=models.CASCADE, related_name="thresholds"
    )
    code = models.CharField("等次编码", max_length=32)
    label = models.CharField("等次名称", max_length=32)
    min_score = models.DecimalField("最低分（含）", **POINTS)

    class Meta:
        verbose_name = "等次分数线"
        verbose_name_plural = "等次分数线"
        ordering = ["-min_score"]
        constraints = [models.UniqueConstraint(fields=["policy", "code"], name="threshold_code_unique")]

    def __str__(self) -> str:
        return f"{self.label} ≥ {self.min_score}"


class RankedBand(models.Model):
    policy = models.ForeignKey(Policy, verbose_name="政策", on_delete=models.CASCADE, related_name="bands")
    position = models.PositiveSmallIntegerField("顺序", default=0)
    code = models.CharField("档次编码", max_length=32)
    label = models.CharField("档次名称", max_length=32)
    weight = models.PositiveSmallIntegerField("比例份数", validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = "排名档次"
        verbose_name_plural = "排名档次（从高到低）"
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["policy", "code"], name="band_code_unique")]

    def __str__(self) -> str:
        return f"{self.label}（{self.weight} 份）"


class SubsidyAmount(models.Model):
    policy = models.ForeignKey(
        Policy, verbose_name="政策", on_delete=models.CASCADE, related_name="subsidy_amounts"
    )
    kind = models.CharField("站点类型", max_length=24, choices=StationKind.choices)
    tier = models.CharField("等次/档次编码", max_length=32)
    amount = models.DecimalField("年度补助（元）", **MONEY)

    class Meta:
        verbose_name = "年度补助标准"
        verbose_name_plural = "年度补助标准"
        ordering = ["kind", "-amount"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "kind", "tier"], name="subsidy_amount_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.tier}: {self.amount}"


class OneTimeAmount(models.Model):
    policy = models.ForeignKey(
        Policy, verbose_name="政策", on_delete=models.CASCADE, related_name="one_time_amounts"
    )
    kind = models.CharField("站点类型", max_length=24, choices=StationKind.choices)
    amount = models.DecimalField("一次性补助（元）", **MONEY)

    class Meta:
        verbose_name = "一次性补助标准"
        verbose_name_plural = "一次性补助标准"
        constraints = [models.UniqueConstraint(fields=["policy", "kind"], name="one_time_amount_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.amount}"


class RubricSection(models.Model):
    policy = models.ForeignKey(Policy, verbose_name="政策", on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField("顺序", default=0)
    code = models.CharField("编号", max_length=16)
    title = models.CharField("名称", max_length=200)
    max_points = models.DecimalField("满分", **POINTS)

    class Meta:
        verbose_name = "评分表部分"
        verbose_name_plural = "评分表部分"
        ordering = ["policy", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["policy", "code"], name="section_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}（{self.max_points} 分）"


class RubricItem(models.Model):
    """An item or, with a parent, a sub-item. The rule's parameters are kept as the engine reads them."""

    section = models.ForeignKey(
        RubricSection, verbose_name="所属部分", on_delete=models.CASCADE, related_name="items"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="上级项目",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    position = models.PositiveSmallIntegerField("顺序", default=0)
    code = models.CharField("编号", max_length=16)
    title = models.CharField("内容", max_length=500)
    max_points = models.DecimalField("满分", **POINTS)
    rule = models.CharField("计分规则", max_length=24, choices=[(k, k) for k in RULE_KINDS])
    params = models.JSONField("规则参数", default=dict, blank=True)
    inputs = models.JSONField("读取的数据项", default=list, blank=True)
    scored_from_month = models.PositiveSmallIntegerField(
        "从几月起计分", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    kinds = models.JSONField("仅适用的站点类型", default=list, blank=True)
    note = models.CharField("备注", max_length=500, blank=True)

    class Meta:
        verbose_name = "评分项目"
        verbose_name_plural = "评分项目"
        ordering = ["section", "position", "id"]
        constraints = [
            models.CheckConstraint(
                name="item_scored_from_month_range",
                condition=Q(scored_from_month__isnull=True)
                | Q(scored_from_month__gte=1, scored_from_month__lte=12),
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title[:40]}"


class Campaign(models.Model):
    """One year's assessment （考核批次） of the stations of a region under one policy."""

    class Status(models.TextChoices):
        DRAFT = "draft", "筹备中"
        OPEN = "open", "自评与现场评估中"
        RESULTS = "results", "结果已计算，待公示"
        NOTICE = "notice", "公示中"
        PUBLISHED = "published", "已通报"

    code = models.SlugField("批次编码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=200)
    policy = models.ForeignKey(
        Policy, verbose_name="考核政策", on_delete=models.PROTECT, related_name="campaigns"
    )
    region = models.ForeignKey(
        Region, verbose_name="考核区域", on_delete=models.PROTECT, related_name="campaigns"
    )
    year = models.PositiveSmallIntegerField(
        "年度", validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    months = models.JSONField(
        "评分月份",
        default=list,
        blank=True,
        help_text="按月评分的政策填写月份列表，如 [1, 2, 3]；按年度评分留空。",
    )
    self_evaluation_due = models.DateTimeField("自评截止时间")
    onsite_due = models.DateField("现场评估截止日期")
    assessed_on = models.DateField("考核基准日", help_text="认定时长、购买服务合同期按此日判断。")
    notice_start = models.DateTimeField("公示开始", null=True, blank=True, editable=False)
    notice_end = models.DateTimeField("公示结束", null=True, blank=True, editable=False)
    gap_threshold = models.DecimalField(
        "自评与现场评分差异阈值（分）",
        default=2,
        help_text="同一项目现场评分与自评相差超过此分值时，评估人员须写明原因。",
        **POINTS,
    )
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "考核批次"
        verbose_name_plural = "考核批次"
        ordering = ["-year", "code"]
        constraints = [
            models.CheckConstraint(
                name="campaign_notice_period_ordered",
                condition=Q(notice_start__isnull=True)
                | Q(notice_end__isnull=True)
                | Q(notice_end__gt=F("notice_start")),
                violation_error_message="公示结束时间必须晚于开始时间。",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        months = self.months or []
        if not isinstance(months, list) or any(
            not isinstance(m, int) or isinstance(m, bool) or not 1 <= m <= 12 for m in months
        ):
            raise ValidationError({"months": "评分月份应为 1 到 12 的整数列表，如 [1, 2, 3]。"})
        if len(set(months)) != len(months):
            raise ValidationError({"months": "评分月份有重复。"})
        if self.policy_id and (self.policy.period == "monthly") != bool(months):
            raise ValidationError({"months": "按月评分的政策须填写评分月份；按年度评分的政策不填月份。"})
        if self.policy_id and self.year and self.policy.year != self.year:
            raise ValidationError({"year": f"所选政策适用于 {self.policy.year} 年度。"})

    @property
    def periods(self) -> list[str]:
        """The sheet periods: "2024" for a yearly campaign, "2024-01", "2024-02", … for a monthly one."""
        if self.months:
            return [f"{self.year}-{month:02d}" for month in sorted(self.months)]
        return [str(self.year)]


class CampaignStation(models.Model):
    """A station taking part in a campaign, with its assessor and the conflict-of-interest declaration."""

    class Declaration(models.TextChoices):
        PENDING = "pending", "未声明"
        NO_CONFLICT = "no_conflict", "已声明无利益冲突"

    campaign = models.ForeignKey(
        Campaign, verbose_name="考核批次", on_delete=models.CASCADE, related_name="entries"
    )
    station = models.ForeignKey(
        "stations.Station", verbose_name="站点", on_delete=models.PROTECT, related_name="campaign_entries"
    )
    assessor = models.ForeignKey(
        "stations.User",
        verbose_name="评估人员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaign_assignments",
        limit_choices_to=Q(role__in=["assessor", "bureau"]),
    )
    declaration = models.CharField(
        "利益冲突声明",
        max_length=16,
        choices=Declaration.choices,
        default=Declaration.PENDING,
        editable=False,
    )
    declared_at = models.DateTimeField("声明时间", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "参评站点"
        verbose_name_plural = "参评站点"
        ordering = ["campaign", "station__code"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "station"], name="campaign_station_unique")
        ]

    def __str__(self) -> str:
        return f"{self.campaign.code} · {self.station.code}"


class ScoreSheet(models.Model):
    """A station's score sheet for one period, in three columns: self-evaluation, on-site, final.

    Each column keeps the inputs as given and their total; the points of every item and section are
    derived when shown (`assessment.scoring.column_result`: the inputs scored by the campaign's
    frozen policy), not stored. The inputs are stored packed (`assessment.scoring.pack_inputs`: a
    list of values in the order of the policy's input names, so a province's sheets do not repeat
    the same fifty names in every column), and the final column only when the review changed the
    on-site inputs. Read and set them as dicts through `self_inputs`, `onsite_inputs` and
    `final_inputs`; these read the campaign's policy (load `campaign__policy` with many sheets).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "自评填写中"
        SUBMITTED = "submitted", "已提交自评"
        ASSESSED = "assessed", "现场评估完成"
        LOCKED = "locked", "已审定锁定"

    # Indexed by the unique (campaign, station, period), which leads with it.
    campaign = models.ForeignKey(
        Campaign, verbose_name="考核批次", on_delete=models.CASCADE, related_name="sheets", db_index=False
    )
    station = models.ForeignKey(
        "stations.Station", verbose_name="站点", on_delete=models.PROTECT, related_name="score_sheets"
    )
    period = models.CharField("期间", max_length=7)
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.DRAFT, editable=False
    )

    self_packed = CompactJSONField("自评数据", default=dict, blank=True)
    self_total = models.DecimalField("自评总分", null=True, blank=True, **POINTS)
    onsite_packed = CompactJSONField("现场评估数据", default=dict, blank=True)
    onsite_total = models.DecimalField("现场评估总分", null=True, blank=True, **POINTS)
    # {} until the review settles the sheet; null once settled on the on-site inputs unchanged.
    final_packed = CompactJSONField("审定数据", null=True, default=dict, blank=True)
    final_total = models.DecimalField("审定总分", null=True, blank=True, **POINTS)
    gap_reasons = models.JSONField("评分差异原因", default=dict, blank=True)
    findings = models.TextField("现场发现的问题", blank=True)
    # {bound input: the work-log total or the contract's target} as the on-site column was submitted
    # (assessment.worklog_inputs, contract_inputs; an input has at most one binding): the log and
    # the contract may be corrected later, the printed "日志记录 N" / "合同目标 N" stays what the
    # assessor compared.
    log_figures = models.JSONField("现场评估时的工作日志数", default=dict, blank=True, editable=False)

    submitted_at = models.DateTimeField("自评提交时间", null=True, blank=True)
    assessed_at = models.DateTimeField("现场评估时间", null=True, blank=True)
    assessed_by = models.ForeignKey(
        "stations.User",
        verbose_name="评估人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # never searched by; only a user's deletion looks, and is refused anyway
    )
    locked_at = models.DateTimeField("审定时间", null=True, blank=True)
    locked_by = models.ForeignKey(
        "stations.User",
        verbose_name="审定人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # never searched by; only a user's deletion looks, and is refused anyway
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "评分表"
        verbose_name_plural = "评分表"
        ordering = ["campaign", "station__code", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "station", "period"], name="sheet_station_period_unique"
            )
        ]
        # With the station, the campaign page's counts by state and region read the index alone.
        indexes = [
            models.Index(fields=["campaign", "status", "station"], name="sheet_campaign_status_stn_idx")
        ]

    def __str__(self) -> str:
        return f"{self.station.code} {self.period}"

    @property
    def month(self) -> int | None:
        return int(self.period[5:7]) if len(self.period) == 7 else None

    def _unpack(self, packed) -> dict:
        from assessment.scoring import unpack_inputs

        return unpack_inputs(self.campaign.policy, packed)

    def _pack(self, raw: dict):
        from assessment.scoring import pack_inputs

        return pack_inputs(self.campaign.policy, raw)

    @property
    def self_inputs(self) -> dict:
        """The self-evaluation's inputs as the operator gave them (a new dict on every read)."""
        return self._unpack(self.self_packed)

    @self_inputs.setter
    def self_inputs(self, raw: dict) -> None:
        self.self_packed = self._pack(raw)

    @property
    def onsite_inputs(self) -> dict:
        """The on-site column's inputs as the assessor (or the bureau's import) gave them."""
        return self._unpack(self.onsite_packed)

    @onsite_inputs.setter
    def onsite_inputs(self, raw: dict) -> None:
        # Only before the review: a settled (locked) sheet's on-site column never changes, so a
        # final column that reads it (null) keeps reading what it was settled on.
        self.onsite_packed = self._pack(raw)

    @property
    def final_inputs(self) -> dict:
        """The inputs the review settled on: the on-site ones unless the reviewer changed them; {} before."""
        if self.final_packed is None:
            return self.onsite_inputs
        return self._unpack(self.final_packed)

    @final_inputs.setter
    def final_inputs(self, raw: dict) -> None:
        self.final_packed = None if raw and raw == self.onsite_inputs else self._pack(raw)


class Evidence(models.Model):
    """A file attached as evidence to a score sheet or to a rectification response."""

    class Kind(models.TextChoices):
        LEDGER = "ledger", "台账"
        PHOTO = "photo", "照片"
        ANNUAL_REPORT = "annual_report", "年度运营报告"
        OTHER = "other", "其他材料"

    sheet = models.ForeignKey(
        ScoreSheet,
        verbose_name="评分表",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    rectification = models.ForeignKey(
        "RectificationOrder",
        verbose_name="整改通知",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    kind = models.CharField("类别", max_length=16, choices=Kind.choices)
    file = models.FileField("文件", max_length=255)
    original_name = models.CharField("原文件名", max_length=100)
    content_type = models.CharField("文件类型", max_length=100)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField("文件校验值（SHA-256）", max_length=64)
    uploaded_by = models.ForeignKey(
        "stations.User", verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="evidence_belongs_to_one_thing",
                condition=Q(sheet__isnull=False, rectification__isnull=True)
                | Q(sheet__isnull=True, rectification__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}:{self.original_name}"


class Entitlement(models.Model):
    """One amount the product may pay: the entitlement ledger (应享补助台账).

    Written only by the decision that grants it (`assessment.services.entitlements`): a campaign's
    results (performance, and the one-time amount of a station first recognised in the campaign's
    year), a station's first recognition, or the start-up selection. The public notice, the score
    sheet PDF, a claim, the payee notice and the disbursement list all read this row, so what is
    shown is what is paid. Once a claim on it is on a payee notice or approved it is committed: a
    correction that would change it is refused until the claim is reopened by a recorded move.
    """

    class Kind(models.TextChoices):
        PERFORMANCE = "performance", "年度绩效补助"
        ONE_TIME = "one_time", "一次性运营补助"
        START_UP = "start_up", "启动资金"

    class Basis(models.TextChoices):
        CAMPAIGN_RESULT = "campaign_result", "考核结果"
        FIRST_RECOGNITION = "first_recognition", "首次认定"
        START_UP_SELECTION = "start_up_selection", "年初确定为建设单位"

    # Open: a correction may still change it. Locked: a claim on it is on a payee notice or
    # approved, so the public has seen the amount. Paid: never changes again.
    class Status(models.TextChoices):
        OPEN = "open", "已确定"
        COMMITTED = "committed", "已锁定"
        PAID = "paid", "已拨付"

    station = models.ForeignKey(
        "stations.Station", verbose_name="站点", on_delete=models.PROTECT, related_name="entitlements"
    )
    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("补助类型", max_length=16, choices=Kind.choices)
    amount = models.DecimalField("应补助金额（元）", **MONEY)
    policy = models.ForeignKey(
        Policy, verbose_name="政策", on_delete=models.PROTECT, related_name="entitlements"
    )
    basis = models.CharField("依据", max_length=24, choices=Basis.choices)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name="考核批次",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entitlements",
    )
    explanation = models.TextField("计算说明")
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.OPEN, editable=False
    )
    decided_at = models.DateTimeField("确定时间")

    class Meta:
        verbose_name = "应享补助"
        verbose_name_plural = "应享补助台账"
        ordering = ["-year", "station__code", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "station", "kind"],
                condition=Q(campaign__isnull=False),
                name="entitlement_one_per_campaign_station_kind",
            ),
            # The one-time subsidy is decided once per station, ever (002: 首次认定).
            models.UniqueConstraint(
                fields=["station"], condition=Q(kind="one_time"), name="entitlement_one_time_once"
            ),
            models.UniqueConstraint(
                fields=["station", "year"],
                condition=Q(kind="start_up"),
                name="entitlement_start_up_once_a_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.station.code} {self.year} 年度{self.get_kind_display()} {self.amount} 元"


class CampaignResultManager(models.Manager):
    """Every read of results brings its entitlements along: the amounts shown are theirs."""

    def get_queryset(self):
        return super().get_queryset().select_related("entitlement", "one_time_entitlement")


class CampaignResult(models.Model):
    """A station's result in a campaign: the score and the tier or band; its money is in the ledger.

    `subsidy` and `one_time_subsidy` read the entitlements the same decision wrote; select them
    with `select_related("entitlement", "one_time_entitlement")`.
    """

    campaign = models.ForeignKey(
        Campaign, verbose_name="考核批次", on_delete=models.CASCADE, related_name="results"
    )
    station = models.ForeignKey(
        "stations.Station", verbose_name="站点", on_delete=models.PROTECT, related_name="campaign_results"
    )
    score = models.DecimalField("得分", **POINTS)
    eligible = models.BooleanField("符合参评条件", default=True)
    tier = models.CharField("等次编码", max_length=32, blank=True)
    tier_label = models.CharField("等次", max_length=32, blank=True)
    eliminated = models.BooleanField("末位淘汰", default=False)
    entitlement = models.ForeignKey(
        Entitlement, verbose_name="年度补助", on_delete=models.PROTECT, related_name="+"
    )
    one_time_entitlement = models.ForeignKey(
        Entitlement,
        verbose_name="一次性补助",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    explanation = models.TextField("计算说明", blank=True)
    # {section code: points as a 2-decimal string}: the mean over the months of each section's final
    # points (one sheet's for a yearly campaign), rounded half-up once like the annual score, written
    # when the results are computed so that tables need not score every sheet again.
    section_points = models.JSONField("各部分得分", default=dict, blank=True)
    computed_at = models.DateTimeField("计算时间")

    objects = CampaignResultManager()

    class Meta:
        verbose_name = "考核结果"
        verbose_name_plural = "考核结果"
        ordering = ["campaign", "-score", "station__code"]
        constraints = [models.UniqueConstraint(fields=["campaign", "station"], name="result_station_unique")]

    def __str__(self) -> str:
        return f"{self.station.code} {self.score} {self.tier_label}"

    @property
    def subsidy(self):
        return self.entitlement.amount

    @property
    def one_time_subsidy(self):
        return self.one_time_entitlement.amount if self.one_time_entitlement_id else Decimal("0.00")


# An objection's reference number (受理编号), see Objection.reference.
REFERENCE_PREFIX = "YY"
REFERENCE_PATTERN = re.compile(r"YY-\d{4}-(\d{1,12})", re.IGNORECASE)


class Objection(models.Model):
    """An objection （异议） to a published result, filed by anyone during the notice period."""

    class Status(models.TextChoices):
        OPEN = "open", "待答复"
        ANSWERED = "answered", "已答复"

    campaign = models.ForeignKey(
        Campaign, verbose_name="考核批次", on_delete=models.CASCADE, related_name="objections"
    )
    station = models.ForeignKey(
        "stations.Station", verbose_name="涉及站点", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("姓名", max_length=64)
    # A citizen's phone or email: encrypted at rest like the rosters' phones (core/crypto.py).
    contact = EncryptedCharField("联系方式", max_length=64)
    reason = models.TextField("异议理由", max_length=2000)
    attachment = models.FileField("附件", max_length=255, blank=True)
    attachment_name = models.CharField("附件原名", max_length=100, blank=True)
    client_key = models.CharField("提交来源标识", max_length=64, db_index=True, editable=False)
    filed_at = models.DateTimeField("提交时间", auto_now_add=True)
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.OPEN, editable=False
    )
    response = models.TextField("答复", blank=True)
    responded_by = models.ForeignKey(
        "stations.User",
        verbose_name="答复人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    responded_at = models.DateTimeField("答复时间", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "异议"
        verbose_name_plural = "异议"
        ordering = ["-filed_at"]

    def __str__(self) -> str:
        # The day in China: an objection filed at 00:08 on 1 December is of 1 December, not 30 November (UTC).
        return f"{self.station.code} 异议（{timezone.localtime(self.filed_at):%Y-%m-%d}）"

    @property
    def reference(self) -> str:
        """The number the citizen is given to quote (受理编号): YY-<year filed>-<id>, e.g. YY-2026-000123.

        Derived from the row's id, so it is unique and never changes; the admin's search finds the
        objection by it (`reference_pk`).
        """
        if self.pk is None:
            return ""
        return f"{REFERENCE_PREFIX}-{timezone.localtime(self.filed_at):%Y}-{self.pk:06d}"

    @staticmethod
    def reference_pk(text: str) -> int | None:
        """The id a reference number names ("YY-2026-000123", any case, spaces around), or None."""
        match = REFERENCE_PATTERN.fullmatch(text.strip())
        return int(match.group(1)) if match else None


class RectificationOrder(models.Model):
    """An order to fix the problems found （整改）， with a deadline, the operator's answer and verification."""

    class Status(models.TextChoices):
        ISSUED = "issued", "待整改"
        RESPONDED = "responded", "已提交整改情况"
        VERIFIED = "verified", "整改已核实"
        REVOCATION_PROPOSED = "revocation_proposed", "逾期未整改，已提请撤销资格"
        REVOKED = "revoked", "已撤销站点资格"

    campaign = models.ForeignKey(
        Campaign,
        verbose_name="考核批次",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rectification_orders",
    )
    station = models.ForeignKey(
        "stations.Station", verbose_name="站点", on_delete=models.PROTECT, related_name="rectification_orders"
    )
    problems = models.TextField("存在问题")
    deadline = models.DateField("整改期限")
    status = models.CharField(
        "状态", max_length=24, choices=Status.choices, default=Status.ISSUED, editable=False
    )
    response = models.TextField("整改情况", blank=True)
    responded_at = models.DateTimeField("提交时间", null=True, blank=True, editable=False)
    verification_note = models.TextField("核实意见", blank=True)
    issued_by = models.ForeignKey(
        "stations.User", verbose_name="下达人", on_delete=models.PROTECT, related_name="+", editable=False
    )
    issued_at = models.DateTimeField("下达时间", auto_now_add=True)

    class Meta:
        verbose_name = "整改通知"
        verbose_name_plural = "整改通知"
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"{self.station.code} 整改（期限 {self.deadline:%Y-%m-%d}）"


# The sections of a station's annual report （年度报告， Yunmeng's 年度报告制度）: (field, heading).
ANNUAL_REPORT_SECTIONS: tuple[tuple[str, str], ...] = (
    ("overview", "年度工作概况"),
    ("achievements", "主要成效"),
    ("problems", "存在问题"),
    ("next_year_plan", "下一年度工作计划"),
)
ANNUAL_REPORT_SECTION_MAX = 2000
ANNUAL_REPORT_HINT = "不超过 2000 字；只写工作情况，不写服务对象的姓名、身份证号、电话等个人信息。"


class AnnualReport(models.Model):
    """A station's report on its year （年度报告）， submitted with its self-evaluation in a campaign.

    One per campaign and station (one per campaign entry), for the campaign's year. The work log's
    totals for the year are copied into `log_totals` when the report is submitted, so the report
    that was submitted, and printed with the score sheet, keeps its figures when the log is edited
    later; a draft shows the log's live totals. Written only by `assessment.services.annual_reports`.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "填写中"
        SUBMITTED = "submitted", "已提交"

    campaign = models.ForeignKey(
        Campaign, verbose_name="考核批次", on_delete=models.CASCADE, related_name="annual_reports"
    )
    station = models.ForeignKey(
        "stations.Station", verbose_name="站点", on_delete=models.PROTECT, related_name="annual_reports"
    )
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    overview = models.TextField("年度工作概况", max_length=ANNUAL_REPORT_SECTION_MAX, blank=True)
    achievements = models.TextField("主要成效", max_length=ANNUAL_REPORT_SECTION_MAX, blank=True)
    problems = models.TextField("存在问题", max_length=ANNUAL_REPORT_SECTION_MAX, blank=True)
    next_year_plan = models.TextField("下一年度工作计划", max_length=ANNUAL_REPORT_SECTION_MAX, blank=True)
    # {log field: count} for `log_start`…`log_end`, copied at submission; {} while a draft.
    log_totals = models.JSONField("工作日志统计（提交时）", default=dict, blank=True, editable=False)
    log_start = models.DateField("统计起始日", null=True, blank=True, editable=False)
    log_end = models.DateField("统计截止日", null=True, blank=True, editable=False)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True, editable=False)
    submitted_by = models.ForeignKey(
        "stations.User",
        verbose_name="提交人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,  # never searched by; only a user's deletion looks, and is refused anyway
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "年度报告"
        verbose_name_plural = "年度报告"
        ordering = ["campaign", "station__code"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "station"], name="annual_report_one_per_entry")
        ]

    def __str__(self) -> str:
        return f"{self.station.code} {self.campaign.year}年度报告"


class Recommendation(models.Model):
    """A unit a county recommends up the hierarchy for recognition （推荐认定）, and what came of it.

    004's timetable: the district recommends the units its campaign found best to the city (by
    10 December), the city scores them and forwards the best to the province (11–20 December), the
    province scores them and decides the recognised list with a level (to January). Each level scores
    in its own column and never overwrites a lower one's: self (the self-evaluation), county (the
    campaign's result), city and province. The papers are the station's evidence in the source
    campaign (`campaign`), read from there, not copied. Written only by
    `assessment.services.recommendations`; the decided level is written to the station by a recorded
    move (`stations.services.station_recognition_set`) and decides the next campaign's money.
    """

    class Status(models.TextChoices):
        RECOMMENDED = "recommended", "已推荐，待市级审核"
        CITY_REVIEWED = "city_reviewed", "市级已审核，待省级审定"
        RECOGNISED = "recognised", "已认定"
        REFUSED = "refused", "不予认定"
        WITHDRAWN = "withdrawn", "已撤回"

    campaign = models.ForeignKey(
        Campaign, verbose_name="推荐依据的考核批次", on_delete=models.PROTECT, related_name="recommendations"
    )
    station = models.ForeignKey(
        "stations.Station",
        verbose_name="被推荐单位",
        on_delete=models.PROTECT,
        related_name="recommendations",
    )
    city = models.ForeignKey(
        Region, verbose_name="市级审核单位", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    province = models.ForeignKey(
        Region, verbose_name="省级审定单位", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.RECOMMENDED, editable=False
    )
    requested_level = models.CharField(
        "申报认定级别", max_length=16, choices=Station.RecognitionLevel.choices
    )
    # One column per level, each written once by its own level's move and kept.
    score_self = models.DecimalField("自评分", null=True, blank=True, editable=False, **POINTS)
    score_county = models.DecimalField("县（区）级评分", editable=False, **POINTS)
    score_city = models.DecimalField("市级评分", null=True, blank=True, editable=False, **POINTS)
    score_province = models.DecimalField("省级评分", null=True, blank=True, editable=False, **POINTS)
    note = models.TextField("推荐意见", max_length=1000, blank=True)
    city_opinion = models.TextField("市级审核意见", max_length=1000, blank=True, editable=False)
    province_opinion = models.TextField("省级审定意见", max_length=1000, blank=True, editable=False)
    decided_level = models.CharField(
        "认定级别",
        max_length=16,
        choices=Station.RecognitionLevel.choices,
        blank=True,
        editable=False,
    )
    decided_on = models.DateField("认定日期", null=True, blank=True, editable=False)
    recommended_by = models.ForeignKey(
        "stations.User", verbose_name="推荐人", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    recommended_at = models.DateTimeField("推荐时间", auto_now_add=True)
    city_reviewed_by = models.ForeignKey(
        "stations.User",
        verbose_name="市级审核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        editable=False,
    )
    city_reviewed_at = models.DateTimeField("市级审核时间", null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        "stations.User",
        verbose_name="省级审定人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        editable=False,
    )
    decided_at = models.DateTimeField("省级审定时间", null=True, blank=True, editable=False)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "推荐认定"
        verbose_name_plural = "推荐认定"
        ordering = ["campaign", "-score_county", "station__code"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "station"], name="recommendation_one_per_result")
        ]

    def __str__(self) -> str:
        return f"{self.station.code} {self.station.name}（{self.campaign.year}年度推荐）"


class Demonstration(models.Model):
    """A station selected as a demonstration station （服务示范零工驿站, 001） from a province's campaign.

    001: the province evaluates every station's service performance each year and selects the best
    as demonstration stations. The selection is the top of the province campaign's ranked results,
    kept with the rank and score it was made on. Written only by
    `assessment.services.recommendations.demonstrations_select`.
    """

    campaign = models.ForeignKey(
        Campaign, verbose_name="省级考核批次", on_delete=models.PROTECT, related_name="demonstrations"
    )
    station = models.ForeignKey(
        "stations.Station", verbose_name="站点", on_delete=models.PROTECT, related_name="demonstrations"
    )
    title = models.CharField("称号", max_length=64)
    rank = models.PositiveIntegerField("排名")
    score = models.DecimalField("得分", **POINTS)
    selected_by = models.ForeignKey(
        "stations.User", verbose_name="选树人", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    selected_at = models.DateTimeField("选树时间", auto_now_add=True)

    class Meta:
        verbose_name = "服务示范站"
        verbose_name_plural = "服务示范站"
        ordering = ["campaign", "rank", "station__code"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "station"], name="demonstration_one_per_result")
        ]

    def __str__(self) -> str:
        return f"{self.station.name}（{self.campaign.year}年度{self.title}）"
