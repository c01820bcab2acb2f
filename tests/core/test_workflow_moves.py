"""`core.workflow.Move` and `available_moves` on a small made-up workflow, no database: which moves
a table opens from each state, how `at` and `allowed` narrow them, and moves that stay in place."""

from types import SimpleNamespace

import pytest

from core.workflow import Move, available_moves, move_named, states_open_to

# A door: it is opened, closed, locked; "jammed" is the end.
TABLE = {
    "closed": {"open", "locked"},
    "open": {"closed", "jammed"},
    "locked": {"closed", "jammed"},
    "jammed": set(),
}


def keyholder(door, actor) -> bool:
    return actor == "keyholder"


MOVES = (
    Move("open", "开门", to="open"),
    # One form, two outcomes: "close" leads to closed or, when it sticks, jammed.
    Move("close", "关门", to={"closed", "jammed"}, at="open"),
    Move("lock", "上锁", to="locked", allowed=keyholder),
    Move("unlock", "开锁", to={"closed", "jammed"}, at="locked", allowed=keyholder),
    Move("oil", "上油", at={"closed", "open"}),  # work that leaves the door as it is
)


def names(state, actor="anyone") -> list[str]:
    door = SimpleNamespace(status=state)
    return [move.name for move in available_moves(door, actor, table=TABLE, moves=MOVES)]


@pytest.mark.parametrize(
    ("state", "actor", "expected"),
    [
        ("closed", "anyone", ["open", "oil"]),
        ("closed", "keyholder", ["open", "lock", "oil"]),
        ("open", "keyholder", ["close", "oil"]),
        ("locked", "anyone", []),
        ("locked", "keyholder", ["unlock"]),
        ("jammed", "keyholder", []),
    ],
)
def test_a_move_is_offered_when_the_table_opens_one_of_its_states_and_the_actor_may(state, actor, expected):
    assert names(state, actor) == expected


def test_at_keeps_two_moves_to_the_same_state_apart():
    # Both "close" and "unlock" lead to closed or jammed; each starts only where it says.
    assert states_open_to(move_named(MOVES, "close"), TABLE) == {"open"}
    assert states_open_to(move_named(MOVES, "unlock"), TABLE) == {"locked"}


def test_a_move_the_table_does_not_allow_is_not_offered_even_where_at_names_it():
    stuck = Move("close", "关门", to="closed", at={"open", "jammed"})
    assert states_open_to(stuck, TABLE) == {"open"}


def test_the_field_read_can_be_named():
    door = SimpleNamespace(status="jammed", hinge="closed")
    moves = available_moves(door, "anyone", table=TABLE, moves=MOVES, field="hinge")
    assert [move.name for move in moves] == ["open", "oil"]


def test_one_state_given_as_a_string_is_one_state_not_its_letters():
    assert Move("open", "开门", to="open").to == frozenset({"open"})
    assert Move("oil", "上油", at="open").at == frozenset({"open"})


def test_a_move_that_leads_nowhere_and_names_no_state_is_refused():
    with pytest.raises(ValueError, match="leads nowhere"):
        Move("wait", "等待")


def test_an_unknown_move_name_is_a_key_error():
    with pytest.raises(KeyError):
        move_named(MOVES, "kick")
