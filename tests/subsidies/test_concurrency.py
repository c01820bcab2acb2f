"""Two clerks at the same moment on PostgreSQL: the fund and the claim rows are locked, so the budget
is never overspent and a claim is never paid twice.

SQLite serialises whole transactions and cannot show a row lock at work, so these run only on
PostgreSQL (`DATABASE_URL=postgres://... pytest`). Each thread has its own connection and closes
it; the data is committed (transaction=True) so the threads see it.
"""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from core.workflow import InvalidTransition
from stations.models import User
from subsidies.models import PayeeNotice, Payout, SubsidyClaim
from subsidies.services.payouts import claim_approve, claim_pay, fund_remaining
from tests.factories import make_station, make_user
from tests.subsidies.steps import make_fund, notice_payees, published_campaign, reviewed_claim

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


@pytest.fixture
def clerks(world):
    return [world.bureau_a, make_user("bureau_a2", role=User.Role.BUREAU, region=world.county_a)]


@pytest.fixture
def noticed_pair(world):
    """AAA-01 and AAA-02, 60,000 each, on a payee notice that has just ended."""
    second = make_station(region=world.town_a, code="AAA-02", name="甲县第二零工驿站")
    second.operators.add(world.operator_a)
    published_campaign(world, totals={"AAA-01": 92, "AAA-02": 93})
    claims = [
        reviewed_claim(station, operator=world.operator_a, bureau=world.bureau_a, roster_first=10 * n)
        for n, station in enumerate([world.station_a, second])
    ]
    notice = notice_payees(claims, bureau=world.bureau_a)
    # The notice period then runs out (no service moves the clock), so approval is due now.
    now = timezone.now()
    PayeeNotice.objects.filter(pk=notice.pk).update(
        starts_at=now - datetime.timedelta(days=6), ends_at=now - datetime.timedelta(minutes=1)
    )
    return [SubsidyClaim.objects.select_related("station__region").get(pk=c.pk) for c in claims]


def test_two_approvals_at_once_cannot_both_spend_the_same_remainder(world, clerks, noticed_pair):
    fund = make_fund(world.county_a, budget="100000.00")

    outcomes = race(
        *(
            lambda c=claim, u=clerk: claim_approve(claim=c, actor=u, fund=fund)
            for claim, clerk in zip(noticed_pair, clerks, strict=True)
        )
    )

    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(refused) == 1, outcomes
    assert isinstance(refused[0], ValidationError)
    assert "剩余 40,000.00 元，本笔 60,000.00 元" in refused[0].messages[0]
    assert SubsidyClaim.objects.filter(status="approved").count() == 1
    assert fund_remaining(fund) == Decimal("40000.00")


def test_the_same_claim_approved_twice_at_once_draws_on_the_fund_once(world, clerks, noticed_pair):
    fund = make_fund(world.county_a, budget="1000000.00")
    claim = noticed_pair[0]
    copies = [SubsidyClaim.objects.select_related("station__region").get(pk=claim.pk) for _ in clerks]

    outcomes = race(
        *(
            lambda c=c, u=u: claim_approve(claim=c, actor=u, fund=fund)
            for c, u in zip(copies, clerks, strict=True)
        )
    )

    assert sum(isinstance(o, InvalidTransition) for o in outcomes) == 1, outcomes
    assert fund_remaining(fund) == Decimal("940000.00")


def test_two_payouts_of_the_same_claim_at_once_pay_it_once(world, clerks, noticed_pair):
    fund = make_fund(world.county_a, budget="1000000.00")
    claim_approve(claim=noticed_pair[0], actor=world.bureau_a, fund=fund)
    copies = [
        SubsidyClaim.objects.select_related("station__region").get(pk=noticed_pair[0].pk) for _ in clerks
    ]
    today = timezone.localdate()

    outcomes = race(
        *(
            lambda c=c, u=u, v=voucher: claim_pay(claim=c, actor=u, paid_on=today, voucher_number=v)
            for c, u, voucher in zip(copies, clerks, ["记-0001", "记-0002"], strict=True)
        )
    )

    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(refused) == 1, outcomes
    assert isinstance(refused[0], InvalidTransition)
    winner = next(o for o in outcomes if isinstance(o, Payout))
    assert list(Payout.objects.values_list("voucher_number", "amount")) == [
        (winner.voucher_number, Decimal("60000.00"))
    ]
    assert SubsidyClaim.objects.get(pk=noticed_pair[0].pk).status == "paid"
