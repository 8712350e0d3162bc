"""The one place that reads the database and builds the rules' facts.

Facts are built for a batch of victims with a fixed number of queries (one per kind of fact),
so re-evaluating one hold and re-evaluating a hundred thousand share the same code.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from cases.models import Case
from victims.models import Application, SupportEngagement, Victim

from .models import EndConfirmation, Override
from .rules import (
    ApplicationFacts,
    CaseFacts,
    EndConfirmationFacts,
    Facts,
    OverrideFacts,
    SupportFacts,
    facts_to_dict,
)


@dataclass(frozen=True)
class Snapshot:
    """One victim's facts and the `facts_version` they were read at."""

    victim_id: UUID
    facts_version: int
    facts: Facts


def snapshots_for(victim_ids: Iterable[UUID]) -> dict[UUID, Snapshot]:
    """Facts for each victim in `victim_ids`, in six queries whatever the batch size.

    Call inside the transaction that holds the victims' hold rows locked, so the facts and the
    `facts_version` read here belong together.
    """
    ids = list(victim_ids)
    versions = dict(Victim.objects.filter(pk__in=ids).values_list("pk", "facts_version"))
    cases: dict[UUID, list[CaseFacts]] = defaultdict(list)
    for row in (
        Case.objects.filter(victim_id__in=ids)
        .order_by("referred_on", "created_at")
        .values_list(
            "victim_id",
            "reference",
            "role",
            "referred_on",
            "investigation_status",
            "closed_on",
            "outcome_code",
            "prosecution_status",
            "court",
            "concluded_on",
        )
    ):
        victim_id, reference, role, referred_on, inv, closed_on, outcome, pros, court, concl = row
        cases[victim_id].append(
            CaseFacts(
                role=role,
                referred_on=referred_on,
                investigation_status=inv,
                closed_on=closed_on,
                outcome_code=outcome,
                prosecution_status=pros,
                court=court or None,
                concluded_on=concl,
                label=reference,
            )
        )
    support: dict[UUID, list[SupportFacts]] = defaultdict(list)
    for victim_id, code, status, started_on, last_contact_on, closed_on in (
        SupportEngagement.objects.filter(victim_id__in=ids)
        .order_by("started_on", "created_at")
        .values_list(
            "victim_id",
            "organisation__code",
            "status",
            "started_on",
            "last_contact_on",
            "closed_on",
        )
    ):
        support[victim_id].append(
            SupportFacts(
                status=status,
                started_on=started_on,
                last_contact_on=last_contact_on,
                closed_on=closed_on,
                label=f"support by {code}",
            )
        )
    applications: dict[UUID, list[ApplicationFacts]] = defaultdict(list)
    for victim_id, route, status, submitted_on, decided_on, leave_expires_on in (
        Application.objects.filter(victim_id__in=ids)
        .order_by("submitted_on", "created_at")
        .values_list(
            "victim_id", "route", "status", "submitted_on", "decided_on", "leave_expires_on"
        )
    ):
        applications[victim_id].append(
            ApplicationFacts(
                route=route,
                status=status,
                submitted_on=submitted_on,
                decided_on=decided_on,
                leave_expires_on=leave_expires_on,
                label=f"{route} application submitted {submitted_on.isoformat()}",
            )
        )
    # The override the rules read: the approved one if any, otherwise the latest.
    overrides: dict[UUID, OverrideFacts] = {}
    for victim_id, status, approved_on, expires_on in (
        Override.objects.filter(hold__victim_id__in=ids)
        .order_by("requested_at")
        .values_list("hold__victim_id", "status", "approved_on", "expires_on")
    ):
        current = overrides.get(victim_id)
        if current is None or current.status != "approved" or status == "approved":
            overrides[victim_id] = OverrideFacts(
                status=status, approved_on=approved_on, expires_on=expires_on
            )
    confirmations: dict[UUID, EndConfirmationFacts] = {}
    for victim_id, confirmed_on, reason in (
        EndConfirmation.objects.filter(hold__victim_id__in=ids)
        .order_by("confirmed_on", "created_at")
        .values_list("hold__victim_id", "confirmed_on", "reason")
    ):
        confirmations[victim_id] = EndConfirmationFacts(confirmed_on=confirmed_on, reason=reason)
    return {
        victim_id: Snapshot(
            victim_id=victim_id,
            facts_version=version,
            facts=Facts(
                cases=tuple(cases.get(victim_id, ())),
                support=tuple(support.get(victim_id, ())),
                applications=tuple(applications.get(victim_id, ())),
                override=overrides.get(victim_id),
                end_confirmation=confirmations.get(victim_id),
            ),
        )
        for victim_id, version in versions.items()
    }


def snapshot_for(victim_id: UUID) -> Snapshot:
    """Facts for one victim (see `snapshots_for`)."""
    return snapshots_for([victim_id])[victim_id]


def facts_as_record(facts: Facts) -> dict:
    """The facts in the scenario file format, so a stored decision can be replayed with
    `manage.py evaluate_scenarios`. Dates and statuses only: no names, no narrative."""
    return facts_to_dict(facts)
