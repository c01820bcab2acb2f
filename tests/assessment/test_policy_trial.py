"""试算 on a policy's admin page: typed cases through the engine, every point explained, nothing saved.

Expected values are worked out by hand from the seeds' rules (assessment/policies/*.yaml):
Yunmeng's fourteen hand-scored items add up to 100; 优秀 from 90, 良好 from 80, 合格 from 70; a
gig station gets 60,000 / 50,000 / 40,000 yuan. Quanzhou pays a gig market 100,000 for 五星级 (90
and above) if recognised at least 6 months before the assessment day, and 60,000 once in the year
of its first recognition.
"""

import dataclasses
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from assessment.engine.specs import InputSpec, ItemSpec, RubricSpec, SectionSpec
from assessment.models import Policy
from assessment.selectors import policy_spec
from assessment.services.policies import policy_install
from core.models import AuditEntry
from tests.ui_language import language_faults, visible_text

# Yunmeng's items and their maxima (000, illustrative values): the input of item 2.1 is item_2_1_points.
YUNMENG_MAXIMA = {
    "1.1": 8,
    "1.2": 7,
    "2.1": 10,
    "2.2": 9,
    "2.3": 8,
    "2.4": 7,
    "2.5": 7,
    "2.6": 7,
    "2.7": 7,
    "3.1": 8,
    "3.2": 6,
    "3.3": 6,
    "4.1": 5,
    "4.2": 5,
}


def _case(number: int, points: dict[str, object]) -> dict[str, str]:
    return {
        f"case{number}-item_{code.replace('.', '_')}_points": str(value) for code, value in points.items()
    }


def _full(**changes) -> dict[str, object]:
    points = dict(YUNMENG_MAXIMA)
    points.update({code.replace("_", "."): value for code, value in changes.items()})
    return points


def _try_url(policy: Policy, **query) -> str:
    url = reverse("admin:assessment_policy_try", args=[policy.pk])
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def _results(page: str) -> str:
    match = re.search(r'<table class="trial-results">.*?</table>', page, re.S)
    assert match, "no results table on the page"
    return match.group(0)


def _results_columns(page: str) -> list[str]:
    head = re.search(r"<thead>.*?</thead>", _results(page), re.S).group(0)
    return re.findall(r">(案例 \d)<", head)


def _row(page: str, heading: str) -> list[str]:
    """The cells (as text) of the results row headed `heading`, one per case column."""
    for row in re.findall(r"<tr>.*?</tr>", _results(page), re.S):
        header = re.search(r'<th scope="row">(.*?)</th>', row, re.S)
        if header and re.sub(r"<[^>]+>", "", header.group(1)).strip() == heading:
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[1:]  # the first is the maximum
            return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells]
    raise AssertionError(f"no row {heading}")


@pytest.fixture
def yunmeng():
    return Policy.objects.get(code="yunmeng-2024")


def test_two_typed_cases_show_each_items_points_the_total_the_tier_and_the_amount(client, world, yunmeng):
    client.force_login(world.bureau_a)
    # Case 1: 2.1 and 4.2 given nothing, 100 - 10 - 5 = 85 -> 良好, 50,000 for a gig station.
    # Case 2: only 2.1 given nothing, 90 exactly -> 优秀 (90 is 优秀's lower bound), 60,000.
    # Case 3 left empty: skipped, no column.
    data = {**_case(1, _full(**{"2_1": 0, "4_2": 0})), **_case(2, _full(**{"2_1": 0}))}
    audit_rows = AuditEntry.objects.count()

    response = client.post(_try_url(yunmeng, kind="gig_station"), data)

    assert response.status_code == 200
    page = response.content.decode()
    results = _results(page)
    assert _results_columns(page) == ["案例 1", "案例 2"]
    assert _row(page, "合计") == ["85.00 分", "90.00 分"]
    assert _row(page, "等次") == ["良好", "优秀"]
    assert _row(page, "补助金额（元）") == ["50,000.00", "60,000.00"]
    # Each item's own line from the engine, with its points and maximum.
    assert "发布零工市场信息：评定得 0.00 分（满分 10 分）" in results
    assert "问题整改落实：评定得 5.00 分（满分 5 分）" in results
    # Nothing saved, nothing recorded: trying is reading.
    assert AuditEntry.objects.count() == audit_rows
    assert Policy.objects.filter(code="yunmeng-2024").count() == 1


