"""Background work of the patient's space, run by `manage.py db_worker`."""

from django_tasks import task

from mesoclinic.portal.services import data_export_build, sign_in_link_send


@task()
def send_sign_in_link(link_id: int) -> bool:
    return sign_in_link_send(link_id=link_id)


@task()
def build_data_export(request_id: int) -> bool:
    return data_export_build(request_id=request_id)
