"""Exact statements for billing's pages and operations: a change that adds a query to any
of them shows here. Each is measured twice, with one round of billing and with five, so
that none grows with the patient's history or the day's payments."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mesoclinic.billing.models import Invoice
from mesoclinic.billing.schemas import PackageSaleIn, PaymentIn
from mesoclinic.billing.services import package_sell, payment_record
from tests.factories import actor_for, make_patient, make_price

pytestmark = pytest.mark.usefixtures("database_tasks")

# Pages: the session, the user and the membership (3), the reads, the audit event and the
# session's idle stamp. The API: the token (and its last use), the loaders, the write and
# its audit event. The account reads its balance in one statement of its own (the one
# definition of a balance: billing.selectors.patient_balance).
EXPECTED = {
    "account page": 18, "cash-up page": 13, "invoice page": 13, "revenue page": 8,
    "account (API)": 11, "issue an invoice (API)": 13, "record a payment (API)": 10,
    "sell a package (API)": 13,
}


def _history(personas, patient, rounds):
    desk = actor_for(personas.reception)
    item = make_price(clinic=personas.clinic, price="600", sessions=6)
    for _ in range(rounds):
        package = package_sell(actor=desk, patient=patient,
                               data=PackageSaleIn(price=item.pk, instalments=3))
        invoice = Invoice.objects.get(package=package)
        payment_record(actor=desk, patient=patient, data=PaymentIn(
            amount="100", method="cash", invoice=invoice.pk))
    return invoice


def _costs(client, personas, api_headers, patient, invoice) -> dict[str, int]:
    headers = api_headers(personas.reception)
    client.get("/")  # a session's first page also looks up the user's second factor
    item = make_price(clinic=personas.clinic, price="300", sessions=3)

    def post(path, payload):
        return client.post(path, json.dumps(payload), content_type="application/json",
                           **headers)

    calls = {
        "account page": lambda: client.get(f"/patients/{patient.pk}/account/"),
        "cash-up page": lambda: client.get("/billing/"),
        "invoice page": lambda: client.get(f"/billing/invoices/{invoice.pk}/"),
        "revenue page": lambda: client.get("/billing/revenue/"),
        "account (API)": lambda: client.get(f"/api/v1/patients/{patient.pk}/account",
                                            **headers),
        "issue an invoice (API)": lambda: post(f"/api/v1/patients/{patient.pk}/invoices", {
            "lines": [{"description": "X", "quantity": 1, "unit_price": "10",
                       "vat_rate": "20"}]}),
        "record a payment (API)": lambda: post(f"/api/v1/patients/{patient.pk}/payments", {
            "amount": "5", "method": "card", "invoice": invoice.pk}),
        "sell a package (API)": lambda: post(f"/api/v1/patients/{patient.pk}/packages",
                                             {"price": item.pk}),
    }
    costs = {}
    for name, call in calls.items():
        with CaptureQueriesContext(connection) as queries:
            response = call()
        assert response.status_code in (200, 201), (name, response.content[:300])
        costs[name] = len(queries)
    return costs


@pytest.mark.parametrize("rounds", [1, 5])
def test_statements_per_billing_page_and_operation(client_as, personas, api_headers, rounds):
    patient = make_patient(clinic=personas.clinic)
    invoice = _history(personas, patient, rounds)
    client = client_as(personas.reception)
    assert _costs(client, personas, api_headers, patient, invoice) == EXPECTED
