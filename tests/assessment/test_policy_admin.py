from django.urls import reverse

from assessment.models import Policy


def test_policy_page_flags_heshan_section_4_2_for_the_clerk(client, world):
    client.force_login(world.superuser)
    policy = Policy.objects.get(code="heshan-2024")
    page = client.get(reverse("admin:assessment_policy_change", args=[policy.pk])).content.decode()
    assert "提示：4.2 人员配置及培训" in page
    assert "超过本项满分 4 分" in page
    assert "RubricFinding" not in page


def test_a_policy_whose_parts_add_up_says_so(client, world):
    client.force_login(world.bureau_a)
    policy = Policy.objects.get(code="yunmeng-2024")
    page = client.get(reverse("admin:assessment_policy_change", args=[policy.pk])).content.decode()
    assert "各部分分值与满分一致" in page


def test_a_fixed_band_without_a_label_is_refused_with_the_field_to_fill(world):
    import pytest
    from django.core.exceptions import ValidationError

    policy = Policy.objects.get(code="heshan-2024")
    policy.level_band_labels = {}

    with pytest.raises(ValidationError) as refused:
        policy.full_clean()

    assert refused.value.message_dict["level_band_labels"] == [
        '请为固定档次的认定级别 district 填写名称，如 {"district": "区级"}。'
    ]
    policy.level_band_labels = {"district": "区级"}
    policy.full_clean()  # labelled: accepted
