"""Possible duplicates: two records that may be one person, merged or dismissed by police
supervisors (API.md "One person, one record"; ADR 0012).

A merge is proposed by one supervisor and confirmed by a supervisor of the other record's force
(or by a second supervisor, when both records are one force's). The record referred first
survives: every fact, grant and record of the other moves to it, its hold becomes the surviving
hold's history (its reference an alias of that hold), no override or end confirmation carries
over, and the hold is re-evaluated from all the facts in the same transaction.

Locks, always in this order, so that two merges, or a merge and a status change, queue rather
than deadlock: the two victims (by id), the pair, the two holds (by id), then the rows moved and
any other pair naming the merged record. Every writer of a pair locks its victims first, and a
status change locks its victim before its case (`cases.services.case_status_change`), so it
waits for a merge or the merge waits for it (ADR 0012).
"""

from dataclasses import dataclass
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import ForeignKey, OneToOneField, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from cases.models import Case
from core.errors import ConflictError
from core.permissions import record_access
from core.roles import OrganisationKind, Role
from victims.models import (
    OPEN_SUPPORT_STATUSES,
    PossibleDuplicate,
    SupportEngagement,
    SupportUpdate,
    Victim,
    VictimGroupObjectPermission,
)
from victims.selectors import possible_duplicate_list

from ..models import EndConfirmation, Hold, HoldAlias, Override
from . import evaluation
from .evaluation import Trigger
from .notifications import notify_organisation

NOT_A_PAIR = "These records are no longer a possible duplicate: the pair was already {status}."


@dataclass(frozen=True)
class MergeAnswer:
    """What a merge call did: `merged` False when it only proposed the merge."""

    pair: PossibleDuplicate
    merged: bool
    survivor: Victim
    hold: Hold | None


def _forces(victim_ids) -> set:
    return set(
        Case.objects.filter(victim_id__in=victim_ids).values_list("force_id", flat=True).distinct()
    )


def _locked_pair(*, user: User, pair_id: UUID) -> tuple[PossibleDuplicate, Victim, Victim]:
    """The pair (one the supervisor may see, `DoesNotExist` otherwise), its two victims locked
    (by id) and then the pair locked, re-read after the locks."""
    if not user.has_role(Role.POLICE_SUPERVISOR):
        raise PermissionDenied("Only a police supervisor may decide a possible duplicate.")
    pair = possible_duplicate_list(user=user, open_only=False).get(pk=pair_id)
    victims = list(
        Victim.records.select_for_update()
        .filter(pk__in=(pair.first_id, pair.second_id))
        .order_by("pk")
    )
    locked = PossibleDuplicate.objects.select_for_update().get(pk=pair.pk)
    if locked.status != PossibleDuplicate.Status.OPEN:
        raise ConflictError(NOT_A_PAIR.format(status=locked.get_status_display().lower()))
    by_id = {victim.pk: victim for victim in victims}
    if (
        (locked.first_id, locked.second_id) != (pair.first_id, pair.second_id)
        or len(by_id) != 2
        or any(victim.merged_into_id for victim in victims)
    ):
        raise ConflictError(_("This pair changed while you were deciding: look at it again."))
    return locked, by_id[locked.first_id], by_id[locked.second_id]


@transaction.atomic
def possible_duplicate_merge(*, user: User, pair_id: UUID) -> MergeAnswer:
    """Propose the merge of a possible duplicate, or confirm another supervisor's proposal and
    merge the two records into the one referred first."""
    pair, first, second = _locked_pair(user=user, pair_id=pair_id)
    if pair.proposed_by_id is None:
        pair.proposed_by, pair.proposed_at = user, timezone.now()
        pair.save(update_fields=["proposed_by", "proposed_at"])
        return MergeAnswer(pair=pair, merged=False, survivor=first, hold=None)
    if pair.proposed_by_id == user.pk:
        raise ConflictError(
            _(
                "You proposed this merge: a supervisor of the other record's force (or another "
                "supervisor, when both records are your force's) must confirm it."
            )
        )
    proposer = pair.proposed_by
    proposer_force = proposer.organisation_id if proposer is not None else None
    if len(_forces([first.pk, second.pk])) > 1 and user.organisation_id == proposer_force:
        raise ConflictError(
            _("A supervisor of your force proposed this merge: the other force must confirm it.")
        )
    hold = _merge(pair=pair, survivor=first, merged=second, by=user)
    return MergeAnswer(pair=pair, merged=True, survivor=first, hold=hold)


