"""Small groups stay hidden, and no hidden count can be worked out from the totals shown."""

import random

import pytest

from public.suppression import Hidden, safe_median, suppress, with_margins

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
