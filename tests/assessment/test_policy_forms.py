"""The policy form a clerk fills in: checkboxes, named tiers and a table of amounts, never JSON or codes.

Every test posts the admin's own form as a browser would (the values shown, changed where a clerk
changes them) and checks what is stored, in the shapes the engine reads.
"""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from assessment.models import Policy, RubricItem, SubsidyAmount
from assessment.selectors import policy_spec
from assessment.services.policies import policy_freeze, policy_new_version

RAW = re.compile(
    r"gig_station|doorstep_station|community|village|excellent|\bgood\b|\bpass\b|\bfail\b|district"
    r"|all_units|ranked_units|start_up|first_recognition|per_count_deduction|rate_vs_|all_or_nothing"
    r"|capped_sum|\bmanual\b|[\[\]{}]"
)


def visible_text(html: str) -> str:
    """What a person reads on the page: no scripts, styles, tags or attribute values."""
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    html = re.sub(r"(?s)<!--.*?-->", " ", html)
    main = html.split('id="content"', 1)[-1]  # the form, not the admin's menu
    return re.sub(r"(?s)<[^>]+>", " ", main)


def form_data(client, url):
    """The admin form's current values, as a browser posts them back (inlines included)."""
    response = client.get(url)
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or form.fields[name].disabled:
            continue
        if isinstance(value, datetime.datetime):
            local = timezone.localtime(value)
            data[f"{name}_0"], data[f"{name}_1"] = local.date().isoformat(), local.strftime("%H:%M:%S")
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = value
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
        for inline in formset.formset.forms:
            for name in inline.fields:
                value = inline[name].value()
                if value is None or inline.fields[name].disabled or value is False:
                    continue
                data[f"{inline.prefix}-{name}"] = value
    return data


def change_url(policy):
    return reverse("admin:assessment_policy_change", args=[policy.pk])


@pytest.fixture
def draft(world, yunmeng):
    """An editable copy of the Yunmeng policy, as the bureau makes one."""
    return policy_new_version(policy=yunmeng, actor=world.bureau_a)


@pytest.fixture
def heshan_draft(world):
    return policy_new_version(policy=Policy.objects.get(code="heshan-2024", version=1), actor=world.superuser)


def test_the_policy_form_shows_kinds_tiers_and_amounts_by_name(client, world, draft):
    client.force_login(world.bureau_a)
    response = client.get(change_url(draft))
    page = response.content.decode()

    assert response.status_code == 200
    assert re.search(r'<input type="checkbox" name="kinds" value="gig_station"[^>]*checked', page)
    assert re.search(r'<input type="checkbox" name="kinds" value="gig_market"(?![^>]*checked)', page)
    text = visible_text(page)
    for words in ("零工驿站", "家门口就业服务站", "优秀", "良好", "合格", "不合格", "元"):
        assert words in text
    assert not RAW.findall(text)
    # The amounts' tiers are chosen, not typed.
    assert re.search(r'<select name="subsidy_amounts-0-tier"', page)


def test_a_frozen_policy_reads_in_chinese(client, world, yunmeng, open_campaign):
    client.force_login(world.bureau_a)
    page = client.get(change_url(yunmeng)).content.decode()
    text = visible_text(page)

    assert "零工驿站、家门口就业服务站" in text
    assert "优秀" in text and "60000.00" in text
    assert "评估人员按细则评定" not in text  # items are on their section's page
    assert not RAW.findall(text)
    assert 'name="_save"' not in page


def test_a_ranked_frozen_policy_reads_in_chinese(client, world):
    heshan = Policy.objects.get(code="heshan-2024", version=1)
    policy_freeze(policy=heshan, actor=None, reason="测试")
    client.force_login(world.superuser)
    text = visible_text(client.get(change_url(heshan)).content.decode())

    assert "省级、市级" in text  # the ranked levels
    assert "区（县）级单位：区级" in text  # the fixed band
    assert "全部参评单位" in text and "年初确定创建单位时发放" in text
    assert "期末登记失业人员人数 不大于 劳动力总数" in text  # a check of the data, by its labels
    assert not RAW.findall(text)


def test_an_unchanged_form_saves_the_same_policy(client, world, draft):
    before = policy_spec(draft)
    client.force_login(world.bureau_a)
    response = client.post(change_url(draft), form_data(client, change_url(draft)))

    assert response.status_code == 302, visible_text(response.content.decode())[:1500]
    assert policy_spec(Policy.objects.get(pk=draft.pk)) == before


