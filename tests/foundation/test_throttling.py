"""The per-user rate limit (core/throttling.py), on the real Redis: a sliding window, and a
Retry-After that a well-behaved client can trust."""

import time
import uuid

from core.throttling import _wait, take


def test_a_client_that_waits_as_told_is_let_in():
    key = f"test:{uuid.uuid4().hex}"
    assert take(key, limit=2, duration=2) is None
    assert take(key, limit=2, duration=2) is None
    wait = take(key, limit=2, duration=2)
    assert wait is not None and 1 <= wait <= 4
    assert take(key, limit=2, duration=2) is not None  # refused again, and not counted
    time.sleep(wait)
    assert take(key, limit=2, duration=2) is None


def test_the_wait_accounts_for_the_previous_window_still_counting():
    # 3 allowed per 4 s; none so far in this window, 3 in the previous, 1 s into the window:
    # the previous window's weight 3 * (1 - t/4) must fall to 2, at t = 4/3 s, so 1/3 s more.
    assert abs(_wait(used=0, before=3, limit=3, duration=4, elapsed=1.0) - 1 / 3) < 1e-9
    # 3 used in this window already: nothing fits before the next window, where this window's
    # 3 must fade to 2, a third of the way into it.
    assert abs(_wait(used=3, before=0, limit=3, duration=4, elapsed=1.0) - (3 + 4 / 3)) < 1e-9
