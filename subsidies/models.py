"""Subsidy claims and the money trail: materials, placement rosters, payee notice, approval, payout.

Every yuan is traceable: a claim is filed against an entitlement (`assessment.Entitlement`) and
carries its amount (never typed), snapshot at approval against a fund's budget, and paid
once, with the voucher number.
"""

from django.db import models
from django.db.models import Q

from assessment.models import Entitlement
from core.fields import EncryptedCharField, LookupHashField
from core.money import MONEY
from stations.validators import mask_id_number, mask_phone


def mask_account(account: str) -> str:
    """A bank account as everyone but those who pay it sees it: "1712****2345"."""
    return f"{account[:4]}****{account[-4:]}" if len(account) > 8 else "*" * len(account)


# A claim is of its entitlement's kind; the kinds are defined once, with the ledger.
ClaimKind = Entitlement.Kind


class Fund(models.Model):
    """A budget line (资金) of a region for one year; approvals draw on it and never exceed it."""

    region = models.ForeignKey(
        "stations.Region", verbose_name="区域", on_delete=models.PROTECT, related_name="funds"
    )
    year = models.PositiveSmallIntegerField("年度")
    code = models.SlugField("资金编码", max_length=64)
    name = models.CharField("资金名称", max_length=200)
    budget = models.DecimalField("预算（元）", **MONEY)

    class Meta:
        verbose_name = "补助资金"
        verbose_name_plural = "补助资金"
        ordering = ["-year", "code"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year", "code"], name="fund_region_year_code")
        ]

    def __str__(self) -> str:
        return self.name if str(self.year) in self.name else f"{self.year} {self.name}"


