"""Reads of victims, scoped to the caller: what a caller may not see does not exist for them."""

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from accounts.models import User
from core.normalise import name_key
from core.permissions import granted_to_organisation
from core.roles import POLICE_ROLES, Role
from protocol.rules.signposting import ApplicationSignpostFacts, CaseSignpostFacts, PersonFacts

from .models import (
    Application,
    DataSharingNotice,
    Disclosure,
    NoticeText,
    SignpostingGiven,
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


def victims_matching(victims: QuerySet[Victim], text: str) -> QuerySet[Victim]:
    """Those of `victims` whose reference is `text` (any case), or whose name contains it, with
    accents, case and spacing ignored: part of the given names or the family name, or the full
    name (given names, then family name). Read through the reference's unique index and the
    trigram index on the normalised full name (`victim_name_trgm`), never a scan of every
    victim. The name is matched as `full_name_key()` exactly, so the index serves it."""
    text = text.strip()
    condition = Q(reference=text.upper())  # references are stored in capitals
    key = name_key(text)
    if key:
        condition |= Q(search_name__contains=key)
    return victims.alias(search_name=full_name_key()).filter(condition)


def victim_get(*, user: User, victim_id) -> Victim:
    """One victim the caller may see; `Victim.DoesNotExist` (a 404) otherwise."""
    return victim_list(user=user).get(pk=victim_id)


def notices_given() -> QuerySet[DataSharingNotice]:
    """The notices given to victims, newest first, each with the exact text given (`text`,
    None for a notice recorded before its text was held)."""
    held = NoticeText.objects.filter(version=OuterRef("version"), language=OuterRef("language"))
    return DataSharingNotice.objects.annotate(text=Subquery(held.values("text")[:1])).order_by(
        "-given_on", "-created_at"
    )


def victim_detail(*, user: User, victim_id, visible_cases: QuerySet) -> Victim:
    """One victim the caller may see, with what the victim page shows loaded in a fixed number
    of queries: the hold, dependants, support engagements, applications, and only the cases
    the caller may see (another force's case stays invisible): `visible_cases` is the caller's
    `cases.selectors.case_list`, passed in because cases sit above victims."""
    return (
        victim_list(user=user)
        .select_related("hold")
        .prefetch_related(
            "dependants",
            Prefetch(
                "support_engagements",
                queryset=SupportEngagement.objects.select_related("organisation"),
            ),
            Prefetch("applications", queryset=Application.objects.select_related("organisation")),
            Prefetch("notices", queryset=notices_given(), to_attr="notices_given"),
            Prefetch(
                "cases",
                queryset=visible_cases.select_related("force").order_by("-referred_on"),
                to_attr="visible_cases",
            ),
        )
        .get(pk=victim_id)
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


def signposting_facts(victim: Victim) -> PersonFacts:
    """The facts the signposting rules read, from every case of the victim's (the routes depend
    on the crimes and roles, not on which force may see which case; only codes leave here)."""
    return PersonFacts(
        cases=tuple(
            CaseSignpostFacts(crime_type=crime_type, role=role)
            for crime_type, role in victim.cases.values_list("crime_type", "role")
        ),
        nationality=victim.nationality,
        dependants_born_on=tuple(victim.dependants.values_list("date_of_birth", flat=True)),
        applications=tuple(
            ApplicationSignpostFacts(route=route, status=status)
            for route, status in victim.applications.values_list("route", "status")
        ),
    )


def signposting_given(victim: Victim) -> QuerySet[SignpostingGiven]:
    """Every time the victim was given signposting, newest first."""
    return victim.signposting.select_related("given_by", "organisation")
