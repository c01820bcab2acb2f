"""Helpers for the tests that hold a workflow's named moves against its transition table."""

from collections.abc import Mapping, Sequence

from core.workflow import Move


def moves_by_state(table: Mapping[str, set[str]], moves: Sequence[Move]) -> dict[str, set[str]]:
    """For each state, the names of the moves the table opens there (who may is not asked)."""
    return {state: {move.name for move in moves if move.opens_from(state, table)} for state in table}


def edges_named_other_than_once(table: Mapping[str, set[str]], moves: Sequence[Move]) -> dict:
    """Each allowed move of the table that no named move, or more than one, makes: {(from, to): names}.

    Empty when every edge of the table has exactly one button, page or link that makes it.
    """
    named: dict[tuple[str, str], list[str]] = {
        (start, to): [] for start, ends in table.items() for to in ends
    }
    for move in moves:
        for start in table:
            if move.opens_from(start, table):
                for to in move.to & table[start]:
                    named[(start, to)].append(move.name)
    return {edge: names for edge, names in named.items() if len(names) != 1}
