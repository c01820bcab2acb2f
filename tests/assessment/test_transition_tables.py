"""Every move of every campaign workflow table, allowed and refused, through `transition`, and the
named moves that buttons and links offer from them.

The services add their own preconditions on top (tested with each workflow); this walk proves the
tables themselves against the tables written out here: a move not in the table changes nothing and
writes no history, a move in it changes the row and records who moved it, from where and to where.
"""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from assessment.models import Campaign, Entitlement, Objection, RectificationOrder, ScoreSheet
from assessment.services.campaigns import CAMPAIGN_MOVES, CAMPAIGN_TRANSITIONS
from assessment.services.entitlements import ENTITLEMENT_TRANSITIONS
from assessment.services.objections import OBJECTION_MOVES, OBJECTION_TRANSITIONS
from assessment.services.rectification import RECTIFICATION_MOVES, RECTIFICATION_TRANSITIONS
from assessment.services.sheets import SHEET_MOVES, SHEET_TRANSITIONS
from core.models import AuditEntry
from core.workflow import InvalidTransition, available_moves, transition
from tests.assessment.steps import assign_assessor
from tests.moves import edges_named_other_than_once, moves_by_state

# The tables as the workflows are meant to be, written out: the oracle for the modules' tables.
EXPECTED = {
    "campaign": {
        "draft": {"open"},
        "open": {"results"},
        "results": {"notice"},
        "notice": {"published"},
        "published": set(),
    },
    "sheet": {
        "draft": {"submitted", "assessed"},
        "submitted": {"assessed", "draft"},  # back to draft: the bureau's 退回修改
        "assessed": {"locked"},
        "locked": set(),
    },
    "objection": {"open": {"answered"}, "answered": set()},
    "rectification": {
        "issued": {"responded", "revocation_proposed"},
        "responded": {"verified", "issued"},
        "revocation_proposed": {"revoked", "issued"},
        "verified": set(),
        "revoked": set(),
    },
    "entitlement": {"open": {"committed"}, "committed": {"open", "paid"}, "paid": set()},
}

TABLES = {
    "campaign": (Campaign, CAMPAIGN_TRANSITIONS),
    "sheet": (ScoreSheet, SHEET_TRANSITIONS),
    "objection": (Objection, OBJECTION_TRANSITIONS),
    "rectification": (RectificationOrder, RECTIFICATION_TRANSITIONS),
}

MOVES = [
    pytest.param(name, start, to, id=f"{name}:{start}->{to}")
    for name, (model, _) in TABLES.items()
    for start in model.Status.values
    for to in model.Status.values
]


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("campaign", CAMPAIGN_TRANSITIONS),
        ("sheet", SHEET_TRANSITIONS),
        ("objection", OBJECTION_TRANSITIONS),
        ("rectification", RECTIFICATION_TRANSITIONS),
        ("entitlement", ENTITLEMENT_TRANSITIONS),
    ],
)
def test_each_table_is_the_one_written_out_here(name, table):
    assert {state: set(ends) for state, ends in table.items()} == EXPECTED[name]


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("campaign", Campaign),
        ("sheet", ScoreSheet),
        ("objection", Objection),
        ("rectification", RectificationOrder),
        ("entitlement", Entitlement),
    ],
)
def test_each_expected_table_names_every_status_of_its_model(name, model):
    assert set(EXPECTED[name]) == set(model.Status.values)


@pytest.fixture
def targets(world, campaign):
    """One row of each workflow model. Their statuses are set directly below: the walk needs every
    state, including ones that only a long chain of services would reach."""
    sheet = ScoreSheet.objects.create(campaign=campaign, station=world.station_a, period="2024")
    objection = Objection.objects.create(
        campaign=campaign,
        station=world.station_a,
        name="张三",
        contact="13800000000",
        reason="得分偏高",
        client_key="k",
    )
    order = RectificationOrder.objects.create(
        station=world.station_a,
        problems="台账不全",
        deadline=datetime.date(2030, 1, 1),
        issued_by=world.bureau_a,
    )
    return {"campaign": campaign, "sheet": sheet, "objection": objection, "rectification": order}


def history_of(obj):
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).order_by("id")


