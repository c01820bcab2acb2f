"""Batch moves: a campaign opened, its on-site inputs recorded and its assessed sheets locked in bulk.

The one-by-one services are the oracle: the bulk paths must leave the same sheets and the same
history as `sheet_onsite_save` + `sheet_onsite_submit` and `sheet_lock` do, sheet for sheet, and
refuse what they refuse, all or nothing.
"""

import datetime
import threading
from decimal import Decimal

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from assessment.models import Campaign, CampaignStation, ScoreSheet
from assessment.services.campaigns import campaign_open
from assessment.services.sheet_batch import SheetBatchError, sheets_lock_assessed, sheets_record_onsite
from assessment.services.sheets import sheet_lock, sheet_onsite_save, sheet_onsite_submit
from core.models import AuditEntry
from core.permissions import Forbidden
from core.workflow import InvalidTransition
from tests.assessment.builders import heshan_perfect_month
from tests.assessment.steps import assign_assessor, points_inputs, self_evaluate
from tests.factories import make_station

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


@pytest.fixture
def heshan(heshan_world):
    """Heshan's three communities opened for January and February; the assessor declared for each."""
    campaign, bureau, assessor, stations = heshan_world
    campaign.months = [1, 2]
    campaign.save()
    campaign_open(campaign=campaign, actor=bureau)
    for station in stations:
        assign_assessor(sheets_of(campaign, station.code)[0], assessor=assessor, bureau=bureau)
    return heshan_world


def sheets_of(campaign, code=None):
    sheets = ScoreSheet.objects.filter(campaign=campaign).select_related(
        "campaign__policy", "station__region"
    )
    if code is not None:
        sheets = sheets.filter(station__code=code)
    return list(sheets.order_by("station__code", "period"))


def month_inputs(month: int) -> dict:
    """A realistic month: a complaint in January, fewer records updated and more complaints in
    February; one field left empty in the form (it reads as not given, so it is no problem)."""
    changes = {1: {"valid_complaints": 1}, 2: {"labor_records_updated": 930, "valid_complaints": 3}}[month]
    return heshan_perfect_month() | changes | {"rural_transferred": ""}


def sheet_as_seen(sheet: ScoreSheet) -> dict:
    """What a person sees of a sheet: every column, who moved it and whether it was timed."""
    return {
        "status": sheet.status,
        "self_inputs": sheet.self_inputs,
        "onsite_inputs": sheet.onsite_inputs,
        "onsite_total": sheet.onsite_total,
        "final_inputs": sheet.final_inputs,
        "final_total": sheet.final_total,
        "gap_reasons": sheet.gap_reasons,
        "findings": sheet.findings,
        "assessed_by": sheet.assessed_by,
        "locked_by": sheet.locked_by,
        "timed": (sheet.submitted_at is not None, sheet.assessed_at is not None, sheet.locked_at is not None),
    }


def history_of(sheet: ScoreSheet) -> list[tuple]:
    """The sheet's audit rows as the history page shows them, the station's code written as CODE."""
    rows = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(ScoreSheet), object_id=str(sheet.pk)
    ).order_by("id")
    return [
        (
            row.actor,
            row.action,
            row.from_state,
            row.to_state,
            row.reason,
            row.changes,
            row.region_path,
            row.station_id == sheet.station_id,
            row.object_repr.replace(sheet.station.code, "CODE"),
        )
        for row in rows
    ]


