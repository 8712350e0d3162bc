"""Lists and searches that stay fast at national scale (bench/bench_pages.py measures them): a
search by name matches the full name too, through the trigram index, never a scan; list
pages count their rows no further than a bound; the indexes the queries need are the ones
PostgreSQL uses. The speed itself is measured in bench/, never timed here."""

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from cases.selectors import case_search, cases_matching
from core.permissions import BoundedPaginator
from tests.factories import make_referral
from victims.models import Victim
from victims.selectors import victims_matching
from victims.services import support_referral_create

from .conftest import text_of

pytestmark = pytest.mark.django_db


def _plan(queryset, *, lookups_only: bool = False) -> str:
    """PostgreSQL's plan for `queryset` with sequential scans priced out, as on a table of
    millions of rows: names the indexes the query can use (none, if its expressions do not
    match an index's). With `lookups_only`, whole-index scans are priced out too, so only an
    index that serves a condition can appear."""
    sql, params = queryset.query.sql_with_params()
    off = ["enable_seqscan"] + (
        ["enable_indexscan", "enable_indexonlyscan"] if lookups_only else []
    )
    with connection.cursor() as cursor:
        for setting in off:
            cursor.execute(f"SET {setting} = off")
        try:
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            for setting in off:
                cursor.execute(f"RESET {setting}")
    return plan


def test_a_search_by_full_name_finds_the_case_with_accents_and_case_ignored(officer, client_for):
    slavery = make_referral(officer, victim={"given_names": "Thi Lan", "family_name": "Nguyên"})
    other = make_referral(officer, victim={"given_names": "Fatima", "family_name": "Rahman"})
    client = client_for(officer)

    def listed(q):
        text = text_of(client.get(reverse("cases:list"), {"q": q}))
        return {r.case.reference for r in (slavery, other) if r.case.reference in text}

    assert listed("Thi Lan Nguyen") == {slavery.case.reference}
    assert listed("  THI-LAN  NGUYÊN ") == {slavery.case.reference}
    assert listed("lan nguy") == {slavery.case.reference}
    assert listed("Nguyen Thi Lan") == set()  # family name first is not the full name
    assert listed(slavery.case.reference.lower()) == {slavery.case.reference}
    assert listed(other.victim.reference.lower()) == {other.case.reference}


def test_the_advisers_search_matches_the_full_name_and_only_their_victims(
    officer, adviser, support_org, client_for
):
    referred = make_referral(officer, victim={"given_names": "José María", "family_name": "Soto"})
    make_referral(officer, victim={"given_names": "José María", "family_name": "Sotomayor"})
    support_referral_create(
        victim=referred.victim,
        by=officer,
        organisation_code=support_org.code,
        consent_given_on=timezone.localdate(),
    )
    text = text_of(client_for(adviser).get(reverse("victims:list"), {"q": "jose maria soto"}))
    assert "Showing 1 to 1 of 1 victim" in text and referred.victim.reference in text


def test_a_name_search_is_read_through_the_trigram_index(officer):
    make_referral(officer)
    plan = _plan(victims_matching(Victim.objects.order_by(), "Diallo"), lookups_only=True)
    assert "victim_name_trgm" in plan
    # Each part of a case search through an index (references, crime references, the victims
    # matched as above), so the force's cases are never all read.
    cases = _plan(cases_matching("Amina Diallo"), lookups_only=True)
    assert "cases_case_reference" in cases and "case_crime_ref_trgm" in cases
    assert "cases_case_victim_id" in cases and "Seq Scan" not in cases


def test_the_case_list_reads_its_page_off_the_index_of_its_whole_order(officer):
    make_referral(officer)
    plan = _plan(case_search(user=officer).order_by("-referred_on", "-created_at")[:25])
    assert "case_force_referred" in plan and "Sort Key: cases_case.referred_on" not in plan


def test_a_list_counts_no_further_than_its_bound(
    officer, client_for, monkeypatch, django_assert_num_queries
):
    for number in range(4):
        make_referral(officer, victim={"given_names": f"Person{number}", "family_name": "Test"})
    paginator = BoundedPaginator(Case.objects.order_by("pk"), 2, count_up_to=3)
    assert (paginator.count, paginator.more, paginator.num_pages) == (3, True, 2)
    assert len(paginator.page(2).object_list) == 1  # the fourth is beyond the bound
    exact = BoundedPaginator(Victim.objects.order_by("pk"), 2, count_up_to=4)
    assert (exact.count, exact.more) == (4, False)
    # A first page that is not full holds every row: it is the count, nothing else is read.
    few = BoundedPaginator(Case.objects.order_by("pk"), 25, count_up_to=1000)
    with django_assert_num_queries(1):
        page = few.get_page(None)
        assert (len(page.object_list), few.count, few.more, page.end_index()) == (4, 4, False, 4)
    bounded = BoundedPaginator(Case.objects.order_by("pk"), 25, count_up_to=3)
    page = bounded.get_page("1")
    assert (len(page.object_list), bounded.count, bounded.more) == (3, 3, True)

    monkeypatch.setattr("cases.views.COUNT_UP_TO", 3)
    text = text_of(client_for(officer).get(reverse("cases:list")))
    assert "Showing 1 to 3 of more than 3 cases. Search or use the filters" in text
    monkeypatch.setattr("cases.views.COUNT_UP_TO", 4)
    assert "Showing 1 to 4 of 4 cases" in text_of(client_for(officer).get(reverse("cases:list")))


def test_the_home_page_counts_no_further_than_its_bound(officer, client_for, monkeypatch):
    """Home says "more than N cases" past the bound instead of counting every case."""
    from protocol import views as protocol_views

    for _ in range(3):
        make_referral(officer)
    page = client_for(officer).get(reverse("home")).content.decode()
    assert "Your force has 3 cases" in page
    monkeypatch.setattr(protocol_views, "COUNT_UP_TO", 2)
    page = client_for(officer).get(reverse("home")).content.decode()
    assert "Your force has more than 2 cases" in page
