"""Background work of the consultation, run by `manage.py db_worker`."""

from django_tasks import task

from mesoclinic.consultation.services import patient_link_send


@task()
def send_patient_link(link_id: int) -> bool:
    return patient_link_send(link_id=link_id)
