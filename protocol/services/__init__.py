"""The only writers of holds and checks, a module per job:

- `evaluation`: the evaluation core. `hold_create`, `hold_reevaluate` and
  `holds_reevaluate_batch` lock the hold rows, build the facts in one place (`snapshot.py`),
  evaluate, and write a `HoldDecision` only when the decision changed (two SQL statements for
  one hold or a thousand; ADR 0002).
- `sweep`: which holds the sweep re-evaluates (lagging, due, and a re-check walk).
- `checks`: the IE hold check, which evaluates a lagging hold first and records the check, the
  disclosures and the access event (ADR 0007).
- `overrides`: public-protection overrides and end confirmations.
- `notifications`: telling forces and support organisations about a hold's steps.

The names below are re-exported so callers say `services.hold_reevaluate(...)`. A test that
replaces a function replaces it in the module that calls it (`services.evaluation.evaluate`).
The bump of `facts_version` is the victim's: `victims.services.facts_changed`.
"""

from .checks import HoldCheckAnswer, hold_check
from .evaluation import (
    STORED_FIELDS,
    BatchResult,
    HoldEvaluationError,
    StoredHold,
    Trigger,
    hold_create,
    hold_reevaluate,
    hold_verify,
    holds_reevaluate_batch,
    today,
)
from .notifications import notification_mark_read, notify, notify_organisation
from .overrides import (
    NOT_ENDABLE,
    NOT_OVERRIDABLE,
    end_confirm,
    override_approve,
    override_reject,
    override_request,
    override_revoke,
)
from .sweep import (
    RECHECK_BOOKMARK,
    due_hold_ids,
    hold_ids_after,
    holds_needing_evaluation,
    recheck_done,
    recheck_hold_ids,
)

__all__ = [
    "NOT_ENDABLE",
    "NOT_OVERRIDABLE",
    "RECHECK_BOOKMARK",
    "STORED_FIELDS",
    "BatchResult",
    "HoldCheckAnswer",
    "HoldEvaluationError",
    "StoredHold",
    "Trigger",
    "due_hold_ids",
    "end_confirm",
    "hold_check",
    "hold_create",
    "hold_ids_after",
    "hold_reevaluate",
    "hold_verify",
    "holds_needing_evaluation",
    "holds_reevaluate_batch",
    "notification_mark_read",
    "notify",
    "notify_organisation",
    "override_approve",
    "override_reject",
    "override_request",
    "override_revoke",
    "recheck_done",
    "recheck_hold_ids",
    "today",
]
