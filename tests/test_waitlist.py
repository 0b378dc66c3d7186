"""The waiting list that knows the rules: a freed time is offered, in the order they asked,
to the waiting patients the safety rules allow at that time; the first to take it gets it,
by the booking service's own slot claims."""

from __future__ import annotations

import re
import threading

import pytest
from django.core import mail
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from mesoclinic.booking.models import Appointment, WaitlistEntry, WaitlistOffer
from mesoclinic.booking.selectors import appointment_type_of
from mesoclinic.booking.services import (
    appointment_cancel,
    waitlist_accept,
    waitlist_join,
    waitlist_offer_freed,
    waitlist_offer_key,
)
from mesoclinic.core import moments
from mesoclinic.core.models import AuditEvent
from tests.factories import (
    book_for,
    make_intake,
    make_patient,
    open_clinic_for_booking,
    ready_patient,
)

pytestmark = pytest.mark.usefixtures("database_tasks")


def book(personas, patient, *, days: int, index: int = 0, kind: str = "consultation"):
    return book_for(patient=patient, member=personas.practitioner, days_ahead=days,
                    kind=kind, index=index)


@pytest.fixture
def queue(personas, catalogue):
    """Three patients booked in eight days, on the list for an earlier time (in the order
    first, second, third), and one booked in two days who will cancel."""
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    waiting = []
    for n, name in enumerate(("first", "second", "third")):
        patient = make_patient(clinic=personas.clinic, email=f"{name}@example.org",
                               language="fr" if n == 1 else "en")
        appointment = book(personas, patient, days=8, index=n * 4)
        waitlist_join(appointment=appointment, ip=None)
        waiting.append(appointment)
    leaving = book(personas, make_patient(clinic=personas.clinic), days=2)
    return {"waiting": waiting, "leaving": leaving}


def test_a_cancelled_time_is_offered_in_the_order_asked(personas, queue, run_worker,
                                                        settings):
    settings.WAITLIST_OFFERS_PER_TIME = 2
    appointment_cancel(appointment=queue["leaving"])
    run_worker()
    offers = list(WaitlistOffer.objects.order_by("id"))
    assert [o.entry.appointment_id for o in offers] == [a.pk for a in queue["waiting"][:2]]
    assert all(o.starts_at == queue["leaving"].starts_at for o in offers)
    sent = [m for m in mail.outbox if "earlier" in m.subject.lower() or "plus tôt" in
            m.subject]
    assert [m.to for m in sent] == [["first@example.org"], ["second@example.org"]]
    assert sent[1].subject.startswith("Un horaire plus tôt")  # in that patient's language
    assert "/waitlist/" in sent[0].body
    assert AuditEvent.objects.filter(action="waitlist.offer").count() == 2


def test_taking_the_offer_moves_the_appointment_and_the_second_is_told_it_is_gone(
        client, personas, queue, run_worker):
    appointment_cancel(appointment=queue["leaving"])
    run_worker()
    first, second, _third = WaitlistOffer.objects.order_by("id")
    page = client.get(reverse("waitlist_offer", args=[waitlist_offer_key(first)]))
    assert page.status_code == 200 and "Take this time" in page.content.decode()
    taken = client.post(reverse("waitlist_offer", args=[waitlist_offer_key(first)]))
    assert taken.status_code == 302 and "/booking/" in taken.url
    moved = Appointment.objects.get(patient_id=first.entry.patient_id, status="booked")
    assert moved.starts_at == queue["leaving"].starts_at
    assert WaitlistEntry.objects.get(pk=first.entry_id).status == "booked"
    late = client.post(reverse("waitlist_offer", args=[waitlist_offer_key(second)]))
    assert late.status_code == 409
    assert "Someone else took this time" in late.content.decode()
    kept = Appointment.objects.get(pk=second.entry.appointment_id)
    assert kept.status == "booked"
    assert WaitlistEntry.objects.get(pk=second.entry_id).status == "waiting"


def test_an_offer_ends_when_its_hold_runs_out(client, personas, queue, run_worker, clock):
    appointment_cancel(appointment=queue["leaving"])
    run_worker()
    offer = WaitlistOffer.objects.order_by("id").first()
    clock.advance(hours=2, minutes=1)
    response = client.post(reverse("waitlist_offer", args=[waitlist_offer_key(offer)]))
    assert response.status_code == 409 and "hold ran out" in response.content.decode()
    assert Appointment.objects.get(pk=offer.entry.appointment_id).status == "booked"


def test_an_unknown_offer_link_says_so(client, personas):
    response = client.get(reverse("waitlist_offer", args=["nothing-here"]))
    assert response.status_code == 404 and "not valid" in response.content.decode()


