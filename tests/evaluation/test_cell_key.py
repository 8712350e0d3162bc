"""The cell-key method (`protocol.suppression.perturb_count`, `perturb_sum`, `perturb_table`),
which the policy simulation publishes with (ADR 0015): stepping a setting or a date
one day at a time must not single out a person by subtracting two runs (Hypothesis, and the
frequencies over many random datasets)."""

import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.suppression import (
    KEY_RANGE,
    MAX_PERTURBATION,
    PERTURBATION_TABLE,
    SUPPRESS_BELOW,
    cell_key,
    perturb_count,
    perturb_sum,
    perturb_table,
    record_key,
    suppress_table,
)

from .test_suppression import _recoverable

keys = st.integers(0, KEY_RANGE - 1)


@settings(max_examples=500, deadline=None)
@given(st.integers(0, 10_000), keys)
def test_a_published_count_is_never_1_to_4_nor_negative_and_is_near_the_truth(value, key):
    shown = perturb_count(value, key)
    if value == 0:
        assert shown == 0
    elif value < SUPPRESS_BELOW:
        assert shown is None
    else:
        assert shown is not None and shown >= SUPPRESS_BELOW
        assert abs(shown - value) <= MAX_PERTURBATION
    assert perturb_count(value, key) == shown  # the same cell, the same answer


def test_the_perturbation_table_is_zero_mean_from_8_and_barely_biased_below():
    for value, row in PERTURBATION_TABLE.items():
        assert len(row) == KEY_RANGE
        mean = sum(row) / KEY_RANGE
        assert (mean == 0) if value >= SUPPRESS_BELOW + MAX_PERTURBATION else 0 < mean < 1
        assert len(set(row)) >= 4  # a value of 5 still has four outcomes
    # Neighbouring keys do not share one perturbation.
    row = PERTURBATION_TABLE[50 if 50 in PERTURBATION_TABLE else max(PERTURBATION_TABLE)]
    assert sum(row[k] == row[k + 1] for k in range(KEY_RANGE - 1)) < KEY_RANGE // 3


@given(st.lists(st.binary(min_size=16, max_size=16), min_size=1, max_size=40), st.randoms())
def test_the_same_records_in_any_order_make_the_same_cell_key(ids, rnd):
    secret = b"s" * 32
    shuffled = ids[:]
    rnd.shuffle(shuffled)
    assert cell_key(record_key(secret, i) for i in ids) == cell_key(
        record_key(secret, i) for i in shuffled
    )
    assert all(0 <= record_key(secret, i) < KEY_RANGE for i in ids)


def test_a_record_key_depends_on_the_secret():
    ids = [bytes([n]) * 16 for n in range(64)]
    one = [record_key(b"a" * 32, i) for i in ids]
    other = [record_key(b"b" * 32, i) for i in ids]
    assert one != other


# A dataset: records as (row, column, record key) in a table of `shape`.
shapes = st.tuples(st.integers(1, 4), st.integers(1, 4))


@st.composite
def datasets(draw):
    rows, columns = draw(shapes)
    records = draw(
        st.lists(
            st.tuples(st.integers(0, rows - 1), st.integers(0, columns - 1), keys), max_size=120
        )
    )
    return rows, columns, records


def _grid(rows, columns, records):
    counts = [[0] * columns for _ in range(rows)]
    key_sums = [[0] * columns for _ in range(rows)]
    for r, c, key in records:
        counts[r][c] += 1
        key_sums[r][c] += key
    return counts, key_sums


def _diagonal_off(rows, columns):
    return [[(r, c) for r in range(rows) for c in range(columns) if r != c]]


@settings(max_examples=300, deadline=None)
@given(datasets())
def test_a_perturbed_table_hides_what_suppression_hides_and_nothing_is_recoverable(data):
    rows, columns, records = data
    counts, key_sums = _grid(rows, columns, records)
    extra = _diagonal_off(rows, columns)
    published = perturb_table(counts, key_sums, extra)
    exact = suppress_table(counts, extra)
    # The suppressed positions are those decided on the true counts: even an attacker who
    # could take every perturbation away could not work a suppressed count out.
    assert _recoverable(counts, exact, extra) == []
    pairs = [
        *zip(sum(published.cells, []), sum(exact.cells, []), strict=True),
        *zip(published.row_totals, exact.row_totals, strict=True),
        *zip(published.column_totals, exact.column_totals, strict=True),
        *zip(published.extra_totals, exact.extra_totals, strict=True),
        (published.total, exact.total),
    ]
    for shown, true in pairs:
        assert (shown is None) == (true is None)
        if shown is not None:
            assert shown == 0 or shown >= SUPPRESS_BELOW
            assert abs(shown - true) <= MAX_PERTURBATION and (shown == 0) == (true == 0)


