"""Reads of victims, scoped to the caller: what a caller may not see does not exist for them."""

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Case, OuterRef, Prefetch, Q, QuerySet, When
from django.db.models.functions import JSONObject

from accounts.models import Organisation, User
from core.normalise import name_key
from core.permissions import granted_to_organisation
from core.roles import POLICE_ROLES, Role

from .models import (
    REFERRAL_DECLINED,
    REFERRAL_NEW,
    Application,
    ApplicationChange,
    Disclosure,
    PossibleDuplicate,
    SupportEngagement,
    Victim,
    VictimGroupObjectPermission,
    full_name_key,
)

VICTIM_ROLES = (*POLICE_ROLES, Role.SUPPORT_ADVISER)


def victim_list(*, user: User) -> QuerySet[Victim]:
    """Police: victims of their force's cases. Advisers: victims referred to their organisation.
    Everyone else: none (administrators included)."""
    if not user.is_authenticated or not user.has_role(*VICTIM_ROLES):
        return Victim.objects.none()
    return granted_to_organisation(
        Victim.objects.all(), VictimGroupObjectPermission, user=user, codename="view_victim"
    )


# A part of a name or crime reference is matched through trigram indexes, which need three
# characters: a shorter search text matches whole references only (the pages ask for three).
SEARCH_MIN_CHARACTERS = 3


def victims_matching(victims: QuerySet[Victim], text: str) -> QuerySet[Victim]:
    """Those of `victims` whose reference is `text` (any case), or whose name contains it, with
    accents, case and spacing ignored: part of the given names or the family name, or the full
    name (given names, then family name). Read through the reference's unique index and the
    trigram index on the normalised full name (`victim_name_trgm`), never a scan of every
    victim. The name is matched as `full_name_key()` exactly, so the index serves it."""
    text = text.strip()
    condition = Q(reference=text.upper())  # references are stored in capitals
    key = name_key(text)
    if len(key) >= SEARCH_MIN_CHARACTERS:  # shorter, no trigram: the index could not serve it
        condition |= Q(search_name__contains=key)
    return victims.alias(search_name=full_name_key()).filter(condition)


def victim_get(*, user: User, victim_id) -> Victim:
    """One victim the caller may see; `Victim.DoesNotExist` (a 404) otherwise."""
    return victim_list(user=user).get(pk=victim_id)


def victim_detail(*, user: User, victim_id, visible_cases: QuerySet) -> Victim:
    """One victim the caller may see, with what the victim page shows loaded in a fixed number
    of queries: the hold, dependants, support engagements, applications, and only the cases
    the caller may see (another force's case stays invisible): `visible_cases` is the caller's
    `cases.selectors.case_list`, passed in because cases sit above victims."""
    return (
        victim_list(user=user)
        .annotate(merged_records=merged_records())
        .select_related("hold")
        .prefetch_related(
            "dependants",
            Prefetch(
                "support_engagements",
                queryset=SupportEngagement.objects.select_related("organisation", "consent"),
            ),
            Prefetch("applications", queryset=Application.objects.select_related("organisation")),
            Prefetch(
                "cases",
                queryset=visible_cases.select_related("force").order_by("-referred_on"),
                to_attr="visible_cases",
            ),
        )
        .get(pk=victim_id)
    )


def merged_records() -> ArraySubquery:
    """The records merged into the victim (`{"reference", "merged_at"}`, oldest merge first):
    the merge on the surviving record's history, in one subquery."""
    return ArraySubquery(
        Victim.records.filter(merged_into=OuterRef("pk"))
        .order_by("merged_at", "pk")
        .values(record=JSONObject(reference="reference", merged_at="merged_at"))
    )


def application_get(*, user: User, application_id) -> Application:
    """An application the adviser's organisation recorded, of a victim it may still see: an
    application belongs to the organisation that recorded it (API.md), so another organisation
    supporting the same person gets a 404 for it, as for anything not theirs."""
    if not user.has_role(Role.SUPPORT_ADVISER) or user.organisation_id is None:
        raise Application.DoesNotExist
    return Application.objects.select_related("victim").get(
        pk=application_id,
        organisation_id=user.organisation_id,
        victim__in=victim_list(user=user),
    )


