"""Background work of the patient's space, run by `manage.py db_worker`."""

from django_tasks import task

from mesoclinic.portal.services import sign_in_link_send


@task()
def send_sign_in_link(link_id: int) -> bool:
    return sign_in_link_send(link_id=link_id)
