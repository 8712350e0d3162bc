"""Demo data for trying every journey: organisations, one user of each role, and cases in every
hold status the default policy can produce. Made through the real services."""

import datetime as dt
import random

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation
from accounts.services import organisation_create_or_update, parse_contact, user_create_or_update
from cases.models import Case, CaseGroupObjectPermission
from cases.services import case_status_change, referral_create
from core.languages import VICTIM_LANGUAGES
from core.normalise import home_office_reference_key, name_key
from core.roles import ROLE_ORGANISATION_KIND, OrganisationKind
from protocol import services as hold_services
from protocol.models import Hold, Notification
from protocol.rules import values
from protocol.services import support as support_services
from victims.models import (
    DataSharingNotice,
    UnreportedCrime,
    Victim,
    VictimGroupObjectPermission,
)
from victims.services import application_create, support_referral_create, support_update

DEMO_PASSWORD = "demo-password-2026"

ORGANISATIONS = [
    (
        OrganisationKind.POLICE_FORCE,
        "northshire",
        "Northshire Police",
        "Northshire Protocol Desk; 01632 960100; protocol@northshire-police.example",
    ),
    (
        OrganisationKind.POLICE_FORCE,
        "southshire",
        "Southshire Constabulary",
        "Southshire Vulnerability Hub; 01632 960200; protocol@southshire-police.example",
    ),
    (
        OrganisationKind.SUPPORT_ORGANISATION,
        "haven",
        "Haven Migrant Support",
        "Haven Advice Line; 0808 157 0100; advice@haven.example",
    ),
    (
        OrganisationKind.SUPPORT_ORGANISATION,
        "harbour",
        "Harbour Women's Advice",
        "Harbour Casework Team; 0808 157 0200; casework@harbour.example",
    ),
    (
        OrganisationKind.IMMIGRATION_ENFORCEMENT,
        "ie-protocol",
        "IE Migrant Victims Protocol Unit",
        "IE Protocol Unit; 0300 123 0100; protocol.unit@ie.example",
    ),
    (
        OrganisationKind.OVERSIGHT,
        "oversight",
        "Protocol Oversight Board",
        "Oversight Secretariat; 0300 123 0200; secretariat@oversight.example",
    ),
]

GIVEN = [
    "Amina",
    "Oksana",
    "Mei",
    "Fatima",
    "Lucía",
    "Thi Lan",
    "Grace",
    "Nadia",
    "Priya",
    "Ewa",
    "Joy",
    "Leila",
    "Maria José",
    "Hana",
    "Zainab",
    "Ana",
    "Esi",
    "Irina",
]
FAMILY = [
    "Diallo",
    "Kovalenko",
    "Chen",
    "Rahman",
    "García",
    "Nguyen",
    "Okafor",
    "Haddad",
    "Sharma",
    "Nowak",
    "Mensah",
    "Karimi",
    "Pereira",
    "Tesfaye",
    "Bello",
    "Popescu",
]
NATIONALITIES = [
    ("SEN", "fr"),
    ("UKR", "uk"),
    ("CHN", "zh"),
    ("BGD", "bn"),
    ("COL", "es"),
    ("VNM", "vi"),
    ("NGA", "en"),
    ("SYR", "ar"),
    ("IND", "hi"),
    ("POL", "pl"),
]
CRIMES = [
    "domestic_abuse",
    "controlling_or_coercive_behaviour",
    "modern_slavery_or_trafficking",
    "sexual_offence",
    "labour_exploitation",
    "stalking_or_harassment",
    "forced_marriage",
]


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


