import pytest
from django.core.exceptions import ValidationError

from stations.validators import (
    credit_code_check_character,
    id_number_check_character,
    mask_id_number,
    mask_phone,
    validate_credit_code,
    validate_id_number,
)


def test_credit_code_check_character_matches_a_published_code():
    # 91350100M000100Y43 is the standard's worked example (GB 32100-2015, appendix).
    assert credit_code_check_character("91350100M000100Y4") == "3"
    validate_credit_code("91350100M000100Y43")


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("91350100M000100Y44", "credit_code_check"),  # wrong check character
        ("91350100M000100Y4", "credit_code_format"),  # 17 characters
        ("91350100M00010OY43", "credit_code_format"),  # letter O is never used
        ("", "credit_code_format"),
    ],
)
def test_credit_code_refuses_bad_codes_with_a_clear_reason(code, error):
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(code)
    assert exc.value.code == error


def test_credit_code_error_names_the_expected_check_character():
    with pytest.raises(ValidationError) as exc:
        validate_credit_code("91350100M000100Y44")
    assert "应为 3" in exc.value.messages[0]


def test_id_number_accepts_the_standard_example_and_refuses_a_changed_digit():
    # 11010519491231002X is GB 11643's example number.
    assert id_number_check_character("11010519491231002") == "X"
    validate_id_number("11010519491231002X")
    validate_id_number("11010519491231002x")  # a lower-case x is typed often; it is the same number
    with pytest.raises(ValidationError) as exc:
        validate_id_number("110105194912310021")
    assert exc.value.code == "id_check"


def test_id_number_refuses_an_impossible_birth_date():
    body = "11010519490231002"  # 31 February
    with pytest.raises(ValidationError) as exc:
        validate_id_number(body + id_number_check_character(body))
    assert exc.value.code == "id_birth_date"


def test_masks_keep_only_what_identifies_the_record():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("") == ""
