"""Background work of booking, run by `manage.py db_worker`."""

from django_tasks import task

from mesoclinic.booking.services import confirmation_send, reminder_send


@task()
def send_confirmation(appointment_id: int) -> bool:
    return confirmation_send(appointment_id=appointment_id)


@task()
def send_reminder(appointment_id: int, kind: str, expected_start: str) -> bool:
    return reminder_send(appointment_id=appointment_id, kind=kind,
                         expected_start=expected_start)