def test_bulk_paths_leave_the_sheets_and_history_the_one_by_one_services_leave(heshan):
    campaign, bureau, assessor, _ = heshan
    by_hand, in_bulk = sheets_of(campaign, "HS-01"), sheets_of(campaign, "HS-02")
    for sheet in by_hand:
        sheet_onsite_save(
            sheet=sheet, actor=assessor, raw=month_inputs(sheet.month), gap_reasons={}, findings=""
        )
        sheet_onsite_submit(sheet=sheet, actor=assessor)
        sheet_lock(sheet=sheet, actor=bureau)

    recorded = sheets_record_onsite(
        campaign=campaign, actor=assessor, entries=[(sheet, month_inputs(sheet.month)) for sheet in in_bulk]
    )
    locked = sheets_lock_assessed(campaign=campaign, actor=bureau)

    assert (recorded, locked) == (2, 2)
    for hand, bulk in zip(sheets_of(campaign, "HS-01"), sheets_of(campaign, "HS-02"), strict=True):
        assert sheet_as_seen(bulk) == sheet_as_seen(hand)
        assert history_of(bulk) == history_of(hand)
    # The oracle itself scored something: January lost a point, February more.
    totals = [sheet.final_total for sheet in sheets_of(campaign, "HS-02")]
    assert totals[0] < Decimal(100) and totals[1] < Decimal(100) and totals[0] != totals[1]
    assert [sheet.status for sheet in sheets_of(campaign, "HS-03")] == ["draft", "draft"]


def test_the_bureau_records_by_sheet_id_and_again_on_an_assessed_sheet_as_the_import_does(heshan):
    campaign, bureau, _, _ = heshan
    january = sheets_of(campaign, "HS-01")[0]
    sheets_record_onsite(
        campaign=campaign,
        actor=bureau,
        entries=[(january.pk, month_inputs(1))],
        reason="数据分析",
        action="sheet.import",
    )
    sheets_record_onsite(
        campaign=campaign,
        actor=bureau,
        entries=[(january.pk, month_inputs(2))],
        reason="数据分析",
        action="sheet.import",
    )

    sheet = sheets_of(campaign, "HS-01")[0]
    assert (sheet.status, sheet.assessed_by, sheet.onsite_inputs["labor_records_updated"]) == (
        "assessed",
        bureau,
        930,
    )
    assert [row[1:5] for row in history_of(sheet)] == [
        ("sheet.import", "draft", "assessed", "数据分析"),
        ("sheet.import", "", "", "数据分析"),
    ]


def test_one_bad_entry_saves_nothing_and_the_message_names_each_sheet_and_problem(heshan):
    campaign, bureau, _, _ = heshan
    sheets = sheets_of(campaign)
    entries = [(sheet, month_inputs(sheet.month)) for sheet in sheets]
    entries[1] = (sheets[1], month_inputs(2) | {"labor_force": -5})
    missing = month_inputs(1)
    del missing["registered_unemployed"]
    entries[4] = (sheets[4], missing)

    with pytest.raises(SheetBatchError) as refused:
        sheets_record_onsite(campaign=campaign, actor=bureau, entries=entries)

    message = str(refused.value)
    assert message.startswith("2 处问题，未做任何更改")
    assert "评分表 HS-01 2024-02：" in message
    assert "评分表 HS-03 2024-01：缺少该项" in message
    assert [(p.sheet, p.field) for p in refused.value.problems] == [
        ("HS-01 2024-02", "labor_force"),
        ("HS-03 2024-01", "registered_unemployed"),
    ]
    assert {sheet.status for sheet in sheets_of(campaign)} == {"draft"}
    assert {sheet.onsite_total for sheet in sheets_of(campaign)} == {None}
    assert not AuditEntry.objects.filter(action__startswith="sheet.").exists()


def test_a_sheet_named_twice_or_of_another_campaign_is_refused(heshan, open_campaign):
    campaign, bureau, _, _ = heshan
    january = sheets_of(campaign, "HS-01")[0]
    elsewhere = ScoreSheet.objects.get(campaign=open_campaign)
    with pytest.raises(SheetBatchError) as refused:
        sheets_record_onsite(
            campaign=campaign,
            actor=bureau,
            entries=[(january, month_inputs(1)), (january, month_inputs(2)), (elsewhere.pk, month_inputs(1))],
        )
    assert [(p.sheet, p.message) for p in refused.value.problems] == [
        ("HS-01 2024-01", "重复出现，每张评分表只能填写一次"),
        (f"编号 {elsewhere.pk}", "不是本批次的评分表"),
    ]
    assert sheets_of(campaign, "HS-01")[0].status == "draft"


