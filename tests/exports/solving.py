"""An independent check of linked suppression: which hidden cells do published tables give back?

Written for the tests without any code of ``mgz.exports``: it reads tables only as
they are published (numbers and the mark ``"x"``, margins included, the last row the
shared "Insgesamt") and solves the equations of all of them together. A hidden cell
is recomputable exactly when every solution of the homogeneous system (the null
space of the equations over the hidden unknowns) is zero in it; the null space comes
from a dense reduced row echelon form over exact fractions (a different criterion
from the implementation's "unit vector in the row space", with the same answer).
"""

from __future__ import annotations

from fractions import Fraction

MARK = "x"


def _unknowns(tables):
    """Variable of each hidden cell; the last rows of all tables are one shared row."""
    names = {}
    for t, table in enumerate(tables):
        last = len(table) - 1
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                if value == MARK:
                    names[(t, r, c)] = ("shared", c) if r == last else (t, r, c)
    return names


def _equations(tables, names):
    """Every row and column equation, as {variable: coefficient} over hidden variables."""
    found = []
    for t, table in enumerate(tables):
        height, width = len(table), len(table[0])
        for r in range(height):
            found.append([((t, r, c), 1 if c < width - 1 else -1) for c in range(width)])
        for c in range(width):
            found.append([((t, r, c), 1 if r < height - 1 else -1) for r in range(height)])
    equations = []
    for terms in found:
        equation = {}
        for cell, k in terms:
            if cell in names:
                equation[names[cell]] = equation.get(names[cell], 0) + k
        if any(equation.values()):
            equations.append(equation)
    return equations


def recomputable(tables):
    """The hidden cells (table, row, column) that the published numbers determine.

    ``tables``: lists of rows of ints and ``"x"``, each with its margins (last column
    the row totals, last row the column totals); a shared cell shown in one table
    and hidden in another counts as published everywhere.
    """
    names = _unknowns(tables)
    shown_shared = {
        ("shared", c) for table in tables for c, value in enumerate(table[-1]) if value != MARK
    }
    variables = sorted({v for v in names.values() if v not in shown_shared}, key=repr)
    if not variables:
        return []
    index = {v: i for i, v in enumerate(variables)}
    matrix = []
    for equation in _equations(tables, {c: v for c, v in names.items() if v in index}):
        row = [Fraction(0)] * len(variables)
        for v, k in equation.items():
            row[index[v]] = Fraction(k)
        matrix.append(row)
    pivots = _rref(matrix, len(variables))
    free = [i for i in range(len(variables)) if i not in pivots.values()]
    # Null space basis: one vector per free variable.
    moves = set()
    for f in free:
        moves.add(f)
        for row_index, pivot in pivots.items():
            if matrix[row_index][f]:
                moves.add(pivot)
    determined = {variables[i] for i in range(len(variables)) if i not in moves}
    return sorted(cell for cell, v in names.items() if v in determined)


def _rref(matrix, width):
    """Reduce ``matrix`` in place; return {row: pivot column}."""
    pivots = {}
    rank = 0
    for column in range(width):
        pivot = next((i for i in range(rank, len(matrix)) if matrix[i][column]), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        lead = matrix[rank][column]
        matrix[rank] = [value / lead for value in matrix[rank]]
        for i in range(len(matrix)):
            if i != rank and matrix[i][column]:
                factor = matrix[i][column]
                matrix[i] = [a - factor * b for a, b in zip(matrix[i], matrix[rank], strict=True)]
        pivots[rank] = column
        rank += 1
    return pivots
