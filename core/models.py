"""The audit trail every workflow writes to.

It points at the user and the station by their string names, so core imports no domain app;
the table keeps the name it was created with in stations.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    """One recorded change: who did what to which object, when, from which state to which, and why.

    Every workflow writes one in the same transaction as the change itself, so the history can
    never disagree with the data.
    """

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField("操作", max_length=64)
    content_type = models.ForeignKey(
        ContentType, verbose_name="对象类型", on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField("对象编号", max_length=64)
    target = GenericForeignKey("content_type", "object_id")
    object_repr = models.CharField("对象", max_length=200)
    region_path = models.CharField("区域路径", max_length=255, blank=True, editable=False)
    station = models.ForeignKey(
        "stations.Station",
        verbose_name="站点",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    from_state = models.CharField("原状态", max_length=32, blank=True)
    to_state = models.CharField("新状态", max_length=32, blank=True)
    reason = models.TextField("原因", blank=True)
    changes = models.JSONField("变更内容", default=dict, blank=True)

    class Meta:
        db_table = "stations_auditentry"
        verbose_name = "操作记录"
        verbose_name_plural = "操作记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        from core.audit import action_label, object_label  # core.audit reads this model

        # China time and the action's name: this is the title of the entry's page and of its row
        # in a station's history, next to the time column (which the admin shows in local time).
        at = timezone.localtime(self.at) if self.at else None
        return (
            f"{at:%Y-%m-%d %H:%M} {action_label(self.action)} {object_label(self)}"
            if at
            else object_label(self)
        )


class Job(models.Model):
    """One piece of long work a person started (results, a ZIP of PDFs, an export, an import).

    The row is the job's whole story for the clerk who watches it: who started it and when, what it
    is (`title`), its state, how far it has come (`done` of `total`), the file it made, and what
    went wrong in words. A worker claims it (queued → running), reports progress and a heartbeat
    as it goes, and ends it (succeeded or failed); `core.jobs` does all of that, nothing else
    writes these fields. At most one job per `key` is queued or running at a time (the database
    refuses a second), so the same job for the same campaign cannot run twice at once.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "进行中"
        SUCCEEDED = "succeeded", "已完成"
        FAILED = "failed", "失败"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    kind = models.CharField("任务类型", max_length=64)
    title = models.CharField("任务", max_length=200)
    key = models.CharField("任务键", max_length=200, help_text="同一时刻只能有一个排队或进行中的同键任务。")
    params = models.JSONField("参数", default=dict, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发起人", on_delete=models.PROTECT, related_name="+"
    )
    # What the job is about (a campaign, a roster), for the link back from its page.
    content_type = models.ForeignKey(
        ContentType,
        verbose_name="对象类型",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    object_id = models.CharField("对象编号", max_length=64, blank=True)
    target = GenericForeignKey("content_type", "object_id")

    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField("发起时间", auto_now_add=True, db_index=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    heartbeat_at = models.DateTimeField("最近心跳", null=True, blank=True)
    worker = models.CharField("处理进程", max_length=200, blank=True)
    attempts = models.PositiveIntegerField("执行次数", default=0)

    done = models.PositiveIntegerField("已完成", default=0)
    total = models.PositiveIntegerField("总数", null=True, blank=True)
    step = models.CharField("当前步骤", max_length=200, blank=True)

    message = models.TextField("结果", blank=True)
    error = models.TextField("失败原因", blank=True)
    result_file = models.FileField("结果文件", upload_to="jobs/%Y/%m/", blank=True, max_length=255)
    result_name = models.CharField("文件名", max_length=200, blank=True)
    input_file = models.FileField("输入文件", upload_to="jobs/inputs/", blank=True, max_length=255)
    expires_at = models.DateTimeField("文件保留至", null=True, blank=True)

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(status__in=["queued", "running"]),
                name="job_one_active_per_key",
            )
        ]
        indexes = [models.Index(fields=["started_by", "-created_at"], name="job_started_by_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def percent(self) -> int | None:
        if not self.total:
            return 100 if self.status == self.Status.SUCCEEDED else None
        return min(100, self.done * 100 // self.total)


class Notification(models.Model):
    """One email to one person, with its delivery recorded: what was sent, to which address, how it went.

    `core.notify.notify_after_commit` writes the rows in the transaction of the change they
    announce (a rolled-back change leaves none) and queues their delivery after the commit; the
    delivery task claims a row (queued → sending) before it sends, so no row is sent twice, and
    records the outcome: sent, queued again for a later attempt (`due_at`), or failed with the
    error in words. Bureau staff see the rows of the people in their region and resend failed ones.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "待发送"
        SENDING = "sending", "发送中"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="收件人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The address at the time: a later change of the user's address does not rewrite what was sent.
    address = models.EmailField("邮箱", max_length=254)
    subject = models.TextField("主题")
    body = models.TextField("正文")
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField("发送次数", default=0)
    last_error = models.TextField("最近一次失败原因", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    # When the next attempt is due (a retry's backoff), or when a claimed one was taken to send;
    # a queued or sending row long past it lost its task and is queued again.
    due_at = models.DateTimeField("计划发送时间", default=timezone.now)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "邮件通知"
        verbose_name_plural = "邮件通知"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="notification_list_idx"),
            models.Index(fields=["status", "due_at"], name="notification_due_idx"),
        ]

    def __str__(self) -> str:
        return self.subject[:80]


class CalendarDay(models.Model):
    """A day the working calendar treats unlike its weekday: a public holiday or a make-up working day.

    The State Council publishes each year's list (节假日安排) in the autumn before: the holidays,
    which may fall on weekdays, and the weekend days worked instead (调休上班). Every other day is a
    working day from Monday to Friday and a rest day at the weekend. Notice periods are counted in
    working days on this calendar (`core.working_days`); a year without any row is not counted at
    all but refused, since a weekend-only count would be silently wrong around its holidays.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "休息日（法定节假日）"
        MAKE_UP = "make_up", "调休上班日"

    day = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    name = models.CharField("节日名称", max_length=32, help_text="如 春节、国庆节、中秋节。")

    class Meta:
        verbose_name = "节假日安排"
        verbose_name_plural = "节假日安排"
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.name}{self.get_kind_display()}"
