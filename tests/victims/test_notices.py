"""Notice texts (API.md "The victim's side"): held, versioned and translated; never changed or
removed; a referral must name a held text; the victim's answer and record show the exact words."""

import json
from pathlib import Path

import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django.urls import reverse
from django.utils.html import escape

from core.languages import VICTIM_LANGUAGES
from tests.factories import make_referral, notice_data
from victims.models import NoticeText

NOTICE = json.loads(
    (Path(__file__).resolve().parents[2] / "victims/notices/2026-01.json").read_text("utf-8")
)


def test_the_current_notice_is_held_in_every_victim_language(db):
    held = set(NoticeText.objects.filter(version="2026-01").values_list("language", flat=True))
    assert held == set(VICTIM_LANGUAGES)


@pytest.mark.parametrize(
    "says",
    [
        "data protection officer",  # who holds it, and how to reach their DPO
        "Part 3 of the Data Protection Act 2018",  # why, and the lawful basis
        "UK General Data Protection Regulation",
        "Immigration Enforcement can only ask whether you have a hold",  # who receives it
        "They cannot see your address",  # what IE cannot learn
        "Management of Police Information",  # how long it is kept
        "ask for it to be corrected",  # rights
        "Information Commissioner's Office",  # complaint
        "Where your information came from",  # source
    ],
)
def test_the_notice_says_what_domain_md_lists(says):
    assert says in NOTICE["texts"]["en"]


def test_a_text_once_held_is_never_changed_or_removed(db):
    text = NoticeText.objects.get(version="2026-01", language="en")
    with pytest.raises(ValueError, match="never changed"):
        text.save()
    for change in (
        lambda: NoticeText.objects.filter(pk=text.pk).update(text="Something else"),
        lambda: NoticeText.objects.filter(pk=text.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="never changed or removed"), transaction.atomic():
            change()
    assert NoticeText.objects.get(pk=text.pk).text == NOTICE["texts"]["en"]


@pytest.mark.parametrize("text", ["", "   \n "])
def test_a_version_without_a_text_is_refused(db, text):
    with pytest.raises(IntegrityError), transaction.atomic():
        NoticeText.objects.create(version="2027-01", language="en", text=text)


def test_a_new_version_leaves_the_earlier_one_as_it_was(db):
    NoticeText.objects.create(version="2027-01", language="en", text="A new wording.")
    assert NoticeText.objects.held("2026-01", "en").text == NOTICE["texts"]["en"]


def test_the_notices_are_listed_with_their_languages(api, officer):
    NoticeText.objects.create(version="2027-01", language="cy", text="Geiriad newydd.")
    response = api(officer).get("/api/v1/notices")
    assert response.status_code == 200
    assert response.json() == [
        {"version": "2027-01", "languages": ["cy"]},
        {"version": "2026-01", "languages": sorted(VICTIM_LANGUAGES)},
    ]


def test_one_text_is_returned_whole(api, caseworker):
    response = api(caseworker).get("/api/v1/notices/2026-01/ar")
    assert response.status_code == 200
    assert response.json() == {
        "version": "2026-01",
        "language": "ar",
        "text": NOTICE["texts"]["ar"],
    }


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/api/v1/notices/2026-01/zz", 400, "language"),
        ("/api/v1/notices/2026-01/english", 400, "language"),
        ("/api/v1/notices/2026-01/fr", 404, None),  # a language, but not one it is held in
        ("/api/v1/notices/1999-01/en", 404, None),
    ],
)
def test_an_unknown_language_is_a_400_and_a_text_not_held_a_404(api, officer, path, status, field):
    response = api(officer).get(path)
    assert response.status_code == status
    if field:
        assert field in response.json()


def _referral_body(notice: dict) -> dict:
    return {
        "victim": {
            "given_names": "Oksana",
            "family_name": "Kovalenko",
            "date_of_birth": "1988-03-02",
            "nationality": "UKR",
            "preferred_language": "uk",
        },
        "case": {
            "crime_reference": "CR/777/26",
            "crime_type": "labour_exploitation",
            "role": "victim",
            "reported_on": "2026-11-01",
            "investigation_status": "under_investigation",
            "narrative": "Held at a farm.",
        },
        "notice": {"given_on": "2026-11-02", **notice},
    }


@pytest.mark.parametrize(
    ("notice", "field"),
    [
        ({"version": "1", "language": "en"}, "notice.version"),
        ({"version": "2026-01", "language": "fr"}, "notice.language"),
        ({"version": "2026-01", "language": "zz"}, "notice.language"),
    ],
)
def test_a_referral_must_name_a_held_text(api, officer, notice, field):
    response = api(officer).post("/api/v1/referrals", _referral_body(notice), format="json")
    assert response.status_code == 400
    group, name = field.split(".")
    assert name in response.json()[group]


def test_the_victim_answer_carries_the_exact_words_given(api, officer):
    response = api(officer).post(
        "/api/v1/referrals", _referral_body({"version": "2026-01", "language": "uk"}), format="json"
    )
    assert response.status_code == 201, response.json()
    victim = api(officer).get(f"/api/v1/victims/{response.json()['victim']['id']}").json()
    assert victim["notice"] == {
        "version": "2026-01",
        "language": "uk",
        "given_on": "2026-11-02",
        "text": NOTICE["texts"]["uk"],
    }


def test_the_printable_record_shows_the_same_words(officer, client):
    referral = make_referral(officer)
    client.force_login(officer)
    response = client.get(reverse("victims:record", args=[referral.victim.pk]))
    html = response.content.decode()
    assert notice_data()["language"] == "sq"
    assert '<div class="casework-notice-text" lang="sq" dir="ltr">' in html
    first_paragraph = NOTICE["texts"]["sq"].split("\n\n")[1]
    assert escape(first_paragraph) in html