class PayeeNotice(models.Model):
    """The public list of payees (拟补助对象公示) for a notice period before approval."""

    region = models.ForeignKey(
        "stations.Region", verbose_name="区域", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    title = models.CharField("标题", max_length=200)
    starts_at = models.DateTimeField("公示开始")
    ends_at = models.DateTimeField("公示结束")
    published_by = models.ForeignKey(
        "stations.User", verbose_name="发布人", on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField("发布时间", auto_now_add=True)

    class Meta:
        verbose_name = "补助对象公示"
        verbose_name_plural = "补助对象公示"
        ordering = ["-published_at"]
        constraints = [
            models.CheckConstraint(
                name="payee_notice_period_ordered", condition=Q(ends_at__gt=models.F("starts_at"))
            )
        ]

    def __str__(self) -> str:
        return self.title


class SubsidyClaim(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "填报中"
        SUBMITTED = "submitted", "已提交待审核"
        RETURNED = "returned", "退回修改"
        REVIEWED = "reviewed", "审核通过待公示"
        REJECTED = "rejected", "不予补助"
        NOTICED = "noticed", "公示中"
        APPROVED = "approved", "已批准待拨付"
        PAID = "paid", "已拨付"

    station = models.ForeignKey(
        "stations.Station", verbose_name="站点", on_delete=models.PROTECT, related_name="subsidy_claims"
    )
    kind = models.CharField("补助类型", max_length=16, choices=ClaimKind.choices)
    year = models.PositiveSmallIntegerField("年度")
    entitlement = models.ForeignKey(
        Entitlement, verbose_name="应享补助", on_delete=models.PROTECT, related_name="claims", editable=False
    )
    campaign = models.ForeignKey(
        "assessment.Campaign",
        verbose_name="考核批次",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subsidy_claims",
    )
    policy = models.ForeignKey(
        "assessment.Policy", verbose_name="政策", on_delete=models.PROTECT, related_name="subsidy_claims"
    )
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    amount = models.DecimalField("应补助金额（元）", editable=False, **MONEY)
    explanation = models.TextField("金额依据", editable=False)
    approved_amount = models.DecimalField("批准金额（元）", null=True, blank=True, editable=False, **MONEY)
    fund = models.ForeignKey(
        Fund,
        verbose_name="列支资金",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims",
        editable=False,
    )
    notice = models.ForeignKey(
        PayeeNotice,
        verbose_name="公示",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims",
        editable=False,
    )
    payee_name = models.CharField("收款单位", max_length=128, blank=True)
    payee_bank = models.CharField("开户银行", max_length=128, blank=True)
    payee_account = EncryptedCharField("银行账号", max_length=40, blank=True)  # encrypted at rest
    review_note = models.TextField("审核意见", blank=True, editable=False)
    created_by = models.ForeignKey(
        "stations.User", verbose_name="申报人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True, editable=False)
    approved_at = models.DateTimeField("批准时间", null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        "stations.User",
        verbose_name="批准人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = "补助申报"
        verbose_name_plural = "补助申报"
        ordering = ["-year", "station__code", "kind"]
        constraints = [
            # A refused claim does not block a corrected one for the same year.
            models.UniqueConstraint(
                fields=["station", "kind", "year"],
                condition=~Q(status="rejected"),
                name="claim_one_per_station_kind_year",
            ),
            # The one-time subsidy is paid once per station ever; a refused claim does not count.
            models.UniqueConstraint(
                fields=["station"],
                condition=Q(kind="one_time") & ~Q(status="rejected"),
                name="claim_one_time_once_per_station",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.station.code} {self.get_kind_display()}（{self.year} 年度）"

    @property
    def masked_account(self) -> str:
        return mask_account(self.payee_account)


class ClaimMaterial(models.Model):
    """A file the claim's kind requires (application form, licence, …), checked by its content."""

    claim = models.ForeignKey(
        SubsidyClaim, verbose_name="申报", on_delete=models.CASCADE, related_name="materials"
    )
    requirement = models.CharField("材料", max_length=32)
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
        verbose_name = "申报材料"
        verbose_name_plural = "申报材料"
        ordering = ["claim", "requirement", "uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class PlacementRoster(models.Model):
    """A station's roster of successful placements (岗位推荐成功花名册) for a year."""

    station = models.ForeignKey(
        "stations.Station", verbose_name="站点", on_delete=models.PROTECT, related_name="placement_rosters"
    )
    year = models.PositiveSmallIntegerField("年度")
    source_name = models.CharField("导入文件", max_length=100)
    row_count = models.PositiveIntegerField("人数")
    imported_by = models.ForeignKey(
        "stations.User",
        verbose_name="导入人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    imported_at = models.DateTimeField("导入时间", auto_now=True)

    class Meta:
        verbose_name = "岗位推荐成功花名册"
        verbose_name_plural = "岗位推荐成功花名册"
        ordering = ["-year", "station__code"]
        constraints = [
            models.UniqueConstraint(fields=["station", "year"], name="roster_one_per_station_year")
        ]

    def __str__(self) -> str:
        return f"{self.station.code} {self.year} 花名册（{self.row_count} 人）"


class Placement(models.Model):
    """One person placed in a job. ID number and phone are personal data: stored encrypted (core/crypto.py),
    shown masked, never logged. `id_number_hash` finds the same person on other rosters."""

    roster = models.ForeignKey(
        PlacementRoster, verbose_name="花名册", on_delete=models.CASCADE, related_name="rows"
    )
    row_number = models.PositiveIntegerField("行号")
    name = models.CharField("姓名", max_length=64)
    id_number = EncryptedCharField("身份证号码", max_length=18)
    # A keyed hash of the ID number: equal for the same person, useless without FIELD_HASH_KEY.
    id_number_hash = LookupHashField("身份证号码查找哈希", of="id_number")
    phone = EncryptedCharField("手机号码", max_length=11)
    employer = models.CharField("用工单位", max_length=200)
    job = models.CharField("岗位", max_length=100)
    start_date = models.DateField("上岗日期")
    wage = models.DecimalField("月工资（元）", max_digits=10, decimal_places=2)
    # Denormalised from the roster, so "the same person placed by two stations this year" is one
    # index scan of (year, id_number_hash).
    year = models.PositiveSmallIntegerField("年度", db_index=True)
    station = models.ForeignKey(
        "stations.Station", verbose_name="站点", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "推荐成功人员"
        verbose_name_plural = "推荐成功人员"
        ordering = ["roster", "row_number"]
        indexes = [models.Index(fields=["year", "id_number_hash"], name="placement_year_person_idx")]

    def __str__(self) -> str:
        return f"{self.name} {self.masked_id_number}"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class Payout(models.Model):
    """The payment of an approved claim: once, with its voucher (记账凭证)."""

    claim = models.OneToOneField(
        SubsidyClaim, verbose_name="申报", on_delete=models.PROTECT, related_name="payout"
    )
    paid_on = models.DateField("拨付日期")
    amount = models.DecimalField("拨付金额（元）", **MONEY)
    account = EncryptedCharField("收款账号", max_length=40)  # encrypted at rest
    voucher_number = models.CharField("凭证号", max_length=64, unique=True)
    recorded_by = models.ForeignKey(
        "stations.User", verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "拨付记录"
        verbose_name_plural = "拨付记录"
        ordering = ["-paid_on"]

    def __str__(self) -> str:
        return f"{self.claim} 凭证 {self.voucher_number}"

    @property
    def masked_account(self) -> str:
        return mask_account(self.account)
