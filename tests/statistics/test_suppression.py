"""Cell suppression: properties over random tables (hypothesis) and worked examples.

The central property is checked by solving, independently of the bridge rule the
implementation uses: a hidden cell is recomputable when its unit vector lies in the
row space of the totals' equations restricted to the hidden cells (exact rational
Gaussian elimination).
"""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mgz.statistics.suppression import MARK, recomputable, suppress, with_margins

small_counts = st.integers(min_value=0, max_value=12).map(lambda n: n if n % 3 else n // 3)
tables = st.integers(1, 5).flatmap(
    lambda width: st.lists(
        st.lists(small_counts, min_size=width, max_size=width), min_size=1, max_size=5
    )
)


def equations(cells, hidden):
    """One equation per row and column of the table with margins, over the hidden cells."""
    order = sorted(hidden)
    height, width = len(cells), len(cells[0])
    rows = []
    for r in range(height):
        rows.append([(-1 if c == width - 1 else 1) if (rr == r) else 0 for rr, c in order])
    for c in range(width):
        rows.append([(-1 if r == height - 1 else 1) if (cc == c) else 0 for r, cc in order])
    return order, rows


def rank(matrix):
    rows = [[Fraction(v) for v in row] for row in matrix if any(row)]
    rank_found, column = 0, 0
    width = len(rows[0]) if rows else 0
    while rank_found < len(rows) and column < width:
        pivot = next((i for i in range(rank_found, len(rows)) if rows[i][column]), None)
        if pivot is None:
            column += 1
            continue
        rows[rank_found], rows[pivot] = rows[pivot], rows[rank_found]
        for i in range(len(rows)):
            if i != rank_found and rows[i][column]:
                factor = rows[i][column] / rows[rank_found][column]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[rank_found], strict=True)]
        rank_found += 1
        column += 1
    return rank_found


def determined_by_solving(cells, hidden):
    """Hidden cells whose value follows from the published numbers (linear algebra)."""
    if not hidden:
        return []
    order, system = equations(cells, hidden)
    base = rank(system)
    found = []
    for index, cell in enumerate(order):
        unit = [1 if i == index else 0 for i in range(len(order))]
        if rank([*system, unit]) == base:
            found.append(cell)
    return found


@settings(max_examples=300, deadline=None)
@given(tables, st.integers(2, 5))
def test_no_hidden_value_can_be_recomputed_from_the_totals(counts, threshold):
    table = suppress(counts, threshold)
    assert determined_by_solving(table.cells, table.hidden) == []
    assert recomputable(table.hidden) == []


@settings(max_examples=300, deadline=None)
@given(tables, st.integers(2, 5))
def test_every_line_with_a_hidden_cell_has_two(counts, threshold):
    table = suppress(counts, threshold)
    height, width = len(table.cells), len(table.cells[0])
    for r in range(height):
        in_row = [c for c in range(width) if (r, c) in table.hidden]
        assert len(in_row) != 1
    for c in range(width):
        in_column = [r for r in range(height) if (r, c) in table.hidden]
        assert len(in_column) != 1


@settings(max_examples=300, deadline=None)
@given(tables, st.integers(2, 5))
def test_small_counts_hidden_zeros_never_and_the_rest_shown_as_they_are(counts, threshold):
    table = suppress(counts, threshold)
    assert table.cells == with_margins(counts)
    for r, row in enumerate(table.cells):
        for c, value in enumerate(row):
            if 0 < value < threshold:
                assert (r, c) in table.hidden
            if value == 0:
                assert (r, c) not in table.hidden
                assert table.shown(r, c) == 0
            if (r, c) not in table.hidden:
                assert table.shown(r, c) == value
            else:
                assert table.shown(r, c) == MARK
    assert suppress(counts, threshold) == table  # pure


def test_a_table_without_small_cells_is_shown_whole():
    table = suppress([[10, 20], [30, 40]])
    assert table.hidden == frozenset()
    assert table.rows() == [[10, 20], [30, 40]]
    assert (table.row_totals(), table.column_totals(), table.total()) == ([30, 70], [40, 60], 100)


def test_one_small_cell_takes_the_smallest_partners_of_its_row_and_column():
    table = suppress([[1, 5, 9], [6, 7, 8], [10, 11, 12]])
    assert table.rows() == [["x", "x", 9], ["x", "x", 8], [10, 11, 12]]
    assert table.row_totals() == [15, 21, 33]
    assert table.column_totals() == [17, 23, 29]


def test_a_cell_alone_in_its_row_hides_the_total_instead():
    table = suppress([[2, 0], [5, 6]])
    # Row 0 has no other non-zero cell: its total goes, and with it what gives it back.
    assert table.shown(0, 0) == MARK
    assert table.row_totals()[0] == MARK
    assert determined_by_solving(table.cells, table.hidden) == []


def test_two_cycles_joined_by_one_cell_are_not_enough():
    # Each line has two hidden cells, yet (0, 2) is a bridge between two 4-cycles:
    # the rule must hide more than "two per line".
    hidden = {(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (0, 2)}
    assert (0, 2) in recomputable(hidden)
    cells = with_margins([[1] * 4] * 4)
    assert (0, 2) in determined_by_solving(cells, hidden)


@pytest.mark.parametrize("bad", [[[1, 2], [3]], [[-1]]])
def test_ragged_or_negative_tables_are_refused(bad):
    with pytest.raises(ValueError):
        suppress(bad)