def disclosure_list(*, victim: Victim) -> QuerySet[Disclosure]:
    """Every disclosure of this victim's data, newest first (caller already scoped)."""
    return victim.disclosures.select_related("organisation").order_by("-at")


def support_referral_list(*, user: User) -> QuerySet[SupportEngagement]:
    """Support referrals the caller may see, new ones first, then newest first. Advisers: those
    made to their organisation, of people it may still see (a declined referral or a withdrawn
    consent takes the person out of its sight). Police: those their force made, of people
    their force may see. Everyone else: none."""
    referrals = SupportEngagement.objects.select_related(
        "victim", "organisation", "referring_force"
    )
    visible = Q(victim__in=victim_list(user=user))
    if user.organisation_id is None:
        return SupportEngagement.objects.none()
    if user.has_role(Role.SUPPORT_ADVISER):
        # A referral it declined stays the organisation's to see (by reference: deciding
        # twice is a 409); a withdrawn consent hides the person altogether.
        declined = Q(referral_status=REFERRAL_DECLINED, consent__withdrawn_on__isnull=True)
        referrals = referrals.filter(visible | declined, organisation_id=user.organisation_id)
    elif user.has_role(*POLICE_ROLES):
        referrals = referrals.filter(visible, referring_force_id=user.organisation_id)
    else:
        return SupportEngagement.objects.none()
    return referrals.alias(
        is_new=Case(When(referral_status=REFERRAL_NEW, then=0), default=1)
    ).order_by("is_new", "-created_at", "-pk")


def support_referral_get(*, user: User, referral_id) -> SupportEngagement:
    """A referral made to the adviser's organisation, of a person it may still see;
    `SupportEngagement.DoesNotExist` (a 404) otherwise."""
    if not user.has_role(Role.SUPPORT_ADVISER):
        raise SupportEngagement.DoesNotExist
    return support_referral_list(user=user).get(pk=referral_id)


def application_for_take_over(*, user: User, application_id) -> Application:
    """Any application of a person the adviser's organisation may see (to take it over);
    `Application.DoesNotExist` (a 404) otherwise."""
    if not user.has_role(Role.SUPPORT_ADVISER) or user.organisation_id is None:
        raise Application.DoesNotExist
    return Application.objects.select_related("victim", "organisation").get(
        pk=application_id, victim__in=victim_list(user=user)
    )


def application_history(*, application: Application) -> QuerySet[ApplicationChange]:
    """Every change of the application, newest first, with who made it."""
    return application.history.select_related("by", "organisation").order_by("-at", "-id")


def possible_duplicate_list(*, user: User, open_only: bool = True) -> QuerySet[PossibleDuplicate]:
    """Possible duplicates a police supervisor may decide: those where either record has a case
    of the supervisor's force. Open ones only, unless `open_only` is False. Anyone else: none."""
    if (
        not user.is_authenticated
        or not user.has_role(Role.POLICE_SUPERVISOR)
        or user.organisation_id is None
    ):
        return PossibleDuplicate.objects.none()
    force = user.organisation_id
    pairs = PossibleDuplicate.objects.filter(
        Q(first__cases__force_id=force) | Q(second__cases__force_id=force)
    )
    if open_only:
        pairs = pairs.filter(status=PossibleDuplicate.Status.OPEN)
    return (
        PossibleDuplicate.objects.filter(pk__in=pairs.values("pk"))
        .select_related("first", "second", "proposed_by__organisation")
        .annotate(first_forces=_forces_of("first_id"), second_forces=_forces_of("second_id"))
    )


def _forces_of(victim_field: str) -> ArraySubquery:
    """The names of the forces with a case of the pair's victim, in one subquery per column."""
    return ArraySubquery(
        Organisation.objects.filter(cases__victim_id=OuterRef(victim_field))
        .order_by("name")
        .values("name")
        .distinct()
    )
