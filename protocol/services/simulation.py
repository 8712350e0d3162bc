"""Policy simulation: every hold not ended by an end confirmation evaluated by the pure engine
under a proposed policy beside the running one, on a date, over the same facts the workers read
(`snapshot.snapshots_for`, one statement a batch). Nothing about a hold is written: the answer is
counts only (from → to status, days of protection gained and lost, grounds), no identity, every
count suppressed as the statistics are and then perturbed by the cell-key method
(`protocol.suppression.perturb_table`), so that two runs a day or a setting's unit apart cannot
be subtracted to single out the one person who moved (ADR 0015).

Memory stays flat: holds are walked a batch at a time by primary key (keyset paging), and only
the running totals are kept.
"""

from __future__ import annotations

import hmac
import json
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from time import perf_counter
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ..models import EndConfirmation, Hold, PolicySimulation
from ..policy import current_policy
from ..rules import SETTINGS, Decision, Facts, Policy, PolicyError, evaluate, values
from ..snapshot import FACTS_COLUMNS, facts_from_row
from ..suppression import (
    KEY_RANGE,
    SUPPRESS_BELOW,
    perturb_count,
    perturb_sum,
    perturb_table,
    record_key,
)
from .evaluation import today

FORECAST_DAYS = 365
# Simulations of more holds than this run on the Celery worker; fewer are answered at once.
RUN_NOW_UP_TO = 2000


class SimulationInputError(ValueError):
    """Bad simulation input: `errors` maps each offending field to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def proposed_policy(changes: object, *, running: Policy | None = None) -> Policy:
    """The running policy with `changes` applied (`{"grace_days": 14, "appeal_window_days":
    {"crown": 21}}`; a nested setting may name one court). Raises `SimulationInputError` naming
    `policy.<setting>` for an unknown setting or a bad value."""
    running = running or current_policy()
    if not isinstance(changes, Mapping) or not changes:
        raise SimulationInputError({"policy": ["Give at least one policy setting to change."]})
    values_now = running.as_dict()
    errors: dict[str, list[str]] = {}
    for name, value in changes.items():
        if name not in SETTINGS:
            errors[f"policy.{name}"] = [f"Unknown policy setting. Known: {', '.join(SETTINGS)}."]
        elif name == "appeal_window_days" and isinstance(value, Mapping):
            values_now[name] = {**values_now[name], **value}
        else:
            values_now[name] = value
    if errors:
        raise SimulationInputError(errors)
    for name in changes:
        try:
            Policy.from_mapping({name: values_now[name]})
        except PolicyError as error:
            errors[f"policy.{name}"] = [str(error)]
    if errors:
        raise SimulationInputError(errors)
    return Policy.from_mapping(values_now)


def parse_set(assignments: list[str]) -> dict[str, Any]:
    """`NAME=VALUE` strings (`appeal_window_days.crown=21`) as a changes mapping: numbers as
    numbers, true/false as booleans, anything else as text."""
    changes: dict[str, Any] = {}
    for assignment in assignments:
        name, sep, raw = assignment.partition("=")
        if not sep or not name:
            raise SimulationInputError({"--set": [f"Expected NAME=VALUE, got {assignment!r}."]})
        value: Any = raw
        if raw.lstrip("-").isdigit():
            value = int(raw)
        elif raw.lower() in ("true", "false"):
            value = raw.lower() == "true"
        outer, dot, inner = name.partition(".")
        if dot:
            changes.setdefault(outer, {})
            if not isinstance(changes[outer], dict):
                raise SimulationInputError({f"policy.{outer}": ["Given both whole and nested."]})
            changes[outer][inner] = value
        else:
            changes[name] = value
    return changes


def check_on(on: date | None) -> date:
    """`on`: today or a date within the next 365 days (`SimulationInputError` naming `on`)."""
    first = today()
    if on is None:
        return first
    if not first <= on <= first + timedelta(days=FORECAST_DAYS):
        raise SimulationInputError(
            {"on": [f"Give today or a date within the next {FORECAST_DAYS} days."]}
        )
    return on


# One batch of simulated holds with their victims' facts, in one statement, walked by hold id
# (keyset paging): the facts the workers read (`FACTS_COLUMNS`), without locking anything. The
# batch comes back as one JSON text (one `json.loads` a batch rather than three a hold: the
# facts' columns are JSON already), with the batch's last hold id for the next page.
_BATCH_SQL = (
    "SELECT json_agg(json_build_array("  # noqa: S608 (constant strings joined; no input)
    "batch.hold_id, batch.victim_id, batch.facts_version, batch.cases, batch.support, "
    "batch.applications, batch.override, batch.confirmation) ORDER BY batch.hold_id)::text, "
    "max(batch.hold_id::text) FROM (SELECT hold.id, victim.id, "
    + FACTS_COLUMNS
    + """
