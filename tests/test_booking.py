"""Booking: search near a place, free times, online booking with the safety rules, the
confirmation with its .ics and cancel link, reminders, the staff calendar, the feed."""

import json
import re
from datetime import datetime, time, timedelta
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from icalendar import Calendar

from mesoclinic.booking.models import Appointment, AppointmentStatus, SlotClaim, TimeOff
from mesoclinic.booking.selectors import (
    appointment_from_token,
    appointment_types,
    free_times,
    search_clinics,
)
from mesoclinic.booking.services import (
    BookingRefused,
    SlotTaken,
    appointment_book,
    appointment_cancel,
)
from tests.factories import (
    actor_for,
    make_clinic,
    make_patient,
    open_clinic_for_booking,
    ready_patient,
)
from tests.openapi import assert_matches_schema

pytestmark = pytest.mark.usefixtures("database_tasks")


@pytest.fixture
def bookable(personas, catalogue):
    open_clinic_for_booking(personas.clinic, personas.practitioner, personas.nurse)
    return personas


def next_free(personas, kind="consultation", member=None, days=3):
    clinic = personas.clinic
    appointment_type = next(t for t in appointment_types(clinic=clinic) if t.kind == kind)
    today = timezone.localdate()
    return free_times(members=[member or personas.practitioner],
                      appointment_type=appointment_type, first=today,
                      last=today + timedelta(days=days)).get(clinic.pk, []), appointment_type


def book_online(client, personas, start, kind="consultation", **person):
    details = {"first_name": "Manon", "last_name": "Girard", "date_of_birth": "1991-04-02",
               "email": "manon@example.com", "phone": "+33 6 11 22 33 44", **person}
    query = urlencode({"kind": kind, "practitioner": personas.practitioner.user_id,
                       "start": start.isoformat()})
    return client.post(f"/clinics/{personas.clinic.slug}/book/?{query}",
                       {**details, "kind": kind,
                        "practitioner": personas.practitioner.user_id,
                        "start": start.isoformat()})


def test_the_search_finds_clinics_near_a_city_nearest_first_with_free_times(bookable, client):
    far = make_clinic(name="Clinique de Vienne", city="Vienne")
    far.latitude, far.longitude = 45.5255, 4.8740  # 27 km south of Lyon
    far.save()
    page = client.get(reverse("find"), {"place": "Lyon", "radius": "50"})
    body = page.content.decode()
    assert page.status_code == 200
    assert body.index("Clinique Bellecour") < body.index("Clinique de Vienne")
    assert "Next free consultations" in body
    narrow = client.get(reverse("find"), {"place": "Lyon", "radius": "10"}).content.decode()
    assert "Clinique de Vienne" not in narrow
    unknown = client.get(reverse("find"), {"place": "Xyzzyville"}).content.decode()
    assert "We do not know" in unknown


def test_the_search_filters_by_treatment_and_accepts_a_browser_position(bookable):
    today = timezone.localdate()
    found = search_clinics(latitude=45.76, longitude=4.84, radius_km=25,
                           indication="cellulite", first=today, last=today + timedelta(days=7))
    assert [r.clinic.name for r in found] == ["Clinique Bellecour"]
    assert len(found[0].next_free) == 3
    none = search_clinics(latitude=45.76, longitude=4.84, radius_km=25,
                          indication="migraine", first=today, last=today + timedelta(days=7))
    assert none == []


def test_the_clinic_page_shows_practitioners_prices_hours_and_times(bookable, client):
    page = client.get(reverse("clinic_page", args=[bookable.clinic.slug])).content.decode()
    assert bookable.practitioner.user.full_name in page
    assert "Cellulite" in page and "Opening hours" in page
    assert 'class="slot"' in page


