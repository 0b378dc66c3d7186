"""The desk's money pages, for each role: reception and owners take money, clinical staff
see balances and credits, another clinic finds nothing. Every refusal is said in words
and leaves nothing behind."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail

from mesoclinic.billing.models import Invoice, Payment, PriceItem
from mesoclinic.billing.schemas import PackageSaleIn
from mesoclinic.billing.services import package_sell
from mesoclinic.core.models import Role
from tests.factories import (
    actor_for,
    make_member,
    make_patient,
    make_price,
    set_billing_policy,
)


def pdf_text(document: bytes) -> str:
    """The PDF's strings (its title among them), its compressed streams opened."""
    import re
    import zlib

    parts = [document]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", document, re.S):
        try:
            parts.append(zlib.decompress(stream))
        except zlib.error:
            continue
    raw = b"".join(parts)
    return raw.decode("latin-1") + raw.replace(b"\x00", b"").decode("latin-1")

pytestmark = pytest.mark.usefixtures("database_tasks")


@pytest.fixture
def sold(personas):
    """A patient of the clinic with a six-session package sold by the desk."""
    patient = make_patient(clinic=personas.clinic, language="fr", email="ines@example.com")
    item = make_price(clinic=personas.clinic, name="Cure visage", price="540", sessions=6)
    package = package_sell(actor=actor_for(personas.reception), patient=patient,
                           data=PackageSaleIn(price=item.pk, instalments=3))
    return {"patient": patient, "package": package,
            "invoice": Invoice.objects.get(package=package)}


@pytest.mark.parametrize("role,status,sees_forms", [
    ("reception", 200, True), ("owner", 200, True), ("practitioner", 200, False),
    ("nurse", 200, False), ("outsider", 404, False)])
def test_the_account_shows_the_balance_and_credits_to_the_clinic_and_money_forms_to_the_desk(
        client_as, personas, sold, role, status, sees_forms):
    response = client_as(personas.of(role)).get(f"/patients/{sold['patient'].pk}/account/")
    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert "£540.00" in page  # the balance due
        assert "0 of 6 sessions used, 6 left" in page
        assert ("Take a payment" in page) is sees_forms
        assert ("Sell the package" in page) is sees_forms


@pytest.mark.parametrize("role,status", [("reception", 200), ("owner", 200),
                                         ("practitioner", 403), ("other desk", 404)])
def test_an_invoice_and_its_pdf_are_for_the_desk_of_its_clinic(client_as, personas, sold,
                                                               role, status):
    member = make_member(clinic=personas.other_clinic, role=Role.RECEPTION) \
        if role == "other desk" else personas.of(role)
    client = client_as(member)
    invoice = sold["invoice"]
    assert client.get(f"/billing/invoices/{invoice.pk}/").status_code == status
    pdf = client.get(f"/billing/invoices/{invoice.pk}/pdf/")
    assert pdf.status_code == status
    if status == 200:
        assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
        # The patient reads French: the document's title is in French.
        assert f"Facture {invoice.number}" in pdf_text(pdf.content)


def test_the_desk_takes_a_part_payment_and_a_payment_above_the_balance_is_refused(
        client_as, personas, sold):
    client = client_as(personas.reception)
    url = f"/patients/{sold['patient'].pk}/account/payments/"
    target = f"invoice:{sold['invoice'].pk}"
    response = client.post(url, {"for": target, "amount": "180", "method": "cash"},
                           follow=True)
    assert "Payment recorded." in response.content.decode()
    too_much = client.post(url, {"for": target, "amount": "400", "method": "card"},
                           follow=True).content.decode()
    assert "Only 360.00 is owed here" in too_much
    negative = client.post(url, {"for": target, "amount": "-5", "method": "card"},
                           follow=True).content.decode()
    assert "Enter a number above 0" in negative
    assert list(Payment.objects.values_list("amount", flat=True)) == [Decimal("180.00")]
    page = client.get(f"/patients/{sold['patient'].pk}/account/").content.decode()
    assert "£360.00" in page


def test_clinical_staff_cannot_take_money_through_the_page(client_as, personas, sold):
    client = client_as(personas.practitioner)
    response = client.post(f"/patients/{sold['patient'].pk}/account/payments/",
                           {"for": f"invoice:{sold['invoice'].pk}", "amount": "10",
                            "method": "cash"})
    assert response.status_code == 403
    assert not Payment.objects.exists()


def test_a_credit_note_from_the_invoice_page_and_the_invoice_emailed_in_french(
        client_as, personas, sold, run_worker):
    client = client_as(personas.reception)
    invoice = sold["invoice"]
    response = client.post(f"/billing/invoices/{invoice.pk}/credit-note/",
                           {"reason": "Geste commercial", "amount": "40"}, follow=True)
    note = Invoice.objects.get(corrects=invoice)
    assert response.redirect_chain[-1][0] == f"/billing/invoices/{note.pk}/"
    assert note.total == Decimal("-40.00")
    client.post(f"/billing/invoices/{invoice.pk}/email/")
    run_worker()
    message = mail.outbox[-1]
    assert message.to == ["ines@example.com"]
    assert message.subject.startswith(f"Facture {invoice.number}")
    assert message.attachments[0][0] == f"{invoice.number}.pdf"