FROM protocol_hold hold JOIN victims_victim victim ON victim.id = hold.victim_id
WHERE hold.id > %s::uuid
  AND NOT EXISTS (SELECT 1 FROM protocol_endconfirmation e WHERE e.hold_id = hold.id)
ORDER BY hold.id LIMIT %s) AS batch(hold_id, victim_id, facts_version, cases, support,
  applications, override, confirmation)"""
)
_FIRST_ID = "00000000-0000-0000-0000-000000000000"


def simulated_holds():
    """The holds a simulation evaluates: every hold not ended by an end confirmation."""
    confirmed = EndConfirmation.objects.values("hold_id")
    return Hold.objects.exclude(pk__in=confirmed)


def _protected_days(decision: Decision, on: date) -> int | None:
    """Days of protection from `on`: 0 when not in force, None when open-ended."""
    if not decision.in_force:
        return 0
    if decision.protected_until is None:
        return None
    return max((decision.protected_until - on).days, 0)


def record_secret() -> bytes:
    """The secret of the holds' record keys (cell-key method): derived from SECRET_KEY for this
    one purpose, never stored beside a hold and never published."""
    secret = str(settings.SECRET_KEY).encode()
    return hmac.digest(secret, b"protocol.simulation.record-key", "sha256")


@dataclass
class Tally:
    """The running totals of a simulation (counts only: nothing identifies a hold). Beside each
    count, the sum of its holds' record keys (`protocol.suppression.record_key`), for its cell
    key; beside each sum of days, the largest one hold's days, for the scale of its noise."""

    holds: int = 0
    status_changed: int = 0
    transitions: Counter = field(default_factory=Counter)
    transition_keys: Counter = field(default_factory=Counter)
    days_gained: int = 0
    holds_gaining: int = 0
    most_gained: int = 0
    days_lost: int = 0
    holds_losing: int = 0
    most_lost: int = 0
    became_open_ended: int = 0
    stopped_open_ended: int = 0
    # The key sums of the holds gaining, losing, becoming and stopping being open-ended.
    keys: Counter = field(default_factory=Counter)
    grounds_running: Counter = field(default_factory=Counter)
    grounds_proposed: Counter = field(default_factory=Counter)
    ground_keys_running: Counter = field(default_factory=Counter)
    ground_keys_proposed: Counter = field(default_factory=Counter)
    # Seconds spent reading facts and evaluating under each policy (for the benchmark).
    read_s: float = 0.0
    running_s: float = 0.0
    proposed_s: float = 0.0

    def add(self, running: Decision, proposed: Decision, on: date, key: int = 0) -> None:
        """Count one hold, whose record key is `key`."""
        self.holds += 1
        cell = (running.status, proposed.status)
        self.transitions[cell] += 1
        self.transition_keys[cell] += key
        if running.status != proposed.status:
            self.status_changed += 1
        for ground in running.grounds:
            self.grounds_running[ground] += 1
            self.ground_keys_running[ground] += key
        for ground in proposed.grounds:
            self.grounds_proposed[ground] += 1
            self.ground_keys_proposed[ground] += key
        before, after = _protected_days(running, on), _protected_days(proposed, on)
        if before is None and after is not None:
            self.stopped_open_ended += 1
            self.keys["stopped_open_ended"] += key
        elif after is None and before is not None:
            self.became_open_ended += 1
            self.keys["became_open_ended"] += key
        elif before is not None and after is not None:
            if after > before:
                self.days_gained += after - before
                self.holds_gaining += 1
                self.most_gained = max(self.most_gained, after - before)
                self.keys["gaining"] += key
            elif after < before:
                self.days_lost += before - after
                self.holds_losing += 1
                self.most_lost = max(self.most_lost, before - after)
                self.keys["losing"] += key


