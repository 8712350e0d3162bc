"""Small-number suppression (`protocol.suppression`): no suppressed count can be worked out
from the published cells and totals, for any table (Hypothesis)."""

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.statistics import suppress
from protocol.suppression import SUPPRESS_BELOW, suppress_counts, suppress_table


def _rank(matrix: list[list[Fraction]]) -> int:
    rows = [row[:] for row in matrix]
    rank = 0
    columns = len(rows[0]) if rows else 0
    for col in range(columns):
        pivot = next((r for r in range(rank, len(rows)) if rows[r][col] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for r in range(len(rows)):
            if r != rank and rows[r][col] != 0:
                factor = rows[r][col] / rows[rank][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[rank], strict=False)]
        rank += 1
    return rank


def _recoverable(grid, table, extra=()) -> list[tuple]:
    """The suppressed positions that the published values fix exactly: position p is fixed iff
    its column of the equations is not a combination of the other unknowns' columns (checked
    by rank, independently of the module's elimination). `extra`: further published sums of
    cells, as given to `suppress_table`."""
    rows, columns = len(grid), len(grid[0])
    published = {}
    for i, shown in enumerate(getattr(table, "extra_totals", [])):
        published[("extra", i)] = shown
    for r in range(rows):
        for c in range(columns):
            published[("cell", r, c)] = table.cells[r][c]
        published[("row", r)] = table.row_totals[r]
    for c in range(columns):
        published[("column", c)] = table.column_totals[c]
    published[("total",)] = table.total
    unknowns = [p for p, v in published.items() if v is None]
    equations = []
    for r in range(rows):
        equations.append({("cell", r, c): 1 for c in range(columns)} | {("row", r): -1})
    for c in range(columns):
        equations.append({("cell", r, c): 1 for r in range(rows)} | {("column", c): -1})
    equations.append({("row", r): 1 for r in range(rows)} | {("total",): -1})
    equations.append({("column", c): 1 for c in range(columns)} | {("total",): -1})
    for i, members in enumerate(extra):
        equations.append({("cell", r, c): 1 for r, c in members} | {("extra", i): -1})
    matrix = [[Fraction(eq.get(p, 0)) for p in unknowns] for eq in equations]
    full = _rank(matrix)
    fixed = []
    for i, position in enumerate(unknowns):
        without = [row[:i] + row[i + 1 :] for row in matrix]
        if _rank(without) < full:
            fixed.append(position)
    return fixed


grids = st.integers(1, 5).flatmap(
    lambda columns: st.lists(
        st.lists(st.integers(0, 30), min_size=columns, max_size=columns), min_size=1, max_size=6
    )
)


@settings(max_examples=300, deadline=None)
@given(grids)
def test_no_suppressed_count_can_be_recovered_from_what_is_published(grid):
    table = suppress_table(grid)
    assert _recoverable(grid, table) == []


@settings(max_examples=300, deadline=None)
@given(grids)
def test_every_small_count_is_suppressed_and_every_shown_one_is_true(grid):
    table = suppress_table(grid)
    for r, row in enumerate(grid):
        for c, count in enumerate(row):
            shown = table.cells[r][c]
            assert shown is None or shown == count
            if 0 < count < SUPPRESS_BELOW:
                assert shown is None
    for shown, true in [
        *zip(table.row_totals, [sum(row) for row in grid], strict=False),
        *zip(table.column_totals, [sum(col) for col in zip(*grid, strict=False)], strict=False),
        (table.total, sum(map(sum, grid))),
    ]:
        assert shown is None or shown == true
        assert not 0 < true < SUPPRESS_BELOW or shown is None


def test_the_check_would_catch_a_lone_suppressed_cell():
    """The property above can fail: primary suppression alone leaves a lone small cell to be
    found by subtraction from the total."""
    from protocol.suppression import SuppressedTable

    grid = [[3], [12], [40]]
    primary_only = SuppressedTable(
        cells=[[None], [12], [40]], row_totals=[None, 12, 40], column_totals=[55], total=55
    )
    assert _recoverable(grid, primary_only)
    assert _recoverable(grid, suppress_table(grid)) == []


def test_a_two_way_table_hides_a_second_cell_in_each_line():
    table = suppress_table([[2, 10, 11], [9, 12, 14], [8, 7, 20]])
    hidden = {(r, c) for r in range(3) for c in range(3) if table.cells[r][c] is None}
    assert (0, 0) in hidden and len(hidden) >= 4
    assert all(sum(1 for c in range(3) if (r, c) in hidden) != 1 for r in range(3))


def test_one_way_counts_and_the_statistics_cells_agree():
    counts, total = suppress_counts([3, 0, 12, 40])
    assert counts == [None, 0, None, 40] and total == 55
    cells = suppress([("a", "A", 3), ("b", "B", 0), ("c", "C", 12), ("d", "D", 40)])
    assert [c.count for c in cells] == counts


def test_a_median_table_never_prints_a_count_another_table_suppressed():
    """A group's median count equals its count in the referrals table: where suppression hid
    that total, the median table must hide the count and the median too."""
    from protocol.barriers import _median_table

    medians = {"northshire": (8, 3.0), "southshire": (9, 4.0)}
    table = _median_table("m", "M", "force", medians, {"northshire": None, "southshire": 9})
    rows = {row["key"]: row for row in table["rows"]}
    assert rows["northshire"]["count"] is None and rows["northshire"]["median_days"] is None
    assert rows["southshire"]["count"] == 9 and rows["southshire"]["median_days"] == 4.0


def test_a_median_table_prints_no_count_of_other_rows_than_the_published_figure():
    """Referral to support counts the referrals whose engagement began after the referral; the
    engagement table publishes all those engaged. Printing both would give away the difference
    (people engaged before referral), which may be under 5: the count is printed only where it
    is the published figure itself; the median, which discloses no count, stays."""
    from protocol.barriers import _median_table

    medians = {"northshire": (9, 12.0), "southshire": (20, 5.0)}
    table = _median_table("m", "M", "force", medians, {"northshire": 11, "southshire": 20})
    rows = {row["key"]: row for row in table["rows"]}
    assert rows["northshire"]["count"] is None and rows["northshire"]["median_days"] == 12.0
    assert rows["southshire"]["count"] == 20
