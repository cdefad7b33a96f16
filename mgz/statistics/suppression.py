"""Cell suppression for published tables of counts: small cells shown as "x".

A count of 1 or 2 people in a cell of a table that also says where they live and
which course they attend can single someone out. Statisticians and exports
therefore see such cells only as ``"x"`` (primary suppression). Hiding a cell is
not enough when the table also shows its row and column totals: ``total - known
cells`` gives it back. So further cells are hidden (secondary, or complementary,
suppression) until no hidden value can be computed from the published numbers.

Why this rule, and not another:

- The table is taken *with its margins*: row totals, column totals and the grand
  total are cells like the others (a total of 1 or 2 is as revealing as a cell).
  Every row and column of this augmented table is one equation (the cells add up
  to the total), and the published numbers are exactly these equations' known
  terms.
- A hidden cell can be recomputed from the equations exactly when it lies on no
  cycle of hidden cells (in the graph whose vertices are the rows and columns and
  whose edges are the hidden cells, the cell is a *bridge*): a cycle can be
  shifted by +1/−1 around it without changing any total, a bridge cannot. So
  "every row and column with a hidden cell has at least two" (which removes the
  plain ``total - known`` attack) is necessary but not enough; the rule here
  requires no bridge at all, which also covers sums of several equations.
- Secondary cells are taken smallest first (ties: first row, then first column),
  which hides the least information; margins are therefore only taken when no
  inner cell will do.
- Zeros stay zeros: a zero is never suppressed, neither as primary (an empty cell
  singles nobody out) nor as secondary (hiding a known zero protects nothing,
  because a cell that is zero is never a value anyone must guess).

This is the linear ("totals") attack. It does not bound the interval a hidden
value could be narrowed to with its non-negativity; with threshold 3 and at least
two hidden values per equation that narrowing is small, and the Datenservicestelle's
rule asks for the totals only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from mgz.core.config import Setting, int_range, register

register(
    Setting(
        "STATISTICS_SUPPRESSION_THRESHOLD",
        int_range(1, 100),
        "counts from 1 up to one below this are shown as x in statistics for statisticians",
    )
)

DEFAULT_THRESHOLD = 3
MARK = "x"

Cell = tuple[int, int]  # (row, column) in the table with margins; the last ones are totals


@dataclass(frozen=True)
class SuppressedTable:
    """A table of counts with its margins, and which of its cells are hidden.

    ``cells`` has one more row and one more column than the input: the last
    column holds the row totals, the last row the column totals, the corner the
    grand total.
    """

    cells: tuple[tuple[int, ...], ...]
    hidden: frozenset[Cell]

    def shown(self, row: int, column: int) -> int | str:
        """The value as published: the count, or ``"x"`` when hidden."""
        return MARK if (row, column) in self.hidden else self.cells[row][column]

    def rows(self) -> list[list[int | str]]:
        """The inner cells as published."""
        return [
            [self.shown(r, c) for c in range(len(self.cells[0]) - 1)]
            for r in range(len(self.cells) - 1)
        ]

    def row_totals(self) -> list[int | str]:
        """The row totals as published."""
        last = len(self.cells[0]) - 1
        return [self.shown(r, last) for r in range(len(self.cells) - 1)]

    def column_totals(self) -> list[int | str]:
        """The column totals as published."""
        last = len(self.cells) - 1
        return [self.shown(last, c) for c in range(len(self.cells[0]) - 1)]

    def total(self) -> int | str:
        """The grand total as published."""
        return self.shown(len(self.cells) - 1, len(self.cells[0]) - 1)


def with_margins(counts: Sequence[Sequence[int]]) -> tuple[tuple[int, ...], ...]:
    """``counts`` with a column of row totals and a row of column totals (and the corner)."""
    width = len(counts[0]) if counts else 0
    if any(len(row) != width for row in counts):
        raise ValueError("every row needs the same number of columns")
    if any(value < 0 for row in counts for value in row):
        raise ValueError("counts are never negative")
    rows = [(*row, sum(row)) for row in counts]
    totals = tuple(sum(row[c] for row in rows) for c in range(width + 1))
    return (*(tuple(row) for row in rows), totals)


Vertex = tuple[str, int]  # ("r", row) or ("c", column)


def _graph(hidden: set[Cell] | frozenset[Cell]) -> dict[Vertex, set[Vertex]]:
    graph: dict[Vertex, set[Vertex]] = {}
    for row, column in hidden:
        graph.setdefault(("r", row), set()).add(("c", column))
        graph.setdefault(("c", column), set()).add(("r", row))
    return graph


def _cell(a: Vertex, b: Vertex) -> Cell:
    return (a[1], b[1]) if a[0] == "r" else (b[1], a[1])


def recomputable(hidden: set[Cell] | frozenset[Cell]) -> list[Cell]:
    """The hidden cells the published totals give back: the bridges of the graph.

    Tarjan's bridge search (depth-first, low links), iterative so that tables with
    many rows need no deep recursion.
    """
    graph = _graph(hidden)
    order: dict[Vertex, int] = {}
    low: dict[Vertex, int] = {}
    bridges: list[Cell] = []
    for root in sorted(graph):
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack: list[tuple[Vertex, Vertex | None, list[Vertex]]] = [
            (root, None, sorted(graph[root]))
        ]
        while stack:
            vertex, parent, pending = stack[-1]
            if pending:
                other = pending.pop()
                if other == parent:
                    continue
                if other in order:
                    low[vertex] = min(low[vertex], order[other])
                else:
                    order[other] = low[other] = len(order)
                    stack.append((other, vertex, sorted(graph[other])))
                continue
            stack.pop()
            if parent is not None:
                low[parent] = min(low[parent], low[vertex])
                if low[vertex] > order[parent]:
                    bridges.append(_cell(parent, vertex))
    return sorted(bridges)


def _side(graph: dict[Vertex, set[Vertex]], start: Vertex, cut: Cell) -> set[Vertex]:
    """The vertices reachable from ``start`` without crossing the hidden cell ``cut``."""
    seen = {start}
    pending = [start]
    while pending:
        vertex = pending.pop()
        for other in graph.get(vertex, ()):
            if _cell(vertex, other) != cut and other not in seen:
                seen.add(other)
                pending.append(other)
    return seen


def suppress(
    counts: Sequence[Sequence[int]],
    threshold: int = DEFAULT_THRESHOLD,
    forced: Iterable[Cell] = (),
) -> SuppressedTable:
    """Hide every count from 1 to ``threshold - 1`` and what would give them back.

    ``counts`` is the inner table (rows of non-negative integers); its margins are
    added here. ``forced`` are cells (of the table with margins) hidden whatever their
    value, e.g. a margin another table that publishes it had to hide (the linked
    suppression of the exports); zeros among them stay shown. Pure: same input, same
    output.
    """
    cells = with_margins(counts)
    height, width = len(cells), len(cells[0])
    hidden: set[Cell] = {
        (r, c) for r in range(height) for c in range(width) if 0 < cells[r][c] < threshold
    }
    hidden |= {(r, c) for r, c in forced if cells[r][c] > 0}

    def candidates(wanted: Callable[[int, int], bool]) -> list[Cell]:
        found = [
            (r, c)
            for r in range(height)
            for c in range(width)
            if cells[r][c] > 0 and (r, c) not in hidden and wanted(r, c)
        ]
        return sorted(found, key=lambda cell: (cells[cell[0]][cell[1]], cell))

    while True:
        bridges = recomputable(hidden)
        if not bridges:
            return SuppressedTable(cells, frozenset(hidden))
        row, column = bridges[0]
        graph = _graph(hidden)
        rows_side = _side(graph, ("r", row), (row, column))
        columns_side = _side(graph, ("c", column), (row, column))

        def closes(
            r: int, c: int, a: set[Vertex] = rows_side, b: set[Vertex] = columns_side
        ) -> bool:
            # Joins the two sides of the bridge: the bridge then lies on a cycle.
            return (("r", r) in a and ("c", c) in b) or (("r", r) in b and ("c", c) in a)

        # Best one cell that closes a cycle through the bridge; else the smallest in
        # the bridge's row or column, which grows one side; else the smallest at all.
        # Ends: with every non-zero cell hidden each lies on a cycle through the margins.
        pick = (
            candidates(closes)
            or candidates(lambda r, c, rr=row, cc=column: r == rr or c == cc)
            or candidates(lambda r, c: True)
        )[0]
        hidden.add(pick)
