"""Small groups stay hidden, and no hidden count can be worked out from the totals shown."""

import random

import pytest

from public_page.suppression import Hidden, determined, lines_of, safe_median, suppress, with_margins

MINIMUM = 5


def _lines(table):
    rows = [list(row) for row in table]
    columns = [list(column) for column in zip(*table, strict=True)]
    return rows + columns


def assert_safe(cells, table):
    full = with_margins(cells)
    for r, row in enumerate(table):
        for c, value in enumerate(row):
            if full[r][c] < MINIMUM:
                assert value is Hidden.SMALL, f"a group of {full[r][c]} is shown as {value}"
            else:
                assert value in (full[r][c], Hidden.WITHHELD), "a count is changed, or called small when it is not"
    for line in _lines(table):
        assert sum(isinstance(v, Hidden) for v in line) != 1, f"one hidden count in {line} is its total minus the rest"
    hidden = {(r, c) for r, row in enumerate(table) for c, v in enumerate(row) if isinstance(v, Hidden)}
    assert determined(lines_of(len(table), len(table[0])), hidden) == set(), "a chain of subtractions gives one back"


def test_a_small_count_hides_a_second_one_in_its_row_and_column():
    cells = [[12, 3, 20], [9, 8, 30]]
    table = suppress(cells, MINIMUM)
    assert table[0][1] is Hidden.SMALL  # 3: fewer than 5
    assert table[0][0] is Hidden.WITHHELD  # the smallest other count of its row: 35 - 20 = 3 + ? has no one answer
    assert table[1][1] is Hidden.WITHHELD and table[1][0] is Hidden.WITHHELD  # and the same in the columns
    assert table[2] == [21, 11, 50, 82]
    assert_safe(cells, table)


def test_a_lone_count_in_a_line_takes_the_total_with_it():
    cells = [[3], [40]]
    table = suppress(cells, MINIMUM)
    assert table[0] == [Hidden.SMALL, Hidden.SMALL]
    assert table[1] == [Hidden.WITHHELD, Hidden.WITHHELD]  # 40, or 43 - 40 would give the 3 back
    assert table[2] == [43, 43]
    assert_safe(cells, table)


#: Two blocks of small counts joined by one: every row and column has two hidden or none, yet the
#: joining count is its row's total less block A's rows plus block A's columns.
BRIDGED = [[1, 1, 50, 50], [1, 1, 1, 50], [50, 50, 1, 1], [50, 50, 1, 1]]
BRIDGED_SMALL = {(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 2), (2, 3), (3, 2), (3, 3)}


def test_a_count_worked_out_through_a_chain_of_rows_and_columns_is_found():
    assert determined(lines_of(5, 5), BRIDGED_SMALL) == {(1, 2)}
    assert determined(lines_of(5, 5), {(0, 0), (0, 1), (1, 0), (1, 1)}) == set()  # a rectangle: a range only
    assert determined(lines_of(3, 3), {(0, 0)}) == {(0, 0)}


def test_a_chain_of_subtractions_hides_one_more_count():
    table = suppress(BRIDGED, MINIMUM)
    assert {(r, c) for r, row in enumerate(table) for c, v in enumerate(row) if v is Hidden.SMALL} == BRIDGED_SMALL
    assert any(v is Hidden.WITHHELD for row in table for v in row)
    assert_safe(BRIDGED, table)


def test_zero_is_below_the_minimum_too():
    table = suppress([[0, 10], [10, 10]], MINIMUM)
    assert table[0][0] is Hidden.SMALL
    assert_safe([[0, 10], [10, 10]], table)


@pytest.mark.parametrize("seed", range(300))
def test_random_tables_never_show_a_small_group_nor_a_lone_hidden_one(seed):
    rng = random.Random(seed)
    height, width = rng.randint(1, 8), rng.randint(1, 5)
    cells = [[rng.choice([0, 1, 2, 4, 5, 6, 9, 15, 40]) for _ in range(width)] for _ in range(height)]
    assert_safe(cells, suppress(cells, MINIMUM))


def test_an_empty_table_is_empty():
    assert suppress([], MINIMUM) == []


def test_a_median_needs_the_minimum_number_of_values():
    assert safe_median([1, 2, 3, 4], MINIMUM) is None
    assert safe_median([1, 2, 3, 4, 50], MINIMUM) == 3
    assert safe_median([1, 2, 3, 4, 50, 60], MINIMUM) == 3.5
