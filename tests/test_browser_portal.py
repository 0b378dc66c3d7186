"""A patient's whole visit to their own space, on a phone: asking for a link, signing in
with it, reading their appointments, course and documents, agreeing to photographs,
asking for an earlier time and a copy of their data, opening an appointment to change it,
and signing out. Screenshots: 50–55-portal-*.png."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.core import mail

from tests.factories import actor_for, book_for, open_clinic_for_booking, ready_patient
from tests.test_browser import browser, shot  # noqa: F401  (the module's Chromium)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("database_tasks")]

PHONE = {"width": 390, "height": 844}
EMAIL = "amelie.roux@example.org"


@pytest.fixture
def phone(browser, live_server) -> Iterator[object]:  # noqa: F811
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_patient_s_whole_visit_to_their_space_on_a_phone(phone, personas, catalogue, clock,
                                                           run_worker):
    from mesoclinic.consultation.models import Consent
    from mesoclinic.courses.services import plan_book_proposed

    patient, _product, _lot, plan = ready_patient(clinic=personas.clinic, clock=clock,
                                                  practitioner=personas.practitioner)
    patient.email, patient.email_key = EMAIL, EMAIL
    patient.save(update_fields=["email", "email_key"])
    plan_book_proposed(actor=actor_for(personas.practitioner), plan=plan)
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    book_for(patient=patient, member=personas.practitioner, days_ahead=3)
    page = phone

    page.goto("/find/")
    page.get_by_role("link", name="My space").click()
    page.get_by_label("Your email address").fill(EMAIL)
    shot(page, "50-portal-sign-in")
    page.get_by_role("button", name="Send me a sign-in link").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    shot(page, "51-portal-link-sent")

    run_worker()
    link = re.search(r"http\S+/me/sign-in/\S+/", mail.outbox[-1].body)[0]
    page.goto(link.split("/me/", 1)[1].join(["/me/", ""]))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name=re.compile("Your space")).wait_for()
    assert _fits(page), "the space is wider than a phone"
    text = page.locator("main").inner_text()
    assert "Change or cancel" in text and "Add to my calendar" in text
    assert "0 sessions done, 6 to go" in text
    assert "aspirin or anti-inflammatory medicines (ibuprofen, naproxen…) from now on" in text
    assert "Consent to clinical photographs" not in text  # not signed yet
    shot(page, "52-portal-space")

    photographs = page.locator("form.consent-choice", has_text="Photographs")
    photographs.get_by_role("button", name="I agree").click()
    page.get_by_text("Your consent is given.").wait_for()
    assert Consent.objects.filter(patient=patient, kind="photos",
                                  withdrawn_at__isnull=True).exists()
    shot(page, "53-portal-consent-given")

    page.get_by_role("button", name="I would take an earlier time").click()
    page.get_by_text("You are on the waiting list").wait_for()
    page.get_by_role("button", name="Get a copy of all my data").click()
    page.locator("#data progress").wait_for()
    run_worker()
    page.reload()
    page.get_by_role("link", name="Download the archive (ZIP)").wait_for()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the archive (ZIP)").click()
    assert download.value.suggested_filename.endswith(".zip")
    assert _fits(page), "the data section is wider than a phone"
    shot(page, "55-portal-waitlist-and-data")

    page.get_by_role("link", name="Change or cancel").first.click()
    page.wait_for_url("**/booking/**")
    assert _fits(page), "the appointment page is wider than a phone"
    shot(page, "54-portal-appointment")

    page.goto(f"/me/{patient.pk}/")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You are signed out.").wait_for()
    page.goto(f"/me/{patient.pk}/")
    page.wait_for_url("**/me/sign-in/")