@pytest.mark.parametrize("role,status", [("reception", 200), ("owner", 200),
                                         ("practitioner", 403), ("nurse", 403)])
def test_the_cash_up_is_for_the_desk(client_as, personas, sold, role, status):
    assert client_as(personas.of(role)).get("/billing/").status_code == status


def test_the_cash_up_adds_the_days_payments_by_method(client_as, personas, sold):
    client = client_as(personas.reception)
    url = f"/patients/{sold['patient'].pk}/account/payments/"
    target = f"invoice:{sold['invoice'].pk}"
    client.post(url, {"for": target, "amount": "100", "method": "cash"})
    client.post(url, {"for": target, "amount": "80", "method": "card"})
    client.post(url, {"for": target, "amount": "30", "method": "cash", "refund": "on"})
    page = client.get("/billing/").content.decode()
    assert "£150.00" in page  # 100 + 80 − 30
    assert "The day's payments" in page and sold["patient"].full_name in page
    other = client_as(personas.outsider)  # another clinic's cash-up: not ours
    assert other.get("/billing/").status_code == 403


def test_the_accountant_gets_every_line_and_payment_as_csv(client_as, personas, sold):
    client = client_as(personas.owner)
    client.post(f"/patients/{sold['patient'].pk}/account/payments/",
                {"for": f"invoice:{sold['invoice'].pk}", "amount": "180",
                 "method": "transfer"})
    response = client.get("/billing/ledger.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["date", "document", "number"]
    assert [r[1] for r in rows[1:]] == ["invoice", "payment"]
    assert rows[1][11] == "540.00" and rows[2][11] == "180.00"


def test_owners_set_prices_and_the_policy_and_others_cannot(client_as, personas):
    owner = client_as(personas.owner)
    owner.post("/billing/prices/", {"kind": "treatment", "name": "Cellulite session",
                                    "indication": "cellulite", "price": "90",
                                    "vat_rate": "20.00"})
    assert PriceItem.objects.get().price == Decimal("90.00")
    wrong_rate = owner.post("/billing/prices/", {
        "kind": "treatment", "name": "X", "price": "90", "vat_rate": "7.00"},
        follow=True).content.decode()
    assert "Choose one of this country&#x27;s VAT rates" in wrong_rate
    owner.post("/billing/policy/", {"no_show_fee": "40", "late_cancel_fee": "20",
                                    "termination": "account", "provider": "clinic"})
    reception = client_as(personas.reception)
    reception.post("/billing/prices/", {"kind": "other", "name": "Y", "price": "1",
                                        "vat_rate": "20.00"})
    assert PriceItem.objects.count() == 1
    assert reception.get("/billing/policy/").status_code == 403
    from mesoclinic.billing.selectors import billing_policy

    policy = billing_policy(personas.clinic)
    assert (policy.no_show_fee, policy.termination) == (Decimal("40.00"), "account")


def test_the_booking_form_shows_the_deposit_and_the_fees_before_the_patient_commits(
        client, personas, catalogue):
    from urllib.parse import urlencode

    from tests.factories import open_clinic_for_booking
    from tests.test_booking import next_free

    open_clinic_for_booking(personas.clinic, personas.practitioner)
    set_billing_policy(clinic=personas.clinic, deposit_amount="20", no_show_fee="40",
                       late_cancel_fee="25")
    [slot, *_rest], _type = next_free(personas)
    query = urlencode({"kind": "consultation", "practitioner": personas.practitioner.user_id,
                       "start": slot.starts_at.isoformat()})
    page = client.get(f"/clinics/{personas.clinic.slug}/book/?{query}").content.decode()
    assert "£20.00" in page and "paid at the clinic when you arrive" in page
    assert "A later cancellation costs £25.00." in page
    assert "Missing the appointment without cancelling costs £40.00." in page


def test_the_desk_sees_the_deposit_due_of_a_patient_who_booked_online(
        client, client_as, personas, catalogue, clock):
    from tests.factories import open_clinic_for_booking
    from tests.test_booking import book_online, next_free

    open_clinic_for_booking(personas.clinic, personas.practitioner)
    set_billing_policy(clinic=personas.clinic, deposit_amount="20")
    [slot, *_rest], _type = next_free(personas, days=2)
    book_online(client, personas, slot.starts_at)
    clock.current = slot.starts_at - timedelta(minutes=30)  # the appointment's day
    page = client_as(personas.reception).get("/desk/").content.decode()
    assert "deposit due: £20.00" in page
