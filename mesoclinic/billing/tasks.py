"""Background work of billing, run by `manage.py db_worker`."""

from django_tasks import task

from mesoclinic.billing.services import instalment_reminder_send, invoice_email_send


@task()
def send_invoice(invoice_id: int) -> bool:
    return invoice_email_send(invoice_id=invoice_id)


@task()
def send_instalment_reminder(instalment_id: int) -> bool:
    return instalment_reminder_send(instalment_id=instalment_id)
