"""The admin's list of email notifications (邮件通知): what was sent to whom, and what failed and why.

Bureau staff see the emails to the people in their region and resend failed ones; auditors see
the same list read-only. Addresses are personal data: only a superuser reads them whole.
"""

from django.contrib import admin, messages

from core.admin_base import ReadOnlyScopedAdmin
from core.models import Notification
from core.notify import mask_email, notifications_resend
from core.people import person_name
from core.permissions import Forbidden, is_superuser, may_change_in_admin


@admin.register(Notification)
class NotificationAdmin(ReadOnlyScopedAdmin):
    list_display = [
        "subject",
        "recipient_name",
        "address",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status"]
    # Not by address: a search would let staff who see it masked find out what it is.
    search_fields = ["subject", "recipient__last_name", "recipient__first_name", "recipient__username"]
    list_select_related = ["recipient"]
    fields = [
        "subject",
        "recipient_name",
        "address",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "due_at",
        "sent_at",
        "body",
    ]
    actions = ["resend"]

    def has_resend_permission(self, request) -> bool:
        return may_change_in_admin(request.user)

    @admin.display(description="收件人")
    def recipient_name(self, notification: Notification) -> str:
        user = notification.recipient
        if user is None:
            return "（用户已删除）"
        return person_name(user)

    @admin.display(description="邮箱")
    def masked_address(self, notification: Notification) -> str:
        return mask_email(notification.address)

    # The columns and fields are chosen per request (the admin instance is shared between requests).
    def get_list_display(self, request):
        return [self._address_field(request) if name == "address" else name for name in self.list_display]

    def get_fields(self, request, obj=None):
        return [self._address_field(request) if name == "address" else name for name in self.fields]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def _address_field(self, request) -> str:
        return "address" if is_superuser(request.user) else "masked_address"

    @admin.action(description="重新发送", permissions=["resend"])
    def resend(self, request, queryset):
        try:
            count = notifications_resend(notifications=queryset, actor=request.user)
        except Forbidden as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        if count:
            self.message_user(
                request, f"已重新提交 {count} 封发送失败的邮件，发送结果见列表的“状态”列。", messages.SUCCESS
            )
        else:
            self.message_user(request, "所选邮件中没有发送失败的，未重新发送。", messages.WARNING)
