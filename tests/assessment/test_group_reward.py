"""The group reward of 004 (老带新小组): decided with the group deduction, kept in the policy.

Amounts below are worked by hand on the Heshan policy with a reward set: province and city units
ranked 3:4:3 (A 60,000 / B 50,000 / C 40,000), district 30,000, the lowest 3 below 95 eliminated,
10,000 off every other member of a group with an eliminated unit.
"""

import dataclasses
from decimal import Decimal

import pytest
import yaml

from assessment.engine.decision import DecisionUnit, decide_campaign
from assessment.engine.spec_diff import spec_differences
from assessment.engine.specs import GroupRewardSpec
from assessment.policies import SEED_POLICIES
from assessment.policy_file import PolicyFileError, policy_file_text, read_policy_file
from assessment.selectors import policy_spec
from assessment.services.policies import policy_install
from stations.models import Region

D = Decimal
HESHAN = SEED_POLICIES["heshan-2024"]


def _with_reward(amount, rule="group_best"):
    scheme = dataclasses.replace(
        HESHAN.tier_scheme, group_reward=GroupRewardSpec(amount=D(amount), rule=rule)
    )
    return dataclasses.replace(HESHAN, tier_scheme=scheme)


def _unit(code, level, group, score):
    return DecisionUnit(code=code, kind="community", level=level, group=group, score=D(score))


def _world(u3_score="97.00"):
    return [
        _unit("U1", "city", "G1", "99.00"),
        _unit("U2", "city", "G1", "98.00"),
        _unit("U3", "district", "G1", u3_score),
        _unit("U4", "district", "G1", "96.50"),
        _unit("U5", "city", "G2", "97.50"),
        _unit("U6", "city", "G2", "94.00"),
        _unit("U7", "district", "G2", "93.00"),
        _unit("U8", "district", "G2", "92.00"),
    ]


def _amounts(decisions):
    return {decision.code: decision.performance_subsidy for decision in decisions}


# Ranked (city): U1 99, U2 98, U5 97.5, U6 94 -> 4 units, 3:4:3 -> A 1, B 2, C 1:
# U1 A 60,000; U2, U5 B 50,000; U6 C 40,000. District U3, U4, U7, U8 30,000.
# Lowest 3 of all: U8 92, U7 93, U6 94, all below 95 -> eliminated, 0. G2 loses 10,000 on U5 -> 40,000.
# G1 has nobody eliminated: its reward goes to its best (U1) or to all four.
def test_the_best_unit_of_a_group_without_elimination_gets_the_reward():
    assert _amounts(decide_campaign(_with_reward("5000"), _world())) == {
        "U1": D("65000.00"),
        "U2": D("50000.00"),
        "U3": D("30000.00"),
        "U4": D("30000.00"),
        "U5": D("40000.00"),
        "U6": D("0.00"),
        "U7": D("0.00"),
        "U8": D("0.00"),
    }


def test_whole_group_rewards_every_member_of_a_group_without_elimination():
    assert _amounts(decide_campaign(_with_reward("5000", "whole_group"), _world())) == {
        "U1": D("65000.00"),
        "U2": D("55000.00"),
        "U3": D("35000.00"),
        "U4": D("35000.00"),
        "U5": D("40000.00"),  # its group had an eliminated member: deduction, no reward
        "U6": D("0.00"),
        "U7": D("0.00"),
        "U8": D("0.00"),
    }


def test_units_tied_on_the_groups_best_score_are_all_rewarded():
    # U3 (district, not ranked) ties U1 on 99: both led the group.
    amounts = _amounts(decide_campaign(_with_reward("5000"), _world(u3_score="99.00")))
    assert (amounts["U1"], amounts["U2"], amounts["U3"], amounts["U4"]) == (
        D("65000.00"),
        D("50000.00"),
        D("35000.00"),
        D("30000.00"),
    )


def test_a_unit_without_a_level_or_a_group_gets_no_reward():
    units = [
        *_world(),
        _unit("N1", None, "G3", "100.00"),  # no band: outside the scheme, not the group's best
        _unit("D9", "district", "G3", "96.00"),
        _unit("D0", "district", None, "99.50"),  # in no group
    ]
    amounts = _amounts(decide_campaign(_with_reward("5000"), units))
    assert (amounts["N1"], amounts["D9"], amounts["D0"]) == (D("0.00"), D("35000.00"), D("30000.00"))


