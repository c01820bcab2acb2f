"""The annual report as a policy setting （要求提交年度报告）: only Yunmeng's policy has a 年度报告制度
(000), so only its campaigns ask stations for the report; the setting travels through the policy
file, the database, the admin form and the list of differences."""

import dataclasses

import pytest

from assessment.engine.spec_diff import spec_differences
from assessment.models import Policy
from assessment.policies import SEED_POLICIES
from assessment.policy_file import PolicyFileError, policy_file_text, read_policy_file
from assessment.selectors import policy_spec
from assessment.services.policies import policy_install, policy_new_version
from stations.models import Region
from tests.assessment.test_policy_forms import change_url, form_data, visible_text

YUNMENG = SEED_POLICIES["yunmeng-2024"]


def test_only_yunmengs_shipped_policy_asks_for_the_annual_report():
    assert {code: spec.annual_report for code, spec in SEED_POLICIES.items()} == {
        "yunmeng-2024": True,
        "heshan-2024": False,
        "quanzhou-2023": False,
        "huizhou-2024": False,
    }


def test_the_setting_is_written_only_when_asked_and_read_back():
    assert "\n  annual_report: true\n" in policy_file_text(YUNMENG)
    without = dataclasses.replace(YUNMENG, annual_report=False)
    text = policy_file_text(without)
    assert "annual_report" not in text
    assert "annual_report" not in without.to_dict()  # stored copies of other policies are unchanged
    assert read_policy_file(text) == without
    assert read_policy_file(policy_file_text(YUNMENG)) == YUNMENG


def test_a_setting_that_is_not_yes_or_no_is_refused_in_chinese():
    text = policy_file_text(YUNMENG).replace("annual_report: true", "annual_report: 是")
    with pytest.raises(PolicyFileError) as refused:
        read_policy_file(text)
    assert any(
        "annual_report（要求提交年度报告） 应为 true（是）或 false（否）" in p for p in refused.value.problems
    )


def test_the_differences_say_the_setting_in_chinese():
    without = dataclasses.replace(YUNMENG, annual_report=False)
    assert spec_differences(without, YUNMENG) == ["要求提交年度报告 否 → 是"]
    assert spec_differences(YUNMENG, without) == ["要求提交年度报告 是 → 否"]


@pytest.mark.django_db
def test_the_setting_survives_the_database():
    region = Region.objects.get(code=YUNMENG.region)
    for code, asked in (("with-report", True), ("without-report", False)):
        spec = dataclasses.replace(YUNMENG, code=code, annual_report=asked)
        policy = policy_install(spec=spec, region=region)
        assert policy.annual_report is asked
        assert policy_spec(policy) == spec
    assert Policy.objects.get(code="yunmeng-2024", version=1).annual_report is True
    assert Policy.objects.get(code="heshan-2024", version=1).annual_report is False


@pytest.mark.django_db
def test_the_clerk_turns_the_report_off_in_the_policy_form(client, world):
    draft = policy_new_version(
        policy=Policy.objects.get(code="yunmeng-2024", version=1), actor=world.superuser
    )
    client.force_login(world.superuser)
    url = change_url(draft)
    assert "要求提交年度报告" in visible_text(client.get(url).content.decode())
    data = form_data(client, url)
    assert data["annual_report"] == "on"  # ticked

    del data["annual_report"]  # an unticked box is not posted
    assert client.post(url, data).status_code == 302
    draft.refresh_from_db()
    assert draft.annual_report is False
    assert policy_spec(draft).annual_report is False