@settings(max_examples=200, deadline=None)
@given(datasets(), st.randoms())
def test_running_again_over_the_same_holds_publishes_the_same_table(data, rnd):
    rows, columns, records = data
    again = records[:]
    rnd.shuffle(again)
    one = perturb_table(*_grid(rows, columns, records))
    two = perturb_table(*_grid(rows, columns, again))
    assert one == two


def _published_difference(rng, moved: bool) -> int | None:
    """Two runs over one random dataset: the second has one hold more in a cell (or, `moved`,
    one hold moved from cell (0, 0) to cell (0, 1)); the published difference of that cell."""
    records = [(rng.randrange(2), rng.randrange(2), rng.randrange(KEY_RANGE)) for _ in range(60)]
    records += [(0, 1, rng.randrange(KEY_RANGE)) for _ in range(SUPPRESS_BELOW + 3)]
    one_hold = (0, 0, rng.randrange(KEY_RANGE))
    first = [*records, one_hold] if moved else records
    second = [*records, (0, 1, one_hold[2])]
    a = perturb_table(*_grid(2, 2, first))
    b = perturb_table(*_grid(2, 2, second))
    if a.cells[0][1] is None or b.cells[0][1] is None:
        return None  # a secondary suppression: nothing to subtract
    return b.cells[0][1] - a.cells[0][1]


def test_two_runs_one_hold_apart_do_not_give_the_difference_away():
    """Over many random datasets the published difference of the cell that gained one hold is
    the true difference (1) only sometimes, is 0 (as if nobody moved) about as often, and takes
    several values: subtracting two runs does not say whether a person moved."""
    rng = random.Random(20261205)
    for moved in (False, True):
        trials = 4000
        differences = Counter(_published_difference(rng, moved) for _ in range(trials))
        assert differences.pop(None, 0) < trials / 10
        trials = differences.total()
        exact = differences[1] / trials
        looks_unchanged = differences[0] / trials
        assert exact < 0.35, differences
        assert looks_unchanged > 0.08, differences
        assert len(differences) >= 7, differences
        assert all(abs(d - 1) <= 2 * MAX_PERTURBATION for d in differences)


def test_without_perturbation_the_difference_would_be_exact():
    """The test above can fail: with suppression alone every difference is exactly 1."""
    rng = random.Random(7)
    compared = 0
    for _ in range(200):
        records = [(0, 1, rng.randrange(KEY_RANGE)) for _ in range(rng.randrange(5, 40))]
        more = [*records, (0, 1, rng.randrange(KEY_RANGE))]
        a = suppress_table(_grid(1, 2, records)[0])
        b = suppress_table(_grid(1, 2, more)[0])
        if a.cells[0][1] is not None and b.cells[0][1] is not None:
            assert b.cells[0][1] - a.cells[0][1] == 1
            compared += 1
    assert compared > 150  # the control compared something: suppression hid few pairs


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(1, 400), min_size=0, max_size=30),
    st.integers(1, 400),
    keys,
    keys,
)
def test_a_sum_of_days_is_suppressed_under_5_holds_and_never_negative(days, one, key, extra):
    shown = perturb_sum(sum(days), len(days), max(days, default=0), key)
    if not days:
        assert shown == 0
    elif len(days) < SUPPRESS_BELOW:
        assert shown is None
    else:
        assert shown is not None and shown >= 0
        assert abs(shown - sum(days)) <= max(days) + 1
        assert shown == perturb_sum(sum(days), len(days), max(days), key)


def test_a_sum_of_days_one_hold_apart_does_not_give_that_holds_days():
    rng = random.Random(14)
    exact = 0
    trials = 3000
    for _ in range(trials):
        days = [rng.randrange(1, 200) for _ in range(rng.randrange(5, 50))]
        hold_days, hold_key = rng.randrange(1, 200), rng.randrange(KEY_RANGE)
        key = rng.randrange(KEY_RANGE)
        before = perturb_sum(sum(days), len(days), max(days), key)
        after = perturb_sum(
            sum(days) + hold_days, len(days) + 1, max(*days, hold_days), key + hold_key
        )
        assert before is not None and after is not None
        exact += after - before == hold_days
    assert exact / trials < 0.05
