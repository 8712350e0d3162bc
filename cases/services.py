"""Writes for referrals and case status changes. One transaction each.

A referral creates the victim (or adds a case to one already known to the force), the case, the
dependants, the notice given to the victim, the force's grants, and the victim's hold, all in
one transaction: the hold is in force before any worker has run.
"""

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Subquery
from django.utils import timezone
from django.utils.translation import gettext
from guardian.shortcuts import assign_perm

from accounts.models import User
from core.errors import ConflictError
from core.normalise import home_office_reference_key, name_key
from core.validation import check_not_before, check_not_future, raise_if, require
from protocol import services as hold_services
from protocol.models import Hold
from victims import services as victims_services
from victims.models import DataSharingNotice, Dependant, NoticeText, PossibleDuplicate, Victim
from victims.selectors import victim_get

from .models import Case, CaseStatusChange
from .selectors import can_change_case

VICTIM_FIELDS = (
    "given_names",
    "family_name",
    "date_of_birth",
    "nationality",
    "home_office_reference",
    "preferred_language",
    "interpreter_needed",
    "contact",
    "address",
)
CASE_FIELDS = (
    "crime_reference",
    "crime_type",
    "role",
    "reported_on",
    "referred_on",
    "investigation_status",
    "narrative",
)
logger = logging.getLogger(__name__)

STATUS_FIELDS = (
    "investigation_status",
    "closed_on",
    "outcome_code",
    "prosecution_status",
    "court",
    "concluded_on",
)
CONCLUDED_PROSECUTIONS = ("sentenced", "acquitted", "discontinued", "no_charge")


@dataclass(frozen=True)
class Referral:
    victim: Victim
    case: Case
    hold: Hold
    joined: bool = False  # the victim was already on record (by Home Office reference)


def joined_message(referral: Referral) -> str:
    """What the officer is told when the referral joined a person already on record."""
    return gettext(
        "This person was already on record with this Home Office reference: your case was "
        "added to their record %(victim)s, and they keep one hold, %(hold)s."
    ) % {"victim": referral.victim.reference, "hold": referral.hold.reference}


def _person_on_record(new: Victim) -> Victim | None:
    """The victim already on record (from any force) with the new victim's Home Office
    reference, locked; None if there is none. A reference on record for someone whose
    normalised names or date of birth differ is a 409 naming the reference."""
    new.home_office_reference_key = home_office_reference_key(new.home_office_reference)
    new.family_name_key, new.given_names_key = name_key(new.family_name), name_key(new.given_names)
    if not new.home_office_reference_key:
        return None
    known = (
        Victim.objects.select_for_update()
        .filter(home_office_reference_key=new.home_office_reference_key)
        .order_by("created_at", "pk")
        .first()
    )
    if known is None:
        return None
    same = (
        known.family_name_key == new.family_name_key
        and known.given_names_key == new.given_names_key
        and known.date_of_birth == new.date_of_birth
    )
    if not same:
        raise ConflictError(
            {
                "victim.home_office_reference": [
                    "This Home Office reference is on record for someone whose name or date of "
                    "birth differs: check the reference, the name and the date of birth."
                ]
            }
        )
    return known


def _record_possible_duplicates(new: Victim) -> None:
    """Pair the new victim with every victim on record with the same normalised names and date
    of birth (and no Home Office reference joining them): supervisors decide (API.md)."""
    same_person = Victim.objects.filter(
        family_name_key=new.family_name_key,
        given_names_key=new.given_names_key,
        date_of_birth=new.date_of_birth,
    ).exclude(pk=new.pk)
    if new.home_office_reference_key:
        same_person = same_person.filter(home_office_reference_key="")
    PossibleDuplicate.objects.bulk_create(
        PossibleDuplicate(
            first=known,
            second=new,
            nationality_match=known.nationality == new.nationality,
        )
        for known in same_person.order_by("created_at", "pk")[:20]
    )


def _grant_force(force_group, victim: Victim, case: Case) -> None:
    assign_perm("victims.view_victim", force_group, victim)
    assign_perm("victims.change_victim", force_group, victim)
    assign_perm("cases.view_case", force_group, case)
    assign_perm("cases.change_case", force_group, case)


def check_notice_held(errors: dict[str, list[str]], notice: dict[str, Any]) -> None:
    """A referral names the notice the victim was given: a version and language whose text is
    held (API.md "The victim's side"), so the victim's record can show the exact words."""
    version, language = notice.get("version"), notice.get("language")
    held = NoticeText.objects.filter(version=version)
    if not held.exists():
        errors.setdefault("notice.version", []).append(
            f"No notice text of version {version} is held: give the version printed on the "
            "notice you gave."
        )
    elif not held.filter(language=language).exists():
        errors.setdefault("notice.language", []).append(
            f"Version {version} of the notice is not held in the language {language}."
        )


