"""Subject access: everything held about the person, as JSON, a printable page and a PDF, for a
police supervisor of a force with a case; another force's case only as "a case of another
force"; other roles 403, other forces 404, each recorded."""

from io import BytesIO

import pytest
from pypdf import PdfReader

from accounts.models import AccessEvent
from cases.models import Case
from tests.factories import UserFactory, case_data, make_referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(force):
    return UserFactory(role="police_supervisor", organisation=force, email="sup@northshire.example")


@pytest.fixture
def other_supervisor(other_force):
    return UserFactory(
        role="police_supervisor", organisation=other_force, email="sup@southshire.example"
    )


@pytest.fixture
def person(officer, other_officer):
    """A person with a case of this force and a case of another force (as after a join)."""
    first = make_referral(
        officer,
        victim={"home_office_reference": "X7654321"},
        case={"narrative": "Northshire's own narrative"},
    )
    second = Case.objects.create(
        victim=first.victim,
        force=other_officer.organisation,
        officer=other_officer,
        **case_data(narrative="Southshire's secret narrative", crime_reference="SOUTH/1"),
    )
    return first, second


def exports(user) -> int:
    return AccessEvent.objects.filter(actor=user, action="export").count()


def test_the_json_holds_everything_about_the_person_and_hides_another_forces_case(
    api, supervisor, person
):
    first, second = person
    answer = api(supervisor).get(f"/api/v1/victims/{first.victim.pk}/export")
    assert answer.status_code == 200
    data = answer.json()
    assert data["person"]["family_name"] == "Diallo"
    assert data["person"]["contact"] and data["person"]["address"]
    assert data["person"]["home_office_reference"] == "X7654321"
    cases = {case["case"]: case for case in data["cases"]}
    other = cases["a case of another force"]
    assert set(other) == {
            "case", "role", "reported_on", "referred_on", "investigation_status", "closed_on",
        "prosecution_status", "concluded_on",
    }  # fmt: skip
    text = answer.content.decode()
    for secret in ("Southshire's secret narrative", "SOUTH/1", second.reference):
        assert secret not in text
    assert cases[first.case.reference]["narrative"] == "Northshire's own narrative"
    assert data["hold"]["reference"] and data["hold"]["history"]
    assert isinstance(data["disclosures"], list)
    assert exports(supervisor) == 1


def test_other_roles_are_refused_and_other_forces_get_a_404_recorded(
    api, officer, adviser, senior, auditor, supervisor, other_force
):
    referral = make_referral(officer)
    url = f"/api/v1/victims/{referral.victim.pk}/export"
    for user in (officer, adviser, senior, auditor):
        assert api(user).get(url).status_code == 403
    stranger = UserFactory(role="police_supervisor", organisation=other_force)
    assert api(stranger).get(url).status_code == 404
    assert AccessEvent.objects.filter(
        actor=stranger, action="export", object_id=str(referral.victim.pk), outcome="denied"
    ).exists()
    assert api(supervisor).get(url).status_code == 200


def test_the_printable_page_and_the_pdf_are_each_an_export(client, supervisor, officer):
    referral = make_referral(officer, case={"narrative": "Assault at home by partner."})
    client.force_login(supervisor)
    page = client.get(f"/victims/{referral.victim.pk}/export")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Everything held about" in html and "Assault at home by partner." in html
    # Codes are shown as the service's words, not as stored.
    assert "Under investigation" in html and "Domestic abuse" in html
    assert "domestic_abuse" not in html and "(investigation_ongoing)" not in html
    pdf = client.get(f"/victims/{referral.victim.pk}/export.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert exports(supervisor) == 2
    text = " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(BytesIO(pdf.content)).pages
    )
    assert "Everything held about" in text and "Assault at home by partner." in text
    assert "Under investigation" in text and "Domestic abuse" in text
    assert referral.victim.reference in text and "domestic_abuse" not in text


@pytest.mark.parametrize("path", ["export", "export.pdf"])
def test_the_page_and_the_pdf_refuse_other_roles_and_hide_other_forces_recorded(
    client, path, officer, adviser, senior, auditor, supervisor, other_force
):
    """As the JSON export: every other role 403, a supervisor of another force 404 (recorded
    as a denied export), this force's supervisor 200."""
    referral = make_referral(officer)
    url = f"/victims/{referral.victim.pk}/{path}"
    for user in (officer, adviser, senior, auditor):
        client.force_login(user)
        assert client.get(url).status_code == 403, user
    stranger = UserFactory(role="police_supervisor", organisation=other_force)
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    assert AccessEvent.objects.filter(
        actor=stranger, action="export", object_id=str(referral.victim.pk), outcome="denied"
    ).exists()
    client.force_login(supervisor)
    assert client.get(url).status_code == 200


def test_the_victim_page_links_supervisors_to_the_export(client, supervisor, officer):
    referral = make_referral(officer)
    client.force_login(supervisor)
    page = client.get(f"/victims/{referral.victim.pk}").content.decode()
    assert f"/victims/{referral.victim.pk}/export" in page
    client.force_login(officer)
    assert "/export" not in client.get(f"/victims/{referral.victim.pk}").content.decode()