@transaction.atomic
def possible_duplicate_dismiss(*, user: User, pair_id: UUID) -> PossibleDuplicate:
    """Decide that the two records are two people: the pair is no longer listed."""
    pair, _first, _second = _locked_pair(user=user, pair_id=pair_id)
    pair.status = PossibleDuplicate.Status.DISMISSED
    pair.decided_by, pair.decided_at = user, timezone.now()
    pair.save(update_fields=["status", "decided_by", "decided_at"])
    return pair


def _merge(*, pair: PossibleDuplicate, survivor: Victim, merged: Victim, by: User) -> Hold:
    now = timezone.now()
    holds = {
        hold.victim_id: hold
        for hold in Hold.objects.select_for_update()
        .filter(victim_id__in=(survivor.pk, merged.pk))
        .order_by("pk")
    }
    surviving_hold, merged_hold = holds[survivor.pk], holds.get(merged.pk)
    on_survivor = set(
        Case.objects.filter(victim=survivor).values_list("force_id", "crime_reference")
    )
    for force_id, crime in Case.objects.filter(victim=merged).values_list(
        "force_id", "crime_reference"
    ):
        if (force_id, crime) in on_survivor:
            raise ConflictError(
                _("Both records have a case of one force for crime %(crime)s: correct one first.")
                % {"crime": crime}
            )
    hold_ids = [hold.pk for hold in holds.values()]
    _end_overrides(hold_ids, surviving_hold, merged_hold, survivor, merged)
    EndConfirmation.objects.filter(hold_id__in=hold_ids).update(set_aside_by_merge=True)
    _move_support(survivor=survivor, merged=merged, by=by)
    _move_grants(survivor=survivor, merged=merged)
    _move_facts(survivor=survivor, merged=merged)
    if merged_hold is not None:
        for related in ("decisions", "overrides", "end_confirmations", "checks", "notifications"):
            getattr(merged_hold, related).update(hold=surviving_hold)
        HoldAlias.objects.filter(hold=merged_hold).update(hold=surviving_hold)
        HoldAlias.objects.create(reference=merged_hold.reference, hold=surviving_hold)
        merged_hold.delete()
    if not survivor.home_office_reference and merged.home_office_reference:
        survivor.home_office_reference = merged.home_office_reference
        survivor.save(update_fields=["home_office_reference", "home_office_reference_key"])
    Victim.records.filter(pk=merged.pk).update(merged_into=survivor, merged_at=now)
    # Records merged into the merged one before now point at the survivor too: the hold check
    # follows one step, so a chain of merges must never lead it to a hold that is gone.
    Victim.records.filter(merged_into=merged).update(merged_into=survivor)
    pair.status = PossibleDuplicate.Status.MERGED
    pair.decided_by, pair.decided_at = by, now
    pair.save(update_fields=["status", "decided_by", "decided_at"])
    _repoint_pairs(survivor=survivor, merged=merged, by=by, now=now)
    detail = f"{merged.reference} merged into {survivor.reference}"
    for victim in (survivor, merged):
        record_access(
            user=by, action="change", object_type="victim", object_id=str(victim.pk), detail=detail
        )
    # At once, from all the facts, in this transaction: a failure undoes the whole merge.
    evaluation.hold_facts_changed(victim_id=survivor.pk, trigger=Trigger.MERGE)
    return Hold.objects.get(pk=surviving_hold.pk)


def _end_overrides(hold_ids, surviving_hold, merged_hold, survivor, merged) -> None:
    """Requested and approved overrides of either hold end; IE seniors are told."""
    live = list(Override.objects.filter(hold_id__in=hold_ids, status__in=("requested", "approved")))
    if not live:
        return
    Override.objects.filter(pk__in=[override.pk for override in live]).update(
        status="revoked",
        revoked_at=timezone.now(),
        revocation_note=f"Ended by the merge of {merged.reference} into {survivor.reference}.",
    )
    references = {surviving_hold.pk: surviving_hold.reference}
    if merged_hold is not None:
        references[merged_hold.pk] = merged_hold.reference
    for organisation in Organisation.objects.filter(kind=OrganisationKind.IMMIGRATION_ENFORCEMENT):
        for override in live:
            notify_organisation(
                organisation=organisation,
                hold=surviving_hold,
                kind="override_revoked",
                message=(
                    f"Hold {references[override.hold_id]} was merged into hold "
                    f"{surviving_hold.reference}: its {override.status} override has ended. "
                    "Ask again if it is still needed."
                ),
            )


