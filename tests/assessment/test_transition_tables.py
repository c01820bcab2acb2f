"""Every move of every campaign workflow table, allowed and refused, through `transition`.

The services add their own preconditions on top (tested with each workflow); this walk proves the
tables themselves: a move not in the table changes nothing and writes no history, a move in it
changes the row and records who moved it, from where and to where.
"""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType

from assessment.models import Campaign, Objection, RectificationOrder, ScoreSheet
from assessment.services.campaigns import CAMPAIGN_TRANSITIONS
from assessment.services.objections import OBJECTION_TRANSITIONS
from assessment.services.rectification import RECTIFICATION_TRANSITIONS
from assessment.services.sheets import SHEET_TRANSITIONS
from core.models import AuditEntry
from core.workflow import InvalidTransition, transition

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


@pytest.mark.parametrize("name", TABLES)
def test_each_table_names_every_status_of_its_model_and_nothing_else(name):
    model, table = TABLES[name]
    assert set(table) == set(model.Status.values)
    assert set().union(*table.values()) <= set(model.Status.values)


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

    if to in table[start]:
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
