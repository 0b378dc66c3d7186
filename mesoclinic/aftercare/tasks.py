"""Background work of aftercare, run by `manage.py db_worker`."""

from django_tasks import task

from mesoclinic.aftercare.services import (
    aftercare_email_send,
    checkin_alert_send,
    checkin_send,
)


@task()
def send_aftercare_email(session_id: int) -> bool:
    return aftercare_email_send(session_id=session_id)


@task()
def send_checkin(checkin_id: int) -> bool:
    return checkin_send(checkin_id=checkin_id)


@task()
def send_checkin_alert(checkin_id: int) -> int:
    return checkin_alert_send(checkin_id=checkin_id)