def test_a_treatment_time_goes_only_to_patients_the_safety_rules_allow(personas, catalogue,
                                                                       clock):
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    blocked, _p, _l, _plan = ready_patient(clinic=personas.clinic, clock=clock,
                                           practitioner=personas.practitioner)
    allowed, _p, _l, _plan = ready_patient(clinic=personas.clinic, clock=clock,
                                           practitioner=personas.practitioner)
    later = [book(personas, p, days=20, index=8 * n, kind="treatment")
             for n, p in enumerate((blocked, allowed))]
    for appointment in later:
        waitlist_join(appointment=appointment, ip=None)
    # The first to ask took ibuprofen today: no treatment for seven days.
    today = moments.today(personas.clinic).isoformat()
    with timezone.override(personas.clinic.zoneinfo):  # as the intake page judges dates
        make_intake(patient=blocked, medications=[{
            "name": "Ibuprofen", "drug_class": "nsaid", "last_dose": today}])
    leaving = book(personas, make_patient(clinic=personas.clinic), days=3)
    treatment_time = leaving.starts_at
    Appointment.objects.filter(pk=leaving.pk).update(
        type=appointment_type_of(clinic=personas.clinic, kind="treatment"), kind="treatment")
    leaving.refresh_from_db()
    appointment_cancel(appointment=leaving)
    assert waitlist_offer_freed(appointment_id=leaving.pk) == 1
    offer = WaitlistOffer.objects.get()
    assert offer.entry.patient_id == allowed.pk and offer.starts_at == treatment_time


@pytest.mark.django_db(transaction=True)
def test_two_patients_taking_one_freed_time_at_once_leave_one_winner(personas, catalogue):
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    waiting = []
    for n in range(2):
        appointment = book(personas, make_patient(clinic=personas.clinic,
                                                  email=f"p{n}@example.org"),
                           days=8, index=n * 4)
        waitlist_join(appointment=appointment, ip=None)
        waiting.append(appointment)
    leaving = book(personas, make_patient(clinic=personas.clinic), days=2)
    appointment_cancel(appointment=leaving)
    waitlist_offer_freed(appointment_id=leaving.pk)
    offers = list(WaitlistOffer.objects.order_by("id"))
    assert len(offers) == 2
    barrier = threading.Barrier(2)
    results: list[object] = []
    lock = threading.Lock()

    def take(offer) -> None:
        try:
            barrier.wait()
            try:
                outcome = waitlist_accept(offer=offer, ip=None)
                result = "moved" if outcome is not None else "taken"
            except Exception as error:  # recorded: the test fails on it
                result = error
            with lock:
                results.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take, args=(o,)) for o in offers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(map(str, results)) == ["moved", "taken"], results
    at_that_time = Appointment.objects.filter(starts_at=leaving.starts_at, status="booked")
    assert at_that_time.count() == 1
    loser = next(a for a in waiting if a.patient_id != at_that_time.get().patient_id)
    assert Appointment.objects.get(pk=loser.pk).status == "booked"  # kept their time


def test_the_desk_sees_and_manages_the_list(client_as, personas, queue):
    page = client_as(personas.reception).get(reverse("waitlist"))
    assert page.status_code == 200
    text = page.content.decode()
    names = [a.patient.full_name for a in queue["waiting"]]
    assert [text.index(n) for n in names] == sorted(text.index(n) for n in names)
    entry = WaitlistEntry.objects.order_by("id").first()
    assert client_as(personas.outsider).post(
        reverse("waitlist_remove", args=[entry.pk])).status_code == 404
    removed = client_as(personas.reception).post(reverse("waitlist_remove", args=[entry.pk]))
    assert removed.status_code == 302
    assert WaitlistEntry.objects.get(pk=entry.pk).status == "left"
    assert client_as(personas.outsider).get(reverse("waitlist")).content.decode().count(
        names[1]) == 0


def test_the_patient_asks_for_an_earlier_time_in_their_space(client, personas, catalogue,
                                                              run_worker):
    from tests.test_portal import signed_in

    open_clinic_for_booking(personas.clinic, personas.practitioner)
    patient = make_patient(clinic=personas.clinic, email="camille.durand@example.org")
    appointment = book(personas, patient, days=8)
    signed_in(client, run_worker)
    url = reverse("portal_earlier", args=[patient.pk, appointment.pk])
    client.post(url, {"wanted": "yes"})
    page = client.get(reverse("portal_patient", args=[patient.pk])).content.decode()
    assert "On the waiting list for an earlier time since" in page
    assert WaitlistEntry.objects.filter(appointment=appointment, status="waiting").exists()
    client.post(url, {"wanted": "no"})
    assert WaitlistEntry.objects.get(appointment=appointment).status == "left"
    assert re.search(r"I would take an earlier time", client.get(
        reverse("portal_patient", args=[patient.pk])).content.decode())


def test_the_api_lists_and_manages_the_waiting_list(client, personas, queue, api_headers):
    from tests.openapi import assert_matches_schema

    response = client.get("/api/v1/waitlist", **api_headers(personas.reception))
    assert response.status_code == 200
    assert_matches_schema(response, "/api/v1/waitlist", "get")
    assert [e["appointment"] for e in response.json()] == [a.pk for a in queue["waiting"]]
    assert client.get("/api/v1/waitlist", **api_headers(personas.outsider)).json() == []
    entry = response.json()[0]["id"]
    other = client.post(f"/api/v1/waitlist/{entry}/remove", **api_headers(personas.outsider))
    assert other.status_code == 404
    removed = client.post(f"/api/v1/waitlist/{entry}/remove",
                          **api_headers(personas.reception))
    assert removed.status_code == 200 and removed.json()["status"] == "left"
    assert_matches_schema(removed, "/api/v1/waitlist/{entry_id}/remove", "post")
