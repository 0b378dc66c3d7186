"""Background work of billing, run by `manage.py db_worker`."""

from django_tasks import task

from mesoclinic.billing.services import invoice_email_send


@task()
def send_invoice(invoice_id: int) -> bool:
    return invoice_email_send(invoice_id=invoice_id)
