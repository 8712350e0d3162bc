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

import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

SUPPRESS_BELOW = 5


@dataclass(frozen=True)
class SuppressedTable:
    """A grid of counts, its totals, with `None` where a count is suppressed."""

    cells: list[list[int | None]]
    row_totals: list[int | None]
    column_totals: list[int | None]
    total: int | None
    # Further published sums of cells (`suppress_table(extra=...)`), in the order asked.
    extra_totals: list[int | None] = field(default_factory=list)


# A position in the table: ("cell", r, c), ("row", r), ("column", c) or ("total",).
Position = tuple


def _lines(
    rows: int, columns: int, extra: Sequence[Sequence[tuple[int, int]]] = ()
) -> list[list[tuple[Position, int]]]:
    """Each equation as (position, coefficient) pairs summing to zero."""
    lines = []
    for i, members in enumerate(extra):
        lines.append([*((("cell", r, c), 1) for r, c in members), (("extra", i), -1)])
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


def suppress_table(
    counts: Sequence[Sequence[int]], extra: Sequence[Sequence[tuple[int, int]]] = ()
) -> SuppressedTable:
    """The table with its totals, small counts suppressed and none recoverable (module doc).

    `extra`: further sums published beside the table, each a list of `(row, column)` cells (the
    holds that change status: the cells off the diagonal); each is one more equation."""
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
    for i, members in enumerate(extra):
        values[("extra", i)] = sum(grid[r][c] for r, c in members)
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
    lines = _lines(rows, columns, extra)
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
        extra_totals=[shown(("extra", i)) for i in range(len(extra))],
    )


def suppress_counts(counts: Sequence[int]) -> tuple[list[int | None], int | None]:
    """A one-way table (a list of counts and its total), suppressed as `suppress_table`."""
    table = suppress_table([[count] for count in counts])
    return [row[0] for row in table.cells], table.total


# The cell-key method (ABS TableBuilder; ONS, Census 2021), against differencing: two runs of a
# table over sets of records that differ by one record must not give that record away by
# subtraction. Every record has a stable pseudo-random key in 0..255 (`record_key`, an HMAC of
# its id under a secret that is never published nor stored beside the record); a cell's key is
# the sum of its records' keys mod 256 (`cell_key`), so the same records always make the same
# key (a repeated run tells nothing new) and one record more or less makes an unrelated one.
# The published count is the count plus the perturbation the fixed table below gives for the
# cell's key (`perturb_count`).

KEY_RANGE = 256
# The perturbations -3..+3 and how many of the 256 cell keys give each: symmetric, so the
# perturbation of a count of 8 or more has mean 0 and variance 2.5.
_PERTURBATION_WEIGHTS = {-3: 16, -2: 32, -1: 48, 0: 64, 1: 48, 2: 32, 3: 16}
MAX_PERTURBATION = max(_PERTURBATION_WEIGHTS)


def _perturbation_row(value: int) -> tuple[int, ...]:
    """The perturbation of `value` for each cell key. No published count falls in
    1..`SUPPRESS_BELOW - 1` or below zero: the keys whose perturbation would take a count of 5
    to 7 below 5 give the smallest allowed one instead (a small upwards bias for those three)."""
    lowest = SUPPRESS_BELOW - value
    row: list[int] = []
    for perturbation, weight in sorted(_PERTURBATION_WEIGHTS.items()):
        row.extend([max(perturbation, lowest)] * weight)
    # Spread each perturbation's keys over the whole key range (key k -> position 97k mod 256),
    # so that neighbouring keys do not share a perturbation.
    return tuple(row[(97 * key) % KEY_RANGE] for key in range(KEY_RANGE))


# The fixed perturbation table, by count (every count from SUPPRESS_BELOW + 3 up uses one row).
PERTURBATION_TABLE = {
    value: _perturbation_row(value)
    for value in range(SUPPRESS_BELOW, SUPPRESS_BELOW + MAX_PERTURBATION + 1)
}


def record_key(secret: bytes, record_id: bytes) -> int:
    """The record's key, 0..255: the first byte of HMAC-SHA256(secret, id)."""
    return hmac.digest(secret, record_id, "sha256")[0]


def cell_key(record_keys: Iterable[int]) -> int:
    """A cell's key: the sum of its records' keys mod 256 (0 for an empty cell)."""
    return sum(record_keys) % KEY_RANGE


def perturb_count(value: int, key: int) -> int | None:
    """The published count: 0 for 0, suppressed (`None`) from 1 to 4, else the count plus the
    table's perturbation for `key` (at most 3 either way, never below 5)."""
    if value == 0:
        return 0
    if value < SUPPRESS_BELOW:
        return None
    row = PERTURBATION_TABLE[min(value, SUPPRESS_BELOW + MAX_PERTURBATION)]
    return value + row[key % KEY_RANGE]


def sum_noise(key: int) -> Fraction:
    """The multiplier of a sum's noise for a cell key: ±1/2 to ±1, mean 0, from a second fixed
    table (keys 0..127 positive, 128..255 negative, spread as the counts' table)."""
    spread = (97 * key) % KEY_RANGE
    magnitude = Fraction(1, 2) + Fraction(spread % 128, 254)
    return magnitude if spread < 128 else -magnitude


def perturb_sum(total: int, records: int, largest: int, key: int) -> int | None:
    """A published sum of per-record amounts (days): suppressed when fewer than 5 records make
    it up; else the sum plus noise of ±1/2 to ±1 times the largest single record's amount,
    rounded to a whole number. One record more or less changes the sum by at most that
    record's amount, and the noise is at least half the largest one's: the difference of two
    runs does not give the record's amount. Never below 0 (five records of at least 1 each
    and noise of at most the largest keep it above)."""
    if records == 0:
        return 0
    if records < SUPPRESS_BELOW:
        return None
    return max(round(total + largest * sum_noise(key)), 0)


def _cell_keys_of(keys: Sequence[Sequence[int]], positions: Iterable[tuple[int, int]]) -> int:
    return cell_key(keys[r][c] for r, c in positions)


def perturb_table(
    counts: Sequence[Sequence[int]],
    keys: Sequence[Sequence[int]],
    extra: Sequence[Sequence[tuple[int, int]]] = (),
) -> SuppressedTable:
    """A table published with the cell-key method: which counts are suppressed is decided on the
    true counts (`suppress_table`, so that none could be recovered even without noise), then
    every shown count (cells, totals and `extra` sums alike, each a cell of its own whose key is
    the sum of its cells' keys) is perturbed by `perturb_count`. `keys[r][c]` is cell (r, c)'s
    key. Perturbed totals no longer add up exactly: that is the point."""
    table = suppress_table(counts, extra)
    rows = len(counts)
    columns = len(counts[0]) if rows else 0
    everything = [(r, c) for r in range(rows) for c in range(columns)]

    def shown(published: int | None, positions: Iterable[tuple[int, int]]) -> int | None:
        if published is None:
            return None
        return perturb_count(published, _cell_keys_of(keys, positions))

    return SuppressedTable(
        cells=[[shown(table.cells[r][c], [(r, c)]) for c in range(columns)] for r in range(rows)],
        row_totals=[
            shown(table.row_totals[r], [(r, c) for c in range(columns)]) for r in range(rows)
        ],
        column_totals=[
            shown(table.column_totals[c], [(r, c) for r in range(rows)]) for c in range(columns)
        ],
        total=shown(table.total, everything),
        extra_totals=[
            shown(published, members)
            for published, members in zip(table.extra_totals, extra, strict=True)
        ],
    )
