"""Cell suppression across tables that share a margin (issue 19, aggregate tables).

The aggregate export publishes each measure (counselled persons, placements, …) in
several tables, one per dimension (citizenship group, gender, municipality, …). All
of them end in the same row "Insgesamt": the year totals and the grand total. A
cell hidden in one table but published in another could be read there; a margin
hidden in every table could still follow from the differences of two tables. So the
tables of one measure are suppressed *together* (a linked set):

1. Primary: every cell (inner or margin) with ``1 <= count < threshold``.
2. Per table, the bridge-free rule of :mod:`mgz.statistics.suppression` (secondary
   cells smallest first, margins last), with the shared margins another table had
   to hide forced hidden; repeated over the tables until nothing changes (a margin
   hidden in one table is hidden in every table that publishes it).
3. The exact check over the whole linked set (:func:`recomputable`): rational
   Gaussian elimination over every published equation of every table. A hidden cell
   is recomputable iff its unit vector lies in the row space of the equations
   restricted to the hidden unknowns. If one is, the smallest further published
   non-zero cell that stops it from being recomputable is hidden (inner cells
   before margins, then by value, then by table and position), and step 2 runs
   again. This ends: with every non-zero cell hidden the published numbers are all
   zeros, the equations are homogeneous and twice the true values solve them too.

Why smallest first, margins last: a small cell carries the least information, and a
margin hidden in one table must be hidden in all of them, so it costs several
cells. Zeros are never hidden (an empty cell singles nobody out, and hiding a known
zero protects nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from mgz.statistics.suppression import Cell, SuppressedTable, suppress, with_margins

# A cell of the linked set: (table index, row, column) in the table with margins.
LinkedCell = tuple[int, int, int]
# A variable of the linked system: a table's own cell, or ("total", column) for a
# cell of the shared row "Insgesamt".
Variable = tuple[object, ...]


@dataclass(frozen=True)
class LinkedResult:
    """The suppressed tables of one linked set and which cells were primary."""

    tables: tuple[SuppressedTable, ...]
    primary: tuple[frozenset[Cell], ...]

    def secondary(self, index: int) -> frozenset[Cell]:
        """The cells of table ``index`` hidden only to protect others."""
        return self.tables[index].hidden - self.primary[index]


def _variable(cells: Sequence[Sequence[int]], table: int, row: int, column: int) -> Variable:
    return ("total", column) if row == len(cells) - 1 else (table, row, column)


def _equations(
    grids: Sequence[Sequence[Sequence[int]]],
) -> list[dict[Variable, int]]:
    """Every row and column equation of every table (the table with its margins)."""
    found: dict[tuple[tuple[Variable, int], ...], dict[Variable, int]] = {}
    for index, cells in enumerate(grids):
        height, width = len(cells), len(cells[0])
        for r in range(height):
            terms = {_variable(cells, index, r, c): 1 for c in range(width - 1)}
            terms[_variable(cells, index, r, width - 1)] = -1
            found.setdefault(tuple(sorted(terms.items(), key=repr)), terms)
        for c in range(width):
            terms = {_variable(cells, index, r, c): 1 for r in range(height - 1)}
            terms[_variable(cells, index, height - 1, c)] = -1
            found.setdefault(tuple(sorted(terms.items(), key=repr)), terms)
    return list(found.values())


def _reduce(
    equations: list[dict[Variable, int]], hidden: set[Variable]
) -> dict[Variable, tuple[dict[Variable, Fraction], dict[int, Fraction]]]:
    """Reduced row echelon form over the hidden unknowns, each row with its combination.

    Returns pivot variable -> (row over hidden variables, weights of the original
    equations that give this row). Exact (fractions), sparse (dicts).
    """
    pivots: dict[Variable, tuple[dict[Variable, Fraction], dict[int, Fraction]]] = {}
    for number, equation in enumerate(equations):
        row = {v: Fraction(k) for v, k in equation.items() if v in hidden}
        weights = {number: Fraction(1)}
        for pivot, (prow, pweights) in pivots.items():
            factor = row.get(pivot)
            if factor:
                _subtract(row, prow, factor)
                _subtract(weights, pweights, factor)
        if not row:
            continue
        pivot = min(row, key=repr)
        scale = row[pivot]
        row = {v: k / scale for v, k in row.items()}
        weights = {e: k / scale for e, k in weights.items()}
        for orow, oweights in pivots.values():
            factor = orow.get(pivot)
            if factor:
                _subtract(orow, row, factor)
                _subtract(oweights, weights, factor)
        pivots[pivot] = (row, weights)
    return pivots


def _subtract(target: dict, source: dict, factor: Fraction) -> None:
    for key, value in source.items():
        new = target.get(key, 0) - factor * value
        if new:
            target[key] = new
        else:
            target.pop(key, None)


def _hidden_variables(
    grids: Sequence[Sequence[Sequence[int]]], hidden: Sequence[set[Cell] | frozenset[Cell]]
) -> dict[Variable, LinkedCell]:
    found: dict[Variable, LinkedCell] = {}
    for index, cells in enumerate(grids):
        for r, c in sorted(hidden[index]):
            found.setdefault(_variable(cells, index, r, c), (index, r, c))
    return found


def recomputable(
    grids: Sequence[Sequence[Sequence[int]]], hidden: Sequence[set[Cell] | frozenset[Cell]]
) -> list[LinkedCell]:
    """The hidden cells that the published numbers of all tables together give back.

    ``grids`` are the tables with margins (their last rows the shared "Insgesamt");
    ``hidden[i]`` the hidden cells of table ``i``. A shared margin hidden in one table
    but shown in another counts as published (so it is never reported here; the
    caller hides it everywhere).
    """
    return [cell for cell, _weights in _recomputable(grids, hidden)]


def _published_shared(
    grids: Sequence[Sequence[Sequence[int]]], hidden: Sequence[set[Cell] | frozenset[Cell]]
) -> set[Variable]:
    shown: set[Variable] = set()
    for index, cells in enumerate(grids):
        last = len(cells) - 1
        shown |= {("total", c) for c in range(len(cells[0])) if (last, c) not in hidden[index]}
    return shown


def _recomputable(
    grids: Sequence[Sequence[Sequence[int]]], hidden: Sequence[set[Cell] | frozenset[Cell]]
) -> list[tuple[LinkedCell, dict[int, Fraction]]]:
    variables = _hidden_variables(grids, hidden)
    unknown = set(variables) - _published_shared(grids, hidden)
    if not unknown:
        return []
    equations = _equations(grids)
    pivots = _reduce(equations, unknown)
    found = [
        (variables[pivot], weights) for pivot, (row, weights) in pivots.items() if len(row) == 1
    ]
    return sorted(found, key=lambda item: item[0])


def _value(grids: Sequence[Sequence[Sequence[int]]], cell: LinkedCell) -> int:
    index, r, c = cell
    return grids[index][r][c]


def _helping_cells(
    grids: Sequence[Sequence[Sequence[int]]],
    hidden: Sequence[set[Cell] | frozenset[Cell]],
    weights: dict[int, Fraction],
) -> list[LinkedCell]:
    """Published non-zero cells the derivation ``weights`` uses, best first.

    A cell can only stop the derivation if the combination of equations gives it a
    non-zero coefficient; the candidates are ordered inner before margin, smallest
    value, then by position.
    """
    equations = _equations(grids)
    coefficient: dict[Variable, Fraction] = {}
    for number, weight in weights.items():
        for variable, k in equations[number].items():
            coefficient[variable] = coefficient.get(variable, Fraction(0)) + weight * k
    variables = _hidden_variables(grids, hidden)
    candidates: list[LinkedCell] = []
    seen: set[Variable] = set()
    for index, cells in enumerate(grids):
        for r in range(len(cells)):
            for c in range(len(cells[0])):
                variable = _variable(cells, index, r, c)
                if variable in seen or variable in variables or not cells[r][c]:
                    continue
                seen.add(variable)
                if coefficient.get(variable):
                    candidates.append((index, r, c))

    def margin(cell: LinkedCell) -> bool:
        index, r, c = cell
        return r == len(grids[index]) - 1 or c == len(grids[index][0]) - 1

    return sorted(candidates, key=lambda cell: (margin(cell), _value(grids, cell), cell))


def _spread_shared(grids: Sequence[Sequence[Sequence[int]]], hidden: list[set[Cell]]) -> None:
    columns = {c for index, cells in enumerate(grids) for r, c in hidden[index]
               if r == len(cells) - 1}  # fmt: skip
    for index, cells in enumerate(grids):
        hidden[index] |= {(len(cells) - 1, c) for c in columns if cells[-1][c] > 0}


def suppress_linked(counts: Sequence[Sequence[Sequence[int]]], threshold: int) -> LinkedResult:
    """Suppress the inner tables ``counts`` of one linked set together.

    Every table must have the same number of columns (the years) and the same column
    totals: their rows "Insgesamt" are one and the same published row.
    """
    grids = [with_margins(table) for table in counts]
    if len({cells[-1] for cells in grids}) > 1:
        raise ValueError("linked tables must have the same column totals")
    primary = [
        frozenset(
            (r, c)
            for r in range(len(cells))
            for c in range(len(cells[0]))
            if 0 < cells[r][c] < threshold
        )
        for cells in grids
    ]
    hidden = [set(cells) for cells in primary]
    while True:
        changed = True
        while changed:
            changed = False
            _spread_shared(grids, hidden)
            for index, table in enumerate(counts):
                result = suppress(table, threshold, forced=hidden[index])
                if result.hidden != hidden[index]:
                    hidden[index] = set(result.hidden)
                    changed = True
        found = _recomputable(grids, hidden)
        if not found:
            break
        cell, weights = found[0]
        pick = _pick(grids, hidden, cell, weights)
        hidden[pick[0]].add((pick[1], pick[2]))
    return LinkedResult(
        tables=tuple(
            SuppressedTable(cells, frozenset(h)) for cells, h in zip(grids, hidden, strict=True)
        ),
        primary=tuple(primary),
    )


def protect(
    grids: Sequence[Sequence[Sequence[int]]], hidden: Sequence[set[Cell] | frozenset[Cell]]
) -> list[set[Cell]]:
    """``hidden`` and the further cells the exact check alone asks for (step 3 only).

    :func:`suppress_linked` runs this step between rounds of the per-table rule; on
    its own it shows that the exact check closes every gap it finds (the tests start
    it from the primary cells only).
    """
    result = [set(h) for h in hidden]
    _spread_shared(grids, result)
    while found := _recomputable(grids, result):
        cell, weights = found[0]
        pick = _pick(grids, result, cell, weights)
        result[pick[0]].add((pick[1], pick[2]))
        _spread_shared(grids, result)
    return result


def _pick(
    grids: Sequence[Sequence[Sequence[int]]],
    hidden: list[set[Cell]],
    cell: LinkedCell,
    weights: dict[int, Fraction],
) -> LinkedCell:
    """The first candidate after which ``cell`` is no longer recomputable (else the first)."""
    candidates = _helping_cells(grids, hidden, weights)
    for candidate in candidates:
        trial = [set(h) for h in hidden]
        trial[candidate[0]].add((candidate[1], candidate[2]))
        _spread_shared(grids, trial)
        if cell not in recomputable(grids, trial):
            return candidate
    if candidates:
        return candidates[0]
    raise AssertionError("a recomputable cell always has a published non-zero cell to hide")