def test_the_clerk_ticks_kinds_and_picks_tiers_and_the_engine_reads_them(client, world, draft):
    client.force_login(world.bureau_a)
    url = change_url(draft)
    data = form_data(client, url)
    data["kinds"] = ["gig_station"]
    # The doorstep stations' amounts go; a gig station's 合格 now pays 45000.
    for index in range(int(data["subsidy_amounts-TOTAL_FORMS"])):
        if data[f"subsidy_amounts-{index}-kind"] == "doorstep_station":
            data[f"subsidy_amounts-{index}-DELETE"] = "on"
        elif data[f"subsidy_amounts-{index}-tier"] == "pass":
            data[f"subsidy_amounts-{index}-amount"] = "45000"

    response = client.post(url, data)

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.kinds == ["gig_station"]
    spec = policy_spec(draft)
    assert spec.kinds == ("gig_station",)
    assert {tier: str(amount) for tier, amount in spec.subsidy_schedule.amounts["gig_station"].items()} == {
        "excellent": "60000.00",
        "good": "50000.00",
        "pass": "45000.00",
    }
    assert "doorstep_station" not in spec.subsidy_schedule.amounts


def test_a_new_tier_gets_a_code_and_its_amount_is_chosen_by_name(client, world, draft):
    client.force_login(world.bureau_a)
    url = change_url(draft)
    data = form_data(client, url)
    total = int(data["thresholds-TOTAL_FORMS"])
    data.update(
        {
            "thresholds-TOTAL_FORMS": str(total + 1),
            f"thresholds-{total}-label": "基本合格",
            f"thresholds-{total}-min_score": "60",
        }
    )
    assert client.post(url, data).status_code == 302
    tier = draft.thresholds.get(label="基本合格")
    assert tier.code and tier.code.isascii()

    page = client.get(url).content.decode()
    assert f'<option value="{tier.code}">基本合格</option>' in page
    data = form_data(client, url)
    total = int(data["subsidy_amounts-TOTAL_FORMS"])
    data.update(
        {
            "subsidy_amounts-TOTAL_FORMS": str(total + 1),
            f"subsidy_amounts-{total}-kind": "gig_station",
            f"subsidy_amounts-{total}-tier": tier.code,
            f"subsidy_amounts-{total}-amount": "30000",
        }
    )
    assert client.post(url, data).status_code == 302
    assert SubsidyAmount.objects.get(policy=draft, tier=tier.code).amount == 30000


def test_a_fixed_band_is_named_in_a_field_and_stored_as_the_engine_reads_it(client, world, heshan_draft):
    client.force_login(world.superuser)
    url = change_url(heshan_draft)
    data = form_data(client, url)
    assert data["fixed_band_district"] == "区级"
    assert data["ranked_levels"] == ["province", "city"]
    data["fixed_band_district"] = "区县级"

    assert client.post(url, data).status_code == 302
    heshan_draft.refresh_from_db()
    assert heshan_draft.level_bands == {"district": "district"}
    assert heshan_draft.level_band_labels == {"district": "区县级"}
    assert heshan_draft.ranked_levels == ["province", "city"]


def test_a_level_both_ranked_and_fixed_is_a_chinese_form_error(client, world, heshan_draft):
    client.force_login(world.superuser)
    url = change_url(heshan_draft)
    data = form_data(client, url)
    data["ranked_levels"] = ["province", "city", "district"]

    response = client.post(url, data)

    assert response.status_code == 200
    assert "区（县）级已勾选参与排名，不能同时设固定档次。" in response.content.decode()
    heshan_draft.refresh_from_db()
    assert heshan_draft.ranked_levels == ["province", "city"]


def test_an_elimination_without_its_score_line_is_a_chinese_form_error(client, world, draft):
    client.force_login(world.bureau_a)
    url = change_url(draft)
    data = {**form_data(client, url), "elimination_lowest_count": "3"}

    response = client.post(url, data)

    assert response.status_code == 200
    assert "末位淘汰名额与淘汰分数线须同时填写" in response.content.decode()
    assert Policy.objects.get(pk=draft.pk).elimination_lowest_count is None


def test_no_kind_ticked_is_a_chinese_form_error(client, world, draft):
    client.force_login(world.bureau_a)
    url = change_url(draft)
    data = form_data(client, url)
    del data["kinds"]

    response = client.post(url, data)

    assert response.status_code == 200
    assert "这个字段是必填项" in response.content.decode() or "必填" in response.content.decode()
    assert Policy.objects.get(pk=draft.pk).kinds == ["gig_station", "doorstep_station"]


# --- copying -------------------------------------------------------------------------------------


def test_a_policy_copied_for_2025_is_the_2025_policy(client, world, yunmeng, open_campaign):
    client.force_login(world.bureau_a)
    url = reverse("admin:assessment_policy_copy", args=[yunmeng.pk])
    form = client.get(url)
    assert form.status_code == 200 and "年度" in form.content.decode()

    response = client.post(url, {"year": "2025", "name": yunmeng.name})

    copy = Policy.objects.get(year=2025)
    assert response.status_code == 302 and response["Location"] == change_url(copy)
    assert (copy.code, copy.version, copy.frozen_at) == ("yunmeng-2025", 1, None)
    assert copy.name == "2025年度云梦县零工驿站（家门口就业服务站）运营考核"
    assert str(copy) == "2025年度云梦县零工驿站（家门口就业服务站）运营考核(v1)"
    assert policy_spec(copy).subsidy_schedule == policy_spec(yunmeng).subsidy_schedule
    text = visible_text(client.get(change_url(copy)).content.decode())
    assert "2024" not in text.replace("2024年8月30日", "")  # the source document keeps its date


