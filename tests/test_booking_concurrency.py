"""No double booking, ever: many clients booking the same times at once, on the real
database (SQLite in WAL with immediate transactions, or PostgreSQL)."""

import threading
from datetime import timedelta
from itertools import pairwise

import pytest
from django.db import connection, connections
from django.utils import timezone

from mesoclinic.booking.models import Appointment, AppointmentStatus, SlotClaim
from mesoclinic.booking.selectors import appointment_types, free_times
from mesoclinic.booking.services import SlotTaken, appointment_book
from tests.factories import make_patient, open_clinic_for_booking

CLIENTS = 16


@pytest.mark.django_db(transaction=True)
def test_many_clients_booking_the_same_times_leave_exactly_one_winner_per_time(personas,
                                                                            catalogue):
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    consultation = next(t for t in appointment_types(clinic=personas.clinic)
                        if t.kind == "consultation")
    today = timezone.localdate()
    free = free_times(members=[personas.practitioner], appointment_type=consultation,
                      first=today + timedelta(days=1), last=today + timedelta(days=1))
    # Four times that overlap pairwise (15 minutes apart, 40 minutes long with buffer).
    wanted = [f.starts_at for f in free[personas.clinic.pk][:4]]
    patients = [make_patient(clinic=personas.clinic) for _ in range(CLIENTS)]
    barrier = threading.Barrier(CLIENTS)
    outcomes: list[tuple[int, object]] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        try:
            barrier.wait()
            for start in wanted[index % 4:] + wanted[:index % 4]:
                try:
                    appointment = appointment_book(
                        clinic=personas.clinic, membership=personas.practitioner,
                        appointment_type=consultation, starts_at=start,
                        patient=patients[index], channel="api",
                        check_hours=index % 2 == 0)  # half rely on the database alone
                    result = appointment.pk
                except SlotTaken:
                    result = "taken"
                except Exception as error:
                    result = error
                with lock:
                    outcomes.append((index, result))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    errors = [r for _i, r in outcomes if not isinstance(r, int) and r != "taken"]
    assert errors == []
    assert len(outcomes) == CLIENTS * 4  # every attempt answered: none lost
    booked = list(Appointment.objects.filter(status=AppointmentStatus.BOOKED))
    # Every booked appointment is acknowledged to exactly one client, and vice versa.
    assert sorted(a.pk for a in booked) == sorted(r for _i, r in outcomes if isinstance(r, int))
    intervals = sorted((a.starts_at, a.ends_at + timedelta(minutes=10)) for a in booked)
    for (_s1, end), (start, _e2) in pairwise(intervals):
        assert start >= end  # no two overlap
    assert booked  # someone won
    claims = SlotClaim.objects.count()
    assert claims == len(booked) * 8  # 40 minutes of 5-minute slots each
    assert connection.vendor in ("sqlite", "postgresql")
