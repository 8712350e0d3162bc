"""Retention: who is erased, what is erased and kept, that nothing is erased twice, that an
erased person never matches a hold check and their record is frozen, and the setting's check."""

import datetime as dt
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import AccessEvent
from cases.models import Case, CaseStatusChange
from cases.services import case_status_change
from core.errors import ConflictError
from protocol import services
from protocol.models import Hold, HoldDecision
from protocol.services import retention
from protocol.statistics import statistics
from tests.factories import days_ago, make_referral
from tests.locks import sessions_waiting_for_locks
from victims.models import Dependant, Disclosure, Victim

from .conftest import ROOT, backdate_hold, closed_referral

pytestmark = pytest.mark.django_db


def erase_all() -> str:
    out = StringIO()
    call_command("apply_retention", "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue().strip().splitlines()[-1]


def history(victim) -> list[tuple]:
    return list(
        HoldDecision.objects.filter(hold__victim=victim)
        .order_by("decided_at", "id")
        .values_list("status", "in_force", "grounds", "protected_until", "explanation", "facts")
    )


def comparable_statistics() -> dict:
    figures = statistics()
    figures.pop("generated_at")
    figures.pop("people_erased_by_month")
    return figures


def test_a_person_due_is_erased_and_what_the_statistics_and_history_read_is_kept(officer, senior):
    referral = closed_referral(officer, senior, home_office_reference="X1234567")
    victim = referral.victim
    hold_before = Hold.objects.filter(victim=victim).values().get()
    history_before = history(victim)
    statistics_before = comparable_statistics()

    assert erase_all() == "Retention: 1 people erased"

    victim.refresh_from_db()
    assert victim.erased_at is not None
    for name in ("given_names", "family_name", "home_office_reference", "contact", "address"):
        assert getattr(victim, name) == "", name
    assert victim.date_of_birth is None
    assert (victim.family_name_key, victim.given_names_key, victim.home_office_reference_key) == (
        "",
        "",
        "",
    )
    assert (victim.nationality, victim.preferred_language, victim.reference) == (
        "SEN",
        "fr",
        referral.victim.reference,
    )
    assert not Dependant.objects.filter(victim=victim).exists()
    case = Case.objects.get(pk=referral.case.pk)
    assert case.narrative == ""
    assert (case.investigation_status, case.closed_on, case.outcome_code) == (
        "no_further_action",
        days_ago(2990),
        16,
    )
    assert not CaseStatusChange.objects.filter(case=case).exclude(note="").exists()
    assert Hold.objects.filter(victim=victim).values().get() == hold_before
    assert history(victim) == history_before
    assert comparable_statistics() == statistics_before
    assert statistics()["people_erased_by_month"][0].suppressed is True  # 1 is under 5
    event = AccessEvent.objects.get(object_type="victim", object_id=str(victim.pk), action="change")
    assert event.detail == retention.ERASED and event.actor_id is None


def test_re_running_erases_nothing_twice(officer, senior):
    closed_referral(officer, senior)
    assert erase_all() == "Retention: 1 people erased"
    assert erase_all() == "Retention: 0 people erased"
    assert AccessEvent.objects.filter(detail=retention.ERASED).count() == 1


def test_a_dry_run_counts_and_erases_nothing(officer, senior):
    referral = closed_referral(officer, senior)
    out = StringIO()
    call_command("apply_retention", "--dry-run", "--no-progress", stdout=out, stderr=StringIO())
    assert out.getvalue().strip().splitlines()[-1] == "Retention: 1 people would be erased"
    referral.victim.refresh_from_db()
    assert referral.victim.erased_at is None and referral.victim.family_name == "Diallo"


def test_an_erased_person_never_matches_a_hold_check(officer, senior, caseworker):
    referral = closed_referral(officer, senior, home_office_reference="X1234567")
    checks = [
        {"home_office_reference": "X1234567"},
        {"family_name": "Diallo", "given_names": "Amina", "date_of_birth": dt.date(1990, 5, 17)},
        {"family_name": "Diallo", "given_names": "Sara", "date_of_birth": dt.date(2015, 1, 2)},
    ]

    def matched() -> int:
        # A check records a disclosure for every person it matches, in force or not.
        return Disclosure.objects.filter(
            victim=referral.victim, organisation=caseworker.organisation
        ).count()

    for number, check in enumerate(checks, start=1):  # before: each matches the person
        services.hold_check(user=caseworker, **check)
        assert matched() == number
    erase_all()
    for check in checks:
        answer = services.hold_check(user=caseworker, **check)
        assert answer.hold_reference is None and answer.in_force is False
    assert matched() == len(checks)


def test_an_erased_record_is_frozen_and_a_new_referral_makes_a_new_person(officer, senior):
    referral = closed_referral(officer, senior)
    erase_all()
    with pytest.raises(ConflictError, match="make a new referral"):
        case_status_change(
            case=referral.case,
            by=officer,
            changes={"investigation_status": "reopened", "outcome_code": None, "closed_on": None},
        )
    assert Case.objects.get(pk=referral.case.pk).investigation_status == "no_further_action"
    again = make_referral(officer)
    assert again.victim.pk != referral.victim.pk
    assert Hold.objects.get(victim=again.victim).in_force


@pytest.mark.parametrize(
    "what",
    ["too_recent", "left_and_came_back", "open_case", "open_engagement", "application_pending"],
)
def test_who_is_not_due(officer, senior, adviser, support_org, what):
    referral = closed_referral(officer, senior)
    victim = referral.victim
    if what == "too_recent":
        backdate_hold(victim, years=-5)  # closed two years ago, not seven
    elif what == "left_and_came_back":
        # Active again four years ago, ended since: it has not stayed closed for six years.
        hold = Hold.objects.get(victim=victim)
        decision = HoldDecision.objects.filter(hold=hold).order_by("decided_at").first()
        decision.pk = None
        decision.status, decision.in_force = "active", True
        decision.decided_at = decision.decided_at + dt.timedelta(days=365 * 3)
        decision.save()
    elif what == "open_case":
        make_referral(officer, victim_id=victim.pk)  # the hold stays ended until re-evaluated
    elif what == "open_engagement":
        from victims.models import SupportConsent, SupportEngagement

        consent = SupportConsent.objects.create(
            victim=victim, organisation=support_org, given_on=days_ago(3000), recorded_by=officer
        )
        SupportEngagement.objects.create(
            victim=victim,
            organisation=support_org,
            status="engaged",
            started_on=days_ago(3000),
            consent=consent,
            referred_by=officer,
        )
    elif what == "application_pending":
        from victims.models import Application

        Application.objects.create(
            victim=victim,
            organisation=support_org,
            route="asylum",
            status="submitted",
            submitted_on=days_ago(3000),
            recorded_by=adviser,
        )
    assert erase_all() == "Retention: 0 people erased"


def test_a_malformed_retention_setting_stops_the_service_at_start():
    for value, message in (("six", "RETENTION_YEARS must be a whole number"), ("0", "at least 1")):
        result = subprocess.run(
            [sys.executable, "manage.py", "check"],
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "config.settings.test",
                "RETENTION_YEARS": value,
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode != 0
        assert message in result.stderr and "RETENTION_YEARS" in result.stderr


def test_the_victim_page_says_the_data_was_erased(client, officer, senior):
    referral = closed_referral(officer, senior)
    erase_all()
    client.force_login(officer)
    page = client.get(f"/victims/{referral.victim.pk}").content.decode()
    assert "identifying data was erased" in page and "Diallo" not in page


@pytest.mark.django_db(transaction=True)
def test_a_fact_committed_while_the_erasure_waits_for_the_person_wins(officer, senior):
    """A change holding the person's row lock (as every fact's change does) commits a reopened
    investigation while the erasure waits for the lock: the erasure then checks the rule afresh,
    sees the open case, and erases nothing. Real threads, each with its own connection."""
    import threading
    import time

    from django.db import connection, transaction

    referral = closed_referral(officer, senior, given_names="Amara")
    victim_id = referral.victim.pk
    locked, release = threading.Event(), threading.Event()
    result: list = []

    def change():
        with transaction.atomic():
            Victim.records.select_for_update().get(pk=victim_id)
            Case.objects.filter(victim_id=victim_id).update(
                investigation_status="under_investigation", closed_on=None, outcome_code=None
            )
            locked.set()
            assert release.wait(timeout=20)
        connection.close()

    def erase():
        try:
            result.append(retention.victim_erase(victim_id=victim_id))
        finally:
            connection.close()

    changer = threading.Thread(target=change)
    changer.start()
    assert locked.wait(timeout=20)
    eraser = threading.Thread(target=erase)
    eraser.start()
    deadline = time.monotonic() + 20
    while not sessions_waiting_for_locks():  # the erasure waits for the person's lock
        assert time.monotonic() < deadline, "the erasure never waited for the person's lock"
        time.sleep(0.02)
    release.set()
    changer.join(timeout=20)
    eraser.join(timeout=20)

    assert result == [False]
    assert Victim.records.get(pk=victim_id).given_names == "Amara"
    assert not AccessEvent.objects.filter(detail=retention.ERASED).exists()


@pytest.mark.django_db(transaction=True)
def test_a_run_outside_a_transaction_erases_everyone_due_a_batch_at_a_time(officer, senior):
    """Outside any transaction, as beat and the command run it: the ids come through a cursor
    held across the per-person commits, a batch at a time, and every person due is erased."""
    people = [closed_referral(officer, senior, given_names=f"Name{n}").victim for n in range(3)]
    make_referral(officer)  # not due
    batches: list[int] = []

    result = retention.retention_apply(batch_size=2, progress=batches.append)

    assert (result.due, result.erased) == (3, 3)
    assert batches == [2, 1]
    assert all(Victim.records.get(pk=person.pk).erased_at for person in people)
    assert AccessEvent.objects.filter(detail=retention.ERASED).count() == 3


def test_a_record_merged_into_the_person_is_erased_with_them(officer, senior):
    """A merge keeps the merged record's names, date of birth and Home Office reference, so a
    hold check by that identity still finds the person's hold; erasing the person erases them
    too, or that identity would outlive retention and still match a hold check."""
    survivor = closed_referral(officer, senior).victim
    merged = make_referral(
        officer, victim={"given_names": "Aminata", "home_office_reference": "M7654321"}
    ).victim
    Victim.records.filter(pk=merged.pk).update(merged_into=survivor, merged_at=timezone.now())

    assert erase_all() == "Retention: 1 people erased"

    record = Victim.records.get(pk=merged.pk)
    assert record.erased_at is not None and record.merged_into_id == survivor.pk
    for name in ("given_names", "family_name", "home_office_reference", "contact", "address"):
        assert getattr(record, name) == "", name
    assert record.date_of_birth is None and record.home_office_reference_key == ""
