"""Billing in /api/v1/: the same rules, roles, audit and errors as the pages, each answer
checked against the OpenAPI document."""

import json
from decimal import Decimal

import pytest

from mesoclinic.billing.models import Invoice, Payment
from mesoclinic.core.models import AuditEvent, Role
from tests.factories import make_member, make_patient, make_price
from tests.openapi import assert_matches_schema

pytestmark = pytest.mark.usefixtures("database_tasks")


def post(client, path, payload, headers):
    return client.post(path, json.dumps(payload), content_type="application/json", **headers)


@pytest.fixture
def patient(personas):
    return make_patient(clinic=personas.clinic, email="lea@example.com")


@pytest.mark.parametrize("role,status", [("reception", 201), ("owner", 201),
                                         ("practitioner", 403), ("nurse", 403),
                                         ("outsider", 404)])
def test_selling_a_package_is_for_the_desk_of_the_patients_clinic(
        client, personas, api_headers, patient, role, status):
    item = make_price(clinic=personas.clinic, price="600", sessions=6)
    response = post(client, f"/api/v1/patients/{patient.pk}/packages",
                    {"price": item.pk, "instalments": 2}, api_headers(personas.of(role)))
    assert response.status_code == status, response.content
    if status == 201:
        assert_matches_schema(response, "/api/v1/patients/{patient_id}/packages", "post")
        assert response.json()["left"] == 6
        assert Invoice.objects.get().total == Decimal("600.00")
    else:
        assert not Invoice.objects.exists()


def test_an_invoice_is_issued_paid_in_part_read_and_printed_through_the_api(
        client, personas, api_headers, patient):
    desk = api_headers(personas.reception)
    issued = post(client, f"/api/v1/patients/{patient.pk}/invoices", {"lines": [
        {"description": "Mesotherapy, face", "quantity": 2, "unit_price": "75.00",
         "vat_rate": "20"}]}, desk)
    assert issued.status_code == 201, issued.content
    assert_matches_schema(issued, "/api/v1/patients/{patient_id}/invoices", "post")
    invoice = issued.json()
    assert (invoice["total"], invoice["vat"], invoice["outstanding"]) == ("150.00", "25.00",
                                                                          "150.00")
    paid = post(client, f"/api/v1/patients/{patient.pk}/payments",
                {"amount": "50", "method": "card", "invoice": invoice["id"]}, desk)
    assert paid.status_code == 201
    assert_matches_schema(paid, "/api/v1/patients/{patient_id}/payments", "post")
    read = client.get(f"/api/v1/invoices/{invoice['id']}", **desk)
    assert_matches_schema(read, "/api/v1/invoices/{invoice_id}", "get")
    assert read.json()["outstanding"] == "100.00"
    pdf = client.get(f"/api/v1/invoices/{invoice['id']}/pdf", **desk)
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="invoice.pdf", patient_id=patient.pk).exists()
    account = client.get(f"/api/v1/patients/{patient.pk}/account",
                         **api_headers(personas.practitioner))
    assert account.status_code == 200  # clinical staff read the balance
    assert_matches_schema(account, "/api/v1/patients/{patient_id}/account", "get")
    assert account.json()["balance"] == "100.00"


def test_bad_money_gets_a_clear_4xx_and_nothing_half_saved(client, personas, api_headers,
                                                           patient):
    desk = api_headers(personas.reception)
    negative = post(client, f"/api/v1/patients/{patient.pk}/invoices", {"lines": [
        {"description": "X", "quantity": -1, "unit_price": "10", "vat_rate": "20"}]}, desk)
    assert negative.status_code == 422
    fraction = post(client, f"/api/v1/patients/{patient.pk}/invoices", {"lines": [
        {"description": "X", "quantity": 1, "unit_price": "10.005", "vat_rate": "20"}]},
        desk)
    assert fraction.status_code == 422
    wrong_rate = post(client, f"/api/v1/patients/{patient.pk}/invoices", {"lines": [
        {"description": "X", "quantity": 1, "unit_price": "10", "vat_rate": "19"}]}, desk)
    assert wrong_rate.status_code == 400 and wrong_rate.json()["field"] == "vat_rate"
    assert not Invoice.objects.exists()
    issued = post(client, f"/api/v1/patients/{patient.pk}/invoices", {"lines": [
        {"description": "X", "quantity": 1, "unit_price": "10", "vat_rate": "20"}]}, desk)
    over = post(client, f"/api/v1/patients/{patient.pk}/payments",
                {"amount": "10.01", "method": "cash", "invoice": issued.json()["id"]}, desk)
    assert over.status_code == 400 and over.json()["field"] == "amount"
    assert "record a refund" in over.json()["detail"]
    assert not Payment.objects.exists()
    elsewhere = make_member(clinic=personas.other_clinic, role=Role.RECEPTION)
    other = client.get(f"/api/v1/invoices/{issued.json()['id']}", **api_headers(elsewhere))
    assert other.status_code == 404 and other.json()["code"] == "not-found"


def test_the_cash_up_and_the_invoice_list_are_for_the_desk(client, personas, api_headers,
                                                           patient):
    desk = api_headers(personas.reception)
    issued = post(client, f"/api/v1/patients/{patient.pk}/invoices", {"lines": [
        {"description": "X", "quantity": 1, "unit_price": "80", "vat_rate": "20"}]}, desk)
    post(client, f"/api/v1/patients/{patient.pk}/payments",
         {"amount": "80", "method": "cash", "invoice": issued.json()["id"]}, desk)
    cash = client.get("/api/v1/cash-up", **desk)
    assert_matches_schema(cash, "/api/v1/cash-up", "get")
    assert cash.json()["takings"] == "80.00"
    listed = client.get(f"/api/v1/invoices?patient={patient.pk}", **desk)
    assert_matches_schema(listed, "/api/v1/invoices", "get")
    assert [i["number"] for i in listed.json()] == [issued.json()["number"]]
    for path in ("/api/v1/cash-up", "/api/v1/invoices"):
        assert client.get(path, **api_headers(personas.practitioner)).status_code == 403