def test_the_same_scores_for_a_doorstep_station_pay_that_kinds_amount(client, world, yunmeng):
    client.force_login(world.bureau_a)
    page = client.get(_try_url(yunmeng, kind="doorstep_station")).content.decode()
    assert "家门口就业服务站" in page

    response = client.post(
        _try_url(yunmeng, kind="doorstep_station"), _case(1, _full(**{"2_1": 0, "4_2": 0}))
    )

    page = response.content.decode()
    assert _row(page, "等次") == ["良好"]
    assert _row(page, "补助金额（元）") == ["15,000.00"]  # 000: a doorstep station's 良好 is 15,000


def test_a_value_out_of_range_is_shown_next_to_its_field_in_chinese(client, world, yunmeng):
    client.force_login(world.bureau_a)
    data = {**_case(1, _full(**{"1_1": 9})), **_case(2, _full(**{"1_2": "七"}))}

    response = client.post(_try_url(yunmeng), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "“场所与硬件设施得分”填写的 9，应在 0 到 8 分之间" in page
    assert "“人员配置得分”填写的 七，应为数字" in page
    assert "案例 1 输入有误，未计算" in page and "案例 2 输入有误，未计算" in page
    assert "trial-results" not in page and "良好" not in page  # nothing scored, no tier


def test_a_partly_filled_case_names_each_missing_field(client, world, yunmeng):
    client.force_login(world.bureau_a)

    response = client.post(_try_url(yunmeng), {"case1-item_1_1_points": "8"})

    page = response.content.decode()
    assert "缺少该项" in page and "人员配置得分" in page


def test_nothing_typed_says_so(client, world, yunmeng):
    client.force_login(world.bureau_a)

    response = client.post(_try_url(yunmeng), {})

    assert response.status_code == 200
    assert "没有填写任何案例" in response.content.decode()


def test_another_countys_policy_is_not_found(client, world, yunmeng):
    client.force_login(world.bureau_b)
    assert client.get(_try_url(yunmeng)).status_code == 404
    assert client.post(_try_url(yunmeng), _case(1, _full())).status_code == 404
    client.force_login(world.bureau_a)
    heshan = Policy.objects.get(code="heshan-2024")
    assert client.get(_try_url(heshan)).status_code == 404


def test_an_auditor_may_try_a_frozen_policy(client, world, yunmeng):
    Policy.objects.filter(pk=yunmeng.pk).update(frozen_at="2024-09-01T00:00:00Z")
    client.force_login(world.auditor_a)

    response = client.post(_try_url(yunmeng), _case(1, _full()))

    assert response.status_code == 200
    page = response.content.decode()
    assert (_row(page, "合计"), _row(page, "等次"), _row(page, "补助金额（元）")) == (
        ["100.00 分"],
        ["优秀"],
        ["60,000.00"],
    )


def test_the_policy_page_links_to_the_trial(client, world, yunmeng):
    client.force_login(world.auditor_a)
    page = client.get(reverse("admin:assessment_policy_change", args=[yunmeng.pk])).content.decode()
    assert f'href="{_try_url(yunmeng)}"' in page


def test_the_page_shows_no_codes(client, world, yunmeng):
    client.force_login(world.bureau_a)
    empty = client.get(_try_url(yunmeng)).content.decode()
    tried = client.post(_try_url(yunmeng), _case(1, _full(**{"2_1": 0}))).content.decode()

    for page in (empty, tried):
        texts = visible_text(page)
        assert language_faults(texts, data=(str(world.bureau_a),)) == []  # the name in the top bar
        shown = " ".join(texts)
        for code in ("manual", "item_2_1_points", "gig_station", "excellent", "good", "yearly"):
            assert code not in shown, code
    assert "零工驿站" in " ".join(visible_text(empty))


def test_quanzhou_recognition_decides_eligibility_and_the_one_time_amount(client, world):
    quanzhou = Policy.objects.get(code="quanzhou-2023")
    client.force_login(world.superuser)
    page = client.get(_try_url(quanzhou, kind="gig_market")).content.decode()
    assert "认定日期" in page and "考核基准日" in page
    assert 'value="2023-12-31"' in page and 'value="2022-01-01"' in page  # the defaults

    full = {
        f"item_{code}_points": value
        for code, value in {
            "1_1": 10,
            "1_2": 10,
            "2_1": 10,
            "2_2": 8,
            "2_3": 7,
            "3_1": 8,
            "3_2": 7,
            "4_1": 10,
            "4_2": 10,
            "5_1": 10,
            "5_2": 10,
        }.items()
    }
    data = {"assessed_on": "2023-12-31"}
    for number, recognized_on in ((1, "2022-01-01"), (2, "2023-03-01"), (3, "2023-09-01"), (4, "2022-01-01")):
        data.update({f"case{number}-{name}": str(value) for name, value in full.items()})
        data[f"extra{number}-recognized_on"] = recognized_on
    data["extra4-under_contract"] = "on"

    response = client.post(_try_url(quanzhou, kind="gig_market", cases=4), data)

    page = response.content.decode()
    # 1: recognised long ago -> 五星级, 100,000, no one-time amount; 2: recognised 2023-03-01,
    # 6 months by 09-01 -> 五星级 100,000 and the one-time 60,000; 3: recognised 2023-09-01, less
    # than 6 months by 12-31 -> does not take part, 0, but the one-time 60,000 all the same;
    # 4: as 1, but run under a purchase-of-services contract on the day -> 五星级, paid nothing.
    assert _row(page, "等次") == ["五星级", "五星级", "不参加考核", "五星级"]
    assert _row(page, "绩效补助（元）") == ["100,000.00", "100,000.00", "0.00", "0.00"]
    assert _row(page, "一次性运维补助（元）") == ["—", "60,000.00", "60,000.00", "—"]


def test_heshan_asks_the_month_level_and_group_and_says_cases_rank_among_themselves(client, world):
    heshan = Policy.objects.get(code="heshan-2024")
    client.force_login(world.superuser)

    page = client.get(_try_url(heshan, month=3)).content.decode()

    assert "认定级别" in page and "捆绑组" in page and "省级" in page and "区（县）级" in page
    assert "劳动力总数" in page
    response = client.post(_try_url(heshan, month=3), {"case1-labor_force": "1000"})
    page = response.content.decode()
    assert "各案例要一起排名" in page
    assert "排名只在本次填写的 1 个案例之间进行" in page
    assert "按 3 月的评分表计分" in page


def test_a_rubric_that_does_not_compile_shows_its_problems_instead_of_the_form(client, world, yunmeng):
    spec = policy_spec(yunmeng)
    section = spec.rubric.sections[0]
    broken_item = dataclasses.replace(section.items[0], rule="no_such_rule")
    broken = dataclasses.replace(
        spec,
        code="yunmeng-broken",
        rubric=dataclasses.replace(
            spec.rubric,
            sections=(
                dataclasses.replace(section, items=(broken_item, *section.items[1:])),
                *spec.rubric.sections[1:],
            ),
        ),
    )
    policy = policy_install(spec=broken, region=yunmeng.region)
    client.force_login(world.bureau_a)

    page = client.get(_try_url(policy)).content.decode()

    assert "评分表还不能计分" in page
    assert "1.1" in page
    assert 'value="试算"' not in page


def test_a_written_reason_is_a_text_box_and_a_deduction_without_one_is_refused(client, world, yunmeng):
    spec = policy_spec(yunmeng)
    section = spec.rubric.sections[3]
    judged = dataclasses.replace(
        section.items[1],
        rule="discretionary_deduction",
        params={
            "input": "rectification_deduction",
            "reason": "rectification_reason",
            "label": "问题整改落实",
        },
        inputs=(
            InputSpec("rectification_deduction", "points", "问题整改落实酌情扣分"),
            InputSpec("rectification_reason", "text", "扣分理由"),
        ),
    )
    changed = dataclasses.replace(
        spec,
        code="yunmeng-judged",
        rubric=dataclasses.replace(
            spec.rubric,
            sections=(
                *spec.rubric.sections[:3],
                dataclasses.replace(section, items=(section.items[0], judged)),
            ),
        ),
    )
    policy = policy_install(spec=changed, region=yunmeng.region)
    client.force_login(world.bureau_a)

    page = client.get(_try_url(policy)).content.decode()
    assert re.search(r'<textarea[^>]*name="case1-rectification_reason"', page)

    typed = {name: value for name, value in _case(1, _full()).items() if "4_2" not in name}
    refused = client.post(_try_url(policy), {**typed, "case1-rectification_deduction": "2"})
    assert "酌情扣分须写明理由" in refused.content.decode()

    explained = client.post(
        _try_url(policy),
        {**typed, "case1-rectification_deduction": "2", "case1-rectification_reason": "整改台账缺两个月"},
    )
    page = explained.content.decode()
    assert _row(page, "合计") == ["98.00 分"]  # 100 less the 2 points judged
    assert _row(page, "等次") == ["优秀"]
    assert "整改台账缺两个月" in _results(page)


def test_every_installed_policy_and_kind_draws_its_page_and_takes_a_case(client, world):
    client.force_login(world.superuser)
    policies = list(Policy.objects.all())
    assert {"yunmeng-2024", "quanzhou-2023", "heshan-2024"} <= {policy.code for policy in policies}
    for policy in policies:
        for kind in policy.kinds:
            page = client.get(_try_url(policy, kind=kind)).content.decode()
            assert 'value="试算"' in page, (policy.code, kind)
            assert language_faults(visible_text(page), data=(str(world.superuser),)) == [], (
                policy.code,
                kind,
            )
            # One box typed, the rest missing: refused in words, never a 500.
            field = re.search(r'name="case1-([a-z0-9_]+)"', page).group(1)
            typed = {f"case1-{field}": "1", "assessed_on": f"{policy.year}-12-31"}  # as the page fills it in
            response = client.post(_try_url(policy, kind=kind), typed)
            assert response.status_code == 200, (policy.code, kind)
            assert "缺少该项" in response.content.decode(), (policy.code, kind)


def test_ranked_cases_are_banded_eliminated_and_their_group_docked_among_themselves(client, world):
    # Heshan's scheme (3:4:3 into A/B/C at 60,000 / 50,000 / 40,000, the lowest 3 below 95 out, their
    # group's others 10,000 less) over a one-item sheet, so each case's score is what is typed.
    heshan = policy_spec(Policy.objects.get(code="heshan-2024"))
    item = ItemSpec(
        code="1.1",
        title="综合评价",
        max_points=Decimal(100),
        rule="manual",
        params={"input": "item_1_1_points", "label": "综合评价"},
        inputs=(InputSpec("item_1_1_points", "points", "综合评价得分"),),
    )
    simple = dataclasses.replace(
        heshan,
        code="heshan-one-item",
        rubric=RubricSpec(
            max_points=Decimal(100), sections=(SectionSpec("1", "综合", Decimal(100), (item,)),)
        ),
    )
    policy = policy_install(spec=simple, region=Policy.objects.get(code="heshan-2024").region)
    client.force_login(world.superuser)
    data = {}
    for number, (points, group) in enumerate((("98", "第1组"), ("97", "第2组"), ("93.85", "第1组")), start=1):
        data[f"case{number}-item_1_1_points"] = points
        data[f"extra{number}-level"] = "province"
        data[f"extra{number}-group"] = group

    page = client.post(_try_url(policy, kind="community", month=5), data).content.decode()

    # Three units 3:4:3 -> one each; 93.85 is among the lowest 3 and below 95: out, nothing paid;
    # 98 shares its group with it: 60,000 - 10,000.
    assert _row(page, "档次") == ["A档（前30%）", "B档（中间40%）", "C档（后30%）（末位淘汰）"]
    assert _row(page, "补助金额（元）") == ["50,000.00", "50,000.00", "0.00"]
    assert _row(page, "年度得分（按每月同分计）") == ["98.00 分", "97.00 分", "93.85 分"]
    assert "排名只在本次填写的 3 个案例之间进行" in page


def test_a_rubric_whose_sections_exceed_the_sheet_max_is_not_tried(client, world):
    # Sections adding up to 111 on a 100-point sheet: a trial would tier and pay an impossible 111.
    from assessment.models import RubricSection

    policy = Policy.objects.filter(code="yunmeng-2024").order_by("-version").first()
    RubricSection.objects.filter(policy=policy, code="1").update(max_points=26)
    client.force_login(world.bureau_a)

    page = client.get(reverse("admin:assessment_policy_try", args=[policy.pk])).content.decode()

    assert "各部分满分合计 111 分，与考核表满分 100 分不一致" in page
    assert "场所与硬件设施得分" not in page  # no case form to type into until the sections add up


def test_with_no_more_cases_than_the_elimination_count_the_page_says_every_case_is_among_the_lowest():
    # Heshan eliminates the lowest 3 scoring below 95 (004): with 3 cases the best one is among them.
    from assessment.policies import SEED_POLICIES
    from assessment.policy_trial import trial_notes

    heshan = SEED_POLICIES["heshan-2024"]
    three = " ".join(trial_notes(heshan, month=3, assessed_on=None, count=3))
    four = " ".join(trial_notes(heshan, month=3, assessed_on=None, count=4))

    assert "每个案例都在倒数 3 名之内" in three and "请填写 4 个以上的案例" in three
    assert "每个案例都在倒数" not in four