def test_a_locked_sheet_is_refused_with_the_way_to_correct_it(heshan):
    campaign, bureau, _, _ = heshan
    january = sheets_of(campaign, "HS-01")[0]
    sheets_record_onsite(campaign=campaign, actor=bureau, entries=[(january, month_inputs(1))])
    sheets_lock_assessed(campaign=campaign, actor=bureau)
    with pytest.raises(SheetBatchError, match="HS-01 2024-01：已审定锁定，请用“更正审定分数”修改"):
        sheets_record_onsite(campaign=campaign, actor=bureau, entries=[(january, month_inputs(2))])
    assert sheets_of(campaign, "HS-01")[0].onsite_inputs["valid_complaints"] == 1


# --- who records: the bureau, or the assigned assessor as on site ----------------------------------


def test_an_assessor_not_assigned_to_every_station_is_refused_and_nothing_is_saved(heshan, world):
    campaign, _, assessor, _ = heshan
    entry = CampaignStation.objects.get(campaign=campaign, station__code="HS-03")
    entry.assessor = world.assessor_a  # the bureau assigned HS-03 to someone else (precondition)
    entry.save(update_fields=["assessor"])
    entries = [(sheet, month_inputs(sheet.month)) for sheet in sheets_of(campaign)]
    with pytest.raises(Forbidden, match="HS-03") as refused:
        sheets_record_onsite(campaign=campaign, actor=assessor, entries=entries)
    assert "HS-01" not in refused.value.message
    assert {sheet.status for sheet in sheets_of(campaign)} == {"draft"}


def test_an_assessor_who_has_not_declared_no_conflict_is_refused(heshan_world):
    campaign, bureau, assessor, _ = heshan_world
    campaign_open(campaign=campaign, actor=bureau)
    sheet = sheets_of(campaign, "HS-01")[0]
    assign_assessor(sheet, assessor=assessor, bureau=bureau, declare=False)
    with pytest.raises(Forbidden, match="已声明无利益冲突"):
        sheets_record_onsite(campaign=campaign, actor=assessor, entries=[(sheet, month_inputs(1))])


def test_an_assessor_cannot_record_an_assessed_sheet_again(heshan):
    campaign, _, assessor, _ = heshan
    january = sheets_of(campaign, "HS-01")[0]
    sheets_record_onsite(campaign=campaign, actor=assessor, entries=[(january, month_inputs(1))])
    with pytest.raises(SheetBatchError, match="已是“现场评估完成”状态，不能再修改现场评分"):
        sheets_record_onsite(campaign=campaign, actor=assessor, entries=[(january, month_inputs(2))])


def test_an_assessor_records_nothing_after_the_on_site_due_date(heshan):
    campaign, _, assessor, _ = heshan
    due = Campaign.objects.get(pk=campaign.pk).onsite_due + datetime.timedelta(days=1)
    with (
        time_machine.travel(datetime.datetime(due.year, due.month, due.day, tzinfo=SHANGHAI)),
        pytest.raises(ValidationError, match="现场评估已于"),
    ):
        sheets_record_onsite(
            campaign=campaign, actor=assessor, entries=[(sheets_of(campaign, "HS-01")[0], month_inputs(1))]
        )


def test_an_assessor_explains_each_gap_to_the_self_evaluation_as_on_site(world, sheet):
    self_evaluate(sheet, operator=world.operator_a, raw=points_inputs(sheet.campaign, kind="gig_station"))
    assign_assessor(sheet, assessor=world.assessor_a, bureau=world.bureau_a)
    raw = points_inputs(sheet.campaign, kind="gig_station") | {"item_1_1_points": "5"}

    with pytest.raises(SheetBatchError) as refused:
        sheets_record_onsite(campaign=sheet.campaign, actor=world.assessor_a, entries=[(sheet, raw)])
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("gap_1.1", "项目 1.1 的现场评分与自评相差超过 2.00 分，请写明原因。")
    ]

    sheets_record_onsite(
        campaign=sheet.campaign,
        actor=world.assessor_a,
        entries=[(sheet, raw, {"1.1": " 无监控设备 "}, " 台账缺页 ")],
    )
    sheet = ScoreSheet.objects.select_related("campaign__policy").get(pk=sheet.pk)
    assert (sheet.status, sheet.gap_reasons, sheet.findings) == (
        "assessed",
        {"1.1": "无监控设备"},
        "台账缺页",
    )