@transaction.atomic
def referral_create(
    *,
    officer: User,
    case: dict[str, Any],
    notice: dict[str, Any],
    victim: dict[str, Any] | None = None,
    victim_id: UUID | None = None,
    dependants: list[dict[str, Any]] | None = None,
) -> Referral:
    """Log a police referral: a victim (new, or one already known to this force) and a case."""
    force = officer.organisation
    if force is None:
        raise PermissionDenied("Only an officer of a police force may log a referral.")
    errors: dict[str, list[str]] = {}
    case_data = {key: case[key] for key in CASE_FIELDS if key in case}
    case_data.setdefault("referred_on", timezone.localdate())
    case_data.setdefault("narrative", "")
    check_not_future(errors, "case.reported_on", case_data.get("reported_on"))
    check_not_future(errors, "case.referred_on", case_data.get("referred_on"))
    check_not_before(
        errors,
        "case.referred_on",
        case_data.get("referred_on"),
        case_data.get("reported_on"),
        "the date the crime was reported",
    )
    check_not_future(errors, "notice.given_on", notice.get("given_on"))
    check_notice_held(errors, notice)
    if (victim is None) == (victim_id is None):
        errors.setdefault("victim", []).append("Give either a new victim or the victim_id.")
    if victim is not None:
        check_not_future(errors, "victim.date_of_birth", victim.get("date_of_birth"))
    for index, dependant in enumerate(dependants or []):
        check_not_future(errors, f"dependants[{index}].date_of_birth", dependant["date_of_birth"])
    raise_if(errors)

    if victim_id is not None:
        try:
            victim_record = victim_get(user=officer, victim_id=victim_id)
        except Victim.DoesNotExist:
            raise ValidationError(
                {"victim_id": "No victim with this id is known to your force."}
            ) from None
        duplicate = Case.objects.filter(
            force=force, victim=victim_record, crime_reference=case_data["crime_reference"]
        ).exists()
        if duplicate:
            raise ValidationError(
                {"case.crime_reference": "Your force already referred this victim for this crime."}
            )
    else:
        assert victim is not None  # one of the two, checked above
        victim_record = Victim(**{key: victim[key] for key in VICTIM_FIELDS if key in victim})
        _full_clean(victim_record, prefix="victim")
        known = _person_on_record(victim_record)
        if known is not None:
            victim_record, victim_id = known, known.pk  # one person, one hold: join them
            if Case.objects.filter(
                force=force, victim=known, crime_reference=case_data["crime_reference"]
            ).exists():
                raise ValidationError(
                    {
                        "case.crime_reference": (
                            "Your force already referred this victim for this crime."
                        )
                    }
                )
        else:
            victim_record.save(force_insert=True)
            _record_possible_duplicates(victim_record)

    case_record = Case(victim=victim_record, force=force, officer=officer, **case_data)
    _full_clean(case_record, prefix="case", exclude=["victim", "force", "officer"])
    case_record.save(force_insert=True)
    for dependant in dependants or []:
        Dependant.objects.create(victim=victim_record, **dependant)
    DataSharingNotice.objects.create(victim=victim_record, given_by=officer, **notice)
    _grant_force(force.group, victim_record, case_record)

    joined = victim is not None and victim_id is not None
    if victim_id is None:
        hold = hold_services.hold_create(victim=victim_record)
    else:
        # A new case is a new fact: bump the version and evaluate now, in this transaction.
        victims_services.facts_changed(
            victim_id=victim_record.pk, trigger=hold_services.Trigger.REFERRAL
        )
        # Never lose a referral over an evaluation: it runs in a savepoint of this transaction,
        # so when it fails the hold stays as it was (lagging its facts, so the worker and the
        # sweep re-evaluate it) and the referral is still saved.
        try:
            hold_services.hold_reevaluate(
                victim_id=victim_record.pk, trigger=hold_services.Trigger.REFERRAL
            )
        except hold_services.HoldEvaluationError:
            pass  # the engine's failure, logged where it happened
        except Exception:
            logger.exception(
                "Evaluating the hold of victim %s failed at referral", victim_record.pk
            )
        hold = Hold.objects.get(victim=victim_record)
    return Referral(victim=victim_record, case=case_record, hold=hold, joined=joined)


