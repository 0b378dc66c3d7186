"""Background work of booking, run by `manage.py db_worker`."""

from django_tasks import task

from mesoclinic.booking.services import (
    cancellation_send,
    confirmation_send,
    course_schedule_send,
    reminder_send,
    waitlist_offer_freed,
    waitlist_offer_send,
)


@task()
def send_confirmation(appointment_id: int) -> bool:
    return confirmation_send(appointment_id=appointment_id)


@task()
def send_cancellation(appointment_id: int) -> bool:
    return cancellation_send(appointment_id=appointment_id)


@task()
def send_reminder(appointment_id: int, kind: str, expected_start: str) -> bool:
    return reminder_send(appointment_id=appointment_id, kind=kind,
                         expected_start=expected_start)


@task()
def send_course_schedule(appointment_ids: list[int], cancelled_ids: list[int],
                         changed: bool) -> bool:
    return course_schedule_send(appointment_ids=appointment_ids, cancelled_ids=cancelled_ids,
                                changed=changed)


@task()
def offer_freed_time(appointment_id: int) -> int:
    return waitlist_offer_freed(appointment_id=appointment_id)


@task()
def send_waitlist_offer(offer_id: int) -> bool:
    return waitlist_offer_send(offer_id=offer_id)