@pytest.mark.parametrize(("name", "start", "to"), MOVES)
def test_move_is_allowed_exactly_when_the_table_says(world, targets, name, start, to):
    model, table = TABLES[name]
    obj = targets[name]
    model.objects.filter(pk=obj.pk).update(status=start)  # precondition: the walk's starting state
    obj.refresh_from_db()
    audit_before = AuditEntry.objects.count()

    if to in EXPECTED[name][start]:
        transition(obj, to=to, table=table, actor=world.bureau_a, action=f"test.{name}", reason="走查")
        obj.refresh_from_db()
        assert obj.status == to
        entries = list(history_of(obj))
        assert len(entries) == 1
        entry = entries[0]
        assert (entry.actor, entry.action, entry.from_state, entry.to_state, entry.reason) == (
            world.bureau_a,
            f"test.{name}",
            start,
            to,
            "走查",
        )
    else:
        with pytest.raises(InvalidTransition) as refused:
            transition(obj, to=to, table=table, actor=world.bureau_a, action=f"test.{name}")
        obj.refresh_from_db()
        assert obj.status == start
        assert AuditEntry.objects.count() == audit_before
        # The clerk reads both states in words, not codes.
        labels = dict(model.Status.choices)
        assert labels[start] in str(refused.value)
        assert labels[to] in str(refused.value)


# --- the named moves: which button, page or link each state offers --------------------------------

MOVES = {
    "campaign": (CAMPAIGN_TRANSITIONS, CAMPAIGN_MOVES),
    "sheet": (SHEET_TRANSITIONS, SHEET_MOVES),
    "objection": (OBJECTION_TRANSITIONS, OBJECTION_MOVES),
    "rectification": (RECTIFICATION_TRANSITIONS, RECTIFICATION_MOVES),
}

EXPECTED_MOVES = {
    "campaign": {
        "draft": {"open"},
        "open": {"import", "lock_assessed", "results"},
        "results": {"recompute", "notice"},
        "notice": {"recompute", "publish"},
        "published": set(),
    },
    "sheet": {
        "draft": {"self_evaluation", "onsite"},
        "submitted": {"onsite", "return"},
        "assessed": {"lock"},
        "locked": {"correct"},
    },
    "objection": {"open": {"answer"}, "answered": set()},
    "rectification": {
        "issued": {"respond", "propose"},
        "responded": {"verify"},
        "revocation_proposed": {"decide"},
        "verified": set(),
        "revoked": set(),
    },
}


@pytest.mark.parametrize("name", MOVES)
def test_each_state_offers_the_moves_written_out_here(name):
    table, moves = MOVES[name]
    assert moves_by_state(table, moves) == EXPECTED_MOVES[name]


@pytest.mark.parametrize("name", MOVES)
def test_every_allowed_move_of_a_table_is_made_by_exactly_one_named_move(name):
    table, moves = MOVES[name]
    assert edges_named_other_than_once(table, moves) == {}


def offered(obj, actor, name) -> list[str]:
    table, moves = MOVES[name]
    return [move.name for move in available_moves(obj, actor, table=table, moves=moves)]


def test_a_draft_campaign_offers_its_opening_to_its_own_bureau_only(world, campaign):
    assert offered(campaign, world.bureau_a, "campaign") == ["open"]
    assert offered(campaign, world.superuser, "campaign") == ["open"]
    for outsider in (world.auditor_a, world.bureau_b, world.operator_a, world.assessor_a):
        assert offered(campaign, outsider, "campaign") == []


def test_a_sheet_offers_each_person_their_own_part(world, sheet):
    assert offered(sheet, world.operator_a, "sheet") == ["self_evaluation"]
    assert offered(sheet, world.assessor_a, "sheet") == []  # not assigned yet
    assert offered(sheet, world.bureau_a, "sheet") == []  # nothing to lock yet
    assign_assessor(sheet, assessor=world.assessor_a, bureau=world.bureau_a)
    assert offered(sheet, world.assessor_a, "sheet") == ["onsite"]

    sheet.status = "submitted"
    assert offered(sheet, world.operator_a, "sheet") == []
    assert offered(sheet, world.bureau_a, "sheet") == ["return"]
    assert offered(sheet, world.auditor_a, "sheet") == []
    sheet.status = "assessed"
    assert offered(sheet, world.bureau_a, "sheet") == ["lock"]
    assert offered(sheet, world.auditor_a, "sheet") == []
    sheet.status = "locked"
    assert offered(sheet, world.bureau_a, "sheet") == ["correct"]
    sheet.campaign.status = "published"  # final results are not corrected
    assert offered(sheet, world.bureau_a, "sheet") == []