def _full_clean(record, *, prefix: str, exclude: list[str] | None = None) -> None:
    """The model's own checks, with its fields named as in the referral (`case.crime_type`)."""
    try:
        record.full_clean(exclude=exclude)
    except ValidationError as error:
        raise ValidationError(
            {
                prefix if field == NON_FIELD_ERRORS else f"{prefix}.{field}": messages
                for field, messages in error.message_dict.items()
            }
        ) from None


def _validate_status_change(case: Case, after: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    for field in ("closed_on", "concluded_on"):
        check_not_future(errors, field, after.get(field))
        check_not_before(
            errors, field, after.get(field), case.reported_on, "the date the crime was reported"
        )
    investigation = after["investigation_status"]
    prosecution = after["prosecution_status"]
    if investigation == "no_further_action":
        require(
            errors,
            "closed_on",
            after.get("closed_on"),
            "Give the date the investigation was closed with no further action.",
        )
    if after.get("outcome_code") is not None and investigation not in (
        "no_further_action",
        "charged",
    ):
        errors.setdefault("outcome_code", []).append(
            "An outcome code is recorded only when the investigation is closed "
            "(no further action) or charged."
        )
    if prosecution in CONCLUDED_PROSECUTIONS:
        require(
            errors,
            "concluded_on",
            after.get("concluded_on"),
            f"Give the date the prosecution was concluded ({prosecution}).",
        )
    if prosecution == "sentenced":
        require(
            errors,
            "court",
            after.get("court"),
            "Give the court that sentenced (magistrates or crown): it sets the appeal window.",
        )
    raise_if(errors)


@transaction.atomic
def case_status_change(
    *, case: Case | UUID, by: User, changes: dict[str, Any], note: str = ""
) -> CaseStatusChange:
    """Record an investigation or prosecution change (`case`: the case or its id); the hold is
    re-evaluated after commit. Only police of the case's own force may (`can_change_case`): for
    anyone else the case does not exist (`Case.DoesNotExist`, a 404), whatever the caller."""
    case_id = case.pk if isinstance(case, Case) else case
    # The victim before the case, as a merge locks them (protocol.services.merges): a status
    # change and a merge of the same person queue one behind the other, never deadlock. Then
    # the case, read once, locked.
    Victim.records.select_for_update().filter(
        pk=Subquery(Case.objects.filter(pk=case_id).values("victim_id"))
    ).first()
    locked = Case.objects.select_for_update().filter(pk=case_id).first()
    if locked is None or not can_change_case(user=by, case=locked):
        raise Case.DoesNotExist(f"No case {case_id} this user may change.")
    withdrawal_reason = changes.get("withdrawal_reason") or ""
    given = {key: value for key, value in changes.items() if key in STATUS_FIELDS}
    if not given:
        raise ValidationError(
            {"non_field_errors": [f"Give at least one of: {', '.join(STATUS_FIELDS)}."]}
        )
    before = {field: getattr(locked, field) for field in STATUS_FIELDS}
    after = {
        **before,
        **{
            key: ("" if value is None and key == "court" else value) for key, value in given.items()
        },
    }
    _validate_status_change(locked, after)
    _validate_withdrawal_reason(before, after, withdrawal_reason)
    diff = {
        field: [_plain(before[field]), _plain(after[field])]
        for field in STATUS_FIELDS
        if before[field] != after[field]
    }
    if withdrawal_reason:
        diff["withdrawal_reason"] = [locked.withdrawal_reason or None, withdrawal_reason]
        locked.withdrawal_reason = withdrawal_reason
    if not diff:
        raise ValidationError(
            {"non_field_errors": ["Nothing changed: the case already says this."]}
        )
    for field, value in after.items():
        setattr(locked, field, value)
    locked.full_clean(exclude=["victim", "force", "officer"])
    locked.save()
    change = CaseStatusChange.objects.create(case=locked, by=by, changes=diff, note=note)
    victims_services.facts_changed(
        victim_id=locked.victim_id, trigger=hold_services.Trigger.CASE_STATUS
    )
    return change


def _validate_withdrawal_reason(before: dict, after: dict, reason: str) -> None:
    """A withdrawal reason goes only with a change to no further action or a discontinued
    prosecution (API.md "Evaluating the protocol")."""
    if not reason:
        return
    closes = (
        after["investigation_status"] == "no_further_action"
        and before["investigation_status"] != "no_further_action"
    ) or (
        after["prosecution_status"] == "discontinued"
        and before["prosecution_status"] != "discontinued"
    )
    if not closes:
        raise ValidationError(
            {
                "withdrawal_reason": [
                    "A withdrawal reason is recorded only with a change to no further action "
                    "or to a discontinued prosecution."
                ]
            }
        )


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value