def test_a_copy_for_the_same_year_is_the_next_version(client, world, yunmeng, open_campaign):
    client.force_login(world.bureau_a)
    url = reverse("admin:assessment_policy_copy", args=[yunmeng.pk])

    client.post(url, {"year": "2024", "name": yunmeng.name})

    copy = Policy.objects.get(code="yunmeng-2024", version=2)
    assert copy.year == 2024 and not copy.is_frozen


def test_a_copy_year_out_of_range_is_a_chinese_form_error(client, world, yunmeng):
    client.force_login(world.bureau_a)
    url = reverse("admin:assessment_policy_copy", args=[yunmeng.pk])

    response = client.post(url, {"year": "99999", "name": "x"})

    assert response.status_code == 200
    assert "确保该值小于或等于2100" in response.content.decode()
    assert not Policy.objects.filter(name="x").exists()


def test_an_auditor_may_not_copy(client, world, yunmeng):
    client.force_login(world.auditor_a)
    url = reverse("admin:assessment_policy_copy", args=[yunmeng.pk])
    assert client.post(url, {"year": "2025", "name": "x"}).status_code == 403
    assert not Policy.objects.filter(year=2025).exists()


# --- the rubric's items --------------------------------------------------------------------------


def test_the_items_rules_read_as_sentences_not_json(client, world):
    heshan = Policy.objects.get(code="heshan-2024", version=1)
    section = heshan.sections.get(code="1")
    client.force_login(world.superuser)
    page = client.get(reverse("admin:assessment_rubricsection_change", args=[section.pk])).content.decode()
    text = visible_text(page)

    assert "每有 1 人扣 0.5 分，扣完为止" in text
    assert "（个数）" in text
    assert not re.findall(r"[\[\]{}]|per_count_deduction|\"input\"", text)


def test_a_new_item_is_scored_by_a_person_with_its_own_input(client, world, draft):
    section = draft.sections.get(code="4")
    client.force_login(world.bureau_a)
    url = reverse("admin:assessment_rubricsection_change", args=[section.pk])
    data = form_data(client, url)
    total = int(data["items-TOTAL_FORMS"])
    data.update(
        {
            "items-TOTAL_FORMS": str(total + 1),
            f"items-{total}-code": "4.3",
            f"items-{total}-position": "2",
            f"items-{total}-title": "群众满意度",
            f"items-{total}-max_points": "2",
            f"items-{total}-rule": "manual",
            f"items-{total}-kinds": ["gig_station"],
        }
    )

    response = client.post(url, data)

    assert response.status_code == 302, visible_text(response.content.decode())[:1500]
    item = RubricItem.objects.get(section=section, code="4.3")
    assert item.kinds == ["gig_station"]
    assert item.params == {"input": "item_4_3", "label": "群众满意度"}
    assert item.inputs == [{"name": "item_4_3", "type": "points", "label": "群众满意度"}]
    # The engine scores it: the policy still compiles.
    from assessment.engine.scoring import compile_rubric

    spec = policy_spec(draft)
    compile_rubric(spec.rubric, kinds=spec.kinds)


def test_a_new_policy_gets_its_code_without_the_clerk_typing_one(client, world):
    client.force_login(world.bureau_a)
    page = client.get(reverse("admin:assessment_policy_add")).content.decode()
    assert 'name="code"' not in page
    data = {
        "name": "2026年度云梦县零工驿站考核",
        "version": "1",
        "region": world.county_a.pk,
        "year": "2026",
        "period": "yearly",
        "kinds": ["gig_station"],
        "rubric_max_points": "100",
        "tier_method": "thresholds",
        "fallback_label": "不合格",
        "one_time_basis": "",
        # The notice lengths (the notice periods' fields), as the form offers them.
        "result_notice_working_days": "5",
        "payee_notice_working_days": "5",
    }
    for prefix in ("thresholds", "bands", "subsidy_amounts", "one_time_amounts", "sections"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(
        {
            "thresholds-TOTAL_FORMS": "1",
            "thresholds-0-label": "合格",
            "thresholds-0-min_score": "60",
        }
    )

    response = client.post(reverse("admin:assessment_policy_add"), data)

    assert response.status_code == 302, visible_text(response.content.decode())[:1500]
    policy = Policy.objects.get(year=2026)
    assert (policy.code, policy.version, policy.kinds) == ("420923-2026", 1, ["gig_station"])
    assert policy.fallback_tier == "below" and policy.fallback_label == "不合格"
    assert list(policy.thresholds.values_list("code", "label")) == [("tier1", "合格")]
    text = visible_text(client.get(change_url(policy)).content.decode())
    assert "420923-2026" not in text and not RAW.findall(text)
