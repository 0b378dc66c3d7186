"""Exact statements for billing's pages and operations: a change that adds a query to any
of them shows here (each page and each operation of the API). Each is measured twice,
with one round of billing and with five, so that none grows with the patient's history or
the day's payments."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mesoclinic.billing.models import Invoice
from mesoclinic.billing.schemas import PackageSaleIn, PaymentIn
from mesoclinic.billing.services import package_sell, payment_record
from tests.factories import (
    actor_for,
    book_for,
    make_patient,
    make_price,
    open_clinic_for_booking,
    set_billing_policy,
)

pytestmark = pytest.mark.usefixtures("database_tasks")

# Pages: the session, the user and the membership (3), the reads, the audit event and the
# session's idle stamp. The API: the token (and its last use), the loaders, the write and
# its audit event. The account reads its balance in one statement of its own (the one
# definition of a balance: billing.selectors.patient_balance).
EXPECTED = {
    "account page": 18, "cash-up page": 13, "invoice page": 13, "revenue page": 8,
    "prices page": 10, "ledger CSV": 10, "policy page (owner)": 8,
    "account (API)": 11, "issue an invoice (API)": 13, "record a payment (API)": 10,
    "sell a package (API)": 13, "cash-up (API)": 8, "invoices (API)": 3,
    "invoice (API)": 6, "credit note (API)": 17, "waive a fee (API)": 8,
    "end a package (API)": 29,
}


def _history(personas, patient, rounds):
    """``rounds`` packages sold and paid in part, and as many no-show fees."""
    from mesoclinic.billing.services import fee_charge

    desk = actor_for(personas.reception)
    item = make_price(clinic=personas.clinic, price="600", sessions=6)
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    set_billing_policy(clinic=personas.clinic, no_show_fee="40")
    for index in range(rounds):
        package = package_sell(actor=desk, patient=patient,
                               data=PackageSaleIn(price=item.pk, instalments=3))
        invoice = Invoice.objects.get(package=package)
        payment_record(actor=desk, patient=patient, data=PaymentIn(
            amount="100", method="cash", invoice=invoice.pk))
        fee = fee_charge(appointment=book_for(patient=patient, member=personas.practitioner,
                                              index=index), kind="no_show")
    return invoice, package, fee


def _costs(client, client_as, personas, api_headers, patient, invoice, package, fee
           ) -> dict[str, int]:
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
        "prices page": lambda: client.get("/billing/prices/"),
        "ledger CSV": lambda: client.get("/billing/ledger.csv"),
        "cash-up (API)": lambda: client.get("/api/v1/cash-up", **headers),
        "invoices (API)": lambda: client.get(f"/api/v1/invoices?patient={patient.pk}",
                                             **headers),
        "invoice (API)": lambda: client.get(f"/api/v1/invoices/{invoice.pk}", **headers),
        "credit note (API)": lambda: post(f"/api/v1/invoices/{invoice.pk}/credit-note",
                                          {"reason": "Discount", "amount": "10"}),
        "waive a fee (API)": lambda: post(f"/api/v1/fees/{fee.pk}/waive",
                                          {"reason": "Called ahead"}),
        "end a package (API)": lambda: post(f"/api/v1/packages/{package.pk}/end",
                                            {"reason": "Moving away"}),
        "policy page (owner)": lambda: client.get("/billing/policy/"),
    }
    costs = {}
    for name, call in calls.items():
        if name == "policy page (owner)":
            client_as(personas.owner).get("/")  # the owner's first page: the second factor
        with CaptureQueriesContext(connection) as queries:
            response = call()
        assert response.status_code in (200, 201), (name, response.content[:300])
        costs[name] = len(queries)
    return costs


@pytest.mark.parametrize("rounds", [1, 5])
def test_statements_per_billing_page_and_operation(client_as, personas, api_headers, rounds):
    patient = make_patient(clinic=personas.clinic)
    invoice, package, fee = _history(personas, patient, rounds)
    client = client_as(personas.reception)
    assert _costs(client, client_as, personas, api_headers, patient, invoice, package,
                  fee) == EXPECTED