def test_nothing_is_offered_on_a_sheet_of_a_campaign_that_is_not_open(world, sheet):
    sheet.campaign.status = "results"
    assign_assessor(sheet, assessor=world.assessor_a, bureau=world.bureau_a)
    for person in (world.operator_a, world.assessor_a, world.bureau_a):
        assert offered(sheet, person, "sheet") == []


def test_an_objection_is_answered_by_the_campaigns_bureau(world, targets):
    objection = targets["objection"]
    assert offered(objection, world.bureau_a, "objection") == ["answer"]
    assert offered(objection, world.auditor_a, "objection") == []
    assert offered(objection, world.bureau_b, "objection") == []
    objection.status = "answered"
    assert offered(objection, world.bureau_a, "objection") == []


def test_a_rectification_order_offers_the_operator_the_answer_and_the_bureau_the_rest(world, targets):
    order = targets["rectification"]
    assert offered(order, world.operator_a, "rectification") == ["respond"]
    assert offered(order, world.bureau_a, "rectification") == ["propose"]
    assert offered(order, world.operator_b, "rectification") == []
    order.status = "responded"
    assert offered(order, world.operator_a, "rectification") == []
    assert offered(order, world.bureau_a, "rectification") == ["verify"]
    order.status = "revocation_proposed"
    assert offered(order, world.bureau_a, "rectification") == ["decide"]


# --- the admin page shows a button exactly when the table opens its move ---------------------------

CAMPAIGN_BUTTONS = {
    "draft": {"open"},
    "open": {"import", "lock_assessed", "results"},
    "results": {"recompute", "notice"},
    "notice": {"recompute", "publish"},
    "published": set(),
}


def buttons_on_page(client, campaign) -> set[str]:
    page = client.get(reverse("admin:assessment_campaign_change", args=[campaign.pk])).content.decode()
    return {
        name
        for name in ("open", "import", "lock_assessed", "results", "recompute", "notice", "publish")
        if f'href="{reverse(f"admin:assessment_campaign_{name}", args=[campaign.pk])}"' in page
    }


@pytest.mark.parametrize("state", CAMPAIGN_BUTTONS)
def test_the_campaign_page_shows_the_buttons_its_state_allows_and_none_to_an_auditor(
    client, world, campaign, state
):
    Campaign.objects.filter(pk=campaign.pk).update(status=state)

    client.force_login(world.bureau_a)
    assert buttons_on_page(client, campaign) == CAMPAIGN_BUTTONS[state]
    client.force_login(world.auditor_a)
    assert buttons_on_page(client, campaign) == set()


# --- the portal links follow the same moves -------------------------------------------------------


def links_on_sheet_page(client, sheet) -> set[str]:
    page = client.get(reverse("assessment:sheet_detail", args=[sheet.pk])).content.decode()
    links = {
        "self_evaluation": reverse("assessment:sheet_self_edit", args=[sheet.pk]),
        "onsite": reverse("assessment:sheet_onsite_edit", args=[sheet.pk]),
    }
    return {name for name, url in links.items() if f'href="{url}"' in page}


@pytest.mark.parametrize(
    ("state", "operator_sees", "assessor_sees"),
    [
        ("draft", {"self_evaluation"}, {"onsite"}),
        ("submitted", set(), {"onsite"}),
        ("assessed", set(), set()),
        ("locked", set(), set()),
    ],
)
def test_the_sheet_page_links_each_person_to_the_part_the_sheets_state_opens(
    client, world, sheet, state, operator_sees, assessor_sees
):
    assign_assessor(sheet, assessor=world.assessor_a, bureau=world.bureau_a)
    ScoreSheet.objects.filter(pk=sheet.pk).update(status=state)

    client.force_login(world.operator_a)
    assert links_on_sheet_page(client, sheet) == operator_sees
    client.force_login(world.assessor_a)
    assert links_on_sheet_page(client, sheet) == assessor_sees
