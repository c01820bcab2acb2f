"""Password rules (等保 2.0: length and complexity), and changing one's own password.

Django's validators keep their checks (length, similarity to the username, common and all-digit
passwords, in Chinese through zh-hans); CharacterClassesValidator adds the character classes. They
run wherever a password is chosen through Django's forms or `validate_password`: the own-password
pages here, and the bureau's reset of an operator's password.
"""

import string

from django.contrib.auth.password_validation import MinimumLengthValidator
from django.contrib.auth.views import PasswordChangeView
from django.core.exceptions import ValidationError
from django.db import transaction

from core.workflow import record_audit

CHANGE_OWN_ACTION = "password.change_own"

CLASSES = (
    ("大写字母", lambda c: c.isascii() and c.isupper()),
    ("小写字母", lambda c: c.isascii() and c.islower()),
    ("数字", lambda c: c.isdigit()),
    ("符号", lambda c: not c.isalnum() or c in string.punctuation),
)


def character_classes(password: str) -> int:
    """How many of upper case, lower case, digits and symbols `password` uses."""
    return sum(any(test(c) for c in password) for _name, test in CLASSES)


class CharacterClassesValidator:
    """At least `min_classes` of the four classes: upper case, lower case, digits, symbols."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                f"密码须包含大写字母、小写字母、数字、符号中的至少 {self.min_classes} 类。",
                code="password_too_simple",
            )

    def get_help_text(self):
        return f"密码须包含大写字母、小写字母、数字、符号中的至少 {self.min_classes} 类。"


class ChineseMinimumLengthValidator(MinimumLengthValidator):
    """Django's length rule with its refusal in Chinese: zh-hans translates the help text but not
    the refusal (its message changed in Django 5 and the catalogue has not caught up)."""

    def get_error_message(self):
        return f"密码太短，至少需要 {self.min_length} 个字符。"

    def get_help_text(self):
        return f"密码至少需要 {self.min_length} 个字符。"


def password_change_own_record(*, user) -> None:
    """Record that `user` changed their own password (the audit row holds no password, old or new)."""
    record_audit(
        target=user,
        actor=user,
        action=CHANGE_OWN_ACTION,
        reason="修改本人密码",
        region=getattr(user, "region", None),
    )


class OwnPasswordChangeView(PasswordChangeView):
    """Django's own view (old password required, new one validated, the session kept through
    update_session_auth_hash), with the change recorded in the audit trail in the same transaction."""

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            password_change_own_record(user=form.user)
        return response