def test_a_new_patient_books_a_consultation_and_gets_the_email_with_its_ics(
        bookable, client, django_capture_on_commit_callbacks, run_worker):
    [slot, *_rest], _type = next_free(bookable)
    with django_capture_on_commit_callbacks(execute=True):
        response = book_online(client, bookable, slot.starts_at)
    assert response.status_code == 302 and response.url.startswith("/booking/")
    appointment = Appointment.objects.get()
    assert appointment.patient.email == "manon@example.com"
    assert appointment.patient.created_by is None
    run_worker()
    message = mail.outbox[-1]
    assert message.to == ["manon@example.com"]
    ics = next(a for a in message.attachments if a[0] == "appointment.ics")
    event = next(c for c in Calendar.from_ical(ics[1]).walk() if c.name == "VEVENT")
    assert event.decoded("dtstart") == appointment.starts_at
    # The email's link manages the same appointment (its signature carries its own time).
    token = re.search(r"/booking/([^/\s]+)/", message.body).group(1)
    assert appointment_from_token(token).pk == appointment.pk


def test_the_cancel_link_cancels_and_frees_the_time(bookable, client):
    [slot, *_rest], _type = next_free(bookable)
    manage = book_online(client, bookable, slot.starts_at).url
    assert "Your appointment is booked" in client.get(manage).content.decode()
    client.post(manage, {"action": "cancel"})
    appointment = Appointment.objects.get()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert not SlotClaim.objects.exists()
    [again, *_rest], _type = next_free(bookable)
    assert again.starts_at == slot.starts_at


def test_a_new_patient_cannot_book_a_treatment_first(bookable, client):
    [slot, *_rest], _type = next_free(bookable, kind="treatment")
    response = book_online(client, bookable, slot.starts_at, kind="treatment")
    assert response.status_code == 400
    assert "A first visit is a consultation" in response.content.decode()
    assert not Appointment.objects.exists()


def test_a_treatment_booked_too_early_is_refused_with_the_date_it_becomes_possible(
        bookable, clock):
    from mesoclinic.consultation.schemas import IntakeIn
    from mesoclinic.consultation.services import intake_submit

    patient, _product, _lot, _plan = ready_patient(clinic=bookable.clinic, clock=clock,
                                                   practitioner=bookable.practitioner)
    yesterday = (clock.now().astimezone(bookable.clinic.zoneinfo) - timedelta(days=1)).date()
    intake_submit(patient=patient, channel="staff", actor=actor_for(bookable.practitioner),
                  ip=None, data=IntakeIn(medications=[{"name": "Aspirin",
                                                       "drug_class": "aspirin",
                                                       "last_dose": yesterday}]))
    slots, treatment = next_free(bookable, kind="treatment")
    with pytest.raises(BookingRefused) as refused:
        appointment_book(clinic=bookable.clinic, membership=bookable.practitioner,
                         appointment_type=treatment, starts_at=slots[0].starts_at,
                         patient=patient, channel="online")
    # Taken some time yesterday: read as at its end, then 7 full days.
    earliest = yesterday + timedelta(days=8)
    assert refused.value.earliest == earliest
    assert f"{earliest.day} {earliest:%B %Y}" in refused.value.message
    assert "nsaid-washout" in refused.value.reasons


def test_a_treatment_is_booked_when_the_rules_allow_it_with_an_nsaid_reminder(
        bookable, clock, django_capture_on_commit_callbacks):
    patient, _product, _lot, _plan = ready_patient(clinic=bookable.clinic, clock=clock,
                                                   practitioner=bookable.practitioner)
    _slots, treatment = next_free(bookable, kind="treatment")
    today = clock.now().astimezone(bookable.clinic.zoneinfo).date()
    later = free_times(members=[bookable.practitioner], appointment_type=treatment,
                       first=today + timedelta(days=10), last=today + timedelta(days=10),
                       not_before=clock.now())[bookable.clinic.pk][0]
    with django_capture_on_commit_callbacks(execute=True):
        appointment = appointment_book(clinic=bookable.clinic,
                                       membership=bookable.practitioner,
                                       appointment_type=treatment, starts_at=later.starts_at,
                                       patient=patient, channel="staff")
    reminders = DBTaskResult.objects.filter(task_path__endswith="send_reminder")
    assert sorted(r.run_after for r in reminders) == [
        appointment.starts_at - timedelta(days=7), appointment.starts_at - timedelta(hours=24)]


