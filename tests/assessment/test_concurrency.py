"""Concurrent conflicting moves on PostgreSQL: the row lock lets exactly one of them win.

SQLite serialises whole transactions, so it cannot show the row lock at work; these tests run only
on PostgreSQL (`DATABASE_URL=postgres://... pytest`). Each thread uses its own connection and
closes it; the data is committed (transaction=True) so the threads can see it.
"""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from assessment.models import Campaign, ScoreSheet
from assessment.services.campaigns import campaign_notice_start, campaign_publish, campaign_results_compute
from assessment.services.sheets import sheet_lock
from core.models import AuditEntry
from core.workflow import InvalidTransition
from tests.assessment.steps import assign_assessor, lock_sheets, points_inputs, score_onsite

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks"),
]


def race(*calls):
    """Start every call at the same moment in its own thread; return each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

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


def one_winner(outcomes):
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(refused) == 1, outcomes
    assert isinstance(refused[0], InvalidTransition), refused[0]
    return next(i for i, o in enumerate(outcomes) if not isinstance(o, Exception))


def test_two_clerks_locking_the_same_sheet_at_once_lock_it_once(world, bureau_a2, sheet):
    assign_assessor(sheet, assessor=world.assessor_a, bureau=world.bureau_a)
    score_onsite(
        sheet, assessor=world.assessor_a, raw=points_inputs(sheet.campaign, kind="gig_station", total=91)
    )
    # Each clerk has the sheet open in their own browser: two copies of the same row.
    copies = [
        ScoreSheet.objects.select_related("campaign__policy", "station").get(pk=sheet.pk) for _ in range(2)
    ]
    clerks = [world.bureau_a, bureau_a2]

    outcomes = race(
        *(lambda c=c, u=u: sheet_lock(sheet=c, actor=u) for c, u in zip(copies, clerks, strict=True))
    )

    winner = clerks[one_winner(outcomes)]
    sheet.refresh_from_db()
    assert (sheet.status, sheet.locked_by) == (ScoreSheet.Status.LOCKED, winner)
    entries = AuditEntry.objects.filter(action="sheet.lock")
    assert [(e.actor, e.from_state, e.to_state) for e in entries] == [(winner, "assessed", "locked")]


def test_two_publications_at_once_publish_once(world, bureau_a2, open_campaign):
    lock_sheets(open_campaign, totals={"AAA-01": 88}, assessor=world.assessor_a, bureau=world.bureau_a)
    campaign_results_compute(campaign=open_campaign, actor=world.bureau_a)
    now = timezone.now()
    campaign_notice_start(
        campaign=open_campaign,
        actor=world.bureau_a,
        first_day=timezone.localdate(),
        last_day=timezone.localdate() + datetime.timedelta(days=7),
    )
    # The notice period then runs out (no service moves the clock), so publication is due now.
    Campaign.objects.filter(pk=open_campaign.pk).update(
        notice_start=now - datetime.timedelta(days=8), notice_end=now - datetime.timedelta(days=1)
    )
    copies = [Campaign.objects.get(pk=open_campaign.pk) for _ in range(2)]
    clerks = [world.bureau_a, bureau_a2]

    outcomes = race(
        *(lambda c=c, u=u: campaign_publish(campaign=c, actor=u) for c, u in zip(copies, clerks, strict=True))
    )

    winner = clerks[one_winner(outcomes)]
    open_campaign.refresh_from_db()
    assert open_campaign.status == Campaign.Status.PUBLISHED
    assert list(AuditEntry.objects.filter(action="campaign.publish").values_list("actor", flat=True)) == [
        winner.pk
    ]
