"""Small-number suppression, done in one place for every published count.

A table is a grid of counts (rows × columns) published with its row totals, its column totals
and its grand total. A one-way table is a grid of one column. The rules:

1. Primary: a count from 1 to `SUPPRESS_BELOW - 1` (a cell or a total) is suppressed (`None`).
   Zero is shown: it discloses nobody.
2. Secondary: no suppressed count may be worked out exactly from the published ones. Each row,
   each column and the line of totals is an equation (its cells add up to its total); the
   suppressed counts are its unknowns. A suppressed count is disclosed when the equations fix
   it, which is checked exactly (rational Gaussian elimination, `_disclosed`). While any is, the
   smallest published count of an equation that holds a disclosed one is suppressed too, and the
   check runs again. It ends, at worst with everything suppressed.

Pure Python: no Django, no database (the property tests in
`tests/evaluation/test_suppression.py` give it any table).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

SUPPRESS_BELOW = 5


@dataclass(frozen=True)
class SuppressedTable:
    """A grid of counts, its totals, with `None` where a count is suppressed."""

    cells: list[list[int | None]]
    row_totals: list[int | None]
    column_totals: list[int | None]
    total: int | None


# A position in the table: ("cell", r, c), ("row", r), ("column", c) or ("total",).
Position = tuple


def _lines(rows: int, columns: int) -> list[list[tuple[Position, int]]]:
    """Each equation as (position, coefficient) pairs summing to zero."""
    lines = []
    for r in range(rows):
        lines.append([*((("cell", r, c), 1) for c in range(columns)), (("row", r), -1)])
    for c in range(columns):
        lines.append([*((("cell", r, c), 1) for r in range(rows)), (("column", c), -1)])
    lines.append([*((("row", r), 1) for r in range(rows)), (("total",), -1)])
    lines.append([*((("column", c), 1) for c in range(columns)), (("total",), -1)])
    return lines


def _disclosed(lines: list[list[tuple[Position, int]]], hidden: set[Position]) -> set[Position]:
    """The hidden positions that the equations fix exactly, given every other value."""
    unknowns = sorted(hidden)
    if not unknowns:
        return set()
    index = {position: i for i, position in enumerate(unknowns)}
    matrix = []
    for line in lines:
        row = [Fraction(0)] * len(unknowns)
        for position, coefficient in line:
            if position in index:
                row[index[position]] += coefficient
        if any(row):
            matrix.append(row)
    # Reduced row echelon form: an unknown is fixed when a row has it as its only entry.
    pivot_row = 0
    for col in range(len(unknowns)):
        found = next((r for r in range(pivot_row, len(matrix)) if matrix[r][col] != 0), None)
        if found is None:
            continue
        matrix[pivot_row], matrix[found] = matrix[found], matrix[pivot_row]
        pivot = matrix[pivot_row][col]
        matrix[pivot_row] = [value / pivot for value in matrix[pivot_row]]
        for r in range(len(matrix)):
            if r != pivot_row and matrix[r][col] != 0:
                factor = matrix[r][col]
                matrix[r] = [
                    a - factor * b for a, b in zip(matrix[r], matrix[pivot_row], strict=True)
                ]
        pivot_row += 1
    fixed = set()
    for row in matrix:
        nonzero = [i for i, value in enumerate(row) if value != 0]
        if len(nonzero) == 1:
            fixed.add(unknowns[nonzero[0]])
    return fixed


def _known_zero(
    position: Position, lines: list, hidden: set[Position], values: dict[Position, int]
) -> bool:
    """A zero in a line whose published total is zero: hiding it would protect nothing."""
    if values[position] != 0:
        return False
    for line in lines:
        members = [p for p, _ in line]
        if position in members:
            total = next(p for p, coefficient in line if coefficient == -1)
            if total != position and total not in hidden and values[total] == 0:
                return True
    return False


def suppress_table(counts: Sequence[Sequence[int]]) -> SuppressedTable:
    """The table with its totals, small counts suppressed and none recoverable (module doc)."""
    grid = [list(row) for row in counts]
    rows = len(grid)
    columns = len(grid[0]) if grid else 0
    if any(len(row) != columns for row in grid):
        raise ValueError("every row needs the same number of columns")
    values: dict[Position, int] = {}
    for r in range(rows):
        for c in range(columns):
            values[("cell", r, c)] = grid[r][c]
        values[("row", r)] = sum(grid[r])
    for c in range(columns):
        values[("column", c)] = sum(grid[r][c] for r in range(rows))
    values[("total",)] = sum(values[("row", r)] for r in range(rows))
    # In a table of one column (or one row) a line's total is its one cell: they go together.
    twins: dict[Position, set[Position]] = {p: {p} for p in values}
    for r in range(rows):
        for c in range(columns):
            if columns == 1:
                twins[("cell", r, c)].add(("row", r))
                twins[("row", r)].add(("cell", r, c))
            if rows == 1:
                twins[("cell", r, c)].add(("column", c))
                twins[("column", c)].add(("cell", r, c))
    if columns == 1:
        twins[("column", 0)].add(("total",))
        twins[("total",)].add(("column", 0))
    if rows == 1:
        twins[("row", 0)].add(("total",))
        twins[("total",)].add(("row", 0))
    hidden = {
        twin for p, value in values.items() if 0 < value < SUPPRESS_BELOW for twin in twins[p]
    }
    lines = _lines(rows, columns)
    while disclosed := _disclosed(lines, hidden):
        # Hide the smallest published count sharing an equation with a disclosed one.
        candidates = {
            position
            for line in lines
            if any(position in disclosed for position, _ in line)
            for position, _ in line
            if position not in hidden and not _known_zero(position, lines, hidden, values)
        }
        if not candidates:  # cannot happen (a fixed unknown has a published neighbour); be safe
            hidden |= set(values)
            break
        # Prefer cells to totals, then smaller counts, then a stable order.
        chosen = min(candidates, key=lambda p: (p[0] != "cell", values[p] == 0, values[p], p))
        hidden |= twins[chosen]

    def shown(position: Position) -> int | None:
        return None if position in hidden else values[position]

    return SuppressedTable(
        cells=[[shown(("cell", r, c)) for c in range(columns)] for r in range(rows)],
        row_totals=[shown(("row", r)) for r in range(rows)],
        column_totals=[shown(("column", c)) for c in range(columns)],
        total=shown(("total",)),
    )


def suppress_counts(counts: Sequence[int]) -> tuple[list[int | None], int | None]:
    """A one-way table (a list of counts and its total), suppressed as `suppress_table`."""
    table = suppress_table([[count] for count in counts])
    return [row[0] for row in table.cells], table.total
