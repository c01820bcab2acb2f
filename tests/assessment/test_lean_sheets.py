"""Lean score sheets (issue 10, item 4): what a sheet stores and what it derives when shown.

A column's points are not stored: they are its inputs scored by the campaign's frozen policy. The
inputs are stored packed (values at the positions of the policy's input names), and the final
column only when the review changed the on-site inputs. Whatever is stored, the sheet reads back
exactly what each person gave, and every page shows the same points.
"""

import json

import pytest
from django.db import connection

from assessment import scoring
from assessment.models import ScoreSheet
from assessment.scoring import column_result
from assessment.services.campaigns import campaign_open
from assessment.services.sheets import (
    sheet_correct,
    sheet_lock,
    sheet_onsite_save,
    sheet_onsite_submit,
    sheet_self_save,
    sheet_self_submit,
)
from stations.models import User
from tests.assessment.builders import heshan_perfect_month
from tests.assessment.steps import assign_assessor, attach_evidence, points_inputs, score_onsite
from tests.factories import make_user


def reload(sheet: ScoreSheet) -> ScoreSheet:
    return ScoreSheet.objects.select_related("campaign__policy", "station").get(pk=sheet.pk)


def as_typed(inputs: dict) -> dict:
    """The inputs as a phone's form sends them: text, flags as booleans."""
    return {name: value if isinstance(value, bool) else str(value) for name, value in inputs.items()}


@pytest.fixture
def heshan_sheet(heshan_world):
    """March's sheet of HS-01, whose operator and assessor may fill it in."""
    campaign, bureau, assessor, stations = heshan_world
    operator = make_user("operator_hs", role=User.Role.OPERATOR, region=stations[0].region)
    stations[0].operators.add(operator)
    campaign_open(campaign=campaign, actor=bureau, stations=[stations[0]])
    sheet = ScoreSheet.objects.select_related("campaign__policy", "station").get(
        campaign=campaign, station=stations[0], period="2024-03"
    )
    assign_assessor(sheet, assessor=assessor, bureau=bureau)
    return sheet, operator, assessor, bureau


def fill_self_and_onsite(heshan_sheet) -> tuple[ScoreSheet, dict, dict]:
    """The operator reports a perfect month; the assessor finds two complaints (3.3 loses 2 points)."""
    sheet, operator, assessor, _ = heshan_sheet
    own = as_typed(heshan_perfect_month())
    sheet_self_save(sheet=sheet, actor=operator, raw=own)
    attach_evidence(sheet, operator=operator)
    sheet_self_submit(sheet=sheet, actor=operator)
    onsite = own | {"valid_complaints": "2"}
    sheet_onsite_save(
        sheet=sheet, actor=assessor, raw=onsite, gap_reasons={"3.3": "回访核实 2 例有效投诉"}, findings=""
    )
    sheet_onsite_submit(sheet=sheet, actor=assessor)
    return sheet, own, onsite


def test_a_sheet_locked_on_the_onsite_inputs_shows_them_as_final_without_a_copy(heshan_sheet):
    sheet, own, onsite = fill_self_and_onsite(heshan_sheet)
    sheet_lock(sheet=sheet, actor=heshan_sheet[3])

    stored = reload(sheet)
    assert stored.final_packed is None  # no second copy of the on-site inputs
    assert (stored.self_inputs, stored.onsite_inputs, stored.final_inputs) == (own, onsite, onsite)
    assert (stored.self_total, stored.onsite_total, stored.final_total) == (100, 98, 98)
    assert column_result(stored, "self")["total"] == "100.00"
    assert column_result(stored, "final")["total"] == "98.00"
    points = {s["code"]: s["points"] for s in column_result(stored, "final")["sections"]}
    assert points == {"1": "20.00", "2": "45.00", "3": "23.00", "4": "10.00"}


def test_final_inputs_changed_at_review_are_kept_beside_the_onsite_ones(heshan_sheet):
    sheet, _, onsite = fill_self_and_onsite(heshan_sheet)
    settled = onsite | {"valid_complaints": "1"}
    sheet_lock(sheet=sheet, actor=heshan_sheet[3], final_inputs=settled, reason="复核后 1 例不属实")

    stored = reload(sheet)
    assert (stored.onsite_inputs, stored.final_inputs) == (onsite, settled)
    assert (stored.onsite_total, stored.final_total) == (98, 99)
    assert column_result(stored, "final")["total"] == "99.00"

    # Corrected back to what the assessor found: the copy goes again.
    sheet_correct(sheet=stored, actor=heshan_sheet[3], final_inputs=onsite, reason="投诉复核结论撤销")
    stored = reload(sheet)
    assert stored.final_packed is None
    assert (stored.final_inputs, stored.final_total) == (onsite, 98)


def test_stored_inputs_hold_values_not_names_and_read_back_as_given(heshan_sheet):
    sheet, own, _ = fill_self_and_onsite(heshan_sheet)
    stored = reload(sheet)
    text = json.dumps(stored.self_packed, ensure_ascii=False)
    assert "labor_force" not in text and "1000" in text
    assert stored.self_inputs == own
    assert stored.self_inputs["staff_training_met"] is True  # a flag stays a boolean, text stays text
    assert stored.self_inputs["provincial_update_coverage"] == "95"


def test_a_draft_with_a_name_the_policy_does_not_read_is_kept_as_typed(world, sheet):
    raw = {"item_1_1_points": "6", "备注": "下月补交"}
    sheet_self_save(sheet=sheet, actor=world.operator_a, raw=raw)
    assert reload(sheet).self_inputs == raw
    assert reload(sheet).self_total is None


def test_a_page_asking_for_a_columns_points_many_times_scores_it_once(world, sheet, monkeypatch):
    score_onsite(
        sheet,
        assessor=_assigned(world, sheet),
        raw=points_inputs(sheet.campaign, kind="gig_station", total=90),
    )
    sheet = reload(sheet)
    calls = []
    real = scoring.score_inputs
    monkeypatch.setattr(scoring, "score_inputs", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = column_result(sheet, "onsite")
    assert [column_result(sheet, "onsite") for _ in range(5)] == [first] * 5
    assert first["total"] == "90.00" and len(calls) == 1

    # Other inputs on the same object are scored again, never answered from what was remembered.
    sheet.onsite_inputs = points_inputs(sheet.campaign, kind="gig_station", total=80)
    sheet.onsite_total = 80
    assert column_result(sheet, "onsite")["total"] == "80.00" and len(calls) == 2


def _assigned(world, sheet):
    assign_assessor(sheet, assessor=world.assessor_a, bureau=world.bureau_a)
    return world.assessor_a


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row sizes are PostgreSQL's")
def test_a_heshan_month_filled_in_all_three_columns_is_a_small_row(heshan_sheet):
    """Issue 10 wants at most 1.5 KB a monthly sheet with indexes (about 85 bytes a sheet)."""
    sheet, _, onsite = fill_self_and_onsite(heshan_sheet)
    sheet_lock(
        sheet=sheet, actor=heshan_sheet[3], final_inputs=onsite | {"valid_complaints": "1"}, reason="复核"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_column_size(s.*) FROM assessment_scoresheet s WHERE id = %s", [sheet.pk])
        (size,) = cursor.fetchone()
    assert size < 1200, size