class Command(BaseCommand):
    help = "Load demo data (organisations, a user of each role, cases in every hold status)."

    def add_arguments(self, parser):
        parser.add_argument("--cases-per-status", type=int, default=5)
        parser.add_argument("--seed", type=int, default=2021)

    def handle(self, *args, cases_per_status: int, seed: int, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo loads made-up people: run it only with DEBUG on.")
        self.random = random.Random(seed)
        organisations = self._organisations()
        users = self._users(organisations)
        if Case.objects.filter(force__code="northshire").exists():
            self.stdout.write("Demo cases are already loaded; organisations and users updated.")
        else:
            self._cases(users, cases_per_status)
            self._support_lifecycle(users)
            self._notifications()
            self._barrier_data(users, organisations)
        self._print_logins(users)

    def _notifications(self) -> None:
        """Besides the override and end-of-hold notifications the cases made, the sweep's
        notices (holds due for review, engagements with no contact), as beat would make them."""
        made = hold_services.notifications.review_due_notices(limit=1000)
        self.stdout.write(
            f"Notifications: {Notification.objects.count()} ({made} reviews due noticed)"
        )

    def _organisations(self) -> dict[str, Organisation]:
        found = {}
        for kind, code, name, contact in ORGANISATIONS:
            found[code], _ = organisation_create_or_update(
                kind=kind, code=code, name=name, contact=parse_contact(contact)
            )
        return found

    def _users(self, organisations):
        users = {}
        for code, organisation in organisations.items():
            for role, kind in ROLE_ORGANISATION_KIND.items():
                if kind != organisation.kind:
                    continue
                email = f"{role.replace('_', '.')}@{code}.example"
                users[(code, role)], _ = user_create_or_update(
                    email=email,
                    organisation=organisation,
                    roles=[role],
                    password=DEMO_PASSWORD,
                    full_name=f"Demo {role.replace('_', ' ')} ({organisation.name})",
                )
        # A second IE senior, so an override can be requested by one and approved by another.
        users[("ie-protocol", "ie_senior_2")], _ = user_create_or_update(
            email="ie.senior.2@ie-protocol.example",
            organisation=organisations["ie-protocol"],
            roles=["ie_senior"],
            password=DEMO_PASSWORD,
            full_name="Demo second IE senior",
        )
        return users

    def _person(self) -> dict:
        nationality, language = self.random.choice(NATIONALITIES)
        return {
            "given_names": self.random.choice(GIVEN),
            "family_name": self.random.choice(FAMILY),
            "date_of_birth": dt.date(
                self.random.randint(1970, 2004),
                self.random.randint(1, 12),
                self.random.randint(1, 28),
            ),
            "nationality": nationality,
            "home_office_reference": f"B{self.random.randint(1000000, 9999999)}",
            "preferred_language": language,
            "interpreter_needed": language != "en",
            "contact": f"Safe number 07700 9{self.random.randint(10000, 99999)}, text first",
            "address": "Refuge accommodation (address held by the support organisation)",
        }

    @transaction.atomic
    def _support_lifecycle(self, users) -> None:
        """A support referral's whole life, each step through the services the pages use: a
        referral accepted by Haven, one declined by Harbour, and one whose consent the victim
        withdrew from Haven (its application left for Harbour, who also supports them, to take
        over). Every other demo referral is still new, waiting for the adviser."""
        officer = users[("northshire", "police_officer")]
        haven, harbour = users[("haven", "support_adviser")], users[("harbour", "support_adviser")]
        today = timezone.localdate()
        accepted = self._refer(officer, reported=35)
        referral = support_services.support_referral_make(
            victim=accepted.victim, by=officer, organisation_code="haven", consent_given_on=today
        )
        support_services.support_referral_accept(engagement=referral, by=haven)
        declined = self._refer(officer, reported=36)
        referral = support_services.support_referral_make(
            victim=declined.victim, by=officer, organisation_code="harbour", consent_given_on=today
        )
        support_services.support_referral_decline(
            engagement=referral, by=harbour, reason="Demo: no capacity for new clients this month."
        )
        withdrawn = self._refer(officer, reported=37)
        for code in ("haven", "harbour"):
            support_services.support_referral_make(
                victim=withdrawn.victim, by=officer, organisation_code=code, consent_given_on=today
            )
        application_create(
            victim=withdrawn.victim,
            by=haven,
            route="asylum",
            status="submitted",
            submitted_on=days_ago(1),
        )
        support_services.consent_withdraw(
            victim=withdrawn.victim, by=officer, organisation_code="haven", withdrawn_on=today
        )
        for person in (accepted, declined, withdrawn):
            hold_services.hold_reevaluate(
                victim_id=person.victim.pk, trigger=hold_services.Trigger.COMMAND
            )

    def _refer(self, officer, *, reported: int, status: str = "under_investigation", role="victim"):
        person = self._person()
        referral = referral_create(
            officer=officer,
            victim=person,
            case={
                "crime_reference": f"{officer.organisation.code[:2].upper()}/"
                f"{self.random.randint(100000, 999999)}/26",
                "crime_type": self.random.choice(CRIMES),
                "role": role,
                "reported_on": days_ago(reported),
                "referred_on": days_ago(reported - 1),
                "investigation_status": status,
                "narrative": "Demo narrative: details of the offence as recorded by police.",
            },
            dependants=(
                [
                    {
                        "given_names": "Sami",
                        "family_name": person["family_name"],
                        "date_of_birth": dt.date(2019, 3, 2),
                    }
                ]
                if self.random.random() < 0.3
                else []
            ),
            notice={
                "version": "2026-01",
                # The notice is held in the victim languages; otherwise English, interpreted.
                "language": person["preferred_language"]
                if person["preferred_language"] in VICTIM_LANGUAGES
                else "en",
                "given_on": days_ago(reported - 1),
            },
        )
        return referral

    @transaction.atomic
    def _cases(self, users, per_status: int) -> None:
        forces = ["northshire", "southshire"]
        supports = ["haven", "harbour"]
        senior, senior2 = users[("ie-protocol", "ie_senior")], users[("ie-protocol", "ie_senior_2")]
        for index in range(per_status):
            force = forces[index % 2]
            officer = users[(force, "police_officer")]
            support_code = supports[index % 2]
            adviser = users[(support_code, "support_adviser")]
            # active: investigation ongoing, referred for support
            active = self._refer(officer, reported=40 + index)
            support_referral_create(
                victim=active.victim,
                by=officer,
                organisation_code=support_code,
                consent_given_on=days_ago(5),
            )
            support_update(
                victim=active.victim, by=adviser, status="engaged", contact_on=timezone.localdate()
            )
            # active with a prosecution
            charged = self._refer(officer, reported=120 + index)
            case_status_change(
                case=charged.case,
                by=officer,
                changes={
                    "investigation_status": "charged",
                    "outcome_code": 1,
                    "closed_on": None,
                    "prosecution_status": "awaiting_trial",
                    "court": "crown",
                },
            )
            # ending: no further action 100 days ago (review window closed, grace running)
            ending = self._refer(officer, reported=130 + index)
            case_status_change(
                case=ending.case,
                by=officer,
                changes={
                    "investigation_status": "no_further_action",
                    "closed_on": days_ago(100),
                    "outcome_code": 14,
                },
            )
            # review_due: no further action 200 days ago
            due = self._refer(officer, reported=230 + index)
            case_status_change(
                case=due.case,
                by=officer,
                changes={
                    "investigation_status": "no_further_action",
                    "closed_on": days_ago(200),
                    "outcome_code": 16,
                },
            )
            # ended: as review_due, then confirmed by an IE senior
            ended = self._refer(officer, reported=240 + index)
            case_status_change(
                case=ended.case,
                by=officer,
                changes={
                    "investigation_status": "no_further_action",
                    "closed_on": days_ago(210),
                    "outcome_code": 18,
                },
            )
            # overridden: active, override requested by one senior and approved by another
            overridden = self._refer(officer, reported=60 + index)
            # regularised: support, then a granted application
            regularised = self._refer(officer, reported=300 + index)
            support_referral_create(
                victim=regularised.victim,
                by=officer,
                organisation_code=support_code,
                consent_given_on=days_ago(200),
            )
            application_create(
                victim=regularised.victim,
                by=adviser,
                route="mvdac",
                status="granted",
                submitted_on=days_ago(150),
                decided_on=days_ago(30),
                leave_expires_on=None,
            )
            # a witness's case (witnesses are covered by default), referred for support
            witness = self._refer(officer, reported=20 + index, role="witness")
            support_referral_create(
                victim=witness.victim,
                by=officer,
                organisation_code=support_code,
                consent_given_on=days_ago(3),
            )
            # Bring every hold up to date now, as the worker would.
            for referral in (active, charged, ending, due, ended, overridden, regularised, witness):
                hold_services.hold_reevaluate(
                    victim_id=referral.victim.pk, trigger=hold_services.Trigger.COMMAND
                )
            hold_services.end_confirm(
                hold_reference=ended.hold.reference,
                by=senior,
                reason="proceedings_concluded_no_application",
            )
            override = hold_services.override_request(
                by=senior,
                hold_reference=overridden.hold.reference,
                category="serious_harm_risk",
                justification="Demo: intelligence indicates a risk of serious harm to the public.",
                expires_on=timezone.localdate() + dt.timedelta(days=60),
            )
            hold_services.override_approve(
                override_id=override.pk, by=senior2, note="Demo approval"
            )
        self._possible_duplicate(users)
        counts = {}
        for status in Hold.objects.values_list("status", flat=True):
            counts[status] = counts.get(status, 0) + 1
        self.stdout.write(
            "Holds by status: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        )

    def _possible_duplicate(self, users) -> None:
        """One person referred by both forces without a Home Office reference: a possible
        duplicate for both forces' supervisors to merge (or dismiss)."""
        person = {
            **self._person(),
            "given_names": "Mirela",
            "family_name": "Dumitrescu",
            "date_of_birth": dt.date(1991, 6, 14),
            "nationality": "ROU",
            "home_office_reference": "",
            "preferred_language": "ro",
        }
        for force, reported in (("northshire", 50), ("southshire", 12)):
            referral_create(
                officer=users[(force, "police_officer")],
                victim=person,
                case={
                    "crime_reference": f"{force[:2].upper()}/DUP{reported}/26",
                    "crime_type": "modern_slavery_or_trafficking",
                    "role": "victim",
                    "reported_on": days_ago(reported),
                    "referred_on": days_ago(reported - 1),
                    "investigation_status": "under_investigation",
                    "narrative": "Demo narrative: details of the offence as recorded by police.",
                },
                notice={"version": "2026-01", "language": "ro", "given_on": days_ago(reported - 1)},
            )
        self.stdout.write("A possible duplicate: Mirela Dumitrescu, referred by both forces.")

    @transaction.atomic
    def _barrier_data(self, users, organisations, referrals: int = 480) -> None:
        """Hundreds of referrals over 18 months, across forces, crime types and languages, a
        quarter withdrawn (with reasons), and crimes advisers recorded as never reported: enough
        for the statistics' charts to mean something, with some cells suppressed. Written with
        bulk_create (a few statements, not thousands), then evaluated in one batch."""
        rng = self.random
        now, today = timezone.now(), timezone.localdate()
        forces = [organisations["northshire"], organisations["southshire"]]
        # Reasons weighted as the research finds them: fear of immigration consequences first.
        reasons = list(values.WITHDRAWAL_REASONS)
        weights = [40, 20, 14, 10, 6, 4, 6]
        victims, cases, holds, grants_v, grants_c, notices = [], [], [], [], [], []
        permissions = {
            codename: Permission.objects.get(codename=codename).pk
            for codename in ("view_victim", "change_victim", "view_case", "change_case")
        }
        for number in range(referrals):
            force = forces[0] if rng.random() < 0.62 else forces[1]
            officer = users[(force.code, "police_officer")]
            person = self._person()
            victim = Victim(**person, facts_version=1)
            victim.family_name_key = name_key(victim.family_name)
            victim.given_names_key = name_key(victim.given_names)
            victim.home_office_reference_key = home_office_reference_key(
                victim.home_office_reference
            )
            # Later months have more referrals: the protocol becoming known.
            referred = today - dt.timedelta(days=int(540 * rng.random() ** 1.4) + 2)
            reported = referred - dt.timedelta(days=rng.choice([0, 1, 2, 3, 5, 8, 14, 30]))
            case = Case(
                victim=victim,
                force=force,
                officer=officer,
                crime_reference=f"{force.code[:2].upper()}/B{number:05d}/26",
                crime_type=rng.choices(CRIMES, weights=[30, 14, 10, 12, 8, 6, 2])[0],
                role="victim" if rng.random() < 0.9 else "witness",
                reported_on=reported,
                referred_on=referred,
                investigation_status=rng.choice(["under_investigation", "suspect_bailed"]),
                narrative="Demo narrative.",
            )
            if rng.random() < 0.27 and referred < today - dt.timedelta(days=10):
                case.investigation_status = "no_further_action"
                case.closed_on = referred + dt.timedelta(
                    days=rng.randint(3, max(4, (today - referred).days - 1))
                )
                case.outcome_code = 16  # victim declines or is unable to support action
                case.withdrawal_reason = rng.choices(reasons, weights=weights)[0]
            victims.append(victim)
            cases.append(case)
            notices.append(
                DataSharingNotice(
                    victim=victim,
                    version="2026-01",
                    language=victim.preferred_language,
                    given_on=referred,
                    given_by=officer,
                )
            )
            holds.append(
                Hold(
                    victim=victim,
                    status="active",
                    in_force=True,
                    evaluated_version=0,  # behind its facts: evaluated below, as the sweep would
                    evaluated_at=now,
                    evaluated_on=today,
                    status_since=now,
                )
            )
            for codename in ("view_victim", "change_victim"):
                grants_v.append(
                    VictimGroupObjectPermission(
                        content_object=victim,
                        group_id=force.group_id,
                        permission_id=permissions[codename],
                    )
                )
            for codename in ("view_case", "change_case"):
                grants_c.append(
                    CaseGroupObjectPermission(
                        content_object=case,
                        group_id=force.group_id,
                        permission_id=permissions[codename],
                    )
                )
        Victim.objects.bulk_create(victims)
        Case.objects.bulk_create(cases)
        Hold.objects.bulk_create(holds)
        DataSharingNotice.objects.bulk_create(notices)
        VictimGroupObjectPermission.objects.bulk_create(grants_v)
        CaseGroupObjectPermission.objects.bulk_create(grants_c)
        hold_ids = [hold.pk for hold in holds]
        for start in range(0, len(hold_ids), 1000):
            hold_services.holds_reevaluate_batch(
                hold_ids=hold_ids[start : start + 1000], trigger=hold_services.Trigger.COMMAND
            )
        UnreportedCrime.objects.bulk_create(
            UnreportedCrime(
                organisation=organisations[rng.choice(["haven", "haven", "harbour"])],
                crime_type=rng.choices(CRIMES, weights=[30, 14, 10, 12, 8, 6, 2])[0],
                nationality=rng.choice(NATIONALITIES)[0],
                recorded_on=today - dt.timedelta(days=int(540 * rng.random() ** 1.4)),
                reasons=sorted(set(rng.choices(reasons, weights=weights, k=rng.randint(1, 2)))),
                reported_later=rng.random() < 0.12,
            )
            for _ in range(180)
        )
        self.stdout.write(
            f"Barrier statistics: {referrals} more referrals and 180 unreported crimes."
        )

    def _print_logins(self, users) -> None:
        self.stdout.write(f"\nDemo sign-ins at /accounts/login (password for all: {DEMO_PASSWORD})")
        for user in sorted(users.values(), key=lambda user: user.email):
            roles = ", ".join(sorted(user.roles))
            self.stdout.write(f"  {user.email:<42} {roles} ({user.organisation.name})")
