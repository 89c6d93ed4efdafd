"""Small groups hidden in published tables, so no case or person can be singled out.

A table of counts is published with its margins (a total per row, per column, and overall). Every
count below the minimum group size, zero included, is hidden (*primary* suppression: "fewer than
5"). A row or column with one hidden count would give it back by subtraction from its total, so in
every such line a second count is hidden as well (*secondary* suppression: the smallest shown
count of the line, an inner cell before a total), until no line has exactly one hidden count.
The two kinds read differently ("fewer than 5" and "withheld"): a withheld count is not small, and
saying so would be false; knowing which is which still leaves every hidden count a range.
"""

from __future__ import annotations

import enum

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


def _lines(height: int, width: int) -> list[list[Position]]:
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
    lines = _lines(height, width)
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(1 for p in line if p in hidden) != 1:
                continue
            shown = [p for p in line if p not in hidden]  # never empty: a line is its counts and their total
            hidden.add(min(shown, key=lambda p: (p[0] == height - 1 or p[1] == width - 1, table[p[0]][p[1]], p)))
            changed = True
    return [
        [
            Hidden.SMALL if (r, c) in small else Hidden.WITHHELD if (r, c) in hidden else table[r][c]
            for c in range(width)
        ]
        for r in range(height)
    ]


def safe_median(values: list[int], minimum: int) -> float | None:
    """The median of at least ``minimum`` values; ``None`` (hidden) for fewer."""
    if len(values) < minimum:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
