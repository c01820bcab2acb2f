"""What a review of the first campaign build found, held in place: each test failed before its fix."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from assessment.models import Campaign, CampaignStation, Evidence, RubricItem
from assessment.selectors import policy_spec
from assessment.services.campaigns import campaign_open, campaign_results_compute
from assessment.services.policies import policy_new_version
from assessment.services.rectification import (
    rectification_evidence_add,
    rectification_issue,
    rectification_respond,
)
from assessment.services.sheets import sheet_correct
from core.models import AuditEntry
from stations.selectors import audit_entry_list
from tests.assessment.steps import lock_sheets
from tests.core.test_filechecks import make_png


def admin_form_data(client, url):
    """The admin form's current values, as a browser would post them back."""
    response = client.get(url)
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, datetime.datetime):  # the admin's split date and time inputs
            local = timezone.localtime(value)
            data[f"{name}_0"], data[f"{name}_1"] = local.date().isoformat(), local.strftime("%H:%M:%S")
            continue
        data[name] = value
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
        for inline in formset.formset.forms:
            for name in inline.fields:
                value = inline[name].value()
                if value is not None:
                    data[f"{inline.prefix}-{name}"] = value
    return data


def test_bureau_creates_a_campaign_in_the_admin(client, world, yunmeng):
    client.force_login(world.bureau_a)
    response = client.post(
        reverse("admin:assessment_campaign_add"),
        {
            "code": "ym-2024-b",
            "name": "云梦县2024年度补充考核",
            "policy": yunmeng.pk,
            "region": world.county_a.pk,
            "year": 2024,
            # A yearly campaign ticks no month box.
            "self_evaluation_due_0": "2026-12-20",
            "self_evaluation_due_1": "18:00",
            "onsite_due": "2026-12-30",
            "assessed_on": "2024-12-31",
            "gap_threshold": "2",
            # The participating stations' inline, empty until the campaign opens.
            "entries-TOTAL_FORMS": "0",
            "entries-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Campaign.objects.get(code="ym-2024-b").status == Campaign.Status.DRAFT


def test_bureau_assigns_an_assessor_in_the_campaign_entries_list(client, world, open_campaign):
    client.force_login(world.bureau_a)
    entry = CampaignStation.objects.get(campaign=open_campaign, station=world.station_a)
    url = reverse("admin:assessment_campaignstation_changelist") + f"?campaign={open_campaign.pk}"
    form = {
        "action": "assign_assessor",
        "_selected_action": [entry.pk],
        "index": "0",
        "assessor": world.assessor_a.pk,
        "apply": "确认指派",
    }
    # Without a reason the form asks for one and nothing is assigned.
    refused = client.post(url, form)
    assert refused.status_code == 200 and "变更原因" in refused.content.decode()
    assert CampaignStation.objects.get(pk=entry.pk).assessor is None
    response = client.post(url, {**form, "change_reason": "原评估人员回避"})
    assert response.status_code == 302
    entry = CampaignStation.objects.get(campaign=open_campaign, station=world.station_a)
    assert entry.assessor == world.assessor_a
    assert entry.declaration == CampaignStation.Declaration.PENDING
    history = AuditEntry.objects.get(action="campaign.assessor_assign", station=world.station_a)
    assert history.reason == "原评估人员回避"


def test_a_section_cannot_be_moved_onto_a_frozen_policy(client, world, open_campaign):
    frozen = open_campaign.policy
    copy = policy_new_version(policy=frozen, actor=world.bureau_a)
    section = copy.sections.first()
    client.force_login(world.bureau_a)
    url = reverse("admin:assessment_rubricsection_change", args=[section.pk])
    data = admin_form_data(client, url)
    assert "policy" not in response_fields(client, url)
    data["policy"] = frozen.pk  # a forged field is ignored
    client.post(url, data)
    section.refresh_from_db()
    assert section.policy == copy
    assert policy_spec(frozen) == policy_spec(frozen)  # still compiles and is unchanged
    assert frozen.sections.count() == copy.sections.count()


def response_fields(client, url):
    return set(client.get(url).context["adminform"].form.fields)


def test_an_item_row_the_engine_cannot_read_cannot_be_posted(client, world, yunmeng):
    # The item form has no JSON fields (the rule is shown as a sentence): a forged one is ignored.
    copy = policy_new_version(policy=yunmeng, actor=world.bureau_a)
    section = copy.sections.first()
    client.force_login(world.bureau_a)
    url = reverse("admin:assessment_rubricsection_change", args=[section.pk])
    data = admin_form_data(client, url)
    assert not any(k.endswith(("-inputs", "-params")) for k in data)
    data["items-0-inputs"] = '[{"bad": 1}]'
    response = client.post(url, data)
    assert response.status_code == 302
    assert not RubricItem.objects.filter(section=section, inputs=[{"bad": 1}]).exists()


def test_a_campaign_cannot_open_on_a_policy_that_does_not_compile(world, yunmeng):
    copy = policy_new_version(policy=yunmeng, actor=world.bureau_a)
    item = RubricItem.objects.filter(section__policy=copy).first()
    item.params = {"input": "no_such_input"}
    item.save()
    campaign = Campaign.objects.create(
        code="broken",
        name="坏政策",
        policy=copy,
        region=world.county_a,
        year=2024,
        self_evaluation_due=timezone.now() + datetime.timedelta(days=5),
        onsite_due=timezone.localdate() + datetime.timedelta(days=9),
        assessed_on=datetime.date(2024, 12, 31),
    )
    with pytest.raises(Exception, match="评分表有错误"):
        campaign_open(campaign=campaign, actor=world.bureau_a)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    copy.refresh_from_db()
    assert copy.frozen_at is None


def test_campaign_history_is_visible_to_bureau_staff_and_auditors_of_its_region(world, open_campaign):
    actions = set(audit_entry_list(actor=world.auditor_a).values_list("action", flat=True))
    assert {"campaign.open", "policy.freeze"} <= actions
    assert "campaign.open" not in set(audit_entry_list(actor=world.bureau_b).values_list("action", flat=True))


def test_rectification_files_cannot_be_deleted_through_the_sheet_route(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    order = rectification_issue(
        station=world.station_a,
        actor=world.bureau_a,
        problems="台账不全",
        deadline=timezone.localdate() + datetime.timedelta(days=9),
    )
    evidence = rectification_evidence_add(
        order=order, actor=world.operator_a, uploaded=SimpleUploadedFile("a.png", make_png()), kind="photo"
    )
    client.force_login(world.operator_a)
    response = client.post(reverse("assessment:evidence_delete", args=[evidence.pk]))
    assert response.status_code == 404
    assert Evidence.objects.filter(pk=evidence.pk).exists()


def test_a_second_rectification_answer_is_refused_with_a_message(client, world):
    order = rectification_issue(
        station=world.station_a,
        actor=world.bureau_a,
        problems="台账不全",
        deadline=timezone.localdate() + datetime.timedelta(days=9),
    )
    rectification_respond(order=order, actor=world.operator_a, response="已补齐")
    client.force_login(world.operator_a)
    response = client.post(
        reverse("assessment:rectification_detail", args=[order.pk]), {"response": "再交一次"}
    )
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.response == "已补齐"


def test_a_correction_during_notice_recomputes_the_result_from_the_corrected_sheet(world, open_campaign):
    from tests.assessment.steps import points_inputs

    lock_sheets(open_campaign, totals={"AAA-01": 72}, assessor=world.assessor_a, bureau=world.bureau_a)
    campaign_results_compute(campaign=open_campaign, actor=world.bureau_a)
    sheet = open_campaign.sheets.get()
    sheet_correct(
        sheet=sheet,
        actor=world.bureau_a,
        final_inputs=points_inputs(open_campaign, kind="gig_station", total=91),
        reason="复核台账后更正",
    )
    result = open_campaign.results.get()
    assert (result.score, result.tier) == (sheet.final_total, "excellent")