def test_the_reminder_says_to_stop_nsaids_and_is_skipped_after_a_move(bookable):
    from mesoclinic.booking.services import reminder_send

    patient = make_patient(clinic=bookable.clinic, email="lea@example.com")
    [slot, *_rest], consultation = next_free(bookable)
    appointment = appointment_book(clinic=bookable.clinic, membership=bookable.practitioner,
                                   appointment_type=consultation, starts_at=slot.starts_at,
                                   patient=patient, channel="staff")
    assert reminder_send(appointment_id=appointment.pk, kind="nsaid",
                         expected_start=appointment.starts_at.isoformat())
    assert "Stop aspirin" in mail.outbox[-1].subject
    assert not reminder_send(appointment_id=appointment.pk, kind="day-before",
                             expected_start="2000-01-01T00:00:00+00:00")


def test_two_bookings_of_the_same_time_cannot_both_stand(bookable):
    first, second = (make_patient(clinic=bookable.clinic) for _ in range(2))
    [slot, *_rest], consultation = next_free(bookable)
    args = dict(clinic=bookable.clinic, membership=bookable.practitioner,
                appointment_type=consultation, starts_at=slot.starts_at, channel="staff")
    appointment_book(patient=first, **args)
    with pytest.raises(SlotTaken):
        appointment_book(patient=second, check_hours=False, **args)  # the database says no
    assert Appointment.objects.count() == 1


def test_overlapping_but_different_times_are_refused_too(bookable):
    patient = make_patient(clinic=bookable.clinic)
    [slot, *_rest], consultation = next_free(bookable)
    appointment_book(clinic=bookable.clinic, membership=bookable.practitioner,
                     appointment_type=consultation, starts_at=slot.starts_at,
                     patient=patient, channel="staff")
    with pytest.raises(SlotTaken):
        appointment_book(clinic=bookable.clinic, membership=bookable.practitioner,
                         appointment_type=consultation,
                         starts_at=slot.starts_at + timedelta(minutes=20),
                         patient=make_patient(clinic=bookable.clinic), channel="staff",
                         check_hours=False)


def test_time_off_and_closed_hours_offer_no_times(bookable):
    tomorrow = timezone.localdate() + timedelta(days=1)
    TimeOff.objects.create(clinic=bookable.clinic, membership=None, first_day=tomorrow,
                           last_day=tomorrow, reason="Bank holiday")
    slots, _type = next_free(bookable, days=2)
    assert all(s.starts_at.astimezone(bookable.clinic.zoneinfo).date() != tomorrow
               for s in slots)
    assert all(time(8) <= s.starts_at.astimezone(bookable.clinic.zoneinfo).time() < time(20)
               for s in slots)


def test_staff_see_the_day_and_week_calendar_and_move_an_appointment(client_as, bookable):
    patient = make_patient(clinic=bookable.clinic, last_name="Calendrier")
    [slot, *rest], consultation = next_free(bookable)
    appointment = appointment_book(clinic=bookable.clinic, membership=bookable.practitioner,
                                   appointment_type=consultation, starts_at=slot.starts_at,
                                   patient=patient, channel="staff")
    day = slot.starts_at.astimezone(bookable.clinic.zoneinfo).date().isoformat()
    client = client_as(bookable.reception)
    for view in ("day", "week"):
        page = client.get(reverse("staff_calendar"), {"date": day, "view": view})
        assert "Calendrier" in page.content.decode()
    new_start = rest[10].starts_at.astimezone(bookable.clinic.zoneinfo)
    client.post(reverse("staff_appointment", args=[appointment.pk]), {
        "action": "move", "start": new_start.strftime("%Y-%m-%dT%H:%M"),
        "practitioner": bookable.practitioner.user_id})
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    moved = Appointment.objects.get(status=AppointmentStatus.BOOKED)
    assert moved.starts_at == rest[10].starts_at
    assert client_as(bookable.outsider).get(
        reverse("staff_appointment", args=[moved.pk])).status_code == 404


def test_only_owners_change_availability(client_as, bookable):
    assert client_as(bookable.owner).get(reverse("availability")).status_code == 200
    assert client_as(bookable.practitioner).get(reverse("availability")).status_code == 403


