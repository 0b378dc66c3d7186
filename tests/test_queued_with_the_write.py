"""The messages a write implies are queued in the write's own transaction: committed
together, or rolled back together. (In these tests no on-commit hook ever runs, so any
task found was queued inside the transaction.)"""

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from mesoclinic.booking.models import Appointment
from tests.factories import book_consultation, open_clinic_for_booking

pytestmark = pytest.mark.usefixtures("database_tasks")


def book(personas):
    return book_consultation(clinic=personas.clinic, member=personas.practitioner,
                             days_ahead=3, email="a@b.test")


def test_a_booking_and_its_confirmation_and_reminder_are_queued_together(personas,
                                                                         catalogue):
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    appointment = book(personas)
    queued = {t.task_path.rsplit(".", 1)[-1] for t in DBTaskResult.objects.all()
              if t.args_kwargs["args"][0] == appointment.pk}
    assert queued == {"send_confirmation", "send_reminder"}


def test_a_rolled_back_booking_leaves_no_message_behind(personas, catalogue):
    open_clinic_for_booking(personas.clinic, personas.practitioner)

    class Abandon(Exception):
        pass

    with pytest.raises(Abandon), transaction.atomic():
        book(personas)
        raise Abandon
    assert not Appointment.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_finishing_a_session_queues_its_check_ins_in_the_same_transaction(personas,
                                                                          catalogue, clock):
    from mesoclinic.aftercare.services import session_finish
    from mesoclinic.courses.schemas import SessionCompleteIn
    from mesoclinic.courses.services import plan_book_proposed, session_start
    from tests.factories import actor_for, ready_patient

    _patient, _product, _lot, plan = ready_patient(clinic=personas.clinic, clock=clock,
                                                   practitioner=personas.practitioner)
    actor = actor_for(personas.practitioner)
    session = session_start(actor=actor, session=plan_book_proposed(actor=actor, plan=plan)[0])
    session_finish(actor=actor, session=session, data=SessionCompleteIn())
    paths = [t.task_path.rsplit(".", 1)[-1] for t in DBTaskResult.objects.all()]
    assert paths.count("send_checkin") == 6 and paths.count("send_aftercare_email") == 1
