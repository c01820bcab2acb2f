"""Which moves a claim offers, and to whom: the named moves against the table written out, the people
who may make them, and the claim's admin page and portal page showing exactly those."""

import pytest
from django.urls import reverse

from core.workflow import available_moves
from subsidies.models import SubsidyClaim
from subsidies.services.claims import CLAIM_MOVES, CLAIM_TRANSITIONS, EDITABLE
from tests.moves import edges_named_other_than_once, moves_by_state
from tests.subsidies.steps import submitted_claim

# Written out: what each state offers, whoever asks.
EXPECTED_MOVES = {
    "draft": {"submit"},
    "submitted": {"review"},
    "returned": {"submit"},
    "reviewed": {"notice", "reject"},
    "noticed": {"approve", "reject", "reopen"},
    "approved": {"pay", "reopen"},
    "rejected": set(),
    "paid": set(),
}
# The moves that have a page of their own in the admin (the payee notice takes claims in bulk).
ADMIN_PAGES = ("review", "reject", "approve", "reopen", "pay")


def test_each_state_offers_the_moves_written_out_here():
    assert moves_by_state(CLAIM_TRANSITIONS, CLAIM_MOVES) == EXPECTED_MOVES


def test_every_allowed_move_of_the_table_is_made_by_exactly_one_named_move():
    assert edges_named_other_than_once(CLAIM_TRANSITIONS, CLAIM_MOVES) == {}


def test_a_claim_is_editable_exactly_where_it_may_be_submitted():
    assert {state for state, names in EXPECTED_MOVES.items() if "submit" in names} == set(EDITABLE)


def offered(claim, actor) -> list[str]:
    return [move.name for move in available_moves(claim, actor, table=CLAIM_TRANSITIONS, moves=CLAIM_MOVES)]


def a_claim(world, status: str) -> SubsidyClaim:
    # Unsaved: which moves are open depends only on the state, the station and the person asking.
    return SubsidyClaim(station=world.station_a, kind="performance", year=2024, status=status)


def test_a_submitted_claim_offers_the_review_to_its_own_bureau_and_nothing_to_anyone_else(world):
    claim = a_claim(world, "submitted")

    assert offered(claim, world.bureau_a) == ["review"]
    assert offered(claim, world.superuser) == ["review"]
    for person in (world.auditor_a, world.operator_a, world.assessor_a, world.bureau_b, world.operator_b):
        assert offered(claim, person) == [], person


def test_a_draft_or_returned_claim_offers_the_submission_to_the_stations_operator(world):
    for state in ("draft", "returned"):
        claim = a_claim(world, state)
        assert offered(claim, world.operator_a) == ["submit"]
        assert offered(claim, world.operator_b) == []
        assert offered(claim, world.bureau_a) == []  # the station files its own claim


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("reviewed", ["notice", "reject"]),
        ("noticed", ["reject", "approve", "reopen"]),
        ("approved", ["reopen", "pay"]),
        ("rejected", []),
        ("paid", []),
    ],
)
def test_the_bureau_is_offered_the_moves_of_the_claims_state_in_order(world, state, expected):
    assert offered(a_claim(world, state), world.bureau_a) == expected
    assert offered(a_claim(world, state), world.auditor_a) == []


# --- the pages show those moves and no others ----------------------------------------------------


@pytest.fixture
def claim(world, published):
    return submitted_claim(world.station_a, actor=world.operator_a)


def buttons_on_admin_page(client, claim) -> set[str]:
    page = client.get(reverse("admin:subsidies_subsidyclaim_change", args=[claim.pk])).content.decode()
    return {
        name
        for name in ADMIN_PAGES
        if f'href="{reverse(f"admin:subsidies_subsidyclaim_{name}", args=[claim.pk])}"' in page
    }


@pytest.mark.parametrize("state", EXPECTED_MOVES)
def test_the_admin_page_shows_a_button_exactly_when_the_table_opens_its_move(client, world, claim, state):
    SubsidyClaim.objects.filter(pk=claim.pk).update(status=state)  # the page is read in every state

    client.force_login(world.bureau_a)
    assert buttons_on_admin_page(client, claim) == EXPECTED_MOVES[state] & set(ADMIN_PAGES)
    client.force_login(world.auditor_a)
    assert buttons_on_admin_page(client, claim) == set()


def test_an_action_page_says_when_the_claims_state_does_not_allow_the_move(client, world, claim):
    client.force_login(world.bureau_a)

    page = client.get(reverse("admin:subsidies_subsidyclaim_pay", args=[claim.pk])).content.decode()

    assert "当前状态下不能办理此事项" in page
    page = client.get(reverse("admin:subsidies_subsidyclaim_review", args=[claim.pk])).content.decode()
    assert "当前状态下不能办理此事项" not in page


@pytest.mark.parametrize(("state", "editable"), [("draft", True), ("returned", True), ("submitted", False)])
def test_the_portal_offers_the_operator_the_forms_only_while_the_claim_may_be_submitted(
    client, world, claim, state, editable
):
    SubsidyClaim.objects.filter(pk=claim.pk).update(status=state)
    client.force_login(world.operator_a)

    page = client.get(reverse("subsidies:claim_detail", args=[claim.pk])).content.decode()

    assert (reverse("subsidies:claim_submit", args=[claim.pk]) in page) is editable
    assert (reverse("subsidies:claim_payee", args=[claim.pk]) in page) is editable
