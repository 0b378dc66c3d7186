"""The public pages and endpoints answer malformed input with a clear 4xx, never a 500."""

import pytest

from tests.factories import open_clinic_for_booking

GETS = [
    "/find/?place=&radius=abc&from=garbage&to=2026-99-99",
    "/find/?lat=1000&lon=-999",
    "/find/?lat=x&lon=y&place=Lyon",
    "/find/places.json?q=" + "x" * 300,
    "/clinics/no-such-clinic/",
    "/clinics/{slug}/?kind=nonsense&from=yesterday",
    "/clinics/{slug}/book/?start=not-a-date&kind=treatment&practitioner=abc",
    "/clinics/{slug}/book/?start=2020-01-01T10:00:00%2B00:00&kind=consultation&practitioner=1",
    "/booking/not-a-token/",
    "/c/not-a-token/",
    "/p/not-a-token/",
    "/feeds/nothing.ics",
    "/api/v1/public/search",
    "/api/v1/public/search?lat=1000&lon=0",
    "/api/v1/public/search?place=Xyzzyville",
    "/api/v1/public/clinics/no-such/slots",
    "/api/v1/public/clinics/{slug}/slots?kind=nonsense&days=999",
]


@pytest.mark.parametrize("url", GETS)
def test_malformed_public_requests_are_clear_4xx_or_pages(client, personas, catalogue, url):
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    response = client.get(url.format(slug=personas.clinic.slug))
    assert response.status_code < 500


@pytest.mark.parametrize("body", ["{", "[]", '{"kind": "consultation"}',
                                  '{"kind": "x", "practitioner": "y", "starts_at": "z", '
                                  '"person": {}}'])
def test_malformed_public_bookings_are_4xx(client, personas, catalogue, body):
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    response = client.post(f"/api/v1/public/clinics/{personas.clinic.slug}/appointments",
                           body, content_type="application/json")
    assert 400 <= response.status_code < 500


def test_a_booking_form_with_missing_fields_names_them(client, personas, catalogue):
    from datetime import timedelta
    from urllib.parse import urlencode

    from django.utils import timezone

    from mesoclinic.booking.selectors import appointment_types, free_times

    open_clinic_for_booking(personas.clinic, personas.practitioner)
    kind = next(t for t in appointment_types(clinic=personas.clinic)
                if t.kind == "consultation")
    today = timezone.localdate()
    start = free_times(members=[personas.practitioner], appointment_type=kind, first=today,
                       last=today + timedelta(days=2))[personas.clinic.pk][0].starts_at
    query = urlencode({"kind": "consultation", "practitioner": personas.practitioner.user_id,
                       "start": start.isoformat()})
    response = client.post(f"/clinics/{personas.clinic.slug}/book/?{query}", {
        "kind": "consultation", "practitioner": personas.practitioner.user_id,
        "start": start.isoformat(), "first_name": "", "email": "nope"})
    body = response.content.decode()
    assert response.status_code == 400
    for field in ("first_name", "last_name", "date_of_birth", "email"):
        assert f'id="err_{field}"' in body


def test_a_time_sent_without_an_offset_is_the_clinics_wall_clock(client, personas, catalogue):
    import json
    from datetime import datetime, timedelta

    from mesoclinic.booking.models import Appointment
    from mesoclinic.core import moments

    open_clinic_for_booking(personas.clinic, personas.practitioner)
    day = moments.today(personas.clinic) + timedelta(days=3)
    response = client.post(
        f"/api/v1/public/clinics/{personas.clinic.slug}/appointments", json.dumps({
            "kind": "consultation", "practitioner": personas.practitioner.user_id,
            "starts_at": f"{day.isoformat()}T10:00:00",
            "person": {"first_name": "Léa", "last_name": "Martin",
                       "date_of_birth": "1980-01-01", "email": "lea@example.com"}}),
        content_type="application/json")
    assert response.status_code == 201, response.content
    booked = Appointment.objects.get(pk=response.json()["id"])
    assert moments.in_zone(booked.starts_at, personas.clinic).replace(tzinfo=None) == \
        datetime.combine(day, datetime.min.time().replace(hour=10))