def test_the_explanation_names_the_group_the_reward_and_the_total():
    decisions = {d.code: d for d in decide_campaign(_with_reward("5000"), _world())}
    assert decisions["U1"].explanation.endswith(
        "所在小组 G1 无单位被末位淘汰，本单位得分为组内最高，获捆绑考核奖励 5000.00 元，实得 65000.00 元"
    )
    assert "奖励" not in decisions["U2"].explanation
    whole = {d.code: d for d in decide_campaign(_with_reward("5000", "whole_group"), _world())}
    assert "组内各单位均获捆绑考核奖励 5000.00 元，实得 35000.00 元" in whole["U4"].explanation


def test_the_heshan_seed_sets_the_reward_at_zero_and_it_changes_nothing():
    assert HESHAN.tier_scheme.group_reward == GroupRewardSpec(amount=D(0), rule="group_best")
    without = dataclasses.replace(
        HESHAN, tier_scheme=dataclasses.replace(HESHAN.tier_scheme, group_reward=None)
    )
    assert decide_campaign(HESHAN, _world()) == decide_campaign(without, _world())
    assert not any("奖励" in d.explanation for d in decide_campaign(HESHAN, _world()))


def test_a_policy_without_a_reward_writes_no_reward_key():
    # Policies written before the reward existed keep the same dict (stored copies compare equal).
    yunmeng = SEED_POLICIES["yunmeng-2024"]
    assert "group_reward" not in yunmeng.to_dict()["tier_scheme"]
    assert "group_reward:" not in policy_file_text(yunmeng)


def test_the_reward_reads_and_writes_in_the_policy_file():
    spec = _with_reward("2500.50", "whole_group")
    text = policy_file_text(spec)
    assert "  group_reward:\n      amount: 2500.50\n      rule: whole_group\n" in text
    assert read_policy_file(text) == spec
    # The default rule is left out of the file and read back.
    assert "rule:" not in policy_file_text(_with_reward("100")).split("group_reward:")[1].split("subsidy")[0]


def test_an_unknown_reward_rule_is_refused_in_chinese():
    data = yaml.safe_load(policy_file_text(_with_reward("100")))
    data["policy"]["tier_scheme"]["group_reward"]["rule"] = "leader"
    with pytest.raises(PolicyFileError) as refused:
        read_policy_file(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    assert any("奖励对象 rule 应为 group_best" in p and "leader" in p for p in refused.value.problems)


def test_the_differences_name_a_changed_reward():
    assert spec_differences(HESHAN, _with_reward("5000", "whole_group")) == [
        "捆绑考核奖励 金额 0 → 5000",
        "捆绑考核奖励 奖励对象 组内得分最高的单位 → 组内每个单位",
    ]


@pytest.mark.django_db
def test_the_reward_survives_the_database_and_zero_is_not_dropped():
    region = Region.objects.get(code=HESHAN.region)
    for code, spec in (("with-reward", _with_reward("5000", "whole_group")), ("zero-reward", HESHAN)):
        spec = dataclasses.replace(spec, code=code)
        policy = policy_install(spec=spec, region=region)
        assert policy_spec(policy) == spec


# --- the clerk sets the reward in the policy form ------------------------------------------------


@pytest.mark.django_db
def test_the_clerk_sets_the_reward_amount_and_its_rule_by_name(client, world):
    from assessment.models import Policy
    from assessment.services.policies import policy_new_version
    from tests.assessment.test_policy_forms import change_url, form_data, visible_text

    draft = policy_new_version(
        policy=Policy.objects.get(code="heshan-2024", version=1), actor=world.superuser
    )
    client.force_login(world.superuser)
    url = change_url(draft)
    page = visible_text(client.get(url).content.decode())
    assert "捆绑考核奖励金额" in page and "无单位被淘汰的小组中得分最高的单位" in page
    data = form_data(client, url)
    assert D(data["group_reward_amount"]) == 0 and data["group_reward_rule"] == "group_best"

    data["group_reward_amount"], data["group_reward_rule"] = "8000", "whole_group"
    assert client.post(url, data).status_code == 302
    scheme = policy_spec(Policy.objects.get(pk=draft.pk)).tier_scheme
    assert scheme.group_reward == GroupRewardSpec(amount=D("8000.00"), rule="whole_group")

    # Cleared: the policy no longer has a reward, and no rule is left behind.
    data["group_reward_amount"] = ""
    assert client.post(url, data).status_code == 302
    draft.refresh_from_db()
    assert (draft.group_reward_amount, draft.group_reward_rule) == (None, "")
    assert policy_spec(draft).tier_scheme.group_reward is None
