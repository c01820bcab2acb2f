"""Check characters of the national identifier standards.

GB 32100-2015 fixes the unified social credit code （统一社会信用代码） of an organisation; GB 11643-1999
fixes the resident ID number （公民身份号码）. Both end in a check character computed from the others, so
a mistyped code is caught at entry instead of surfacing months later on a payment voucher.
"""

import datetime
import re

from django.core.exceptions import ValidationError

CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters; I, O, S, V, Z are never used
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_CODE_PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

ID_NUMBER_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_NUMBER_CHECK = "10X98765432"
ID_NUMBER_PATTERN = re.compile(r"^\d{17}[\dX]$")


def credit_code_check_character(first_17: str) -> str:
    """The 18th character of a unified social credit code whose first 17 characters are given."""
    total = sum(
        CREDIT_CODE_CHARSET.index(ch) * w for ch, w in zip(first_17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """Refuse a unified social credit code with a bad shape or a wrong check character (GB 32100)."""
    code = (value or "").strip().upper()
    if not CREDIT_CODE_PATTERN.match(code):
        raise ValidationError(
            "统一社会信用代码应为 18 位数字或大写字母（不含 I、O、S、V、Z）。",
            code="credit_code_format",
        )
    expected = credit_code_check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            "统一社会信用代码校验位不正确：按前 17 位计算应为 %(expected)s，请核对营业执照。",
            code="credit_code_check",
            params={"expected": expected},
        )


def id_number_check_character(first_17: str) -> str:
    """The 18th character of a resident ID number whose first 17 digits are given."""
    total = sum(int(d) * w for d, w in zip(first_17, ID_NUMBER_WEIGHTS, strict=True))
    return ID_NUMBER_CHECK[total % 11]


def id_number_birth_date(value: str) -> datetime.date | None:
    """The birth date encoded in an 18-character ID number, or None when it is not a real date."""
    try:
        return datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def validate_id_number(value: str) -> None:
    """Refuse a resident ID number with a bad shape, an impossible birth date or a wrong check character."""
    number = (value or "").strip().upper()
    if not ID_NUMBER_PATTERN.match(number):
        raise ValidationError("身份证号码应为 18 位，前 17 位为数字，末位为数字或 X。", code="id_format")
    if id_number_birth_date(number) is None:
        raise ValidationError("身份证号码中的出生日期不存在。", code="id_birth_date")
    if number[17] != id_number_check_character(number[:17]):
        raise ValidationError("身份证号码校验位不正确，请核对。", code="id_check")


def mask_id_number(value: str) -> str:
    """Show the region prefix and the last 4 characters only: 420923********1234."""
    if not value:
        return ""
    return value[:6] + "*" * max(len(value) - 10, 0) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_phone(value: str) -> str:
    """Show the first 3 and last 4 digits of a mobile number: 138****5678."""
    digits = value or ""
    if len(digits) < 8:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_contact(value: str) -> str:
    """A contact a citizen typed (phone in any format, or email): keep enough to recognise it."""
    text = (value or "").strip()
    if "@" in text:
        local, _, domain = text.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    if len(digits) >= 7:
        hidden = set(digits[3:-4])
        return "".join("*" if i in hidden else ch for i, ch in enumerate(text))
    return text[:1] + "*" * max(len(text) - 1, 0)


# Personal data typed into free text (a work-log note, an annual report, a file's name or a header
# cell quoted back): an ID number or a mobile number, written whole or in groups with spaces or
# dashes ("138 1234 5678", "138-1234-5678", "420923 19900101 1234"). One definition, so a note the
# work log refuses is not let through by the annual report, and what is masked is what is refused.
_ID_NUMBER_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d(?:[ \-]?\d){16}[ \-]?[0-9Xx](?![0-9A-Za-z])")
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d(?:[ \-]?\d){8}(?!\d)")
# Full-width digits, dash and space (typed with a Chinese input method) read as their ASCII selves.
_HALF_WIDTH = str.maketrans(
    {**{chr(0xFF10 + d): str(d) for d in range(10)}, "－": "-", "　": " ", "Ｘ": "X", "ｘ": "x"}
)


def personal_data_found(text: str) -> str | None:
    """What in `text` looks like personal data, named in Chinese ("身份证号", "手机号"), or None."""
    text = (text or "").translate(_HALF_WIDTH)
    if _ID_NUMBER_IN_TEXT.search(text):
        return "身份证号"
    if _MOBILE_IN_TEXT.search(text):
        return "手机号"
    return None


def mask_personal_data(text: str) -> str:
    """`text` with every ID number and mobile number `personal_data_found` sees masked, the rest as is."""

    def digits(match: re.Match) -> str:
        return re.sub(r"[ \-]", "", match.group()).upper()

    text = _ID_NUMBER_IN_TEXT.sub(
        lambda match: mask_id_number(digits(match)), (text or "").translate(_HALF_WIDTH)
    )
    return _MOBILE_IN_TEXT.sub(lambda match: mask_phone(digits(match)), text)
