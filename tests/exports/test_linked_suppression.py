"""Linked suppression over random linked sets, checked by an independent solver."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mgz.exports.linked_suppression import protect, recomputable, suppress_linked
from mgz.statistics.suppression import MARK, suppress, with_margins
from tests.exports.solving import recomputable as solved


@st.composite
def linked_sets(draw):
    """Random records (year, row in each table): tables that share their column totals."""
    years = draw(st.integers(1, 3))
    heights = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    records = draw(
        st.lists(
            st.tuples(st.integers(0, years - 1), *(st.integers(0, h - 1) for h in heights)),
            max_size=40,
        )
    )
    tables = []
    for t, height in enumerate(heights):
        grid = [[0] * years for _ in range(height)]
        for record in records:
            grid[record[1 + t]][record[0]] += 1
        tables.append(grid)
    return tables


def published(table):
    return [
        [table.shown(r, c) for c in range(len(table.cells[0]))] for r in range(len(table.cells))
    ]


@settings(max_examples=300, deadline=None)
@given(counts=linked_sets(), threshold=st.integers(1, 4))
def test_no_small_cell_is_shown_and_none_can_be_recomputed(counts, threshold):
    result = suppress_linked(counts, threshold)
    tables = [published(table) for table in result.tables]
    for table, suppressed in zip(tables, result.tables, strict=True):
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                true = suppressed.cells[r][c]
                assert value in (MARK, true)
                assert value == MARK or not 0 < value < threshold
                assert value != MARK or true > 0  # zeros are shown as zeros
    # The shared row "Insgesamt" is published alike in every table.
    assert len({tuple(table[-1]) for table in tables}) == 1
    assert solved(tables) == []


def _variables(cells, tables):
    """Cells as variables: the shared row "Insgesamt" is one, whatever the table."""
    return {("shared", c) if r == len(tables[t]) - 1 else (t, r, c) for t, r, c in cells}


@settings(max_examples=200, deadline=None)
@given(counts=linked_sets(), threshold=st.integers(2, 4))
def test_the_exact_check_agrees_with_the_independent_solver(counts, threshold):
    # Per-table suppression alone, not linked: whatever it leaves recomputable across
    # the tables, both solvers name the same cells.
    singles = [suppress(table, threshold) for table in counts]
    tables = [published(table) for table in singles]
    grids = [table.cells for table in singles]
    found = recomputable(grids, [table.hidden for table in singles])
    assert _variables(found, tables) == _variables(solved(tables), tables)


@settings(max_examples=200, deadline=None)
@given(counts=linked_sets(), threshold=st.integers(2, 4))
def test_the_exact_check_alone_closes_every_gap(counts, threshold):
    # From the primary cells only (no per-table rule): the further cells it hides
    # leave nothing recomputable, and it never hides a zero.
    grids = [with_margins(table) for table in counts]
    primary = [
        {(r, c) for r, row in enumerate(g) for c, v in enumerate(row) if 0 < v < threshold}
        for g in grids
    ]
    hidden = protect(grids, primary)
    tables = [
        [[MARK if (r, c) in h else v for c, v in enumerate(row)] for r, row in enumerate(g)]
        for g, h in zip(grids, hidden, strict=True)
    ]
    assert all(grids[t][r][c] > 0 for t, h in enumerate(hidden) for r, c in h)
    assert all(p <= h for p, h in zip(primary, hidden, strict=True))
    assert solved(tables) == []


def test_the_exact_check_hides_inner_cells_smallest_first():
    # 1 | 5 || 6       The 1 follows from its row, then from its column: the exact
    # 4 | 6 || 10      check alone hides the 5 (smallest in the derivation), the 4,
    # 5 | 11|| 16      then the 6 that closes the cycle; no margin is needed.
    grids = [with_margins([[1, 5], [4, 6]])]
    assert protect(grids, [{(0, 0)}]) == [{(0, 0), (0, 1), (1, 0), (1, 1)}]


def test_one_table_alone_is_suppressed_as_the_single_table_rule_does():
    counts = [[1, 5, 9], [6, 7, 8], [10, 11, 12]]
    (table,) = suppress_linked([counts], 3).tables
    assert table == suppress(counts, 3)


def test_tables_with_different_year_totals_are_refused():
    with pytest.raises(ValueError):
        suppress_linked([[[1, 2]], [[2, 2]]], 3)
