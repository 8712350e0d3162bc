"""factory_boy factories. Victims, cases and holds are made through the services, so every
test object satisfies the same invariants as real ones (grants, hold in force, history)."""

import datetime as dt

import factory
from django.utils import timezone

from accounts.models import Organisation, User
from accounts.services import organisation_create_or_update, user_create_or_update
from cases.services import referral_create
from core.roles import ROLE_ORGANISATION_KIND, OrganisationKind

PASSWORD = "correct-horse-battery-staple"


class OrganisationFactory(factory.Factory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.POLICE_FORCE
    code = factory.Sequence(lambda n: f"org{n}")
    name = factory.LazyAttribute(lambda o: f"Organisation {o.code}")

    @classmethod
    def _create(cls, model_class, *args, kind, code, name, **kwargs):
        organisation, _ = organisation_create_or_update(
            kind=kind,
            code=code,
            name=name,
            contact={
                "contact_team": f"{name} protocol team",
                "contact_phone": "020 7946 0000",
                "contact_email": f"protocol@{code}.example",
            },
        )
        return organisation


class UserFactory(factory.Factory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    role = "police_officer"
    organisation = factory.LazyAttribute(
        lambda o: OrganisationFactory(kind=ROLE_ORGANISATION_KIND[o.role])
    )

    @classmethod
    def _create(cls, model_class, *args, email, role, organisation, **kwargs):
        user, _ = user_create_or_update(
            email=email, organisation=organisation, roles=[role], password=PASSWORD
        )
        return user


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def victim_data(**overrides) -> dict:
    data = {
        "given_names": "Amina",
        "family_name": "Diallo",
        "date_of_birth": dt.date(1990, 5, 17),
        "nationality": "SEN",
        "home_office_reference": "",
        "preferred_language": "fr",
        "interpreter_needed": True,
        "contact": "Safe to call 07700 900123 weekdays",
        "address": "Refuge, address withheld",
    }
    data.update(overrides)
    return data


_crime_numbers = iter(range(10_000, 10_000_000))


def case_data(**overrides) -> dict:
    data = {
        "crime_reference": f"CR/{next(_crime_numbers)}/26",
        "crime_type": "domestic_abuse",
        "role": "victim",
        "reported_on": days_ago(30),
        "referred_on": days_ago(29),
        "investigation_status": "under_investigation",
        "narrative": "Assault at home by partner.",
    }
    data.update(overrides)
    return data


def notice_data(**overrides) -> dict:
    data = {"version": "2026-01", "language": "sq", "given_on": days_ago(29)}
    data.update(overrides)
    return data


def make_referral(officer: User, *, victim=None, case=None, dependants=None, victim_id=None):
    """A referral logged by `officer` through the real service."""
    return referral_create(
        officer=officer,
        victim=None if victim_id else victim_data(**(victim or {})),
        victim_id=victim_id,
        case=case_data(**(case or {})),
        dependants=dependants or [],
        notice=notice_data(),
    )


def make_application(victim, by: User, **data):
    """An application recorded through the real service: MVDAC, submitted two days ago."""
    from victims.services import application_create

    data = {"route": "mvdac", "status": "submitted", "submitted_on": days_ago(2), **data}
    return application_create(victim=victim, by=by, **data)


def make_referred(officer: User, organisation: Organisation, **referral):
    """A referral logged by `officer` (`make_referral`'s keywords) whose victim `officer`
    then referred to the support `organisation`, with consent given yesterday."""
    from victims.services import support_referral_create

    made = make_referral(officer, **referral)
    support_referral_create(
        victim=made.victim,
        by=officer,
        organisation_code=organisation.code,
        consent_given_on=days_ago(1),
    )
    return made