def test_the_practitioners_feed_is_behind_a_secret_url_and_shows_no_medical_detail(
        client, client_as, bookable):
    patient = make_patient(clinic=bookable.clinic, first_name="Secret", last_name="Person")
    [slot, *_rest], consultation = next_free(bookable)
    appointment_book(clinic=bookable.clinic, membership=bookable.practitioner,
                     appointment_type=consultation, starts_at=slot.starts_at,
                     patient=patient, channel="staff")
    page = client_as(bookable.practitioner).post(reverse("calendar_feed")).content.decode()
    url = page.split('value="http://testserver', 1)[1].split('"', 1)[0]
    client.logout()
    feed = client.get(url)
    assert feed["Content-Type"].startswith("text/calendar")
    body = feed.content.decode()
    assert "Consultation — S. P." in body and "Secret" not in body
    assert client.get("/feeds/not-the-key.ics").status_code == 404


def test_the_booking_api(client, bookable, api_headers):
    [slot, *_rest], _type = next_free(bookable)
    search = client.get("/api/v1/public/search", {"place": "Lyon", "radius": 25})
    assert search.status_code == 200
    assert_matches_schema(search, "/api/v1/public/search", "get")
    assert search.json()["results"][0]["clinic"]["slug"] == bookable.clinic.slug
    slots = client.get(f"/api/v1/public/clinics/{bookable.clinic.slug}/slots",
                       {"kind": "consultation"})
    assert_matches_schema(slots, "/api/v1/public/clinics/{slug}/slots", "get")
    body = {"kind": "consultation", "practitioner": bookable.practitioner.user_id,
            "starts_at": slot.starts_at.isoformat(),
            "person": {"first_name": "Api", "last_name": "Patient",
                       "date_of_birth": "1990-01-01", "email": "api@example.com"}}
    booked = client.post(f"/api/v1/public/clinics/{bookable.clinic.slug}/appointments",
                         json.dumps(body), content_type="application/json")
    assert booked.status_code == 201
    assert_matches_schema(booked, "/api/v1/public/clinics/{slug}/appointments", "post")
    again = client.post(f"/api/v1/public/clinics/{bookable.clinic.slug}/appointments",
                        json.dumps(body), content_type="application/json")
    assert again.status_code == 409
    staff = client.get("/api/v1/appointments", **api_headers(bookable.reception))
    assert staff.status_code == 200 and len(staff.json()) == 1
    assert client.get("/api/v1/appointments", **api_headers(bookable.outsider)).json() == []
    assert client.get("/api/v1/appointments").status_code == 401
    token = booked.json()["manage_token"]
    cancelled = client.post(f"/api/v1/public/appointments/{token}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    assert client.get("/api/v1/appointments", **api_headers(bookable.reception)).json() == []


def test_cancelling_twice_is_a_clear_error(bookable):
    from mesoclinic.core.errors import InvalidInput

    [slot, *_rest], consultation = next_free(bookable)
    appointment = appointment_book(clinic=bookable.clinic, membership=bookable.practitioner,
                                   appointment_type=consultation, starts_at=slot.starts_at,
                                   patient=make_patient(clinic=bookable.clinic),
                                   channel="staff")
    appointment_cancel(appointment=appointment)
    with pytest.raises(InvalidInput):
        appointment_cancel(appointment=appointment)


def test_a_past_or_misaligned_time_is_refused(bookable):
    from mesoclinic.core.errors import InvalidInput

    _slots, consultation = next_free(bookable)
    patient = make_patient(clinic=bookable.clinic)
    for start in (timezone.now() - timedelta(hours=1),
                  datetime(2030, 1, 1, 10, 3, tzinfo=bookable.clinic.zoneinfo)):
        with pytest.raises(InvalidInput):
            appointment_book(clinic=bookable.clinic, membership=bookable.practitioner,
                             appointment_type=consultation, starts_at=start,
                             patient=patient, channel="staff")


def test_staff_book_and_cancel_through_the_api(client, bookable, api_headers):
    patient = make_patient(clinic=bookable.clinic)
    [slot, *_rest], _type = next_free(bookable)
    headers = api_headers(bookable.reception)
    body = {"patient": patient.pk, "practitioner": bookable.practitioner.user_id,
            "starts_at": slot.starts_at.isoformat()}
    booked = client.post("/api/v1/appointments", json.dumps(body),
                         content_type="application/json", **headers)
    assert booked.status_code == 201
    assert_matches_schema(booked, "/api/v1/appointments", "post")
    taken = client.post("/api/v1/appointments",
                        json.dumps({**body, "patient": make_patient(clinic=bookable.clinic).pk}),
                        content_type="application/json", **headers)
    assert taken.status_code == 409 and taken.json()["code"] == "slot-taken"
    assert_matches_schema(taken, "/api/v1/appointments", "post")
    theirs = client.post("/api/v1/appointments", json.dumps(body),
                         content_type="application/json", **api_headers(bookable.outsider))
    assert theirs.status_code == 404
    cancelled = client.post(f"/api/v1/appointments/{booked.json()['id']}/cancel", **headers)
    assert cancelled.json()["status"] == "cancelled"


def test_owners_set_prices_offers_and_the_public_profile(client, client_as, bookable):
    from mesoclinic.booking.models import AppointmentType
    from mesoclinic.catalog.models import Indication

    owner = client_as(bookable.owner)
    consultation = AppointmentType.objects.get(clinic=bookable.clinic, kind="consultation")
    migraine = Indication.objects.get(code="migraine")
    form = {"form": "types", "offers": [str(migraine.pk)], f"offer{migraine.pk}_price": "95"}
    for t in AppointmentType.objects.filter(clinic=bookable.clinic):
        form.update({f"t{t.pk}_duration": "45" if t.pk == consultation.pk else
                     str(t.duration_minutes), f"t{t.pk}_buffer": str(t.buffer_minutes),
                     f"t{t.pk}_price": "70" if t.pk == consultation.pk else "",
                     f"t{t.pk}_online": "on"})
    owner.post(reverse("availability"), form)
    owner.post(reverse("availability"), {"form": "profile", "city": "Grenoble",
                                         "address": "2 place Grenette", "listed": "on",
                                         "phone": "+33 4 76 00 00 00", "description": ""})
    consultation.refresh_from_db()
    assert (consultation.duration_minutes, consultation.price) == (45, 70)
    page = client.get(reverse("clinic_page", args=[bookable.clinic.slug])).content.decode()
    assert "Migraine" in page and "95" in page and "Cellulite" not in page
    bookable.clinic.refresh_from_db()
    assert bookable.clinic.city == "Grenoble" and round(bookable.clinic.latitude, 1) == 45.2


def test_a_duration_off_the_5_minute_grid_changes_nothing(client_as, bookable):
    from mesoclinic.booking.models import AppointmentType

    consultation = AppointmentType.objects.get(clinic=bookable.clinic, kind="consultation")
    response = client_as(bookable.owner).post(reverse("availability"), {
        "form": "types", f"t{consultation.pk}_duration": "33"}, follow=True)
    assert "multiples of 5 minutes" in response.content.decode()
    consultation.refresh_from_db()
    assert consultation.duration_minutes == 30


def test_a_clinic_opens_with_the_usual_appointment_types_and_reading_them_writes_nothing(
        personas, client):
    from django.db import connection

    from mesoclinic.booking.selectors import appointment_types
    from tests.statements import count_statements

    kinds = [t.kind for t in appointment_types(clinic=personas.other_clinic)]
    assert kinds == ["consultation", "allergy_read", "treatment", "follow_up"]
    assert {t.currency for t in appointment_types(clinic=personas.other_clinic)} == {"GBP"}
    with count_statements(connection) as counts:
        response = client.get(f"/clinics/{personas.clinic.slug}/")
    assert response.status_code == 200
    assert not [s for s in counts.sql if s.lstrip().upper().startswith("INSERT")]


def _event_of(message, name=None):
    ics = next(a for a in message.attachments if name is None or a[0] == name)
    calendar = Calendar.from_ical(ics[1])
    event = next(c for c in calendar.walk() if c.name == "VEVENT")
    return str(calendar["method"]), str(event["uid"]), int(event.get("sequence", 0)), event


def test_moving_and_cancelling_update_the_one_event_in_the_patients_calendar(
        bookable, client, run_worker):
    slots, _type = next_free(bookable)
    manage = book_online(client, bookable, slots[0].starts_at).url
    run_worker()
    booked = mail.outbox[-1]
    method, uid, sequence, _event = _event_of(booked, "appointment.ics")
    assert (method, sequence) == ("REQUEST", 0)

    # Moved through the link: the new time, in the same event with a higher SEQUENCE.
    new_start = slots[3].starts_at
    moved_page = client.post(manage, {"action": "move", "start": new_start.astimezone(
        bookable.clinic.zoneinfo).strftime("%Y-%m-%dT%H:%M")})
    assert moved_page.status_code == 302
    run_worker()
    moved = mail.outbox[-1]
    assert moved.subject == f"Your appointment at {bookable.clinic.name} has moved"
    assert "has moved from" in moved.body
    method, moved_uid, moved_sequence, event = _event_of(moved, "appointment.ics")
    assert (method, moved_uid) == ("REQUEST", uid) and moved_sequence > sequence
    assert event.decoded("dtstart") == new_start
    assert not [m for m in mail.outbox if "is booked for" in m.body and m is not booked]

    # Cancelled: an email whose .ics cancels that same event, with a higher SEQUENCE still.
    client.post(moved_page.url, {"action": "cancel"})
    run_worker()
    cancelled = mail.outbox[-1]
    assert cancelled.subject == f"Your appointment at {bookable.clinic.name} is cancelled"
    method, cancelled_uid, cancelled_sequence, event = _event_of(cancelled, "cancelled.ics")
    assert (method, cancelled_uid, str(event["status"])) == ("CANCEL", uid, "CANCELLED")
    assert cancelled_sequence > moved_sequence
    assert f"/clinics/{bookable.clinic.slug}/" in cancelled.body


def test_the_clinic_page_groups_free_times_by_day_and_practitioner_and_keeps_choices(
        bookable, client):
    page = client.get(f"/clinics/{bookable.clinic.slug}/").content.decode()
    practitioner, nurse = bookable.practitioner.user, bookable.nurse.user
    assert page.count('<section class="freeday"') == 3  # a few days at a time
    assert practitioner.full_name in page and nurse.full_name in page
    initials = "".join(p[0] for p in practitioner.full_name.split()[:2]).upper()
    assert f'<span class="avatar" aria-hidden="true">{initials}</span>' in page
    assert "Any practitioner" in page
    # One practitioner chosen: only their times, and every link keeps the choice.
    only = client.get(f"/clinics/{bookable.clinic.slug}/",
                      {"practitioner": nurse.pk, "kind": "consultation"}).content.decode()
    assert f"<strong>{practitioner.full_name}</strong>" not in only
    assert f"practitioner={nurse.pk}&amp;from=" in only
    assert "back=" in only


def test_the_booking_form_shows_what_when_how_long_how_much_and_the_policy(
        bookable, client):
    from mesoclinic.booking.models import AppointmentType

    AppointmentType.objects.filter(clinic=bookable.clinic, kind="consultation").update(
        price="45.00")
    [slot, *_rest], _type = next_free(bookable)
    query = urlencode({"kind": "consultation", "practitioner": bookable.practitioner.user_id,
                       "start": slot.starts_at.isoformat(),
                       "back": f"/clinics/{bookable.clinic.slug}/?kind=a"})
    page = client.get(f"/clinics/{bookable.clinic.slug}/book/?{query}").content.decode()
    assert "£45.00" in page  # the clinic's currency (it is in the UK)
    assert "30 min" in page or "min)" in page
    assert "free of charge up to 24 hours before" in page
    assert f'href="/clinics/{bookable.clinic.slug}/?kind=a"' in page
    elsewhere = client.get(f"/clinics/{bookable.clinic.slug}/book/?" + urlencode({
        "kind": "consultation", "practitioner": bookable.practitioner.user_id,
        "start": slot.starts_at.isoformat(), "back": "javascript:alert(1)"}))
    assert "javascript:" not in elsewhere.content.decode()


def test_a_to_date_before_the_from_date_is_said_plainly(bookable, client):
    today = timezone.localdate()
    page = client.get("/find/", {"place": "Lyon", "from": (today + timedelta(days=5))
                                 .isoformat(), "to": today.isoformat()}).content.decode()
    assert "The “To” date is before the “From” date" in page
