"""Which claims a station may file and for how much: the amount comes from the published result
or the policy, never typed; eligibility is checked by the service and the one-per rules are also
held by the database itself."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.models import AuditEntry
from core.permissions import Forbidden
from core.workflow import InvalidTransition, transition
from stations.models import Station
from stations.services import station_status_change
from subsidies.models import SubsidyClaim
from subsidies.services.claims import CLAIM_TRANSITIONS, ClaimRefused, claim_create, claim_review
from tests.factories import make_station
from tests.subsidies.steps import noticed_campaign, published_campaign, quanzhou_station, submitted_claim


def refusal(call) -> str:
    with pytest.raises(ClaimRefused) as refused:
        call()
    return refused.value.messages[0]


# --- the yearly performance subsidy (Yunmeng) ---------------------------------------------------


def test_performance_claim_takes_its_amount_and_reason_from_the_published_result(world, published):
    claim = claim_create(station=world.station_a, kind="performance", year=2024, actor=world.operator_a)

    assert claim.amount == Decimal("60000.00")
    assert (claim.campaign, claim.policy.code, claim.status) == (published, "yunmeng-2024", "draft")
    assert "优秀" in claim.explanation
    assert "92.00 分" in claim.explanation
    assert AuditEntry.objects.filter(action="claim.create", object_id=str(claim.pk)).exists()


def test_performance_amounts_follow_the_yunmeng_tiers_by_kind(world):
    """Thresholds are inclusive lower bounds: 90, 80 and 70 themselves earn the tier."""
    expected = {
        "AAA-01": ("gig_station", 90, "60000.00"),
        "AAA-02": ("gig_station", 80, "50000.00"),
        "AAA-03": ("gig_station", 70, "40000.00"),
        "AAA-04": ("doorstep_station", 95, "20000.00"),
        "AAA-05": ("doorstep_station", 89, "15000.00"),
        "AAA-06": ("doorstep_station", 70, "10000.00"),
    }
    for code, (kind, _, _) in expected.items():
        if code != "AAA-01":
            make_station(region=world.town_a, code=code, kind=kind)
    published_campaign(world, totals={code: total for code, (_, total, _) in expected.items()})

    amounts = {
        code: claim_create(
            station=Station.objects.get(code=code), kind="performance", year=2024, actor=world.bureau_a
        ).amount
        for code in expected
    }

    assert amounts == {code: Decimal(amount) for code, (_, _, amount) in expected.items()}


def test_performance_claim_is_refused_while_the_results_are_only_on_notice(world):
    noticed_campaign(world, totals={"AAA-01": 92})

    message = refusal(
        lambda: claim_create(station=world.station_a, kind="performance", year=2024, actor=world.operator_a)
    )

    assert "结果通报后才能申报" in message
    assert not SubsidyClaim.objects.exists()


def test_a_result_that_earns_nothing_is_refused_with_the_reason(world):
    published_campaign(world, totals={"AAA-01": 69})

    message = refusal(
        lambda: claim_create(station=world.station_a, kind="performance", year=2024, actor=world.operator_a)
    )

    assert "没有年度补助" in message
    assert "低于最低分数线 70 分" in message
    assert not SubsidyClaim.objects.exists()


def test_a_revoked_station_gets_nothing(world, published):
    station_status_change(station=world.station_a, to="revoked", actor=world.bureau_a, reason="逾期未整改")

    message = refusal(
        lambda: claim_create(station=world.station_a, kind="performance", year=2024, actor=world.bureau_a)
    )

    assert "资格已撤销" in message


def test_a_second_claim_of_the_same_kind_and_year_is_refused_cleanly(world, published):
    claim_create(station=world.station_a, kind="performance", year=2024, actor=world.operator_a)

    message = refusal(
        lambda: claim_create(station=world.station_a, kind="performance", year=2024, actor=world.bureau_a)
    )

    assert message == "本站 2024 年度的年度绩效补助已经申报过，不能重复申报。"
    assert SubsidyClaim.objects.count() == 1


def test_the_database_holds_one_claim_per_station_kind_and_year(world, published):
    first = claim_create(station=world.station_a, kind="performance", year=2024, actor=world.operator_a)

    with pytest.raises(IntegrityError), transaction.atomic():
        SubsidyClaim.objects.create(
            station=first.station,
            kind=first.kind,
            year=first.year,
            policy=first.policy,
            amount=first.amount,
            explanation="绕过服务直接写入",
            created_by=world.bureau_a,
        )
    assert SubsidyClaim.objects.count() == 1


def test_an_operator_cannot_claim_for_another_station(world, published):
    with pytest.raises(Forbidden):
        claim_create(station=world.station_a, kind="performance", year=2024, actor=world.operator_b)
    assert not SubsidyClaim.objects.exists()


# --- the one-time subsidy on first recognition (Quanzhou) ----------------------------------------


@pytest.mark.parametrize(("kind", "amount"), [("gig_market", "60000.00"), ("gig_station", "30000.00")])
def test_one_time_subsidy_pays_the_quanzhou_amount_of_the_kind(quanzhou, kind, amount):
    station = quanzhou_station(quanzhou, code="QZ-01", kind=kind)
    _, _, operator = quanzhou

    claim = claim_create(station=station, kind="one_time", year=2024, actor=operator)

    assert claim.amount == Decimal(amount)
    assert claim.policy.code == "quanzhou-2023"
    assert claim.campaign is None
    assert "2024-03-01 首次认定" in claim.explanation


@pytest.mark.parametrize("year", [2023, 2025])
def test_one_time_subsidy_is_claimed_in_the_recognition_year_only(quanzhou, year):
    station = quanzhou_station(quanzhou, code="QZ-01", recognized_on=datetime.date(2024, 3, 1))

    message = refusal(lambda: claim_create(station=station, kind="one_time", year=year, actor=quanzhou[2]))

    assert "首次认定当年申报" in message
    assert "2024-03-01" in message


def test_one_time_subsidy_is_paid_once_per_station_ever(quanzhou):
    station = quanzhou_station(quanzhou, code="QZ-01")
    claim_create(station=station, kind="one_time", year=2024, actor=quanzhou[2])
    # Recognised again later (after a move, say): still no second one-time subsidy.
    Station.objects.filter(pk=station.pk).update(recognized_on=datetime.date(2025, 5, 1))
    station.refresh_from_db()

    message = refusal(lambda: claim_create(station=station, kind="one_time", year=2025, actor=quanzhou[2]))

    assert message == "一次性运营补助每个站点只能申报一次，本站已申报过。"
    assert SubsidyClaim.objects.filter(station=station).count() == 1


def test_the_database_holds_one_live_one_time_claim_per_station_ever(quanzhou):
    station = quanzhou_station(quanzhou, code="QZ-01")
    first = claim_create(station=station, kind="one_time", year=2024, actor=quanzhou[2])

    with pytest.raises(IntegrityError), transaction.atomic():
        SubsidyClaim.objects.create(
            station=station,
            kind="one_time",
            year=2025,  # another year: only the once-ever constraint stands in the way
            entitlement=first.entitlement,
            policy=first.policy,
            amount=first.amount,
            explanation="绕过服务直接写入",
            created_by=quanzhou[1],
        )
    assert SubsidyClaim.objects.filter(station=station).count() == 1


def test_a_rejected_one_time_claim_does_not_block_a_later_one_on_the_same_entitlement(quanzhou):
    _, bureau, operator = quanzhou
    station = quanzhou_station(quanzhou, code="QZ-01")
    rejected = submitted_claim(station, actor=operator, kind="one_time")
    claim_review(claim=rejected, actor=bureau, decision="reject", note="租赁合同与认定地址不符")
    Station.objects.filter(pk=station.pk).update(recognized_on=datetime.date(2025, 5, 1))
    station.refresh_from_db()

    # The one-time amount was decided by the first recognition (2024); the later one decides nothing.
    message = refusal(lambda: claim_create(station=station, kind="one_time", year=2025, actor=operator))
    again = claim_create(station=station, kind="one_time", year=2024, actor=operator)

    assert "依据 2024 年的首次认定" in message
    assert again.amount == Decimal("30000.00")
    assert again.entitlement == rejected.entitlement
    assert SubsidyClaim.objects.filter(station=station, kind="one_time").count() == 2


def test_a_rejected_one_time_claim_can_be_filed_again_in_the_recognition_year(quanzhou):
    _, bureau, operator = quanzhou
    station = quanzhou_station(quanzhou, code="QZ-01")
    rejected = submitted_claim(station, actor=operator, kind="one_time")
    claim_review(claim=rejected, actor=bureau, decision="reject", note="营业执照已过期")

    again = claim_create(station=station, kind="one_time", year=2024, actor=operator)

    assert again.amount == Decimal("30000.00")


def test_no_one_time_subsidy_during_a_purchase_of_services_contract(quanzhou):
    station = quanzhou_station(
        quanzhou,
        code="QZ-01",
        operating_mode="purchased",
        purchase_contract_start=datetime.date(2024, 1, 1),  # covers the recognition day
        purchase_contract_end=datetime.date(2024, 12, 31),
    )

    message = refusal(lambda: claim_create(station=station, kind="one_time", year=2024, actor=quanzhou[2]))

    assert message.startswith("本站没有一次性运营补助：")
    assert "2024-03-01 处于政府购买服务合同期内，不重复享受" in message


def test_the_one_time_subsidy_is_decided_on_the_recognition_day_not_on_the_claim_day(quanzhou):
    # DOMAIN: "not granted while a purchase-of-services contract runs on the day it is decided";
    # a station recognised outside any campaign has it decided by that recognition.
    station = quanzhou_station(
        quanzhou,
        code="QZ-01",
        operating_mode="purchased",
        purchase_contract_start=datetime.date(2025, 1, 1),  # runs today, began after recognition
        purchase_contract_end=datetime.date(2099, 12, 31),
    )

    claim = claim_create(station=station, kind="one_time", year=2024, actor=quanzhou[2])

    assert claim.amount == Decimal("30000.00")
    assert claim.entitlement.amount == Decimal("30000.00")
    assert "2024-03-01 首次认定" in claim.entitlement.explanation


def test_a_purchase_contract_that_ended_before_recognition_does_not_block_the_one_time_subsidy(quanzhou):
    station = quanzhou_station(
        quanzhou,
        code="QZ-01",
        operating_mode="purchased",
        purchase_contract_start=datetime.date(2022, 1, 1),
        purchase_contract_end=datetime.date(2023, 12, 31),
    )

    claim = claim_create(station=station, kind="one_time", year=2024, actor=quanzhou[2])

    assert claim.amount == Decimal("30000.00")


def test_no_one_time_subsidy_where_no_policy_provides_one(world):
    message = refusal(
        lambda: claim_create(station=world.station_a, kind="one_time", year=2024, actor=world.operator_a)
    )
    assert "没有适用于本站" in message


# --- Heshan's start-up grant ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["community", "village"])
def test_start_up_grant_for_a_unit_chosen_with_a_recognition_level(heshan, kind):
    district, bureau, _ = heshan
    unit = make_station(region=district, code="HS-01", kind=kind, recognition_level="city")

    claim = claim_create(station=unit, kind="start_up", year=2024, actor=bureau)

    assert claim.amount == Decimal("10000.00")
    assert claim.policy.code == "heshan-2024"


def test_no_start_up_grant_for_a_unit_without_a_recognition_level(heshan):
    district, bureau, _ = heshan
    unit = make_station(region=district, code="HS-01", kind="community")

    message = refusal(lambda: claim_create(station=unit, kind="start_up", year=2024, actor=bureau))

    assert "须有认定级别" in message


def test_no_start_up_grant_in_a_year_the_policy_does_not_cover(heshan):
    district, bureau, _ = heshan
    unit = make_station(region=district, code="HS-01", kind="community", recognition_level="province")

    message = refusal(lambda: claim_create(station=unit, kind="start_up", year=2025, actor=bureau))

    assert message == "2025 年没有适用的启动资金政策。"


def test_no_start_up_grant_for_a_revoked_unit(heshan):
    district, bureau, _ = heshan
    unit = make_station(region=district, code="HS-01", kind="community", recognition_level="province")
    station_status_change(station=unit, to="revoked", actor=bureau, reason="撤销")

    message = refusal(lambda: claim_create(station=unit, kind="start_up", year=2024, actor=bureau))

    assert "资格已撤销" in message


# --- the transition table ------------------------------------------------------------------------

STATUSES = SubsidyClaim.Status.values
# The claim workflow as it is meant to be, written out: the oracle for CLAIM_TRANSITIONS.
EXPECTED_CLAIM_TRANSITIONS = {
    "draft": {"submitted"},
    "submitted": {"reviewed", "returned", "rejected"},
    "returned": {"submitted"},
    "reviewed": {"noticed", "rejected"},
    "noticed": {"approved", "rejected", "submitted"},  # back to submitted: the recorded reopening
    "approved": {"paid", "submitted"},
    "rejected": set(),
    "paid": set(),
}


def test_the_table_is_the_one_written_out_here():
    assert set(EXPECTED_CLAIM_TRANSITIONS) == set(STATUSES)
    assert {state: set(ends) for state, ends in CLAIM_TRANSITIONS.items()} == EXPECTED_CLAIM_TRANSITIONS


@pytest.mark.parametrize(("start", "to"), [(s, t) for s in STATUSES for t in STATUSES])
def test_a_claim_moves_exactly_as_the_table_says(quanzhou, start, to):
    _, bureau, operator = quanzhou
    claim = claim_create(
        station=quanzhou_station(quanzhou, code="QZ-01"), kind="one_time", year=2024, actor=operator
    )
    SubsidyClaim.objects.filter(pk=claim.pk).update(status=start)  # the walk's starting state
    claim.refresh_from_db()
    history = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(SubsidyClaim), object_id=str(claim.pk)
    )
    before = history.count()

    if to in EXPECTED_CLAIM_TRANSITIONS[start]:
        transition(claim, to=to, table=CLAIM_TRANSITIONS, actor=bureau, action="test.claim", reason="走查")
        claim.refresh_from_db()
        assert claim.status == to
        entry = history.order_by("-id").first()
        assert (entry.actor, entry.from_state, entry.to_state) == (bureau, start, to)
    else:
        with pytest.raises(InvalidTransition) as refused:
            transition(claim, to=to, table=CLAIM_TRANSITIONS, actor=bureau, action="test.claim")
        claim.refresh_from_db()
        assert claim.status == start
        assert history.count() == before
        labels = dict(SubsidyClaim.Status.choices)
        assert labels[start] in str(refused.value) and labels[to] in str(refused.value)


def test_a_reviewed_claim_can_still_be_refused_with_a_reason(quanzhou):
    from subsidies.services.claims import claim_reject

    _, bureau, operator = quanzhou
    station = quanzhou_station(quanzhou, code="QZ-09")
    claim = submitted_claim(station, actor=operator, kind="one_time")
    claim_review(claim=claim, actor=bureau, decision="pass", note="")
    with pytest.raises(ValidationError, match="原因"):
        claim_reject(claim=claim, actor=bureau, note=" ")
    claim_reject(claim=claim, actor=bureau, note="公示期间接到举报，核实场地系临时借用")
    claim.refresh_from_db()
    assert (claim.status, claim.review_note) == ("rejected", "公示期间接到举报，核实场地系临时借用")


def test_filing_a_claim_freezes_the_policy_its_amount_rests_on(quanzhou):
    _, _, operator = quanzhou
    station = quanzhou_station(quanzhou, code="QZ-10")
    claim = claim_create(station=station, kind="one_time", year=2024, actor=operator)
    claim.policy.refresh_from_db()
    assert claim.policy.is_frozen