def test_recording_is_refused_once_the_campaign_is_no_longer_open(world, sheet):
    Campaign.objects.filter(pk=sheet.campaign_id).update(status=Campaign.Status.RESULTS)  # precondition
    with pytest.raises(ValidationError, match="不能进行现场评分"):
        sheets_record_onsite(
            campaign=sheet.campaign,
            actor=world.bureau_a,
            entries=[(sheet, points_inputs(sheet.campaign, kind="gig_station"))],
        )


# --- locking every assessed sheet ---------------------------------------------------------------------


def test_locking_takes_the_assessed_sheets_and_leaves_the_others(heshan):
    campaign, bureau, _, _ = heshan
    assessed = [sheet for sheet in sheets_of(campaign) if sheet.station.code != "HS-03"]
    sheets_record_onsite(
        campaign=campaign, actor=bureau, entries=[(s, month_inputs(s.month)) for s in assessed]
    )

    assert sheets_lock_assessed(campaign=campaign, actor=bureau) == 4

    assert [(s.station.code, s.status) for s in sheets_of(campaign)] == [
        ("HS-01", "locked"),
        ("HS-01", "locked"),
        ("HS-02", "locked"),
        ("HS-02", "locked"),
        ("HS-03", "draft"),
        ("HS-03", "draft"),
    ]
    assert sheets_lock_assessed(campaign=campaign, actor=bureau) == 0


def test_a_sheet_whose_on_site_total_disagrees_with_its_inputs_stops_the_whole_lock(heshan):
    campaign, bureau, _, _ = heshan
    sheets = sheets_of(campaign, "HS-01")
    sheets_record_onsite(
        campaign=campaign, actor=bureau, entries=[(s, month_inputs(s.month)) for s in sheets]
    )
    ScoreSheet.objects.filter(pk=sheets[1].pk).update(onsite_total=Decimal("12.00"))  # a damaged row

    with pytest.raises(InvalidTransition) as refused:
        sheets_lock_assessed(campaign=campaign, actor=bureau)

    assert "1 张评分表不能审定锁定，未做任何更改" in str(refused.value)
    assert "“HS-01 2024-02”的现场评估总分 12.00 与按数据计算的" in str(refused.value)
    assert {s.status for s in sheets_of(campaign, "HS-01")} == {"assessed"}
    assert not AuditEntry.objects.filter(action="sheet.lock").exists()


def test_only_the_campaigns_bureau_locks_and_only_while_it_is_open(heshan, world):
    campaign, bureau, _, _ = heshan
    with pytest.raises(Forbidden):
        sheets_lock_assessed(campaign=campaign, actor=world.bureau_b)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.RESULTS)  # precondition
    with pytest.raises(ValidationError, match="只有进行中的考核批次可以审定评分表"):
        sheets_lock_assessed(campaign=campaign, actor=bureau)


def test_the_campaign_page_locks_every_assessed_sheet_in_one_click(client, world, open_campaign):
    sheet = ScoreSheet.objects.get(campaign=open_campaign)
    sheets_record_onsite(
        campaign=open_campaign,
        actor=world.bureau_a,
        entries=[(sheet, points_inputs(open_campaign, kind="gig_station", total=91))],
    )
    client.force_login(world.bureau_a)
    page = client.get(reverse("admin:assessment_campaign_change", args=[open_campaign.pk])).content.decode()
    url = reverse("admin:assessment_campaign_lock_assessed", args=[open_campaign.pk])
    assert url in page and "锁定全部已评估评分表" in page
    assert "全部 1 张“现场评估完成”的评分表" in client.get(url).content.decode()

    response = client.post(url, {"csrfmiddlewaretoken": "token"}, follow=True)  # the page's only field

    assert "已审定锁定 1 张评分表。" in response.content.decode()
    sheet.refresh_from_db()
    assert (sheet.status, sheet.locked_by, sheet.final_total) == ("locked", world.bureau_a, Decimal("91.00"))