def _move_support(*, survivor: Victim, merged: Victim, by: User) -> None:
    """An organisation with an open engagement on both records keeps one, on the survivor,
    with the later of the two last contacts; the other closes, saying why."""
    open_on_survivor = {
        engagement.organisation_id: engagement
        for engagement in SupportEngagement.objects.filter(
            victim=survivor, status__in=OPEN_SUPPORT_STATUSES
        )
    }
    today = evaluation.today()
    for engagement in SupportEngagement.objects.filter(
        victim=merged, status__in=OPEN_SUPPORT_STATUSES
    ):
        kept = open_on_survivor.get(engagement.organisation_id)
        if kept is None:
            continue
        contacts = [d for d in (kept.last_contact_on, engagement.last_contact_on) if d]
        if contacts and max(contacts) != kept.last_contact_on:
            kept.last_contact_on = max(contacts)
            kept.save(update_fields=["last_contact_on", "updated_at"])
        engagement.status, engagement.closed_on = "closed", max(today, engagement.started_on)
        engagement.save(update_fields=["status", "closed_on", "updated_at"])
        SupportUpdate.objects.create(
            engagement=engagement,
            by=by,
            status="closed",
            closed_on=engagement.closed_on,
            note=f"Records merged: the engagement continues on {survivor.reference}.",
        )


def _move_grants(*, survivor: Victim, merged: Victim) -> None:
    """Every organisation that could see either record can see the survivor."""
    held = set(
        VictimGroupObjectPermission.objects.filter(content_object=survivor).values_list(
            "group_id", "permission_id"
        )
    )
    for grant in VictimGroupObjectPermission.objects.filter(content_object=merged):
        if (grant.group_id, grant.permission_id) not in held:
            VictimGroupObjectPermission.objects.create(
                content_object=survivor, group_id=grant.group_id, permission_id=grant.permission_id
            )
    VictimGroupObjectPermission.objects.filter(content_object=merged).delete()


def _move_facts(*, survivor: Victim, merged: Victim) -> None:
    """Every record naming the merged victim (cases, dependants, notices, consents, support,
    applications, disclosures, and whatever else points at a victim) now names the survivor."""
    skipped = (Victim, PossibleDuplicate, VictimGroupObjectPermission)
    for relation in Victim._meta.related_objects:
        model, field = relation.related_model, relation.field
        if isinstance(model, str) or model in skipped:
            continue
        # The hold (one-to-one) was merged above; only plain foreign keys move here.
        if not isinstance(field, ForeignKey) or isinstance(field, OneToOneField):
            continue
        model._base_manager.filter(**{field.name: merged}).update(**{field.name: survivor})


def _repoint_pairs(*, survivor: Victim, merged: Victim, by: User, now) -> None:
    """Other open pairs naming the merged record now name the survivor (or are settled)."""
    others = PossibleDuplicate.objects.select_for_update().filter(
        Q(first=merged) | Q(second=merged), status=PossibleDuplicate.Status.OPEN
    )
    for pair in others.order_by("pk"):
        other_id = pair.second_id if pair.first_id == merged.pk else pair.first_id
        exists = PossibleDuplicate.objects.filter(
            Q(first_id=survivor.pk, second_id=other_id)
            | Q(first_id=other_id, second_id=survivor.pk)
        ).exists()
        if other_id == survivor.pk or exists:
            pair.status, pair.decided_by, pair.decided_at = "merged", by, now
            pair.save(update_fields=["status", "decided_by", "decided_at"])
            continue
        other = Victim.objects.get(pk=other_id)
        first, second = sorted((survivor, other), key=lambda victim: (victim.created_at, victim.pk))
        pair.first, pair.second = first, second
        pair.proposed_by = pair.proposed_at = None
        pair.save(update_fields=["first", "second", "proposed_by", "proposed_at"])


def decision_message(answer: "MergeAnswer | PossibleDuplicate") -> str:
    """What the supervisor is told after a merge call or a dismissal, in plain words."""
    if isinstance(answer, PossibleDuplicate):
        return _("You dismissed the pair %(first)s and %(second)s: they stay two records.") % {
            "first": answer.first.reference,
            "second": answer.second.reference,
        }
    if not answer.merged:
        return _(
            "You proposed merging %(first)s and %(second)s. A supervisor of the other force "
            "(or another supervisor of yours, if both records are your force's) must confirm it."
        ) % {"first": answer.pair.first.reference, "second": answer.pair.second.reference}
    return _(
        "The records were merged into %(survivor)s, the record referred first. Its hold "
        "%(hold)s is now %(status)s."
    ) % {
        "survivor": answer.survivor.reference,
        "hold": answer.hold.reference if answer.hold else "",
        "status": answer.hold.get_status_display().lower() if answer.hold else "",
    }
