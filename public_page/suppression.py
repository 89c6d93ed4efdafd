"""Small groups hidden in published tables, so no case or person can be singled out.

A table of counts is published with its margins (a total per row, per column, and overall). Every
count below the minimum group size, zero included, is hidden (*primary* suppression: "fewer than
5"). A row or column with one hidden count would give it back by subtraction from its total, so in
every such line a second count is hidden as well (*secondary* suppression: the smallest shown
count of the line, an inner cell before a total), until no line has exactly one hidden count.
That is not always enough: a count can still be worked out through a chain of rows and columns
(two blocks of hidden counts joined by one), so the hidden counts are then solved as a linear system,
and one beside each count that the system fixes is hidden too, until none is fixed.
The two kinds read differently ("fewer than 5" and "withheld"): a withheld count is not small, and
saying so would be false; knowing which is which still leaves every hidden count a range.
"""

from __future__ import annotations

import enum
from fractions import Fraction

Position = tuple[int, int]


class Hidden(enum.StrEnum):
    """Why a count is not shown."""

    SMALL = "small"  #: fewer than the minimum group size
    WITHHELD = "withheld"  #: not small, but it would give a small one back by subtraction


def with_margins(cells: list[list[int]]) -> list[list[int]]:
    """The table plus a total column on the right and a total row at the bottom."""
    width = len(cells[0]) if cells else 0
    rows = [[*row, sum(row)] for row in cells]
    totals = [sum(row[c] for row in rows) for c in range(width + 1)]
    return [*rows, totals]


def lines_of(height: int, width: int) -> list[list[Position]]:
    """Every row, then every column, of a table with margins: its places, its total last."""
    rows = [[(r, c) for c in range(width)] for r in range(height)]
    columns = [[(r, c) for r in range(height)] for c in range(width)]
    return rows + columns


def suppress(cells: list[list[int]], minimum: int) -> list[list[int | Hidden]]:
    """The table with its margins, a ``Hidden`` in place of every hidden count (see the module's rule)."""
    if not cells or not cells[0]:
        return []
    table = with_margins(cells)
    height, width = len(table), len(table[0])
    small = {(r, c) for r in range(height) for c in range(width) if table[r][c] < minimum}
    hidden = set(small)

    def hide_smallest(line: list[Position]) -> None:
        shown = [p for p in line if p not in hidden]
        hidden.add(min(shown, key=lambda p: (p[0] == height - 1 or p[1] == width - 1, table[p[0]][p[1]], p)))

    lines = lines_of(height, width)
    while True:
        lone = next((line for line in lines if sum(p in hidden for p in line) == 1), None)
        if lone is not None:
            hide_smallest(lone)
            continue
        solvable = sorted(determined(lines, hidden))
        if not solvable:
            break
        # A chain of subtractions across rows and columns still gives this one back: hide a count beside it
        # (in its row, else its column; with both hidden whole, a reader can only learn it is zero).
        row, column = solvable[0]
        beside = [line for line in (lines[row], lines[height + column]) if any(p not in hidden for p in line)]
        if not beside:
            break
        hide_smallest(beside[0])
    return [
        [
            Hidden.SMALL if (r, c) in small else Hidden.WITHHELD if (r, c) in hidden else table[r][c]
            for c in range(width)
        ]
        for r in range(height)
    ]


def determined(lines: list[list[Position]], hidden: set[Position]) -> set[Position]:
    """The hidden counts a reader can work out exactly from the shown ones and the totals.

    Each line says: its counts add up to its total. Over the hidden counts that is a linear system;
    a hidden count is fixed when no solution of the homogeneous system moves it (reduced row echelon
    form, in exact fractions: pivot variables with no free variable in their row).
    """
    unknowns = sorted(hidden)
    index = {p: i for i, p in enumerate(unknowns)}
    rows = []
    for line in lines:
        total = line[-1]  # the last place of a row or column is its total
        row = [Fraction(0)] * len(unknowns)
        for p in line:
            if p in index:
                row[index[p]] += -1 if p == total else 1
        if any(row):
            rows.append(row)
    pivots: list[int] = []
    for col in range(len(unknowns)):
        pivot = next((r for r in range(len(pivots), len(rows)) if rows[r][col]), None)
        if pivot is None:
            continue
        rows[len(pivots)], rows[pivot] = rows[pivot], rows[len(pivots)]
        lead = rows[len(pivots)]
        lead[:] = [value / lead[col] for value in lead]
        for r, other in enumerate(rows):
            if r != len(pivots) and other[col]:
                factor = other[col]
                other[:] = [a - factor * b for a, b in zip(other, lead, strict=True)]
        pivots.append(col)
    free = set(range(len(unknowns))) - set(pivots)
    return {unknowns[col] for r, col in enumerate(pivots) if not any(rows[r][f] for f in free)}


def safe_median(values: list[int], minimum: int) -> float | None:
    """The median of at least ``minimum`` values; ``None`` (hidden) for fewer."""
    if len(values) < minimum:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