def simulate(
    *,
    proposed: Policy,
    on: date,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> Tally:
    """Evaluate every simulated hold under the running and the proposed policy (read only)."""
    running = current_policy()
    secret = record_secret()
    tally = Tally()
    started = perf_counter()
    for batch in simulated_batches(batch_size):
        keys = [record_key(secret, hold_id) for hold_id, _facts in batch]
        read = perf_counter()
        running_decisions = [evaluate(facts, on, running) for _hold_id, facts in batch]
        evaluated = perf_counter()
        proposed_decisions = [evaluate(facts, on, proposed) for _hold_id, facts in batch]
        tally.read_s += read - started
        tally.running_s += evaluated - read
        tally.proposed_s += perf_counter() - evaluated
        for before, after, key in zip(running_decisions, proposed_decisions, keys, strict=True):
            tally.add(before, after, on, key)
        if progress is not None:
            progress(len(batch))
        started = perf_counter()
    return tally


def simulated_batches(batch_size: int = 2000) -> Iterator[list[tuple[bytes, Facts]]]:
    """Every simulated hold's id (16 bytes) with its victim's facts, built from the workers' own
    columns by the workers' own `facts_from_row`, a batch of `batch_size` at a time in hold id
    order, one statement a batch. Outside a transaction the next batch is read by a thread of
    its own (its own connection) while this one is evaluated, so the database's work and
    Python's overlap; inside one (a small simulation in a request, a test) the batches are read
    here, on the transaction's connection, which alone sees what it has written."""
    texts = (
        _batch_texts(batch_size)
        if connection.in_atomic_block
        else _read_ahead(lambda: _batch_texts(batch_size))
    )
    for text in texts:
        yield [
            (bytes.fromhex(hold_id.replace("-", "")), facts_from_row(columns))
            for hold_id, _victim_id, *columns in json.loads(text)
        ]


def _batch_texts(batch_size: int) -> Iterator[str]:
    """Each batch's JSON text (`_BATCH_SQL`), walking the holds by primary key. JIT compilation
    is off for the statement: the planner's estimate for the whole walk makes PostgreSQL compile
    it for every batch, which costs more than the batch's own work."""
    last_id = _FIRST_ID  # the smallest UUID: a plain `>` keeps the walk on the primary key
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(_BATCH_SQL, [last_id, batch_size])
            text, last_id = cursor.fetchone()
        if text is None:
            return
        yield text


_DONE = object()


def _read_ahead(produce: Callable[[], Iterator[str]], depth: int = 2) -> Iterator[str]:
    """The items of `produce()`, made by a thread of their own at most `depth` ahead (memory
    stays flat). The thread's database connection is its own and closed when it ends; an error
    there is raised here; stopping early here stops the thread."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> None:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def work() -> None:
        try:
            for item in produce():
                if stop.is_set():
                    return
                put(item)
        except BaseException as error:  # handed to the reader, raised there  # noqa: BLE001
            put(_Failed(error))
        finally:
            put(_DONE)
            connection.close()

    thread = threading.Thread(target=work, name="simulation-read-ahead", daemon=True)
    thread.start()
    try:
        while (item := ready.get()) is not _DONE:
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join()


@dataclass(frozen=True)
class _Failed:
    error: BaseException


def result(tally: Tally, *, proposed: Policy, on: date) -> dict:
    """The anonymised answer: every count suppressed from 1 to 4 (and further, so that none can
    be worked out from the rest) and perturbed by the cell-key method; every sum of days
    suppressed under 5 holds and perturbed in proportion to its largest one hold's days
    (`protocol.suppression`, ADR 0015)."""
    statuses = list(values.HOLD_STATUSES)
    grid = [[tally.transitions[(a, b)] for b in statuses] for a in statuses]
    grid_keys = [[tally.transition_keys[(a, b)] % KEY_RANGE for b in statuses] for a in statuses]
    # The holds that would change status: the cells off the diagonal, one more published sum.
    off_diagonal = [(r, c) for r in range(len(statuses)) for c in range(len(statuses)) if r != c]
    table = perturb_table(grid, grid_keys, [off_diagonal])
    grounds = list(values.GROUND_CODES)
    ground_table = perturb_table(
        [[tally.grounds_running[g], tally.grounds_proposed[g]] for g in grounds],
        [[tally.ground_keys_running[g], tally.ground_keys_proposed[g]] for g in grounds],
    )
    keys = tally.keys
    return {
        "on": on.isoformat(),
        "policy": proposed.as_dict(),
        "running_policy": current_policy().as_dict(),
        "suppressed_below": SUPPRESS_BELOW,
        "perturbed": True,
        # The from-to table's total, as published there: a count of our own could give it away.
        "holds": table.total,
        "changed": table.extra_totals[0],
        "status_changes": {
            "statuses": [{"key": s, "label": values.LABELS[s]} for s in statuses],
            "from_to": table.cells,
            "from_totals": table.row_totals,
            "to_totals": table.column_totals,
            "total": table.total,
        },
        "protection_days": {
            "gained": perturb_sum(
                tally.days_gained, tally.holds_gaining, tally.most_gained, keys["gaining"]
            ),
            "holds_gaining": perturb_count(tally.holds_gaining, keys["gaining"]),
            "lost": perturb_sum(
                tally.days_lost, tally.holds_losing, tally.most_lost, keys["losing"]
            ),
            "holds_losing": perturb_count(tally.holds_losing, keys["losing"]),
            "became_open_ended": perturb_count(tally.became_open_ended, keys["became_open_ended"]),
            "stopped_open_ended": perturb_count(
                tally.stopped_open_ended, keys["stopped_open_ended"]
            ),
        },
        "by_ground": [
            {
                "key": ground,
                "label": values.LABELS[ground],
                "running": ground_table.cells[i][0],
                "proposed": ground_table.cells[i][1],
            }
            for i, ground in enumerate(grounds)
        ],
    }


def simulation_run(*, simulation_id) -> None:
    """Run a kept simulation and keep its result (the worker's task, or at once for a small
    one). Its progress is written as it goes, for the page's progress bar."""
    kept = PolicySimulation.objects.get(pk=simulation_id)
    if kept.status == PolicySimulation.Status.DONE:
        return
    PolicySimulation.objects.filter(pk=kept.pk).update(
        status=PolicySimulation.Status.RUNNING, total=simulated_holds().count(), done=0
    )
    done = 0

    def progress(count: int) -> None:
        nonlocal done
        done += count
        PolicySimulation.objects.filter(pk=kept.pk).update(done=done)

    try:
        proposed = proposed_policy(kept.policy)
        tally = simulate(proposed=proposed, on=kept.on, progress=progress)
    except Exception:
        PolicySimulation.objects.filter(pk=kept.pk).update(status=PolicySimulation.Status.FAILED)
        raise
    PolicySimulation.objects.filter(pk=kept.pk).update(
        status=PolicySimulation.Status.DONE,
        result=result(tally, proposed=proposed, on=kept.on),
        finished_at=timezone.now(),
    )


def simulation_request(*, by, policy: dict, on: date) -> PolicySimulation:
    """Keep a simulation asked for by `by` and run it: at once when it is small, else on the
    worker after this transaction commits (the caller's, with its access event)."""
    kept = PolicySimulation.objects.create(requested_by=by, policy=policy, on=on)
    if simulated_holds().count() <= RUN_NOW_UP_TO:
        simulation_run(simulation_id=kept.pk)
        kept.refresh_from_db()
    else:
        transaction.on_commit(
            lambda: current_app.send_task("protocol.tasks.simulate_policy", args=[str(kept.pk)]),
            robust=True,
        )
    return kept
