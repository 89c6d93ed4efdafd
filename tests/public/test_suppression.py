"""Small groups stay hidden, and no hidden count can be worked out from the totals shown."""

import random

import pytest

from public.suppression import safe_median, suppress, with_margins

MINIMUM = 5


def _lines(table):
    rows = [list(row) for row in table]
    columns = [list(column) for column in zip(*table, strict=True)]
    return rows + columns


def assert_safe(cells, table):
    full = with_margins(cells)
    for r, row in enumerate(table):
        for c, value in enumerate(row):
            assert value is None or value >= MINIMUM, f"a group of {value} is shown"
            assert value is None or value == full[r][c]
            if full[r][c] < MINIMUM:
                assert value is None
    for line in _lines(table):
        assert sum(value is None for value in line) != 1, f"one hidden count in {line} is its total minus the rest"


def test_a_small_count_hides_a_second_one_in_its_row_and_column():
    cells = [[12, 3, 20], [9, 8, 30]]
    table = suppress(cells, MINIMUM)
    assert table[0][1] is None  # 3: fewer than 5
    assert table[0][0] is None  # the smallest other count of its row, so 3 = 35 - 20 - ? cannot be solved
    assert table[1][1] is None and table[1][0] is None  # and in the columns the same again
    assert table[2] == [21, 11, 50, 82]
    assert_safe(cells, table)


def test_a_lone_count_in_a_line_takes_the_total_with_it():
    cells = [[3], [40]]
    table = suppress(cells, MINIMUM)
    assert table[0] == [None, None]
    assert table[2] == [None, None] or table[1] == [None, None]
    assert_safe(cells, table)


def test_zero_is_below_the_minimum_too():
    table = suppress([[0, 10], [10, 10]], MINIMUM)
    assert table[0][0] is None
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