# --- opening ------------------------------------------------------------------------------------------


def test_opening_writes_each_sheet_as_a_new_sheet_would_be(heshan_world):
    campaign, bureau, _, stations = heshan_world
    campaign_open(campaign=campaign, actor=bureau)
    fresh = ScoreSheet(campaign=campaign, station=stations[0], period="2024-01")
    skip = {"id", "station", "period", "updated_at"}
    fields = [f.attname for f in ScoreSheet._meta.concrete_fields if f.name not in skip]
    rows = list(ScoreSheet.objects.filter(campaign=campaign).values_list(*fields))
    assert len(rows) == 36
    expected = [getattr(fresh, name) for name in fields]
    assert all(list(row) == expected for row in rows)


def test_a_station_named_twice_when_opening_takes_part_once(world, campaign):
    second = make_station(region=world.town_a, code="AAA-02", kind="doorstep_station")
    campaign_open(campaign=campaign, actor=world.bureau_a, stations=[second, second])
    assert list(
        CampaignStation.objects.filter(campaign=campaign).values_list("station__code", flat=True)
    ) == ["AAA-02"]
    assert ScoreSheet.objects.filter(campaign=campaign).count() == 1


# --- a single-sheet move at the same moment (PostgreSQL's row locks) ------------------------------------

needs_row_locks = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks")


def race(*calls):
    """Start every call at the same moment in its own thread; return each one's result or exception."""
    outcomes: list[object] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck on a lock"
    return outcomes


@pytest.mark.parametrize("attempt", range(3))  # a race: each run may fall either way
@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
@needs_row_locks
def test_a_clerk_locking_one_sheet_while_the_batch_runs_locks_it_once(heshan, attempt):
    campaign, bureau, _, _ = heshan
    sheets = sheets_of(campaign)
    sheets_record_onsite(
        campaign=campaign, actor=bureau, entries=[(s, month_inputs(s.month)) for s in sheets]
    )

    single, batch = race(
        lambda: sheet_lock(sheet=sheets[3], actor=bureau),
        lambda: sheets_lock_assessed(campaign=campaign, actor=bureau),
    )

    # Either the clerk was first (the batch then locks the other five) or the batch was (the clerk
    # is refused by the table); never twice, never an error of another kind (a deadlock).
    assert (batch, type(single)) in {(5, ScoreSheet), (6, InvalidTransition)}, (batch, single)
    assert {s.status for s in sheets_of(campaign)} == {"locked"}
    for sheet in sheets:
        assert AuditEntry.objects.filter(action="sheet.lock", object_id=str(sheet.pk)).count() == 1


@pytest.mark.parametrize("attempt", range(3))  # a race: each run may fall either way
@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
@needs_row_locks
def test_a_sheet_locked_while_a_batch_records_it_again_is_settled_on_what_it_holds(heshan, attempt):
    campaign, bureau, _, _ = heshan
    january = sheets_of(campaign, "HS-01")[0]
    sheets_record_onsite(campaign=campaign, actor=bureau, entries=[(january, month_inputs(1))])

    single, batch = race(
        lambda: sheet_lock(sheet=january, actor=bureau),
        lambda: sheets_record_onsite(campaign=campaign, actor=bureau, entries=[(january, month_inputs(2))]),
    )

    # The lock came first and the batch is refused, or the batch came first and the lock settles
    # its inputs: a locked sheet never reads on-site inputs other than those its total was settled on.
    assert isinstance(single, ScoreSheet), single
    assert isinstance(batch, SheetBatchError) or batch == 1, batch
    sheet = sheets_of(campaign, "HS-01")[0]
    assert sheet.status == "locked"
    assert (sheet.final_inputs, sheet.final_total) == (sheet.onsite_inputs, sheet.onsite_total)
    expected = month_inputs(1 if isinstance(batch, SheetBatchError) else 2)
    assert sheet.onsite_inputs["valid_complaints"] == expected["valid_complaints"]
