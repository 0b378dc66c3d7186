"""Ids past what a row can hold and dates at the calendar's ends answer a clear 4xx,
on the API and on pages, and nothing is saved."""

import pytest

from mesoclinic.booking.models import Appointment

HUGE = str(2**64)


@pytest.mark.parametrize("path", [
    f"/api/v1/patients/{HUGE}", f"/api/v1/patients/{HUGE}/checklist?practitioner=1",
    f"/api/v1/lots/{HUGE}/recipients", f"/api/v1/plans/{HUGE}", f"/api/v1/sessions/{HUGE}",
    f"/api/v1/patients/{HUGE}/allergy-tests", f"/api/v1/comparisons/{HUGE}",
])
def test_an_id_beyond_64_bits_in_an_api_path_is_a_404_naming_it(client, personas, api_headers,
                                                                  path):
    response = client.get(path, **api_headers(personas.practitioner))
    assert response.status_code == 404
    assert response.json()["code"] == "not-found" and response.json()["field"]


@pytest.mark.parametrize("path", [f"/patients/{HUGE}/", f"/plans/{HUGE}/",
                                  f"/appointments/{HUGE}/"])
def test_an_id_beyond_64_bits_in_a_page_address_is_a_404(client_as, personas, path):
    assert client_as(personas.practitioner).get(path).status_code == 404


def test_huge_ids_in_a_query_or_a_body_are_refused_naming_the_field(client, personas,
                                                                    api_headers, catalogue):
    from tests.factories import make_patient

    headers = api_headers(personas.practitioner)
    patient = make_patient(clinic=personas.clinic)
    checklist = client.get(f"/api/v1/patients/{patient.pk}/checklist",
                           {"practitioner": HUGE, "products": [HUGE]}, **headers)
    assert checklist.status_code == 422
    assert {e["loc"][-1] for e in checklist.json()["detail"]} >= {"practitioner"}
    booked = client.post("/api/v1/appointments", {
        "patient": int(HUGE), "practitioner": personas.practitioner.user_id,
        "starts_at": "2030-01-07T10:00:00+01:00"}, content_type="application/json", **headers)
    assert booked.status_code == 422
    assert [e["loc"][-1] for e in booked.json()["detail"]] == ["patient"]
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_dates_at_the_calendar_s_ends_are_refused_naming_the_field(client, personas,
                                                                   api_headers, catalogue,
                                                                   day):
    search = client.get("/api/v1/public/search", {"place": "Lyon", "date_from": day})
    assert search.status_code == 422 and "date_from" in search.content.decode()
    staff = client.get("/api/v1/appointments", {"date_from": day},
                       **api_headers(personas.reception))
    assert staff.status_code == 422 and "date_from" in staff.content.decode()
    slots = client.get(f"/api/v1/public/clinics/{personas.clinic.slug}/slots",
                       {"date_from": day})
    assert slots.status_code == 422


@pytest.mark.parametrize("query", ["date=0001-01-01", "date=9999-12-31", f"date={HUGE}"])
def test_a_page_refuses_a_date_at_the_calendar_s_ends_naming_the_field(client_as, personas,
                                                                       query):
    page = client_as(personas.reception).get(f"/calendar/?view=week&{query}")
    assert page.status_code == 400
    assert "date must be a date between 1900-01-01 and 2200-12-31" in page.content.decode()


@pytest.mark.parametrize("query,field", [("from=0001-01-01", "from"),
                                         ("from=2026-01-01&to=9999-12-31", "to")])
def test_the_public_search_page_refuses_far_dates_naming_the_field(client, personas,
                                                                   catalogue, query, field):
    page = client.get(f"/find/?place=Lyon&{query}")
    assert page.status_code == 400
    assert f"{field} must be a date" in page.content.decode()
