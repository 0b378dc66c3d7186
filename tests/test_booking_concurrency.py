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


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rounds", [6])
def test_moving_and_starting_one_session_at_once_never_both_succeed(personas, catalogue,
                                                                     rounds):
    """One lock order in every course write (plan, then session), rows re-read after
    locking and the status checked in the update: of a move and a start of the same
    session at the same moment, exactly one succeeds, and the session is consistent."""
    from mesoclinic.booking.course_booking import plan_book, session_reschedule
    from mesoclinic.core import clock
    from mesoclinic.core.errors import MesoclinicError
    from mesoclinic.courses.models import Session, SessionStatus
    from mesoclinic.courses.services import session_start
    from tests.factories import actor_for, ready_patient

    class Clock:
        current = clock.now()

    original = clock.now
    clock.now = lambda: Clock.current
    try:
        open_clinic_for_booking(personas.clinic, personas.practitioner)
        actor = actor_for(personas.practitioner)
        for _round in range(rounds):
            _patient, _product, _lot, plan = ready_patient(
                clinic=personas.clinic, clock=_Advancer(Clock),
                practitioner=personas.practitioner)
            plan_book(actor=actor, plan=plan)
            session = Session.objects.filter(plan=plan, status=SessionStatus.PLANNED) \
                .order_by("scheduled_on").first()
            # The session's day has come: it can be started, or moved a week on.
            Clock.current = timezone.make_aware(
                timezone.datetime.combine(session.scheduled_on, timezone.datetime.min.time()),
                personas.clinic.zoneinfo) + timedelta(hours=9)
            barrier = threading.Barrier(2)
            results: dict[str, object] = {}

            def attempt(name: str, action) -> None:
                try:
                    barrier.wait()
                    action()
                    results[name] = "ok"
                except MesoclinicError as error:
                    results[name] = error.code
                except Exception as error:
                    results[name] = error
                finally:
                    connections.close_all()

            fresh = Session.objects.get(pk=session.pk)
            threads = [
                threading.Thread(target=attempt, args=("start", lambda s=fresh: session_start(
                    actor=actor, session=s, expected_day=s.scheduled_on))),
                threading.Thread(target=attempt, args=("move", lambda s=fresh: session_reschedule(
                    actor=actor, session=s, to=s.scheduled_on + timedelta(days=7)))),
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert sorted(map(str, results.values())).count("ok") == 1, results
            assert all(r in ("ok", "invalid") for r in results.values()), results
            final = Session.objects.get(pk=session.pk)
            if results["start"] == "ok":
                assert final.status == SessionStatus.IN_PROGRESS
                assert final.scheduled_on == session.scheduled_on
            else:
                assert final.status == SessionStatus.PLANNED
                assert final.scheduled_on == session.scheduled_on + timedelta(days=7)
    finally:
        clock.now = original


class _Advancer:
    """The movable clock that ``ready_patient`` advances, on a shared class attribute."""

    def __init__(self, holder) -> None:
        self.holder = holder

    def now(self):
        return self.holder.current

    def advance(self, **delta: float) -> None:
        self.holder.current += timedelta(**delta)
