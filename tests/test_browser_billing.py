"""The desk sells a six-session course package, the patient has two sessions, pays part of
the price, misses an appointment (the no-show fee goes on the balance), and reception
prints the day's cash-up. Screenshots: 60–65-billing-*.png; the invoice PDF and the
printed cash-up are saved beside them (the PDF's first page as a picture too)."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest

from mesoclinic.billing.models import Fee, Invoice
from tests.factories import (
    book_for,
    complete_next_session,
    make_price,
    open_clinic_for_booking,
    ready_patient,
    set_billing_policy,
)
from tests.test_browser import SHOTS, browser, log_in, page, shot  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("database_tasks")]


def test_the_desk_sells_a_package_takes_a_part_payment_charges_a_no_show_and_cashes_up(
        page, personas, catalogue, clock):  # noqa: F811
    clinic = personas.clinic
    clinic.country = "FR"
    clinic.save(update_fields=["country"])
    patient, _product, _lot, plan = ready_patient(clinic=clinic, clock=clock,
                                                  practitioner=personas.practitioner)
    make_price(clinic=clinic, name="Facial course, 6 sessions", price="540", sessions=6,
               indication="facial-rejuvenation")
    set_billing_policy(clinic=clinic, no_show_fee="40", late_cancel_fee="25",
                       legal_name="Clinique Bellecour SAS",
                       legal_details="SIRET 123 456 789 00012 · TVA FR12 123456789")
    open_clinic_for_booking(clinic, personas.practitioner)

    log_in(page, personas.reception.user.email)
    page.wait_for_url("**/desk/")
    page.goto(f"/patients/{patient.pk}/account/")
    sale = page.get_by_role("form", name="Sell a package")
    sale.get_by_label("For the course").select_option(str(plan.pk))
    sale.get_by_label("Paid in").select_option("3")
    sale.get_by_role("button", name="Sell the package").click()
    page.get_by_text("Package sold and invoiced.").wait_for()
    assert page.get_by_test_id("credits").inner_text() == "0 of 6 sessions used, 6 left"
    assert page.get_by_test_id("balance").inner_text().endswith("€540.00")
    shot(page, "60-billing-package-sold")

    # Two sessions of the course, given and completed by the practitioner.
    complete_next_session(plan=plan, member=personas.practitioner, clock=clock)
    complete_next_session(plan=plan, member=personas.practitioner, clock=clock)
    # The next day, the patient has an appointment, and comes to the desk first to pay.
    missed = book_for(patient=patient, member=personas.practitioner, days_ahead=1, index=4)
    clock.current = missed.starts_at - timedelta(hours=2)

    page.goto(f"/patients/{patient.pk}/account/")
    assert page.get_by_test_id("credits").inner_text() == "2 of 6 sessions used, 4 left"
    payment = page.get_by_role("form", name="Take a payment")
    invoice = Invoice.objects.get(patient=patient)
    payment.get_by_label("For").select_option(f"invoice:{invoice.pk}")
    payment.get_by_label("Amount").fill("180")
    payment.get_by_label("Method").select_option("card")
    payment.get_by_role("button", name="Record").click()
    page.get_by_text("Payment recorded.").wait_for()
    assert page.get_by_test_id("balance").inner_text().endswith("€360.00")
    shot(page, "61-billing-account-part-paid")

    # The appointment's time passes without the patient: the desk marks the no-show.
    clock.current = missed.starts_at + timedelta(minutes=20)
    page.goto("/desk/")
    row = page.locator("tr", has_text=patient.full_name).filter(has_text="Booked")
    row.get_by_role("button", name="No-show").click()
    page.wait_for_url("**/desk/")
    assert Fee.objects.get(appointment=missed).amount == 40
    page.goto(f"/patients/{patient.pk}/account/")
    assert page.get_by_test_id("balance").inner_text().endswith("€400.00")
    page.get_by_role("cell", name="No-show fee").wait_for()
    shot(page, "62-billing-no-show-fee")

    page.goto(f"/billing/invoices/{invoice.pk}/")
    assert page.get_by_test_id("outstanding").inner_text() == "€360.00"
    shot(page, "63-billing-invoice")
    pdf = page.request.get(f"/billing/invoices/{invoice.pk}/pdf/")
    assert pdf.headers["content-type"] == "application/pdf"
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "64-billing-invoice.pdf").write_bytes(pdf.body())
    # The PDF's first page as a picture, to look at beside the screenshots.
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile",
                    str(SHOTS / "64-billing-invoice.pdf"), str(SHOTS / "64-billing-invoice")],
                   check=True)

    page.get_by_role("link", name="Billing").click()
    page.wait_for_url("**/billing/")
    assert page.get_by_test_id("takings").inner_text() == "€180.00"
    card = page.get_by_test_id("methods").locator("tr", has_text="Card terminal")
    assert "€180.00" in card.inner_text()
    shot(page, "65-billing-cash-up")
    page.emulate_media(media="print")
    page.pdf(path=str(SHOTS / "65-billing-cash-up.pdf"))
    assert page.locator("header.topbar").is_hidden()  # the printed page is the report alone
